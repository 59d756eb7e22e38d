// Seeded random mutations (bit flips, truncations, insertions, length fields set huge) of valid
// inputs for each parser of outside files: each must return a value or an error, never crash or
// hang, and any value it returns must be self-consistent (tensor sizes match shapes).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "shared/file_io.h"
#include "shared/json.h"
#include "shared/npy.h"
#include "shared/safetensors.h"
#include "shared/torch_checkpoint.h"
#include "shared/zip_reader.h"
#include "tests/shared/fixtures.h"
#include "tests/shared/torch_test_util.h"

namespace {

// Mutates bytes in place; positions are drawn from [lo, hi) when that range is not empty.
void mutate(std::vector<uint8_t>& b, std::mt19937& rng, size_t lo = 0, size_t hi = 0) {
  auto pick = [&](size_t n) { return n == 0 ? size_t(0) : size_t(rng() % n); };
  auto pos = [&] {  // b shrinks and grows as mutations apply, so clamp each time
    size_t h = std::min(hi, b.size());
    return lo < h ? lo + pick(h - lo) : pick(b.size());
  };
  int count = 1 + int(rng() % 3);
  for (int k = 0; k < count && !b.empty(); k++) {
    switch (rng() % 7) {
      case 0: b[pos()] ^= uint8_t(1u << (rng() % 8)); break;  // bit flip
      case 1: b[pos()] = uint8_t(rng()); break;                // random byte
      case 2: b.resize(pick(b.size())); break;                 // truncation
      case 3: {                                                // inserted bytes
        size_t at = pos();
        std::vector<uint8_t> ins(1 + pick(16));
        for (uint8_t& c : ins) c = uint8_t(rng());
        b.insert(b.begin() + long(at), ins.begin(), ins.end());
        break;
      }
      case 4: {  // deleted range
        size_t at = pos(), n = std::min(b.size() - at, 1 + pick(16));
        b.erase(b.begin() + long(at), b.begin() + long(at + n));
        break;
      }
      case 5: {  // a length or count field set huge (or to a boundary value)
        static const uint64_t huge[] = {0xffffffffffffffffull, 0x7fffffffffffffffull, 0xffffffffull, 0x80000000ull,
                                        0xffffull, 0x100000000ull, 0};
        uint64_t v = huge[rng() % 7];
        size_t at = pos(), width = size_t(1) << (rng() % 4);  // 1, 2, 4 or 8 bytes
        for (size_t i = 0; i < width && at + i < b.size(); i++) b[at + i] = uint8_t(v >> (8 * i));
        break;
      }
      case 6: b[pos()] = uint8_t("0123456789{}[]\",:-.eE"[rng() % 21]); break;  // plausible text
    }
  }
}

void expect_consistent(const p2p::Weights& w) {
  for (const auto& [name, t] : w) ASSERT_EQ(int64_t(t.data.size()), t.numel()) << name;
}

TEST(ParserMutation, Safetensors) {
  p2p::Weights w;
  w["a.weight"] = p2p::Tensor({4, 3, 2, 2}, 0.25f);
  w["a.bias"] = p2p::Tensor({4}, -1.0f);
  w["b"] = p2p::Tensor({}, 2.0f);
  for (p2p::DType dt : {p2p::DType::F32, p2p::DType::F16}) {
    const std::vector<uint8_t> valid = p2p::write_safetensors(w, {{"format", "pt"}, {"note", "x"}}, dt);
    std::mt19937 rng(dt == p2p::DType::F32 ? 1 : 2);
    size_t header_end = 8 + (valid[0] | (valid[1] << 8));
    int accepted = 0;
    for (int i = 0; i < 2000; i++) {
      std::vector<uint8_t> b = valid;
      if (i % 2) mutate(b, rng, 0, header_end);  // half of them aimed at the length field and header
      else mutate(b, rng);
      auto r = p2p::read_safetensors(b.data(), b.size());
      if (r.ok()) {
        accepted++;
        expect_consistent(r.value.weights);
      } else {
        ASSERT_FALSE(r.error.empty());
        ASSERT_EQ(r.error.find('\n'), std::string::npos) << r.error;
      }
    }
    EXPECT_GT(accepted, 0);  // some mutations only touch data bytes
  }
}

TEST(ParserMutation, Npy) {
  p2p::Tensor t({2, 3, 4});
  for (size_t i = 0; i < t.data.size(); i++) t.data[i] = float(i);
  const std::vector<uint8_t> valid = p2p::write_npy(t);
  std::mt19937 rng(3);
  for (int i = 0; i < 4000; i++) {
    std::vector<uint8_t> b = valid;
    if (i % 2) mutate(b, rng, 0, 128);
    else mutate(b, rng);
    auto r = p2p::read_npy(b.data(), b.size());
    if (r.ok()) ASSERT_EQ(int64_t(r.value.data.size()), r.value.numel());
    else ASSERT_FALSE(r.error.empty());
  }
}

TEST(ParserMutation, Json) {
  const std::string text = R"({"format": "pix2pix-studio", "version": 1, "arch": {"netG": "unet_256", "ngf": 64,
    "norm": "batch", "dropout": true, "sizes": [256, 512, 1.5e3, -0.25]}, "license": "MIT \u00e9 \"q\"",
    "tensors": [{"name": "model.0.weight", "shape": [64, 3, 4, 4]}, null, false, {}], "empty": []})";
  std::vector<uint8_t> valid(text.begin(), text.end());
  std::mt19937 rng(4);
  for (int i = 0; i < 4000; i++) {
    std::vector<uint8_t> b = valid;
    mutate(b, rng);
    auto r = p2p::parse_json(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    if (!r.ok()) {
      ASSERT_EQ(r.error.rfind("line ", 0), 0u) << r.error;
      continue;
    }
    // Whatever parses prints and parses back to the same value.
    auto again = p2p::parse_json(r.value.dump());
    ASSERT_TRUE(again.ok()) << again.error;
    ASSERT_EQ(again.value, r.value);
  }
}

