// Data-parallel training through c10d (Gloo on loopback), with the real program: two ranks end with the weights
// of one process on the combined batch (instance norm; batch norm with --sync_bn), a killed or frozen rank ends
// the other with a message naming it and the checkpoint stays usable, --continue_train then completes the run;
// scripts/launch starts the ranks; bad torchrun variables are one line.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "child_process.h"
#include "data_test_util.h"
#include "shared/graph.h"
#include "shared/models.h"
#include "shared/safetensors.h"

using namespace p2p_test;

namespace {

// A port free at the moment (the kernel's pick), for one test's rendezvous.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

p2p::Weights weights(const std::string& path) {
  p2p::Result<p2p::SafetensorsFile> f = p2p::load_safetensors(path);
  EXPECT_TRUE(f.ok()) << f.error;
  return f.value.weights;
}

// Whether a constant added to node n's channels changes no output: every path from it meets an InstanceNorm,
// which subtracts it, through ops that keep a constant constant (sums, reflection padding, nearest upsampling,
// convolutions without zero padding).
bool offset_cancelled(const p2p::Graph& g, int n) {
  if (std::find(g.outputs.begin(), g.outputs.end(), n) != g.outputs.end()) return false;
  for (int c = n + 1; c < int(g.nodes.size()); c++) {
    const p2p::Node& k = g.nodes[c];
    if (std::find(k.inputs.begin(), k.inputs.end(), n) == k.inputs.end()) continue;
    const bool keeps = k.op == p2p::Op::Add || k.op == p2p::Op::ReflectionPad2d || k.op == p2p::Op::UpsampleNearest ||
                       (k.op == p2p::Op::Conv2d && k.padding == 0);
    if (k.op != p2p::Op::InstanceNorm2d && !(keeps && offset_cancelled(g, c))) return false;
  }
  return true;
}

// The weights that decide the network's output: without the biases whose offset an InstanceNorm cancels
// (see above). Their gradient is 0 up to rounding, and Adam turns rounding into full steps.
p2p::Weights effective_weights(const std::string& path) {
  p2p::Result<p2p::SafetensorsFile> f = p2p::load_safetensors(path);
  EXPECT_TRUE(f.ok()) << f.error;
  p2p::Result<p2p::ModelSpec> spec = p2p::ModelSpec::from_metadata(f.value.metadata);
  EXPECT_TRUE(spec.ok()) << path << ": " << spec.error;
  p2p::Result<p2p::Graph> g = p2p::build(spec.value);
  EXPECT_TRUE(g.ok()) << g.error;
  for (int n = 0; n < int(g.value.nodes.size()); n++)
    if (!g.value.nodes[n].name.empty() && offset_cancelled(g.value, n)) f.value.weights.erase(g.value.nodes[n].name + ".bias");
  return f.value.weights;
}

class DataParallel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!p2p::file_exists(P2P_BIN)) GTEST_FAIL() << P2P_BIN << " is not built (ninja pix2pix)";
    data = dir / "data", runs = dir / "runs";
    for (int i = 0; i < 8; i++)
      save(data + "/train/" + std::to_string(i) + ".png", p2p::join_ab(pattern(32, 32, i), pattern(32, 32, i + 9)).value);
  }
  // unet_32 at 32x32, ngf/ndf 4, no dropout (whose draws differ between one batch of 2 and two of 1).
  std::vector<std::string> train(const std::string& name, int batch, int epochs, std::vector<std::string> more = {}) const {
    std::vector<std::string> a = {"train", "--dataroot", data, "--name", name, "--checkpoints_dir", runs, "--netG", "unet_32",
                                  "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--no_dropout",
                                  "--batch_size", std::to_string(batch), "--num_threads", "1", "--seed", "3", "--lr_policy", "step",
                                  "--n_epochs", std::to_string(epochs), "--n_epochs_decay", "0", "--save_epoch_freq", "1",
                                  "--print_freq", "1000", "--display_freq", "100000", "--save_latest_freq", "100000"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  std::vector<std::string> rank_env(int rank, int world = 2) const {
    return {"RANK=" + std::to_string(rank), "WORLD_SIZE=" + std::to_string(world), "LOCAL_RANK=" + std::to_string(rank),
            "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)};
  }
  // scripts/launch -n 2 pix2pix ARGS; its exit status.
  int launch(const std::vector<std::string>& args, std::string* out) const {
    std::string cmd = "OMP_NUM_THREADS=1 '" P2P_SOURCE_DIR "/scripts/launch' -n 2 --master_port " + std::to_string(port) + " '" P2P_BIN "'";
    for (const std::string& a : args) cmd += " '" + a + "'";
    cmd += " >'" + (dir / "launch.txt") + "' 2>&1";
    const int status = std::system(cmd.c_str());
    *out = read_text(dir / "launch.txt");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string net(const std::string& name, const char* which = "G") const {
    return runs + "/" + name + "/checkpoints/latest_net_" + which + ".safetensors";
  }
  // max |a - b| over the weights of G and D that decide their outputs.
  double diff(const std::string& a, const std::string& b) const {
    return std::max(max_diff(effective_weights(net(a)), effective_weights(net(b))),
                    max_diff(effective_weights(net(a, "D")), effective_weights(net(b, "D"))));
  }

  TempDir dir;
  std::string data, runs;
  int port = free_port();
};

}  // namespace

TEST_F(DataParallel, TwoRanksTrainAsOneProcessOnTheCombinedBatch) {
  ASSERT_EQ(run_pix2pix(train("one", 2, 2, {"--norm", "instance"}), dir).code, 0);
  ASSERT_EQ(run_pix2pix(train("small", 1, 2, {"--norm", "instance"}), dir).code, 0);
  std::string out;
  ASSERT_EQ(launch(train("two", 1, 2, {"--norm", "instance"}), &out), 0) << out;
  EXPECT_NE(out.find("data-parallel: 2 ranks x batch 1 = effective batch 2, lr 0.0002"), std::string::npos) << out;
  EXPECT_EQ(out.find("done: "), out.rfind("done: ")) << "only rank 0 speaks:\n" << out;
  const double same = diff("two", "one"), other = diff("small", "one");
  EXPECT_LT(same, 2e-5) << "two ranks of batch 1 against one process of batch 2";
  EXPECT_GT(other, 100 * same) << "the tolerance tells batches apart";
  const std::string log = read_text(runs + "/two/log.jsonl");
  EXPECT_NE(log.find("\"total_iters\":16"), std::string::npos) << "images of every rank counted:\n" << log;
}

TEST_F(DataParallel, SyncBnMatchesBatchNormOverTheCombinedBatch) {
  ASSERT_EQ(run_pix2pix(train("one", 4, 2, {"--norm", "batch"}), dir).code, 0);
  std::string out;
  ASSERT_EQ(launch(train("synced", 2, 2, {"--norm", "batch", "--sync_bn"}), &out), 0) << out;
  EXPECT_NE(out.find("BatchNorm synchronised"), std::string::npos) << out;
  port = free_port();
  ASSERT_EQ(launch(train("local", 2, 2, {"--norm", "batch"}), &out), 0) << out;
  const double synced = diff("synced", "one"), local = diff("local", "one");
  EXPECT_LT(synced, 2e-5) << "--sync_bn over two ranks of batch 2 against batch norm over batch 4";
  EXPECT_GT(local, 100 * synced) << "without --sync_bn each rank normalises its own batch";
  // The running statistics too (they are what test and export use).
  auto running = [](p2p::Weights w) {
    std::erase_if(w, [](const auto& kv) { return kv.first.find("running_") == std::string::npos; });
    return w;
  };
  p2p::Weights a = running(weights(net("synced"))), b = running(weights(net("one")));
  EXPECT_GT(a.size(), 4u);
  EXPECT_LT(max_diff(a, b), 2e-5);
}

TEST_F(DataParallel, KilledRankEndsTheOtherAndTheRunResumes) {
  const std::vector<std::string> slow = {"P2P_CHECKPOINT_DELAY_MS=50"};
  auto env = [&](int r) {
    std::vector<std::string> e = rank_env(r);
    e.insert(e.end(), slow.begin(), slow.end());
    return e;
  };
  {
    Child r0(train("run", 1, 6), dir / "r0.txt", env(0)), r1(train("run", 1, 6), dir / "r1.txt", env(1));
    ASSERT_TRUE(r0.wait_for("saved " + runs + "/run/checkpoints/1_* (epoch 1)", 120)) << r0.output() << r1.output();
    r1.kill9();
    const auto t0 = Clock::now();
    const int code = r0.wait();
    EXPECT_LT(seconds_since(t0), 30) << "rank 0 noticed within seconds";
    EXPECT_EQ(code, 1) << r0.output();
    EXPECT_NE(r0.output().find("train (rank 0 of 2): rank 1 stopped answering"), std::string::npos) << r0.output();
    EXPECT_EQ(r0.output().find("done:"), std::string::npos) << r0.output();
  }
  EXPECT_FALSE(weights(net("run")).empty()) << "the last checkpoint stays readable";
  port = free_port();
  Child r0(train("run", 1, 6, {"--continue_train"}), dir / "r0.txt", rank_env(0));
  Child r1(train("run", 1, 6, {"--continue_train"}), dir / "r1.txt", rank_env(1));
  EXPECT_EQ(r0.wait(), 0) << r0.output();
  EXPECT_EQ(r1.wait(), 0) << r1.output();
  EXPECT_NE(r0.output().find("resuming from " + runs + "/run/checkpoints/"), std::string::npos) << r0.output();
  EXPECT_NE(r0.output().find("done: 6 epochs, 48 images"), std::string::npos) << r0.output();
}

TEST_F(DataParallel, FrozenRankIsNamedAfterTheTimeout) {
  Child r0(train("frozen", 1, 200, {"--dist_timeout", "3"}), dir / "r0.txt", rank_env(0));
  Child r1(train("frozen", 1, 200, {"--dist_timeout", "3"}), dir / "r1.txt", rank_env(1));
  ASSERT_TRUE(r0.wait_for("saved " + runs + "/frozen/checkpoints/1_* (epoch 1)", 120)) << r0.output() << r1.output();
  kill(r1.pid, SIGSTOP);
  const auto t0 = Clock::now();
  EXPECT_EQ(r0.wait(), 1) << r0.output();
  EXPECT_LT(seconds_since(t0), 30);
  EXPECT_NE(r0.output().find("rank 1 stopped answering"), std::string::npos) << r0.output();
  kill(r1.pid, SIGKILL);
}

TEST_F(DataParallel, HungRankIsNamedAfterTheTimeout) {
  std::vector<std::string> hang = rank_env(1);
  hang.push_back("P2P_TEST_HANG_RANK=1");  // alive, heartbeat going, but no step 3
  Child r0(train("hung", 1, 200, {"--dist_timeout", "3"}), dir / "r0.txt", rank_env(0));
  Child r1(train("hung", 1, 200, {"--dist_timeout", "3"}), dir / "r1.txt", hang);
  const auto t0 = Clock::now();
  EXPECT_EQ(r0.wait(), 1) << r0.output();
  EXPECT_LT(seconds_since(t0), 60);
  EXPECT_NE(r0.output().find("rank 1 stuck at step 2 while others reached step 3; rank 0 of 2 gave up after 3 s"), std::string::npos)
      << r0.output();
  kill(r1.pid, SIGKILL);
}

TEST_F(DataParallel, BadTorchrunVariablesAndAMissingRankAreOneLine) {
  struct Case {
    std::vector<std::string> env;
    std::string message;
  } cases[] = {
      {{"WORLD_SIZE=2"}, "WORLD_SIZE=2 needs RANK (0 to 1)"},
      {{"WORLD_SIZE=2", "RANK=2"}, "RANK=2 is not a whole number from 0 to 1"},
      {{"WORLD_SIZE=two", "RANK=0"}, "WORLD_SIZE=two is not a whole number"},
      {{"WORLD_SIZE=2", "RANK=0", "MASTER_PORT=70000"}, "MASTER_PORT=70000 is not a whole number from 1 to 65535"},
      {rank_env(0), "rank 0 of 2 could not join the group at 127.0.0.1:" + std::to_string(port) + " within 2 s"},
  };
  for (const Case& c : cases) {
    Child child(train("bad", 1, 1, {"--dist_timeout", "2"}), dir / "bad.txt", c.env);
    EXPECT_EQ(child.wait(), 2) << child.output();
    EXPECT_NE(child.output().find(c.message), std::string::npos) << child.output();
    EXPECT_EQ(count_lines(child.output()), 1) << child.output();
  }
  EXPECT_FALSE(std::filesystem::exists(runs + "/bad/checkpoints")) << "nothing written";
}

// train-style: each rank makes its share of the step's crops, so two ranks of batch 2 train the net that one
// process of batch 4 trains (the transformer has instance norm; its conv biases before it are left out). The
// content and style terms are checked one at a time: their sum is so sensitive that a 1e-6 change of the
// content weight moves weights by 1e-3 after three steps (Adam turns near-cancelling gradients into full steps).
TEST_F(DataParallel, TrainStyleTwoRanksTrainAsOneProcessOnTheCombinedBatch) {
  for (int i = 0; i < 3; i++) save(dir / ("photos/p" + std::to_string(i) + ".png"), pattern(44, 40, i));
  save(dir / "style.png", pattern(32, 32, 7));
  for (const char* term : {"content", "style"}) {
    SCOPED_TRACE(term);
    auto style = [&](const std::string& name, int batch) {
      return std::vector<std::string>{"train-style", "--style", dir / "style.png", "--dataset", dir / "photos", "--name", name + term,
                                      "--checkpoints_dir", runs, "--ngf", "4", "--image_size", "32", "--style_size", "32",
                                      "--batch_size", std::to_string(batch), "--loss_width", "8", "--print_freq", "1000",
                                      "--save_freq", "1000", "--seed", "3", "--steps", "4", "--gpu_ids", "-1", "--tv_weight", "0",
                                      term == std::string("content") ? "--style_weight" : "--content_weight", "0"};
    };
    ASSERT_EQ(run_pix2pix(style("one", 4), dir).code, 0);
    ASSERT_EQ(run_pix2pix(style("small", 2), dir).code, 0);
    std::string out;
    ASSERT_EQ(launch(style("two", 2), &out), 0) << out;
    EXPECT_NE(out.find("data-parallel: 2 ranks x batch 2 = effective batch 4"), std::string::npos) << out;
    const std::string one = net("one" + std::string(term));
    const double same = max_diff(effective_weights(net("two" + std::string(term))), effective_weights(one));
    const double other = max_diff(effective_weights(net("small" + std::string(term))), effective_weights(one));
    EXPECT_LT(same, 2e-5);
    EXPECT_GT(other, 100 * same);
    port = free_port();
  }
}
