// Tests for shared/image: codecs and their errors, PIL-compatible resizing and gray conversion,
// crops, flips, A|B split/join, tensor conversions and reflect padding.
#include "shared/image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include "shared/file_io.h"

namespace p2p {
namespace {

// The pattern the expected PIL values below were computed from.
Image pattern(int w, int h, int c) {
  Image img(w, h, c);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int ch = 0; ch < c; ch++) img.at(x, y)[ch] = uint8_t((x * 53 + y * 91 + x * y * 17 + ch * 101) % 256);
  return img;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/p2p_image_test_" + std::to_string(long(::getpid())) + "_" + name;
}

// ---- codecs ----

TEST(ImageCodec, PngRoundTripKeepsEveryChannelCount) {
  for (int c : {1, 3, 4}) {
    Image img = pattern(7, 5, c);
    std::vector<uint8_t> png = encode_png(img);
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png[1], 'P');
    auto back = decode_image(png.data(), png.size());
    ASSERT_TRUE(back.ok()) << back.error;
    EXPECT_EQ(back.value.width, 7);
    EXPECT_EQ(back.value.height, 5);
    EXPECT_EQ(back.value.channels, c);
    EXPECT_EQ(back.value.pixels, img.pixels);
  }
}

TEST(ImageCodec, DesiredChannelsConvert) {
  Image rgb = pattern(4, 3, 3);
  std::vector<uint8_t> png = encode_png(rgb);
  auto gray = decode_image(png.data(), png.size(), 1);
  ASSERT_TRUE(gray.ok()) << gray.error;
  EXPECT_EQ(gray.value.channels, 1);
  EXPECT_EQ(gray.value.pixels, to_channels(rgb, 1).pixels);  // PIL's "L", not stb's own luma
  auto again = decode_image(png.data(), png.size(), 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value.pixels, rgb.pixels);
  EXPECT_FALSE(decode_image(png.data(), png.size(), 2).ok());
}

TEST(ImageCodec, GrayAlphaBecomesRgba) {
  // A 2x1 gray+alpha PNG written by PIL: (10, 200), (250, 7).
  const uint8_t png[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
      0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x04, 0x00, 0x00, 0x00, 0x5e, 0x2b, 0xb7, 0x01, 0x00, 0x00, 0x00,
      0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe0, 0x3a, 0xf1, 0x8b, 0x1d, 0x00, 0x04, 0x80, 0x01, 0xd4,
      0x7e, 0x74, 0x89, 0x48, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  auto img = decode_image(png, sizeof png);
  ASSERT_TRUE(img.ok()) << img.error;
  EXPECT_EQ(img.value.channels, 4);
  EXPECT_EQ(img.value.pixels, (std::vector<uint8_t>{10, 10, 10, 200, 250, 250, 250, 7}));
}

TEST(ImageCodec, JpegSavesAndDecodes) {
  Image img(16, 16, 3);
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 16; x++) {
      uint8_t* p = img.at(x, y);
      p[0] = 200, p[1] = uint8_t(60 + 4 * x), p[2] = 30;
    }
  std::string path = temp_path("a.jpg");
  ASSERT_TRUE(save_jpg(path, img, 95).ok());
  auto back = load_image(path);
  ::unlink(path.c_str());
  ASSERT_TRUE(back.ok()) << back.error;
  ASSERT_EQ(back.value.channels, 3);
  ASSERT_EQ(back.value.pixels.size(), img.pixels.size());
  int worst = 0;
  for (size_t i = 0; i < img.pixels.size(); i++)
    worst = std::max(worst, std::abs(img.pixels[i] - back.value.pixels[i]));
  EXPECT_LE(worst, 12);  // lossy, but close for a smooth image
}

TEST(ImageCodec, SavePngThenLoad) {
  Image img = pattern(9, 4, 3);
  std::string path = temp_path("b.png");
  ASSERT_TRUE(save_png(path, img).ok());
  auto back = load_image(path);
  ::unlink(path.c_str());
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_EQ(back.value.pixels, img.pixels);
  EXPECT_FALSE(save_png(path, Image()).ok());
  EXPECT_FALSE(file_exists(path));
}

