// Tests for extract_edges: blank images stay blank, outlines close around shapes, the amount of line
// is sane for a photo-like scene, contrast does not matter, and it is fast enough for the browser.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "shared/image.h"

namespace p2p {
namespace {

// A deterministic photo-like scene: graded sky, a sun, a house with a roof and a window, textured grass.
Image synthetic_scene(int w, int h) {
  Image img(w, h, 3);
  uint32_t seed = 12345;
  auto noise = [&seed]() {  // small uniform noise, like sensor grain
    seed = seed * 1664525u + 1013904223u;
    return int(seed >> 28) - 8;
  };
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float fx = float(x) / w, fy = float(y) / h;
      int r = int(90 + 80 * fy), g = int(140 + 60 * fy), b = int(230 - 30 * fy);  // sky
      float sx = fx - 0.78f, sy = fy - 0.18f;
      if (sx * sx + sy * sy < 0.008f) r = 250, g = 220, b = 90;  // sun
      if (fy > 0.7f) {                                            // grass with texture
        r = 60 + int(20 * std::sin(float(x) * 0.9f)), g = 140 + int(15 * std::sin(float(y) * 1.7f)), b = 50;
      }
      bool wall = fx > 0.2f && fx < 0.55f && fy > 0.45f && fy < 0.8f;
      bool roof = fy <= 0.45f && fy > 0.25f && std::fabs(fx - 0.375f) < (fy - 0.25f) * 1.1f;
      bool window = fx > 0.28f && fx < 0.36f && fy > 0.52f && fy < 0.62f;
      if (wall) r = 200 - int(40 * fx), g = 170, b = 130;
      if (roof) r = 150, g = 50, b = 40;
      if (window) r = 60, g = 80, b = 110;
      int n = noise();
      uint8_t* p = img.at(x, y);
      p[0] = uint8_t(std::clamp(r + n, 0, 255));
      p[1] = uint8_t(std::clamp(g + n, 0, 255));
      p[2] = uint8_t(std::clamp(b + n, 0, 255));
    }
  return img;
}

int dark_count(const Image& e) {
  int n = 0;
  for (uint8_t v : e.pixels) n += v < 128;
  return n;
}

// Fraction of dark pixels of `a` with a dark pixel of `b` within `r` pixels.
double matched(const Image& a, const Image& b, int r) {
  int total = 0, hit = 0;
  for (int y = 0; y < a.height; y++)
    for (int x = 0; x < a.width; x++) {
      if (a.at(x, y)[0] >= 128) continue;
      total++;
      bool found = false;
      for (int dy = -r; dy <= r && !found; dy++)
        for (int dx = -r; dx <= r && !found; dx++) {
          int nx = x + dx, ny = y + dy;
          found = nx >= 0 && ny >= 0 && nx < b.width && ny < b.height && b.at(nx, ny)[0] < 128;
        }
      hit += found;
    }
  return total ? double(hit) / total : 1.0;
}

TEST(Edges, BlankImagesGiveBlankDrawings) {
  for (uint8_t v : {0, 128, 255}) {
    Image e = extract_edges(Image(40, 30, 3, v));
    ASSERT_EQ(e.width, 40);
    ASSERT_EQ(e.height, 30);
    ASSERT_EQ(e.channels, 1);
    EXPECT_EQ(dark_count(e), 0);
  }
  // Faint noise on a flat image is not amplified into lines.
  Image grain(64, 64, 1);
  for (size_t i = 0; i < grain.pixels.size(); i++) grain.pixels[i] = uint8_t(120 + (i * 7919 % 3));
  EXPECT_EQ(dark_count(extract_edges(grain)), 0);
  EXPECT_EQ(extract_edges(Image()).pixels.size(), 0u);
  EXPECT_EQ(extract_edges(Image(2, 2, 3, 9)).pixels, std::vector<uint8_t>(4, 255));
}

TEST(Edges, SquareGetsAClosedOutline) {
  Image img(64, 64, 3, 255);
  for (int y = 20; y < 44; y++)
    for (int x = 16; x < 40; x++) img.at(x, y)[0] = img.at(x, y)[1] = img.at(x, y)[2] = 0;
  Image e = extract_edges(img);
  ASSERT_EQ(e.channels, 1);
  // Every line pixel lies within 2 pixels of the square's border; nothing elsewhere.
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++) {
      if (e.at(x, y)[0] >= 128) continue;
      int dx = std::max({16 - x, x - 39, 0}), dy = std::max({20 - y, y - 43, 0});
      bool outside = dx > 0 || dy > 0;
      int dist = outside ? std::max(dx, dy) : std::min({x - 16, 39 - x, y - 20, 43 - y});
      EXPECT_LE(dist, 2) << x << "," << y;
    }
  // Each side is drawn along most of its length.
  int top = 0, left = 0;
  for (int x = 16; x < 40; x++)
    for (int y = 18; y <= 22; y++) top += e.at(x, y)[0] < 128 ? 1 : 0;
  for (int y = 20; y < 44; y++)
    for (int x = 14; x <= 18; x++) left += e.at(x, y)[0] < 128 ? 1 : 0;
  EXPECT_GE(top, 20);
  EXPECT_GE(left, 20);
  // Closed: a flood fill from the image corner through white pixels never reaches the centre.
  std::vector<uint8_t> seen(64 * 64, 0);
  std::vector<int> stack{0};
  seen[0] = 1;
  while (!stack.empty()) {
    int p = stack.back();
    stack.pop_back();
    int x = p % 64, y = p / 64;
    const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
    for (int k = 0; k < 4; k++) {
      if (nx[k] < 0 || ny[k] < 0 || nx[k] >= 64 || ny[k] >= 64) continue;
      int q = ny[k] * 64 + nx[k];
      if (!seen[q] && e.pixels[q] >= 128) seen[q] = 1, stack.push_back(q);
    }
  }
  EXPECT_FALSE(seen[32 * 64 + 28]);
}

