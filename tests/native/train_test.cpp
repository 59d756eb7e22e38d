// pix2pix train / test / export end to end on small generated datasets (build/bin/pix2pix): learning, exact
// resume (epoch boundary, mid-epoch, Ctrl-C), every reference option, the run's files, and bad input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <thread>

#include "data_test_util.h"
#include "native/options.h"
#include "native/train_checkpoint.h"
#include "native/train_options.h"
#include "shared/json.h"
#include "shared/models.h"
#include "shared/safetensors.h"

using namespace p2p_test;
using p2p::Image;
using p2p::Json;

namespace {

// B: a filled shape on white whose colour follows its kind (discs red, squares blue); A: its black outline.
// The colour can only be learnt from the outline's form.
void make_shapes(const std::string& root, const std::string& phase, int count, int size, int seed) {
  std::mt19937 rng{uint32_t(seed)};
  for (int i = 0; i < count; i++) {
    Image a(size, size, 3, 255), b(size, size, 3, 255);
    const bool disc = (i + seed) % 2 == 0;
    const int r = size / 6 + int(rng() % uint32_t(size / 6)), cx = r + 2 + int(rng() % uint32_t(size - 2 * r - 4)),
              cy = r + 2 + int(rng() % uint32_t(size - 2 * r - 4));
    for (int y = 0; y < size; y++)
      for (int x = 0; x < size; x++) {
        const double d = disc ? std::hypot(x - cx, y - cy) : double(std::max(std::abs(x - cx), std::abs(y - cy)));
        if (d > r) continue;
        uint8_t* p = b.at(x, y);
        p[0] = disc ? 220 : 30, p[1] = disc ? 40 : 60, p[2] = disc ? 40 : 210;
        if (d > r - 2) std::fill(a.at(x, y), a.at(x, y) + 3, uint8_t(0));
      }
    char name[32];
    std::snprintf(name, sizeof name, "%03d.png", i);
    save(root + "/" + phase + "/" + name, p2p::join_ab(a, b).value);
  }
}

// Runs build/bin/pix2pix with `env` (NAME=value words, unquoted) before it.
RunResult run_env(const std::string& env, const std::vector<std::string>& args, const TempDir& scratch) {
  std::string cmd = "env " + env + " '" + std::string(P2P_BIN) + "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " >'" + scratch / "stdout.txt" + "' 2>'" + scratch / "stderr.txt" + "'";
  RunResult r;
  int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(scratch / "stdout.txt");
  r.err = read_text(scratch / "stderr.txt");
  return r;
}

Json read_json(const std::string& path) {
  p2p::Result<Json> j = p2p::parse_json(read_text(path));
  EXPECT_TRUE(j.ok()) << path << ": " << j.error;
  return j.value;
}

p2p::SafetensorsFile load(const std::string& path) {
  p2p::Result<p2p::SafetensorsFile> f = p2p::load_safetensors(path);
  EXPECT_TRUE(f.ok()) << f.error;
  return f.value;
}

void expect_one_line_error(const RunResult& r, const std::string& what) {
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.err.rfind("pix2pix ", 0), 0u) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << "expected '" << what << "' in: " << r.err;
}

class Train : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!p2p::file_exists(P2P_BIN)) GTEST_FAIL() << P2P_BIN << " is not built (ninja pix2pix)";
    ASSERT_FALSE(dir.path.empty());
    data = dir / "shapes";
    runs = dir / "runs";
  }

  // A small, fast configuration: unet_64 at 64x64, ngf/ndf 8, seeded, one loader thread.
  std::vector<std::string> small(const std::string& name, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"train", "--dataroot", data, "--name", name, "--checkpoints_dir", runs,
                                  "--netG", "unet_64", "--ngf", "8", "--ndf", "8", "--load_size", "72",
                                  "--crop_size", "64", "--seed", "7", "--num_threads", "1", "--print_freq", "4",
                                  "--display_freq", "1000"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  // Passive OpenMP waits: these tests run beside others (ctest -j) on few cores, where spinning threads starve.
  RunResult pix2pix(const std::vector<std::string>& args) { return run_env("OMP_WAIT_POLICY=passive", args, dir); }
  std::string ckpt(const std::string& run, const std::string& file) { return runs + "/" + run + "/checkpoints/" + file; }

  TempDir dir;
  std::string data, runs;
};

}  // namespace

// ---- in-process: the option table and the initialisation ----

