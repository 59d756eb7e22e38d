// The ONNX writer against the outside world: every model passes ONNX's own checker and shape
// inference, and ONNX Runtime (onnxruntime-node, CPU) reproduces the reference fixtures' outputs.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "shared/file_io.h"
#include "shared/models.h"
#include "shared/npy.h"
#include "shared/onnx_writer.h"
#include "tests/shared/fixture_weights.h"
#include "native/torch_graph.h"
#include "tests/native/reference_cases.h"

using namespace p2p;

namespace {

const std::string kRoot = P2P_SOURCE_DIR;

bool ort_available() { return file_exists(kRoot + "/node_modules/onnxruntime-node/package.json"); }

#define REQUIRE_ORT()                                                                                      \
  do {                                                                                                     \
    if (!ort_available()) GTEST_FAIL() << "node_modules/onnxruntime-node absent: run scripts/setup";       \
  } while (0)

// A fresh folder for this test's files under build/.
std::string temp_dir() {
  const testing::TestInfo* t = testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(t->test_suite_name()) + "." + t->name();
  std::replace(name.begin(), name.end(), '/', '_');
  std::string dir = kRoot + "/build/tmp-onnx/" + name + "-" + std::to_string(long(getpid()));
  EXPECT_TRUE(make_dirs(dir).ok()) << dir;
  return dir;
}

// ONNX's checker (full check) and strict shape inference; failures name the model.
void expect_valid_onnx(const std::vector<uint8_t>& bytes, const std::string& label) {
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromArray(bytes.data(), int(bytes.size()))) << label << ": protobuf does not parse";
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": " << e.what();
  }
}

// Writes the model, runs it in onnxruntime-node on the input file, returns the first output.
// again: a second run in the same session goes there.
Result<Tensor> run_ort(const std::vector<uint8_t>& onnx, const std::string& input_npy, const std::string& dir,
                       const std::string& name, const std::string& again = "") {
  std::string model = dir + "/" + name + ".onnx", out = dir + "/" + name + ".out.npy", err = dir + "/" + name + ".err";
  if (Status s = write_file_atomic(model, onnx); !s.ok()) return Result<Tensor>::Fail(s.error);
  std::string cmd = "node '" + kRoot + "/tests/ort/run_onnx.mjs' '" + model + "' '" + input_npy + "' '" + out + "'";
  if (!again.empty()) cmd += " --again '" + again + "'";
  if (std::system((cmd + " 2> '" + err + "'").c_str()) != 0) {
    Result<std::vector<uint8_t>> msg = read_file(err);
    return Result<Tensor>::Fail(name + ": onnxruntime failed: " +
                                (msg.ok() ? std::string(msg.value.begin(), msg.value.end()) : std::string("?")));
  }
  return load_npy(out);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape, b.shape);
  if (a.shape != b.shape) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.data.size(); i++) m = std::max(m, double(std::fabs(a.data[i] - b.data[i])));
  return m;
}


Tensor random_input(Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : t.data) v = u(rng);
  return t;
}

}  // namespace

// Each reference case (both sets), each statistics mode, fp32 and fp16: ONNX's checker, then ONNX Runtime
// against the reference output.
class OnnxRuntimeReference : public ::testing::TestWithParam<p2p_test::ReferenceCase> {};

