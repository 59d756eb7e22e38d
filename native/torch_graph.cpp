// GraphModule: registers the graph's parameters as nested submodules (so named_parameters() yields
// the reference state_dict names) and interprets the nodes with ATen functional calls.
#include "native/torch_graph.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>  // NoGradGuard

#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

namespace p2p {

namespace {
torch::Tensor fresh(const Param& p) {
  return p.kind == ParamKind::RunningVar ? torch::ones(p.shape) : torch::zeros(p.shape);
}
}  // namespace

GraphModuleImpl::GraphModuleImpl(Graph graph) : torch::nn::Module("GraphModule"), graph_(std::move(graph)) {
  node_tensors_.resize(graph_.nodes.size());
  // "model.model.0.weight": submodules "model" > "model" > "0" holding "weight", as PyTorch nests them.
  std::map<std::string, std::shared_ptr<torch::nn::Module>> holders;
  auto holder = [&](const std::string& path) -> torch::nn::Module& {
    torch::nn::Module* parent = this;
    size_t start = 0;
    while (start < path.size()) {
      size_t dot = path.find('.', start);
      if (dot == std::string::npos) dot = path.size();
      std::string prefix = path.substr(0, dot);
      auto it = holders.find(prefix);
      if (it == holders.end()) {
        auto child = std::make_shared<torch::nn::Module>(prefix);
        parent->register_module(path.substr(start, dot - start), child);
        it = holders.emplace(prefix, child).first;
      }
      parent = it->second.get();
      start = dot + 1;
    }
    return *parent;
  };
  for (const Param& p : p2p::parameters(graph_)) {
    size_t dot = p.name.rfind('.');
    torch::nn::Module& m = dot == std::string::npos ? *this : holder(p.name.substr(0, dot));
    std::string leaf = dot == std::string::npos ? p.name : p.name.substr(dot + 1);
    torch::Tensor t = p.trainable() ? m.register_parameter(leaf, fresh(p)) : m.register_buffer(leaf, fresh(p));
    NodeTensors& nt = node_tensors_[p.node];
    (p.kind == ParamKind::Weight ? nt.weight : p.kind == ParamKind::Bias ? nt.bias
     : p.kind == ParamKind::RunningMean ? nt.running_mean : nt.running_var) = t;
    named_.emplace_back(p.name, t);
  }
  last_use_.assign(graph_.nodes.size(), -1);
  for (int i = 0; i < int(graph_.nodes.size()); i++)
    for (int in : graph_.nodes[i].inputs) last_use_[in] = i;
  for (int o : graph_.outputs) last_use_[o] = int(graph_.nodes.size());
}

void GraphModuleImpl::set_mode(const RunMode& mode) {
  mode_ = mode;
  train(mode.train);
}

RunMode GraphModuleImpl::mode() const {
  RunMode m = mode_;
  m.train = is_training();
  return m;
}

torch::Tensor GraphModuleImpl::forward(const torch::Tensor& x) { return forward_all(x).at(0); }

std::vector<torch::Tensor> GraphModuleImpl::forward_all(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != graph_.input_channels())
    throw std::invalid_argument("the network takes N x " + std::to_string(graph_.input_channels()) +
                                " x H x W input, got " + shape_str(x.sizes().vec()));
  const bool train = is_training();
  const bool noise = !train && mode_.dropout_noise;
  std::optional<at::Generator> gen;  // created on first use: one stream per forward, drawn on the CPU
  std::vector<torch::Tensor> v(graph_.nodes.size());
  for (int i = 0; i < int(graph_.nodes.size()); i++) {
    const Node& n = graph_.nodes[i];
    const NodeTensors& t = node_tensors_[i];
    const torch::Tensor& a = n.inputs.empty() ? x : v[n.inputs[0]];
    torch::Tensor y;
    switch (n.op) {
      case Op::Input: y = x; break;
      case Op::Conv2d: y = at::conv2d(a, t.weight, t.bias, {n.stride, n.stride}, {n.padding, n.padding}); break;
      case Op::ConvTranspose2d:
        y = at::conv_transpose2d(a, t.weight, t.bias, {n.stride, n.stride}, {n.padding, n.padding},
                                 {n.output_padding, n.output_padding});
        break;
      case Op::BatchNorm2d:
        if (!train && mode_.norm == NormMode::BatchStats)  // each image's own statistics, as InstanceNorm
          y = at::instance_norm(a, t.weight, t.bias, {}, {}, true, n.momentum, n.eps, true);
        else if (train && bn_sync_ && mode_.stats_momentum <= 0)
          y = bn_sync_->batch_norm(a, t.weight, t.bias, node_tensors_[i].running_mean, node_tensors_[i].running_var,
                                   n.momentum, n.eps);
        else
          y = at::batch_norm(a, t.weight, t.bias, t.running_mean, t.running_var, train,
                             train && mode_.stats_momentum > 0 ? mode_.stats_momentum : n.momentum, n.eps, true);
        break;
      case Op::InstanceNorm2d: y = at::instance_norm(a, t.weight, t.bias, {}, {}, true, n.momentum, n.eps, true); break;
      case Op::ReLU: y = at::relu(a); break;
      case Op::LeakyReLU: y = at::leaky_relu(a, n.slope); break;
      case Op::Tanh: y = at::tanh(a); break;
      case Op::Dropout:
        if (train && mode_.stats_momentum <= 0) {
          y = at::dropout(a, n.p, true);
        } else if (noise) {
          if (!gen) gen = at::detail::createCPUGenerator(uint64_t(mode_.dropout_seed));
          torch::Tensor keep = at::rand(a.sizes(), *gen, at::TensorOptions(at::kFloat)).lt(1.0 - n.p);
          y = a * (keep.to(a.options()) / (1.0 - n.p));
        } else {
          y = a;
        }
        break;
      case Op::Concat: {
        std::vector<torch::Tensor> xs;
        for (int in : n.inputs) xs.push_back(v[in]);
        y = at::cat(xs, 1);
        break;
      }
      case Op::Add: y = a + v[n.inputs[1]]; break;
      case Op::ReflectionPad2d: y = at::reflection_pad2d(a, {n.padding, n.padding, n.padding, n.padding}); break;
      case Op::UpsampleNearest: y = at::upsample_nearest2d(a, {a.size(2) * n.scale, a.size(3) * n.scale}); break;
      case Op::MaxPool2d: y = at::max_pool2d(a, {n.kernel, n.kernel}, {n.stride, n.stride}); break;
      case Op::COUNT: throw std::logic_error("bad op");
    }
    v[i] = std::move(y);
    for (int in : n.inputs)  // free what no later node reads
      if (last_use_[in] == i) v[in] = torch::Tensor();
  }
  std::vector<torch::Tensor> out;
  for (int o : graph_.outputs) out.push_back(v[o]);
  return out;
}

Status GraphModuleImpl::load_weights(const Weights& w) {
  if (Status st = check_weights(graph_, w); !st.ok()) return st;
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : named_) {
    const Tensor& src = w.at(name);
    t.copy_(torch::from_blob(const_cast<float*>(src.data.data()), src.shape, torch::kFloat));
  }
  return Status::Ok();
}

Weights GraphModuleImpl::to_weights() const {
  Weights w;
  for (const auto& [name, t] : named_) w[name] = from_torch(t);
  return w;
}

torch::Tensor to_torch(const Tensor& t) {
  return torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat).clone();
}

Tensor from_torch(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  Tensor out(c.sizes().vec());
  if (c.numel()) std::memcpy(out.data.data(), c.data_ptr<float>(), size_t(c.numel()) * sizeof(float));
  return out;
}

}  // namespace p2p
