// Tests for shared/bundle: write and read back a web model bundle, and each way a bundle is refused.
#include "shared/bundle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "shared/file_io.h"
#include "shared/safetensors.h"
#include "shared/sha256.h"

using namespace p2p;

namespace {

std::string temp_dir(const std::string& name) {
  std::string dir = testing::TempDir();
  if (dir.empty() || dir.back() != '/') dir += '/';
  return dir + "p2p_bundle_" + name + "_" + std::to_string(long(getpid()));
}

ModelSpec small_spec() {
  ModelSpec s;
  s.net = "unet_32";
  s.ngf = 2;
  s.norm = Norm::Batch;
  return s;
}

BundleInfo small_info() {
  BundleInfo info;
  info.name = "edges2shoes tiny";
  info.spec = small_spec();
  info.norm_mode = NormMode::Running;
  info.direction = "BtoA";
  info.provenance["dataset"] = "edges2shoes";
  info.provenance["epochs"] = 3;
  info.license = "CC-BY-4.0";
  info.attribution = "test";
  return info;
}

Weights small_weights(uint64_t seed = 1) { return init_weights(build(small_spec()).value, seed); }

// A bundle's two files in memory, to be spoiled one way or another.
struct Files {
  Json manifest;
  std::vector<uint8_t> weights;
  Result<Bundle> read() const {
    std::string text = manifest.dump(2);
    return read_bundle_from_memory(text, weights.data(), weights.size());
  }
};

Files make_files(bool fp16 = false) {
  Weights w = small_weights();
  Files f;
  f.weights = write_safetensors(w, small_spec().to_metadata(), fp16 ? DType::F16 : DType::F32);
  f.manifest = bundle_manifest(small_info(), sha256_hex(f.weights.data(), f.weights.size()), fp16);
  return f;
}

void expect_fails(const Files& f, const std::string& fragment) {
  Result<Bundle> b = f.read();
  ASSERT_FALSE(b.ok()) << "expected failure mentioning " << fragment;
  EXPECT_NE(b.error.find(fragment), std::string::npos) << b.error;
  EXPECT_EQ(b.error.find('\n'), std::string::npos) << b.error;
}

}  // namespace

TEST(Bundle, ManifestFields) {
  Json j = bundle_manifest(small_info(), "ab", true);
  EXPECT_EQ(j.get_string("format"), "pix2pix-studio-bundle");
  EXPECT_EQ(j.get_int("version"), 1);
  EXPECT_EQ(j.get_string("task"), "sketch");
  EXPECT_EQ(j["model"].get_string("net"), "unet_32");
  EXPECT_EQ(j["model"].get_string("ngf"), "2");
  EXPECT_EQ(j["input"].get_int("channels"), 3);
  EXPECT_EQ(j["input"]["range"][0].as_number(), -1);
  EXPECT_EQ(j["output"]["range"][1].as_number(), 1);
  EXPECT_EQ(j.get_string("direction"), "BtoA");
  EXPECT_EQ(j.get_string("norm_mode"), "running");
  EXPECT_FALSE(j["dropout"].get_bool("available", true));  // unet_32 has no dropout levels
  EXPECT_EQ(j["weights"].get_string("dtype"), "float16");
  EXPECT_EQ(j["weights"].get_string("sha256"), "ab");
  EXPECT_EQ(j["provenance"].get_string("dataset"), "edges2shoes");
  EXPECT_EQ(j.get_string("license"), "CC-BY-4.0");

  BundleInfo style;
  style.task = "style";
  style.spec = ModelSpec::transformer();
  Json s = bundle_manifest(style, "", false);
  EXPECT_EQ(s["input"]["range"][1].as_number(), 255);
  ModelSpec drop = small_spec();
  drop.net = "unet_128";
  style.spec = drop;
  EXPECT_TRUE(bundle_manifest(style, "", false)["dropout"].get_bool("available"));
}