void mutate_checkpoint(const std::vector<uint8_t>& valid, int iterations, uint32_t seed) {
  auto zip = p2p::read_zip(valid.data(), valid.size());
  ASSERT_TRUE(zip.ok()) << zip.error;
  const p2p::ZipEntry* pkl = nullptr;
  for (const auto& e : zip.value.entries)
    if (e.name.size() > 9 && e.name.substr(e.name.size() - 9) == "/data.pkl") pkl = &e;
  ASSERT_NE(pkl, nullptr);
  size_t pkl_lo = pkl->data_offset, pkl_hi = pkl->data_offset + pkl->size;
  size_t tail = valid.size() > 4096 ? valid.size() - 4096 : 0;  // central directory and end records
  std::mt19937 rng(seed);
  for (int i = 0; i < iterations; i++) {
    std::vector<uint8_t> b = valid;
    switch (i % 4) {
      case 0:
      case 1: mutate(b, rng, pkl_lo, pkl_hi); break;  // the unpickler
      case 2: mutate(b, rng, tail, valid.size()); break;  // the zip directory
      default: mutate(b, rng); break;
    }
    // CRC checking off so that mutations reach the unpickler and the tensor gathering.
    auto r = p2p::read_torch_checkpoint(b.data(), b.size(), {/*check_crc=*/false});
    if (r.ok()) expect_consistent(r.value.weights);
    else ASSERT_FALSE(r.error.empty());
  }
}

TEST(ParserMutation, TorchCheckpointSynthetic) {
  std::vector<float> st;
  for (int i = 0; i < 24; i++) st.push_back(float(i));
  auto pk = p2p_test::state_dict_pickle({{"w", "FloatStorage", "0", 24, 0, {2, 3, 2, 2}, {12, 4, 2, 1}},
                                         {"t", "FloatStorage", "0", 24, 1, {3, 4}, {1, 3}},
                                         {"n", "LongStorage", "1", 1, 0, {}, {}},
                                         {"b", "FloatStorage", "2", 3, 0, {3}, {1}}});
  auto valid = p2p_test::make_checkpoint(
      pk, {{"0", p2p_test::float_bytes(st)}, {"1", std::vector<uint8_t>(8, 1)}, {"2", p2p_test::float_bytes({1, 2, 3})}});
  ASSERT_TRUE(p2p::read_torch_checkpoint(valid.data(), valid.size()).ok());
  mutate_checkpoint(valid, 3000, 5);
}

TEST(ParserMutation, TorchCheckpointFixture) {
  P2P_REQUIRE_FIXTURES();  // the in-tree set
  auto valid = p2p::read_file(p2p_test::fixture_dir() + "/patchgan_basic_batch/latest_net_D.pth");
  ASSERT_TRUE(valid.ok()) << valid.error;
  mutate_checkpoint(valid.value, 1500, 6);
}

}  // namespace
