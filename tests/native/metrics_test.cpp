// Metrics with known values: identical images, a known shift, constant images for SSIM, Lab colours.
#include "native/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data_test_util.h"

using namespace p2p_test;

namespace {

p2p::Image constant(int w, int h, uint8_t v, int channels = 3) { return p2p::Image(w, h, channels, v); }

p2p::Image shifted(const p2p::Image& img, int delta) {
  p2p::Image out = img;
  for (uint8_t& p : out.pixels) p = uint8_t(std::clamp(int(p) + delta, 0, 255));
  return out;
}

// Values in [20, 200], so a shift of 10 never clips.
p2p::Image mid_pattern(int w, int h) {
  p2p::Image img = pattern(w, h, 4);
  for (uint8_t& p : img.pixels) p = uint8_t(20 + p * 180 / 255);
  return img;
}

}  // namespace

TEST(Metrics, IdenticalImages) {
  p2p::Image img = mid_pattern(40, 30);
  p2p::ImageMetrics m = p2p::measure(img, img);
  EXPECT_EQ(m.l1, 0.0);
  EXPECT_TRUE(std::isinf(m.psnr) && m.psnr > 0);
  EXPECT_NEAR(m.ssim, 1.0, 1e-12);
  for (double v : m.lab) EXPECT_NEAR(v, 1.0, 1e-12);
  EXPECT_EQ(p2p::format_psnr(m.psnr), "inf");
  p2p::Json j = p2p::to_json(m);
  EXPECT_EQ(j["psnr"].as_string(), "inf");
  EXPECT_EQ(j["l1"].as_number(), 0.0);
  // Small images use a smaller window and still give 1.
  p2p::Image tiny = pattern(5, 7);
  EXPECT_NEAR(p2p::ssim(tiny, tiny), 1.0, 1e-12);
}

TEST(Metrics, KnownShiftGivesExpectedL1AndPsnr) {
  p2p::Image a = mid_pattern(33, 21), b = shifted(a, 10);
  EXPECT_NEAR(p2p::l1_distance(a, b), 10.0 / 255.0 * 2.0, 1e-12);
  EXPECT_NEAR(p2p::psnr(a, b), 10.0 * std::log10(255.0 * 255.0 / 100.0), 1e-9);  // 28.1308 dB
  EXPECT_NEAR(p2p::psnr(a, b), 28.1308, 1e-4);
  // Half the pixels off by 20: MSE 200.
  p2p::Image c = a;
  for (size_t i = 0; i < c.pixels.size(); i += 2) c.pixels[i] = uint8_t(c.pixels[i] + 20);
  double mse = 400.0 * double((c.pixels.size() + 1) / 2) / double(c.pixels.size());
  EXPECT_NEAR(p2p::psnr(a, c), 10.0 * std::log10(255.0 * 255.0 / mse), 1e-9);
  // Tensor L1 in the tensors' own units.
  p2p::Tensor ta = p2p::image_to_tensor(a), tb = p2p::image_to_tensor(b);
  EXPECT_NEAR(p2p::l1_distance(ta, tb), 20.0 / 255.0, 1e-6);
  // Different sizes are not comparable.
  EXPECT_TRUE(std::isnan(p2p::psnr(a, mid_pattern(32, 21))));
}

TEST(Metrics, SsimOfConstantImagesIsTheLuminanceTerm) {
  // Zero variance: SSIM = (2 m1 m2 + C1) / (m1^2 + m2^2 + C1) at every window.
  const double c1 = (0.01 * 255) * (0.01 * 255);
  double expect = (2.0 * 100 * 120 + c1) / (100.0 * 100 + 120.0 * 120 + c1);
  EXPECT_NEAR(p2p::ssim(constant(20, 20, 100), constant(20, 20, 120)), expect, 1e-12);
  EXPECT_NEAR(p2p::ssim(constant(20, 20, 100, 1), constant(20, 20, 120, 1)), expect, 1e-12);
  // Noise lowers it, symmetric, and structure matters more than a small shift.
  p2p::Image a = mid_pattern(48, 48);
  p2p::Image noisy = a;
  for (size_t i = 0; i < noisy.pixels.size(); i++) noisy.pixels[i] = uint8_t(noisy.pixels[i] + ((i * 7919) % 41) - 20);
  double s = p2p::ssim(a, noisy);
  EXPECT_LT(s, 0.95);
  EXPECT_GT(s, 0.0);
  EXPECT_NEAR(s, p2p::ssim(noisy, a), 1e-12);
  EXPECT_GT(p2p::ssim(a, shifted(a, 3)), s);
}

