// native/adam: the fused CPU update equals LibTorch's own torch::optim::Adam (PyTorch's formula) step by step,
// on parameters of several sizes (one of them past a parallel chunk), and so does the op-by-op path it keeps
// for tensors it cannot fuse (here a non-contiguous one).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "native/adam.h"

namespace {

double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs() / (b.abs() + 1e-3)).max().item<double>();
}

void expect_matches_torch(bool contiguous) {
  torch::manual_seed(4);
  std::vector<std::pair<std::string, torch::Tensor>> mine;
  std::vector<torch::Tensor> theirs;
  for (int64_t n : {1, 7, 1000, 70000}) {
    torch::Tensor t = torch::randn({n, 2});
    if (!contiguous) t = t.t();
    mine.emplace_back("p" + std::to_string(n), t.clone().requires_grad_(true));
    theirs.push_back(t.clone().requires_grad_(true));
  }
  const torch::Tensor start = theirs[3].detach().clone();
  p2p::Adam adam(mine, 2e-4, 0.5);
  torch::optim::Adam reference(theirs, torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}).eps(1e-8));
  for (int step = 0; step < 5; step++) {
    for (size_t i = 0; i < theirs.size(); i++) {
      torch::Tensor g = torch::randn(theirs[i].sizes()) * (step + 1);
      mine[i].second.mutable_grad() = g.clone();
      theirs[i].mutable_grad() = g.clone();
    }
    adam.step();
    reference.step();
    for (size_t i = 0; i < theirs.size(); i++)
      EXPECT_LT(max_rel_diff(mine[i].second.detach(), theirs[i].detach()), 1e-5) << mine[i].first << " step " << step + 1;
  }
  // And the steps are not nothing: some weight moved by about lr (2e-4) in each of the 5 steps.
  EXPECT_GT((mine[3].second.detach() - start).abs().max().item<double>(), 8e-4);
}

}  // namespace

TEST(Adam, FusedCpuUpdateMatchesTorchOptimAdam) { expect_matches_torch(true); }
TEST(Adam, OpByOpPathMatchesTorchOptimAdam) { expect_matches_torch(false); }
