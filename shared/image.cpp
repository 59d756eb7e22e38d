// Images for shared/: stb decode/encode from memory, PIL-compatible gray conversion and resizing,
// crops and flips, A|B split/join, and the conversions between images and [lo, hi] float tensors.
#include "image.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "file_io.h"
#include "zip_reader.h"  // crc32

// The stb implementations live here and only here (native and WASM builds alike). Memory variants only.
// PNG and JPEG only: the other stb decoders are more attack surface than our datasets need.
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_MAX_DIMENSIONS 16384  // kMaxImageSide; a backstop, decode() checks the header first
// stb asserts on some corrupt JPEGs (its Huffman decoder); a bad file must be an error, even in debug builds.
#define STBI_ASSERT(x) ((void)0)
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

namespace p2p {

namespace {

bool valid_channels(int c) { return c == 1 || c == 3 || c == 4; }

std::string stb_reason() {
  const char* why = stbi_failure_reason();
  return printable(why ? why : "unknown error");  // may quote the file's bytes (an unknown PNG chunk's name)
}

// What the guards learn from a file's own bytes before stb sees them.
struct Header {
  std::string error;  // empty: stb may decode the file
  int64_t width = 0, height = 0;
};

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

Header png_header(const uint8_t* d, size_t n) {
  Header h;
  // stb requires IHDR first (after Apple's CgBI chunk, which it also reads); width and height are
  // big-endian at 8 and 12 bytes into the chunk.
  size_t at = 8;
  if (n >= 20 && std::memcmp(d + 12, "CgBI", 4) == 0) at += 12 + size_t(be32(d + 8));
  if (at > n || n - at < 16 || std::memcmp(d + at + 4, "IHDR", 4) != 0) h.error = "corrupt PNG (no IHDR chunk first)";
  else h.width = be32(d + at + 8), h.height = be32(d + at + 12);
  return h;
}

// stb takes a file as JPEG when its first byte is 0xFF and the first byte after any further 0xFF
// fill is SOI (0xD8). Returns the offset just past SOI, 0 when stb would not see a JPEG.
size_t jpeg_start(const uint8_t* d, size_t n) {
  if (n < 2 || d[0] != 0xff) return 0;
  size_t i = 1;
  while (i < n && d[i] == 0xff) i++;
  return i < n && d[i] == 0xd8 ? i + 1 : 0;
}

// stb_image 2.27 (Debian's) trusts a JPEG's Huffman tables: a DHT segment whose 16 counts add up
// to more than 256 codes makes it write past its table, and a scan that uses a table no DHT
// defined makes it read uninitialised memory (values[-1] and worse). Walk the segments as stb
// does, from the SOI stb would find, and refuse both; take the frame's size on the way. Bytes
// past the end read as 0, as stb's reader returns.
Header jpeg_header(const uint8_t* d, size_t n, size_t start) {
  Header h;
  auto at = [&](size_t i) -> unsigned { return i < n ? d[i] : 0u; };
  bool frame = false, progressive = false, defined[2][4] = {};
  size_t i = start;
  while (i < n) {
    if (d[i] != 0xff) {  // entropy-coded data, or garbage that stb skips byte by byte
      i++;
      continue;
    }
    while (i < n && d[i] == 0xff) i++;
    if (i >= n) break;
    unsigned m = d[i++];
    if (m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd9)) continue;  // stuffing, TEM, RSTn, SOI, EOI
    size_t len = (at(i) << 8) | at(i + 1);
    if (m >= 0xc0 && m <= 0xc2 && !frame) {  // the SOF stb decodes: precision, height, width
      frame = true;
      progressive = m == 0xc2;
      h.height = (at(i + 3) << 8) | at(i + 4);
      h.width = (at(i + 5) << 8) | at(i + 6);
    } else if (m == 0xc4) {
      long left = long(len) - 2;
      size_t p = i + 2;
      while (left > 0) {
        unsigned q = at(p++);
        if ((q >> 4) > 1 || (q & 15) > 3) break;  // stb rejects the file here
        unsigned codes = 0;
        for (int k = 0; k < 16; k++) codes += at(p++);
        if (codes > 256) return {"bad Huffman table: more than 256 codes (corrupt JPEG)", 0, 0};
        defined[q >> 4][q & 15] = true;
        p += codes;
        left -= 17 + long(codes);
      }
    } else if (m == 0xda && frame) {  // SOS: the tables each component's scan will use
      unsigned ns = at(i + 2);
      if (ns >= 1 && ns <= 4) {
        unsigned ss = at(i + 3 + 2 * ns), ah = at(i + 5 + 2 * ns) >> 4;
        bool dc = !progressive || (ss == 0 && ah == 0), ac = !progressive || ss > 0;
        for (unsigned c = 0; c < ns; c++) {
          unsigned td = at(i + 4 + 2 * c) >> 4, ta = at(i + 4 + 2 * c) & 15;
          if ((dc && td < 4 && !defined[0][td]) || (ac && ta < 4 && !defined[1][ta]))
            return {"scan uses a Huffman table that was never defined (corrupt JPEG)", 0, 0};
        }
      }
    }
    i += len;  // stb consumes exactly the declared length or fails; SOS data is then scanned above
  }
  if (!frame) h.error = "no frame header (corrupt JPEG)";
  return h;
}

}  // namespace

