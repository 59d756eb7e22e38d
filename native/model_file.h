// Model files as the commands use them: a .safetensors whose metadata records the architecture (written by
// import and train), reference checkpoints, and the per-architecture conventions (value range, norm mode).
#pragma once
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "shared/graph.h"
#include "shared/models.h"
#include "shared/onnx_writer.h"
#include "shared/status.h"

namespace p2p {

struct ModelFile {
  ModelSpec spec;
  Graph graph;
  Weights weights;
  std::map<std::string, std::string> metadata;
};

// Reads the weights and the spec in their metadata and checks that one fits the other; errors name the file.
Result<ModelFile> load_model_file(const std::string& path);

// A reference PyTorch checkpoint read for spec: BatchNorm's num_batches_tracked and the stale running
// statistics of InstanceNorm layers (old fast_neural_style files) dropped, the rest checked against the
// graph. The error names the file, the architecture and the first tensor that does not fit.
Result<Weights> import_checkpoint(const std::string& path, const ModelSpec& spec);

// The reference test protocol for generators with batch norm: each image's own statistics.
NormMode default_norm_mode(const ModelSpec& spec);

// --norm-mode of run and export: auto (default_norm_mode) or one of norm_mode_names().
extern const char* const kNormModeHelp;
std::vector<std::string> norm_mode_choices();
NormMode chosen_norm_mode(const std::string& choice, const ModelSpec& spec);

// An exception's message as one line (LibTorch's c10::Error without its backtrace).
std::string one_line(const std::exception& e);

// The file name without its folders ("runs/a/G.pth" -> "G.pth").
std::string base_name(const std::string& path);

bool ends_with(const std::string& s, const std::string& suffix);  // exactly
bool has_extension(const std::string& path, const char* ext);     // ".png": any case
bool is_image_path(const std::string& path);                      // .png, .jpg, .jpeg

}  // namespace p2p
