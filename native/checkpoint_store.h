// Checkpoints written as one unit, for train and train-style. A checkpoint <label> is a folder
// checkpoints/<label>.<seq>/ of parts (net_G, net_D, state .safetensors), written and fsynced, then made the
// current one by renaming a symlink checkpoints/<label> onto it (the commit: one atomic rename). The stable
// names checkpoints/<label>_<part>.safetensors are symlinks through <label>, so the documented paths
// (run --model .../latest_net_G.safetensors, test/export --name) always reach the newest complete checkpoint.
// Runs of older versions (three plain files per label) are read as before and converted on their next save.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "shared/status.h"
#include "shared/tensor.h"

namespace p2p {

struct CheckpointPart {
  std::string name;  // "net_G", "net_D", "state"
  Weights weights;
  std::map<std::string, std::string> metadata;
};

// checkpoints_dir/<label>_<part>.safetensors: the stable name of a part.
std::string checkpoint_path(const std::string& dir, const std::string& label, const std::string& part);

// Where the parts of a complete checkpoint lie: its committed folder, or for an older run the stable names.
struct CheckpointFiles {
  std::string dir, label, folder;  // folder empty: the older three-file layout
  std::string part(const std::string& name) const;
};
// The complete checkpoint `label`, or ok() false with "no checkpoint <label>" when there is none.
Result<CheckpointFiles> find_checkpoint(const std::string& dir, const std::string& label);
bool checkpoint_exists(const std::string& dir, const std::string& label);
// The label of the newest complete checkpoint (the highest commit sequence; an older run's "latest"
// otherwise), or "" when dir holds none.
std::string newest_checkpoint(const std::string& dir);

// Writes the parts into a fresh folder, fsyncs each file and the folder, commits it as <label>, fsyncs dir,
// points the stable names at it and removes the checkpoint it replaced. A failure leaves the previous one.
// P2P_CHECKPOINT_DELAY_MS (tests only) pauses between the steps, so that a kill can land inside a save.
Status save_checkpoint_parts(const std::string& dir, const std::string& label, const std::vector<CheckpointPart>& parts);

// This process's hold on a run's checkpoints (flock on dir/.lock, released on exit, also on kill -9).
class CheckpointLock {
 public:
  CheckpointLock() = default;
  CheckpointLock(CheckpointLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  CheckpointLock& operator=(CheckpointLock&& o) noexcept;
  ~CheckpointLock();

 private:
  friend Result<CheckpointLock> lock_checkpoints(const std::string& dir);
  int fd_ = -1;
};
// Creates dir, takes the lock (fails when another process trains the run) and removes what an interrupted
// save left: folders that no link commits, temporary files and links; stable names are pointed again.
Result<CheckpointLock> lock_checkpoints(const std::string& dir);

}  // namespace p2p
