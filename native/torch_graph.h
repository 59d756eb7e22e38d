// The model graph as a LibTorch module: every parameter registered under its graph (state_dict) name,
// forward() interpreting the nodes in order with ATen ops. Trainers and the run/export commands use it.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shared/graph.h"
#include "shared/onnx_writer.h"  // NormMode

namespace p2p {

// How forward() behaves. Training follows the module's is_training() (module->train() / eval()), so the
// LibTorch idiom works; set_mode() sets both.
struct RunMode {
  bool train = false;                 // BatchNorm on batch statistics, running stats updated; dropout on
  NormMode norm = NormMode::Running;  // eval: BatchNorm on running stats, or on the statistics of each
                                      // input image itself without touching the running stats
  bool dropout_noise = false;         // eval: keep dropout on as noise, drawn from dropout_seed
  int64_t dropout_seed = 0;           // the same seed gives the same noise on every device
  // train: > 0 replaces every BatchNorm's momentum and turns dropout off, to recompute the running statistics
  // as the network runs at test time (momentum 1/k at the k-th batch leaves the mean over the k batches)
  double stats_momentum = 0;

  static RunMode training() { RunMode m; m.train = true; return m; }
  static RunMode eval(NormMode norm = NormMode::Running) { RunMode m; m.norm = norm; return m; }
};

// Training-mode BatchNorm on the statistics of every process's batch (data-parallel --sync_bn,
// native/distributed.h); the running statistics are updated from them.
struct BatchNormSync {
  virtual ~BatchNormSync() = default;
  virtual torch::Tensor batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                   torch::Tensor& running_mean, torch::Tensor& running_var, double momentum,
                                   double eps) = 0;
};

struct GraphModuleImpl : torch::nn::Module {
  // Parameters start as in a fresh PyTorch layer's buffers (zeros, running_var ones); load_weights() fills them.
  explicit GraphModuleImpl(Graph graph);

  torch::Tensor forward(const torch::Tensor& x);                  // the first output
  std::vector<torch::Tensor> forward_all(const torch::Tensor& x);  // every output in graph order (VGG taps)

  void set_mode(const RunMode& mode);  // also calls train(mode.train)
  RunMode mode() const;                // with train = is_training()
  void set_batch_norm_sync(std::shared_ptr<BatchNormSync> sync) { bn_sync_ = std::move(sync); }

  // (graph name, tensor) in the graph's parameter order, running stats included. The tensors are the
  // module's own (in-place edits change the module).
  const std::vector<std::pair<std::string, torch::Tensor>>& named_weights() const { return named_; }
  Status load_weights(const Weights& w);  // check_weights first; copies onto the module's device
  Weights to_weights() const;             // float32 CPU copies

  const Graph& graph() const { return graph_; }

 private:
  struct NodeTensors {
    torch::Tensor weight, bias, running_mean, running_var;
  };
  Graph graph_;
  std::vector<NodeTensors> node_tensors_;  // per node
  std::vector<int> last_use_;              // per node: the last node reading its value
  std::vector<std::pair<std::string, torch::Tensor>> named_;
  RunMode mode_;
  std::shared_ptr<BatchNormSync> bn_sync_;
};
TORCH_MODULE(GraphModule);

// Conversions between shared/ tensors (float32 CPU) and torch tensors.
torch::Tensor to_torch(const Tensor& t);        // an owned float32 CPU copy
Tensor from_torch(const torch::Tensor& t);      // any device and float dtype

}  // namespace p2p
