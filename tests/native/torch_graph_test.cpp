// GraphModule against the reference fixtures (outputs of the reference PyTorch code within 1e-5), and its
// training behaviour: gradients for every parameter, BatchNorm running-stat updates, dropout modes.
#include <gtest/gtest.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "native/model_file.h"
#include "native/torch_graph.h"
#include "shared/models.h"
#include "shared/npy.h"
#include "tests/native/reference_cases.h"

using namespace p2p;

namespace {

ModelSpec generator(const std::string& net, Norm norm, int ngf, bool dropout) {
  ModelSpec s;
  s.net = net, s.norm = norm, s.ngf = ngf, s.dropout = dropout;
  return s;
}

torch::Tensor load_tensor(const std::string& path) {
  Result<Tensor> t = load_npy(path);
  EXPECT_TRUE(t.ok()) << t.error;
  return to_torch(t.value);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  return (a - b).abs().max().item<double>();
}

GraphModule module_for(const ModelSpec& spec, uint64_t seed = 1) {
  Result<Graph> g = build(spec);
  EXPECT_TRUE(g.ok()) << g.error;
  GraphModule m(g.value);
  EXPECT_TRUE(m->load_weights(init_weights(g.value, seed)).ok());
  return m;
}

}  // namespace

// Each reference case (both sets): the imported checkpoint reproduces the reference output with running
// statistics and with each image's own statistics, within 1e-5 (x 255 for the 0-255 style net).
class TorchGraphReference : public ::testing::TestWithParam<p2p_test::ReferenceCase> {};

TEST_P(TorchGraphReference, ReproducesOutputs) {
  const p2p_test::ReferenceCase& c = GetParam();
  P2P_REQUIRE_CASE(c);
  const std::string dir = c.dir();
  Result<Weights> w = import_checkpoint(dir + c.checkpoint, c.spec);
  ASSERT_TRUE(w.ok()) << w.error;
  GraphModule net(build(c.spec).value);
  ASSERT_TRUE(net->load_weights(w.value).ok());
  torch::NoGradGuard no_grad;
  torch::Tensor x = load_tensor(dir + "input.npy");
  const double tol = c.spec.arch == p2p::Arch::Transformer ? 1e-5 * 255 : 1e-5;
  net->set_mode(RunMode::eval(NormMode::Running));
  double eval = max_diff(net->forward(x), load_tensor(dir + c.running_output));
  std::printf("[ fixture  ] %-32s running stats: max abs diff %.3g\n", c.name().c_str(), eval);
  EXPECT_LE(eval, tol);
  if (!c.batchstats_output.empty()) {
    Weights before = net->to_weights();
    net->set_mode(RunMode::eval(NormMode::BatchStats));
    double bs = max_diff(net->forward(x), load_tensor(dir + c.batchstats_output));
    std::printf("[ fixture  ] %-32s batch stats:   max abs diff %.3g\n", c.name().c_str(), bs);
    EXPECT_LE(bs, tol);
    Weights after = net->to_weights();
    for (const auto& [name, t] : before) EXPECT_EQ(t.data, after.at(name).data) << name << " changed in eval";
  }
}

INSTANTIATE_TEST_SUITE_P(Sets, TorchGraphReference, ::testing::ValuesIn(p2p_test::all_reference_cases()),
                         p2p_test::ReferenceCaseName());

TEST(TorchGraph, ParameterCountsAndNamesFollowTheGraph) {
  ModelSpec t = ModelSpec::transformer();
  ModelSpec d;
  d.arch = p2p::Arch::Discriminator, d.net = "basic", d.input_nc = 6;
  ModelSpec v;
  v.arch = p2p::Arch::Vgg19;
  for (const ModelSpec& s : {generator("unet_256", Norm::Batch, 64, true), generator("resnet_9blocks", Norm::Instance, 64, false),
                             d, t, v}) {
    SCOPED_TRACE(s.describe());
    Graph g = build(s).value;
    GraphModule m(g);
    int64_t n = 0;
    std::vector<std::string> names;
    for (const auto& p : m->named_parameters()) n += p.value().numel(), names.push_back(p.key());
    EXPECT_EQ(n, count_parameters(g));
    std::vector<std::string> expected, buffers;
    for (const Param& p : parameters(g)) (p.trainable() ? expected : buffers).push_back(p.name);
    EXPECT_EQ(names, expected);  // the reference state_dict names, in order
    std::vector<std::string> buffer_names;
    for (const auto& b : m->named_buffers()) buffer_names.push_back(b.key());
    EXPECT_EQ(buffer_names, buffers);
    ASSERT_EQ(m->named_weights().size(), parameters(g).size());
  }
  EXPECT_EQ(count_parameters(build(generator("unet_256", Norm::Batch, 64, true)).value), 54413955);
}

