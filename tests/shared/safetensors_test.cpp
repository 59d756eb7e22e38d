// Tests for shared/safetensors: exact bytes, round trips (F32 exact, F16/BF16 within their
// precision), file variants, and every malformed-input refusal.
#include "shared/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "shared/file_io.h"

namespace {

using p2p::DType;
using p2p::Tensor;
using p2p::Weights;

// A file from a header text and data bytes, with the length field set to the header's size.
std::vector<uint8_t> make_file(const std::string& header, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; i++) out.push_back(uint8_t(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::string read_error(const std::vector<uint8_t>& bytes) {
  auto r = p2p::read_safetensors(bytes.data(), bytes.size());
  EXPECT_FALSE(r.ok()) << "accepted";
  return r.error;
}

Weights sample_weights() {
  Weights w;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  for (auto [name, shape] : std::vector<std::pair<std::string, p2p::Shape>>{
           {"model.0.weight", {8, 3, 4, 4}}, {"model.0.bias", {8}}, {"model.1.running_mean", {8}}, {"scalar", {}},
           {"empty", {0, 4}}}) {
    Tensor t(shape);
    for (float& v : t.data) v = nd(rng);
    w[name] = t;
  }
  return w;
}

TEST(Safetensors, ExactBytesOfATinyFile) {
  Weights w;
  w["b"] = Tensor({2});
  w["b"].data = {1.0f, -2.0f};
  w["a"] = Tensor({1, 1}, 0.5f);
  std::vector<uint8_t> got = p2p::write_safetensors(w, {{"format", "pt"}}, DType::F32);
  std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}   )";
  std::vector<uint8_t> want = {0x90, 0, 0, 0, 0, 0, 0, 0};
  want.insert(want.end(), header.begin(), header.end());
  for (uint8_t b : {0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}) want.push_back(b);
  EXPECT_EQ(got, want);
  EXPECT_EQ((got.size() - 8 - 12) % 8, 0u);

  // F16: no metadata written when there is none; 1.0 = 0x3c00, -2.0 = 0xc000.
  Weights h;
  h["w"] = Tensor({2});
  h["w"].data = {1.0f, -2.0f};
  std::vector<uint8_t> f16 = p2p::write_safetensors(h, {}, DType::F16);
  std::vector<uint8_t> want16 = make_file(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}  )",
                                          {0x00, 0x3c, 0x00, 0xc0});
  EXPECT_EQ(f16, want16);
}

TEST(Safetensors, Float32RoundTripIsExact) {
  Weights w = sample_weights();
  std::map<std::string, std::string> meta{{"format", "pt"}, {"arch", "unet_256"}, {"quote", "a\"b\n"}};
  std::vector<uint8_t> bytes = p2p::write_safetensors(w, meta, DType::F32);
  EXPECT_EQ(bytes, p2p::write_safetensors(w, meta, DType::F32));  // deterministic
  auto r = p2p::read_safetensors(bytes.data(), bytes.size());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.metadata, meta);
  ASSERT_EQ(r.value.weights.size(), w.size());
  for (const auto& [name, t] : w) {
    const Tensor& got = r.value.weights.at(name);
    EXPECT_EQ(got.shape, t.shape) << name;
    EXPECT_EQ(got.data, t.data) << name;
    EXPECT_EQ(r.value.dtypes.at(name), DType::F32);
  }
}

TEST(Safetensors, HalfRoundTripsWithinPrecision) {
  Weights w = sample_weights();
  for (DType dt : {DType::F16, DType::BF16}) {
    std::vector<uint8_t> bytes = p2p::write_safetensors(w, {}, dt);
    auto r = p2p::read_safetensors(bytes.data(), bytes.size());
    ASSERT_TRUE(r.ok()) << r.error;
    float rel = dt == DType::F16 ? 1.0f / 2048 : 1.0f / 256;  // half an ulp of 11 / 8 significant bits
    for (const auto& [name, t] : w) {
      const Tensor& got = r.value.weights.at(name);
      ASSERT_EQ(got.shape, t.shape);
      ASSERT_EQ(got.data.size(), t.data.size());
      for (size_t i = 0; i < t.data.size(); i++)
        EXPECT_NEAR(got.data[i], t.data[i], std::fabs(t.data[i]) * rel + 1e-7f) << name << "[" << i << "]";
      EXPECT_EQ(r.value.dtypes.at(name), dt);
    }
  }
}

TEST(Safetensors, FileVariantsAreAtomicAndNameThePath) {
  std::string dir = testing::TempDir();
  if (dir.empty() || dir.back() != '/') dir += '/';
  std::string path = dir + "p2p_st_" + std::to_string(long(getpid())) + ".safetensors";
  Weights w = sample_weights();
  ASSERT_TRUE(p2p::save_safetensors(path, w, {{"k", "v"}}).ok());
  auto r = p2p::load_safetensors(path);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights.at("model.0.weight").data, w.at("model.0.weight").data);
  EXPECT_EQ(r.value.metadata.at("k"), "v");

  ASSERT_TRUE(p2p::write_file_atomic(path, std::string("{}")).ok());
  r = p2p::load_safetensors(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, path + ": truncated: 2 bytes, less than the 8-byte header length");
  std::remove(path.c_str());
  r = p2p::load_safetensors(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind(path + ": ", 0), 0u);
}

