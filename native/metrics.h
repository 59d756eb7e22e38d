// Image quality metrics for `pix2pix test`: L1, PSNR, SSIM per image, and the paper's colour test
// (histogram intersection of Lab colour distributions, Isola et al. 2017, table 6), per image and per set.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/image.h"
#include "shared/json.h"
#include "shared/tensor.h"

namespace p2p {

// Mean |a - b| in [-1, 1] units (pixel difference / 255 * 2), over all pixels and channels.
// Images must have the same size and channels (else NaN).
double l1_distance(const Image& a, const Image& b);
double l1_distance(const Tensor& a, const Tensor& b);  // on the tensors' own values
// 10 log10(255^2 / MSE) over all pixels and channels; +infinity for identical images.
double psnr(const Image& a, const Image& b);
// SSIM (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, L 255, over the
// window positions wholly inside the image (the paper's 'valid' filtering), computed per channel and
// averaged over channels (RGB; alpha ignored). Images smaller than 11 pixels use a window of their size.
double ssim(const Image& a, const Image& b);

// sRGB (D65) -> CIE L*a*b*. L in [0, 100]; a, b roughly [-128, 128].
std::array<double, 3> srgb_to_lab(uint8_t r, uint8_t g, uint8_t b);

// Histograms of L (100 bins over [0, 100]) and a, b (129 bins each over [-129, 129], so neutral colours
// fall in the middle of the centre bin; values outside are clamped into the end bins), over every pixel added.
struct LabHistogram {
  static constexpr int kBinsL = 100, kBinsAB = 129;
  std::array<std::vector<double>, 3> counts{std::vector<double>(kBinsL), std::vector<double>(kBinsAB),
                                            std::vector<double>(kBinsAB)};
  void add(const Image& img);  // 1 channel: gray (R = G = B); 3 or 4: RGB
};
// sum_i min(p_i, q_i) of the two normalised histograms, per channel L, a, b: 1 for equal distributions,
// 0 for disjoint ones (and 0 when either is empty).
std::array<double, 3> histogram_intersection(const LabHistogram& p, const LabHistogram& q);

struct ImageMetrics {
  double l1 = 0, psnr = 0, ssim = 0;
  std::array<double, 3> lab{};  // histogram intersection of this image's L, a, b with its ground truth
};
ImageMetrics measure(const Image& output, const Image& truth);

// Accumulates a test set: per-image metrics, their means, and the set's Lab histograms.
struct MetricsSummary {
  size_t count = 0;
  double l1 = 0, psnr = 0, ssim = 0;  // means over images (psnr is +inf when any image's is)
  std::array<double, 3> lab_image{};  // mean of the per-image intersections
  std::array<double, 3> lab_set{};    // intersection of the whole set's distributions (the paper's number)
};
class MetricsAccumulator {
 public:
  ImageMetrics add(const Image& output, const Image& truth);  // measures, records and returns
  MetricsSummary summary() const;

 private:
  std::vector<ImageMetrics> items_;
  LabHistogram out_, truth_;
};

// JSON for metrics.json: numbers, with an infinite PSNR written as the string "inf".
Json to_json(const ImageMetrics& m);
Json to_json(const MetricsSummary& s);
std::string format_psnr(double db);  // "31.42" or "inf"

}  // namespace p2p
