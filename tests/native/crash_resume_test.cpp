// Runs that always resume: checkpoints written as one unit (native/checkpoint_store.h), kill -9 of the real
// program at random moments (inside checkpoint writes too) followed by --continue_train, a killed first save,
// runs of the older three-file layout, and unreadable images skipped and counted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "child_process.h"
#include "data_test_util.h"
#include "native/checkpoint_store.h"
#include "shared/safetensors.h"

using namespace p2p_test;
namespace fs = std::filesystem;

namespace {

// What a kill inside a save leaves behind: a checkpoint folder that no link names, or a temporary.
bool save_leftovers(const std::string& ckpt) {
  std::error_code ec;
  std::set<std::string> linked;
  std::vector<fs::directory_entry> items;
  for (auto it = fs::directory_iterator(ckpt, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    items.push_back(*it);
    if (it->is_symlink(ec)) linked.insert(fs::read_symlink(it->path(), ec).string());
  }
  for (const fs::directory_entry& e : items) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) return true;
    if (!e.is_symlink(ec) && e.is_directory(ec) && !linked.count(name)) return true;
  }
  return false;
}

// The position of the most advanced complete checkpoint: the state behind each committed link (-1: none).
int64_t newest_saved_iters(const std::string& ckpt) {
  int64_t best = -1;
  std::error_code ec;
  for (auto it = fs::directory_iterator(ckpt, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name[0] == '.' || !it->is_symlink(ec) || !fs::is_directory(it->path(), ec)) continue;
    p2p::Result<p2p::SafetensorsFile> f = p2p::load_safetensors(it->path().string() + "/state.safetensors");
    if (f.ok()) best = std::max(best, int64_t(std::atoll(f.value.metadata["total_iters"].c_str())));
  }
  return best;
}

p2p::Weights weights_of(const std::string& path) {
  p2p::Result<p2p::SafetensorsFile> f = p2p::load_safetensors(path);
  EXPECT_TRUE(f.ok()) << f.error;
  return f.value.weights;
}

class CrashResume : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!p2p::file_exists(P2P_BIN)) GTEST_FAIL() << P2P_BIN << " is not built (ninja pix2pix)";
    data = dir / "data", runs = dir / "runs";
    for (int i = 0; i < 4; i++) save(data + "/train/00" + std::to_string(i) + ".png", p2p::join_ab(pattern(32, 32, i), pattern(32, 32, i + 9)).value);
  }
  // unet_32 at 32x32, ngf/ndf 4, batch 1: 4 steps an epoch, a checkpoint after every step.
  std::vector<std::string> train(const std::string& name, int epochs, std::vector<std::string> more = {}) const {
    std::vector<std::string> a = {"train", "--dataroot", data, "--name", name, "--checkpoints_dir", runs, "--netG", "unet_32",
                                  "--ngf", "4", "--ndf", "4", "--load_size", "32", "--crop_size", "32", "--batch_size", "1",
                                  "--num_threads", "1", "--seed", "5", "--lr_policy", "step", "--n_epochs", std::to_string(epochs),
                                  "--n_epochs_decay", "0", "--save_latest_freq", "1", "--save_epoch_freq", "5",
                                  "--print_freq", "1000", "--display_freq", "100000"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  int run(const std::vector<std::string>& args, std::string* out = nullptr) {
    Child c(args, dir / "out.txt");
    const int code = c.wait();
    if (out) *out = c.output();
    EXPECT_EQ(code, 0) << c.output();
    return code;
  }
  std::string ckpt(const std::string& name) const { return runs + "/" + name + "/checkpoints"; }

  TempDir dir;
  std::string data, runs;
};

}  // namespace

