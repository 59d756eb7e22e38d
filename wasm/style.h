// The style net that repaints an image: the checked style bundle, its two sessions (instance-norm
// statistics exported from a thumbnail, imported by every tile) and the job of one image in tiles.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/bundle.h"
#include "shared/graph.h"
#include "shared/image.h"
#include "shared/tiles.h"

namespace studio {

class Stylizer {
 public:
  static constexpr int kTokenBase = 1 << 20;  // session and run ids apart from the sketch model's
  static constexpr int kThumbnail = 256;      // longest side of the image the statistics come from
  static constexpr int kTileSide = 768;       // longest side of a tile (by default)
  static constexpr int kMaxSide = 2048;       // of an image to stylise

  // A downloaded style bundle: checked (a style net, its ranges), turned into the two ONNX models and
  // handed to JS. Fails with the one-line reason; the style in use stays until the new one is ready.
  p2p::Status load(const std::string& id, std::string_view model_json, const uint8_t* weights, size_t size);

  // Another longest side of a tile (?tile=N: tests and benchmarks), a multiple of 4 with room for a core.
  void set_tile_side(int side) {
    if (side % 4 == 0 && side >= 128 && side <= kMaxSide) tile_side_ = side;
  }
  int tile_side() const { return tile_side_; }

  // Stylises rgb (any size up to kMaxSide): a job in progress is dropped for the newer image.
  void request(p2p::Image rgb);
  void rerun() { if (!source_.pixels.empty()) pending_ = true; }
  void pump();  // starts the next run when nothing is in flight

  // From JS (tokens and run ids at or above kTokenBase).
  void session_ready(int token, bool ok, const std::string& message, const std::string& backend);
  void run_done(int run, std::vector<float> data, int channels, int height, int width, std::vector<float> stats, double ms);
  void run_failed(int run, const std::string& message);

  const std::string& style_id() const { return active_.id; }
  const std::string& preparing_id() const { return preparing_.id; }
  const p2p::Bundle* bundle() const { return active_.bundle.get(); }
  bool busy() const { return in_flight_ != 0 || job_.active; }
  bool pending() const { return pending_; }
  int tiles_done() const { return job_.done; }
  int tiles_total() const { return job_.total; }
  const p2p::ReceptiveField& receptive_field() const { return active_.rf; }

  const p2p::Image& source() const { return result_source_; }  // the image the result was computed from
  const p2p::Image& styled() const { return styled_; }
  uint64_t styled_version() const { return styled_version_; }
  double last_ms() const { return last_ms_; }  // the whole last image, all its runs
  double last_run_ms() const { return last_run_ms_; }  // of which inside ONNX Runtime (as JS measured it)
  // The instance-norm statistics the last result's tiles used (its thumbnail's); empty for a single run.
  const std::vector<float>& last_stats() const { return last_stats_; }
  int last_tiles() const { return last_tiles_; }
  int jobs() const { return jobs_; }
  const std::string& error() const { return error_; }
  void clear_error() { error_.clear(); }

 private:
  struct Session {
    std::string id;
    std::shared_ptr<const p2p::Bundle> bundle;
    int export_token = 0, import_token = 0;
    bool export_ready = false, import_ready = false;
    p2p::ReceptiveField rf;
    p2p::SizeRule sizes;  // the input sizes the network takes (multiples of 4)
    std::vector<int> stats_channels;  // of each statistics tensor, in the models' order
  };
  // One image: the statistics of its thumbnail (Export), then each tile (Import) or, for a small
  // image, one Export run that is already the result.
  struct Job {
    bool active = false;
    p2p::Image source;
    p2p::Tensor padded, out;  // [1, 3, H, W] padded to a size the network takes
    std::vector<p2p::Tile> tiles;
    std::vector<float> stats;
    bool whole = false;       // one run on the whole image
    int done = 0, total = 0;  // tiles
    size_t next = 0;
    double started = 0, run_ms = 0;
  };
  void release(Session& s);
  void start_job();
  void finish_job();

  Session active_, preparing_;
  int next_token_ = kTokenBase, next_run_ = kTokenBase;
  int tile_side_ = kTileSide;
  p2p::Image source_;  // the latest image asked for
  bool pending_ = false;
  Job job_;
  int in_flight_ = 0;
  p2p::Image result_source_, styled_;
  uint64_t styled_version_ = 0;
  double last_ms_ = 0, last_run_ms_ = 0;
  std::vector<float> last_stats_;
  int last_tiles_ = 0, jobs_ = 0;
  std::string error_;
};

}  // namespace studio
