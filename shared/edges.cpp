// The edge extractor: photo -> line drawing (black lines on white), a Canny detector whose thresholds
// follow the image's own gradient scale, so the drawing does not depend on the photo's contrast.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "image.h"

namespace p2p {

namespace {

// The gradient scale is this quantile of the non-zero magnitudes left after non-maximum suppression.
constexpr float kScaleQuantile = 0.98f;
// Gradients below this (Sobel units on 0..255 pixels, about a two-level step) are never edges, so
// flat images with sensor or JPEG noise stay blank instead of having their noise amplified.
constexpr float kNoiseFloor = 4.0f;

int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Separable Gaussian; outside the image the edge pixel repeats, so borders do not look like edges.
// Loops run tap by tap over whole rows, which compilers vectorise.
std::vector<float> gaussian_blur(const std::vector<float>& src, int w, int h, float sigma) {
  if (sigma <= 0.0f) return src;
  const int r = std::max(1, int(std::ceil(3.0f * sigma)));
  std::vector<float> k(2 * r + 1);
  float sum = 0.0f;
  for (int i = -r; i <= r; i++) sum += k[i + r] = std::exp(-0.5f * float(i * i) / (sigma * sigma));
  for (float& v : k) v /= sum;
  std::vector<float> tmp(src.size(), 0.0f), out(src.size(), 0.0f), padded(size_t(w) + 2 * r);
  for (int y = 0; y < h; y++) {
    const float* row = &src[size_t(y) * w];
    for (int x = -r; x < w + r; x++) padded[x + r] = row[clampi(x, 0, w - 1)];
    float* dst = &tmp[size_t(y) * w];
    for (int i = 0; i <= 2 * r; i++) {
      const float kv = k[i];
      const float* in = &padded[i];
      for (int x = 0; x < w; x++) dst[x] += kv * in[x];
    }
  }
  for (int y = 0; y < h; y++) {
    float* dst = &out[size_t(y) * w];
    for (int i = -r; i <= r; i++) {
      const float* row = &tmp[size_t(clampi(y + i, 0, h - 1)) * w];
      const float kv = k[i + r];
      for (int x = 0; x < w; x++) dst[x] += kv * row[x];
    }
  }
  return out;
}

// Sobel gradients of the strongest channel at each pixel (as OpenCV's Canny does on colour images:
// edges between colours of equal brightness are kept), then non-maximum suppression across the edge
// (4 quantised directions). A pixel survives when it beats one neighbour and ties or beats the other,
// so plateaus give one-pixel lines.
std::vector<float> thin_gradients(const std::vector<std::vector<float>>& planes, int w, int h) {
  const size_t n = size_t(w) * h;
  std::vector<float> gx(n, 0.0f), gy(n, 0.0f), mag(n, 0.0f), out(n, 0.0f);
  std::vector<float> rows(3 * (size_t(w) + 2));  // the rows above, at and below y, edge pixels repeated
  for (const std::vector<float>& g : planes)
    for (int y = 0; y < h; y++) {
      for (int j = 0; j < 3; j++) {
        const float* src = &g[size_t(clampi(y + j - 1, 0, h - 1)) * w];
        float* dst = &rows[j * (size_t(w) + 2)];
        std::memcpy(dst + 1, src, size_t(w) * sizeof(float));
        dst[0] = src[0];
        dst[w + 1] = src[w - 1];
      }
      const float* up = &rows[0];
      const float* mid = &rows[size_t(w) + 2];
      const float* dn = &rows[2 * (size_t(w) + 2)];
      float* gxr = &gx[size_t(y) * w];
      float* gyr = &gy[size_t(y) * w];
      float* mr = &mag[size_t(y) * w];
      for (int x = 0; x < w; x++) {
        float dx = (up[x + 2] + 2 * mid[x + 2] + dn[x + 2]) - (up[x] + 2 * mid[x] + dn[x]);
        float dy = (dn[x] + 2 * dn[x + 1] + dn[x + 2]) - (up[x] + 2 * up[x + 1] + up[x + 2]);
        float m2 = dx * dx + dy * dy;
        bool more = m2 > mr[x];
        gxr[x] = more ? dx : gxr[x];
        gyr[x] = more ? dy : gyr[x];
        mr[x] = more ? m2 : mr[x];
      }
    }
  // mag holds squared magnitudes: they order the same, and only the survivors need a square root.
  constexpr float kTan22 = 0.41421356f, kTan67 = 2.41421356f;
  for (int y = 1; y + 1 < h; y++)
    for (int x = 1; x + 1 < w; x++) {
      size_t i = size_t(y) * w + x;
      float m = mag[i];
      if (m <= 0.0f) continue;
      float ax = std::fabs(gx[i]), ay = std::fabs(gy[i]);
      std::ptrdiff_t step;  // offset of the neighbour along the gradient
      if (ay <= kTan22 * ax) step = 1;
      else if (ay >= kTan67 * ax) step = w;
      else step = (gx[i] > 0) == (gy[i] > 0) ? w + 1 : w - 1;
      if (m > mag[i - step] && m >= mag[i + step]) out[i] = std::sqrt(m);
    }
  return out;
}

// Labels 8-connected pieces of `on` with a stack; calls f(pixels of the piece) for each.
template <class F>
void for_each_piece(const std::vector<uint8_t>& on, int w, int h, F f) {
  std::vector<uint8_t> seen(on.size(), 0);
  std::vector<int> piece, stack;
  for (size_t s = 0; s < on.size(); s++) {
    if (!on[s] || seen[s]) continue;
    piece.clear();
    stack.assign(1, int(s));
    seen[s] = 1;
    while (!stack.empty()) {
      int p = stack.back();
      stack.pop_back();
      piece.push_back(p);
      int px = p % w, py = p / w;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int nx = px + dx, ny = py + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          int q = ny * w + nx;
          if (on[q] && !seen[q]) seen[q] = 1, stack.push_back(q);
        }
    }
    f(piece);
  }
}

}  // namespace

