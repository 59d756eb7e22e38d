// L1, PSNR, SSIM and Lab histogram intersection, on 8-bit images.
#include "native/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace p2p {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool same_shape(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.channels == b.channels && !a.pixels.empty() &&
         a.pixels.size() == b.pixels.size();
}

// Separable 'valid' filtering of a w x h plane with the 1-D kernel k: (w-k+1) x (h-k+1).
std::vector<double> filter_valid(const std::vector<double>& src, int w, int h, const std::vector<double>& k) {
  const int n = int(k.size()), ow = w - n + 1, oh = h - n + 1;
  std::vector<double> tmp(size_t(ow) * h), out(size_t(ow) * oh);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int i = 0; i < n; i++) s += k[i] * src[size_t(y) * w + x + i];
      tmp[size_t(y) * ow + x] = s;
    }
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int i = 0; i < n; i++) s += k[i] * tmp[size_t(y + i) * ow + x];
      out[size_t(y) * ow + x] = s;
    }
  return out;
}

double ssim_plane(const std::vector<double>& x, const std::vector<double>& y, int w, int h, const std::vector<double>& k) {
  constexpr double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
  for (size_t i = 0; i < x.size(); i++) xx[i] = x[i] * x[i], yy[i] = y[i] * y[i], xy[i] = x[i] * y[i];
  std::vector<double> mx = filter_valid(x, w, h, k), my = filter_valid(y, w, h, k);
  std::vector<double> sxx = filter_valid(xx, w, h, k), syy = filter_valid(yy, w, h, k), sxy = filter_valid(xy, w, h, k);
  double sum = 0;
  for (size_t i = 0; i < mx.size(); i++) {
    const double vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cov = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return sum / double(mx.size());
}

double srgb_linear(uint8_t v) {
  static const std::array<double, 256> lut = [] {
    std::array<double, 256> t{};
    for (int i = 0; i < 256; i++) {
      double c = i / 255.0;
      t[i] = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
    }
    return t;
  }();
  return lut[v];
}

double lab_f(double t) {
  constexpr double d = 6.0 / 29.0;
  return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}

int bin_of(double v, double lo, double hi, int bins) {
  int b = int(std::floor((v - lo) / (hi - lo) * bins));
  return std::clamp(b, 0, bins - 1);
}

}  // namespace

double l1_distance(const Image& a, const Image& b) {
  if (!same_shape(a, b)) return kNaN;
  uint64_t sum = 0;
  for (size_t i = 0; i < a.pixels.size(); i++) sum += uint64_t(std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  return double(sum) / double(a.pixels.size()) / 255.0 * 2.0;
}

double l1_distance(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape || a.data.empty() || a.data.size() != b.data.size()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < a.data.size(); i++) sum += std::fabs(double(a.data[i]) - double(b.data[i]));
  return sum / double(a.data.size());
}