// kill -9 at 20 random moments, each followed by --continue_train: every resume starts from the newest complete
// checkpoint, and the run ends with the weights of an uninterrupted one.
TEST_F(CrashResume, KillNineAtRandomMomentsThenContinueFinishesTheRun) {
  const int epochs = 30, kills = 20;
  const auto t_whole = Clock::now();
  Child whole(train("whole", epochs), dir / "whole.txt");
  ASSERT_TRUE(whole.wait_for(" batches, lr ")) << whole.output();
  const auto t_train = Clock::now();
  ASSERT_EQ(whole.wait(), 0) << whole.output();
  const double step_s = seconds_since(t_train) / (4.0 * epochs);

  // Seeded from the clock (printed, P2P_KILL_SEED repeats it): each run of the test kills at other moments.
  const char* env_seed = std::getenv("P2P_KILL_SEED");
  const unsigned seed = env_seed ? unsigned(std::atoi(env_seed)) : unsigned(Clock::now().time_since_epoch().count());
  std::mt19937 rng(seed);
  // Saves paused 3 ms between their steps, so a good share of kills land inside one; the kill comes within
  // about three steps of the training loop's start (startup dominates a process's life).
  std::uniform_real_distribution<double> after(0.0, 3 * step_s + 0.02);
  int in_save = 0, killed = 0;
  int64_t saved = -1;
  for (int k = 0; k < kills; k++) {
    Child c(train("chain", epochs, k ? std::vector<std::string>{"--continue_train"} : std::vector<std::string>{}),
            dir / "chain.txt", {"P2P_CHECKPOINT_DELAY_MS=3"});
    ASSERT_TRUE(c.wait_for(" batches, lr ")) << "kill " << k << " (seed " << seed << "): " << c.output();
    const std::string out = c.output();
    if (k > 0 && saved >= 0) {  // it resumed from the newest complete checkpoint
      const size_t at = out.find("resuming from ");
      ASSERT_NE(at, std::string::npos) << out;
      const size_t n = out.find(", ", out.find(": epoch ", at)) + 2;
      EXPECT_EQ(std::atoll(out.c_str() + n), saved) << "kill " << k << " (seed " << seed << "): " << out;
    } else if (k > 0) {
      EXPECT_NE(out.find("starting it from the beginning"), std::string::npos) << out;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(after(rng)));
    ASSERT_FALSE(c.exited()) << "the run ended before kill " << k << " (seed " << seed << "): " << c.output();
    c.kill9();
    killed++;
    in_save += save_leftovers(ckpt("chain"));
    saved = newest_saved_iters(ckpt("chain"));
  }
  std::string out;
  ASSERT_EQ(run(train("chain", epochs, {"--continue_train"}), &out), 0);
  EXPECT_NE(out.find("done: " + std::to_string(epochs) + " epochs, " + std::to_string(4 * epochs) + " images"), std::string::npos) << out;
  std::printf("[ crash    ] seed %u: %d kills, %d inside a save; %.1f s in all (%.1f ms a step with its save)\n",
              seed, killed, in_save, seconds_since(t_whole), step_s * 1e3);
  EXPECT_EQ(killed, kills);
  EXPECT_GE(in_save, 3) << "too few kills landed inside a save to test them";
  EXPECT_FALSE(save_leftovers(ckpt("chain")));
  for (const char* part : {"latest_net_G.safetensors", "latest_net_D.safetensors", "latest_state.safetensors"})
    EXPECT_LE(max_diff(weights_of(ckpt("whole") + "/" + part), weights_of(ckpt("chain") + "/" + part)), 1e-6) << part;
}

// Killed inside its very first save, a run is neither "stuck with checkpoints" for a fresh start nor without
// a way to --continue_train.
TEST_F(CrashResume, KilledFirstSaveLeavesTheNameUsable) {
  for (const bool resume : {false, true}) {
    {
      Child c(train("first", 1), dir / "first.txt", {"P2P_CHECKPOINT_DELAY_MS=400"});
      const auto t0 = Clock::now();
      while (!save_leftovers(ckpt("first")) && !c.exited() && seconds_since(t0) < 120)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ASSERT_FALSE(c.exited()) << c.output();
      c.kill9();
    }
    ASSERT_TRUE(save_leftovers(ckpt("first")));
    EXPECT_FALSE(p2p::file_exists(ckpt("first") + "/latest_state.safetensors"));
    std::string out;
    ASSERT_EQ(run(train("first", 1, resume ? std::vector<std::string>{"--continue_train"} : std::vector<std::string>{}), &out), 0);
    if (resume) EXPECT_NE(out.find("starting it from the beginning"), std::string::npos) << out;
    EXPECT_FALSE(save_leftovers(ckpt("first")));
    EXPECT_TRUE(p2p::file_exists(ckpt("first") + "/latest_state.safetensors"));
    fs::remove_all(runs + "/first");
  }
}

