// Errors as values for shared/: a Status carries a one-line reason, empty when all went well.
// shared/ is compiled by emcc without exceptions, so nothing here throws.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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

// Bytes from a file (names, keys, a decoder's reason) made safe for a one-line message on a
// terminal: printable ASCII and well-formed UTF-8 stay, everything else (ESC, newlines, DEL, C1
// controls, malformed UTF-8) becomes \xNN, and text past max_bytes is cut with "...". Every
// file-derived string goes through it before it enters a Status message.
std::string printable(std::string_view bytes, size_t max_bytes = 200);

// A byte count for messages: "812 bytes", "32.0 KiB", "100.0 MiB", "2.0 GiB".
std::string size_text(uint64_t bytes);

}  // namespace p2p
