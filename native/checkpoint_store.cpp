// Checkpoints as one unit: a folder per checkpoint, committed by renaming a symlink onto it.
#include "native/checkpoint_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "shared/file_io.h"
#include "shared/safetensors.h"

namespace p2p {

namespace fs = std::filesystem;

namespace {

const char* const kExt = ".safetensors";

// "latest.12" -> label "latest", seq 12. Names without a numeric suffix are not checkpoint folders.
bool parse_folder(const std::string& name, std::string* label, uint64_t* seq) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size() || name.size() - dot > 19) return false;
  for (size_t i = dot + 1; i < name.size(); i++)
    if (name[i] < '0' || name[i] > '9') return false;
  if (label) *label = name.substr(0, dot);
  if (seq) *seq = std::strtoull(name.c_str() + dot + 1, nullptr, 10);
  return true;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

bool is_symlink(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

bool is_regular(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string sys_error(const std::string& what, int e) { return what + ": " + std::strerror(e); }

// A folder's entries (names) reach the disk: what makes a rename or a new file in it durable.
Status sync_dir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Fail(sys_error("cannot open " + path, errno));
  const int rc = ::fsync(fd), e = errno;
  ::close(fd);
  if (rc != 0 && e != EINVAL && e != ENOSYS) return Status::Fail(sys_error("cannot sync " + path, e));
  return Status::Ok();
}

// dir/name becomes a symlink to target in one rename (a temporary link first).
Status replace_symlink(const std::string& dir, const std::string& name, const std::string& target) {
  const std::string tmp = dir + "/.tmp-link-" + std::to_string(long(::getpid())) + "-" + name, path = dir + "/" + name;
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) return Status::Fail(sys_error("cannot create the link " + tmp, errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Status::Fail(sys_error("cannot rename " + tmp + " to " + path, e));
  }
  return Status::Ok();
}

// Tests only: widens each step of a save so that a kill lands inside it.
void test_delay() {
  static const int ms = [] {
    const char* e = std::getenv("P2P_CHECKPOINT_DELAY_MS");
    return e ? std::atoi(e) : 0;
  }();
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    names.push_back(it->path().filename().string());
  return names;
}

// The committed folder of label (the target of dir/label), or "" when label is not committed.
std::string committed_folder(const std::string& dir, const std::string& label) {
  const std::string target = read_link(dir + "/" + label);
  std::string l;
  if (target.empty() || !parse_folder(target, &l, nullptr) || l != label) return "";
  return file_exists(dir + "/" + target + "/state" + kExt) ? target : "";
}

// Points <label>_<part>.safetensors at <label>/<part>.safetensors for every part of the committed folder.
Status point_stable_names(const std::string& dir, const std::string& label, const std::string& folder) {
  bool changed = false;
  for (const std::string& f : entries(dir + "/" + folder)) {
    if (f.size() <= std::strlen(kExt) || f.compare(f.size() - std::strlen(kExt), std::string::npos, kExt) != 0) continue;
    const std::string part = f.substr(0, f.size() - std::strlen(kExt)), want = label + "/" + f;
    const std::string name = label + "_" + part + kExt;
    if (read_link(dir + "/" + name) == want) continue;
    if (Status st = replace_symlink(dir, name, want); !st.ok()) return st;
    changed = true;
  }
  return changed ? sync_dir(dir) : Status::Ok();
}

// Only what a save writes: part files and their temporaries (so a user's own folder is never removed).
bool only_checkpoint_files(const std::string& path) {
  for (const std::string& f : entries(path))
    if (f.find(kExt) == std::string::npos || !is_regular(path + "/" + f)) return false;
  return true;
}

}  // namespace

std::string checkpoint_path(const std::string& dir, const std::string& label, const std::string& part) {
  return dir + "/" + label + "_" + part + kExt;
}

std::string CheckpointFiles::part(const std::string& name) const {
  return folder.empty() ? checkpoint_path(dir, label, name) : dir + "/" + folder + "/" + name + kExt;
}

Result<CheckpointFiles> find_checkpoint(const std::string& dir, const std::string& label) {
  using R = Result<CheckpointFiles>;
  R r;
  r.value.dir = dir, r.value.label = label;
  r.value.folder = committed_folder(dir, label);
  if (r.value.folder.empty() && !is_regular(checkpoint_path(dir, label, "state")))
    return R::Fail("no complete checkpoint '" + label + "' in " + dir);
  return r;
}

bool checkpoint_exists(const std::string& dir, const std::string& label) { return find_checkpoint(dir, label).ok(); }

std::string newest_checkpoint(const std::string& dir) {
  std::string best, legacy;
  uint64_t best_seq = 0;
  for (const std::string& name : entries(dir)) {
    uint64_t seq = 0;
    const std::string folder = committed_folder(dir, name);
    if (!folder.empty() && parse_folder(folder, nullptr, &seq) && (best.empty() || seq > best_seq)) best = name, best_seq = seq;
    // Older runs: "latest" if it is complete, else any complete label.
    const std::string suffix = std::string("_state") + kExt;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), std::string::npos, suffix) == 0 &&
        is_regular(dir + "/" + name)) {
      const std::string label = name.substr(0, name.size() - suffix.size());
      if (legacy.empty() || label == "latest") legacy = label;
    }
  }
  return best.empty() ? legacy : best;
}

