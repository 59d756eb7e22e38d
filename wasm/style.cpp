// Style transfer in tiles (Thumbnail Instance Normalization, Chen et al. 2022): the statistics of every
// instance norm come from a downscaled whole image, then each tile runs with them, so the tiles agree;
// tiles overlap by the receptive field and only their cores are kept, so no seam shows.
#include "wasm/style.h"

#include <emscripten.h>

#include <algorithm>
#include <cstring>

#include "wasm/js_bridge.h"

namespace studio {

namespace {

// The part r of a [1, C, H, W] tensor.
p2p::Tensor region(const p2p::Tensor& t, const p2p::Rect& r) {
  const int64_t c = t.shape[1], h = t.shape[2], w = t.shape[3];  // r lies inside h x w
  p2p::Tensor out;
  out.shape = {1, c, r.height, r.width};
  out.data.resize(size_t(c) * r.height * r.width);
  for (int64_t k = 0; k < c; k++)
    for (int y = 0; y < r.height; y++)
      std::memcpy(&out.data[(size_t(k) * r.height + y) * r.width], &t.data[(size_t(k) * h + r.y + y) * w + r.x],
                  sizeof(float) * size_t(r.width));
  return out;
}

// The longest side scaled to at most `side`, the other in proportion (at least 1).
void fit_within(int width, int height, int side, int& w, int& h) {
  const double k = std::min(1.0, double(side) / std::max(width, height));
  w = std::max(1, int(width * k + 0.5));
  h = std::max(1, int(height * k + 0.5));
}

}  // namespace

p2p::Status Stylizer::load(const std::string& id, std::string_view model_json, const uint8_t* weights, size_t size) {
  p2p::Result<p2p::Bundle> b = p2p::read_bundle_from_memory(model_json, weights, size);
  if (!b.ok()) return p2p::Status::Fail(id + ": " + b.error);
  if (b.value.task != "style") return p2p::Status::Fail(id + ": a " + b.value.task + " model, not a style (pick it as the sketch model)");
  const p2p::ValueRange range = p2p::value_range(b.value.spec);
  if (range.lo != 0.0f || range.hi != 255.0f || b.value.spec.input_nc != 3 || b.value.spec.output_nc != 3)
    return p2p::Status::Fail(id + ": " + b.value.spec.describe() + " does not take and give RGB in [0, 255]");
  p2p::Result<p2p::Graph> g = p2p::build(b.value.spec);
  if (!g.ok()) return p2p::Status::Fail(id + ": " + g.error);
  p2p::Result<p2p::ReceptiveField> rf = p2p::receptive_field(g.value);
  if (!rf.ok()) return p2p::Status::Fail(id + ": " + rf.error);

  Session s;
  s.id = id;
  s.rf = rf.value;
  s.sizes = p2p::valid_sizes(g.value);
  for (const p2p::NormStatsTensor& t : p2p::norm_stats(g.value, b.value.norm_mode)) {
    s.stats_channels.push_back(t.channels);  // mean
    s.stats_channels.push_back(t.channels);  // variance
  }
  s.bundle = std::make_shared<const p2p::Bundle>(std::move(b.value));
  std::vector<uint8_t> models[2];
  for (int k = 0; k < 2; k++) {
    p2p::OnnxOptions opt = p2p::onnx_options(*s.bundle);
    opt.norm_stats = k == 0 ? p2p::NormStats::Export : p2p::NormStats::Import;
    p2p::Result<std::vector<uint8_t>> bytes = p2p::bundle_to_onnx(*s.bundle, opt);
    if (!bytes.ok()) return p2p::Status::Fail(id + ": " + bytes.error);
    models[k] = std::move(bytes.value);
  }
  release(preparing_);  // superseded before it was ready
  s.export_token = next_token_++;
  s.import_token = next_token_++;
  preparing_ = std::move(s);
  js::create_session(preparing_.export_token, models[0].data(), models[0].size());
  js::create_session(preparing_.import_token, models[1].data(), models[1].size());
  return p2p::Status::Ok();
}

void Stylizer::release(Session& s) {
  if (s.export_token) js::release_session(s.export_token);
  if (s.import_token) js::release_session(s.import_token);
  s = Session();
}

void Stylizer::session_ready(int token, bool ok, const std::string& message, const std::string&) {
  const bool is_export = token == preparing_.export_token, is_import = token == preparing_.import_token;
  if (!is_export && !is_import) {
    if (ok) js::release_session(token);
    return;
  }
  if (!ok) {
    error_ = preparing_.id + ": the style does not run here: " + message;
    if (is_export) preparing_.export_token = 0;  // failed sessions need no release
    else preparing_.import_token = 0;
    release(preparing_);
    return;
  }
  (is_export ? preparing_.export_ready : preparing_.import_ready) = true;
  if (!preparing_.export_ready || !preparing_.import_ready) return;
  // A job of the old style is dropped (its run in flight is ignored) and done again with the new one.
  release(active_);
  active_ = std::move(preparing_);
  preparing_ = Session();
  error_.clear();
  job_ = Job();
  in_flight_ = 0;
  if (!source_.pixels.empty()) pending_ = true;
}

void Stylizer::request(p2p::Image rgb) {
  source_ = std::move(rgb);
  pending_ = true;
}

void Stylizer::start_job() {
  pending_ = false;
  job_ = Job();
  job_.active = true;
  job_.started = emscripten_get_now();
  job_.source = source_;
  p2p::Tensor t = p2p::image_to_tensor(source_, 0.0f, 255.0f);
  job_.padded = p2p::pad_to_fit(t, active_.sizes);
  const int h = int(job_.padded.shape[2]), w = int(job_.padded.shape[3]);
  if (std::max(source_.width, source_.height) <= kThumbnail) {
    job_.whole = true;  // the image is its own thumbnail: its Export run is the result
    job_.total = 1;
    return;
  }
  p2p::Result<std::vector<p2p::Tile>> plan = p2p::plan_tiles(w, h, tile_side_, active_.rf.radius(), int(active_.sizes.multiple));
  if (!plan.ok()) {
    error_ = plan.error;
    job_ = Job();
    return;
  }
  job_.tiles = std::move(plan.value);
  job_.total = int(job_.tiles.size());
  job_.out.shape = job_.padded.shape;
  job_.out.data.assign(job_.padded.data.size(), 0.0f);
}

void Stylizer::pump() {
  if (in_flight_ || !active_.export_ready || !active_.import_ready) return;
  if (pending_) start_job();
  if (!job_.active) return;
  in_flight_ = next_run_++;
  if (job_.whole) {
    const p2p::Tensor& t = job_.padded;
    js::run_style(active_.export_token, in_flight_, t.data.data(), 3, int(t.shape[2]), int(t.shape[3]), nullptr, 0, nullptr, 0);
  } else if (job_.stats.empty()) {
    int tw, th;
    fit_within(job_.source.width, job_.source.height, kThumbnail, tw, th);
    p2p::Tensor thumb = p2p::image_to_tensor(p2p::resize_bicubic(job_.source, tw, th), 0.0f, 255.0f);
    thumb = p2p::pad_to_fit(thumb, active_.sizes);
    js::run_style(active_.export_token, in_flight_, thumb.data.data(), 3, int(thumb.shape[2]), int(thumb.shape[3]), nullptr, 0, nullptr, 0);
  } else {
    const p2p::Tile& tile = job_.tiles[job_.next];
    p2p::Tensor t = region(job_.padded, tile.input);
    js::run_style(active_.import_token, in_flight_, t.data.data(), 3, tile.input.height, tile.input.width, job_.stats.data(),
                  job_.stats.size(), active_.stats_channels.data(), active_.stats_channels.size());
  }
}

void Stylizer::run_done(int run, std::vector<float> data, int channels, int height, int width, std::vector<float> stats, double ms) {
  if (run != in_flight_) return;
  in_flight_ = 0;
  if (!job_.active) return;
  job_.run_ms += ms;
  if (channels != 3 || data.size() != size_t(3) * height * width) {
    error_ = "the style net returned an unexpected shape";
    job_ = Job();
    return;
  }
  if (job_.whole) {
    if (height != job_.padded.shape[2] || width != job_.padded.shape[3]) {
      error_ = "the style net changed the image's size";
      job_ = Job();
      return;
    }
    job_.out.shape = job_.padded.shape;
    job_.out.data = std::move(data);
    job_.done = 1;
    finish_job();
    return;
  }
  if (job_.stats.empty()) {
    size_t expected = 0;
    for (int c : active_.stats_channels) expected += size_t(c);
    if (stats.size() != expected) {
      error_ = "the style net returned " + std::to_string(stats.size()) + " statistics, not " + std::to_string(expected);
      job_ = Job();
      return;
    }
    job_.stats = std::move(stats);
    return;
  }
  const p2p::Tile& tile = job_.tiles[job_.next];
  if (height != tile.input.height || width != tile.input.width) {
    error_ = "the style net changed a tile's size";
    job_ = Job();
    return;
  }
  // Only the core is kept: it lies a receptive field inside the tile wherever a neighbour continues.
  const int64_t H = job_.out.shape[2], W = job_.out.shape[3];
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < tile.core.height; y++) {
      const float* src = &data[(size_t(c) * height + (tile.core.y - tile.input.y + y)) * width + (tile.core.x - tile.input.x)];
      std::memcpy(&job_.out.data[(size_t(c) * H + tile.core.y + y) * W + tile.core.x], src, sizeof(float) * size_t(tile.core.width));
    }
  job_.done++;
  if (++job_.next == job_.tiles.size()) finish_job();
}

void Stylizer::finish_job() {
  p2p::Tensor t = p2p::crop_tensor(job_.out, job_.source.height, job_.source.width);
  styled_ = p2p::tensor_to_image(t, 0.0f, 255.0f);
  result_source_ = std::move(job_.source);
  styled_version_++;
  last_ms_ = emscripten_get_now() - job_.started;
  last_run_ms_ = job_.run_ms;
  last_stats_ = std::move(job_.stats);
  last_tiles_ = job_.whole ? 1 : job_.total;
  jobs_++;
  job_ = Job();
}

void Stylizer::run_failed(int run, const std::string& message) {
  if (run != in_flight_) return;
  in_flight_ = 0;
  job_ = Job();
  error_ = "style transfer failed: " + message;
}

}  // namespace studio
