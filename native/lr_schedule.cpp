#include "native/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "shared/choice.h"

namespace p2p {

const std::vector<std::string>& lr_policy_names() {
  static const std::vector<std::string> names = {"linear", "step", "plateau", "cosine", "linear_nonzero"};
  return names;
}

Result<LrPolicy> parse_lr_policy(const std::string& name) {
  Result<int> i = parse_choice("lr_policy", name, lr_policy_names());
  return i.ok() ? Result<LrPolicy>{LrPolicy(i.value), ""} : Result<LrPolicy>::Fail(i.error);
}

double LrSchedule::lr(int epoch) const {
  // The reference steps its scheduler at the start of every epoch: counter 1 in the first one it runs.
  int counter = epoch - epoch_count + 1;
  if (policy == LrPolicy::Linear) {
    double f = 1.0 - std::max(0, counter + epoch_count - n_epochs) / double(n_epochs_decay + 1);
    return base_lr * f;
  }
  if (policy == LrPolicy::LinearNonzero)  // n_epochs at the full rate, then d/(d+1), ..., 1/(d+1) of it
    return base_lr * (1.0 - std::max(0, epoch - n_epochs) / double(n_epochs_decay + 1));
  if (policy == LrPolicy::Step) return base_lr * std::pow(0.1, counter / std::max(1, lr_decay_iters));
  // PyTorch's CosineAnnealingLR (T_max n_epochs), which the reference uses: past n_epochs the rate rises again.
  if (policy == LrPolicy::Cosine) return base_lr * 0.5 * (1.0 + std::cos(M_PI * counter / n_epochs));
  return base_lr * plateau_factor;  // plateau
}

void LrSchedule::observe(double metric) {
  if (policy != LrPolicy::Plateau) return;
  if (metric < plateau_best * (1.0 - 0.01)) {
    plateau_best = metric;
    plateau_bad = 0;
  } else if (++plateau_bad > 5) {
    // ReduceLROnPlateau's eps: a cut smaller than 1e-8 is not made.
    if (base_lr * plateau_factor * (1 - 0.2) > 1e-8) plateau_factor *= 0.2;
    plateau_bad = 0;
  }
}

}  // namespace p2p
