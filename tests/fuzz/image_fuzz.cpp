// libFuzzer target for shared/image's decoder (PNG and JPEG through stb). The first byte picks the
// channels asked for (0, 1, 3 or 4); the rest is the file. Decoding must return an image or an error;
// an image has the size it claims, and as PNG it encodes and decodes back to the same pixels.
#include <cstdint>
#include <cstdlib>

#include "shared/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const int kChannels[] = {0, 1, 3, 4};
  int desired = kChannels[data[0] & 3];
  auto r = p2p::decode_image(data + 1, size - 1, desired);
  if (!r.ok()) return 0;
  const p2p::Image& img = r.value;
  if (img.width <= 0 || img.height <= 0 || (desired != 0 && img.channels != desired)) std::abort();
  if (img.channels != 1 && img.channels != 3 && img.channels != 4) std::abort();
  if (img.pixels.size() != size_t(img.width) * img.height * img.channels) std::abort();
  std::vector<uint8_t> png = p2p::encode_png(img);
  auto again = p2p::decode_image(png.data(), png.size(), img.channels);
  if (!again.ok() || again.value.width != img.width || again.value.height != img.height ||
      again.value.pixels != img.pixels)
    std::abort();
  return 0;
}
