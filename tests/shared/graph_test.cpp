// Parameter counts, MACs, shapes and names of every network against the reference numbers (DESIGN.md).
#include <gtest/gtest.h>

#include <utility>

#include "shared/models.h"

using namespace p2p;

namespace {
ModelSpec gen(const std::string& net, Norm norm) {
  ModelSpec s;
  s.net = net;
  s.norm = norm;
  return s;
}
ModelSpec disc(const std::string& net, Norm norm, int input_nc = 6) {
  ModelSpec s;
  s.arch = Arch::Discriminator;
  s.net = net;
  s.norm = norm;
  s.input_nc = input_nc;
  return s;
}
int64_t params(const ModelSpec& s) {
  Result<Graph> g = build(s);
  EXPECT_TRUE(g.ok()) << g.error;
  return count_parameters(g.value);
}
}  // namespace

TEST(Graph, ParameterCountsMatchReference) {
  EXPECT_EQ(params(gen("unet_256", Norm::Batch)), 54413955);
  EXPECT_EQ(params(gen("unet_256", Norm::Instance)), 54409603);
  EXPECT_EQ(params(gen("unet_128", Norm::Batch)), 41828995);
  EXPECT_EQ(params(gen("unet_128", Norm::Instance)), 41825667);
  EXPECT_EQ(params(gen("resnet_9blocks", Norm::Batch)), 11383427);
  EXPECT_EQ(params(gen("resnet_9blocks", Norm::Instance)), 11378179);
  EXPECT_EQ(params(disc("basic", Norm::Batch)), 2768705);
  EXPECT_EQ(params(disc("basic", Norm::Instance)), 2767809);
  ModelSpec t = ModelSpec::transformer();
  EXPECT_EQ(params(t), 1679235);
}

TEST(Graph, MacsMatchReference) {
  Result<ShapeInfo> g = infer_shapes(build(gen("unet_256", Norm::Batch)).value, 256, 256);
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_NEAR(g.value.macs / 1e9, 6.05, 0.005);
  Result<ShapeInfo> d = infer_shapes(build(disc("basic", Norm::Batch)).value, 256, 256);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_NEAR(d.value.macs / 1e9, 3.20, 0.005);
  EXPECT_EQ(d.value.values.back(), (Shape{1, 1, 30, 30}));
}

TEST(Graph, ReferenceParameterNames) {
  std::vector<Param> ps = parameters(build(gen("unet_256", Norm::Batch)).value);
  EXPECT_EQ(ps.front().name, "model.model.0.weight");
  EXPECT_EQ(ps.front().shape, (Shape{64, 3, 4, 4}));
  bool innermost = false;
  for (const Param& p : ps)
    innermost = innermost || p.name == "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight";
  EXPECT_TRUE(innermost);
  ps = parameters(build(disc("basic", Norm::Batch)).value);
  EXPECT_EQ(ps.back().name, "model.11.bias");
  ModelSpec t = ModelSpec::transformer();
  ps = parameters(build(t).value);
  EXPECT_EQ(ps.front().name, "conv1.conv2d.weight");
  EXPECT_EQ(ps.back().name, "deconv3.conv2d.bias");
}

TEST(Graph, ValidSizes) {
  SizeRule u = valid_sizes(build(gen("unet_256", Norm::Batch)).value);
  EXPECT_EQ(u.multiple, 256);
  EXPECT_EQ(u.minimum, 256);
  SizeRule u128 = valid_sizes(build(gen("unet_128", Norm::Batch)).value);
  EXPECT_EQ(u128.multiple, 128);
  SizeRule r = valid_sizes(build(gen("resnet_9blocks", Norm::Batch)).value);
  EXPECT_EQ(r.multiple, 4);
  EXPECT_TRUE(infer_shapes(build(gen("unet_256", Norm::Batch)).value, 256, 512).ok());
  EXPECT_FALSE(infer_shapes(build(gen("unet_256", Norm::Batch)).value, 200, 256).ok());
  // fit_size: the smallest allowed size from the given one up.
  for (auto [s, want] : {std::pair<int64_t, int64_t>{1, 256}, {200, 256}, {256, 256}, {257, 512}, {700, 768}})
    EXPECT_EQ(fit_size(s, u), want) << s;
  const Graph resnet = build(gen("resnet_9blocks", Norm::Batch)).value;
  for (int64_t s : {1, 37, 101, 104, 255}) {  // the network takes it, and nothing smaller would do
    const int64_t f = fit_size(s, r);
    EXPECT_TRUE(f >= s && infer_shapes(resnet, f, f).ok() && (f == r.minimum || f - r.multiple < s)) << s << " -> " << f;
  }
  EXPECT_EQ(fit_size(10, SizeRule{4, 9}), 13);  // from the minimum on, in steps of the multiple
  EXPECT_EQ(pad_to_fit(Tensor({1, 3, 200, 300}), u).shape, (Shape{1, 3, 256, 512}));
  EXPECT_EQ(pad_to_fit(Tensor({1, 3, 256, 512}), u).shape, (Shape{1, 3, 256, 512}));
}

