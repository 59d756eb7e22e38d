// Hostile or careless files: every budget (file size, JSON text and values, safetensors header,
// pickle objects and memo, image pixels) refuses with one line that names the limit, devices and
// FIFOs are never read, stb only sees what its guards let through, and bytes from files are
// escaped before they reach a message. The hostile inputs are made here, not stored.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/json.h"
#include "shared/models.h"
#include "shared/safetensors.h"
#include "shared/status.h"
#include "shared/torch_checkpoint.h"
#include "shared/zip_reader.h"
#include "tests/shared/torch_test_util.h"

using namespace p2p;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/p2p_hostile_test_" + std::to_string(long(::getpid())) + "_" + name;
}

// A one-line message that quotes no raw control byte.
void expect_clean_line(const std::string& error) {
  for (char c : error) EXPECT_FALSE((unsigned char)c < 0x20 || c == 0x7f) << "raw control byte in: " << error;
}

void put_be32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + i] = uint8_t(v >> (24 - 8 * i));
}

// A valid PNG whose IHDR then claims width x height (stb does not check CRCs).
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height) {
  std::vector<uint8_t> png = encode_png(Image(1, 1, 3, 7));
  put_be32(png, 16, width);
  put_be32(png, 20, height);
  return png;
}

std::vector<uint8_t> small_jpeg() {
  std::string path = temp_path("small.jpg");
  Image img(16, 16, 3);
  for (size_t i = 0; i < img.pixels.size(); i++) img.pixels[i] = uint8_t(i * 7);
  EXPECT_TRUE(save_jpg(path, img).ok());
  Result<std::vector<uint8_t>> bytes = read_file(path);
  ::unlink(path.c_str());
  return bytes.value;
}

size_t find_marker(const std::vector<uint8_t>& d, uint8_t marker) {
  for (size_t i = 2; i + 1 < d.size(); i++)
    if (d[i] == 0xff && d[i + 1] == marker) return i;
  return 0;
}

}  // namespace

