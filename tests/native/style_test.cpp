// Style transfer: the losses against values worked out by hand, the loss networks (random and from a file),
// and the stylize / train-style / export commands end to end on small images.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "native/style_loss.h"
#include "native/torch_graph.h"
#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/models.h"
#include "shared/safetensors.h"
#include "tests/native/cli_util.h"

using namespace p2p;

namespace {

TEST(StyleLoss, GramByHand) {
  // F = [[1, 2], [3, 4]] (C 2, H 1, W 2): F F^T = [[5, 11], [11, 25]], divided by C H W = 4.
  torch::Tensor f = torch::tensor({1.f, 2.f, 3.f, 4.f}).view({1, 2, 1, 2});
  torch::Tensor g = gram(f);
  ASSERT_EQ(g.sizes(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_FLOAT_EQ(g[0][0][0].item<float>(), 1.25f);
  EXPECT_FLOAT_EQ(g[0][0][1].item<float>(), 2.75f);
  EXPECT_FLOAT_EQ(g[0][1][0].item<float>(), 2.75f);
  EXPECT_FLOAT_EQ(g[0][1][1].item<float>(), 6.25f);
}

TEST(StyleLoss, ContentAndTotalVariationByHand) {
  torch::Tensor a = torch::tensor({0.f, 1.f, 3.f, 5.f}).view({1, 1, 2, 2});
  torch::Tensor b = torch::tensor({1.f, 1.f, 1.f, 1.f}).view({1, 1, 2, 2});
  EXPECT_FLOAT_EQ(mse(a, b).item<float>(), (1 + 0 + 4 + 16) / 4.0f);
  // Vertical differences 3 and 4, horizontal 1 and 2: 9 + 16 + 1 + 4.
  EXPECT_FLOAT_EQ(total_variation(a).item<float>(), 30.0f);
  // Divided by the batch size: two copies give the same value.
  EXPECT_FLOAT_EQ(total_variation(torch::cat({a, a}, 0)).item<float>(), 30.0f);
}

LossNetOptions random_net(int64_t seed, int width = 8) {
  LossNetOptions o;
  o.seed = seed, o.width = width;
  o.taps = {"relu4_2", "relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
  return o;
}

TEST(LossNet, RandomIsSeededAndTapsComeInTheOrderAsked) {
  torch::Tensor x = torch::rand({1, 3, 64, 48}) * 255;
  Result<LossNet> a = LossNet::make(random_net(3), torch::kCPU), b = LossNet::make(random_net(3), torch::kCPU),
                  c = LossNet::make(random_net(4), torch::kCPU);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.error;
  EXPECT_TRUE(a.value.random());
  EXPECT_NE(a.value.description().find("random VGG-19 (width 8, seed 3)"), std::string::npos) << a.value.description();
  std::vector<torch::Tensor> fa = a.value.features(x), fb = b.value.features(x), fc = c.value.features(x);
  ASSERT_EQ(fa.size(), 6u);
  EXPECT_EQ(fa[0].sizes(), (std::vector<int64_t>{1, 64, 8, 6}));  // relu4_2: 8x width, 1/8 of the size
  EXPECT_EQ(fa[1].sizes(), (std::vector<int64_t>{1, 8, 64, 48}));  // relu1_1
  EXPECT_EQ(fa[5].sizes(), (std::vector<int64_t>{1, 64, 4, 3}));   // relu5_1
  for (size_t i = 0; i < fa.size(); i++) EXPECT_TRUE(torch::equal(fa[i], fb[i])) << i;
  EXPECT_FALSE(torch::allclose(fa[1], fc[1]));
  // He initialisation keeps the activations' scale through the stack: no tap vanishes or explodes.
  const double first = fa[1].pow(2).mean().item<double>(), last = fa[5].pow(2).mean().item<double>();
  EXPECT_GT(last / first, 0.05);
  EXPECT_LT(last / first, 20.0);
}

TEST(LossNet, UnknownTapOrDepthIsRefused) {
  LossNetOptions o = random_net(1);
  o.taps = {"relu9_9"};
  Result<LossNet> r = LossNet::make(o, torch::kCPU);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("relu9_9"), std::string::npos) << r.error;
  o = random_net(1);
  o.depth = 11;
  EXPECT_FALSE(LossNet::make(o, torch::kCPU).ok());
}

// A torchvision-style VGG-16 file (features.N.* plus a classifier the loss network does not use) gives the
// features of the same weights in a GraphModule, with torchvision's or Caffe's preprocessing.
TEST(LossNet, ReadsTorchvisionStyleFile) {
  const std::vector<std::string> taps = {"relu1_2", "relu2_2", "relu3_3"};
  Graph g = vgg_features(16, taps);
  Weights w = init_weights(g, 11, 0.05f);
  Weights file = w;
  Tensor extra;
  extra.shape = {4, 2};
  extra.data.assign(8, 0.5f);
  file["classifier.0.weight"] = extra;
  char tmpl[] = "/tmp/p2p_vgg_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/vgg16.safetensors";
  ASSERT_TRUE(save_safetensors(path, file).ok());

  GraphModule ref(g);
  ASSERT_TRUE(ref->load_weights(w).ok());
  torch::Tensor x = torch::rand({1, 3, 32, 32}) * 255;
  for (VggPreprocess pre : {VggPreprocess::Torchvision, VggPreprocess::Caffe}) {
    LossNetOptions o;
    o.depth = 16, o.file = path, o.preprocess = pre, o.taps = taps;
    Result<LossNet> net = LossNet::make(o, torch::kCPU);
    ASSERT_TRUE(net.ok()) << net.error;
    EXPECT_FALSE(net.value.random());
    torch::Tensor in = pre == VggPreprocess::Torchvision
                           ? (x / 255 - torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1})) /
                                 torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1})
                           : (x - torch::tensor({123.68f, 116.779f, 103.939f}).view({1, 3, 1, 1})).flip({1});
    std::vector<torch::Tensor> want = ref->forward_all(in), got = net.value.features(x);
    ASSERT_EQ(got.size(), 3u);
    for (size_t i = 0; i < 3; i++) EXPECT_TRUE(torch::allclose(got[i], want[i], 1e-4, 1e-4)) << i;
  }
  // A VGG-19 file is not a VGG-16 one.
  LossNetOptions o;
  o.depth = 19, o.file = path, o.taps = {"relu5_1"};
  Result<LossNet> bad = LossNet::make(o, torch::kCPU);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("no VGG-19 feature stack"), std::string::npos) << bad.error;
  std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
}

