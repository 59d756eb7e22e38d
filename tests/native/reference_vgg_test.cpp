// VGG-16 / VGG-19 feature taps (shared/models vgg_features through GraphModule::forward_all) against
// torchvision's vgg16() / vgg19() features (tests/fixtures/reference/vgg*_features). No weights file: the
// oracle fills every weight from a counter hash, recomputed here exactly (float64 math, rounded to float32).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "native/torch_graph.h"
#include "shared/json.h"
#include "shared/models.h"
#include "shared/npy.h"
#include "tests/shared/fixtures.h"

using namespace p2p;

namespace {

// The oracle's hash32(i, p) (scripts/reference-oracle.py): element i of the p-th state_dict tensor.
uint32_t hash32(uint64_t i, uint64_t p) {
  uint64_t x = (i * 0x9E3779B1ull + (p + 1) * 0x85EBCA77ull) & 0xFFFFFFFFull;
  x ^= x >> 15;
  x = (x * 0x2C1B3C6Dull) & 0xFFFFFFFFull;
  x ^= x >> 12;
  x = (x * 0x297A2D39ull) & 0xFFFFFFFFull;
  x ^= x >> 15;
  return uint32_t(x);
}

// Weights in state_dict order (features.0.weight, features.0.bias, features.2.weight, ...).
Weights hashed_weights(const Graph& g) {
  Weights w;
  uint64_t p = 0;
  for (const Param& param : parameters(g)) {
    Tensor t(param.shape);
    bool weight = param.name.size() > 7 && param.name.compare(param.name.size() - 7, 7, ".weight") == 0;
    double bound = weight ? std::sqrt(6.0 / double(param.shape[1] * param.shape[2] * param.shape[3])) : 0.1;
    for (size_t i = 0; i < t.data.size(); i++) {
      double u = double(hash32(i, p) >> 8) / double(1 << 24);
      t.data[i] = float((2.0 * u - 1.0) * bound);
    }
    w[param.name] = std::move(t);
    p++;
  }
  return w;
}

class ReferenceVgg : public ::testing::TestWithParam<int> {};

}  // namespace

TEST_P(ReferenceVgg, TapsMatchTorchvision) {
  P2P_REQUIRE_FIXTURES();
  const int depth = GetParam();
  const std::string dir = p2p_test::fixture_dir() + "/vgg" + std::to_string(depth) + "_features/";
  Result<Json> meta = read_json_file(dir + "taps.json");
  ASSERT_TRUE(meta.ok()) << meta.error;
  std::vector<std::string> taps;
  for (const Json& t : meta.value["taps"].items()) taps.push_back(t.as_string());
  ASSERT_GE(taps.size(), 5u);
  Graph g = vgg_features(depth, taps);
  Weights w = hashed_weights(g);
  // The hash reproduces the oracle's first values exactly.
  const Json& first = meta.value["first_values"];
  ASSERT_GE(first.size(), 4u);
  for (size_t k = 0; k < first.size(); k++) {
    const std::string& name = first.keys()[k];
    ASSERT_TRUE(w.count(name)) << name;
    EXPECT_EQ(double(w.at(name).data[0]), first[k][0].as_number()) << name;
    EXPECT_EQ(double(w.at(name).data[1]), first[k][1].as_number()) << name;
  }
  GraphModule net(g);
  ASSERT_TRUE(net->load_weights(w).ok());
  torch::NoGradGuard no_grad;
  Result<Tensor> x = load_npy(dir + "input.npy");
  ASSERT_TRUE(x.ok()) << x.error;
  std::vector<torch::Tensor> got = net->forward_all(to_torch(x.value));
  ASSERT_EQ(got.size(), taps.size());
  for (size_t k = 0; k < taps.size(); k++) {
    Result<Tensor> want = load_npy(dir + taps[k] + ".npy");
    ASSERT_TRUE(want.ok()) << want.error;
    torch::Tensor ref = to_torch(want.value);
    ASSERT_EQ(got[k].sizes(), ref.sizes()) << taps[k];
    double scale = ref.abs().max().item<double>();
    double diff = (got[k] - ref).abs().max().item<double>();
    std::printf("[ vgg%d    ] %-8s max abs diff %.3g (max |value| %.3g)\n", depth, taps[k].c_str(), diff, scale);
    EXPECT_GT(scale, 0.0) << taps[k] << " is all zero: the comparison would prove nothing";
    EXPECT_LE(diff, 1e-5 * std::max(1.0, scale)) << taps[k];
  }
}

INSTANTIATE_TEST_SUITE_P(Depths, ReferenceVgg, ::testing::Values(16, 19),
                         [](const ::testing::TestParamInfo<int>& i) { return "vgg" + std::to_string(i.param); });