TEST_P(OnnxRuntimeReference, MatchesOutputs) {
  const p2p_test::ReferenceCase& c = GetParam();
  P2P_REQUIRE_CASE(c);
  REQUIRE_ORT();
  std::string dir = temp_dir();
  const std::string fx = c.dir();
  Result<Graph> graph = build(c.spec);
  ASSERT_TRUE(graph.ok()) << graph.error;
  Weights w = p2p_test::fixture_weights(fx + c.checkpoint);
  struct Mode { std::string file; NormMode mode; };
  std::vector<Mode> modes = {{c.running_output, NormMode::Running}};
  if (!c.batchstats_output.empty()) modes.push_back({c.batchstats_output, NormMode::BatchStats});
  for (const Mode& m : modes) {
    Result<Tensor> expected = load_npy(fx + m.file);
    ASSERT_TRUE(expected.ok()) << expected.error;
    auto [lo, hi] = std::minmax_element(expected.value.data.begin(), expected.value.data.end());
    double range = double(*hi) - double(*lo);
    for (bool fp16 : {false, true}) {
      OnnxOptions opt;
      opt.norm_mode = m.mode;
      opt.fp16 = fp16;
      std::string label = c.folder + (m.mode == NormMode::Running ? "_running" : "_batchstats") + (fp16 ? "_fp16" : "");
      Result<std::vector<uint8_t>> bytes = write_onnx(graph.value, w, opt);
      ASSERT_TRUE(bytes.ok()) << label << ": " << bytes.error;
      expect_valid_onnx(bytes.value, label);
      Result<Tensor> got = run_ort(bytes.value, fx + "input.npy", dir, label);
      ASSERT_TRUE(got.ok()) << got.error;
      double diff = max_abs_diff(got.value, expected.value);
      // fp32: float rounding, relative to the output's scale (0-255 for the style net); fp16 weights: 2% of the
      // range (a norm-free net's small outputs are sums of larger terms, whose rounding does not cancel).
      double tol = fp16 ? 2e-2 * range : 1e-4 * std::max(1.0, range / 2);
      std::printf("  %-48s max abs diff %.3g (tolerance %.3g, output range %.3g)\n",
                  (c.name() + ": " + label).c_str(), diff, tol, range);
      EXPECT_LE(diff, tol) << label;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sets, OnnxRuntimeReference, ::testing::ValuesIn(p2p_test::all_reference_cases()),
                         p2p_test::ReferenceCaseName());

// Instance-norm networks have no running statistics: both modes give the same graph.
TEST(OnnxRuntime, InstanceNormNetsIgnoreNormMode) {
  Graph g = unet(3, 3, 7, 4, Norm::Instance, true);
  Weights w = init_weights(g, 1);
  OnnxOptions running, batchstats;
  batchstats.norm_mode = NormMode::BatchStats;
  Result<std::vector<uint8_t>> a = write_onnx(g, w, running), b = write_onnx(g, w, batchstats);
  ASSERT_TRUE(a.ok() && b.ok());
  onnx::ModelProto ma, mb;
  ASSERT_TRUE(ma.ParseFromArray(a.value.data(), int(a.value.size())));
  ASSERT_TRUE(mb.ParseFromArray(b.value.data(), int(b.value.size())));
  EXPECT_EQ(ma.graph().SerializeAsString(), mb.graph().SerializeAsString());
  EXPECT_NE(a.value, b.value);  // the recorded mode differs
}

// Sizes other than the ones the graph was written for, batches above 1: shapes as inferred, and values as
// LibTorch's GraphModule computes them on the same weights and input (dropout off, so both are exact).
TEST(OnnxRuntime, DynamicSizes) {
  REQUIRE_ORT();
  std::string dir = temp_dir();
  struct SizeCase {
    std::string label;
    Graph graph;
    Shape input;
    NormMode mode;
    float lo = -1.0f, hi = 1.0f;
  };
  std::vector<SizeCase> cases = {
      {"unet256_256x512", unet(3, 3, 8, 4, Norm::Batch, true), {1, 3, 256, 512}, NormMode::BatchStats},
      {"unet64_batch3_64x128", unet(3, 3, 6, 4, Norm::Batch, true), {3, 3, 64, 128}, NormMode::BatchStats},
      {"resnet_96x160", resnet_generator(3, 3, 4, Norm::Instance, false, 9), {1, 3, 96, 160}, NormMode::Running},
      {"resnet_batch2_60x44", resnet_generator(3, 3, 4, Norm::Batch, true, 6), {2, 3, 60, 44}, NormMode::Running},
      {"patchgan_128x192", nlayer_discriminator(6, 4, 3, Norm::Batch), {1, 6, 128, 192}, NormMode::Running},
      {"transformer_72x100", transformer_net(8), {1, 3, 72, 100}, NormMode::Running, 0.0f, 255.0f}};
  for (SizeCase& c : cases) {
    SCOPED_TRACE(c.label);
    Weights w = init_weights(c.graph, 2);
    // Running statistics away from 0 / 1, so that the running mode is not the identity.
    for (auto& [name, t] : w)
      for (size_t i = 0; i < t.data.size(); i++) {
        if (name.find("running_mean") != std::string::npos) t.data[i] = 0.05f * float(int(i % 7) - 3);
        if (name.find("running_var") != std::string::npos) t.data[i] = 0.5f + 0.1f * float(i % 5);
      }
    OnnxOptions opt;
    opt.norm_mode = c.mode;
    Result<std::vector<uint8_t>> bytes = write_onnx(c.graph, w, opt);
    ASSERT_TRUE(bytes.ok()) << bytes.error;
    expect_valid_onnx(bytes.value, c.label);
    Tensor x = random_input(c.input, 3);
    for (float& v : x.data) v = c.lo + (v + 1.0f) * 0.5f * (c.hi - c.lo);
    std::string in = dir + "/" + c.label + ".in.npy";
    ASSERT_TRUE(save_npy(in, x).ok());
    Result<Tensor> out = run_ort(bytes.value, in, dir, c.label);
    ASSERT_TRUE(out.ok()) << out.error;
    Result<ShapeInfo> shapes = infer_shapes(c.graph, c.input[2], c.input[3], c.input[0]);
    ASSERT_TRUE(shapes.ok()) << shapes.error;
    EXPECT_EQ(out.value.shape, shapes.value.values[c.graph.outputs[0]]) << c.label;

    GraphModule net(c.graph);
    ASSERT_TRUE(net->load_weights(w).ok());
    net->set_mode(RunMode::eval(c.mode));
    torch::NoGradGuard no_grad;
    Tensor want = from_torch(net->forward(to_torch(x)));
    auto [lo, hi] = std::minmax_element(want.data.begin(), want.data.end());
    double diff = max_abs_diff(out.value, want), tol = 1e-4 * std::max(1.0, (double(*hi) - double(*lo)) / 2);
    std::printf("  %-24s ONNX Runtime vs LibTorch: max abs diff %.3g (tolerance %.3g)\n", c.label.c_str(), diff, tol);
    EXPECT_LE(diff, tol) << c.label;
  }
}

// Dropout as test-time noise: changes the output, and a seed fixes it across sessions.
TEST(OnnxRuntime, DropoutNoiseIsSeeded) {
  P2P_REQUIRE_FIXTURES();
  REQUIRE_ORT();
  std::string dir = temp_dir();
  std::string fx = p2p_test::fixture_dir() + "/unet256_batch";
  Graph g = unet(1, 1, 8, 2, Norm::Batch, true);
  Weights w = p2p_test::fixture_weights(fx + "/latest_net_G.pth");
  auto run = [&](bool noise, int64_t seed, const std::string& name, const std::string& again = "") {
    OnnxOptions opt;
    opt.norm_mode = NormMode::BatchStats;
    opt.dropout_noise = noise;
    opt.dropout_seed = seed;
    Result<std::vector<uint8_t>> bytes = write_onnx(g, w, opt);
    EXPECT_TRUE(bytes.ok()) << bytes.error;
    if (noise) expect_valid_onnx(bytes.value, name);
    Result<Tensor> out = run_ort(bytes.value, fx + "/input.npy", dir, name, again);
    EXPECT_TRUE(out.ok()) << out.error;
    return out.value;
  };
  Tensor off = run(false, 0, "off");
  Tensor a = run(true, 42, "seed42_a", dir + "/seed42_a.again.npy");
  Tensor b = run(true, 42, "seed42_b");
  Tensor c = run(true, 43, "seed43");
  double noise = max_abs_diff(off, a), same_seed = max_abs_diff(a, b), other_seed = max_abs_diff(a, c);
  Result<Tensor> again = load_npy(dir + "/seed42_a.again.npy");
  ASSERT_TRUE(again.ok()) << again.error;
  double second_run = max_abs_diff(a, again.value);
  std::printf("  dropout noise vs off %.3g; same seed, new session %.3g; other seed %.3g; same session, second run %.3g\n",
              noise, same_seed, other_seed, second_run);
  EXPECT_GT(noise, 1e-3);
  EXPECT_EQ(same_seed, 0.0);
  EXPECT_GT(other_seed, 1e-3);
}
