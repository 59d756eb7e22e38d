// The pix2pix program end to end (build/bin/pix2pix): info numbers, import -> run -> export on a
// reference fixture, and one-line errors with a non-zero exit that leave nothing at the output path.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/models.h"
#include "shared/npy.h"
#include "shared/safetensors.h"
#include "tests/shared/fixtures.h"

using namespace p2p;

namespace {

struct Outcome {
  int code = -1;
  std::string out, err;
};

// The program under test: P2P_BIN from the build, or the environment's P2P_BIN (another build's binary).
std::string bin() {
  const char* env = std::getenv("P2P_BIN");
  return env && *env ? env : P2P_BIN;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!file_exists(bin())) GTEST_FAIL() << bin() << " is not built (ninja pix2pix)";
    char tmpl[] = "/tmp/p2p_cli_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  Outcome pix2pix(const std::string& args) {
    std::string cmd = bin() + " " + args + " >'" + path("stdout.txt") + "' 2>'" + path("stderr.txt") + "'";
    int st = std::system(cmd.c_str());
    Outcome r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(path("stdout.txt"));
    r.err = slurp(path("stderr.txt"));
    return r;
  }

  // A failure: non-zero exit, exactly one line "pix2pix <cmd>: ..." on stderr, containing `what`.
  void expect_one_line_error(const Outcome& r, const std::string& what) {
    EXPECT_NE(r.code, 0);
    EXPECT_EQ(r.err.rfind("pix2pix ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << "expected '" << what << "' in: " << r.err;
  }

  // No output file and no temporary left in the folder.
  void expect_nothing_written(const std::string& name) {
    EXPECT_FALSE(file_exists(path(name))) << name << " was written";
    DIR* d = opendir(dir_.c_str());
    ASSERT_NE(d, nullptr);
    while (dirent* e = readdir(d)) EXPECT_EQ(std::string(e->d_name).find(".tmp"), std::string::npos) << e->d_name;
    closedir(d);
  }

  // A small generator with fresh weights, as train would write it.
  std::string write_model(const ModelSpec& spec, const std::string& name) {
    Graph g = build(spec).value;
    EXPECT_TRUE(save_safetensors(path(name), init_weights(g, 5), spec.to_metadata()).ok());
    return path(name);
  }

  std::string dir_;
};

ModelSpec small_unet() {
  ModelSpec s;
  s.net = "unet_128", s.ngf = 4;
  return s;
}

double max_diff(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) return 1e30;
  double d = 0;
  for (size_t i = 0; i < a.data.size(); i++) d = std::max(d, double(std::fabs(a.data[i] - b.data[i])));
  return d;
}

}  // namespace

TEST_F(Cli, InfoPrintsReferenceNumbers) {
  Outcome r = pix2pix("info --netG unet_256 --norm batch");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("54413955"), std::string::npos) << r.out;
  r = pix2pix("info --netD basic --norm batch");
  EXPECT_NE(r.out.find("2768705"), std::string::npos) << r.out;
  r = pix2pix("info --arch transformer");
  EXPECT_NE(r.out.find("1679235"), std::string::npos) << r.out;
}

