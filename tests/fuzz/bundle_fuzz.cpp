// libFuzzer target for shared/bundle: a model.json and a weights file, as the browser reads them.
// Input: one flags byte, then model.json, a 0 byte, then the weights. Flag bit 0 writes the weights'
// true sha256 into the manifest first (when it is an object with a "weights" object), so that the
// fuzzer gets past the digest check to the safetensors and architecture checks. A bundle that reads
// has weights that fit its model, and its ONNX model builds.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shared/bundle.h"
#include "shared/sha256.h"

namespace {

std::string with_true_digest(const std::string& json, const uint8_t* weights, size_t size) {
  auto j = p2p::parse_json(json);
  if (!j.ok() || !j.value.is_object()) return json;
  p2p::Json* w = nullptr;
  for (size_t i = 0; i < j.value.size(); i++)
    if (j.value.keys()[i] == "weights" && j.value[i].is_object()) w = &j.value[i];
  if (!w) return json;
  (*w)["sha256"] = p2p::sha256_hex(weights, size);
  return j.value.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* begin = data + 1;
  const uint8_t* end = data + size;
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(begin, 0, size_t(end - begin)));
  const uint8_t* weights = nul ? nul + 1 : end;
  std::string json(reinterpret_cast<const char*>(begin), size_t((nul ? nul : end) - begin));
  size_t weights_size = size_t(end - weights);
  if (data[0] & 1) json = with_true_digest(json, weights, weights_size);

  auto b = p2p::read_bundle_from_memory(json, weights, weights_size);
  if (!b.ok()) return 0;
  for (const auto& [name, t] : b.value.weights)
    if (int64_t(t.data.size()) != t.numel()) std::abort();
  if (b.value.height < 1 || b.value.width < 1) std::abort();
  auto onnx = p2p::bundle_to_onnx(b.value, p2p::onnx_options(b.value));
  if (!onnx.ok() || onnx.value.empty()) std::abort();
  return 0;
}
