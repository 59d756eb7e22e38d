// The dataset reader and loader: layouts, direction, grayscale, preprocessing sizes, the same crop and
// flip for A and B, determinism, and every item once per epoch.
#include "native/dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "data_test_util.h"

using namespace p2p_test;
using p2p::Dataset;
using p2p::DatasetOptions;

namespace {

// dataroot/<phase>/name.png with A | B where B = A (so any crop or flip that differs between them shows).
void aligned_same(const TempDir& d, const std::string& phase, const std::string& name, int w, int h, int seed) {
  p2p::Image a = pattern(w, h, seed);
  save(d / (phase + "/" + name), p2p::join_ab(a, a).value);
}

DatasetOptions opts(const TempDir& d) {
  DatasetOptions o;
  o.dataroot = d.path;
  o.load_size = 64;
  o.crop_size = 48;
  return o;
}

Dataset open_ok(const DatasetOptions& o) {
  p2p::Result<Dataset> r = Dataset::open(o);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.value;
}

bool tensors_equal(const p2p::Tensor& a, const p2p::Tensor& b) { return a.shape == b.shape && a.data == b.data; }

}  // namespace

TEST(Dataset, AlignedKeepsAAndBAlignedUnderEveryPreprocess) {
  TempDir d;
  for (int i = 0; i < 6; i++) aligned_same(d, "train", "x" + std::to_string(i) + ".png", 70 + i, 50 + 3 * i, i);
  for (const char* mode : {"resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"}) {
    DatasetOptions o = opts(d);
    o.preprocess = p2p::parse_preprocess(mode).value;
    Dataset ds = open_ok(o);
    ASSERT_EQ(ds.size(), 6u);
    EXPECT_EQ(ds.layout(), "aligned");
    for (size_t i = 0; i < ds.size(); i++)
      for (int epoch = 1; epoch <= 3; epoch++) {
        p2p::Result<p2p::Sample> s = ds.get(i, epoch);
        ASSERT_TRUE(s.ok()) << s.error;
        EXPECT_TRUE(tensors_equal(s.value.a, s.value.b)) << mode << " item " << i << " epoch " << epoch;
        auto [w, h] = p2p::transformed_size(o, 70 + int(i), 50 + 3 * int(i));
        EXPECT_EQ(s.value.a.shape, (p2p::Shape{1, 3, h, w})) << mode;
      }
  }
}

TEST(Dataset, PreprocessOutputSizesFollowTheReference) {
  DatasetOptions o;
  o.load_size = 64;
  o.crop_size = 48;
  auto size = [&](const char* mode, int w, int h) {
    o.preprocess = p2p::parse_preprocess(mode).value;
    return p2p::transformed_size(o, w, h);
  };
  using P = std::pair<int, int>;
  EXPECT_EQ(size("resize_and_crop", 100, 60), P(48, 48));
  EXPECT_EQ(size("crop", 100, 60), P(48, 48));
  EXPECT_EQ(size("crop", 40, 30), P(40, 30));              // smaller than the crop: kept, as the reference's __crop
  EXPECT_EQ(size("scale_width", 100, 60), P(64, 48));      // height max(64 * 60 / 100, crop_size)
  EXPECT_EQ(size("scale_width", 100, 200), P(64, 128));
  EXPECT_EQ(size("scale_width_and_crop", 100, 200), P(48, 48));
  EXPECT_EQ(size("none", 100, 60), P(100, 60));
  EXPECT_EQ(size("none", 102, 62), P(104, 64));            // 25.5 -> 26, 15.5 -> 16 (half to even)
  EXPECT_EQ(size("none", 98, 58), P(96, 56));              // 24.5 -> 24, 14.5 -> 14
  EXPECT_EQ(size("none", 1, 1), P(4, 4));

  // The pixels agree with the sizes.
  p2p::Image img = pattern(98, 58);
  for (const char* mode : {"resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"}) {
    o.preprocess = p2p::parse_preprocess(mode).value;
    std::mt19937 rng(3);
    p2p::Image out = p2p::apply_transform(img, o, p2p::random_transform(o, 98, 58, rng));
    EXPECT_EQ(P(out.width, out.height), p2p::transformed_size(o, 98, 58)) << mode;
  }
}