TEST(TorchGraph, BackwardReachesEveryParameter) {
  torch::manual_seed(0);
  ModelSpec d;
  d.arch = p2p::Arch::Discriminator, d.net = "basic", d.ndf = 8, d.input_nc = 6;
  for (const ModelSpec& s : {generator("unet_128", Norm::Batch, 8, true), d}) {
    SCOPED_TRACE(s.describe());
    GraphModule net = module_for(s);
    net->train();
    torch::Tensor x = torch::randn({2, s.arch == p2p::Arch::Generator ? 3 : 6, 128, 128});
    torch::Tensor y = net->forward(x);
    (y * torch::randn_like(y)).sum().backward();
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << " has a zero gradient";
    }
    for (const auto& b : net->named_buffers()) EXPECT_FALSE(b.value().requires_grad()) << b.key();
  }
}

TEST(TorchGraph, TrainModeUpdatesRunningStatsEvalDoesNot) {
  Graph g;
  g.output(g.batch_norm(g.input(3), "bn"));
  GraphModule net(g);
  Weights w = init_weights(g, 3);
  w["bn.running_mean"].data = {0.5f, -1.0f, 2.0f};
  w["bn.running_var"].data = {2.0f, 0.5f, 1.0f};
  ASSERT_TRUE(net->load_weights(w).ok());
  torch::Tensor x = torch::randn({4, 3, 5, 6}) * 3 + 1;
  torch::Tensor mean0 = to_torch(w["bn.running_mean"]), var0 = to_torch(w["bn.running_var"]);

  torch::NoGradGuard no_grad;
  net->set_mode(RunMode::eval(NormMode::BatchStats));
  torch::Tensor y = net->forward(x);
  torch::Tensor m = x.mean({2, 3}, true), v = (x - m).pow(2).mean({2, 3}, true);  // per image and channel
  torch::Tensor expected = (x - m) / torch::sqrt(v + 1e-5) * to_torch(w["bn.weight"]).view({1, 3, 1, 1}) +
                           to_torch(w["bn.bias"]).view({1, 3, 1, 1});
  EXPECT_LE(max_diff(y, expected), 1e-5);
  EXPECT_TRUE(torch::equal(net->named_weights()[2].second, mean0));
  net->set_mode(RunMode::eval(NormMode::Running));
  y = net->forward(x);
  expected = (x - mean0.view({1, 3, 1, 1})) / torch::sqrt(var0.view({1, 3, 1, 1}) + 1e-5) *
                 to_torch(w["bn.weight"]).view({1, 3, 1, 1}) + to_torch(w["bn.bias"]).view({1, 3, 1, 1});
  EXPECT_LE(max_diff(y, expected), 1e-5);
  EXPECT_TRUE(torch::equal(net->named_weights()[3].second, var0));

  net->set_mode(RunMode::training());
  EXPECT_TRUE(net->is_training());
  net->forward(x);
  torch::Tensor batch_mean = x.mean({0, 2, 3});
  torch::Tensor batch_var = (x - batch_mean.view({1, 3, 1, 1})).pow(2).sum({0, 2, 3}) / (4 * 5 * 6 - 1);  // unbiased, as kept
  EXPECT_LE(max_diff(net->named_weights()[2].second, 0.9 * mean0 + 0.1 * batch_mean), 1e-5);
  EXPECT_LE(max_diff(net->named_weights()[3].second, 0.9 * var0 + 0.1 * batch_var), 1e-5);
  EXPECT_EQ(net->to_weights().at("bn.running_mean").data[0], net->named_weights()[2].second[0].item<float>());

  // stats_momentum 1, then 1/2: the running statistics become the mean over the two batches (--bn_stats_batches).
  torch::Tensor x2 = torch::randn({4, 3, 5, 6}) * 0.5 - 2;
  RunMode stats = RunMode::training();
  torch::Tensor means = torch::zeros({3}), vars = torch::zeros({3});
  int k = 0;
  for (const torch::Tensor& b : {x, x2}) {
    stats.stats_momentum = 1.0 / ++k;
    net->set_mode(stats);
    net->forward(b);
    torch::Tensor bm = b.mean({0, 2, 3});
    means += bm / 2, vars += (b - bm.view({1, 3, 1, 1})).pow(2).sum({0, 2, 3}) / (4 * 5 * 6 - 1) / 2;
  }
  EXPECT_LE(max_diff(net->named_weights()[2].second, means), 1e-5);
  EXPECT_LE(max_diff(net->named_weights()[3].second, vars), 1e-5);
}