Image extract_edges(const Image& photo, const EdgeOptions& opt) {
  const int w = photo.width, h = photo.height;
  Image out(std::max(w, 0), std::max(h, 0), 1, 255);
  if (w < 3 || h < 3) return out;
  if (photo.channels < 1 || photo.channels > 4 || photo.pixels.size() != size_t(w) * h * photo.channels) return out;
  const int nc = photo.channels >= 3 ? 3 : 1;  // alpha and the alpha of gray+alpha are ignored
  std::vector<std::vector<float>> planes(nc, std::vector<float>(size_t(w) * h));
  for (size_t i = 0; i < size_t(w) * h; i++)
    for (int c = 0; c < nc; c++) planes[c][i] = photo.pixels[i * photo.channels + c];
  for (auto& p : planes) p = gaussian_blur(p, w, h, opt.sigma);
  std::vector<float> nms = thin_gradients(planes, w, h);

  std::vector<float> mags;
  for (float m : nms)
    if (m > 0.0f) mags.push_back(m);
  if (mags.empty()) return out;
  auto q = mags.begin() + std::ptrdiff_t(kScaleQuantile * float(mags.size() - 1));
  std::nth_element(mags.begin(), q, mags.end());
  const float scale = *q;
  const float high = std::max(opt.high * scale, kNoiseFloor);
  const float low = std::min(std::max(opt.low * scale, 0.5f * kNoiseFloor), high);

  // Hysteresis: weak pixels are kept only when 8-connected to a strong one.
  std::vector<uint8_t> weak(nms.size(), 0);
  for (size_t i = 0; i < nms.size(); i++) weak[i] = nms[i] >= low;
  std::vector<uint8_t> edge(nms.size(), 0);
  for_each_piece(weak, w, h, [&](const std::vector<int>& piece) {
    bool strong = false;
    for (int p : piece) strong = strong || nms[p] >= high;
    if (strong && int(piece.size()) >= opt.min_length)
      for (int p : piece) edge[p] = 1;
  });

  // Thickness t stamps a t x t square (a disc from 4 up) centred on each edge pixel.
  const int t = std::clamp(opt.thickness, 1, 64);
  const int lo = -(t - 1) / 2, hi = t / 2;
  const float c = 0.5f * float(hi + lo), rr = 0.25f * float(t * t);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      if (!edge[size_t(y) * w + x]) continue;
      for (int dy = lo; dy <= hi; dy++)
        for (int dx = lo; dx <= hi; dx++) {
          if (t >= 4 && (dx - c) * (dx - c) + (dy - c) * (dy - c) > rr) continue;
          int nx = x + dx, ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < w && ny < h) out.at(nx, ny)[0] = 0;
        }
    }
  return out;
}

}  // namespace p2p
