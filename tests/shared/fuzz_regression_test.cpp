// Inputs that crashed a fuzzer (tests/fuzz) under AddressSanitizer/UBSan, as the parser's cases. The
// saved inputs live in tests/fixtures/fuzz/<fuzzer>/, where scripts/fuzz also replays them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/npy.h"
#include "shared/safetensors.h"
#include "shared/sha256.h"

using namespace p2p;

namespace {

std::vector<uint8_t> fuzz_input(const std::string& fuzzer, const std::string& name) {
  std::string path = std::string(P2P_SOURCE_DIR) + "/tests/fixtures/fuzz/" + fuzzer + "/" + name;
  Result<std::vector<uint8_t>> bytes = read_file(path);
  EXPECT_TRUE(bytes.ok()) << bytes.error;
  return bytes.value;
}

}  // namespace

// model.json's whole numbers were converted to int64 before their range was checked: "version": 1.7e50
// was undefined behaviour (bundle_fuzz). Every such field now refuses numbers out of range, huge or not.
TEST(FuzzRegression, BundleRefusesWholeNumbersOutOfRange) {
  ModelSpec spec;
  spec.arch = p2p::Arch::Discriminator;
  spec.net = "pixel";
  spec.ndf = 1;
  spec.input_nc = 2;
  std::vector<uint8_t> weights = write_safetensors(init_weights(build(spec).value, 1), spec.to_metadata());
  BundleInfo info;
  info.spec = spec;
  Json good = bundle_manifest(info, sha256_hex(weights.data(), weights.size()), false);
  ASSERT_TRUE(read_bundle_from_memory(good.dump(), weights.data(), weights.size()).ok());
  for (double huge : {1.7e50, -1.7e50, 1e300, 9.3e18, -9.3e18}) {
    for (const char* field : {"version", "height", "width", "channels"}) {
      Json j = good;
      if (std::string(field) == "version") j[field] = huge;
      else j["input"][field] = huge;
      Result<Bundle> b = read_bundle_from_memory(j.dump(), weights.data(), weights.size());
      ASSERT_FALSE(b.ok()) << field << " " << huge;
      EXPECT_NE(b.error.find("must be a whole number"), std::string::npos) << b.error;
    }
  }
  // The saved input itself: flags byte 1 (the harness writes the weights' true digest), model.json, 0, weights.
  std::vector<uint8_t> saved = fuzz_input("bundle_fuzz", "version-1e50");
  auto nul = std::find(saved.begin() + 1, saved.end(), uint8_t(0));
  ASSERT_NE(nul, saved.end());
  Result<Json> j = parse_json(std::string(saved.begin() + 1, nul));
  ASSERT_TRUE(j.ok()) << j.error;
  std::vector<uint8_t> w(nul + 1, saved.end());
  j.value["weights"]["sha256"] = sha256_hex(w.data(), w.size());
  Result<Bundle> b = read_bundle_from_memory(j.value.dump(), w.data(), w.size());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error.find("'version' must be a whole number"), std::string::npos) << b.error;
}

// A corrupt JPEG whose Huffman codes run past the bits before a marker: stb's bit count goes negative
// and its next refill shifts by 33 (undefined; see tests/fuzz/ubsan_ignorelist.txt). Decoding must
// still end in an error or a well-formed image, for every channel count asked for.
TEST(FuzzRegression, JpegWhoseCodesOverrunTheScanDecodesOrFails) {
  std::vector<uint8_t> saved = fuzz_input("image_fuzz", "jpeg-negative-code-bits");
  ASSERT_GT(saved.size(), 1u);
  for (int desired : {0, 1, 3, 4}) {
    Result<Image> r = decode_image(saved.data() + 1, saved.size() - 1, desired);
    if (!r.ok()) continue;
    EXPECT_GT(r.value.width, 0);
    EXPECT_GT(r.value.height, 0);
    if (desired) EXPECT_EQ(r.value.channels, desired);
    EXPECT_EQ(r.value.pixels.size(), size_t(r.value.width) * r.value.height * r.value.channels);
  }
}

// A .npy whose shape holds a 0 after dims that multiply past int64: an empty array, but
// Tensor::numel multiplied in order and overflowed before the 0 (npy_fuzz). The same in safetensors.
TEST(FuzzRegression, EmptyTensorsWithHugeOtherDims) {
  std::vector<uint8_t> saved = fuzz_input("npy_fuzz", "empty-dim-after-huge-dims");
  Result<Tensor> t = read_npy(saved.data(), saved.size());
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.value.numel(), 0);
  EXPECT_TRUE(t.value.data.empty());

  const Shape huge = {int64_t(1) << 40, int64_t(1) << 40, 0, 3};
  EXPECT_EQ(Tensor::numel(huge), 0);
  std::string header = R"({"e":{"dtype":"F32","shape":[1099511627776,1099511627776,0,3],"data_offsets":[0,0]}})";
  std::vector<uint8_t> file(8);
  for (int i = 0; i < 8; i++) file[size_t(i)] = uint8_t(uint64_t(header.size()) >> (8 * i));
  file.insert(file.end(), header.begin(), header.end());
  Result<SafetensorsFile> st = read_safetensors(file.data(), file.size());
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_EQ(st.value.weights.at("e").shape, huge);
  EXPECT_EQ(st.value.weights.at("e").numel(), 0);
}