// ---- the commands

using p2p_test::Outcome;
using p2p_test::slurp;

class StyleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!file_exists(P2P_BIN)) GTEST_FAIL() << P2P_BIN << " is not built";
    char tmpl[] = "/tmp/p2p_style_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  Outcome pix2pix(const std::string& args) { return p2p_test::run_program(P2P_BIN, args, dir_, "OMP_WAIT_POLICY=passive"); }
  std::string dir_;
};

// A content photo stand-in (smooth shapes) and a style stand-in (saturated diagonal stripes).
Image content_image(int w, int h) {
  Image img(w, h, 3, 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const bool disc = (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < h * h / 9;
      uint8_t* p = &img.pixels[(size_t(y) * w + x) * 3];
      p[0] = uint8_t(disc ? 200 : 60 + x * 100 / w), p[1] = uint8_t(disc ? 180 : 90 + y * 80 / h), p[2] = uint8_t(disc ? 150 : 120);
    }
  return img;
}
Image style_image(int w, int h) {
  Image img(w, h, 3, 0);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const int band = ((x + y) / 6) % 3;
      uint8_t* p = &img.pixels[(size_t(y) * w + x) * 3];
      p[0] = uint8_t(band == 0 ? 230 : 20), p[1] = uint8_t(band == 1 ? 200 : 30), p[2] = uint8_t(band == 2 ? 240 : 40);
    }
  return img;
}

// Gram distance to the style in a network the optimisation never saw (another seed, depth and width).
double held_out_gram_distance(const Image& img, const Image& style) {
  LossNetOptions o;
  o.depth = 16, o.width = 12, o.seed = 977, o.taps = {"relu1_2", "relu2_2", "relu3_3"};
  LossNet net = LossNet::make(o, torch::kCPU).value;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> a = net.features(to_torch(image_to_tensor(img, 0, 255)));
  std::vector<torch::Tensor> b = net.features(to_torch(image_to_tensor(style, 0, 255)));
  double d = 0;
  for (size_t i = 0; i < a.size(); i++) d += mse(gram(a[i]), gram(b[i])).item<double>() / gram(b[i]).pow(2).mean().item<double>();
  return d;
}

TEST_F(StyleCli, StylizeWithTheRandomNetworkMovesTowardsTheStyle) {
  ASSERT_TRUE(save_png(path("content.png"), content_image(128, 96)).ok());
  ASSERT_TRUE(save_png(path("style.png"), style_image(128, 128)).ok());
  Outcome r = pix2pix("stylize --content " + path("content.png") + " --style " + path("style.png") +
                      " --image_size 128 --num_iterations 50 --init image --style_weight 30 --seed 5 --output " + path("out.png"));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("random VGG-19"), std::string::npos) << r.out;
  double s0 = 0, s1 = 0;
  const size_t at = r.out.find("style ", r.out.find("last stage losses"));
  ASSERT_NE(at, std::string::npos) << r.out;
  ASSERT_EQ(std::sscanf(r.out.c_str() + at, "style %lf -> %lf", &s0, &s1), 2) << r.out;
  EXPECT_LT(s1 * 10, s0) << "style loss " << s0 << " -> " << s1;
  Result<Image> out = load_image(path("out.png"), 3);
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.value.width, 128);
  EXPECT_EQ(out.value.height, 96);
  const double before = held_out_gram_distance(content_image(128, 96), style_image(128, 128));
  const double after = held_out_gram_distance(out.value, style_image(128, 128));
  EXPECT_LT(after, before * 0.7) << "held-out Gram distance " << before << " -> " << after;
  // The PNG records its loss network and seed.
  const std::string png = slurp(path("out.png"));
  EXPECT_NE(png.find("random VGG-19"), std::string::npos);
  EXPECT_NE(png.find("Seed"), std::string::npos);
  const std::string keep = std::string(P2P_SOURCE_DIR) + "/build/test-artifacts";
  make_dirs(keep);
  std::system(("cp '" + path("out.png") + "' '" + keep + "/stylize_random_128.png'").c_str());
}