TEST(Dataset, CropIsTheReferenceCropAndFlipsHappen) {
  DatasetOptions o;
  o.preprocess = p2p::Preprocess::Crop;
  o.crop_size = 8;
  p2p::Image img = pattern(20, 16);
  int flips = 0, positions = 0;
  std::set<std::pair<int, int>> seen;
  for (int s = 0; s < 200; s++) {
    std::mt19937 rng(s);
    p2p::Transform t = p2p::random_transform(o, 20, 16, rng);
    ASSERT_GE(t.crop_x, 0);
    ASSERT_LE(t.crop_x, 12);
    ASSERT_GE(t.crop_y, 0);
    ASSERT_LE(t.crop_y, 8);
    seen.insert({t.crop_x, t.crop_y});
    flips += t.flip;
    positions++;
    p2p::Image out = p2p::apply_transform(img, o, t);
    p2p::Image expect = p2p::crop(img, t.crop_x, t.crop_y, 8, 8);
    if (t.flip) expect = p2p::flip_horizontal(expect);
    ASSERT_EQ(out.pixels, expect.pixels);
  }
  EXPECT_GT(flips, 60);
  EXPECT_LT(flips, 140);
  EXPECT_GT(seen.size(), 60u);
  o.flip = false;  // --no_flip
  p2p::Transform t{2, 3, true};
  EXPECT_EQ(p2p::apply_transform(img, o, t).pixels, p2p::crop(img, 2, 3, 8, 8).pixels);
}

TEST(Dataset, ZoomOutShrinksBothSidesOntoWhiteAfterTheReferenceDraws) {
  // The picture (black) shrunk to half, at the right edge and the top, on white of the same size.
  DatasetOptions o;
  o.preprocess = p2p::Preprocess::None;
  o.flip = false;
  p2p::Image black(40, 40, 3, 0);
  p2p::Transform t;
  t.zoom = 0.5f, t.zoom_x = 1.0f, t.zoom_y = 0.0f;
  p2p::Image out = p2p::apply_transform(black, o, t);
  ASSERT_EQ(out.width, 40);
  ASSERT_EQ(out.height, 40);
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 40; x++) ASSERT_EQ(out.at(x, y)[1], x >= 20 && y < 20 ? 0 : 255) << x << "," << y;

  // The zoom is drawn after the reference's crop and flip, which stay as they were; it spans [zoom_out, 1].
  DatasetOptions plain_opt;
  plain_opt.load_size = 64, plain_opt.crop_size = 48;
  DatasetOptions zoomed = plain_opt;
  zoomed.zoom_out = 0.6f;
  float lo = 1, hi = 0;
  for (int s = 0; s < 200; s++) {
    std::mt19937 r1(s), r2(s);
    p2p::Transform plain = p2p::random_transform(plain_opt, 70, 50, r1), z = p2p::random_transform(zoomed, 70, 50, r2);
    ASSERT_EQ(std::tie(plain.crop_x, plain.crop_y, plain.flip), std::tie(z.crop_x, z.crop_y, z.flip));
    ASSERT_EQ(plain.zoom, 1.0f);
    ASSERT_TRUE(z.zoom >= 0.6f && z.zoom <= 1.0f && z.zoom_x >= 0 && z.zoom_x < 1 && z.zoom_y >= 0 && z.zoom_y < 1);
    lo = std::min(lo, z.zoom), hi = std::max(hi, z.zoom);
  }
  EXPECT_LT(lo, 0.65f);
  EXPECT_GT(hi, 0.95f);

  // A and B of a pair get the same zoom and place.
  TempDir d;
  for (int i = 0; i < 4; i++) aligned_same(d, "train", "x" + std::to_string(i) + ".png", 70, 50, i);
  DatasetOptions o2 = opts(d);
  o2.zoom_out = 0.5f;
  Dataset ds = open_ok(o2);
  for (size_t i = 0; i < ds.size(); i++) {
    p2p::Result<p2p::Sample> s = ds.get(i, 1);
    ASSERT_TRUE(s.ok()) << s.error;
    EXPECT_TRUE(tensors_equal(s.value.a, s.value.b)) << i;
    EXPECT_EQ(s.value.a.shape, (p2p::Shape{1, 3, 48, 48}));
  }
}