TEST(ImageCodec, CorruptInputIsAnErrorNotACrash) {
  std::vector<uint8_t> png = encode_png(pattern(32, 32, 3));
  EXPECT_FALSE(decode_image(png.data(), 0).ok());
  EXPECT_FALSE(decode_image(nullptr, 0).ok());
  for (size_t n : {size_t(1), size_t(8), size_t(20), size_t(33), png.size() / 2, png.size() - 13}) {
    auto r = decode_image(png.data(), n);
    EXPECT_FALSE(r.ok()) << "truncated to " << n;
    EXPECT_EQ(r.error.find('\n'), std::string::npos);
  }
  std::vector<uint8_t> junk(300);
  for (size_t i = 0; i < junk.size(); i++) junk[i] = uint8_t(i * 37 + 11);
  EXPECT_FALSE(decode_image(junk.data(), junk.size()).ok());
  // Every single-byte corruption of the header either decodes or fails cleanly.
  for (size_t i = 0; i < 40; i++) {
    std::vector<uint8_t> bad = png;
    bad[i] ^= 0xff;
    auto r = decode_image(bad.data(), bad.size());
    if (r.ok()) EXPECT_EQ(r.value.pixels.size(), size_t(r.value.width) * r.value.height * r.value.channels);
  }
}

// A small fuzzer: random byte changes, insertions and truncations of a PNG and a JPEG must decode
// to a consistent image or fail with a one-line reason, never crash.
TEST(ImageCodec, MutatedFilesNeverCrash) {
  Image img = pattern(24, 16, 3);
  std::string jpg_path = temp_path("fuzz.jpg");
  ASSERT_TRUE(save_jpg(jpg_path, img).ok());
  auto jpg = read_file(jpg_path);
  ::unlink(jpg_path.c_str());
  ASSERT_TRUE(jpg.ok());
  uint32_t seed = 7;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1664525u + 1013904223u;
    return (seed >> 8) % n;
  };
  int failed = 0;
  for (const std::vector<uint8_t>& good : {encode_png(img), jpg.value}) {
    for (int round = 0; round < 600; round++) {
      std::vector<uint8_t> bad = good;
      int edits = 1 + int(next(4));
      for (int e = 0; e < edits; e++) {
        uint32_t at = next(uint32_t(bad.size()));
        switch (next(3)) {
          case 0: bad[at] = uint8_t(next(256)); break;
          case 1: bad.insert(bad.begin() + at, uint8_t(next(256))); break;
          default: bad.resize(std::max<size_t>(at, 1)); break;
        }
      }
      auto r = decode_image(bad.data(), bad.size());
      if (r.ok()) {
        EXPECT_EQ(r.value.pixels.size(), size_t(r.value.width) * r.value.height * r.value.channels);
      } else {
        failed++;
        EXPECT_EQ(r.error.find('\n'), std::string::npos);
      }
    }
  }
  EXPECT_GT(failed, 100);  // the mutations did reach the error paths
}

// Debian's stb_image writes past a Huffman table whose counts exceed 256 codes; decode_image refuses it.
TEST(ImageCodec, OversizedJpegHuffmanTableIsRefused) {
  std::string path = temp_path("dht.jpg");
  ASSERT_TRUE(save_jpg(path, pattern(16, 16, 3)).ok());
  auto jpg = read_file(path);
  ::unlink(path.c_str());
  ASSERT_TRUE(jpg.ok());
  std::vector<uint8_t>& d = jpg.value;
  size_t dht = 0;
  for (size_t i = 2; i + 1 < d.size() && !dht; i++)
    if (d[i] == 0xff && d[i + 1] == 0xc4) dht = i;
  ASSERT_GT(dht, 0u);
  ASSERT_TRUE(decode_image(d.data(), d.size()).ok());
  for (int k = 0; k < 16; k++) d[dht + 5 + k] = 0x20;  // after marker, length and class/id: 16 x 32 codes
  auto r = decode_image(d.data(), d.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("Huffman"), std::string::npos) << r.error;
}

TEST(ImageCodec, RefusesAbsurdDimensions) {
  std::vector<uint8_t> png = encode_png(pattern(1, 1, 3));
  // IHDR width is big-endian at bytes 16..19; 20000 x 1 (CRCs are not checked by stb).
  png[18] = uint8_t(20000 >> 8), png[19] = uint8_t(20000 & 0xff);
  auto r = decode_image(png.data(), png.size());
  EXPECT_FALSE(r.ok());
}

