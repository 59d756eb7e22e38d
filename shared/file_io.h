// Whole-file reads and atomic writes for shared/: errors name the path and the reason (strerror).
// Atomic: data goes to "<path>.tmp-<pid>" and is renamed over path, so path is never half-written.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace p2p {

// The most any whole-file read takes (the largest real inputs, VGG-19 .pth files, are 548 MiB);
// callers that know their kind of file pass a smaller limit (kMaxJsonBytes, kMaxImageFileBytes).
constexpr uint64_t kMaxFileBytes = uint64_t(2) << 30;

// Regular files only: a device, FIFO or socket (/dev/zero, /dev/stdin) is refused without reading,
// and so is a file larger than max_bytes (the error names the path, its size and the limit).
Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes = kMaxFileBytes);
Status write_file_atomic(const std::string& path, const void* data, size_t size);
inline Status write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  return write_file_atomic(path, bytes.data(), bytes.size());
}
inline Status write_file_atomic(const std::string& path, const std::string& text) {
  return write_file_atomic(path, text.data(), text.size());
}
// A whole file through parse(data, size) -> Result<T>; a parse error is prefixed with the path.
template <class T, class Parse>
Result<T> parse_file(const std::string& path, Parse parse, uint64_t max_bytes = kMaxFileBytes) {
  Result<std::vector<uint8_t>> bytes = read_file(path, max_bytes);
  if (!bytes.ok()) return Result<T>::Fail(bytes.error);
  Result<T> r = parse(bytes.value.data(), bytes.value.size());
  if (!r.ok()) r.error = printable(path) + ": " + r.error;
  return r;
}

bool file_exists(const std::string& path);  // anything at path (file or directory)
Status make_dirs(const std::string& path);  // mkdir -p; fine when it exists already

}  // namespace p2p