TEST(Edges, SceneHasASaneAmountOfLine) {
  Image scene = synthetic_scene(256, 256);
  Image e = extract_edges(scene);
  ASSERT_EQ(e.width, 256);
  ASSERT_EQ(e.height, 256);
  double frac = double(dark_count(e)) / (256.0 * 256.0);
  EXPECT_GT(frac, 0.005);
  EXPECT_LT(frac, 0.20);
  // The wall's left side (x ~ 51) is drawn across its height.
  int wall = 0;
  for (int y = 130; y < 195; y++)
    for (int x = 48; x <= 55; x++)
      if (e.at(x, y)[0] < 128) {
        wall++;
        break;
      }
  EXPECT_GE(wall, 55);
  if (const char* out = std::getenv("P2P_SAVE_EDGES")) {  // for a look by eye: scene | edges
    auto both = join_ab(scene, to_channels(e, 3));
    ASSERT_TRUE(both.ok());
    ASSERT_TRUE(save_png(out, both.value).ok());
  }
}

TEST(Edges, ContrastDoesNotChangeTheDrawing) {
  Image scene = synthetic_scene(128, 128);
  Image faint = scene;
  for (uint8_t& v : faint.pixels) v = uint8_t(std::lround(100 + 0.4 * v));
  Image a = extract_edges(scene), b = extract_edges(faint);
  EXPECT_GT(matched(a, b, 1), 0.9);
  EXPECT_GT(matched(b, a, 1), 0.9);
  double ratio = double(dark_count(b)) / dark_count(a);
  EXPECT_GT(ratio, 0.85);
  EXPECT_LT(ratio, 1.15);
}

TEST(Edges, OptionsDoWhatTheySay) {
  Image scene = synthetic_scene(128, 128);
  Image thin = extract_edges(scene);
  EdgeOptions o;
  o.thickness = 3;
  Image thick = extract_edges(scene, o);
  EXPECT_GT(dark_count(thick), 2 * dark_count(thin));
  EXPECT_GT(matched(thin, thick, 0), 0.999);  // thickening only adds

  // A lone short segment is dropped by min_length, kept when min_length allows it.
  Image dash(48, 48, 1, 255);
  for (int x = 20; x < 24; x++)
    for (int y = 22; y < 26; y++) dash.at(x, y)[0] = 0;
  EdgeOptions keep;
  keep.min_length = 1;
  EdgeOptions drop;
  drop.min_length = 40;
  EXPECT_GT(dark_count(extract_edges(dash, keep)), 0);
  EXPECT_EQ(dark_count(extract_edges(dash, drop)), 0);

  EXPECT_EQ(extract_edges(scene).pixels, thin.pixels);  // deterministic
}

}  // namespace
}  // namespace p2p
