// Builders, parameter lists, shape inference and initialisation for the model graph.
#include "graph.h"

#include <cmath>
#include <random>

#include "image.h"  // pad_reflect_to

namespace p2p {

namespace {
const char* const kOpNames[] = {"Input",   "Conv2d",  "ConvTranspose2d", "BatchNorm2d",     "InstanceNorm2d",
                                "ReLU",    "LeakyReLU", "Tanh",          "Dropout",         "Concat",
                                "Add",     "ReflectionPad2d", "UpsampleNearest", "MaxPool2d"};
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == size_t(Op::COUNT), "every op needs a name");

Node unary(Op op, const Graph& g, int x) {
  Node n;
  n.op = op;
  n.inputs = {x};
  n.channels = g.nodes[x].channels;
  return n;
}

int push(Graph& g, Node n) {
  g.nodes.push_back(std::move(n));
  return int(g.nodes.size()) - 1;
}
}  // namespace

const char* op_name(Op op) { return op < Op::COUNT ? kOpNames[int(op)] : "?"; }

int Graph::input(int ch) {
  Node n;
  n.op = Op::Input;
  n.channels = ch;
  return push(*this, n);
}

int Graph::conv2d(int x, const std::string& name, int out, int k, int s, int pad, bool bias) {
  Node n = unary(Op::Conv2d, *this, x);
  n.name = name;
  n.in_channels = nodes[x].channels;
  n.channels = out;
  n.kernel = k, n.stride = s, n.padding = pad, n.bias = bias;
  return push(*this, n);
}

int Graph::conv_transpose2d(int x, const std::string& name, int out, int k, int s, int pad, int out_pad, bool bias) {
  Node n = unary(Op::ConvTranspose2d, *this, x);
  n.name = name;
  n.in_channels = nodes[x].channels;
  n.channels = out;
  n.kernel = k, n.stride = s, n.padding = pad, n.output_padding = out_pad, n.bias = bias;
  return push(*this, n);
}

int Graph::batch_norm(int x, const std::string& name) {
  Node n = unary(Op::BatchNorm2d, *this, x);
  n.name = name;
  n.affine = true;
  return push(*this, n);
}

int Graph::instance_norm(int x, const std::string& name, bool affine) {
  Node n = unary(Op::InstanceNorm2d, *this, x);
  n.name = affine ? name : "";
  n.affine = affine;
  return push(*this, n);
}

int Graph::relu(int x) { return push(*this, unary(Op::ReLU, *this, x)); }
int Graph::tanh(int x) { return push(*this, unary(Op::Tanh, *this, x)); }

int Graph::leaky_relu(int x, float slope) {
  Node n = unary(Op::LeakyReLU, *this, x);
  n.slope = slope;
  return push(*this, n);
}

int Graph::dropout(int x, float p) {
  Node n = unary(Op::Dropout, *this, x);
  n.p = p;
  return push(*this, n);
}

int Graph::concat(const std::vector<int>& xs) {
  Node n;
  n.op = Op::Concat;
  n.inputs = xs;
  for (int x : xs) n.channels += nodes[x].channels;
  return push(*this, n);
}

int Graph::add(int a, int b) {
  Node n = unary(Op::Add, *this, a);
  n.inputs.push_back(b);
  return push(*this, n);
}

int Graph::reflection_pad(int x, int pad) {
  Node n = unary(Op::ReflectionPad2d, *this, x);
  n.padding = pad;
  return push(*this, n);
}

int Graph::upsample_nearest(int x, int scale) {
  Node n = unary(Op::UpsampleNearest, *this, x);
  n.scale = scale;
  return push(*this, n);
}

int Graph::max_pool(int x, int k, int s) {
  Node n = unary(Op::MaxPool2d, *this, x);
  n.kernel = k, n.stride = s;
  return push(*this, n);
}

void Graph::output(int x, const std::string& name) {
  outputs.push_back(x);
  output_names.push_back(name);
}