TEST(TorchGraph, DropoutModes) {
  ModelSpec s = generator("unet_256", Norm::Batch, 8, true);
  GraphModule net = module_for(s);
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({1, 3, 256, 256});
  net->set_mode(RunMode::eval(NormMode::BatchStats));
  torch::Tensor plain = net->forward(x);
  EXPECT_TRUE(torch::equal(plain, net->forward(x)));
  RunMode noise = RunMode::eval(NormMode::BatchStats);
  noise.dropout_noise = true, noise.dropout_seed = 7;
  net->set_mode(noise);
  torch::Tensor a = net->forward(x), b = net->forward(x);
  EXPECT_TRUE(torch::equal(a, b)) << "the same seed gives the same noise";
  EXPECT_GT(max_diff(a, plain), 1e-3) << "dropout noise changes the output";
  noise.dropout_seed = 8;
  net->set_mode(noise);
  EXPECT_GT(max_diff(net->forward(x), a), 1e-3) << "another seed, other noise";
  net->set_mode(RunMode::training());
  EXPECT_GT(max_diff(net->forward(x), net->forward(x)), 1e-3) << "training draws fresh dropout masks";
  RunMode stats = RunMode::training();
  stats.stats_momentum = 0.5;
  net->set_mode(stats);
  EXPECT_TRUE(torch::equal(net->forward(x), net->forward(x))) << "recomputing the statistics runs without dropout";

  ModelSpec no_dropout = generator("unet_256", Norm::Batch, 8, false);
  GraphModule plain_net = module_for(no_dropout);
  noise.dropout_seed = 7;
  plain_net->set_mode(RunMode::eval(NormMode::BatchStats));
  torch::Tensor p = plain_net->forward(x);
  plain_net->set_mode(noise);
  EXPECT_TRUE(torch::equal(p, plain_net->forward(x))) << "without dropout layers noise changes nothing";
}

TEST(TorchGraph, WeightsRoundTripAndRefusals) {
  ModelSpec s = generator("resnet_6blocks", Norm::Batch, 4, false);
  Graph g = build(s).value;
  Weights w = init_weights(g, 11);
  GraphModule net(g);
  ASSERT_TRUE(net->load_weights(w).ok());
  Weights back = net->to_weights();
  ASSERT_EQ(back.size(), w.size());
  for (const auto& [name, t] : w) {
    EXPECT_EQ(back.at(name).shape, t.shape) << name;
    EXPECT_EQ(back.at(name).data, t.data) << name;
  }
  Weights bad = w;
  bad["model.1.weight"] = Tensor({4, 3, 3, 3});
  Status st = net->load_weights(bad);
  EXPECT_NE(st.error.find("model.1.weight"), std::string::npos) << st.error;
  EXPECT_NE(st.error.find("[4, 3, 7, 7]"), std::string::npos) << st.error;
  EXPECT_EQ(net->to_weights().at("model.1.weight").data, w.at("model.1.weight").data) << "a refused load changes nothing";
  EXPECT_THROW(net->forward(torch::zeros({1, 4, 64, 64})), std::invalid_argument);
}

TEST(TorchGraph, VggForwardAllReturnsEveryTap) {
  Graph g = vgg_features(16, {"relu1_2", "relu2_2", "relu3_3"});
  GraphModule net(g);
  ASSERT_TRUE(net->load_weights(init_weights(g, 2)).ok());
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> taps = net->forward_all(torch::rand({1, 3, 32, 48}) * 255);
  ASSERT_EQ(taps.size(), 3u);
  EXPECT_EQ(taps[0].sizes(), (std::vector<int64_t>{1, 64, 32, 48}));
  EXPECT_EQ(taps[1].sizes(), (std::vector<int64_t>{1, 128, 16, 24}));
  EXPECT_EQ(taps[2].sizes(), (std::vector<int64_t>{1, 256, 8, 12}));
  EXPECT_GE(taps[2].min().item<float>(), 0.0f);
}

TEST(TorchGraph, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const ModelSpec& s : {generator("unet_256", Norm::Batch, 16, true), generator("resnet_9blocks", Norm::Instance, 16, false)}) {
    SCOPED_TRACE(s.describe());
    GraphModule net = module_for(s);
    torch::NoGradGuard no_grad;
    torch::Tensor x = torch::randn({2, 3, 256, 256});
    for (NormMode mode : {NormMode::Running, NormMode::BatchStats}) {
      RunMode r = RunMode::eval(mode);
      r.dropout_noise = true, r.dropout_seed = 3;
      net->set_mode(r);
      net->to(torch::kCPU);
      torch::Tensor cpu = net->forward(x);
      net->to(torch::kCUDA);
      torch::Tensor gpu = net->forward(x.to(torch::kCUDA)).cpu();
      double d = max_diff(cpu, gpu);
      std::printf("[ cuda     ] %s mode %d: max abs diff to CPU %.3g\n", s.describe().c_str(), int(mode), d);
      EXPECT_LE(d, 1e-3);
    }
    Weights back = net->to_weights();  // from the device
    EXPECT_EQ(back.size(), parameters(net->graph()).size());
  }
}