// A run saved by an older version (three plain files per checkpoint) resumes and moves to the new layout;
// run/test/export's paths (latest_net_G.safetensors) stay files one can read.
TEST_F(CrashResume, RunsOfTheOlderLayoutResume) {
  ASSERT_EQ(run(train("old", 1)), 0);
  const std::string c = ckpt("old");
  for (const std::string label : {"latest", "1"}) {
    const std::string folder = c + "/" + fs::read_symlink(c + "/" + label).string();
    for (const std::string part : {"net_G", "net_D", "state"}) {
      const std::string stable = c + "/" + label + "_" + part + ".safetensors";
      fs::remove(stable);
      fs::copy_file(folder + "/" + part + ".safetensors", stable);
    }
    fs::remove(c + "/" + label);
    fs::remove_all(folder);
  }
  ASSERT_EQ(p2p::find_checkpoint(c, "latest").value.folder, "");
  std::string out;
  ASSERT_EQ(run(train("old", 2, {"--continue_train"}), &out), 0);
  EXPECT_NE(out.find("resuming from " + c + "/latest: epoch 1, 4 images"), std::string::npos) << out;
  EXPECT_TRUE(fs::is_symlink(c + "/latest_net_G.safetensors"));
  EXPECT_EQ(weights_of(c + "/latest_net_G.safetensors").size(), weights_of(c + "/2_net_G.safetensors").size());
  EXPECT_TRUE(fs::is_regular_file(c + "/1_net_G.safetensors"));  // untouched: another label
}

// An unreadable image is skipped with a warning, in every epoch and on resume alike, and counted; a dataset with
// nothing readable fails before anything is saved.
TEST_F(CrashResume, UnreadableImageIsSkippedAndCounted) {
  write_text(data + "/train/002.png", "not a png at all");
  std::string out;
  ASSERT_EQ(run(train("skip", 2, {"--stop_after_iters", "2"}), &out), 0);
  std::string both = out;
  ASSERT_EQ(run(train("skip", 2, {"--continue_train"}), &out), 0);
  both += out;
  EXPECT_NE(both.find("warning: skipped"), std::string::npos) << both;
  EXPECT_NE(both.find("002.png"), std::string::npos) << both;
  EXPECT_NE(out.find("6 images (2 unreadable skipped)"), std::string::npos) << out;
  p2p::Result<p2p::SafetensorsFile> st = p2p::load_safetensors(ckpt("skip") + "/latest_state.safetensors");
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_EQ(st.value.metadata["total_iters"], "6");
  EXPECT_EQ(st.value.metadata["skipped"], "2");

  for (int i : {0, 1, 3}) write_text(data + "/train/00" + std::to_string(i) + ".png", "truncated");
  Child c(train("none", 2), dir / "none.txt");
  EXPECT_EQ(c.wait(), 2) << c.output();
  EXPECT_NE(c.output().find("could be read"), std::string::npos) << c.output();
  EXPECT_FALSE(p2p::checkpoint_exists(ckpt("none"), "latest"));
}