Status check_image_size(int64_t width, int64_t height) {
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (width <= 0 || height <= 0) return Status::Fail(size + " image has no pixels");
  if (width > kMaxImageSide || height > kMaxImageSide)
    return Status::Fail(size + " image: a side is over the limit of " + std::to_string(kMaxImageSide) + " pixels");
  if (width * height > kMaxImagePixels)
    return Status::Fail(size + " image: " + std::to_string(width * height) + " pixels, over the limit of " +
                        std::to_string(kMaxImagePixels) + " (" + std::to_string(kMaxImagePixels >> 20) + " Mpx)");
  return Status::Ok();
}

namespace {

// The one way into stb's decoder (decode_image and load_image both come here): the format and the
// size are read from the file's own header first, and a JPEG's Huffman tables are checked, so stb
// only ever sees a PNG or a JPEG within the pixel budget whose tables it can use safely. stb is
// kept (not libpng/libjpeg) because the same code must build for WebAssembly.
Result<Image> decode(const uint8_t* data, size_t size, int desired, const std::string& what) {
  using R = Result<Image>;
  if (desired != 0 && !valid_channels(desired))
    return R::Fail(what + ": cannot convert to " + std::to_string(desired) + " channels");
  if (size == 0) return R::Fail(what + ": empty file");
  if (size > size_t(INT_MAX)) return R::Fail(what + ": file too large");
  Header head;
  if (size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) head = png_header(data, size);
  else if (size_t start = jpeg_start(data, size)) head = jpeg_header(data, size, start);
  else return R::Fail(what + ": not a PNG or JPEG file");
  if (!head.error.empty()) return R::Fail(what + ": " + head.error);
  if (Status st = check_image_size(head.width, head.height); !st.ok()) return R::Fail(what + ": " + st.error);
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, int(size), &w, &h, &comp)) return R::Fail(what + ": " + stb_reason());
  if (w != head.width || h != head.height) return R::Fail(what + ": corrupt image header");
  int req = comp == 2 ? 4 : 0;  // gray+alpha: stb expands it to RGBA
  uint8_t* px = stbi_load_from_memory(data, int(size), &w, &h, &comp, req);
  if (!px) return R::Fail(what + ": " + stb_reason());
  int c = req ? req : comp;
  R r;
  r.value.width = w;
  r.value.height = h;
  r.value.channels = c;
  r.value.pixels.assign(px, px + size_t(w) * h * c);
  stbi_image_free(px);
  if (desired != 0 && desired != c) r.value = to_channels(r.value, desired);
  return r;
}

void append_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

bool encodable(const Image& img) {
  return img.width > 0 && img.height > 0 && valid_channels(img.channels) &&
         img.pixels.size() == size_t(img.width) * img.height * img.channels;
}

// PIL's 8-bit resampling (Resample.c): coefficients in double, normalised per output pixel, then
// fixed point with 22 fractional bits; accumulation starts at one half, and results are clipped.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

struct Taps {
  int ksize = 0;
  std::vector<int> first, count;  // per output pixel: first input index, number of taps
  std::vector<int32_t> weights;   // per output pixel: ksize fixed-point weights
};

