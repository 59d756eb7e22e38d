// Tests for shared/npy: versions 1-3, float16/32/64, numpy-identical writing, refusals, fixtures.
#include "shared/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "shared/file_io.h"
#include "tests/shared/fixtures.h"

namespace {

// A .npy file from a header dict and raw data, as numpy lays it out for the given version.
std::vector<uint8_t> make_npy(int version, const std::string& dict, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', uint8_t(version), 0};
  std::string h = dict + "\n";
  size_t n = h.size();
  out.push_back(uint8_t(n));
  out.push_back(uint8_t(n >> 8));
  if (version > 1) {
    out.push_back(uint8_t(n >> 16));
    out.push_back(uint8_t(n >> 24));
  }
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

template <class T>
std::vector<uint8_t> raw(std::initializer_list<T> values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

std::string npy_error(const std::vector<uint8_t>& bytes) {
  auto r = p2p::read_npy(bytes.data(), bytes.size());
  EXPECT_FALSE(r.ok()) << "accepted";
  return r.error;
}

TEST(Npy, WritesExactlyWhatNumpyWrites) {
  p2p::Tensor t({2, 3});
  for (int i = 0; i < 6; i++) t.data[i] = float(i) - 2.5f;
  std::vector<uint8_t> b = p2p::write_npy(t);
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // numpy: 10-byte prefix + header padded with spaces + '\n' is a multiple of 64
  ASSERT_EQ((b.size() - 24) % 64, 0u);
  std::string header(b.begin() + 10, b.end() - 24);
  EXPECT_EQ(header, dict + std::string(128 - 10 - dict.size() - 1, ' ') + "\n");
  EXPECT_EQ(b[8] | (b[9] << 8), 118);
  EXPECT_EQ(std::vector<uint8_t>(b.end() - 24, b.end()), raw<float>({-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));

  // One-dimensional tuples carry the trailing comma; scalars are ().
  std::vector<uint8_t> v = p2p::write_npy(p2p::Tensor({7}));
  EXPECT_NE(std::string(v.begin(), v.begin() + 128).find("'shape': (7,), }"), std::string::npos);
  std::vector<uint8_t> s = p2p::write_npy(p2p::Tensor(p2p::Shape{}, 1.0f));
  EXPECT_NE(std::string(s.begin(), s.begin() + 128).find("'shape': (), }"), std::string::npos);
}

TEST(Npy, RoundTripExact) {
  for (p2p::Shape shape : {p2p::Shape{1, 3, 5, 7}, p2p::Shape{4}, p2p::Shape{}, p2p::Shape{0, 3}}) {
    p2p::Tensor t(shape);
    for (size_t i = 0; i < t.data.size(); i++) t.data[i] = float(i) * 0.37f - 3.0f;
    std::vector<uint8_t> b = p2p::write_npy(t);
    auto r = p2p::read_npy(b.data(), b.size());
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.shape, shape);
    EXPECT_EQ(r.value.data, t.data);
  }
}

TEST(Npy, ReadsVersionsAndFloatTypes) {
  auto f8 = make_npy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", raw<double>({0.25, -1e10}));
  auto r = p2p::read_npy(f8.data(), f8.size());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.data, (std::vector<float>{0.25f, -1e10f}));
  auto f16 = make_npy(3, "{\"descr\": \"<f2\", \"fortran_order\": False, \"shape\": (1, 2)}",
                      raw<uint16_t>({0x3c00, 0xc000}));
  r = p2p::read_npy(f16.data(), f16.size());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.shape, (p2p::Shape{1, 2}));
  EXPECT_EQ(r.value.data, (std::vector<float>{1.0f, -2.0f}));
  // Key order is free, as in numpy.
  auto k = make_npy(1, "{'shape': (1,), 'fortran_order': False, 'descr': '<f4'}", raw<float>({3.0f}));
  r = p2p::read_npy(k.data(), k.size());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.data, std::vector<float>{3.0f});
}

TEST(Npy, RefusesWithReasons) {
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  std::vector<uint8_t> two = raw<float>({1, 2});
  EXPECT_EQ(npy_error({1, 2, 3}), "not a .npy file (no \\x93NUMPY magic)");
  auto v9 = make_npy(1, f4, two);
  v9[6] = 9;
  EXPECT_EQ(npy_error(v9), "unsupported .npy version 9.0");
  auto cut = make_npy(1, f4, two);
  cut.resize(30);
  EXPECT_EQ(npy_error(cut).rfind("truncated: header of", 0), 0u);
  auto short_data = make_npy(1, f4, raw<float>({1}));
  EXPECT_EQ(npy_error(short_data), "data is 4 bytes but shape [2] of '<f4' needs 8");
  auto long_data = make_npy(1, f4, raw<float>({1, 2, 3}));
  EXPECT_EQ(npy_error(long_data), "data is 12 bytes but shape [2] of '<f4' needs 8");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", two)),
            "fortran_order True is not supported (save a C-contiguous array)");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", two)),
            "dtype '<i8' is not supported ('<f2', '<f4', '<f8' are read)");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", two)),
            "dtype '>f4' is big-endian; only little-endian floats are read");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", two)),
            "bad header: 'descr' is not a string");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '<f4', 'shape': (2,), }", two)),
            "bad header: header dict lacks one of 'descr', 'fortran_order', 'shape'");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", two)),
            "bad header: 'shape' holds something other than non-negative integers");
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", two)),
            "bad header: unexpected key 'x' in the header dict");
  EXPECT_EQ(npy_error(make_npy(1, "['descr']", two)), "bad header: header is not a dict: expected '{'");
  // Dimensions whose product overflows 64 bits are caught, not wrapped.
  EXPECT_EQ(npy_error(make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }",
                               two)),
            "data is 8 bytes but shape [4294967296, 4294967296, 2] of '<f4' needs more");
}

