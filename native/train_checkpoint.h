// A training run's checkpoints (checkpoints/<label>_net_G, _net_D, _state .safetensors: weights, both Adam
// states, the schedule and the position in the run) and the reference's weight initialisation.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "native/checkpoint_store.h"
#include "native/lr_schedule.h"
#include "native/pix2pix_model.h"
#include "native/torch_graph.h"
#include "shared/status.h"

namespace p2p {

// Where a run stands. Counting images (iters) as the reference does, and optimisation steps.
struct TrainProgress {
  int64_t epoch = 1;          // the epoch this position is in
  int64_t epoch_iter = 0;     // images of that epoch done
  int64_t epoch_batches = 0;  // batches of that epoch done
  bool epoch_done = false;    // that epoch is finished: a resume starts the next one
  int64_t total_iters = 0;    // images since the run began
  int64_t steps = 0;          // optimisation steps since the run began
  double epoch_l1_sum = 0;    // the plateau policy's metric (the epoch's mean G_L1, or G_GAN without L1), accumulated
  int64_t epoch_l1_count = 0;
  double train_seconds = 0;   // time spent loading and stepping since the run began, over all resumes
  int64_t skipped = 0;        // items skipped as unreadable since the run began
};

// The reference's init_weights: conv weights by init_type (normal(0, gain), xavier_normal(gain),
// kaiming_normal(fan_in), orthogonal(gain)), conv biases 0, BatchNorm weights normal(1, gain) and biases 0,
// running statistics 0 / 1. Drawn on the CPU from torch's global generator (seed it first), then copied
// onto the module's device, so a seed gives the same weights on every device.
Status init_network(GraphModule& net, const std::string& init_type, float gain);

// Writes checkpoint `label` as one unit (native/checkpoint_store.h): G (its spec and `g_metadata` in the
// metadata, so run and export take it as it is), D, and the state (Adam states under "G." and "D.", the
// schedule's plateau state, the position, `options_json`); the three carry the same epoch / epoch_iter / total_iters.
Status save_checkpoint(const std::string& dir, const std::string& label, const Pix2PixModel& model,
                       const LrSchedule& schedule, const TrainProgress& progress,
                       const std::map<std::string, std::string>& g_metadata, const std::string& options_json);

// Reads the complete checkpoint `label` (in runs of older versions, the three files), refuses them unless they agree on the position and fit the model's architecture
// (one line naming the file), then loads weights, optimizer states and the schedule's plateau state.
Result<TrainProgress> load_checkpoint(const std::string& dir, const std::string& label, Pix2PixModel& model,
                                      LrSchedule& schedule);

}  // namespace p2p