TEST(Safetensors, RefusesTruncatedFiles) {
  EXPECT_EQ(read_error({1, 2, 3}), "truncated: 3 bytes, less than the 8-byte header length");
  std::vector<uint8_t> good = p2p::write_safetensors(sample_weights(), {}, DType::F32);
  std::vector<uint8_t> cut(good.begin(), good.end() - 4);
  EXPECT_EQ(read_error(cut).find("tensor \""), 0u) << read_error(cut);  // last tensor out of range
  std::vector<uint8_t> header_cut(good.begin(), good.begin() + 40);
  EXPECT_NE(read_error(header_cut).find("goes beyond the file"), std::string::npos);
}

TEST(Safetensors, RefusesHeaderLengthBeyondFile) {
  std::vector<uint8_t> f = make_file("{}", {});
  f[7] = 0xff;  // 2^63-ish
  EXPECT_NE(read_error(f).find("header length"), std::string::npos);
  std::vector<uint8_t> g = make_file("{}", {});
  g[0] = 3;
  EXPECT_EQ(read_error(g), "header length 3 goes beyond the file (10 bytes)");
}

TEST(Safetensors, RefusesBadJson) {
  std::string e = read_error(make_file(R"({"a": {"dtype": "F32",})", {}));
  EXPECT_EQ(e.rfind("bad JSON header: line 1, column ", 0), 0u) << e;
  EXPECT_EQ(read_error(make_file("[1, 2]", {})), "header does not start with a JSON object '{'");
  EXPECT_EQ(read_error(make_file(R"({"__metadata__": {"a": 1}})", {})),
            "bad header: __metadata__ value \"a\" is not a string");
  EXPECT_EQ(read_error(make_file(R"({"__metadata__": []})", {})), "bad header: __metadata__ is not an object");
  EXPECT_EQ(read_error(make_file(R"({"t": 5})", {})), "tensor \"t\": header entry is not an object");
  EXPECT_EQ(read_error(make_file(R"({"t": {"shape": [1], "data_offsets": [0, 4]}})", std::vector<uint8_t>(4))),
            "tensor \"t\": missing \"dtype\" string");
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F32", "data_offsets": [0, 4]}})", std::vector<uint8_t>(4))),
            "tensor \"t\": missing \"shape\" array");
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
                                 std::vector<uint8_t>(4))),
            "tensor \"t\": missing \"data_offsets\" [begin, end]");
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
                                 std::vector<uint8_t>(4))),
            "tensor \"t\": shape holds something other than a non-negative integer");
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
                                 std::vector<uint8_t>(4))),
            "tensor \"t\": shape holds something other than a non-negative integer");
}

TEST(Safetensors, RefusesUnknownDtype) {
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})",
                                 std::vector<uint8_t>(8))),
            "tensor \"t\": unsupported dtype \"I64\" (F32, F16 and BF16 are read)");
}

TEST(Safetensors, RefusesOffsetsOutOfRangeOverlappingOrNotCovering) {
  std::vector<uint8_t> eight(8);
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", eight)),
            "tensor \"t\": data_offsets [4,12] out of range (data is 8 bytes)");
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}})", eight)),
            "tensor \"t\": bad data_offsets [4,0]");
  EXPECT_EQ(read_error(make_file(
                R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                eight)),
            "tensor \"b\": data_offsets overlap another tensor's");
  EXPECT_EQ(read_error(make_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", eight)),
            "tensor \"a\": gap of 4 bytes before its data");
  EXPECT_EQ(read_error(make_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", eight)),
            "tensors cover 4 of the 8 data bytes");
  EXPECT_EQ(read_error(make_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 1e300]}})", eight)),
            "tensor \"a\": bad data_offsets [0,1e+300]");
}

TEST(Safetensors, RefusesShapeSizeMismatch) {
  std::vector<uint8_t> eight(8);
  EXPECT_EQ(read_error(make_file(R"({"t": {"dtype": "F16", "shape": [2], "data_offsets": [0, 8]}})", eight)),
            "tensor \"t\": data_offsets span 8 bytes but shape [2] of F16 needs 4");
  // A shape whose product overflows 64 bits is caught before multiplying further.
  std::string e = read_error(make_file(
      R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8]}})", eight));
  EXPECT_EQ(e, "tensor \"t\": shape [4294967296,4294967296,4294967296] is larger than the file's data");
}

TEST(Safetensors, ReadsBf16AndZeroSizedTensors) {
  // bf16 0x3f80 = 1.0, 0xc040 = -3.0
  auto r0 = make_file(
      R"({"z": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}, "b": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}})",
      {0x80, 0x3f, 0x40, 0xc0});
  auto r = p2p::read_safetensors(r0.data(), r0.size());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights.at("b").data, (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ(r.value.dtypes.at("b"), DType::BF16);
  EXPECT_EQ(r.value.weights.at("z").shape, (p2p::Shape{0, 3}));
  EXPECT_TRUE(r.value.weights.at("z").data.empty());
}

}  // namespace