TEST(TrainOptions, EveryReferenceOptionIsInTheTableWithItsDefault) {
  p2p::TrainOptions t;
  p2p::Options o("train", "");
  p2p::add_train_options(o, t);
  const std::string help = o.help();
  for (const char* name : {"netG", "netD", "n_layers_D", "ngf", "ndf", "norm", "init_type", "init_gain", "dropout",
                           "direction", "load_size", "crop_size", "preprocess", "flip", "batch_size", "lr", "beta1",
                           "n_epochs", "n_epochs_decay", "lr_policy", "lr_decay_iters", "gan_mode", "lambda_L1",
                           "save_epoch_freq", "save_latest_freq", "print_freq", "display_freq", "continue_train",
                           "epoch_count", "epoch", "input_nc", "output_nc", "dataroot", "name", "checkpoints_dir",
                           "phase", "serial_batches", "num_threads", "max_dataset_size", "gpu_ids", "use_GAN",
                           "use_L1", "condition_GAN", "seed", "bf16", "layout"})
    EXPECT_NE(help.find("  --" + std::string(name) + " "), std::string::npos) << name;
  for (const char* env : {"DATA_ROOT", "which_direction", "niter", "niter_decay", "batchSize", "loadSize", "fineSize",
                          "lambda", "which_model_netG", "which_model_netD", "which_epoch"})
    EXPECT_NE(help.find(env), std::string::npos) << env;
  Json j = p2p::to_json(t);
  EXPECT_EQ(j.get_string("netG"), "unet_256");
  EXPECT_EQ(j.get_string("netD"), "basic");
  EXPECT_EQ(j.get_int("n_layers_D"), 3);
  EXPECT_EQ(j.get_int("ngf"), 64);
  EXPECT_EQ(j.get_string("norm"), "batch");
  EXPECT_EQ(j.get_string("init_type"), "normal");
  EXPECT_NEAR(j.get_number("init_gain"), 0.02, 1e-9);
  EXPECT_TRUE(j.get_bool("dropout"));
  EXPECT_EQ(j.get_int("load_size"), 286);
  EXPECT_EQ(j.get_int("crop_size"), 256);
  EXPECT_EQ(j.get_string("preprocess"), "resize_and_crop");
  EXPECT_NEAR(j.get_number("lr"), 0.0002, 1e-9);
  EXPECT_EQ(t.lr_exact(), 0.0002);
  EXPECT_EQ(j.get_int("n_epochs"), 100);
  EXPECT_EQ(j.get_int("n_epochs_decay"), 100);
  EXPECT_EQ(j.get_string("gan_mode"), "vanilla");
  EXPECT_EQ(j.get_number("lambda_L1"), 100);
  EXPECT_EQ(j.get_int("save_epoch_freq"), 5);
  EXPECT_EQ(j.get_string("checkpoints_dir"), "runs");
  EXPECT_EQ(j.get_string("gpu_ids"), "0");
  EXPECT_FALSE(j.contains("continue_train"));  // steers one invocation, not the run
}

TEST(TrainOptions, JsonRoundTripAndRefusals) {
  p2p::TrainOptions t;
  p2p::Options o("train", "");
  p2p::add_train_options(o, t);
  ASSERT_TRUE(o.parse({"--netG", "resnet_9blocks", "--no_dropout", "--lr", "0.001", "--n_epochs", "7", "--no_flip",
                       "--gan_mode", "lsgan", "--name", "x"}).ok());
  p2p::TrainOptions back;
  ASSERT_TRUE(p2p::from_json(p2p::to_json(t), back).ok());
  EXPECT_EQ(p2p::to_json(back), p2p::to_json(t));
  EXPECT_EQ(back.netG, "resnet_9blocks");
  EXPECT_FALSE(back.dropout);
  EXPECT_FALSE(back.flip);
  EXPECT_EQ(back.lr_exact(), 0.001);
  Json bad = p2p::to_json(t);
  bad["ngf"] = "many";
  EXPECT_FALSE(p2p::from_json(bad, back).ok());
  bad = p2p::to_json(t);
  bad["gan_mode"] = "hinge";
  EXPECT_FALSE(p2p::from_json(bad, back).ok());
  EXPECT_FALSE(o.parse({"--no_such_option"}).ok());
  EXPECT_FALSE(o.parse({"--lr_policy", "exponential"}).ok());
}

TEST(TrainInit, FollowsTheReferenceInitFunctions) {
  p2p::ModelSpec g;
  g.net = "unet_64", g.ngf = 16;
  auto stats = [&](const std::string& type, const char* param) {
    p2p::GraphModule net(p2p::build(g).value);
    torch::manual_seed(3);
    EXPECT_TRUE(p2p::init_network(net, type, 0.02f).ok());
    for (const auto& [name, t] : net->named_weights())
      if (name == param) return std::pair<double, double>(t.mean().item<double>(), t.std().item<double>());
    ADD_FAILURE() << param;
    return std::pair<double, double>();
  };
  const char* conv = "model.model.1.model.1.weight";  // Conv2d 16 -> 32, 4x4: fan_in 256
  const char* bn = "model.model.1.model.2.weight";
  auto [m, s] = stats("normal", conv);
  EXPECT_NEAR(m, 0, 0.002);
  EXPECT_NEAR(s, 0.02, 0.002);
  std::tie(m, s) = stats("normal", bn);
  EXPECT_NEAR(m, 1.0, 0.01);
  EXPECT_NEAR(s, 0.02, 0.01);
  EXPECT_NEAR(stats("kaiming", conv).second, std::sqrt(2.0 / 256), 0.01);         // gain sqrt(2), fan_in
  EXPECT_NEAR(stats("xavier", conv).second, 0.02 * std::sqrt(2.0 / (256 + 512)), 0.0005);  // fan_out 32*16
  std::tie(m, s) = stats("orthogonal", conv);
  EXPECT_NEAR(s, 0.02 / std::sqrt(256.0), 0.0005);  // 32 orthonormal rows of 256, scaled by the gain
  p2p::GraphModule net(p2p::build(g).value);
  EXPECT_FALSE(p2p::init_network(net, "uniform", 0.02f).ok());
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : net->named_weights()) t.fill_(0.5f);
  ASSERT_TRUE(p2p::init_network(net, "normal", 0.02f).ok());
  for (const auto& [name, t] : net->named_weights()) {
    const bool zero = name.find("bias") != std::string::npos || name.find("running_mean") != std::string::npos;
    const bool one = name.find("running_var") != std::string::npos;
    if (zero || one) EXPECT_EQ((t - (one ? 1.0f : 0.0f)).abs().max().item<float>(), 0.0f) << name;
  }
}

