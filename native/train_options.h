// The options of `pix2pix train` as one table: the reference pix2pix names and defaults, the Lua reference's
// environment spellings (DATA_ROOT, which_direction, niter, ...), and their round trip through options.json.
#pragma once
#include <string>

#include "native/options.h"
#include "native/spec_options.h"
#include "shared/json.h"
#include "shared/models.h"
#include "shared/status.h"

namespace p2p {

struct TrainOptions {
  // data
  std::string dataroot, name = "experiment_name", checkpoints_dir = "runs", phase = "train";
  std::string layout = "auto";  // auto | aligned (A|B side by side) | separate (A/ and B/ folders)
  std::string direction = "AtoB", preprocess = "resize_and_crop";
  int load_size = 286, crop_size = 256, batch_size = 1, num_threads = 4, max_dataset_size = 0;  // 0: all
  bool flip = true, serial_batches = false;
  float zoom_out = 1.0f;  // not the reference's: see DatasetOptions::zoom_out
  int widen_lines = 0;    // not the reference's: see DatasetOptions::widen_lines
  bool balance_colours = false;  // not the reference's: see colour_balance_weights
  int bn_stats_batches = 0;  // not the reference's: G's running statistics recomputed at each epoch's end
  // networks
  std::string netG = "unet_256", netD = "basic", norm = "batch", init_type = "normal";
  int ngf = 64, ndf = 64, n_layers_D = 3, input_nc = 3, output_nc = 3;
  float init_gain = 0.02f;
  bool dropout = true;
  // objective (use_GAN, use_L1, condition_GAN: the Lua reference's ablation switches)
  std::string gan_mode = "vanilla";
  float lambda_L1 = 100.0f, lambda_gp = 0.0f;
  bool use_GAN = true, use_L1 = true, condition_GAN = true;
  // optimisation and schedule
  float lr = 0.0002f, beta1 = 0.5f;
  std::string lr_policy = "linear";
  int n_epochs = 100, n_epochs_decay = 100, epoch_count = 1, lr_decay_iters = 50;
  // the run
  std::string gpu_ids = "0", epoch = "latest";
  bool continue_train = false, bf16 = false, save_by_iter = false;
  int seed = -1;  // -1: drawn at the start and recorded in options.json
  int print_freq = 100, display_freq = 400, save_latest_freq = 5000, save_epoch_freq = 5;
  int stop_after_iters = 0;  // testing and scripting: stop (saving latest) once total_iters reaches this
  // data-parallel (several processes, native/distributed.h)
  bool sync_bn = false;
  int dist_timeout = 300;  // seconds a rank waits for the others before the run stops

  std::string run_dir() const { return checkpoints_dir + "/" + name; }
  double lr_exact() const;  // lr as the decimal the user wrote (0.0002, not the float nearest to it)
  SpecFlags spec_flags() const;
};

// Registers every option on o, bound to t. gpu_ids is also read from the Lua `gpu` variable by
// apply_lua_gpu_env (1-based there, 0 meaning the CPU).
void add_train_options(Options& o, TrainOptions& t);
void apply_lua_gpu_env(TrainOptions& t, bool gpu_ids_given);
// Checks the combinations a table cannot (sizes, frequencies, names); netG "unet" (Lua) becomes unet_256.
Status validate(TrainOptions& t);

// options.json: every option but the ones that steer one invocation (continue_train, epoch, stop_after_iters).
Json to_json(const TrainOptions& t);
// Members present in j replace those of t; unknown members are ignored, members of the wrong type refused.
Status from_json(const Json& j, TrainOptions& t);

// The generator and discriminator these options describe (not yet checked by build()).
ModelSpec generator_spec(const TrainOptions& t);
ModelSpec discriminator_spec(const TrainOptions& t);

}  // namespace p2p