TEST(Npy, FileVariantsNameThePath) {
  std::string dir = testing::TempDir();
  if (dir.empty() || dir.back() != '/') dir += '/';
  std::string path = dir + "p2p_npy_" + std::to_string(long(getpid())) + ".npy";
  p2p::Tensor t({2, 2}, 1.5f);
  ASSERT_TRUE(p2p::save_npy(path, t).ok());
  auto r = p2p::load_npy(path);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.data, t.data);
  ASSERT_TRUE(p2p::write_file_atomic(path, std::string("garbage")).ok());
  r = p2p::load_npy(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, path + ": not a .npy file (no \\x93NUMPY magic)");
  std::remove(path.c_str());
}

class NpyFixtures : public ::testing::TestWithParam<p2p_test::FixtureSet> {};

TEST_P(NpyFixtures, ReadsEveryFixtureAndRewritesItByteForByte) {
  P2P_REQUIRE_FIXTURE_SET(GetParam());
  const std::string dir = p2p_test::fixture_dir(GetParam());
  struct Want {
    const char* file;
    p2p::Shape shape;
  };
  const std::vector<Want> in_tree = {{"unet256_batch/input.npy", {1, 1, 256, 256}},
                                     {"unet256_batch/output_eval.npy", {1, 1, 256, 256}},
                                     {"unet128_instance/output_eval.npy", {1, 3, 128, 128}},
                                     {"unet32_batch4/output_batchstats.npy", {4, 3, 32, 32}},
                                     {"resnet9_instance/input.npy", {1, 3, 48, 64}},
                                     {"patchgan_basic_batch/input.npy", {1, 6, 64, 64}},
                                     {"patchgan_basic_batch/output_eval.npy", {1, 1, 6, 6}},
                                     {"patchgan_n5_batch/output_eval.npy", {1, 1, 1, 2}},
                                     {"pixel_batch/output_batchstats.npy", {1, 1, 32, 48}},
                                     {"transformer_net/input.npy", {1, 3, 48, 64}},
                                     {"transformer_net/output_eval.npy", {1, 3, 48, 64}},
                                     {"vgg19_features/relu5_1.npy", {1, 512, 1, 1}},
                                     {"train_step/A.npy", {1, 3, 64, 64}},
                                     {"train_step/output_after_eval.npy", {1, 3, 64, 64}}};
  const std::vector<Want> shared = {{"unet256_batch/input.npy", {1, 3, 256, 256}},
                                    {"unet256_batch/output_eval.npy", {1, 3, 256, 256}},
                                    {"unet128_instance/output_batchstats.npy", {1, 3, 128, 128}},
                                    {"resnet9_instance/input.npy", {1, 3, 128, 128}},
                                    {"patchgan_basic_batch/input.npy", {1, 6, 256, 256}},
                                    {"patchgan_basic_batch/output_eval.npy", {1, 1, 30, 30}},
                                    {"transformer_net/input.npy", {1, 3, 96, 128}},
                                    {"transformer_net/output.npy", {1, 3, 96, 128}},
                                    {"train_step/A.npy", {1, 3, 256, 256}},
                                    {"train_step/output_after_eval.npy", {1, 3, 256, 256}}};
  for (const Want& w : GetParam() == p2p_test::FixtureSet::InTree ? in_tree : shared) {
    std::string path = dir + "/" + w.file;
    auto bytes = p2p::read_file(path);
    ASSERT_TRUE(bytes.ok()) << bytes.error;
    auto r = p2p::read_npy(bytes.value.data(), bytes.value.size());
    ASSERT_TRUE(r.ok()) << path << ": " << r.error;
    EXPECT_EQ(r.value.shape, w.shape) << w.file;
    EXPECT_EQ(p2p::write_npy(r.value), bytes.value) << w.file;
  }
  // Pix2pix inputs are in [-1, 1], the style net's in [0, 255].
  auto a = p2p::load_npy(dir + "/train_step/A.npy");
  ASSERT_TRUE(a.ok());
  for (float v : a.value.data) ASSERT_TRUE(v >= -1.0f && v <= 1.0f);
  auto s = p2p::load_npy(dir + "/transformer_net/input.npy");
  ASSERT_TRUE(s.ok());
  float hi = 0;
  for (float v : s.value.data) {
    ASSERT_TRUE(v >= 0.0f && v <= 255.0f);
    hi = std::max(hi, v);
  }
  EXPECT_GT(hi, 200.0f);
}

INSTANTIATE_TEST_SUITE_P(Sets, NpyFixtures, p2p_test::kFixtureSets, p2p_test::FixtureSetName());

}  // namespace