TEST(Dataset, WidenLinesDrawsTheInputsLinesWiderAndLeavesTheTarget) {
  // A one-pixel black line on white, 2 px wider: three columns, the line's own among them.
  p2p::Image line(12, 6, 3, 255);
  for (int y = 0; y < 6; y++) std::fill_n(line.at(5, y), 3, uint8_t(0));
  auto dark_columns = [](const p2p::Image& im) {
    std::vector<int> xs;
    for (int x = 0; x < im.width; x++) if (im.at(x, 3)[0] == 0) xs.push_back(x);
    return xs;
  };
  EXPECT_EQ(dark_columns(p2p::widen_dark_lines(line, 0)), (std::vector<int>{5}));
  EXPECT_EQ(dark_columns(p2p::widen_dark_lines(line, 1)), (std::vector<int>{4, 5}));
  EXPECT_EQ(dark_columns(p2p::widen_dark_lines(line, 2)), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(p2p::widen_dark_lines(line, 2).at(5, 0)[0], 0);  // rows too, clipped at the edge

  // Drawn after every other draw (which stay as they were), spanning 0..widen_lines.
  DatasetOptions plain_opt;
  plain_opt.zoom_out = 0.7f;
  DatasetOptions widened = plain_opt;
  widened.widen_lines = 3;
  std::set<int> seen;
  for (int s = 0; s < 200; s++) {
    std::mt19937 r1(s), r2(s);
    p2p::Transform plain = p2p::random_transform(plain_opt, 70, 50, r1), w = p2p::random_transform(widened, 70, 50, r2);
    ASSERT_EQ(std::tie(plain.crop_x, plain.crop_y, plain.flip, plain.zoom, plain.zoom_x), std::tie(w.crop_x, w.crop_y, w.flip, w.zoom, w.zoom_x));
    ASSERT_EQ(plain.widen, 0);
    seen.insert(w.widen);
  }
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3}));

  // Only the network's input: A for AtoB, B for BtoA; the target keeps its pixels.
  TempDir d;
  p2p::Image a(32, 32, 3, 255), b = pattern(32, 32, 2);
  for (int x = 4; x < 28; x++) std::fill_n(a.at(x, 16), 3, uint8_t(0));
  save(d / "train/p.png", p2p::join_ab(a, b).value);
  save(d / "train/q.png", p2p::join_ab(b, a).value);
  for (const char* direction : {"AtoB", "BtoA"}) {
    DatasetOptions o = opts(d);
    o.preprocess = p2p::Preprocess::None, o.flip = false, o.widen_lines = 4, o.direction = direction;
    Dataset ds = open_ok(o);
    int widened_inputs = 0;
    for (int epoch = 1; epoch <= 8; epoch++) {
      const p2p::Sample s = ds.get(std::string(direction) == "AtoB" ? 0 : 1, epoch).value;
      EXPECT_TRUE(tensors_equal(s.b, p2p::image_to_tensor(b))) << direction;
      int dark = 0;
      for (float v : s.a.data) dark += v < 0;
      EXPECT_GE(dark, 24 * 3) << direction;
      widened_inputs += dark > 24 * 3;
    }
    EXPECT_GT(widened_inputs, 0) << direction;
  }
}

TEST(Dataset, DirectionSwapsAndGrayscaleConverts) {
  TempDir d;
  p2p::Image a = pattern(32, 32, 1), b = pattern(32, 32, 2);
  save(d / "test/p.png", p2p::join_ab(a, b).value);
  DatasetOptions o = opts(d);
  o.phase = "test";
  o.preprocess = p2p::Preprocess::None;
  o.flip = false;
  Dataset ds = open_ok(o);
  p2p::Sample s = ds.get(0).value;
  EXPECT_TRUE(tensors_equal(s.a, p2p::image_to_tensor(a)));
  EXPECT_TRUE(tensors_equal(s.b, p2p::image_to_tensor(b)));
  EXPECT_EQ(s.name, "p.png");

  o.direction = "BtoA";
  ds = open_ok(o);
  s = ds.get(0).value;
  EXPECT_TRUE(tensors_equal(s.a, p2p::image_to_tensor(b)));
  EXPECT_TRUE(tensors_equal(s.b, p2p::image_to_tensor(a)));

  // input_nc 1 applies to the network's input: B when BtoA.
  o.input_nc = 1;
  ds = open_ok(o);
  s = ds.get(0).value;
  EXPECT_EQ(s.a.shape, (p2p::Shape{1, 1, 32, 32}));
  EXPECT_TRUE(tensors_equal(s.a, p2p::image_to_tensor(p2p::to_channels(b, 1))));
  EXPECT_TRUE(tensors_equal(s.b, p2p::image_to_tensor(a)));
  o.direction = "AtoB";
  o.output_nc = 1;
  ds = open_ok(o);
  s = ds.get(0).value;
  EXPECT_TRUE(tensors_equal(s.a, p2p::image_to_tensor(p2p::to_channels(a, 1))));
  EXPECT_TRUE(tensors_equal(s.b, p2p::image_to_tensor(p2p::to_channels(b, 1))));
  for (float v : s.a.data) ASSERT_TRUE(v >= -1.0f && v <= 1.0f);

  o.input_nc = 2;
  EXPECT_FALSE(Dataset::open(o).ok());
  o.input_nc = 3;
  o.direction = "sideways";
  EXPECT_FALSE(Dataset::open(o).ok());
}

