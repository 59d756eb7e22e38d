// Data-parallel training across processes and machines through c10d, the distributed layer inside LibTorch:
// a TCPStore rendezvous hosted by rank 0 and a Gloo process group. Processes start as torchrun starts them
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); scripts/launch starts N of them on one machine.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "native/torch_graph.h"
#include "shared/status.h"

namespace p2p {

struct DistEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};
// The torchrun variables; a single process (world_size 1) when WORLD_SIZE is unset. One line on a bad value.
Result<DistEnv> dist_env_from_environment();

class DataParallel {
 public:
  // Joins the group: waits up to `timeout` for every rank at MASTER_ADDR:MASTER_PORT. Collectives that
  // wait longer than `timeout` for a rank fail (see explain_failure).
  static Result<std::unique_ptr<DataParallel>> join(const DistEnv& env, std::chrono::seconds timeout);
  // join() with the torchrun variables; null for a single process (WORLD_SIZE unset or 1).
  static Result<std::unique_ptr<DataParallel>> join_from_environment(std::chrono::seconds timeout);
  ~DataParallel();

  int rank() const;
  int size() const;
  int local_rank() const;  // the GPU of this rank on its machine
  bool main() const { return rank() == 0; }
  std::string who() const;  // "rank 1 of 2"

  void broadcast(std::vector<torch::Tensor> tensors);  // rank 0's values, in place, in this order
  std::string broadcast_text(const std::string& text);  // rank 0's text
  double mean(double value);                            // over the ranks
  torch::Tensor mean(const torch::Tensor& t);           // over the ranks, not differentiable
  bool any(bool flag);                                  // true on every rank when true on one
  void set_step(int64_t step);                          // what the heartbeat reports (explain_failure)

  // After a collective failed with `error`: which rank is gone (no heartbeat) or stuck (behind the others),
  // or that rank 0, which hosts the rendezvous, is gone. One line.
  std::string explain_failure(const std::string& error);

  std::shared_ptr<BatchNormSync> batch_norm_sync();  // --sync_bn: statistics over every rank's batch

  struct Impl;

 private:
  explicit DataParallel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class GradientBuckets;
};

// Gradients averaged over the ranks as DistributedDataParallel does: parameters in buckets (from the last
// parameter, whose gradient comes first), each bucket's all-reduce launched as soon as backward has produced
// all of its gradients, so communication overlaps the rest of backward.
class GradientBuckets {
 public:
  GradientBuckets(DataParallel& dp, std::vector<torch::Tensor> params, size_t bucket_bytes = size_t(4) << 20);
  ~GradientBuckets();
  void arm();     // before a backward whose gradients are to be shared
  void finish();  // after it: waits for every bucket, leaves the averages in the parameters' .grad

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // held by the parameters' hooks too
};

}  // namespace p2p