Taps bicubic_taps(int in_size, int out_size) {
  Taps t;
  double scale = double(in_size) / out_size;
  double filterscale = std::max(scale, 1.0);  // widen the kernel when shrinking (antialias)
  double support = 2.0 * filterscale;
  t.ksize = int(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(size_t(out_size) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int xx = 0; xx < out_size; xx++) {
    double center = (xx + 0.5) * scale;
    int xmin = std::max(int(center - support + 0.5), 0);
    int xmax = std::min(int(center + support + 0.5), in_size) - xmin;
    double sum = 0.0;
    for (int x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) / filterscale);
      sum += k[x];
    }
    for (int x = 0; x < xmax; x++) {
      double w = sum != 0.0 ? k[x] / sum : k[x];
      double f = w * (1 << kPrecisionBits);
      t.weights[size_t(xx) * t.ksize + x] = int32_t(w < 0 ? -0.5 + f : 0.5 + f);
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

uint8_t clip8(int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return uint8_t(v >> kPrecisionBits);
}

Image resample_horizontal(const Image& in, int width) {
  Taps t = bicubic_taps(in.width, width);
  const int c = in.channels;
  Image out(width, in.height, c);
  for (int y = 0; y < in.height; y++) {
    const uint8_t* row = in.at(0, y);
    for (int x = 0; x < width; x++) {
      const int32_t* k = &t.weights[size_t(x) * t.ksize];
      const uint8_t* src = row + size_t(t.first[x]) * c;
      for (int ch = 0; ch < c; ch++) {
        int32_t acc = 1 << (kPrecisionBits - 1);
        for (int i = 0; i < t.count[x]; i++) acc += src[size_t(i) * c + ch] * k[i];
        out.at(x, y)[ch] = clip8(acc);
      }
    }
  }
  return out;
}

Image resample_vertical(const Image& in, int height) {
  Taps t = bicubic_taps(in.height, height);
  const int c = in.channels;
  const size_t stride = size_t(in.width) * c;
  Image out(in.width, height, c);
  for (int y = 0; y < height; y++) {
    const int32_t* k = &t.weights[size_t(y) * t.ksize];
    const uint8_t* src = in.at(0, t.first[y]);
    uint8_t* dst = out.at(0, y);
    for (size_t i = 0; i < stride; i++) {
      int32_t acc = 1 << (kPrecisionBits - 1);
      for (int j = 0; j < t.count[y]; j++) acc += src[size_t(j) * stride + i] * k[j];
      dst[i] = clip8(acc);
    }
  }
  return out;
}

// numpy's 'reflect' (the edge sample is not repeated), folded as often as needed.
int64_t reflect_index(int64_t i, int64_t n) {
  if (n == 1) return 0;
  int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

}  // namespace

Result<Image> decode_image(const uint8_t* data, size_t size, int desired_channels) {
  return decode(data, size, desired_channels, "cannot decode image");
}

Result<Image> load_image(const std::string& path, int desired_channels) {
  auto bytes = read_file(path, kMaxImageFileBytes);
  if (!bytes.ok()) return Result<Image>::Fail(bytes.error);
  return decode(bytes.value.data(), bytes.value.size(), desired_channels, "cannot read image '" + printable(path) + "'");
}

std::vector<uint8_t> encode_png(const Image& img) {
  std::vector<uint8_t> out;
  if (!encodable(img)) return out;
  int stride = img.width * img.channels;
  if (!stbi_write_png_to_func(append_bytes, &out, img.width, img.height, img.channels, img.pixels.data(), stride))
    out.clear();
  return out;
}

std::vector<uint8_t> encode_png(const Image& img, const PngText& text) {
  std::vector<uint8_t> png = encode_png(img);
  if (png.size() < 33) return png;
  std::vector<uint8_t> chunks;
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) chunks.push_back(uint8_t(v >> s));
  };
  for (const auto& [key, value] : text) {
    std::string body = "tEXt" + key.substr(0, 79) + '\0' + value;
    be32(uint32_t(body.size() - 4));
    chunks.insert(chunks.end(), body.begin(), body.end());
    be32(crc32(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  }
  png.insert(png.begin() + 33, chunks.begin(), chunks.end());  // after the signature (8) and IHDR (25)
  return png;
}

Status save_png(const std::string& path, const Image& img) { return save_png(path, img, {}); }

Status save_png(const std::string& path, const Image& img, const PngText& text) {
  if (!encodable(img)) return Status::Fail("cannot write image '" + path + "': empty or malformed image");
  std::vector<uint8_t> bytes = text.empty() ? encode_png(img) : encode_png(img, text);
  if (bytes.empty()) return Status::Fail("cannot write image '" + path + "': PNG encoding failed");
  return write_file_atomic(path, bytes);
}

Status save_jpg(const std::string& path, const Image& img, int quality) {
  if (!encodable(img)) return Status::Fail("cannot write image '" + path + "': empty or malformed image");
  std::vector<uint8_t> bytes;
  if (!stbi_write_jpg_to_func(append_bytes, &bytes, img.width, img.height, img.channels, img.pixels.data(),
                              std::clamp(quality, 1, 100)) ||
      bytes.empty())
    return Status::Fail("cannot write image '" + path + "': JPEG encoding failed");
  return write_file_atomic(path, bytes);
}

Image to_channels(const Image& img, int channels) {
  if (!valid_channels(channels) || !valid_channels(img.channels)) return Image();
  if (channels == img.channels) return img;
  Image out(img.width, img.height, channels);
  const size_t n = size_t(img.width) * img.height;
  const uint8_t* s = img.pixels.data();
  uint8_t* d = out.pixels.data();
  for (size_t i = 0; i < n; i++, s += img.channels, d += channels) {
    if (channels == 1) {
      // PIL's "L": 0.299 R + 0.587 G + 0.114 B in 16-bit fixed point, rounded.
      d[0] = uint8_t((s[0] * 19595 + s[1] * 38470 + s[2] * 7471 + 0x8000) >> 16);
      continue;
    }
    if (img.channels == 1) {
      d[0] = d[1] = d[2] = s[0];
    } else {
      d[0] = s[0], d[1] = s[1], d[2] = s[2];
    }
    if (channels == 4) d[3] = img.channels == 4 ? s[3] : 255;
  }
  return out;
}

// Alpha is resampled as an ordinary channel (PIL premultiplies RGBA first; pix2pix uses RGB only).
Image resize_bicubic(const Image& img, int width, int height) {
  if (width <= 0 || height <= 0 || img.width <= 0 || img.height <= 0)
    return Image(std::max(width, 0), std::max(height, 0), img.channels);
  Image out = img;
  if (width != img.width) out = resample_horizontal(out, width);
  if (height != img.height) out = resample_vertical(out, height);
  return out;
}

// As PIL's Image.NEAREST: the source position starts at half a step and is accumulated step by step
// (in double, as PIL does; a direct (x + 0.5) * ratio differs from it at exact ties).
Image resize_nearest(const Image& img, int width, int height) {
  if (width <= 0 || height <= 0 || img.width <= 0 || img.height <= 0)
    return Image(std::max(width, 0), std::max(height, 0), img.channels);
  auto positions = [](int in, int out) {
    std::vector<int> pos(out);
    const double step = double(in) / out;
    double p = step * 0.5;
    for (int i = 0; i < out; i++, p += step) pos[i] = std::min(int(p), in - 1);
    return pos;
  };
  std::vector<int> xs = positions(img.width, width), ys = positions(img.height, height);
  Image out(width, height, img.channels);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) std::memcpy(out.at(x, y), img.at(xs[x], ys[y]), img.channels);
  return out;
}

// As PIL's crop: the result is always width x height; parts outside the image are zero.
Image crop(const Image& img, int x, int y, int width, int height) {
  Image out(std::max(width, 0), std::max(height, 0), img.channels);
  int x0 = std::max(x, 0), x1 = std::min(x + out.width, img.width);
  if (x1 <= x0) return out;
  for (int yy = std::max(y, 0); yy < std::min(y + out.height, img.height); yy++)
    std::memcpy(out.at(x0 - x, yy - y), img.at(x0, yy), size_t(x1 - x0) * img.channels);
  return out;
}

Image flip_horizontal(const Image& img) {
  Image out(img.width, img.height, img.channels);
  for (int y = 0; y < img.height; y++)
    for (int x = 0; x < img.width; x++) std::memcpy(out.at(img.width - 1 - x, y), img.at(x, y), img.channels);
  return out;
}

Result<std::pair<Image, Image>> split_ab(const Image& ab) {
  using R = Result<std::pair<Image, Image>>;
  if (ab.width <= 0 || ab.height <= 0) return R::Fail("cannot split A|B image: it is empty");
  if (ab.width % 2) return R::Fail("cannot split A|B image: width " + std::to_string(ab.width) + " is odd");
  int half = ab.width / 2;
  R r;
  r.value.first = crop(ab, 0, 0, half, ab.height);
  r.value.second = crop(ab, half, 0, half, ab.height);
  return r;
}

Result<Image> join_ab(const Image& a, const Image& b) {
  using R = Result<Image>;
  if (a.height != b.height)
    return R::Fail("cannot join A|B: heights differ (" + std::to_string(a.height) + " vs " +
                   std::to_string(b.height) + ")");
  if (a.channels != b.channels)
    return R::Fail("cannot join A|B: channels differ (" + std::to_string(a.channels) + " vs " +
                   std::to_string(b.channels) + ")");
  if (Status st = check_image_size(int64_t(a.width) + b.width, a.height); !st.ok())
    return R::Fail("cannot join A|B: the pair would be a " + st.error);
  R r;
  r.value = Image(a.width + b.width, a.height, a.channels);
  size_t ra = size_t(a.width) * a.channels, rb = size_t(b.width) * b.channels;
  for (int y = 0; y < a.height; y++) {
    uint8_t* dst = &r.value.pixels[(ra + rb) * y];
    if (ra) std::memcpy(dst, a.at(0, y), ra);
    if (rb) std::memcpy(dst + ra, b.at(0, y), rb);
  }
  return r;
}

// Computed as the reference does (ToTensor's v / 255, then Normalize), so values match it bit for bit.
Tensor image_to_tensor(const Image& img, float lo, float hi) {
  const int c = img.channels, h = img.height, w = img.width;
  Tensor t({1, c, h, w});
  const float range = hi - lo;
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < h; y++) {
      float* dst = &t.data[(size_t(ch) * h + y) * w];
      const uint8_t* src = img.at(0, y) + ch;
      for (int x = 0; x < w; x++) dst[x] = lo + range * (float(src[size_t(x) * c]) / 255.0f);
    }
  return t;
}