TEST(Dataset, SeparateLayoutsPairByName) {
  TempDir d;
  for (int i = 0; i < 3; i++) {
    p2p::Image img = pattern(40, 30, i);
    save(d / ("A/train/s" + std::to_string(i) + ".png"), img);
    save(d / ("B/train/s" + std::to_string(i) + ".png"), img);
  }
  DatasetOptions o = opts(d);
  Dataset ds = open_ok(o);
  EXPECT_EQ(ds.layout(), "separate");
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.name(2), "s2.png");
  for (size_t i = 0; i < 3; i++) {
    p2p::Sample s = ds.get(i, 7).value;
    EXPECT_TRUE(tensors_equal(s.a, s.b));  // the same crop and flip on both files
    EXPECT_NE(s.a_path, s.b_path);
    EXPECT_NE(s.a_path.find("/A/train/"), std::string::npos);
  }

  // <phase>A / <phase>B, and an unpaired file named.
  TempDir e;
  save(e / "valA/u.png", pattern(20, 20));
  save(e / "valB/u.png", pattern(20, 20));
  save(e / "valA/alone.png", pattern(20, 20));
  DatasetOptions oe = opts(e);
  oe.phase = "val";
  p2p::Result<Dataset> r = Dataset::open(oe);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("alone.png"), std::string::npos) << r.error;
  std::filesystem::remove(e / "valA/alone.png");
  EXPECT_EQ(open_ok(oe).size(), 1u);

  oe.phase = "train";
  r = Dataset::open(oe);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(e.path), std::string::npos) << r.error;
}

TEST(Dataset, DeterministicPerSeedEpochAndIndex) {
  TempDir d;
  for (int i = 0; i < 4; i++) aligned_same(d, "train", "x" + std::to_string(i) + ".png", 80, 80, i);
  DatasetOptions o = opts(d);
  Dataset ds = open_ok(o);
  int differs = 0;
  for (size_t i = 0; i < 4; i++) {
    EXPECT_TRUE(tensors_equal(ds.get(i, 2).value.a, ds.get(i, 2).value.a));
    differs += !tensors_equal(ds.get(i, 2).value.a, ds.get(i, 3).value.a);
  }
  EXPECT_GT(differs, 0);
  o.seed = 1;
  Dataset other = open_ok(o);
  int seed_differs = 0;
  for (size_t i = 0; i < 4; i++) seed_differs += !tensors_equal(ds.get(i, 2).value.a, other.get(i, 2).value.a);
  EXPECT_GT(seed_differs, 0);
  EXPECT_EQ(p2p::epoch_order(10, 4, 1, true), p2p::epoch_order(10, 4, 1, true));
  EXPECT_NE(p2p::epoch_order(10, 4, 1, true), p2p::epoch_order(10, 4, 2, true));
  std::vector<size_t> serial = p2p::epoch_order(5, 4, 1, false);
  EXPECT_EQ(serial, (std::vector<size_t>{0, 1, 2, 3, 4}));
}

namespace {
p2p::Image solid(int w, int h, std::array<uint8_t, 3> rgb) {
  p2p::Image img(w, h, 3, 255);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) std::copy(rgb.begin(), rgb.end(), img.at(x, y));
  return img;
}
}  // namespace