TEST(ImageCodec, LoadErrorsNameTheFile) {
  std::string missing = temp_path("missing.png");
  auto r = load_image(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(missing), std::string::npos) << r.error;

  std::string corrupt = temp_path("corrupt.png");
  ASSERT_TRUE(write_file_atomic(corrupt, std::string("not an image at all")).ok());
  r = load_image(corrupt);
  ::unlink(corrupt.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind("cannot read image '" + corrupt + "': ", 0), 0u) << r.error;
  EXPECT_EQ(r.error.find('\n'), std::string::npos);

  std::string empty = temp_path("empty.png");
  ASSERT_TRUE(write_file_atomic(empty, std::string()).ok());
  r = load_image(empty);
  ::unlink(empty.c_str());
  EXPECT_FALSE(r.ok());
}

// ---- pixel operations (expected values computed with Pillow 9.4) ----

TEST(ImageOps, GrayIsPilLuma) {
  Image rgb = pattern(4, 3, 3);
  EXPECT_EQ(to_channels(rgb, 1).pixels, (std::vector<uint8_t>{82, 135, 159, 62, 144, 64, 134, 127, 85, 95, 153, 90}));
  Image rgba = to_channels(rgb, 4);
  EXPECT_EQ(rgba.at(1, 1)[3], 255);
  EXPECT_EQ(to_channels(rgba, 1).pixels, to_channels(rgb, 1).pixels);
  EXPECT_EQ(to_channels(rgba, 3).pixels, rgb.pixels);
  Image g = to_channels(to_channels(rgb, 1), 3);
  EXPECT_EQ(g.at(2, 1)[0], 134);
  EXPECT_EQ(g.at(2, 1)[2], 134);
  EXPECT_TRUE(to_channels(rgb, 2).pixels.empty());
}

TEST(ImageOps, BicubicMatchesPil) {
  Image g = pattern(5, 4, 1);
  EXPECT_EQ(resize_bicubic(g, 3, 2).pixels, (std::vector<uint8_t>{76, 135, 132, 91, 142, 106}));
  EXPECT_EQ(resize_bicubic(g, 8, 7).pixels,
            (std::vector<uint8_t>{0,   10,  47,  78,  118, 164, 203, 224, 22,  47,  95,  137, 143, 119,
                                  159, 191, 79,  111, 166, 227, 182, 51,  83,  128, 157, 123, 88,  146,
                                  160, 120, 74,  46,  189, 108, 12,  66,  137, 188, 91,  11,  70,  70,
                                  87,  160, 170, 115, 117, 126, 0,   48,  137, 223, 192, 67,  131, 198}));
  // Width unchanged: only the vertical pass runs, as in PIL.
  EXPECT_EQ(resize_bicubic(g, 5, 9).pixels,
            (std::vector<uint8_t>{0,   43, 94,  170, 221, 9,   67,  122, 144, 202, 49,  129, 191, 80, 160,
                                  96,  159, 230, 47, 109, 153, 87,  166, 116, 51,  183, 15,  101, 185, 17,
                                  124, 45, 140, 152, 73,  37,  107, 209, 88,  158, 1,   131, 237, 62, 192}));
  EXPECT_EQ(resize_bicubic(g, 1, 1).pixels, (std::vector<uint8_t>{117}));
  EXPECT_EQ(resize_bicubic(pattern(4, 3, 3), 2, 5).pixels,
            (std::vector<uint8_t>{23,  146, 222, 127, 112, 87, 72,  125, 161, 134, 104, 139, 142, 94,  78,
                                  143, 95,  206, 116, 88,  124, 133, 111, 144, 90, 88, 164, 125, 122, 95}));
  EXPECT_EQ(resize_bicubic(g, 5, 4).pixels, g.pixels);
}

