// A name among a fixed list: an enum's names in its order, parsed where text is read.
#pragma once
#include <string>
#include <vector>

#include "status.h"

namespace p2p {

// The index of `name` in `names`, or one line: unknown WHAT 'name' (every name, comma-separated).
inline Result<int> parse_choice(const char* what, const std::string& name, const std::vector<std::string>& names) {
  std::string listed;
  for (size_t i = 0; i < names.size(); i++) {
    if (names[i] == name) return {int(i), ""};
    listed += (i ? ", " : "") + names[i];
  }
  return Result<int>::Fail(std::string("unknown ") + what + " '" + printable(name) + "' (" + listed + ")");
}

}  // namespace p2p