int Graph::input_channels() const { return nodes.empty() ? 0 : nodes[0].channels; }
int Graph::output_channels() const { return outputs.empty() ? 0 : nodes[outputs[0]].channels; }

std::vector<Param> parameters(const Graph& g) {
  std::vector<Param> ps;
  for (int i = 0; i < int(g.nodes.size()); i++) {
    const Node& n = g.nodes[i];
    auto add = [&](const char* suffix, Shape s, ParamKind k) { ps.push_back({n.name + "." + suffix, std::move(s), i, k}); };
    switch (n.op) {
      case Op::Conv2d:
        add("weight", {n.channels, n.in_channels, n.kernel, n.kernel}, ParamKind::Weight);
        if (n.bias) add("bias", {n.channels}, ParamKind::Bias);
        break;
      case Op::ConvTranspose2d:
        add("weight", {n.in_channels, n.channels, n.kernel, n.kernel}, ParamKind::Weight);
        if (n.bias) add("bias", {n.channels}, ParamKind::Bias);
        break;
      case Op::BatchNorm2d:
        add("weight", {n.channels}, ParamKind::Weight);
        add("bias", {n.channels}, ParamKind::Bias);
        add("running_mean", {n.channels}, ParamKind::RunningMean);
        add("running_var", {n.channels}, ParamKind::RunningVar);
        break;
      case Op::InstanceNorm2d:
        if (n.affine) {
          add("weight", {n.channels}, ParamKind::Weight);
          add("bias", {n.channels}, ParamKind::Bias);
        }
        break;
      default:
        break;
    }
  }
  return ps;
}

int64_t count_parameters(const Graph& g) {
  int64_t total = 0;
  for (const Param& p : parameters(g))
    if (p.trainable()) total += Tensor::numel(p.shape);
  return total;
}

Result<ShapeInfo> infer_shapes(const Graph& g, int64_t H, int64_t W, int64_t N) {
  ShapeInfo info;
  info.values.resize(g.nodes.size());
  auto fail = [&](size_t i, const std::string& why) {
    return Result<ShapeInfo>::Fail("input " + std::to_string(H) + "x" + std::to_string(W) + " does not fit: node " +
                                   std::to_string(i) + " (" + op_name(g.nodes[i].op) + " " + g.nodes[i].name + ") " + why);
  };
  for (size_t i = 0; i < g.nodes.size(); i++) {
    const Node& n = g.nodes[i];
    Shape in = n.inputs.empty() ? Shape{N, n.channels, H, W} : info.values[n.inputs[0]];
    int64_t h = in[2], w = in[3];
    switch (n.op) {
      case Op::Conv2d: {
        int64_t oh = (h + 2 * n.padding - n.kernel) / n.stride + 1, ow = (w + 2 * n.padding - n.kernel) / n.stride + 1;
        if (h + 2 * n.padding < n.kernel || w + 2 * n.padding < n.kernel) return fail(i, "is smaller than the kernel");
        h = oh, w = ow;
        info.macs += N * h * w * n.channels * int64_t(n.in_channels) * n.kernel * n.kernel;
        break;
      }
      case Op::ConvTranspose2d: {
        info.macs += N * h * w * n.channels * int64_t(n.in_channels) * n.kernel * n.kernel;
        h = (h - 1) * n.stride - 2 * n.padding + n.kernel + n.output_padding;
        w = (w - 1) * n.stride - 2 * n.padding + n.kernel + n.output_padding;
        break;
      }
      case Op::BatchNorm2d:
      case Op::InstanceNorm2d:
        if (n.op == Op::InstanceNorm2d && h * w < 2) return fail(i, "needs more than one pixel per channel");
        break;
      case Op::Concat:
        for (int x : n.inputs)
          if (info.values[x][2] != h || info.values[x][3] != w) return fail(i, "joins maps of different sizes");
        break;
      case Op::Add:
        if (info.values[n.inputs[1]] != in) return fail(i, "adds maps of different sizes");
        break;
      case Op::ReflectionPad2d:
        if (h <= n.padding || w <= n.padding) return fail(i, "pads more than the map holds");
        h += 2 * n.padding, w += 2 * n.padding;
        break;
      case Op::UpsampleNearest:
        h *= n.scale, w *= n.scale;
        break;
      case Op::MaxPool2d:
        if (h < n.kernel || w < n.kernel) return fail(i, "is smaller than the pooling window");
        h = (h - n.kernel) / n.stride + 1, w = (w - n.kernel) / n.stride + 1;
        break;
      default:
        break;
    }
    if (h < 1 || w < 1) return fail(i, "shrinks the map to nothing");
    info.values[i] = {N, n.channels, h, w};
  }
  return Result<ShapeInfo>{info, ""};
}

