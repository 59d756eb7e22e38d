// Learning-rate policies of the reference pix2pix: linear (constant for n_epochs, then linear decay to zero
// over n_epochs_decay), step (x0.1 every lr_decay_iters epochs), plateau (x0.2 when the epoch's mean L1 stops
// improving by 1% for 5 epochs), cosine (to zero over n_epochs, rising again after,
// as PyTorch's CosineAnnealingLR does). The reference's linear rate already drops in epoch n_epochs and is 0 in
// the last epoch, so that epoch changes no weight; this project's linear_nonzero keeps the full rate through
// epoch n_epochs and ends at 1/(n_epochs_decay + 1) of it.
#pragma once
#include <string>
#include <vector>

#include "shared/status.h"

namespace p2p {

enum class LrPolicy { Linear, Step, Plateau, Cosine, LinearNonzero };
const std::vector<std::string>& lr_policy_names();  // in the enum's order, for option tables
Result<LrPolicy> parse_lr_policy(const std::string& name);

struct LrSchedule {
  LrPolicy policy = LrPolicy::Linear;
  double base_lr = 0.0002;
  int n_epochs = 100, n_epochs_decay = 100, epoch_count = 1, lr_decay_iters = 50;
  // plateau state, carried in checkpoints
  double plateau_best = 1e300, plateau_factor = 1.0;
  int plateau_bad = 0;

  // The rate for training epoch `epoch` (epoch_count, epoch_count + 1, ...).
  double lr(int epoch) const;
  // plateau: records the finished epoch's metric.
  void observe(double metric);
};

}  // namespace p2p
