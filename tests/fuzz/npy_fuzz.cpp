// libFuzzer target for shared/npy: reading must return a value or an error; what reads writes
// back as float32 and reads again to the same bits.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "shared/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = p2p::read_npy(data, size);
  if (!r.ok()) return 0;
  if (int64_t(r.value.data.size()) != r.value.numel()) std::abort();
  std::vector<uint8_t> bytes = p2p::write_npy(r.value);
  auto again = p2p::read_npy(bytes.data(), bytes.size());
  if (!again.ok() || again.value.shape != r.value.shape ||
      (!r.value.data.empty() &&  // memcmp wants real pointers, even for 0 bytes
       std::memcmp(again.value.data.data(), r.value.data.data(), r.value.data.size() * 4) != 0))
    std::abort();
  return 0;
}