TEST(Bundle, WriteReadRoundTrip) {
  std::string dir = temp_dir("rt");
  Weights w = small_weights();
  for (bool fp16 : {false, true}) {
    Status s = write_bundle(dir, small_info(), w, fp16);
    ASSERT_TRUE(s.ok()) << s.error;
    Result<Bundle> b = read_bundle(dir);
    ASSERT_TRUE(b.ok()) << b.error;
    EXPECT_EQ(b.value.name, "edges2shoes tiny");
    EXPECT_EQ(b.value.spec.to_metadata(), small_spec().to_metadata());
    EXPECT_EQ(b.value.norm_mode, NormMode::Running);
    EXPECT_EQ(b.value.direction, "BtoA");
    EXPECT_EQ(b.value.task, "sketch");
    EXPECT_EQ(b.value.height, 256);
    EXPECT_EQ(b.value.fp16, fp16);
    EXPECT_FALSE(b.value.dropout_available);
    EXPECT_EQ(b.value.manifest["provenance"].get_int("epochs"), 3);
    ASSERT_EQ(b.value.weights.size(), w.size());
    for (const auto& [name, t] : w) {
      const Tensor& r = b.value.weights.at(name);
      ASSERT_EQ(r.shape, t.shape) << name;
      for (size_t k = 0; k < t.data.size(); k++)
        ASSERT_EQ(r.data[k], fp16 ? half_to_float(float_to_half(t.data[k])) : t.data[k]) << name;
    }
    // The bundle's ONNX equals the one written from the same weights directly.
    OnnxOptions opt;
    opt.doc = "x";
    Result<std::vector<uint8_t>> a = bundle_to_onnx(b.value, opt);
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.value, write_onnx(build(small_spec()).value, b.value.weights, opt).value);
    // Its own choices: its norm mode and precision, the exporter's doc string, no noise.
    OnnxOptions own = onnx_options(b.value);
    EXPECT_EQ(own.norm_mode, b.value.norm_mode);
    EXPECT_EQ(own.fp16, fp16);
    EXPECT_EQ(own.doc, b.value.spec.describe());
    EXPECT_FALSE(own.dropout_noise);
  }
  // Writing twice gives the same files.
  ASSERT_TRUE(write_bundle(dir, small_info(), w, false).ok());
  auto first = read_file(dir + "/model.json"), firstw = read_file(dir + "/weights.safetensors");
  ASSERT_TRUE(write_bundle(dir, small_info(), w, false).ok());
  EXPECT_EQ(read_file(dir + "/model.json").value, first.value);
  EXPECT_EQ(read_file(dir + "/weights.safetensors").value, firstw.value);
}

TEST(Bundle, WriteRefusesWeightsOfAnotherArchitecture) {
  ModelSpec wide = small_spec();
  wide.ngf = 4;
  Weights w = init_weights(build(wide).value, 1);
  Status s = write_bundle(temp_dir("bad"), small_info(), w, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error.find("model.model.0.weight"), std::string::npos) << s.error;
  EXPECT_FALSE(file_exists(temp_dir("bad") + "/model.json"));
  BundleInfo info = small_info();
  info.task = "paint";
  EXPECT_FALSE(write_bundle(temp_dir("bad"), info, small_weights(), false).ok());
}

TEST(Bundle, ReadsFromMemory) {
  Files f = make_files();
  Result<Bundle> b = f.read();
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.weights.size(), small_weights().size());
  // The digest may be written in upper case.
  std::string upper = f.manifest["weights"].get_string("sha256");
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  f.manifest["weights"]["sha256"] = upper;
  EXPECT_TRUE(f.read().ok());
}

TEST(Bundle, RefusesBadJson) {
  Files f = make_files();
  std::string text = f.manifest.dump() + "}";
  Result<Bundle> b = read_bundle_from_memory(text, f.weights.data(), f.weights.size());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error.rfind("model.json: ", 0), 0u) << b.error;
  EXPECT_FALSE(read_bundle_from_memory("[1, 2]", f.weights.data(), f.weights.size()).ok());
}