SizeRule valid_sizes(const Graph& g) {
  // A network that maps 256x256 to 256x256 (a generator) must keep every size it accepts.
  Result<ShapeInfo> probe = infer_shapes(g, 256, 256);
  bool keeps_size = probe.ok() && probe.value.values[g.outputs[0]][2] == 256 && probe.value.values[g.outputs[0]][3] == 256;
  auto valid = [&](int64_t s) {
    Result<ShapeInfo> r = infer_shapes(g, s, s);
    return r.ok() && (!keeps_size || r.value.values[g.outputs[0]][2] == s);
  };
  SizeRule rule;
  int64_t first = 0;
  for (int64_t s = 1; s <= 4096 && !first; s++)
    if (valid(s)) first = s;
  if (!first) return {0, 0};
  rule.minimum = first;
  // The step between valid sizes: the next valid size above the first.
  for (int64_t s = first + 1; s <= first + 4096; s++)
    if (valid(s)) {
      rule.multiple = s - first;
      break;
    }
  return rule;
}

int64_t fit_size(int64_t s, const SizeRule& r) {
  if (s <= r.minimum) return r.minimum;
  return r.minimum + (s - r.minimum + r.multiple - 1) / r.multiple * r.multiple;
}

Tensor pad_to_fit(const Tensor& t, const SizeRule& r) {
  const size_t n = t.shape.size();
  if (n < 2) return t;
  return pad_reflect_to(t, fit_size(t.shape[n - 2], r), fit_size(t.shape[n - 1], r));
}

Status check_weights(const Graph& g, const Weights& w) {
  std::vector<Param> ps = parameters(g);
  for (const Param& p : ps) {
    auto it = w.find(p.name);
    if (it == w.end()) return Status::Fail("missing tensor '" + p.name + "' " + shape_str(p.shape));
    if (it->second.shape != p.shape)
      return Status::Fail("tensor '" + p.name + "' has shape " + shape_str(it->second.shape) + ", the architecture needs " +
                          shape_str(p.shape));
  }
  if (w.size() != ps.size()) {
    for (const auto& [name, t] : w) {
      bool known = false;
      for (const Param& p : ps) known = known || p.name == name;
      if (!known) return Status::Fail("unexpected tensor '" + name + "' " + shape_str(t.shape) + " for this architecture");
    }
  }
  return Status::Ok();
}

Weights init_weights(const Graph& g, uint64_t seed, float gain) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, gain);
  Weights w;
  for (const Param& p : parameters(g)) {
    Tensor t(p.shape, 0.0f);
    const Node& n = g.nodes[p.node];
    bool is_norm = n.op == Op::BatchNorm2d || n.op == Op::InstanceNorm2d;
    if (p.kind == ParamKind::Weight)
      for (float& v : t.data) v = (is_norm ? 1.0f : 0.0f) + normal(rng);
    if (p.kind == ParamKind::RunningVar) t.data.assign(t.data.size(), 1.0f);
    w[p.name] = std::move(t);
  }
  return w;
}

}  // namespace p2p