Image tensor_to_image(const Tensor& t, float lo, float hi, int batch) {
  const size_t r = t.shape.size();
  if (r != 3 && r != 4) return Image();
  const int64_t n = r == 4 ? t.shape[0] : 1;
  const int64_t c = t.shape[r - 3], h = t.shape[r - 2], w = t.shape[r - 1];
  if ((c != 1 && c != 3) || batch < 0 || batch >= n || h > kMaxImageSide || w > kMaxImageSide ||
      t.data.size() != size_t(t.numel()))
    return Image();
  Image img{int(w), int(h), int(c)};
  const float range = hi - lo;
  const float* base = t.data.data() + size_t(batch) * c * h * w;
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t y = 0; y < h; y++)
      for (int64_t x = 0; x < w; x++) {
        float v = (base[(ch * h + y) * w + x] - lo) / range * 255.0f;
        // Clamp, then truncate as numpy's astype(uint8) does; NaN becomes 0.
        img.at(int(x), int(y))[ch] = v >= 255.0f ? 255 : v > 0.0f ? uint8_t(v) : 0;
      }
  return img;
}

Tensor pad_reflect_to(const Tensor& t, int64_t height, int64_t width) {
  const size_t r = t.shape.size();
  if (r < 2 || t.numel() == 0) return t;
  const int64_t h = t.shape[r - 2], w = t.shape[r - 1];
  const int64_t ph = std::max(h, height), pw = std::max(w, width);
  if (ph == h && pw == w) return t;
  Shape s = t.shape;
  s[r - 2] = ph;
  s[r - 1] = pw;
  Tensor out(s);
  const int64_t planes = t.numel() / (h * w);
  std::vector<int64_t> xs(pw);
  for (int64_t x = 0; x < pw; x++) xs[x] = reflect_index(x, w);
  for (int64_t p = 0; p < planes; p++)
    for (int64_t y = 0; y < ph; y++) {
      const float* src = &t.data[(p * h + reflect_index(y, h)) * w];
      float* dst = &out.data[(p * ph + y) * pw];
      for (int64_t x = 0; x < pw; x++) dst[x] = src[xs[x]];
    }
  return out;
}

Tensor crop_tensor(const Tensor& t, int64_t height, int64_t width) {
  const size_t r = t.shape.size();
  if (r < 2) return t;
  const int64_t h = t.shape[r - 2], w = t.shape[r - 1];
  height = std::clamp<int64_t>(height, 0, h);
  width = std::clamp<int64_t>(width, 0, w);
  Shape s = t.shape;
  s[r - 2] = height;
  s[r - 1] = width;
  Tensor out(s);
  if (out.numel() == 0) return out;
  const int64_t planes = t.numel() / (h * w);
  for (int64_t p = 0; p < planes; p++)
    for (int64_t y = 0; y < height; y++)
      std::memcpy(&out.data[(p * height + y) * width], &t.data[(p * h + y) * w], size_t(width) * sizeof(float));
  return out;
}

}  // namespace p2p
