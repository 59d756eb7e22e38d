// Images for shared/: decode/encode from memory (stb), resize, [-1,1] tensors, A|B split and join,
// and the edge extractor that turns a photo into a line drawing (dataset tools and the browser).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "status.h"
#include "tensor.h"

namespace p2p {

// 8-bit interleaved pixels, row-major, channels 1 (gray), 3 (RGB) or 4 (RGBA).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
  Image() = default;
  Image(int w, int h, int c, uint8_t fill = 0) : width(w), height(h), channels(c), pixels(size_t(w) * h * c, fill) {}
  uint8_t* at(int x, int y) { return &pixels[(size_t(y) * width + x) * channels]; }
  const uint8_t* at(int x, int y) const { return &pixels[(size_t(y) * width + x) * channels]; }
};

// Budgets of decoded images: each side, and the pixels in all (64 Mpx: 8192 x 8192, 192 MiB as RGB;
// decoding may take about three times that). Image files larger than kMaxImageFileBytes are not read.
constexpr int64_t kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;
constexpr uint64_t kMaxImageFileBytes = uint64_t(256) << 20;
// OK when a width x height image fits the budgets above; otherwise a message giving the size and the limit.
Status check_image_size(int64_t width, int64_t height);

// PNG or JPEG (other formats, corrupt data and images over the budgets are errors, never crashes).
// desired_channels 0 keeps the file's own (gray+alpha becomes RGBA); 1, 3 or 4 converts as to_channels.
Result<Image> decode_image(const uint8_t* data, size_t size, int desired_channels = 0);
Result<Image> load_image(const std::string& path, int desired_channels = 0);  // errors name the file
std::vector<uint8_t> encode_png(const Image& img);
// PNG with tEXt chunks (keyword, text) after the header: where a result records how it was made.
using PngText = std::vector<std::pair<std::string, std::string>>;
std::vector<uint8_t> encode_png(const Image& img, const PngText& text);
Status save_png(const std::string& path, const Image& img, const PngText& text);
Status save_png(const std::string& path, const Image& img);  // written to a temporary file, then renamed
Status save_jpg(const std::string& path, const Image& img, int quality = 90);

// gray <-> RGB (ITU-R 601-2 luma, rounded exactly as PIL's "L"), drops alpha; 4 adds an opaque alpha.
// Channel counts other than 1, 3, 4 give an empty Image.
Image to_channels(const Image& img, int channels);
// Pixel-exact with PIL's Image.BICUBIC (antialiased when shrinking) and Image.NEAREST. Alpha is resampled
// as an ordinary channel (PIL premultiplies RGBA first).
Image resize_bicubic(const Image& img, int width, int height);
Image resize_nearest(const Image& img, int width, int height);
// As PIL's crop: always width x height; the parts outside the image are zero.
Image crop(const Image& img, int x, int y, int width, int height);
Image flip_horizontal(const Image& img);

// A|B pairs: A is the left half. split_ab fails on an odd width.
Result<std::pair<Image, Image>> split_ab(const Image& ab);
Result<Image> join_ab(const Image& a, const Image& b);  // fails unless heights and channels agree

// Tensors: [1, C, H, W] float; pixel v maps to lo + (hi - lo) * v / 255 ([-1, 1] for pix2pix, [0, 255] for style nets).
Tensor image_to_tensor(const Image& img, float lo = -1.0f, float hi = 1.0f);
// The inverse, clamped; values are truncated as the reference's tensor2im does ((x+1)/2*255 then uint8).
// Shape [N, C, H, W] or [C, H, W]; C must be 1 or 3; batch index picks the image. Empty Image otherwise.
Image tensor_to_image(const Tensor& t, float lo = -1.0f, float hi = 1.0f, int batch = 0);

// Reflect-pads the last two dims (H, W) up to height x width (pad at bottom/right; a smaller size is left
// as it is), as numpy's 'reflect' (edge not repeated), folding again where the pad exceeds the size.
// crop_tensor keeps the top-left height x width (clamped to the size), undoing the pad.
Tensor pad_reflect_to(const Tensor& t, int64_t height, int64_t width);
Tensor crop_tensor(const Tensor& t, int64_t height, int64_t width);

// Photo -> line drawing: black lines on white, 1 channel, same size. Deterministic, single-threaded.
// Canny on the strongest colour channel; the gradient scale is the 98th percentile of the magnitudes
// that survive non-maximum suppression, so the drawing does not depend on the photo's contrast.
struct EdgeOptions {
  float sigma = 1.4f;        // Gaussian smoothing before gradients
  float low = 0.10f;         // hysteresis thresholds, as fractions of the gradient scale
  float high = 0.25f;
  int thickness = 1;         // line width in pixels (1: thin lines)
  int min_length = 8;        // connected edge pieces shorter than this (pixels) are dropped
};
Image extract_edges(const Image& photo, const EdgeOptions& opt = {});

}  // namespace p2p