TEST_F(Cli, ImportRunExportRoundTrip) {
  P2P_REQUIRE_FIXTURES();
  std::string fx = p2p_test::fixture_dir() + "/unet256_batch/";
  Outcome r = pix2pix("import " + fx + "latest_net_G.pth --netG unet_256 --ngf 8 --norm batch -o " + path("g.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;
  Result<SafetensorsFile> st = load_safetensors(path("g.safetensors"));
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_EQ(st.value.metadata.at("net"), "unet_256");
  EXPECT_EQ(st.value.metadata.at("ngf"), "8");
  EXPECT_EQ(st.value.metadata.at("source"), "latest_net_G.pth");
  EXPECT_EQ(st.value.weights.count("model.model.1.model.2.num_batches_tracked"), 0u);

  // Default for a batch-norm generator: the reference protocol's statistics of the image itself.
  r = pix2pix("run --model " + path("g.safetensors") + " --input " + fx + "input.npy --output " + path("bs.npy"));
  ASSERT_EQ(r.code, 0) << r.err;
  double d = max_diff(load_npy(path("bs.npy")).value, load_npy(fx + "output_batchstats.npy").value);
  std::printf("[ cli      ] run (batchstats) vs reference: max abs diff %.3g\n", d);
  EXPECT_LE(d, 1e-5);
  r = pix2pix("run --model " + path("g.safetensors") + " --input " + fx + "input.npy --output " + path("ev.npy") +
              " --norm-mode running");
  ASSERT_EQ(r.code, 0) << r.err;
  d = max_diff(load_npy(path("ev.npy")).value, load_npy(fx + "output_eval.npy").value);
  std::printf("[ cli      ] run (running)    vs reference: max abs diff %.3g\n", d);
  EXPECT_LE(d, 1e-5);

  // An image of a size the net cannot take, gray into a 3-channel net: converted, padded, cropped back.
  Image gray(200, 150, 1);
  for (size_t i = 0; i < gray.pixels.size(); i++) gray.pixels[i] = uint8_t(i * 7);
  ASSERT_TRUE(save_png(path("gray.png"), gray).ok());
  r = pix2pix("run --model " + path("g.safetensors") + " --input " + path("gray.png") + " --output " + path("out.png"));
  ASSERT_EQ(r.code, 0) << r.err;
  Result<Image> out = load_image(path("out.png"));
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.value.width, 200);
  EXPECT_EQ(out.value.height, 150);
  EXPECT_EQ(out.value.channels, 3);

  r = pix2pix("export --model " + path("g.safetensors") + " --onnx " + path("g.onnx") + " --bundle " + path("bundle"));
  ASSERT_EQ(r.code, 0) << r.err;
  Result<std::vector<uint8_t>> onnx = read_file(path("g.onnx"));
  ASSERT_TRUE(onnx.ok());
  EXPECT_GT(onnx.value.size(), 100000u);
  Result<Bundle> b = read_bundle(path("bundle"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.spec.describe(), "unet_256 ngf 8 norm batch dropout 3->3");
  EXPECT_EQ(b.value.norm_mode, NormMode::BatchStats);
  EXPECT_TRUE(b.value.dropout_available);
  for (const auto& [name, t] : st.value.weights) EXPECT_EQ(b.value.weights.at(name).data, t.data) << name;
}

TEST_F(Cli, TransformerImportAndRun) {
  P2P_REQUIRE_FIXTURES();
  std::string fx = p2p_test::fixture_dir() + "/transformer_net/";
  Outcome r = pix2pix("import " + fx + "style.pth --arch transformer -o " + path("t.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = pix2pix("run --model " + path("t.safetensors") + " --input " + fx + "input.npy --output " + path("t.npy"));
  ASSERT_EQ(r.code, 0) << r.err;
  double d = max_diff(load_npy(path("t.npy")).value, load_npy(fx + "output.npy").value);
  std::printf("[ cli      ] transformer run vs reference: max abs diff %.3g\n", d);
  EXPECT_LE(d, 1e-5 * 255);
}

TEST_F(Cli, ImportRefusals) {
  P2P_REQUIRE_FIXTURES();
  std::string ck = p2p_test::fixture_dir() + "/unet256_batch/latest_net_G.pth";
  // Wrong width: the first tensor already differs; both shapes named.
  Outcome r = pix2pix("import " + ck + " --netG unet_256 --ngf 16 -o " + path("w.safetensors"));
  expect_one_line_error(r, "does not fit the chosen architecture");
  EXPECT_NE(r.err.find("model.model.0.weight"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[8, 3, 4, 4]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[16, 3, 4, 4]"), std::string::npos) << r.err;
  EXPECT_EQ(r.code, 2);
  expect_nothing_written("w.safetensors");
  // Wrong depth and norm: a named tensor.
  r = pix2pix("import " + ck + " --netG unet_128 --ngf 8 --norm instance -o " + path("w.safetensors"));
  expect_one_line_error(r, "tensor '");
  expect_nothing_written("w.safetensors");
  // A generator checkpoint as a discriminator.
  r = pix2pix("import " + ck + " --netD basic --ndf 8 -o " + path("w.safetensors"));
  expect_one_line_error(r, "does not fit");
  expect_nothing_written("w.safetensors");
}

TEST_F(Cli, BadInputGivesOneLineAndNothingWritten) {
  ASSERT_TRUE(write_file_atomic(path("junk.pth"), std::string("PK\x03\x04 not really a checkpoint")).ok());
  Outcome r = pix2pix("import " + path("junk.pth") + " --netG unet_128 -o " + path("o.safetensors"));
  expect_one_line_error(r, "junk.pth");
  expect_nothing_written("o.safetensors");

  r = pix2pix("import " + path("missing.pth") + " -o " + path("o.safetensors"));
  expect_one_line_error(r, "missing.pth");
  expect_nothing_written("o.safetensors");

  std::string model = write_model(small_unet(), "m.safetensors");
  Tensor x({1, 3, 128, 128}, 0.25f);
  ASSERT_TRUE(save_npy(path("x.npy"), x).ok());
  r = pix2pix("run --model " + model + " --input " + path("x.npy") + " --output " + path("y.npy"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(load_npy(path("y.npy")).value.shape, (Shape{1, 3, 128, 128}));
  std::remove(path("y.npy").c_str());

  // Truncated safetensors.
  Result<std::vector<uint8_t>> bytes = read_file(model);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(write_file_atomic(path("cut.safetensors"), bytes.value.data(), bytes.value.size() / 2).ok());
  r = pix2pix("run --model " + path("cut.safetensors") + " --input " + path("x.npy") + " --output " + path("y.npy"));
  expect_one_line_error(r, "cut.safetensors");
  expect_nothing_written("y.npy");
  r = pix2pix("export --model " + path("cut.safetensors") + " --onnx " + path("y.onnx"));
  expect_one_line_error(r, "cut.safetensors");
  expect_nothing_written("y.onnx");

  // Safetensors without an architecture.
  ASSERT_TRUE(save_safetensors(path("bare.safetensors"), init_weights(build(small_unet()).value, 1)).ok());
  r = pix2pix("run --model " + path("bare.safetensors") + " --input " + path("x.npy") + " --output " + path("y.npy"));
  expect_one_line_error(r, "arch");
  expect_nothing_written("y.npy");

  // Wrong channel count: a 4-channel tensor into a 3-channel net; an image into a 6-channel discriminator.
  ASSERT_TRUE(save_npy(path("x4.npy"), Tensor({1, 4, 128, 128})).ok());
  r = pix2pix("run --model " + model + " --input " + path("x4.npy") + " --output " + path("y.npy"));
  expect_one_line_error(r, "4 channels, the network takes 3");
  expect_nothing_written("y.npy");
  ModelSpec d;
  d.arch = "discriminator", d.net = "basic", d.ndf = 4, d.input_nc = 6, d.output_nc = 1;
  std::string dmodel = write_model(d, "d.safetensors");
  ASSERT_TRUE(save_png(path("rgb.png"), Image(64, 64, 3, 100)).ok());
  r = pix2pix("run --model " + dmodel + " --input " + path("rgb.png") + " --output " + path("y.npy"));
  expect_one_line_error(r, "6 channels");
  expect_nothing_written("y.npy");

  // RGBA into a 3-channel net is converted.
  ASSERT_TRUE(save_png(path("rgba.png"), Image(128, 128, 4, 200)).ok());
  r = pix2pix("run --model " + model + " --input " + path("rgba.png") + " --output " + path("rgba_out.png"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(path("rgba_out.png")));

  // A corrupt image, a missing image, an unknown option, an unknown output type.
  ASSERT_TRUE(write_file_atomic(path("bad.png"), std::string("\x89PNG\r\n\x1a\n garbage")).ok());
  r = pix2pix("run --model " + model + " --input " + path("bad.png") + " --output " + path("y.png"));
  expect_one_line_error(r, "bad.png");
  expect_nothing_written("y.png");
  r = pix2pix("run --model " + model + " --input " + path("nothing.png") + " --output " + path("y.png"));
  expect_one_line_error(r, "nothing.png");
  expect_nothing_written("y.png");
  r = pix2pix("run --model " + model + " --bogus 1 --input " + path("x.npy") + " --output " + path("y.npy"));
  expect_one_line_error(r, "unknown option '--bogus'");
  EXPECT_EQ(r.code, 2);
  expect_nothing_written("y.npy");
  r = pix2pix("run --model " + model + " --input " + path("x.npy") + " --output " + path("y.txt"));
  expect_one_line_error(r, ".npy");
  r = pix2pix("export --model " + model);
  expect_one_line_error(r, "--onnx");
  r = pix2pix("export --model " + dmodel + " --bundle " + path("dbundle"));
  expect_one_line_error(r, "bundle");
  expect_nothing_written("dbundle");
  r = pix2pix("frobnicate");
  EXPECT_EQ(r.code, 2);
}

TEST_F(Cli, RunPadsOddSizesAndExportsRecordChoices) {
  std::string model = write_model(small_unet(), "m.safetensors");
  ASSERT_TRUE(save_npy(path("odd.npy"), Tensor({2, 3, 100, 131}, 0.5f)).ok());
  Outcome r = pix2pix("run --model " + model + " --input " + path("odd.npy") + " --output " + path("odd_out.npy") +
                  " --dropout-seed 3");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(load_npy(path("odd_out.npy")).value.shape, (Shape{2, 3, 100, 131}));
  r = pix2pix("export --model " + model + " --onnx " + path("m.onnx") + " --fp16 --norm-mode running --dropout-noise");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<std::vector<uint8_t>> bytes = read_file(path("m.onnx"));
  ASSERT_TRUE(bytes.ok()) << bytes.error;
  std::string onnx(bytes.value.begin(), bytes.value.end());
  EXPECT_NE(onnx.find("dropout_noise"), std::string::npos);
  r = pix2pix("export --model " + model + " --bundle " + path("b") + " --norm-mode running --name sketchy");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<Bundle> b = read_bundle(path("b"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.norm_mode, NormMode::Running);
  EXPECT_EQ(b.value.name, "sketchy");
}