// Normalised losses have tiny pixel gradients; unscaled, L-BFGS's curvature threshold froze the image
// (style 3.816 -> 3.816 in 100 iterations at these weights). It must move.
TEST_F(StyleCli, StylizeLbfgsMovesWithSmallWeights) {
  ASSERT_TRUE(save_png(path("content.png"), content_image(96, 64)).ok());
  ASSERT_TRUE(save_png(path("style.png"), style_image(64, 64)).ok());
  Outcome r = pix2pix("stylize --content " + path("content.png") + " --style " + path("style.png") +
                      " --image_size 96 --num_iterations 30 --init image --style_weight 1 --content_layers relu3_1" +
                      " --seed 2 --output " + path("out.png"));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  double s0 = 0, s1 = 0;
  const size_t at = r.out.find("style ", r.out.find("last stage losses"));
  ASSERT_NE(at, std::string::npos) << r.out;
  ASSERT_EQ(std::sscanf(r.out.c_str() + at, "style %lf -> %lf", &s0, &s1), 2) << r.out;
  EXPECT_LT(s1 * 1.5, s0) << "style loss " << s0 << " -> " << s1;
}

TEST_F(StyleCli, StylizeNamesAMissingImage) {
  ASSERT_TRUE(save_png(path("style.png"), style_image(32, 32)).ok());
  Outcome r = pix2pix("stylize --content " + path("nope.png") + " --style " + path("style.png") + " --output " + path("o.png"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("nope.png"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(file_exists(path("o.png")));
  r = pix2pix("stylize --content " + path("style.png") + " --style " + path("style.png") + "," + path("style.png") +
              " --style_blend_weights 1 --output " + path("o.png"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("style_blend_weights"), std::string::npos) << r.err;
  r = pix2pix("stylize --content " + path("style.png") + " --style " + path("style.png") + "," + path("style.png") +
              " --style_blend_weights 0,0 --output " + path("o.png"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("must not all be 0"), std::string::npos) << r.err;
}

TEST_F(StyleCli, TrainStyleLowersItsLossResumesAndExportsABundle) {
  make_dirs(path("photos"));
  for (int i = 0; i < 3; i++) ASSERT_TRUE(save_png(path("photos/p" + std::to_string(i) + ".png"), content_image(80 + 8 * i, 72)).ok());
  ASSERT_TRUE(save_png(path("style.png"), style_image(64, 64)).ok());
  const std::string common = "train-style --style " + path("style.png") + " --dataset " + path("photos") + " --name s" +
                              " --checkpoints_dir " + path("runs") + " --ngf 4 --image_size 64 --style_size 64 --batch_size 2" +
                              " --loss_width 8 --print_freq 5 --save_freq 20 --seed 3 --lr 0.01";
  Outcome r = pix2pix(common + " --steps 20");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  r = pix2pix(common + " --steps 40 --continue_train");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The log: 8 records, the loss falling.
  std::string log = slurp(path("runs/s/log.jsonl"));
  std::vector<double> totals;
  for (size_t at = log.find("\"total\":"); at != std::string::npos; at = log.find("\"total\":", at + 1))
    totals.push_back(std::atof(log.c_str() + at + 8));
  ASSERT_EQ(totals.size(), 8u) << log;
  EXPECT_LT(totals.back(), totals.front() * 0.8) << log;
  EXPECT_TRUE(file_exists(path("runs/s/index.html")));
  EXPECT_TRUE(file_exists(path("runs/s/images/step0000040.png")));
  EXPECT_NE(slurp(path("runs/s/index.html")).find("<svg"), std::string::npos);

  r = pix2pix("export --name s --checkpoints_dir " + path("runs") + " --bundle " + path("bundle") + " --fp16");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  Result<Bundle> b = read_bundle(path("bundle"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.value.task, "style");
  EXPECT_EQ(b.value.spec.arch, p2p::Arch::Transformer);
  EXPECT_EQ(b.value.spec.ngf, 4);
  EXPECT_TRUE(b.value.fp16);
  EXPECT_EQ(b.value.height, 64);
  const std::string manifest = slurp(path("bundle/model.json"));
  EXPECT_NE(manifest.find("\"style_image\": \"style.png\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("random VGG-16"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("255"), std::string::npos) << manifest;
}

}  // namespace