TEST(Dataset, ColourClassIsGreyOrTheHueBinOfMostColouredPixels) {
  EXPECT_EQ(p2p::colour_class(solid(8, 8, {220, 30, 40})), 1);   // red (hue 357)
  EXPECT_EQ(p2p::colour_class(solid(8, 8, {250, 150, 40})), 2);  // orange (31)
  EXPECT_EQ(p2p::colour_class(solid(8, 8, {250, 220, 40})), 3);  // yellow (51)
  EXPECT_EQ(p2p::colour_class(solid(8, 8, {40, 80, 230})), 9);   // blue (227)
  EXPECT_EQ(p2p::colour_class(solid(8, 8, {120, 120, 128})), 0);  // grey
  EXPECT_EQ(p2p::colour_class(solid(8, 8, {255, 255, 255})), 0);  // blank paper
  p2p::Image dot = solid(16, 16, {255, 255, 255});                 // a small red dot on white: red
  for (int y = 0; y < 3; y++) std::copy_n(std::array<uint8_t, 3>{200, 20, 20}.begin(), 3, dot.at(5, 5 + y));
  EXPECT_EQ(p2p::colour_class(dot), 1);
}

TEST(Dataset, WeightedEpochOrderDrawsInProportionAndDeterministically) {
  const std::vector<double> w{3, 1, 0};
  EXPECT_EQ(p2p::epoch_order(3, 4, 1, true, w), p2p::epoch_order(3, 4, 1, true, w));
  std::array<int, 3> seen{};
  for (int epoch = 1; epoch <= 2000; epoch++)
    for (size_t i : p2p::epoch_order(3, 4, epoch, true, w)) seen[i]++;
  EXPECT_EQ(seen[2], 0);                                  // weight 0: never
  EXPECT_NEAR(seen[0] / 6000.0, 0.75, 0.02) << seen[0];  // 3 of 4
  EXPECT_NEAR(seen[1] / 6000.0, 0.25, 0.02) << seen[1];
  EXPECT_EQ(p2p::epoch_order(3, 4, 1, false, w), (std::vector<size_t>{0, 1, 2}));  // serial: as listed
}

TEST(Dataset, ColourBalanceWeightsAreOneOverTheSquareRootOfEachColoursPairs) {
  TempDir d;
  const std::array<uint8_t, 3> red{220, 30, 40}, blue{40, 80, 230};
  for (int i = 0; i < 4; i++)
    save(d / ("train/x" + std::to_string(i) + ".png"), p2p::join_ab(solid(40, 40, {250, 220, 40}), solid(40, 40, i < 3 ? red : blue)).value);
  DatasetOptions o = opts(d);
  o.load_size = o.crop_size = 32;
  std::vector<size_t> counts;
  p2p::Result<std::vector<double>> w = p2p::colour_balance_weights(open_ok(o), &counts);
  ASSERT_TRUE(w.ok()) << w.error;
  EXPECT_EQ(counts[1], 3u);
  EXPECT_EQ(counts[9], 1u);
  for (int i = 0; i < 4; i++) EXPECT_NEAR(w.value[size_t(i)], i < 3 ? 1 / std::sqrt(3.0) : 1.0, 1e-12) << i;
  o.direction = "BtoA";  // the target is then A: yellow in all four, each weighted 1 / sqrt(4)
  w = p2p::colour_balance_weights(open_ok(o), &counts);
  ASSERT_TRUE(w.ok()) << w.error;
  EXPECT_EQ(counts[3], 4u);
  for (double x : w.value) EXPECT_NEAR(x, 0.5, 1e-12);
}

