// libFuzzer target for shared/safetensors: reading must return a value or an error; what reads
// has consistent tensors, and float32 files write back and read again to the same values.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "shared/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = p2p::read_safetensors(data, size);
  if (!r.ok()) return 0;
  for (const auto& [name, t] : r.value.weights)
    if (int64_t(t.data.size()) != t.numel()) std::abort();
  std::vector<uint8_t> bytes = p2p::write_safetensors(r.value.weights, r.value.metadata, p2p::DType::F32);
  auto again = p2p::read_safetensors(bytes.data(), bytes.size());
  if (!again.ok() || again.value.metadata != r.value.metadata) std::abort();
  for (const auto& [name, t] : r.value.weights) {
    const p2p::Tensor& u = again.value.weights.at(name);
    if (u.shape != t.shape || u.data.size() != t.data.size()) std::abort();
    if (!t.data.empty() && std::memcmp(u.data.data(), t.data.data(), t.data.size() * 4) != 0) std::abort();
  }
  return 0;
}
