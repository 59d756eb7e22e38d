// Errors as values for shared/: a Status carries a one-line reason, empty when all went well.
// shared/ is compiled by emcc without exceptions, so nothing here throws.
#pragma once
#include <string>
#include <utility>

namespace p2p {

struct Status {
  std::string error;  // empty: success
  bool ok() const { return error.empty(); }
  static Status Ok() { return {}; }
  static Status Fail(std::string why) { return Status{std::move(why)}; }
};

// A value or the reason there is none.
template <class T>
struct Result {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
  static Result Fail(std::string why) { Result r; r.error = std::move(why); return r; }
};

}  // namespace p2p
