// The web model bundle: a folder with model.json (what the model is, how to feed it, where it came
// from) and weights.safetensors. Written by `pix2pix export`, read natively and in the browser.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph.h"
#include "json.h"
#include "models.h"
#include "onnx_writer.h"
#include "status.h"

namespace p2p {

inline constexpr const char* kBundleFormat = "pix2pix-studio-bundle";
inline constexpr int kBundleVersion = 1;

// What write_bundle records besides the weights.
struct BundleInfo {
  std::string name;                        // shown in the model picker
  std::string task = "sketch";             // "sketch" (pix2pix, images in [-1, 1]) or "style" ([0, 255])
  ModelSpec spec;
  int height = 256, width = 256;           // the size it was trained at
  std::string direction = "AtoB";          // "AtoB" or "BtoA"
  NormMode norm_mode = NormMode::BatchStats;
  Json provenance = Json::object();        // free: dataset, epochs, training time, hardware, metrics
  std::string license, attribution;
};

struct Bundle {
  Json manifest;  // model.json as read
  ModelSpec spec;
  Weights weights;
  NormMode norm_mode = NormMode::BatchStats;
  std::string name, task, direction;
  int height = 0, width = 0;
  bool dropout_available = false;  // the network has dropout layers (usable as test-time noise)
  bool fp16 = false;               // weights stored as float16
};

// The model.json a bundle of info has; sha256 and dtype describe the weights file.
Json bundle_manifest(const BundleInfo& info, const std::string& weights_sha256, bool fp16);

// Writes dir/model.json and dir/weights.safetensors (creating dir); fails when the weights do not fit spec.
Status write_bundle(const std::string& dir, const BundleInfo& info, const Weights& w, bool fp16);

// From the two files' contents (the browser's path). Fails with one line on bad JSON, a missing or
// mistyped field, another format or version, a sha256 mismatch, or weights that do not fit the spec.
Result<Bundle> read_bundle_from_memory(std::string_view model_json, const uint8_t* weights, size_t size);
Result<Bundle> read_bundle(const std::string& dir);

// The most bytes the weights file of a model.json may have (its network's tensors at its dtype, plus a
// safetensors header within budget), checked before the weights are fetched or read: fails with one line on
// a bad model.json or a network of more than kMaxBundleWeightBytes. read_bundle* refuse bigger files.
inline constexpr uint64_t kMaxBundleWeightBytes = uint64_t(512) << 20;
Result<uint64_t> bundle_weights_limit(std::string_view model_json);

// The bundle's own ONNX choices: its norm mode and weight precision, and the doc string `pix2pix export --onnx`
// writes (so the bytes agree); no dropout noise.
OnnxOptions onnx_options(const Bundle& b);

// The ONNX model of a bundle: the graph its spec describes with its weights.
Result<std::vector<uint8_t>> bundle_to_onnx(const Bundle& b, const OnnxOptions& opt);


}  // namespace p2p