// The mechanism itself: a save replaces the previous checkpoint of its label, the newest label is the last
// committed, the leftovers of a killed save are removed (and nothing else), and a second holder is refused.
TEST(CheckpointStore, CommitsCleansAndLocks) {
  TempDir dir;
  const std::string c = dir / "ckpt";
  auto part = [](const char* name, float v) {
    p2p::Tensor t(p2p::Shape{2}, v);
    return p2p::CheckpointPart{name, {{"w", t}}, {{"v", std::to_string(v)}}};
  };
  ASSERT_TRUE(p2p::save_checkpoint_parts(c, "latest", {part("net_G", 1), part("state", 1)}).ok());
  ASSERT_TRUE(p2p::save_checkpoint_parts(c, "3", {part("net_G", 2), part("state", 2)}).ok());
  ASSERT_TRUE(p2p::save_checkpoint_parts(c, "latest", {part("net_G", 3), part("state", 3)}).ok());
  EXPECT_EQ(p2p::newest_checkpoint(c), "latest");
  EXPECT_EQ(p2p::find_checkpoint(c, "latest").value.folder, "latest.3");
  EXPECT_FALSE(fs::exists(c + "/latest.1"));  // the checkpoint it replaced
  EXPECT_EQ(weights_of(c + "/latest_net_G.safetensors").at("w").data[0], 3.0f);
  EXPECT_EQ(weights_of(c + "/3_state.safetensors").at("w").data[0], 2.0f);
  EXPECT_FALSE(p2p::checkpoint_exists(c, "7"));

  // What kills leave: a folder never committed, temporaries; a folder of the user's is not ours to remove.
  fs::create_directories(c + "/latest.9");
  write_text(c + "/latest.9/net_G.safetensors", "half");
  write_text(c + "/latest_state.safetensors.tmp-77", "half");
  fs::create_symlink("latest.9", c + "/.tmp-link-77-latest");
  fs::create_directories(c + "/notes.1");
  write_text(c + "/notes.1/todo.txt", "mine");
  EXPECT_EQ(p2p::newest_checkpoint(c), "latest");
  {
    p2p::Result<p2p::CheckpointLock> lock = p2p::lock_checkpoints(c);
    ASSERT_TRUE(lock.ok()) << lock.error;
    EXPECT_FALSE(fs::exists(c + "/latest.9"));
    EXPECT_FALSE(fs::exists(c + "/latest_state.safetensors.tmp-77"));
    EXPECT_FALSE(fs::is_symlink(c + "/.tmp-link-77-latest"));
    EXPECT_TRUE(fs::exists(c + "/notes.1/todo.txt"));
    EXPECT_TRUE(fs::exists(c + "/latest.3/net_G.safetensors"));
    p2p::Result<p2p::CheckpointLock> second = p2p::lock_checkpoints(c);
    EXPECT_FALSE(second.ok());
    EXPECT_NE(second.error.find("another process"), std::string::npos) << second.error;
  }
  EXPECT_TRUE(p2p::lock_checkpoints(c).ok());  // released with its holder
}

// train-style keeps its checkpoint the same way: kill -9 at random moments, then --continue_train ends with the
// uninterrupted run's weights.
TEST_F(CrashResume, TrainStyleSurvivesKillNine) {
  for (int i = 0; i < 2; i++) save(dir / ("photos/p" + std::to_string(i) + ".png"), pattern(40, 36, i));
  save(dir / "style.png", pattern(32, 32, 7));
  auto style = [&](const std::string& name, bool resume) {
    std::vector<std::string> a = {"train-style", "--style", dir / "style.png", "--dataset", dir / "photos", "--name", name,
                                  "--checkpoints_dir", runs, "--ngf", "4", "--image_size", "32", "--style_size", "32",
                                  "--batch_size", "1", "--loss_width", "8", "--print_freq", "1000", "--save_freq", "1",
                                  "--seed", "3", "--steps", "40", "--gpu_ids", "-1"};
    if (resume) a.push_back("--continue_train");
    return a;
  };
  ASSERT_EQ(run(style("whole", false)), 0);
  std::mt19937 rng(unsigned(Clock::now().time_since_epoch().count()));
  std::uniform_real_distribution<double> after(0.0, 0.15);
  int in_save = 0;
  for (int k = 0; k < 5; k++) {
    Child c(style("chain", k > 0), dir / "chain.txt", {"P2P_CHECKPOINT_DELAY_MS=3"});
    ASSERT_TRUE(c.wait_for(" photos")) << c.output();
    std::this_thread::sleep_for(std::chrono::duration<double>(after(rng)));
    ASSERT_FALSE(c.exited()) << c.output();
    c.kill9();
    in_save += save_leftovers(ckpt("chain"));
  }
  ASSERT_EQ(run(style("chain", true)), 0);
  std::printf("[ crash    ] train-style: 5 kills, %d inside a save\n", in_save);
  EXPECT_FALSE(save_leftovers(ckpt("chain")));
  EXPECT_LE(max_diff(weights_of(ckpt("whole") + "/latest_net_G.safetensors"), weights_of(ckpt("chain") + "/latest_net_G.safetensors")),
            1e-6);
}