TEST(Metrics, SrgbToLabD65) {
  auto near = [](std::array<double, 3> got, std::array<double, 3> want, double tol) {
    for (int i = 0; i < 3; i++) EXPECT_NEAR(got[i], want[i], tol) << i;
  };
  near(p2p::srgb_to_lab(255, 255, 255), {100.0, 0.0, 0.0}, 1e-3);
  near(p2p::srgb_to_lab(0, 0, 0), {0.0, 0.0, 0.0}, 1e-9);
  near(p2p::srgb_to_lab(255, 0, 0), {53.2408, 80.0925, 67.2032}, 1e-2);
  near(p2p::srgb_to_lab(0, 255, 0), {87.7347, -86.1827, 83.1793}, 1e-2);
  near(p2p::srgb_to_lab(0, 0, 255), {32.2970, 79.1875, -107.8602}, 1e-2);
  near(p2p::srgb_to_lab(128, 128, 128), {53.5850, 0.0, 0.0}, 1e-2);
}

TEST(Metrics, HistogramIntersection) {
  // Black vs white: no L overlap; a and b are both 0 (neutral): full overlap.
  p2p::LabHistogram black, white;
  black.add(constant(8, 8, 0));
  white.add(constant(8, 8, 255));
  std::array<double, 3> x = p2p::histogram_intersection(black, white);
  EXPECT_NEAR(x[0], 0.0, 1e-12);
  EXPECT_NEAR(x[1], 1.0, 1e-12);
  EXPECT_NEAR(x[2], 1.0, 1e-12);
  // Half black, half white vs all black: L overlap one half. Counts are normalised (sizes may differ).
  p2p::Image half = constant(8, 8, 0);
  for (int y = 0; y < 4; y++)
    for (int x2 = 0; x2 < 8; x2++) std::fill_n(half.at(x2, y), 3, uint8_t(255));
  p2p::LabHistogram h;
  h.add(half);
  p2p::LabHistogram big_black;
  big_black.add(constant(30, 30, 0));
  EXPECT_NEAR(p2p::histogram_intersection(h, big_black)[0], 0.5, 1e-12);
  EXPECT_NEAR(p2p::histogram_intersection(big_black, h)[0], 0.5, 1e-12);
  // Gray images count as R = G = B.
  p2p::LabHistogram g1, g3;
  g1.add(constant(4, 4, 77, 1));
  g3.add(constant(4, 4, 77, 3));
  EXPECT_EQ(g1.counts, g3.counts);
  // An empty histogram intersects nothing.
  EXPECT_EQ(p2p::histogram_intersection(p2p::LabHistogram{}, h)[0], 0.0);
}

TEST(Metrics, AccumulatorAveragesAndPoolsTheSet) {
  p2p::MetricsAccumulator acc;
  p2p::Image a = mid_pattern(16, 16);
  acc.add(a, a);
  p2p::ImageMetrics m2 = acc.add(a, shifted(a, 10));
  p2p::MetricsSummary s = acc.summary();
  EXPECT_EQ(s.count, 2u);
  EXPECT_NEAR(s.l1, (0.0 + m2.l1) / 2, 1e-12);
  EXPECT_TRUE(std::isinf(s.psnr));
  EXPECT_NEAR(s.ssim, (1.0 + m2.ssim) / 2, 1e-12);
  for (int c = 0; c < 3; c++) {
    EXPECT_NEAR(s.lab_image[c], (1.0 + m2.lab[c]) / 2, 1e-12);
    EXPECT_GT(s.lab_set[c], 0.0);
    EXPECT_LE(s.lab_set[c], 1.0 + 1e-12);
  }
  p2p::Json j = p2p::to_json(s);
  EXPECT_EQ(j["count"].as_number(), 2.0);
  EXPECT_EQ(j["psnr"].as_string(), "inf");
  EXPECT_TRUE(j["lab_intersection_set"]["L"].is_number());
  EXPECT_EQ(p2p::MetricsAccumulator().summary().count, 0u);
}