// ---- end to end ----

// (a) learning on held-out pairs, (d) the run's files, and export of the run.
TEST_F(Train, LearnsShapesAndWritesItsPages) {
  make_shapes(data, "train", 16, 64, 1);
  make_shapes(data, "val", 6, 64, 1001);
  const std::vector<std::string> test_args = {"test", "--dataroot", data, "--name", "shapes", "--checkpoints_dir", runs,
                                              "--results_dir", dir / "results", "--phase", "val"};
  auto val_l1 = [&]() {
    RunResult r = pix2pix(test_args);
    EXPECT_EQ(r.code, 0) << r.err;
    Json m = read_json(dir / "results/shapes/val_latest/metrics.json");
    EXPECT_EQ(m["images"].size(), 6u);
    return m["summary"].get_number("l1", 99);
  };
  // One step: practically the untrained model. Then the rest of the run from there.
  RunResult r = pix2pix(small("shapes", {"--n_epochs", "10", "--n_epochs_decay", "5", "--lr", "0.001", "--stop_after_iters", "1"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const double before = val_l1();
  auto t0 = std::chrono::steady_clock::now();
  r = pix2pix(small("shapes", {"--continue_train"}));
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double after = val_l1();
  std::printf("[ train    ] held-out L1: %.4f after one step, %.4f after 15 epochs (%.1f s for %d steps)\n", before, after,
              seconds, 15 * 16 - 1);
  EXPECT_LT(after, 0.5 * before);

  // The run folder.
  const std::string run = runs + "/shapes";
  Json opts = read_json(run + "/options.json");
  EXPECT_EQ(opts.get_string("netG"), "unet_64");
  EXPECT_EQ(opts.get_int("seed"), 7);
  EXPECT_EQ(opts.get_int("n_epochs"), 10);  // kept from the first invocation
  std::vector<std::string> lines;
  std::string log = read_text(run + "/log.jsonl");
  for (size_t p = 0, e; (e = log.find('\n', p)) != std::string::npos; p = e + 1) lines.push_back(log.substr(p, e - p));
  ASSERT_EQ(lines.size(), size_t(15 * 4));  // every 4 images, 16 a epoch
  int64_t last_total = 0;
  for (const std::string& l : lines) {
    Json j = p2p::parse_json(l).value;
    for (const char* k : {"epoch", "iter", "total_iters", "lr", "time_data", "time_step", "images_per_sec"})
      EXPECT_TRUE(j[k].is_number()) << k << " in " << l;
    for (const char* k : {"G_GAN", "G_L1", "D_real", "D_fake"}) EXPECT_TRUE(j["losses"][k].is_number()) << k << " in " << l;
    EXPECT_EQ(j.get_int("total_iters"), last_total + 4) << l;
    last_total = j.get_int("total_iters");
  }
  EXPECT_EQ(p2p::parse_json(lines.back()).value.get_number("lr"), 0.0);  // the linear policy's last epoch
  EXPECT_EQ(p2p::parse_json(lines[0]).value.get_number("lr"), 0.001);
  const std::string page = read_text(run + "/index.html");
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("images/epoch015_fake_B.png"), std::string::npos);
  EXPECT_NE(page.find("images/epoch001_real_A.png"), std::string::npos);
  EXPECT_EQ(page.find("http-equiv=\"refresh\""), std::string::npos);  // finished: no reload
  EXPECT_TRUE(p2p::file_exists(run + "/images/epoch015_fake_B.png"));
  for (const char* f : {"latest_net_G", "latest_net_D", "latest_state", "5_net_G", "10_net_G", "15_state"})
    EXPECT_TRUE(p2p::file_exists(ckpt("shapes", std::string(f) + ".safetensors"))) << f;
  EXPECT_FALSE(p2p::file_exists(ckpt("shapes", "3_net_G.safetensors")));
  const std::string test_page = read_text(dir / "results/shapes/val_latest/index.html");
  EXPECT_NE(test_page.find("images/005_fake_B.png"), std::string::npos);
  EXPECT_NE(test_page.find("PSNR"), std::string::npos);
  Json metrics = read_json(dir / "results/shapes/val_latest/metrics.json");
  for (const char* k : {"l1", "psnr", "ssim"}) EXPECT_TRUE(metrics["images"][0][k].is_number()) << k;
  EXPECT_TRUE(metrics["summary"]["lab_intersection_set"]["a"].is_number()) << metrics.dump();

  // Fully convolutional: the 64-pixel model on 100-pixel images (reflect-padded to 128, cropped back), --eval.
  r = pix2pix({"test", "--dataroot", data, "--name", "shapes", "--checkpoints_dir", runs, "--results_dir", dir / "results",
               "--phase", "val", "--load_size", "100", "--eval", "--epoch", "10", "--num_test", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  p2p::Result<Image> big = p2p::load_image(dir / "results/shapes/val_10/images/000_fake_B.png");
  ASSERT_TRUE(big.ok()) << big.error;
  EXPECT_EQ(big.value.width, 100);
  EXPECT_EQ(read_json(dir / "results/shapes/val_10/metrics.json")["images"].size(), 2u);

  // The reference test.py's command line works as it is; an option that contradicts the checkpoint is refused.
  std::vector<std::string> reference = {"test", "--dataroot", data, "--name", "shapes", "--checkpoints_dir", runs,
                                        "--results_dir", dir / "ref", "--phase", "val", "--num_test", "1", "--model", "pix2pix",
                                        "--netG", "unet_64", "--norm", opts.get_string("norm"), "--no_dropout"};
  r = pix2pix(reference);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(read_text(dir / "ref/shapes/val_latest/index.html").find("no dropout (--no_dropout"), std::string::npos);
  reference[16] = "unet_128";
  r = pix2pix(reference);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--netG unet_128 contradicts"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unet_64"), std::string::npos) << r.err;

  // Export straight from the run, with what the run recorded, the test metrics and extra provenance.
  write_text(dir / "extra.json", "{\"training_setup\": \"a test\", \"baseline\": {\"l1\": 0.5}}");
  const std::string metrics_file = dir / "results/shapes/val_latest/metrics.json";
  r = pix2pix({"export", "--name", "shapes", "--checkpoints_dir", runs, "--bundle", dir / "bundle", "--metrics", metrics_file,
               "--provenance", dir / "extra.json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json model = read_json(dir / "bundle/model.json");
  EXPECT_NE(model.dump().find("unet_64"), std::string::npos) << model.dump();
  const Json& prov = model["provenance"];
  EXPECT_EQ(prov.get_int("epochs"), 15) << prov.dump();
  EXPECT_EQ(prov.get_int("images_seen"), 15 * 16);
  EXPECT_GT(prov.get_number("train_seconds", -1), 0.0) << prov.dump();  // both invocations, counted across the resume
  EXPECT_NE(prov.get_string("hardware").find("thread"), std::string::npos) << prov.dump();
  EXPECT_EQ(prov["training_options"].get_string("netG"), "unet_64");
  EXPECT_EQ(prov["test_metrics"].get_number("l1", -1), metrics["summary"].get_number("l1", -2));
  EXPECT_EQ(prov.get_string("training_setup"), "a test");
  EXPECT_EQ(prov["baseline"].get_number("l1", -1), 0.5);
  // A file that is not a test's metrics.json: one line, exit 2, nothing written.
  r = pix2pix({"export", "--name", "shapes", "--checkpoints_dir", runs, "--bundle", dir / "bundle2", "--onnx", dir / "x.onnx",
               "--metrics", dir / "extra.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("summary"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_FALSE(p2p::file_exists(dir / "bundle2") || p2p::file_exists(dir / "x.onnx"));
}

// (b) resume: at an epoch boundary, mid-epoch, and after Ctrl-C, the weights of an uninterrupted run.
TEST_F(Train, ResumeGivesTheUninterruptedWeights) {
  make_shapes(data, "train", 6, 64, 2);
  // The step policy keeps the rate up in both epochs (linear would make the last epoch's zero).
  const std::vector<std::string> common = {"--lr_policy", "step", "--batch_size", "2", "--save_latest_freq", "2"};
  auto with = [&](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  RunResult r = pix2pix(small("whole", with(common, {"--n_epochs", "2", "--n_epochs_decay", "0"})));
  ASSERT_EQ(r.code, 0) << r.err;
  r = pix2pix(small("split", with(common, {"--n_epochs", "1", "--n_epochs_decay", "0"})));
  ASSERT_EQ(r.code, 0) << r.err;
  const double first_part = std::atof(load(ckpt("split", "latest_state.safetensors")).metadata["train_seconds"].c_str());
  r = pix2pix(small("split", {"--continue_train", "--n_epochs", "2"}));
  ASSERT_EQ(r.code, 0) << r.err;
  // The training time goes on counting across the resume.
  EXPECT_GT(first_part, 0.0);
  EXPECT_GT(std::atof(load(ckpt("split", "latest_state.safetensors")).metadata["train_seconds"].c_str()), first_part);
  r = pix2pix(small("mid", with(common, {"--n_epochs", "2", "--n_epochs_decay", "0", "--stop_after_iters", "8"})));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("stopped"), std::string::npos) << r.out;
  p2p::SafetensorsFile stopped = load(ckpt("mid", "latest_state.safetensors"));
  EXPECT_EQ(stopped.metadata["epoch"], "2");
  EXPECT_EQ(stopped.metadata["epoch_iter"], "2");
  r = pix2pix(small("mid", {"--continue_train"}));
  ASSERT_EQ(r.code, 0) << r.err;

  for (const char* part : {"latest_net_G.safetensors", "latest_net_D.safetensors", "latest_state.safetensors"}) {
    p2p::SafetensorsFile whole = load(ckpt("whole", part));
    EXPECT_GT(whole.weights.size(), 10u);
    double split = max_diff(whole.weights, load(ckpt("split", part)).weights);
    double mid = max_diff(whole.weights, load(ckpt("mid", part)).weights);
    std::printf("[ train    ] %s: max |diff| vs uninterrupted: epoch-boundary resume %.3g, mid-epoch resume %.3g\n", part,
                split, mid);
    EXPECT_LE(split, 1e-6) << part;
    EXPECT_LE(mid, 1e-6) << part;
  }
  // --epoch_count K with --continue_train: epoch K again from the loaded weights, as the reference does.
  r = pix2pix(small("split", {"--continue_train", "--epoch_count", "2", "--n_epochs", "2"}));
  ASSERT_EQ(r.code, 0) << r.err;
  p2p::SafetensorsFile again = load(ckpt("split", "latest_state.safetensors"));
  EXPECT_EQ(again.metadata["epoch"], "2");
  EXPECT_EQ(again.metadata["total_iters"], "18");  // 12, then epoch 2's 6 images once more
  EXPECT_GT(max_diff(load(ckpt("whole", "latest_net_G.safetensors")).weights,
                     load(ckpt("split", "latest_net_G.safetensors")).weights), 0.0);

  // Dropout holds no weights: a run goes on without it (its spec and options say so) and back with it.
  EXPECT_EQ(load(ckpt("split", "latest_net_G.safetensors")).metadata["dropout"], "true");
  r = pix2pix(small("split", {"--continue_train", "--no_dropout", "--n_epochs", "3"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(load(ckpt("split", "latest_net_G.safetensors")).metadata["dropout"], "false");
  EXPECT_EQ(load(ckpt("split", "latest_state.safetensors")).metadata["epoch"], "3");
  EXPECT_FALSE(read_json(runs + "/split/options.json").get_bool("dropout", true));
  r = pix2pix(small("split", {"--continue_train", "--dropout", "--n_epochs", "4"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(load(ckpt("split", "latest_net_G.safetensors")).metadata["dropout"], "true");

  // And a different seed gives different weights (the comparison can fail).
  r = pix2pix(small("other", with(common, {"--n_epochs", "2", "--n_epochs_decay", "0", "--seed", "8"})));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(max_diff(load(ckpt("whole", "latest_net_G.safetensors")).weights,
                     load(ckpt("other", "latest_net_G.safetensors")).weights), 1e-4);

  // Ctrl-C: the iteration is finished, latest saved, exit 130; the run then resumes to its end.
  std::vector<std::string> args = small("sig", {"--n_epochs", "1000", "--print_freq", "1"});
  std::vector<char*> argv = {const_cast<char*>(P2P_BIN)};
  setenv("OMP_WAIT_POLICY", "passive", 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = dir / "sig.txt";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1), dup2(fd, 2);
    execv(P2P_BIN, argv.data());
    _exit(127);
  }
  const std::string log = runs + "/sig/log.jsonl";
  for (int i = 0; i < 600 && count_lines(read_text(log)) < 3; i++) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << read_text(out);
  EXPECT_EQ(WEXITSTATUS(status), 130) << read_text(out);
  const int saved = std::stoi(load(ckpt("sig", "latest_state.safetensors")).metadata["total_iters"]);
  EXPECT_GE(saved, 3);
  r = pix2pix(small("sig", {"--continue_train", "--stop_after_iters", std::to_string(saved + 2)}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(load(ckpt("sig", "latest_state.safetensors")).metadata["total_iters"], std::to_string(saved + 2));
}

// --bn_stats_batches: at the epoch's end G's running statistics are those of the training batches through the
// trained weights with dropout off; the training itself (every weight, the random stream) is the same.
TEST_F(Train, BnStatsBatchesRecomputeTheRunningStatisticsOnly) {
  make_shapes(data, "train", 4, 64, 3);
  const std::vector<std::string> one_batch = {"--preprocess", "none", "--no_flip", "--batch_size", "4", "--lr_policy",
                                              "step", "--n_epochs", "2", "--n_epochs_decay", "0"};
  RunResult r = pix2pix(small("plain", one_batch));
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> with = one_batch;
  with.insert(with.end(), {"--bn_stats_batches", "3"});  // more than the epoch has: its one batch
  r = pix2pix(small("bn", with));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_json(runs + "/bn/options.json").get_int("bn_stats_batches"), 3);

  p2p::SafetensorsFile plain = load(ckpt("plain", "latest_net_G.safetensors")), bn = load(ckpt("bn", "latest_net_G.safetensors"));
  int stats = 0;
  double stats_moved = 0;
  for (const auto& [name, t] : plain.weights) {
    const double d = max_diff({{name, t}}, {{name, bn.weights.at(name)}});
    if (name.find("running_") != std::string::npos) stats++, stats_moved = std::max(stats_moved, d);
    else EXPECT_EQ(d, 0.0) << name << ": the training changed";
  }
  EXPECT_GT(stats, 4);
  EXPECT_GT(stats_moved, 1e-3);

  // The expected statistics: the four A halves as one batch through the saved weights, dropout off.
  p2p::GraphModule net(p2p::build(p2p::ModelSpec::from_metadata(bn.metadata).value).value);
  ASSERT_TRUE(net->load_weights(bn.weights).ok());
  std::vector<torch::Tensor> images;
  for (int i = 0; i < 4; i++) {
    char name[32];
    std::snprintf(name, sizeof name, "/train/%03d.png", i);
    p2p::Image ab = p2p::load_image(data + name, 3).value;
    images.push_back(p2p::to_torch(p2p::image_to_tensor(p2p::split_ab(ab).value.first, -1.0f, 1.0f)));
  }
  p2p::RunMode mode = p2p::RunMode::training();
  mode.stats_momentum = 1.0;
  net->set_mode(mode);
  {
    torch::NoGradGuard no_grad;
    net->forward(torch::cat(images, 0));
  }
  for (const auto& [name, t] : net->named_weights())
    if (name.find("running_") != std::string::npos) {
      const torch::Tensor saved = p2p::to_torch(bn.weights.at(name));
      EXPECT_LT((t - saved).abs().max().item<double>(), 1e-4) << name;
    }
  // With dropout on, as training runs it, they would differ (the check can fail): momentum 0.1 from zero.
  p2p::GraphModule noisy(p2p::build(p2p::ModelSpec::from_metadata(bn.metadata).value).value);
  ASSERT_TRUE(noisy->load_weights(bn.weights).ok());
  noisy->set_mode(p2p::RunMode::training());
  {
    torch::NoGradGuard no_grad;
    for (const auto& [name, t] : noisy->named_weights())
      if (name.find("running_mean") != std::string::npos) t.zero_();
    torch::manual_seed(1);
    noisy->forward(torch::cat(images, 0));
  }
  double dropout_gap = 0;
  for (const auto& [name, t] : noisy->named_weights())
    if (name.find("running_mean") != std::string::npos)
      dropout_gap = std::max(dropout_gap, (t * 10 - p2p::to_torch(bn.weights.at(name))).abs().max().item<double>());
  EXPECT_GT(dropout_gap, 1e-3);

  r = pix2pix(small("bad", {"--bn_stats_batches", "-1"}));
  expect_one_line_error(r, "--bn_stats_batches must be >= 0");
}

// (c) the options that shape the networks change the saved networks; the rest are accepted and recorded.
TEST_F(Train, OptionsShapeTheSavedNetworks) {
  make_shapes(data, "train", 2, 64, 3);
  auto train = [&](const std::string& name, std::vector<std::string> more) {
    more.insert(more.end(), {"--n_epochs", "1", "--n_epochs_decay", "0", "--max_dataset_size", "1"});
    RunResult r = pix2pix(small(name, more));
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
  };
  auto G = [&](const std::string& run) { return load(ckpt(run, "latest_net_G.safetensors")); };
  auto D = [&](const std::string& run) { return load(ckpt(run, "latest_net_D.safetensors")); };
  auto shape = [](const p2p::SafetensorsFile& f, const std::string& t) {
    auto it = f.weights.find(t);
    return it == f.weights.end() ? std::string("missing") : p2p::shape_str(it->second.shape);
  };

  train("base", {});
  p2p::SafetensorsFile g = G("base"), d = D("base");
  EXPECT_EQ(g.metadata["net"], "unet_64");
  EXPECT_EQ(g.metadata["dropout"], "true");
  EXPECT_EQ(shape(g, "model.model.0.weight"), "[8, 3, 4, 4]");
  EXPECT_EQ(shape(d, "model.0.weight"), "[8, 6, 4, 4]");
  EXPECT_EQ(d.metadata["net"], "basic");
  EXPECT_EQ(g.metadata["source"], "pix2pix train");
  ASSERT_TRUE(p2p::ModelSpec::from_metadata(g.metadata).ok());

  train("widths", {"--ngf", "4", "--ndf", "16"});
  EXPECT_EQ(shape(G("widths"), "model.model.0.weight"), "[4, 3, 4, 4]");
  EXPECT_EQ(shape(D("widths"), "model.0.weight"), "[16, 6, 4, 4]");

  train("gray", {"--input_nc", "1", "--output_nc", "1"});
  p2p::SafetensorsFile gg = G("gray");
  EXPECT_EQ(shape(gg, "model.model.0.weight"), "[8, 1, 4, 4]");
  EXPECT_EQ(shape(D("gray"), "model.0.weight"), "[8, 2, 4, 4]");
  EXPECT_EQ(gg.metadata["output_nc"], "1");

  train("deep", {"--netG", "unet_32", "--netD", "n_layers", "--n_layers_D", "2", "--crop_size", "32", "--load_size", "32"});
  EXPECT_EQ(G("deep").metadata["net"], "unet_32");
  EXPECT_LT(G("deep").weights.size(), g.weights.size());
  p2p::SafetensorsFile dd = D("deep");
  EXPECT_EQ(dd.metadata["n_layers_D"], "2");
  EXPECT_LT(dd.weights.size(), d.weights.size());

  train("pixel", {"--netD", "pixel", "--norm", "instance", "--no_dropout", "--no_condition_GAN"});
  p2p::SafetensorsFile gp = G("pixel"), dp = D("pixel");
  EXPECT_EQ(dp.metadata["net"], "pixel");
  EXPECT_EQ(shape(dp, "net.0.weight"), "[8, 3, 1, 1]");  // 1x1 convs on B alone
  EXPECT_EQ(gp.metadata["norm"], "instance");
  EXPECT_EQ(gp.metadata["dropout"], "false");
  for (const auto& [name, t] : gp.weights) EXPECT_EQ(name.find("running_"), std::string::npos) << name;

  train("resnet", {"--netG", "resnet_6blocks", "--ngf", "4", "--no_use_GAN", "--init_type", "kaiming"});
  EXPECT_EQ(G("resnet").metadata["net"], "resnet_6blocks");
  EXPECT_FALSE(p2p::file_exists(ckpt("resnet", "latest_net_D.safetensors")));  // L1 alone: no D

  // Every other option, with a value other than its default, accepted and recorded.
  train("all", {"--direction", "BtoA", "--preprocess", "scale_width_and_crop", "--no_flip", "--batch_size", "1",
                "--lr", "0.0003", "--beta1", "0.6", "--lr_policy", "cosine", "--lr_decay_iters", "7", "--gan_mode",
                "lsgan", "--lambda_L1", "50", "--save_epoch_freq", "1", "--save_latest_freq", "100", "--epoch_count", "1",
                "--phase", "train", "--serial_batches", "--gpu_ids", "-1", "--init_type", "xavier", "--init_gain",
                "0.03", "--no_use_L1", "--bf16", "--layout", "aligned", "--save_by_iter", "--zoom_out", "0.7", "--widen_lines", "2"});
  Json o = read_json(runs + "/all/options.json");
  EXPECT_EQ(o.get_string("direction"), "BtoA");
  EXPECT_EQ(o.get_string("preprocess"), "scale_width_and_crop");
  EXPECT_FALSE(o.get_bool("flip", true));
  EXPECT_EQ(o.get_string("lr_policy"), "cosine");
  EXPECT_EQ(o.get_string("gan_mode"), "lsgan");
  EXPECT_EQ(o.get_number("lambda_L1"), 50);
  EXPECT_EQ(o.get_int("lr_decay_iters"), 7);
  EXPECT_NEAR(o.get_number("zoom_out"), 0.7, 1e-6);
  EXPECT_EQ(o.get_int("widen_lines"), 2);
  EXPECT_TRUE(o.get_bool("serial_batches"));
  EXPECT_EQ(o.get_string("init_type"), "xavier");
  EXPECT_FALSE(o.get_bool("use_L1", true));
  EXPECT_TRUE(p2p::file_exists(ckpt("all", "1_net_G.safetensors")));  // save_epoch_freq 1
  for (const char* policy : {"plateau"}) train(std::string("policy_") + policy, {"--lr_policy", policy, "--gan_mode", "wgangp", "--lambda_gp", "10"});
  EXPECT_EQ(read_json(runs + "/policy_plateau/options.json").get_string("gan_mode"), "wgangp");
  RunResult balanced = pix2pix(small("balanced", {"--balance_colours"}));
  ASSERT_EQ(balanced.code, 0) << balanced.err;
  EXPECT_NE(balanced.out.find("balance_colours: pairs per colour of target:"), std::string::npos) << balanced.out;
  EXPECT_TRUE(read_json(runs + "/balanced/options.json").get_bool("balance_colours", false));
  // linear_nonzero: the last epoch trains at lr / (n_epochs_decay + 1), where the reference's linear gives 0.
  RunResult r = pix2pix(small("policy_linear_nonzero", {"--lr_policy", "linear_nonzero", "--n_epochs", "1", "--n_epochs_decay",
                                                        "1", "--max_dataset_size", "1", "--lr", "0.001"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string log = read_text(runs + "/policy_linear_nonzero/log.jsonl");
  const std::string last = log.substr(log.rfind('\n', log.size() - 2) + 1);
  EXPECT_DOUBLE_EQ(p2p::parse_json(last).value.get_number("lr"), 0.0005);
  EXPECT_EQ(p2p::parse_json(last).value.get_int("epoch"), 2);
}

// The Lua reference's environment style.
TEST_F(Train, LuaEnvironmentStyle) {
  make_shapes(data, "train", 2, 64, 4);
  RunResult r = run_env("OMP_WAIT_POLICY=passive DATA_ROOT=" + data + " name=lua which_direction=BtoA niter=1 niter_decay=0 fineSize=32 "
                        "loadSize=36 which_model_netG=unet_32 ngf=4 ndf=4 checkpoints_dir=" + runs + " gpu=0 flip=0 lambda=10 "
                        "use_GAN=1 condition_GAN=0 seed=3",
                        {"train"}, dir);
  ASSERT_EQ(r.code, 0) << r.err;
  Json o = read_json(runs + "/lua/options.json");
  EXPECT_EQ(o.get_string("dataroot"), data);
  EXPECT_EQ(o.get_string("direction"), "BtoA");
  EXPECT_EQ(o.get_int("n_epochs"), 1);
  EXPECT_EQ(o.get_int("crop_size"), 32);
  EXPECT_EQ(o.get_string("netG"), "unet_32");
  EXPECT_EQ(o.get_string("gpu_ids"), "-1");  // Lua's gpu=0 is the CPU
  EXPECT_FALSE(o.get_bool("flip", true));
  EXPECT_EQ(o.get_number("lambda_L1"), 10);
  EXPECT_FALSE(o.get_bool("condition_GAN", true));
  EXPECT_EQ(load(ckpt("lua", "latest_net_D.safetensors")).metadata["input_nc"], "3");
}

// (e) bad input: one line, non-zero exit, nothing already saved lost.
TEST_F(Train, BadInputIsRefusedAndKeepsWhatWasSaved) {
  RunResult r = pix2pix({"train", "--name", "x", "--checkpoints_dir", runs});
  expect_one_line_error(r, "--dataroot is required");
  r = pix2pix(small("x", {"--no_such_option", "1"}));
  expect_one_line_error(r, "unknown option '--no_such_option'");
  r = pix2pix(small("x", {"--netG", "unet_100"}));
  expect_one_line_error(r, "unknown generator");
  r = pix2pix(small("x", {"--zoom_out", "0"}));
  expect_one_line_error(r, "--zoom_out must be in (0, 1]");
  r = pix2pix(small("x", {"--widen_lines", "-1"}));
  expect_one_line_error(r, "--widen_lines must be between 0 and 16");
  r = pix2pix(small("x", {"--balance_colours", "--serial_batches"}));
  expect_one_line_error(r, "--balance_colours draws the pairs at random: not with --serial_batches");
  std::filesystem::create_directories(data + "/train");
  r = pix2pix(small("x"));
  expect_one_line_error(r, "no images");
  EXPECT_FALSE(p2p::file_exists(runs + "/x/checkpoints"));

  // A and B of different sizes in the separate layout, kept as they are (preprocess none).
  save(dir / "sep/A/train/p.png", pattern(64, 64));
  save(dir / "sep/B/train/p.png", pattern(32, 64));
  r = pix2pix({"train", "--dataroot", dir / "sep", "--name", "sep", "--checkpoints_dir", runs, "--preprocess", "none",
               "--netG", "unet_32", "--ngf", "4", "--ndf", "4"});
  expect_one_line_error(r, "p.png");
  EXPECT_FALSE(p2p::file_exists(runs + "/sep/checkpoints/latest_net_G.safetensors"));

  // Images the network cannot take.
  make_shapes(data, "train", 2, 64, 5);
  r = pix2pix(small("odd", {"--netG", "unet_128", "--n_epochs", "1", "--n_epochs_decay", "0"}));
  expect_one_line_error(r, "do not fit");

  // A run, then: a fresh start over it, a resume with another architecture, a missing epoch, files that disagree.
  r = pix2pix(small("keep", {"--n_epochs", "1", "--n_epochs_decay", "0"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string g_before = read_text(ckpt("keep", "latest_net_G.safetensors"));
  const std::string opts_before = read_text(runs + "/keep/options.json");
  r = pix2pix(small("keep", {"--n_epochs", "1"}));
  expect_one_line_error(r, "--continue_train");
  r = pix2pix(small("keep", {"--continue_train", "--ngf", "16", "--n_epochs", "2"}));
  expect_one_line_error(r, "latest_net_G.safetensors holds unet_64 ngf 8");
  r = pix2pix(small("keep", {"--continue_train", "--netD", "pixel", "--n_epochs", "2"}));
  expect_one_line_error(r, "latest_net_D.safetensors");
  r = pix2pix(small("keep", {"--continue_train", "--epoch", "7"}));
  expect_one_line_error(r, "no complete checkpoint '7'");
  std::filesystem::copy_file(ckpt("keep", "1_net_G.safetensors"), ckpt("keep", "2_net_G.safetensors"));
  std::filesystem::copy_file(ckpt("keep", "1_net_D.safetensors"), ckpt("keep", "2_net_D.safetensors"));
  p2p::SafetensorsFile st = load(ckpt("keep", "1_state.safetensors"));
  st.metadata["total_iters"] = "1";
  ASSERT_TRUE(p2p::save_safetensors(ckpt("keep", "2_state.safetensors"), st.weights, st.metadata).ok());
  r = pix2pix(small("keep", {"--continue_train", "--epoch", "2", "--n_epochs", "3"}));
  expect_one_line_error(r, "disagree");
  EXPECT_EQ(read_text(ckpt("keep", "latest_net_G.safetensors")), g_before);
  EXPECT_EQ(read_text(runs + "/keep/options.json"), opts_before);

  r = pix2pix({"test", "--dataroot", data, "--name", "nothing", "--checkpoints_dir", runs});
  expect_one_line_error(r, "no checkpoint");
  r = pix2pix({"test", "--dataroot", data, "--name", "keep", "--checkpoints_dir", runs, "--phase", "val"});
  expect_one_line_error(r, "dataset");
}
