// Adam as PyTorch's torch.optim.Adam computes it (bias-corrected, eps outside the square root), with its
// state exposed by parameter name so checkpoints can carry it in safetensors and resume exactly.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "shared/status.h"
#include "shared/tensor.h"

namespace p2p {

class Adam {
 public:
  // params: (name, tensor) pairs; only those that require grad are stepped.
  Adam(std::vector<std::pair<std::string, torch::Tensor>> params, double lr, double beta1, double beta2 = 0.999,
       double eps = 1e-8);

  void zero_grad();
  void step();

  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  int64_t steps() const { return step_; }

  // "<prefix><name>.exp_avg", "<prefix><name>.exp_avg_sq" and "<prefix>step" ([1] float).
  void save_state(Weights& out, const std::string& prefix) const;
  Status load_state(const Weights& in, const std::string& prefix);

 private:
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  double lr_, beta1_, beta2_, eps_;
  int64_t step_ = 0;
};

}  // namespace p2p
