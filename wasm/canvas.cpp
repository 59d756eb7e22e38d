// The drawing: strokes are smoothed (an exponential follow of the pointer along its path, then quadratic
// curves through the midpoints) and rasterised with antialiased round caps; undo keeps whole snapshots.
#include "wasm/canvas.h"

#include <algorithm>
#include <cmath>

namespace studio {

namespace {
constexpr size_t kMaxUndo = 64;
constexpr float kFollow = 0.55f;  // how far the smoothed point moves towards the pointer per step of its path
constexpr float kStep = 2.0f;     // pixels: sparse pointer events (a slow device) are walked in steps of at most this
}  // namespace

void Drawing::reset(int width, int height) { reset(p2p::Image(width, height, 3, 255)); }

void Drawing::reset(p2p::Image rgb) {
  image_ = std::move(rgb);
  undo_.clear();
  redo_.clear();
  stroking_ = false;
  version_++;
}

void Drawing::resize(int width, int height) {
  if (width == image_.width && height == image_.height) return;
  end_stroke();
  push_undo();
  image_ = p2p::resize_bicubic(image_, width, height);
  version_++;
}

void Drawing::push_undo() {
  undo_.push_back(image_);
  if (undo_.size() > kMaxUndo) undo_.erase(undo_.begin());
  redo_.clear();
}

void Drawing::clear() {
  end_stroke();
  push_undo();
  std::fill(image_.pixels.begin(), image_.pixels.end(), uint8_t(255));
  version_++;
}

void Drawing::set_image(p2p::Image rgb) {
  if (rgb.width != image_.width || rgb.height != image_.height || rgb.channels != 3) return;
  end_stroke();
  push_undo();
  image_ = std::move(rgb);
  version_++;
}

bool Drawing::undo() {
  end_stroke();
  if (undo_.empty()) return false;
  redo_.push_back(std::move(image_));
  image_ = std::move(undo_.back());
  undo_.pop_back();
  // A snapshot from before a resize has the old size; the drawing keeps the model's size.
  if (image_.width != redo_.back().width || image_.height != redo_.back().height)
    image_ = p2p::resize_bicubic(image_, redo_.back().width, redo_.back().height);
  version_++;
  return true;
}

bool Drawing::redo() {
  end_stroke();
  if (redo_.empty()) return false;
  undo_.push_back(std::move(image_));
  image_ = std::move(redo_.back());
  redo_.pop_back();
  if (image_.width != undo_.back().width || image_.height != undo_.back().height)
    image_ = p2p::resize_bicubic(image_, undo_.back().width, undo_.back().height);
  version_++;
  return true;
}

float Drawing::radius_for(float pressure) const {
  if (pressure <= 0.0f) pressure = 0.5f;  // touch and some pens report none
  // Mouse buttons report 0.5, which draws at the chosen width; a pen goes from 0.3x to 1.7x.
  return std::max(0.5f, 0.5f * width_ * (0.3f + 1.4f * std::min(pressure, 1.0f)));
}

void Drawing::begin_stroke(float x, float y, float pressure, Tool tool, float width) {
  end_stroke();
  push_undo();
  stroking_ = true;
  tool_ = tool;
  width_ = width;
  base_ = image_;
  coverage_.assign(size_t(image_.width) * image_.height, 0.0f);
  Point p{x, y, radius_for(pressure)};
  smooth_ = last_mid_ = prev_ = last_raw_ = p;
  points_ = 1;
  draw_segment(p, p);  // a click leaves a dot
}

void Drawing::extend_stroke(float x, float y, float pressure) {
  if (!stroking_) return;
  Point raw{x, y, radius_for(pressure)};
  // Followed per event, pointer events 30 px apart would lag the smoothed point by most of that and round a
  // star's tips off; followed per step of the path, the lag is a pixel or two however sparse the events.
  const int steps = std::max(1, int(std::ceil(std::hypot(raw.x - last_raw_.x, raw.y - last_raw_.y) / kStep)));
  for (int i = 1; i <= steps; i++) {
    const float t = float(i) / float(steps);
    smooth_.x += (last_raw_.x + (raw.x - last_raw_.x) * t - smooth_.x) * kFollow;
    smooth_.y += (last_raw_.y + (raw.y - last_raw_.y) * t - smooth_.y) * kFollow;
    smooth_.radius += (last_raw_.radius + (raw.radius - last_raw_.radius) * t - smooth_.radius) * kFollow;
    smoothed_to(smooth_);
  }
  // The end of the stroke follows the pointer exactly once the stroke ends; keep the raw point for it.
  points_++;
  last_raw_ = raw;
}

void Drawing::smoothed_to(Point p) {
  Point mid{(prev_.x + p.x) * 0.5f, (prev_.y + p.y) * 0.5f, (prev_.radius + p.radius) * 0.5f};
  draw_quadratic(last_mid_, prev_, mid);
  last_mid_ = mid;
  prev_ = p;
}

void Drawing::draw_quadratic(Point a, Point c, Point b) {
  float len = std::hypot(c.x - a.x, c.y - a.y) + std::hypot(b.x - c.x, b.y - c.y);
  int n = std::max(1, int(std::ceil(len)));
  Point from = a;
  for (int i = 1; i <= n; i++) {
    float t = float(i) / float(n), u = 1.0f - t;
    Point to{u * u * a.x + 2 * u * t * c.x + t * t * b.x, u * u * a.y + 2 * u * t * c.y + t * t * b.y,
             u * u * a.radius + 2 * u * t * c.radius + t * t * b.radius};
    draw_segment(from, to);
    from = to;
  }
}

void Drawing::end_stroke() {
  if (!stroking_) return;
  if (points_ > 1) draw_quadratic(last_mid_, prev_, last_raw_);
  stroking_ = false;
  base_ = p2p::Image();
  coverage_.clear();
  coverage_.shrink_to_fit();
}

void Drawing::draw_segment(Point a, Point b) {
  const float r_max = std::max(a.radius, b.radius) + 1.0f;
  const int x0 = std::max(0, int(std::floor(std::min(a.x, b.x) - r_max)));
  const int x1 = std::min(image_.width - 1, int(std::ceil(std::max(a.x, b.x) + r_max)));
  const int y0 = std::max(0, int(std::floor(std::min(a.y, b.y) - r_max)));
  const int y1 = std::min(image_.height - 1, int(std::ceil(std::max(a.y, b.y) + r_max)));
  const float dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
  const float ink = tool_ == Tool::Pen ? 0.0f : 255.0f;
  for (int y = y0; y <= y1; y++) {
    for (int x = x0; x <= x1; x++) {
      const float px = float(x) + 0.5f - a.x, py = float(y) + 0.5f - a.y;
      const float t = len2 > 0.0f ? std::clamp((px * dx + py * dy) / len2, 0.0f, 1.0f) : 0.0f;
      const float d = std::hypot(px - t * dx, py - t * dy);
      const float r = a.radius + (b.radius - a.radius) * t;
      const float cov = std::clamp(r + 0.5f - d, 0.0f, 1.0f);
      float& c = coverage_[size_t(y) * image_.width + x];
      if (cov <= c) continue;
      c = cov;
      const uint8_t* src = base_.at(x, y);
      uint8_t* dst = image_.at(x, y);
      for (int ch = 0; ch < 3; ch++) dst[ch] = uint8_t(std::lround(float(src[ch]) * (1.0f - cov) + ink * cov));
    }
  }
  version_++;
}

}  // namespace studio