Status save_checkpoint_parts(const std::string& dir, const std::string& label, const std::vector<CheckpointPart>& parts) {
  if (Status st = make_dirs(dir); !st.ok()) return st;
  uint64_t seq = 0;
  for (const std::string& name : entries(dir)) {
    uint64_t s = 0;
    if (parse_folder(name, nullptr, &s)) seq = std::max(seq, s);
  }
  const std::string folder = label + "." + std::to_string(seq + 1), path = dir + "/" + folder;
  if (::mkdir(path.c_str(), 0755) != 0) return Status::Fail(sys_error("cannot create " + path, errno));
  auto abandon = [&](const Status& st) {
    std::error_code ec;
    fs::remove_all(path, ec);
    return st;
  };
  for (const CheckpointPart& p : parts) {
    test_delay();
    if (Status st = save_safetensors(path + "/" + p.name + kExt, p.weights, p.metadata); !st.ok()) return abandon(st);
  }
  if (Status st = sync_dir(path); !st.ok()) return abandon(st);
  test_delay();
  const std::string previous = read_link(dir + "/" + label);
  if (Status st = replace_symlink(dir, label, folder); !st.ok()) return abandon(st);
  if (Status st = sync_dir(dir); !st.ok()) return st;  // committed already, maybe not durable: say so
  test_delay();
  if (Status st = point_stable_names(dir, label, folder); !st.ok()) return st;
  test_delay();
  std::string old_label;
  if (!previous.empty() && previous != folder && parse_folder(previous, &old_label, nullptr) && old_label == label) {
    std::error_code ec;
    fs::remove_all(dir + "/" + previous, ec);
  }
  return Status::Ok();
}

CheckpointLock& CheckpointLock::operator=(CheckpointLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_, o.fd_ = -1;
  }
  return *this;
}

CheckpointLock::~CheckpointLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<CheckpointLock> lock_checkpoints(const std::string& dir) {
  using R = Result<CheckpointLock>;
  if (Status st = make_dirs(dir); !st.ok()) return R::Fail(st.error);
  R r;
  const std::string lock = dir + "/.lock";
  r.value.fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (r.value.fd_ < 0) return R::Fail(sys_error("cannot open " + lock, errno));
  // Where the file system has no locks (ENOLCK), go on without one.
  if (::flock(r.value.fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
    return R::Fail("another process is training with " + dir + " (it holds " + lock + ")");

  std::set<std::string> linked;
  std::vector<std::string> names = entries(dir);
  for (const std::string& name : names)
    if (name.rfind(".tmp-", 0) != 0 && is_symlink(dir + "/" + name)) linked.insert(read_link(dir + "/" + name));
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    std::error_code ec;
    if (name.rfind(".tmp-", 0) == 0 || (name.find(std::string(kExt) + ".tmp-") != std::string::npos && is_regular(path)))
      ::unlink(path.c_str());
    else if (parse_folder(name, nullptr, nullptr) && !is_symlink(path) && fs::is_directory(path, ec) && !linked.count(name) &&
             only_checkpoint_files(path))
      fs::remove_all(path, ec);
  }
  for (const std::string& name : names) {
    const std::string folder = committed_folder(dir, name);
    if (!folder.empty())
      if (Status st = point_stable_names(dir, name, folder); !st.ok()) return R::Fail(st.error);
  }
  return r;
}

}  // namespace p2p
