// libFuzzer target for shared/json: parsing must return a value or an error; values print and
// parse back to themselves.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shared/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = p2p::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  for (int indent : {-1, 2}) {
    auto again = p2p::parse_json(r.value.dump(indent));
    if (!again.ok() || again.value != r.value) std::abort();
  }
  return 0;
}