TEST(Dataset, LoaderYieldsEveryItemOncePerEpochInStackedBatches) {
  TempDir d;
  for (int i = 0; i < 10; i++) aligned_same(d, "train", "x" + std::to_string(i) + ".png", 60, 40, i);
  DatasetOptions o = opts(d);
  o.crop_size = 32;
  Dataset ds = open_ok(o);
  p2p::LoaderOptions lo;
  lo.batch_size = 3;
  lo.threads = 3;
  lo.first_epoch = 5;
  std::vector<std::vector<size_t>> orders;
  {
    p2p::Loader loader(ds, lo);
    ASSERT_EQ(loader.batches_per_epoch(), 4u);
    for (int e = 0; e < 3; e++) {
      std::vector<size_t> seen;
      for (size_t it = 0; it < loader.batches_per_epoch(); it++) {
        p2p::Batch b = loader.next();
        ASSERT_EQ(b.error, "");
        EXPECT_EQ(b.epoch, 5 + e);
        EXPECT_EQ(b.iteration, it);
        EXPECT_EQ(b.last_in_epoch, it == 3);
        const int64_t k = it == 3 ? 1 : 3;
        ASSERT_EQ(b.a.shape, (p2p::Shape{k, 3, 32, 32}));
        ASSERT_EQ(b.b.shape, b.a.shape);
        EXPECT_TRUE(tensors_equal(b.a, b.b));
        // Each slice is exactly the dataset's item for that epoch.
        for (int64_t j = 0; j < k; j++) {
          p2p::Sample s = ds.get(b.indices[size_t(j)], b.epoch).value;
          std::vector<float> slice(b.a.data.begin() + j * 3 * 32 * 32, b.a.data.begin() + (j + 1) * 3 * 32 * 32);
          ASSERT_EQ(slice, s.a.data);
        }
        seen.insert(seen.end(), b.indices.begin(), b.indices.end());
      }
      std::vector<size_t> sorted = seen;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
      orders.push_back(seen);
    }
    p2p::Batch extra = loader.next();  // the next epoch is already being prefetched
    EXPECT_EQ(extra.epoch, 8);
  }  // destroyed with workers busy prefetching: must join cleanly
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_EQ(orders[0], p2p::epoch_order(10, o.seed, 5, true));

  // Same seed, same sequence (any thread count).
  lo.threads = 1;
  p2p::Loader again(ds, lo);
  std::vector<size_t> first;
  for (int it = 0; it < 4; it++) {
    p2p::Batch b = again.next();
    first.insert(first.end(), b.indices.begin(), b.indices.end());
  }
  EXPECT_EQ(first, orders[0]);
}

TEST(Dataset, LoaderShardsRanksAndReportsBrokenFiles) {
  TempDir d;
  for (int i = 0; i < 7; i++) aligned_same(d, "train", "x" + std::to_string(i) + ".png", 40, 40, i);
  DatasetOptions o = opts(d);
  o.crop_size = 32;
  o.load_size = 36;
  Dataset ds = open_ok(o);
  std::multiset<size_t> all;
  for (int rank = 0; rank < 2; rank++) {
    p2p::LoaderOptions lo;
    lo.batch_size = 2;
    lo.threads = 2;
    lo.rank = rank;
    lo.world_size = 2;
    lo.drop_last = false;
    p2p::Loader loader(ds, lo);
    EXPECT_EQ(loader.items_per_epoch(), 4u);
    EXPECT_EQ(loader.batches_per_epoch(), 2u);
    for (int it = 0; it < 2; it++) {
      p2p::Batch b = loader.next();
      ASSERT_EQ(b.error, "");
      all.insert(b.indices.begin(), b.indices.end());
    }
  }
  EXPECT_EQ(all.size(), 8u);  // 7 items padded to 8, as DistributedSampler
  for (size_t i = 0; i < 7; i++) EXPECT_GE(all.count(i), 1u);

  write_text(d / "train/x3.png", "garbage");
  p2p::LoaderOptions lo;
  lo.batch_size = 7;
  lo.threads = 2;
  p2p::Loader loader(ds, lo);
  p2p::Batch b = loader.next();
  EXPECT_NE(b.error.find("x3.png"), std::string::npos) << b.error;
  EXPECT_TRUE(b.a.data.empty());
}

TEST(Dataset, LoaderRefusesToStackDifferentSizes) {
  TempDir d;
  aligned_same(d, "train", "a.png", 40, 40, 1);
  aligned_same(d, "train", "b.png", 48, 40, 2);
  DatasetOptions o = opts(d);
  o.preprocess = p2p::Preprocess::None;
  Dataset ds = open_ok(o);
  p2p::LoaderOptions lo;
  lo.batch_size = 2;
  lo.shuffle = false;
  p2p::Loader loader(ds, lo);
  p2p::Batch b = loader.next();
  EXPECT_NE(b.error.find("sizes differ"), std::string::npos) << b.error;
  lo.batch_size = 1;
  p2p::Loader single(ds, lo);
  EXPECT_EQ(single.next().error, "");
  EXPECT_EQ(single.next().a.shape, (p2p::Shape{1, 3, 40, 48}));
}

TEST(Dataset, PreprocessNamesParseOnceAndRoundTrip) {
  for (const std::string& name : p2p::preprocess_names()) {
    p2p::Result<p2p::Preprocess> p = p2p::parse_preprocess(name);
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(p2p::preprocess_name(p.value), name);
  }
  p2p::Result<p2p::Preprocess> bad = p2p::parse_preprocess("resize");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("unknown preprocess 'resize' (resize_and_crop"), std::string::npos) << bad.error;
}
