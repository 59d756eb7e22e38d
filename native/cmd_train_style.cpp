// pix2pix train-style: a fast style network (Johnson et al. 2016; pytorch/examples fast_neural_style) for one
// style image, trained on random crops of a folder of photos. runs/NAME: checkpoints, log.jsonl, index.html.
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <random>

#include "native/adam.h"
#include "native/checkpoint_store.h"
#include "native/commands.h"
#include "native/device_select.h"
#include "native/distributed.h"
#include "native/model_file.h"
#include "native/options.h"
#include "native/progress.h"
#include "native/style_run.h"
#include "native/torch_graph.h"
#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/json.h"
#include "shared/safetensors.h"

namespace p2p {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_style_sigint(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);
}

void add_options(Options& op, StyleTrainOptions& o) {
  op.text("style", &o.style, "FILE", "the style image");
  op.text("dataset", &o.dataset, "DIR", "folder of photos (searched recursively; PNG and JPEG)");
  op.text("name", &o.name, "NAME", "the run: checkpoints_dir/NAME");
  op.text("checkpoints_dir", &o.checkpoints_dir, "DIR", "where runs are kept");
  op.integer("ngf", &o.ngf, "transformer width (pytorch/examples: 32; lighter page models: 8-16)");
  op.integer("image_size", &o.image_size, "training crop size");
  op.integer("style_size", &o.style_size, "longest side of the style image, in pixels");
  op.integer("batch_size", &o.batch_size, "images per step");
  op.integer("steps", &o.steps, "optimisation steps in all");
  op.real("lr", &o.lr, "Adam's learning rate");
  op.real("content_weight", &o.content_weight, "content loss weight (VGG file: 1e5; random network: 1, terms normalised)");
  op.real("style_weight", &o.style_weight, "style loss weight (VGG file: 1e10; random network: 0.4, terms normalised)");
  op.real("tv_weight", &o.tv_weight, "total variation weight");
  add_loss_flags(op, o.loss, "taps (content: relu2_2; style: VGG file relu1_2,relu2_2,relu3_3,relu4_3, random relu1_1,relu2_1,relu3_1,relu4_1)");
  op.integer("seed", &o.seed, "random seed of the weights and the crops (-1: drawn and recorded)");
  op.integer("print_freq", &o.print_freq, "steps between log records");
  op.integer("save_freq", &o.save_freq, "steps between checkpoints and previews");
  op.integer("max_dataset_size", &o.max_dataset_size, "use at most this many photos (0: all)");
  op.text("gpu_ids", &o.gpu_ids, "IDS", "CUDA device (-1: the CPU)");
  op.flag("continue_train", &o.continue_train, "resume the run from its latest checkpoint");
  op.integer("dist_timeout", &o.dist_timeout, "data-parallel (scripts/launch): seconds to wait for the other ranks before stopping");
}

// Data-parallel: joins the group when started by scripts/launch or torchrun (null otherwise); every rank
// takes rank 0's options (its seed, and its stored ones when resuming).
Result<std::unique_ptr<DataParallel>> join_ranks(StyleTrainOptions& o) {
  using R = Result<std::unique_ptr<DataParallel>>;
  R dp = DataParallel::join_from_environment(std::chrono::seconds(o.dist_timeout));
  if (!dp.ok() || !dp.value) return dp;
  Json mine = Json::array();
  for (const std::string& a : to_args(o)) mine.push_back(a);
  Result<Json> theirs = parse_json(dp.value->broadcast_text(mine.dump()));
  if (dp.value->main()) return dp;
  StyleTrainOptions from0;
  Options again("train-style", "");
  add_options(again, from0);
  Args args;
  if (theirs.ok())
    for (const Json& a : theirs.value.items()) args.push_back(a.as_string());
  if (Status st = again.parse(args); !theirs.ok() || !st.ok()) return R::Fail("rank 0's options do not read back");
  from0.dist_timeout = o.dist_timeout;
  o = from0;
  return dp;
}

}  // namespace

int cmd_train_style(const Args& args) {
  StyleTrainOptions o;
  Options op("train-style", "Train a fast style network (Johnson et al.; pytorch/examples' recipe) for one style.");
  add_options(op, o);
  if (Status st = op.parse(args); !st.ok()) return fail("train-style", st.error, 2);
  if (op.help_requested()) return std::printf("%s", op.help().c_str()), 0;
  // A resumed run takes the options it was started with, and the ones given now on top.
  Result<CheckpointFiles> saved = find_checkpoint(o.checkpoints_dir + "/" + o.name + "/checkpoints", "latest");
  const std::string state_file = saved.ok() ? saved.value.part("state") : std::string();
  if (o.continue_train && saved.ok()) {
    Result<SafetensorsFile> st = load_safetensors(state_file);
    if (!st.ok()) return fail("train-style", st.error, 2);
    StyleTrainOptions stored;
    Options again("train-style", "");
    add_options(again, stored);
    Result<Json> stored_args = parse_json(st.value.metadata["args"]);
    Args before;
    if (stored_args.ok())
      for (const Json& a : stored_args.value.items()) before.push_back(a.as_string());
    if (Status s = again.parse(before); !stored_args.ok() || !s.ok())
      return fail("train-style", state_file + ": the run's stored options do not read back", 2);
    if (Status s = again.parse(args); !s.ok()) return fail("train-style", s.error, 2);
    stored.continue_train = true;
    o = stored;
  }
  if (o.seed < 0) o.seed = int(std::random_device{}() & 0x7fffffff);
  Result<std::unique_ptr<DataParallel>> dp = join_ranks(o);
  if (!dp.ok()) return fail("train-style", dp.error, 2);
  const std::string me = dp.value ? "train-style (" + dp.value->who() + ")" : "train-style";
  Result<StyleRun> run = StyleRun::start(o, dp.value.get());
  if (!run.ok()) return fail(me, run.error, 2);
  std::signal(SIGINT, on_style_sigint);
  Status st = run.value.train(g_stop);
  std::signal(SIGINT, SIG_DFL);
  if (!st.ok()) return fail(me, st.error);
  return 0;
}

}  // namespace p2p
