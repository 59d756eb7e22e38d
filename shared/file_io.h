// Whole-file reads and atomic writes for shared/: errors name the path and the reason (strerror).
// Atomic: data goes to "<path>.tmp-<pid>" and is renamed over path, so path is never half-written.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace p2p {

Result<std::vector<uint8_t>> read_file(const std::string& path);
Status write_file_atomic(const std::string& path, const void* data, size_t size);
inline Status write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  return write_file_atomic(path, bytes.data(), bytes.size());
}
inline Status write_file_atomic(const std::string& path, const std::string& text) {
  return write_file_atomic(path, text.data(), text.size());
}
bool file_exists(const std::string& path);  // anything at path (file or directory)
Status make_dirs(const std::string& path);  // mkdir -p; fine when it exists already

}  // namespace p2p
