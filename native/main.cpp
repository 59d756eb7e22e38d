// The pix2pix program: dispatches to the subcommands in native/cmd_*.cpp.
#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <thread>

#include <unistd.h>

#include "native/commands.h"
#include "native/model_file.h"
#include "native/options.h"

namespace {
struct Command {
  const char* name;
  int (*run)(const p2p::Args&);
  const char* help;
  bool long_running = false;  // minutes of LibTorch work: worth a second start with passive OpenMP waiting
};
const Command kCommands[] = {
    {"info", p2p::cmd_info, "parameters, MACs and valid input sizes of a network"},
    {"import", p2p::cmd_import, "a reference PyTorch checkpoint (.pth) as .safetensors for run, export and train"},
    {"run", p2p::cmd_run, "one forward pass of a model on an image or a .npy tensor"},
    {"export", p2p::cmd_export, "a model as ONNX and/or a web bundle (model.json + weights.safetensors)"},
    {"combine", p2p::cmd_combine, "pair fold_A/<split>/x with fold_B/<split>/x into A|B images (combine_A_and_B)"},
    {"edges", p2p::cmd_edges, "a folder of photos into an edges->photo dataset (train/val/test)"},
    {"train", p2p::cmd_train, "train a pix2pix model on a paired dataset (runs/NAME: checkpoints, log, page)", true},
    {"test", p2p::cmd_test, "a trained model on a dataset phase: results page and metrics (L1, PSNR, SSIM, Lab)", true},
    {"stylize", p2p::cmd_stylize, "neural style transfer by optimising the image (Gatys; neural-style's options)", true},
    {"train-style", p2p::cmd_train_style, "train a fast style network for one style on a folder of photos (Johnson)", true},
};

// OpenMP's default wait policy spins idle workers; they steal the cores of other work (the data loader's
// threads, a second run): a training step took 1.6x longer on a quiet 2-core machine, 3-4x beside other
// work (README, "Speed, measured"). libgomp reads OMP_WAIT_POLICY once, before main, and libc's start-up
// restores the environment it was given, so the only way to change the policy is to start again with it
// set. A policy given stands; if the exec fails, the command goes on with the default.
void restart_with_passive_waiting(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);
}

void usage(FILE* out) {
  std::fprintf(out, "usage: pix2pix <command> [options]   (pix2pix <command> --help for its options)\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.help);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const Command* c = nullptr;
  for (const Command& k : kCommands)
    if (!std::strcmp(argv[1], k.name)) c = &k;
  if (!c) {
    std::fprintf(stderr, "pix2pix: unknown command '%s' (pix2pix --help lists them)\n", p2p::printable(argv[1]).c_str());
    return 2;
  }
  if (c->long_running) restart_with_passive_waiting(argv);
  // LibTorch's default may be below the core count; an explicit OMP_NUM_THREADS wins (to share a machine).
  if (!std::getenv("OMP_NUM_THREADS"))
    if (unsigned n = std::thread::hardware_concurrency()) at::set_num_threads(int(n));
  // The last line of defence: whatever a command did not catch (running out of memory, a LibTorch
  // error, a failure in a worker thread of parallel_for) ends as one line and exit status 1, not an abort.
  try {
    return c->run(p2p::Args(argv + 2, argv + argc));
  } catch (const std::bad_alloc&) {
    return p2p::fail(c->name, "out of memory");
  } catch (const std::exception& e) {
    return p2p::fail(c->name, p2p::one_line(e));
  } catch (...) {
    return p2p::fail(c->name, "unexpected error");
  }
}