TEST(ImageOps, NearestMatchesPil) {
  Image g = pattern(5, 4, 1);
  EXPECT_EQ(resize_nearest(g, 3, 2).pixels, (std::vector<uint8_t>{91, 231, 115, 17, 225, 177}));
  EXPECT_EQ(resize_nearest(g, 5, 9).pixels,
            (std::vector<uint8_t>{0,   53, 106, 159, 212, 0,   53,  106, 159, 212, 91, 161, 231, 45, 115,
                                  91,  161, 231, 45, 115, 182, 13,  100, 187, 18,  182, 13, 100, 187, 18,
                                  182, 13, 100, 187, 18,  17,  121, 225, 73,  177, 17,  121, 225, 73, 177}));
  // Where Pillow's accumulated position and a direct (x + 0.5) * in / out disagree (4 -> 6, 4 -> 7).
  Image row = pattern(4, 1, 1);
  EXPECT_EQ(resize_nearest(row, 6, 1).pixels, (std::vector<uint8_t>{0, 53, 53, 106, 106, 159}));
  Image column(1, 4, 1);
  column.pixels = row.pixels;
  EXPECT_EQ(resize_nearest(column, 1, 7).pixels, (std::vector<uint8_t>{0, 0, 53, 53, 106, 159, 159}));
}

TEST(ImageOps, CropAndFlip) {
  Image img = pattern(6, 5, 3);
  Image c = crop(img, 2, 1, 3, 2);
  ASSERT_EQ(c.width, 3);
  ASSERT_EQ(c.height, 2);
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 3; x++)
      for (int ch = 0; ch < 3; ch++) EXPECT_EQ(c.at(x, y)[ch], img.at(x + 2, y + 1)[ch]);
  // Outside the image is zero, as PIL's crop.
  Image o = crop(img, 4, -1, 4, 2);
  EXPECT_EQ(o.width, 4);
  EXPECT_EQ(o.at(0, 0)[0], 0);
  EXPECT_EQ(o.at(0, 1)[1], img.at(4, 0)[1]);
  EXPECT_EQ(o.at(1, 1)[2], img.at(5, 0)[2]);
  EXPECT_EQ(o.at(2, 1)[0], 0);

  Image f = flip_horizontal(img);
  for (int y = 0; y < 5; y++)
    for (int x = 0; x < 6; x++)
      for (int ch = 0; ch < 3; ch++) EXPECT_EQ(f.at(x, y)[ch], img.at(5 - x, y)[ch]);
  EXPECT_EQ(flip_horizontal(f).pixels, img.pixels);
}

TEST(ImageOps, SplitAndJoinAB) {
  Image a = pattern(4, 3, 3), b = to_channels(to_channels(pattern(4, 3, 3), 1), 3);
  auto ab = join_ab(a, b);
  ASSERT_TRUE(ab.ok()) << ab.error;
  EXPECT_EQ(ab.value.width, 8);
  EXPECT_EQ(ab.value.at(5, 2)[1], b.at(1, 2)[1]);
  auto parts = split_ab(ab.value);
  ASSERT_TRUE(parts.ok()) << parts.error;
  EXPECT_EQ(parts.value.first.pixels, a.pixels);
  EXPECT_EQ(parts.value.second.pixels, b.pixels);

  auto odd = split_ab(pattern(7, 3, 3));
  EXPECT_FALSE(odd.ok());
  EXPECT_NE(odd.error.find("odd"), std::string::npos);
  EXPECT_FALSE(split_ab(Image()).ok());
  auto heights = join_ab(pattern(4, 3, 3), pattern(4, 2, 3));
  EXPECT_FALSE(heights.ok());
  EXPECT_NE(heights.error.find("height"), std::string::npos);
  EXPECT_FALSE(join_ab(pattern(4, 3, 3), pattern(4, 3, 1)).ok());
}

// ---- tensors ----

TEST(ImageTensor, LayoutAndValuesMatchTheReference) {
  Image img = pattern(3, 2, 3);
  Tensor t = image_to_tensor(img);
  ASSERT_EQ(t.shape, (Shape{1, 3, 2, 3}));
  for (int ch = 0; ch < 3; ch++)
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 3; x++) {
        float v = float(img.at(x, y)[ch]) / 255.0f;
        EXPECT_EQ(t.data[(ch * 2 + y) * 3 + x], (v - 0.5f) / 0.5f);  // ToTensor + Normalize(0.5, 0.5), bit for bit
      }
  Image all(256, 1, 1);
  for (int i = 0; i < 256; i++) all.pixels[i] = uint8_t(i);
  Tensor u = image_to_tensor(all);
  EXPECT_EQ(u.data[0], -1.0f);
  EXPECT_EQ(u.data[255], 1.0f);
  Tensor s = image_to_tensor(all, 0.0f, 255.0f);
  for (int i = 0; i < 256; i++) EXPECT_EQ(s.data[i], float(i) / 255.0f * 255.0f);  // ToTensor then mul(255)
}