TEST(Printable, EscapesControlsAndMalformedUtf8AndCutsLongText) {
  EXPECT_EQ(printable("plain name.png"), "plain name.png");
  EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(printable("a\nb\r\x7f"), "a\\x0ab\\x0d\\x7f");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");  // UTF-8 stays
  EXPECT_EQ(printable("\xc2\x9b" "2J"), "\\xc2\\x9b2J");                     // C1 CSI is an escape too
  EXPECT_EQ(printable("\xff\xc3"), "\\xff\\xc3");                              // malformed
  EXPECT_EQ(printable(std::string(300, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(HostileFiles, ReadFileRefusesDevicesAndFifosAtOnce) {
  Result<std::vector<uint8_t>> r = read_file("/dev/zero");  // would read forever
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("not a regular file"), std::string::npos) << r.error;
#ifndef __EMSCRIPTEN__
  std::string fifo = temp_path("fifo");
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = read_file(fifo);  // no writer: opening it without O_NONBLOCK would wait forever
  ::unlink(fifo.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("not a regular file"), std::string::npos) << r.error;
#endif
}

TEST(HostileFiles, ReadFileRefusesFilesOverTheLimitNamingBoth) {
  std::string path = temp_path("big.bin");
  ASSERT_TRUE(write_file_atomic(path, std::string(1000, 'x')).ok());
  EXPECT_TRUE(read_file(path, 1000).ok());
  Result<std::vector<uint8_t>> r = read_file(path, 999);
  ::unlink(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("1000 bytes"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("999 bytes"), std::string::npos) << r.error;
}

TEST(HostileFiles, JsonTextAndValueBudgets) {
  auto zeros = [](size_t n) {  // [0,0,...,0]: n + 1 values with the array
    std::string t = "[";
    for (size_t i = 0; i < n; i++) t += i ? ",0" : "0";
    return t + "]";
  };
  EXPECT_TRUE(parse_json(zeros(kMaxJsonValues - 1)).ok());  // exactly at the budget
  Result<Json> r = parse_json(zeros(kMaxJsonValues));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(std::to_string(kMaxJsonValues) + " values"), std::string::npos) << r.error;

  std::string huge(kMaxJsonBytes + 1, ' ');
  huge[0] = '0';
  r = parse_json(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(size_text(kMaxJsonBytes)), std::string::npos) << r.error;
}

TEST(HostileFiles, SafetensorsHeaderBudget) {
  const uint64_t hlen = kMaxSafetensorsHeaderBytes + 8;
  std::vector<uint8_t> file(8 + hlen, ' ');
  for (int i = 0; i < 8; i++) file[i] = uint8_t(hlen >> (8 * i));
  file[8] = '{';
  file.back() = '}';
  Result<SafetensorsFile> r = read_safetensors(file.data(), file.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("header of " + size_text(hlen)), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(size_text(kMaxSafetensorsHeaderBytes)), std::string::npos) << r.error;
}

TEST(HostileFiles, SafetensorsSaysWhenGivenModelJson) {
  std::string json = "{\n  \"format\": \"pix2pix-studio-bundle\",\n  \"version\": 1\n}\n";
  Result<SafetensorsFile> r = read_safetensors(reinterpret_cast<const uint8_t*>(json.data()), json.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("model.json"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("header length"), std::string::npos) << r.error;
}

TEST(HostileFiles, SafetensorsNamesAreEscaped) {
  std::string header = "{\"\\u001b[2J\\u001b]0;owned\\u0007\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
  std::vector<uint8_t> file(8);
  for (int i = 0; i < 8; i++) file[i] = uint8_t(header.size() >> (8 * i));
  file.insert(file.end(), header.begin(), header.end());
  file.push_back(0);
  Result<SafetensorsFile> r = read_safetensors(file.data(), file.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("\\x1b[2J\\x1b]0;owned\\x07"), std::string::npos) << r.error;
  expect_clean_line(r.error);
}

TEST(HostileFiles, PickleObjectBudget) {
  std::vector<uint8_t> pkl = {0x80, 2};
  pkl.insert(pkl.end(), kMaxPickleObjects + 8, ']');  // one empty list per byte
  pkl.push_back('.');
  std::vector<uint8_t> zip = p2p_test::make_checkpoint(pkl, {});
  Result<TorchCheckpoint> r = read_torch_checkpoint(zip.data(), zip.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("more than " + std::to_string(kMaxPickleObjects) + " objects"), std::string::npos) << r.error;
}

TEST(HostileFiles, PickleMemoBudget) {
  std::vector<uint8_t> pkl = {0x80, 2, 'N'};
  pkl.insert(pkl.end(), kMaxPickleMemo + 8, 0x94);  // MEMOIZE: a new memo entry per byte, no new object
  pkl.push_back('.');
  std::vector<uint8_t> zip = p2p_test::make_checkpoint(pkl, {});
  Result<TorchCheckpoint> r = read_torch_checkpoint(zip.data(), zip.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("more than " + std::to_string(kMaxPickleMemo) + " memo entries"), std::string::npos) << r.error;
}

// Size-1 dimensions may carry any stride (PyTorch writes such views); gather() stepped over them in
// signed arithmetic and overflowed (undefined behaviour, caught by the UBSan fuzz build).
TEST(HostileFiles, HugeStrideOnSizeOneDimensionReadsCorrectly) {
  p2p_test::TensorSpec t{"w", "FloatStorage", "0", 4, 0, {1, 4, 1}, {INT64_MAX, 1, INT64_MAX - 3}};
  std::vector<uint8_t> zip =
      p2p_test::make_checkpoint(p2p_test::state_dict_pickle({t}), {{"0", p2p_test::float_bytes({1, 2, 3, 4})}});
  Result<TorchCheckpoint> r = read_torch_checkpoint(zip.data(), zip.size());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights["w"].data, (std::vector<float>{1, 2, 3, 4}));
}

TEST(HostileFiles, PickleNamesAreEscaped) {
  p2p_test::Pickle p;
  p.proto(2).global("os\x1b[2J", "system").op('.');
  std::vector<uint8_t> zip = p2p_test::make_checkpoint(p.b, {});
  Result<TorchCheckpoint> r = read_torch_checkpoint(zip.data(), zip.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("os\\x1b[2J.system"), std::string::npos) << r.error;
  expect_clean_line(r.error);
}

TEST(HostileFiles, ImageSizeBudget) {
  EXPECT_TRUE(check_image_size(8192, 8192).ok());
  EXPECT_TRUE(check_image_size(16384, 4096).ok());
  EXPECT_FALSE(check_image_size(8192, 8193).ok());
  EXPECT_FALSE(check_image_size(16385, 1).ok());
  EXPECT_FALSE(check_image_size(0, 5).ok());
  EXPECT_FALSE(join_ab(Image(9000, 1, 1), Image(9000, 1, 1)).ok());  // the pair would be 18000 wide
}

// 16384 x 16384 fits stb's per-side limit but not the pixel budget; the message says so (stb's own
// answer for images over its limit was "unknown image type").
TEST(HostileFiles, OversizedImagesSaySoBeforeDecoding) {
  std::vector<uint8_t> png = png_claiming(16384, 16384);
  Result<Image> r = decode_image(png.data(), png.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("16384x16384"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("over the limit of " + std::to_string(kMaxImagePixels)), std::string::npos) << r.error;

  png = png_claiming(20000, 1);
  r = decode_image(png.data(), png.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("side is over the limit"), std::string::npos) << r.error;

  std::vector<uint8_t> jpg = small_jpeg();
  size_t sof = find_marker(jpg, 0xc0);
  ASSERT_GT(sof, 0u);
  jpg[sof + 5] = jpg[sof + 7] = 0x3f;  // height and width 0x3f10 = 16144
  r = decode_image(jpg.data(), jpg.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("over the limit"), std::string::npos) << r.error;
}

TEST(HostileFiles, OtherFormatsNeverReachStb) {
  std::string gif = "GIF89a\x01\x00\x01\x00";
  Result<Image> r = decode_image(reinterpret_cast<const uint8_t*>(gif.data()), gif.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("not a PNG or JPEG"), std::string::npos) << r.error;
}

// stb accepts 0xFF fill before SOI; the Huffman guard used to look for SOI at byte 0 only.
TEST(HostileFiles, HuffmanGuardHoldsWithFillBeforeSoi) {
  std::vector<uint8_t> jpg = small_jpeg();
  jpg.insert(jpg.begin(), {0xff, 0xff, 0xff});
  ASSERT_TRUE(decode_image(jpg.data(), jpg.size()).ok());  // stb reads it: the fill is legal
  size_t dht = find_marker(jpg, 0xc4);
  ASSERT_GT(dht, 0u);
  for (int k = 0; k < 16; k++) jpg[dht + 5 + k] = 0x20;  // 16 x 32 codes: more than stb's 256
  Result<Image> r = decode_image(jpg.data(), jpg.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("Huffman"), std::string::npos) << r.error;
}

// A scan naming a table no DHT defined would have stb decode with uninitialised tables.
TEST(HostileFiles, ScanWithUndefinedHuffmanTableIsRefused) {
  std::vector<uint8_t> jpg = small_jpeg();
  size_t sos = find_marker(jpg, 0xda);
  ASSERT_GT(sos, 0u);
  jpg[sos + 6] = 0x23;  // first component: DC table 2, AC table 3 (stb_image_write defines 0 and 1)
  Result<Image> r = decode_image(jpg.data(), jpg.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("never defined"), std::string::npos) << r.error;
}

// stb quotes an unknown critical chunk's name in its reason; a name of ESC [ 2 J would clear the screen.
TEST(HostileFiles, DecoderReasonsAreEscaped) {
  std::vector<uint8_t> png = encode_png(Image(1, 1, 3, 7));
  const uint8_t chunk[] = {0, 0, 0, 0, 0x1b, '[', '2', 'J', 0, 0, 0, 0};
  png.insert(png.begin() + 33, chunk, chunk + sizeof chunk);  // after the signature and IHDR
  Result<Image> r = decode_image(png.data(), png.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("\\x1b[2J"), std::string::npos) << r.error;
  expect_clean_line(r.error);
}

TEST(HostileFiles, WidthsOutOfRangeAreNamed) {
  ModelSpec s;
  s.ngf = 100000;
  Result<Graph> g = build(s);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error.find("ngf 100000"), std::string::npos) << g.error;
  EXPECT_NE(g.error.find("4096"), std::string::npos) << g.error;
}