double psnr(const Image& a, const Image& b) {
  if (!same_shape(a, b)) return kNaN;
  uint64_t sq = 0;
  for (size_t i = 0; i < a.pixels.size(); i++) {
    int d = int(a.pixels[i]) - int(b.pixels[i]);
    sq += uint64_t(d * d);
  }
  if (sq == 0) return std::numeric_limits<double>::infinity();
  double mse = double(sq) / double(a.pixels.size());
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim(const Image& a, const Image& b) {
  if (!same_shape(a, b)) return kNaN;
  const int w = a.width, h = a.height, n = std::min({11, w, h});
  std::vector<double> k(n);
  double ks = 0;
  for (int i = 0; i < n; i++) ks += k[i] = std::exp(-std::pow(i - (n - 1) / 2.0, 2) / (2 * 1.5 * 1.5));
  for (double& v : k) v /= ks;
  const int channels = a.channels == 4 ? 3 : a.channels;
  double total = 0;
  std::vector<double> x(size_t(w) * h), y(size_t(w) * h);
  for (int c = 0; c < channels; c++) {
    for (size_t i = 0; i < x.size(); i++) x[i] = a.pixels[i * a.channels + c], y[i] = b.pixels[i * b.channels + c];
    total += ssim_plane(x, y, w, h, k);
  }
  return total / channels;
}

std::array<double, 3> srgb_to_lab(uint8_t r8, uint8_t g8, uint8_t b8) {
  const double r = srgb_linear(r8), g = srgb_linear(g8), b = srgb_linear(b8);
  // sRGB primaries, D65 white (IEC 61966-2-1); white point Xn 0.95047, Yn 1, Zn 1.08883.
  const double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
  const double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

void LabHistogram::add(const Image& img) {
  const size_t n = size_t(img.width) * img.height;
  if (img.channels != 1 && img.channels != 3 && img.channels != 4) return;
  for (size_t i = 0; i < n; i++) {
    const uint8_t* p = &img.pixels[i * img.channels];
    std::array<double, 3> lab = img.channels == 1 ? srgb_to_lab(p[0], p[0], p[0]) : srgb_to_lab(p[0], p[1], p[2]);
    counts[0][bin_of(lab[0], 0, 100, kBinsL)] += 1;
    counts[1][bin_of(lab[1], -129, 129, kBinsAB)] += 1;
    counts[2][bin_of(lab[2], -129, 129, kBinsAB)] += 1;
  }
}

std::array<double, 3> histogram_intersection(const LabHistogram& p, const LabHistogram& q) {
  std::array<double, 3> out{};
  for (int c = 0; c < 3; c++) {
    double sp = 0, sq = 0;
    for (double v : p.counts[c]) sp += v;
    for (double v : q.counts[c]) sq += v;
    if (sp <= 0 || sq <= 0 || p.counts[c].size() != q.counts[c].size()) continue;
    double s = 0;
    for (size_t i = 0; i < p.counts[c].size(); i++) s += std::min(p.counts[c][i] / sp, q.counts[c][i] / sq);
    out[c] = s;
  }
  return out;
}

ImageMetrics measure(const Image& output, const Image& truth) {
  ImageMetrics m;
  m.l1 = l1_distance(output, truth);
  m.psnr = psnr(output, truth);
  m.ssim = ssim(output, truth);
  LabHistogram ho, ht;
  ho.add(output);
  ht.add(truth);
  m.lab = histogram_intersection(ho, ht);
  return m;
}

ImageMetrics MetricsAccumulator::add(const Image& output, const Image& truth) {
  ImageMetrics m = measure(output, truth);
  items_.push_back(m);
  out_.add(output);
  truth_.add(truth);
  return m;
}

MetricsSummary MetricsAccumulator::summary() const {
  MetricsSummary s;
  s.count = items_.size();
  if (items_.empty()) return s;
  for (const ImageMetrics& m : items_) {
    s.l1 += m.l1, s.psnr += m.psnr, s.ssim += m.ssim;
    for (int c = 0; c < 3; c++) s.lab_image[c] += m.lab[c];
  }
  const double n = double(items_.size());
  s.l1 /= n, s.psnr /= n, s.ssim /= n;
  for (double& v : s.lab_image) v /= n;
  s.lab_set = histogram_intersection(out_, truth_);
  return s;
}

namespace {
Json number_or_inf(double v) { return std::isinf(v) && v > 0 ? Json("inf") : Json(v); }
Json lab_json(const std::array<double, 3>& v) {
  Json j = Json::object();
  j["L"] = v[0], j["a"] = v[1], j["b"] = v[2];
  return j;
}
}  // namespace

Json to_json(const ImageMetrics& m) {
  Json j = Json::object();
  j["l1"] = m.l1;
  j["psnr"] = number_or_inf(m.psnr);
  j["ssim"] = m.ssim;
  j["lab_intersection"] = lab_json(m.lab);
  return j;
}

Json to_json(const MetricsSummary& s) {
  Json j = Json::object();
  j["count"] = s.count;
  j["l1"] = s.l1;
  j["psnr"] = number_or_inf(s.psnr);
  j["ssim"] = s.ssim;
  j["lab_intersection_mean_per_image"] = lab_json(s.lab_image);
  j["lab_intersection_set"] = lab_json(s.lab_set);
  return j;
}

std::string format_psnr(double db) {
  if (std::isinf(db) && db > 0) return "inf";
  if (std::isnan(db)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", db);
  return buf;
}

}  // namespace p2p