TEST(Graph, OutputShapes) {
  Result<ShapeInfo> s = infer_shapes(build(gen("resnet_9blocks", Norm::Instance)).value, 128, 96);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.value.values.back(), (Shape{1, 3, 128, 96}));
  ModelSpec t = ModelSpec::transformer();
  s = infer_shapes(build(t).value, 96, 128);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.value.values.back(), (Shape{1, 3, 96, 128}));
  EXPECT_EQ(valid_sizes(build(t).value).multiple, 4);
  ModelSpec d = disc("basic", Norm::Batch);
  EXPECT_EQ(valid_sizes(build(d).value).multiple, 1);  // any size from the smallest on
}

TEST(Graph, NlayersAndPixelDiscriminators) {
  ModelSpec d = disc("n_layers", Norm::Batch);
  d.n_layers_D = 3;
  EXPECT_EQ(params(d), 2768705);  // n_layers 3 is basic
  d.n_layers_D = 1;                 // 16x16 patches
  Result<ShapeInfo> s = infer_shapes(build(d).value, 256, 256);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value.values.back(), (Shape{1, 1, 126, 126}));
  Result<ShapeInfo> p = infer_shapes(build(disc("pixel", Norm::Batch)).value, 256, 256);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value.values.back(), (Shape{1, 1, 256, 256}));
  EXPECT_EQ(params(disc("pixel", Norm::Batch)), 6 * 64 + 64 + 64 * 128 + 2 * 128 + 128);
}

TEST(Graph, VggFeatures) {
  Graph g = vgg_features(19, {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"});
  EXPECT_EQ(g.outputs.size(), 6u);
  std::vector<Param> ps = parameters(g);
  EXPECT_EQ(ps.back().name, "features.28.bias");  // conv5_1 in torchvision's vgg19.features
  Graph v16 = vgg_features(16, {"relu1_2", "relu2_2", "relu3_3", "relu4_3"});
  EXPECT_EQ(parameters(v16).back().name, "features.21.bias");
}

TEST(Graph, SpecMetadataRoundTrip) {
  ModelSpec s = gen("unet_128", Norm::Instance);
  s.ngf = 8;
  s.dropout = false;
  s.input_nc = 1;
  Result<ModelSpec> back = ModelSpec::from_metadata(s.to_metadata());
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_EQ(back.value.to_metadata(), s.to_metadata());
  EXPECT_FALSE(ModelSpec::from_metadata({{"arch", "generator"}, {"net", "unet_300"}}).ok());
  EXPECT_FALSE(ModelSpec::from_metadata({{"arch", "generator"}, {"ngf", "x"}}).ok());
  EXPECT_FALSE(ModelSpec::from_metadata({}).ok());
  Result<ModelSpec> painter = ModelSpec::from_metadata({{"arch", "painter"}});
  EXPECT_EQ(painter.error, "unknown arch 'painter' (generator, discriminator, transformer, vgg16, vgg19)");
  for (Arch a : {Arch::Generator, Arch::Discriminator, Arch::Transformer, Arch::Vgg16, Arch::Vgg19})
    EXPECT_EQ(parse_arch(arch_name(a)).value, a) << arch_name(a);
}

TEST(Graph, CheckWeightsNamesFirstMisfit) {
  Graph g = build(disc("basic", Norm::Batch)).value;
  Weights w = init_weights(g, 1);
  EXPECT_TRUE(check_weights(g, w).ok());
  w["model.2.weight"] = Tensor({3, 3});
  Status st = check_weights(g, w);
  EXPECT_NE(st.error.find("model.2.weight"), std::string::npos) << st.error;
  w.erase("model.2.weight");
  EXPECT_NE(check_weights(g, w).error.find("missing"), std::string::npos);
}