TEST(Bundle, RefusesMissingOrMistypedFields) {
  for (const char* key : {"format", "version", "name", "task", "model", "input", "weights", "direction", "norm_mode"}) {
    Files f = make_files();
    f.manifest.erase(key);
    expect_fails(f, std::string("'") + key + "'");
  }
  Files f = make_files();
  f.manifest["weights"].erase("sha256");
  expect_fails(f, "weights: missing field 'sha256'");
  f = make_files();
  f.manifest["input"]["height"] = "256";
  expect_fails(f, "'height' must be a number");
  f = make_files();
  f.manifest["task"] = "paint";
  expect_fails(f, "'task' is 'paint'");
  f = make_files();
  f.manifest["input"]["channels"] = 1;
  expect_fails(f, "1 channels");
  f = make_files();
  f.manifest["model"]["net"] = "unet_33";
  expect_fails(f, "unknown generator");
}

TEST(Bundle, RefusesOtherFormatsAndVersions) {
  Files f = make_files();
  f.manifest["format"] = "tfjs-layers-model";
  expect_fails(f, "format 'tfjs-layers-model'");
  f = make_files();
  f.manifest["version"] = 2;
  expect_fails(f, "version 2");
}

TEST(Bundle, RefusesDigestMismatch) {
  Files f = make_files();
  f.weights[f.weights.size() / 2] ^= 1;
  expect_fails(f, "sha256");
  f = make_files();
  f.weights.resize(f.weights.size() - 4);  // truncated download
  expect_fails(f, "sha256");
}

TEST(Bundle, RefusesWeightsOfAnotherArchitecture) {
  // ngf 2 weights under an ngf 4 model.json (wider weights are refused by their size alone, below).
  Files f = make_files();
  f.manifest["model"]["ngf"] = "4";
  expect_fails(f, "weights do not fit unet_32 ngf 4");

  // Declared float16, stored float32: twice the bytes the network can hold.
  f = make_files();
  f.manifest["weights"]["dtype"] = "float16";
  expect_fails(f, "needs at float16");

  // Not safetensors at all.
  f = make_files();
  f.weights = {1, 2, 3};
  f.manifest["weights"]["sha256"] = sha256_hex(f.weights.data(), f.weights.size());
  expect_fails(f, "weights file: ");
}

TEST(Bundle, ReadBundleRefusesMissingFilesAndEscapingPaths) {
  Result<Bundle> b = read_bundle(temp_dir("absent"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error.find("model.json"), std::string::npos) << b.error;

  std::string dir = temp_dir("escape");
  ASSERT_TRUE(write_bundle(dir, small_info(), small_weights(), false).ok());
  Result<std::vector<uint8_t>> text = read_file(dir + "/model.json");
  Json j = parse_json(std::string(text.value.begin(), text.value.end())).value;
  j["weights"]["file"] = "../weights.safetensors";
  ASSERT_TRUE(write_file_atomic(dir + "/model.json", j.dump()).ok());
  b = read_bundle(dir);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error.find("plain file name"), std::string::npos) << b.error;
}

TEST(Bundle, WeightsLimitComesFromModelJsonAlone) {
  for (bool fp16 : {false, true}) {
    Files f = make_files(fp16);
    Result<uint64_t> limit = bundle_weights_limit(f.manifest.dump());
    ASSERT_TRUE(limit.ok()) << limit.error;
    EXPECT_GE(limit.value, f.weights.size());
    EXPECT_LT(limit.value, f.weights.size() + 64 * 1024) << "the limit should stay near the real size";
    f.weights.resize(limit.value + 1);  // bigger than the network can fill: refused before its digest is taken
    expect_fails(f, "more than the " + std::to_string(limit.value));
  }
  Files f = make_files();
  f.manifest["model"]["net"] = "unet_256";
  f.manifest["model"]["ngf"] = "4096";  // billions of weights: refused before a byte is fetched
  Result<uint64_t> huge = bundle_weights_limit(f.manifest.dump());
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error.find("more weights than a bundle may hold"), std::string::npos) << huge.error;
  expect_fails(f, "more weights than a bundle may hold");
  EXPECT_EQ(bundle_weights_limit("{\"format\": ").error.rfind("model.json: ", 0), 0u);
}
