// libFuzzer target for shared/torch_checkpoint. The first byte picks what the rest is: odd, a whole
// file (zip parsing); even, a data.pkl placed in a fixed archive with two storages, so that the
// fuzzer reaches the unpickler and tensor gathering without having to build zips. CRCs unchecked.
#include <cstdint>
#include <cstdlib>

#include "shared/torch_checkpoint.h"
#include "tests/shared/torch_test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> file;
  if (data[0] & 1) {
    file.assign(data + 1, data + size);
  } else {
    std::vector<float> f;
    for (int i = 0; i < 24; i++) f.push_back(float(i));
    file = p2p_test::make_checkpoint(std::vector<uint8_t>(data + 1, data + size),
                                     {{"0", p2p_test::float_bytes(f)}, {"1", std::vector<uint8_t>(16, 1)}});
  }
  auto r = p2p::read_torch_checkpoint(file.data(), file.size(), {/*check_crc=*/false});
  if (!r.ok()) return 0;
  for (const auto& [name, t] : r.value.weights)
    if (int64_t(t.data.size()) != t.numel()) std::abort();
  if (r.value.keys.size() != r.value.weights.size()) std::abort();
  return 0;
}
