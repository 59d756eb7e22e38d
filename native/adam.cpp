#include "native/adam.h"

#include <ATen/Parallel.h>

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

namespace {

// The update of one float32 CPU parameter in a single pass over its memory: torch's sequence of whole-tensor
// ops reads and writes each array five times, a fifth of a CPU training step at unet_256 ngf 64.
void adam_update_cpu(float* p, const float* g, float* m, float* v, int64_t n, float beta1, float beta2, float step_size,
                     float bc2_sqrt, float eps) {
  const float keep1 = 1 - beta1, keep2 = 1 - beta2;
  at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
      const float gj = g[j];
      m[j] = m[j] * beta1 + gj * keep1;
      v[j] = v[j] * beta2 + gj * gj * keep2;
      p[j] -= step_size * m[j] / (std::sqrt(v[j]) / bc2_sqrt + eps);
    }
  });
}

bool fusable(const torch::Tensor& p, const torch::Tensor& g, const torch::Tensor& m, const torch::Tensor& v) {
  for (const torch::Tensor* t : {&p, &g, &m, &v})
    if (!t->device().is_cpu() || t->scalar_type() != torch::kFloat || !t->is_contiguous()) return false;
  return true;
}

}  // namespace

void Adam::step() {
  torch::NoGradGuard no_grad;
  step_++;
  double bc1 = 1.0 - std::pow(beta1_, double(step_)), bc2 = 1.0 - std::pow(beta2_, double(step_));
  double step_size = lr_ / bc1, bc2_sqrt = std::sqrt(bc2);
  for (size_t i = 0; i < params_.size(); i++) {
    torch::Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    const torch::Tensor& g = p.grad();
    if (fusable(p, g, exp_avg_[i], exp_avg_sq_[i])) {
      adam_update_cpu(p.data_ptr<float>(), g.data_ptr<float>(), exp_avg_[i].data_ptr<float>(), exp_avg_sq_[i].data_ptr<float>(),
                      p.numel(), float(beta1_), float(beta2_), float(step_size), float(bc2_sqrt), float(eps_));
      continue;
    }
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
