#include "native/adam.h"

#include <cmath>

#include "native/torch_graph.h"

namespace p2p {

Adam::Adam(std::vector<std::pair<std::string, torch::Tensor>> params, double lr, double beta1, double beta2, double eps)
    : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (auto& [name, t] : params)
    if (t.requires_grad()) {
      params_.emplace_back(name, t);
      exp_avg_.push_back(torch::zeros_like(t));
      exp_avg_sq_.push_back(torch::zeros_like(t));
    }
}

void Adam::zero_grad() {
  for (auto& [name, t] : params_)
    if (t.grad().defined()) t.mutable_grad() = torch::Tensor();
}

void Adam::step() {
  torch::NoGradGuard no_grad;
  step_++;
  double bc1 = 1.0 - std::pow(beta1_, double(step_)), bc2 = 1.0 - std::pow(beta2_, double(step_));
  double step_size = lr_ / bc1, bc2_sqrt = std::sqrt(bc2);
  for (size_t i = 0; i < params_.size(); i++) {
    torch::Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    const torch::Tensor& g = p.grad();
    exp_avg_[i].mul_(beta1_).add_(g, 1.0 - beta1_);
    exp_avg_sq_[i].mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
    torch::Tensor denom = (exp_avg_sq_[i].sqrt() / bc2_sqrt).add_(eps_);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

void Adam::save_state(Weights& out, const std::string& prefix) const {
  for (size_t i = 0; i < params_.size(); i++) {
    out[prefix + params_[i].first + ".exp_avg"] = from_torch(exp_avg_[i]);
    out[prefix + params_[i].first + ".exp_avg_sq"] = from_torch(exp_avg_sq_[i]);
  }
  Tensor s({1});
  s.data[0] = float(step_);
  out[prefix + "step"] = s;
}

Status Adam::load_state(const Weights& in, const std::string& prefix) {
  auto step = in.find(prefix + "step");
  if (step == in.end() || step->second.data.size() != 1) return Status::Fail("optimizer state '" + prefix + "step' missing");
  for (size_t i = 0; i < params_.size(); i++)
    for (auto [suffix, target] : {std::pair<const char*, torch::Tensor*>{".exp_avg", &exp_avg_[i]}, {".exp_avg_sq", &exp_avg_sq_[i]}}) {
      auto it = in.find(prefix + params_[i].first + suffix);
      if (it == in.end()) return Status::Fail("optimizer state for '" + params_[i].first + "' missing");
      torch::Tensor t = to_torch(it->second);
      if (t.sizes() != target->sizes()) return Status::Fail("optimizer state for '" + params_[i].first + "' has the wrong shape");
      torch::NoGradGuard no_grad;
      target->copy_(t);
    }
  step_ = int64_t(step->second.data[0]);
  return Status::Ok();
}

}  // namespace p2p
