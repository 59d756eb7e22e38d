// Whole-file reads and atomic writes (POSIX calls only, so it builds with g++ and em++ alike).
#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p2p {

namespace {
std::string why(const std::string& path, const char* what, int err) {
  return printable(path) + ": " + what + ": " + std::strerror(err);
}

std::string too_large(const std::string& path, uint64_t size, uint64_t max_bytes) {
  return printable(path) + ": " + size_text(size) + ", more than the " + size_text(max_bytes) +
         " this kind of file may have";
}
}  // namespace

Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes) {
  using R = Result<std::vector<uint8_t>>;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any non-file.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) return R::Fail(why(path, "cannot open", errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return R::Fail(why(path, "cannot stat", e));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return R::Fail(why(path, "cannot read", EISDIR));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return R::Fail(printable(path) + ": not a regular file (a device, FIFO or socket is never read)");
  }
  if (uint64_t(st.st_size) > max_bytes) {
    ::close(fd);
    return R::Fail(too_large(path, uint64_t(st.st_size), max_bytes));
  }
  R r;
  if (st.st_size > 0) r.value.reserve(size_t(st.st_size));
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return R::Fail(why(path, "cannot read", e));
    }
    if (n == 0) break;
    if (r.value.size() + size_t(n) > max_bytes) {  // the file grew while being read
      ::close(fd);
      return R::Fail(too_large(path, r.value.size() + size_t(n), max_bytes));
    }
    r.value.insert(r.value.end(), buf, buf + n);
  }
  ::close(fd);
  return r;
}

Status write_file_atomic(const std::string& path, const void* data, size_t size) {
  std::string tmp = path + ".tmp-" + std::to_string(long(::getpid()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::Fail(why(path, ("cannot create " + tmp).c_str(), errno));
  const uint8_t* p = static_cast<const uint8_t*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Fail(why(path, "cannot write", e));
    }
    p += n;
    left -= size_t(n);
  }
  // Data on disk before the rename makes it visible, so a crash leaves the old file or the new one.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOSYS) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::Fail(why(path, "cannot sync", e));
  }
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::Fail(why(path, "cannot close", e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::Fail(why(path, "cannot rename into place", e));
  }
  return Status::Ok();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status make_dirs(const std::string& path) {
  if (path.empty()) return Status::Fail("make_dirs: empty path");
  // Create each prefix ending before a '/', then the whole path.
  for (size_t i = 1; i <= path.size(); i++) {
    if (i < path.size() && path[i] != '/') continue;
    std::string prefix = path.substr(0, i);
    if (prefix.empty() || prefix.back() == '/') continue;
    struct stat st;
    if (::stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return Status::Fail(path + ": cannot create directory: " + prefix + " is not a directory");
      continue;
    }
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::Fail(why(path, "cannot create directory", errno));
  }
  return Status::Ok();
}

}  // namespace p2p
