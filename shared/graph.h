// The model graph: a small typed layer graph (IR) that every network is written against.
// Builders append nodes and return their index; backends (native/torch_graph, shared/onnx_writer)
// translate the same graph. Parameter names are those of the reference PyTorch state_dicts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"
#include "tensor.h"

namespace p2p {

enum class Op {
  Input,            // the network's input image
  Conv2d,           // kernel, stride, padding, bias
  ConvTranspose2d,  // kernel, stride, padding, output_padding, bias
  BatchNorm2d,      // eps, momentum; weight, bias, running_mean, running_var
  InstanceNorm2d,   // eps; weight and bias when affine
  ReLU,
  LeakyReLU,        // slope
  Tanh,
  Dropout,          // p
  Concat,           // along channels, inputs in order
  Add,              // elementwise sum of two inputs
  ReflectionPad2d,  // padding
  UpsampleNearest,  // scale
  MaxPool2d,        // kernel, stride
  COUNT
};

const char* op_name(Op op);

struct Node {
  Op op = Op::Input;
  std::string name;         // parameter prefix ("model.model.0"); empty for ops without parameters
  std::vector<int> inputs;  // indices of earlier nodes
  int channels = 0;         // output channels
  int in_channels = 0;      // input channels (Conv, ConvTranspose)
  int kernel = 0, stride = 1, padding = 0, output_padding = 0;
  bool bias = false;        // Conv, ConvTranspose
  bool affine = false;      // InstanceNorm2d (BatchNorm2d is always affine)
  float eps = 1e-5f, momentum = 0.1f;
  float slope = 0.2f;       // LeakyReLU
  float p = 0.5f;           // Dropout
  int scale = 2;            // UpsampleNearest
};

enum class ParamKind { Weight, Bias, RunningMean, RunningVar };

struct Param {
  std::string name;  // "<node name>.weight" etc.
  Shape shape;
  int node;
  ParamKind kind;
  bool trainable() const { return kind == ParamKind::Weight || kind == ParamKind::Bias; }
};

struct Graph {
  std::vector<Node> nodes;
  std::vector<int> outputs;               // nodes whose values the network returns
  std::vector<std::string> output_names;  // "output", or "relu1_1"... for feature stacks

  // Builders: each appends one node and returns its index. x is an earlier node.
  int input(int channels);
  int conv2d(int x, const std::string& name, int out_channels, int kernel, int stride, int padding, bool bias);
  int conv_transpose2d(int x, const std::string& name, int out_channels, int kernel, int stride, int padding,
                       int output_padding, bool bias);
  int batch_norm(int x, const std::string& name);
  int instance_norm(int x, const std::string& name, bool affine);
  int relu(int x);
  int leaky_relu(int x, float slope);
  int tanh(int x);
  int dropout(int x, float p);
  int concat(const std::vector<int>& xs);
  int add(int a, int b);
  int reflection_pad(int x, int padding);
  int upsample_nearest(int x, int scale);
  int max_pool(int x, int kernel, int stride);
  void output(int x, const std::string& name = "output");

  int input_channels() const;
  int output_channels() const;  // of the first output
};

// Parameters and buffers in node order, with their shapes.
std::vector<Param> parameters(const Graph& g);
int64_t count_parameters(const Graph& g);  // trainable only, as PyTorch's parameters() counts

// Shapes of every node's value for an N x C x H x W input; fails on sizes the graph cannot take.
struct ShapeInfo {
  std::vector<Shape> values;  // per node
  int64_t macs = 0;           // multiply-accumulates of convolutions for the whole batch
};
Result<ShapeInfo> infer_shapes(const Graph& g, int64_t height, int64_t width, int64_t batch = 1);

// Smallest step s such that H and W must be multiples of s (1 when any size works), and the
// smallest valid size. Found by shape inference, so it holds for every network.
struct SizeRule { int64_t multiple = 1; int64_t minimum = 1; };
SizeRule valid_sizes(const Graph& g);
// The smallest size >= s that the rule allows: an input of another size is reflect-padded up to it
// (pad_reflect_to) and the output cropped back, never resized.
int64_t fit_size(int64_t s, const SizeRule& r);
Tensor pad_to_fit(const Tensor& t, const SizeRule& r);  // H and W padded up to fit_size (pad_reflect_to)

// Checks that weights hold every parameter of g with the right shape, and nothing else.
// The message names the first tensor that does not fit.
Status check_weights(const Graph& g, const Weights& w);

// Fresh weights: the reference initialisation (normal(0, gain) for conv weights, normal(1, gain)
// for norm weights, zeros for biases, running stats 0/1).
Weights init_weights(const Graph& g, uint64_t seed, float gain = 0.02f);

}  // namespace p2p
