// The ONNX writer: model graph + weights -> ONNX model bytes, protobuf encoded by hand (no protobuf
// library, so it builds with emcc). Same graph and weights give the same bytes on every platform.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph.h"
#include "status.h"

namespace p2p {

enum class NormMode {
  Running,     // BatchNorm with its running statistics (PyTorch eval mode)
  BatchStats,  // statistics of the image itself (the reference test protocol): InstanceNormalization with BN's scale and bias
};

struct OnnxOptions {
  NormMode norm_mode = NormMode::Running;
  bool dropout_noise = false;  // keep dropout on at test time as noise (the reference protocol)
  int64_t dropout_seed = 0;    // seed of that noise
  bool fp16 = false;           // store weights as float16 (computation stays float32)
  std::string producer = "pix2pix-studio";
  std::string doc;             // free text recorded in the model (e.g. the ModelSpec description)
};

// Input "input" [N, C, height, width] and outputs named as g.output_names, height and width dynamic.
Result<std::vector<uint8_t>> write_onnx(const Graph& g, const Weights& w, const OnnxOptions& opt);

}  // namespace p2p
