// The pix2pix program end to end (build/bin/pix2pix): info numbers, import -> run -> export on a
// reference fixture, and one-line errors with a non-zero exit that leave nothing at the output path.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <onnx/onnx_pb.h>
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
#include "tests/native/cli_util.h"
#include "tests/shared/fixtures.h"

using namespace p2p;

namespace {

using p2p_test::Outcome;
using p2p_test::slurp;

// The program under test: P2P_BIN from the build, or the environment's P2P_BIN (another build's binary).
std::string bin() {
  const char* env = std::getenv("P2P_BIN");
  return env && *env ? env : P2P_BIN;
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

  Outcome pix2pix(const std::string& args) { return p2p_test::run_program(bin(), args, dir_); }

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

// Long commands start again with passive OpenMP waiting unless the environment chose a policy; libgomp
// shows what it took each time it starts (OMP_DISPLAY_ENV): a spin count of 0 is the passive policy.
TEST_F(Cli, LongCommandsRestartWithPassiveWaiting) {
  auto starts = [](const std::string& err) {
    size_t n = 0;
    for (size_t at = err.find("OPENMP DISPLAY ENVIRONMENT BEGIN"); at != std::string::npos;
         at = err.find("OPENMP DISPLAY ENVIRONMENT BEGIN", at + 1))
      n++;
    return n;
  };
  const std::string show = "OMP_DISPLAY_ENV=verbose";
  for (const char* cmd : {"train", "train-style", "test", "stylize"}) {
    Outcome r = p2p_test::run_program(bin(), std::string(cmd) + " --help", dir_, "env -u OMP_WAIT_POLICY " + show);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(starts(r.err), 2u) << cmd << ": " << r.err;
    EXPECT_NE(r.err.rfind("GOMP_SPINCOUNT = '0'"), std::string::npos) << cmd << ": " << r.err;
    EXPECT_GT(r.err.rfind("GOMP_SPINCOUNT = '0'"), r.err.rfind("OPENMP DISPLAY ENVIRONMENT BEGIN")) << r.err;
  }
  Outcome r = p2p_test::run_program(bin(), "train --help", dir_, "env OMP_WAIT_POLICY=active " + show);
  EXPECT_EQ(starts(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("OMP_WAIT_POLICY = 'ACTIVE'"), std::string::npos) << r.err;
  r = p2p_test::run_program(bin(), "run --help", dir_, "env -u OMP_WAIT_POLICY " + show);  // a forward pass: no restart
  EXPECT_EQ(starts(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.find("GOMP_SPINCOUNT = '0'"), std::string::npos) << r.err;
}

TEST_F(Cli, ImportRunExportRoundTrip) {
  P2P_REQUIRE_FIXTURES();
  std::string fx = p2p_test::fixture_dir() + "/unet256_batch/";  // unet_256, ngf 2, 1 -> 1 channel
  Outcome r = pix2pix("import " + fx + "latest_net_G.pth --netG unet_256 --ngf 2 --norm batch --input_nc 1 --output_nc 1 -o " +
                      path("g.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;
  Result<SafetensorsFile> st = load_safetensors(path("g.safetensors"));
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_EQ(st.value.metadata.at("net"), "unet_256");
  EXPECT_EQ(st.value.metadata.at("ngf"), "2");
  EXPECT_EQ(st.value.metadata.at("input_nc"), "1");
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

  // An image of a size the net cannot take: padded, cropped back.
  Image gray(200, 150, 1);
  for (size_t i = 0; i < gray.pixels.size(); i++) gray.pixels[i] = uint8_t(i * 7);
  ASSERT_TRUE(save_png(path("gray.png"), gray).ok());
  r = pix2pix("run --model " + path("g.safetensors") + " --input " + path("gray.png") + " --output " + path("out.png"));
  ASSERT_EQ(r.code, 0) << r.err;
  Result<Image> out = load_image(path("out.png"));
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.value.width, 200);
  EXPECT_EQ(out.value.height, 150);

  r = pix2pix("export --model " + path("g.safetensors") + " --onnx " + path("g.onnx") + " --bundle " + path("bundle"));
  ASSERT_EQ(r.code, 0) << r.err;
  Result<std::vector<uint8_t>> onnx = read_file(path("g.onnx"));
  ASSERT_TRUE(onnx.ok());
  EXPECT_GT(onnx.value.size(), 50000u);
  Result<Bundle> b = read_bundle(path("bundle"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.spec.describe(), "unet_256 ngf 2 norm batch dropout 1->1");
  EXPECT_EQ(b.value.norm_mode, NormMode::BatchStats);
  EXPECT_TRUE(b.value.dropout_available);
  for (const auto& [name, t] : st.value.weights) EXPECT_EQ(b.value.weights.at(name).data, t.data) << name;
}

TEST_F(Cli, TransformerImportAndRun) {
  P2P_REQUIRE_FIXTURES();
  std::string fx = p2p_test::fixture_dir() + "/transformer_net/";
  Outcome r = pix2pix("import " + fx + "style.pth --arch transformer --ngf 6 -o " + path("t.safetensors"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = pix2pix("run --model " + path("t.safetensors") + " --input " + fx + "input.npy --output " + path("t.npy"));
  ASSERT_EQ(r.code, 0) << r.err;
  double d = max_diff(load_npy(path("t.npy")).value, load_npy(fx + "output_eval.npy").value);
  std::printf("[ cli      ] transformer run vs reference: max abs diff %.3g\n", d);
  EXPECT_LE(d, 1e-5 * 255);
  // An imported pytorch/examples net becomes a style bundle the page takes (task style, [0, 255], fp16).
  r = pix2pix("export --model " + path("t.safetensors") + " --bundle " + path("tb") + " --fp16");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<Bundle> b = read_bundle(path("tb"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.task, "style");
  EXPECT_EQ(b.value.spec.ngf, 6);
  EXPECT_TRUE(b.value.fp16);
  EXPECT_NE(slurp(path("tb/model.json")).find("\"range\": [\n      0,\n      255\n    ]"), std::string::npos)
      << slurp(path("tb/model.json"));
  EXPECT_TRUE(bundle_to_onnx(b.value, onnx_options(b.value)).ok());
}

TEST_F(Cli, ImportRefusals) {
  P2P_REQUIRE_FIXTURES();
  std::string ck = p2p_test::fixture_dir() + "/unet256_batch/latest_net_G.pth";  // ngf 2, 1 -> 1 channel
  // Wrong width and channels: the first tensor already differs; both shapes named.
  Outcome r = pix2pix("import " + ck + " --netG unet_256 --ngf 16 -o " + path("w.safetensors"));
  expect_one_line_error(r, "does not fit the chosen architecture");
  EXPECT_NE(r.err.find("model.model.0.weight"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[2, 1, 4, 4]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[16, 3, 4, 4]"), std::string::npos) << r.err;
  EXPECT_EQ(r.code, 2);
  expect_nothing_written("w.safetensors");
  // Wrong depth and norm: a named tensor.
  r = pix2pix("import " + ck + " --netG unet_128 --ngf 2 --input_nc 1 --output_nc 1 --norm instance -o " + path("w.safetensors"));
  expect_one_line_error(r, "tensor '");
  expect_nothing_written("w.safetensors");
  // A generator checkpoint as a discriminator.
  r = pix2pix("import " + ck + " --netD basic --ndf 2 -o " + path("w.safetensors"));
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
  d.arch = p2p::Arch::Discriminator, d.net = "basic", d.ndf = 4, d.input_nc = 6, d.output_nc = 1;
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
  r = pix2pix("export --model " + model + " --onnx " + path("m32.onnx") + " --norm-mode running --dropout-noise");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<std::vector<uint8_t>> bytes = read_file(path("m.onnx")), bytes32 = read_file(path("m32.onnx"));
  ASSERT_TRUE(bytes.ok() && bytes32.ok()) << bytes.error << bytes32.error;
  std::string onnx(bytes.value.begin(), bytes.value.end());
  EXPECT_NE(onnx.find("dropout_noise"), std::string::npos);
  // --fp16 really stores float16: every weight initializer (the 4-D ones) is FLOAT16 and the file about half.
  onnx::ModelProto half;
  ASSERT_TRUE(half.ParseFromArray(bytes.value.data(), int(bytes.value.size())));
  int conv_weights = 0;
  for (const onnx::TensorProto& t : half.graph().initializer())
    if (t.dims_size() == 4) {
      conv_weights++;
      EXPECT_EQ(t.data_type(), onnx::TensorProto::FLOAT16) << t.name();
    }
  EXPECT_GT(conv_weights, 10);
  EXPECT_LT(bytes.value.size(), bytes32.value.size() * 6 / 10) << "fp16 " << bytes.value.size() << " fp32 " << bytes32.value.size();

  // The bundle: F16 tensors in the safetensors header, half the bytes, model.json says so; and the network run
  // from those float16 weights stays close to the float32 one.
  r = pix2pix("export --model " + model + " --bundle " + path("b16") + " --fp16 --norm-mode running");
  ASSERT_EQ(r.code, 0) << r.err;
  r = pix2pix("export --model " + model + " --bundle " + path("b32") + " --norm-mode running");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<SafetensorsFile> w16 = load_safetensors(path("b16/weights.safetensors"));
  ASSERT_TRUE(w16.ok()) << w16.error;
  ASSERT_FALSE(w16.value.dtypes.empty());
  for (const auto& [name, dtype] : w16.value.dtypes) EXPECT_EQ(dtype, DType::F16) << name;
  Result<std::vector<uint8_t>> f16 = read_file(path("b16/weights.safetensors")), f32 = read_file(path("b32/weights.safetensors"));
  ASSERT_TRUE(f16.ok() && f32.ok());
  EXPECT_LT(f16.value.size(), f32.value.size() * 6 / 10) << "fp16 " << f16.value.size() << " fp32 " << f32.value.size();
  Result<Bundle> b16 = read_bundle(path("b16"));
  ASSERT_TRUE(b16.ok()) << b16.error;
  EXPECT_TRUE(b16.value.fp16);
  EXPECT_EQ(b16.value.manifest["weights"].get_string("dtype"), "float16");
  ASSERT_TRUE(save_npy(path("x.npy"), Tensor({1, 3, 128, 128}, 0.3f)).ok());
  r = pix2pix("run --model " + path("b16/weights.safetensors") + " --input " + path("x.npy") + " --output " + path("y16.npy") +
              " --norm-mode running");
  ASSERT_EQ(r.code, 0) << r.err;
  r = pix2pix("run --model " + model + " --input " + path("x.npy") + " --output " + path("y32.npy") + " --norm-mode running");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<Tensor> y16 = load_npy(path("y16.npy")), y32 = load_npy(path("y32.npy"));
  ASSERT_TRUE(y16.ok() && y32.ok());
  double d16 = max_diff(y16.value, y32.value);
  std::printf("[ cli      ] fp16 bundle vs fp32 model: max abs diff %.3g\n", d16);
  EXPECT_GT(d16, 0.0) << "float16 weights gave the float32 output exactly: were they rounded at all?";
  EXPECT_LT(d16, 2e-2);
  r = pix2pix("export --model " + model + " --bundle " + path("b") + " --norm-mode running --name sketchy");
  ASSERT_EQ(r.code, 0) << r.err;
  Result<Bundle> b = read_bundle(path("b"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.norm_mode, NormMode::Running);
  EXPECT_EQ(b.value.name, "sketchy");
}
