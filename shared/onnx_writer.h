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

// Where instance normalisation takes its per-channel mean and variance from: Thumbnail Instance
// Normalization (Chen et al. 2022, URST) runs a big image in tiles that share one set of statistics,
// taken from a downscaled whole image. Applies to every InstanceNormalization the model has
// (InstanceNorm2d, and BatchNorm2d under NormMode::BatchStats), in graph order; see norm_stats().
enum class NormStats {
  Compute,  // each layer normalises with its own input's statistics (the usual model)
  Export,   // as Compute, and the model also outputs each layer's input mean and (biased) variance,
            // after its own outputs: "<layer>.mean", "<layer>.var", each [batch, C, 1, 1]
  Import,   // each layer takes mean and variance from extra graph inputs after "input" (same names and
            // shapes) instead, then applies eps, scale and bias as usual: the network becomes local
};

const std::vector<std::string>& norm_mode_names();      // in NormMode's order: "running", "batchstats"
const char* norm_mode_name(NormMode m);
Result<NormMode> parse_norm_mode(const std::string& s);  // the inverse; fails naming both choices

struct OnnxOptions {
  NormMode norm_mode = NormMode::Running;
  bool dropout_noise = false;  // keep dropout on at test time as noise (the reference protocol)
  int64_t dropout_seed = 0;    // seed of that noise
  bool fp16 = false;           // store weights as float16 (computation stays float32)
  std::string producer = "pix2pix-studio";
  std::string doc;             // free text recorded in the model (e.g. the ModelSpec description)
  NormStats norm_stats = NormStats::Compute;
};

// The statistics tensors of NormStats Export / Import, in their order in the model.
struct NormStatsTensor {
  std::string mean, var;  // value names
  int channels = 0;
};
std::vector<NormStatsTensor> norm_stats(const Graph& g, NormMode mode);

// Input "input" [N, C, height, width] and outputs named as g.output_names, height and width dynamic.
Result<std::vector<uint8_t>> write_onnx(const Graph& g, const Weights& w, const OnnxOptions& opt);

}  // namespace p2p