TEST(ImageTensor, RoundTripFollowsTensor2imTruncation) {
  Image all(256, 1, 1);
  for (int i = 0; i < 256; i++) all.pixels[i] = uint8_t(i);
  Image back = tensor_to_image(image_to_tensor(all));
  ASSERT_EQ(back.channels, 1);
  ASSERT_EQ(back.width, 256);
  // numpy, on the reference's float32 ops: (x + 1) / 2 * 255 lands just below v for 1..63, and astype
  // truncates; everything else comes back exactly.
  for (int i = 0; i < 256; i++) EXPECT_EQ(back.pixels[i], i >= 1 && i <= 63 ? i - 1 : i) << i;
  Image style = tensor_to_image(image_to_tensor(all, 0.0f, 255.0f), 0.0f, 255.0f);
  for (int i = 0; i < 256; i++) EXPECT_NEAR(style.pixels[i], i, 1) << i;

  Image rgb = pattern(5, 4, 3);
  Image rgb_back = tensor_to_image(image_to_tensor(rgb));
  ASSERT_EQ(rgb_back.channels, 3);
  for (size_t i = 0; i < rgb.pixels.size(); i++) EXPECT_LE(rgb.pixels[i] - rgb_back.pixels[i], 1);
}

TEST(ImageTensor, ClampsAndPicksTheBatch) {
  Tensor t({2, 1, 1, 4});
  t.data = {-3.0f, 2.0f, std::numeric_limits<float>::quiet_NaN(), 0.0f, 1.0f, -1.0f, 0.5f, -0.5f};
  Image a = tensor_to_image(t);
  EXPECT_EQ(a.pixels, (std::vector<uint8_t>{0, 255, 0, 127}));
  Image b = tensor_to_image(t, -1.0f, 1.0f, 1);
  EXPECT_EQ(b.pixels, (std::vector<uint8_t>{255, 0, 191, 63}));
  EXPECT_TRUE(tensor_to_image(t, -1.0f, 1.0f, 2).pixels.empty());
  EXPECT_TRUE(tensor_to_image(Tensor({1, 2, 2, 2})).pixels.empty());
  Image chw = tensor_to_image(Tensor({3, 2, 2}, 1.0f));
  EXPECT_EQ(chw.channels, 3);
  EXPECT_EQ(chw.pixels, std::vector<uint8_t>(12, 255));
}

TEST(ImageTensor, ReflectPadMatchesNumpyAndCropsBack) {
  Tensor t({1, 2, 3, 5});
  for (size_t i = 0; i < t.data.size(); i++) t.data[i] = float(i);
  Tensor p = pad_reflect_to(t, 4, 8);
  ASSERT_EQ(p.shape, (Shape{1, 2, 4, 8}));
  const int rows[4] = {0, 1, 2, 1}, cols[8] = {0, 1, 2, 3, 4, 3, 2, 1};
  for (int c = 0; c < 2; c++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 8; x++) EXPECT_EQ(p.data[(c * 4 + y) * 8 + x], t.data[(c * 3 + rows[y]) * 5 + cols[x]]);
  EXPECT_EQ(crop_tensor(p, 3, 5).data, t.data);
  EXPECT_EQ(crop_tensor(p, 3, 5).shape, t.shape);

  // Padding wider than the tensor folds the reflection again: np.pad([1,2,3], (0,7), 'reflect').
  Tensor row({1, 1, 1, 3});
  row.data = {1, 2, 3};
  Tensor wide = pad_reflect_to(row, 10, 10);
  ASSERT_EQ(wide.shape, (Shape{1, 1, 10, 10}));
  EXPECT_EQ(std::vector<float>(wide.data.begin(), wide.data.begin() + 10),
            (std::vector<float>{1, 2, 3, 2, 1, 2, 3, 2, 1, 2}));
  EXPECT_EQ(std::vector<float>(wide.data.end() - 10, wide.data.end()),
            std::vector<float>(wide.data.begin(), wide.data.begin() + 10));  // one row: it repeats

  Tensor already({1, 1, 8, 16});
  EXPECT_EQ(pad_reflect_to(already, 8, 16).shape, already.shape);
  EXPECT_EQ(pad_reflect_to(already, 4, 20).shape, (Shape{1, 1, 8, 20}));  // never cut
}

}  // namespace
}  // namespace p2p
