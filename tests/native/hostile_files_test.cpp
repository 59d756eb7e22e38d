// The pix2pix program on hostile or careless files: each ends in one line on stderr naming the file
// or the limit, exit status 1 or 2, promptly and within bounded memory; never an abort (134), also
// when memory runs out or a worker thread fails. The files are made here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "native/parallel.h"
#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/models.h"
#include "shared/safetensors.h"
#include "shared/torch_checkpoint.h"
#include "shared/zip_reader.h"
#include "tests/native/cli_util.h"
#include "tests/shared/torch_test_util.h"

using namespace p2p;

namespace {

std::string bin() {
  const char* env = std::getenv("P2P_BIN");
  return env && *env ? env : P2P_BIN;
}

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; i++) b.push_back(uint8_t(v >> (24 - 8 * i)));
}

// An 8-bit gray PNG of zeros of any size in a few hundred KiB: the deflate stream is one block of
// fixed-Huffman matches (length 258, distance 1) after a literal 0, written bit by bit.
std::vector<uint8_t> zero_png(uint32_t width, uint32_t height) {
  std::vector<uint8_t> z = {0x78, 0x01};
  uint32_t acc = 0;
  int bits = 0;
  auto put = [&](uint32_t v, int n) {  // LSB first, as deflate packs
    acc |= v << bits;
    bits += n;
    for (; bits >= 8; bits -= 8, acc >>= 8) z.push_back(uint8_t(acc));
  };
  auto huff = [&](uint32_t code, int n) {  // Huffman codes go MSB first
    for (int i = n - 1; i >= 0; i--) put((code >> i) & 1, 1);
  };
  uint64_t left = uint64_t(width + 1) * height;  // a filter byte per row, then the row
  put(1, 1), put(1, 2);                          // final block, fixed Huffman
  huff(0x30, 8), left--;                         // literal 0
  for (; left >= 258; left -= 258) huff(0xc5, 8), put(0, 5);  // length 258 (code 285), distance 1
  for (; left > 0; left--) huff(0x30, 8);
  huff(0, 7);  // end of block
  if (bits) z.push_back(uint8_t(acc));
  put_be32(z, 1);  // Adler-32 (stb does not check it)
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const char* type, const std::vector<uint8_t>& data) {
    put_be32(png, uint32_t(data.size()));
    std::vector<uint8_t> body(type, type + 4);
    body.insert(body.end(), data.begin(), data.end());
    png.insert(png.end(), body.begin(), body.end());
    put_be32(png, crc32(body.data(), body.size()));
  };
  std::vector<uint8_t> ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});
  chunk("IHDR", ihdr);
  chunk("IDAT", z);
  chunk("IEND", {});
  return png;
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!file_exists(bin())) GTEST_FAIL() << bin() << " is not built (ninja pix2pix)";
    char tmpl[] = "/tmp/p2p_hostile_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Bounded in time (a hang is exit 124) and in address space when asked (kilobytes, as ulimit -v).
  p2p_test::Outcome pix2pix(const std::string& args, long vmem_kb = 0) {
    std::string env = "OMP_NUM_THREADS=1 timeout 60";
    if (vmem_kb) env = "ulimit -v " + std::to_string(vmem_kb) + "; " + env;
    return p2p_test::run_program(bin(), args, dir_, env);
  }

  void write(const std::string& name, const std::vector<uint8_t>& bytes) {
    ASSERT_TRUE(write_file_atomic(path(name), bytes).ok());
  }

  std::string model() {
    ModelSpec s;
    s.net = "unet_128", s.ngf = 2;
    EXPECT_TRUE(save_safetensors(path("m.safetensors"), init_weights(build(s).value, 1), s.to_metadata()).ok());
    return path("m.safetensors");
  }

  // Exit 1 or 2, one line "pix2pix <cmd>: ..." with `what` in it and no raw control byte.
  void expect_one_line(const p2p_test::Outcome& r, const std::string& what) {
    EXPECT_TRUE(r.code == 1 || r.code == 2) << "exit " << r.code << ": " << r.err;
    EXPECT_EQ(r.err.rfind("pix2pix ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << "expected '" << what << "' in: " << r.err;
    for (char c : r.err.substr(0, r.err.size() - 1)) EXPECT_FALSE((unsigned char)c < 0x20 || c == 0x7f) << r.err;
  }

  std::string dir_;
};

}  // namespace

TEST_F(Hostile, DevicesAreNeverRead) {
  std::string m = model();
  p2p_test::Outcome r = pix2pix("run --model " + m + " --input /dev/zero --output " + path("o.png"));
  expect_one_line(r, "/dev/zero: not a regular file");
  r = pix2pix("run --model /dev/zero --input " + path("x.png") + " --output " + path("o.png"));
  expect_one_line(r, "not a regular file");
}

// 16384 x 16384 in 300 KiB: refused from its header, before any pixel is allocated.
TEST_F(Hostile, ImageOverThePixelBudgetIsRefusedByItsHeader) {
  write("big.png", zero_png(16384, 16384));
  p2p_test::Outcome r = pix2pix("run --model " + model() + " --input " + path("big.png") + " --output " + path("o.png"), 1500000);
  expect_one_line(r, "16384x16384 image: 268435456 pixels, over the limit of 67108864");
}

TEST_F(Hostile, ModelJsonGivenToRunSaysWhatItIs) {
  write("model.json", std::vector<uint8_t>{'{', '"', 'f', '"', ':', '1', '}', '\n', ' ', ' '});
  p2p_test::Outcome r = pix2pix("run --model " + path("model.json") + " --input x.png --output " + path("o.png"));
  expect_one_line(r, "model.json?), not a .safetensors file");
}

// edges scales the shorter side to --size before cropping: a 1 x 16384 strip would become 256 x 4194304.
TEST_F(Hostile, EdgesRefusesAStripThatWouldScaleOverTheBudget) {
  ASSERT_EQ(::mkdir(path("photos").c_str(), 0755), 0);
  write("photos/strip.png", encode_png(Image(1, 16384, 1, 90)));
  p2p_test::Outcome r = pix2pix("edges --input " + path("photos") + " --output " + path("ds"), 1500000);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("strip.png: scaled to --size 256 it would be a 256x4194304 image"), std::string::npos) << r.err;
}

TEST_F(Hostile, PickleOverTheObjectBudgetIsRefused) {
  std::vector<uint8_t> pkl = {0x80, 2};
  pkl.insert(pkl.end(), kMaxPickleObjects + 8, ']');
  pkl.push_back('.');
  write("lists.pth", p2p_test::make_checkpoint(pkl, {}));
  p2p_test::Outcome r = pix2pix("import " + path("lists.pth") + " --netG unet_128 -o " + path("o.safetensors"), 1500000);
  expect_one_line(r, "more than " + std::to_string(kMaxPickleObjects) + " objects (the limit for a checkpoint's pickle)");
}

TEST_F(Hostile, WidthOutOfRangeSaysWhichAndTheRange) {
  p2p_test::Outcome r = pix2pix("info --netG unet_256 --ngf 100000");
  expect_one_line(r, "ngf 100000 is out of range (1 to 4096)");
}

// 8192 x 8192 is within the image budget, but not within 1.4 GB of address space (LibTorch itself
// takes 0.5 to 0.7) once its 805 MB float tensor is made, outside any handler of `run`: the failed
// allocation ends as one line, exit 1, in the main thread ...
TEST_F(Hostile, OutOfMemoryIsOneLineNotAnAbort) {
  write("photo.png", zero_png(8192, 8192));
  p2p_test::Outcome r = pix2pix("run --model " + model() + " --input " + path("photo.png") + " --output " + path("o.png"), 1400000);
  EXPECT_EQ(r.code, 1) << r.err;
  expect_one_line(r, "pix2pix run: out of memory");
}

// ... and in the worker threads of edges (two photos, so two threads; each decodes, then fails in
// the edge extractor's 256 MB buffers).
TEST_F(Hostile, OutOfMemoryInAWorkerThreadIsOneLineNotAnAbort) {
  ASSERT_EQ(::mkdir(path("photos").c_str(), 0755), 0);
  write("photos/a.png", zero_png(8192, 8192));
  write("photos/b.png", zero_png(8192, 8192));
  p2p_test::Outcome r = pix2pix("edges --size 0 --input " + path("photos") + " --output " + path("ds"), 2000000);
  EXPECT_EQ(r.code, 1) << r.err;
  expect_one_line(r, "pix2pix edges: out of memory");
}

TEST(ParallelFor, RethrowsTheFirstExceptionAfterAllJoin) {
  std::atomic<int> ran{0};
  EXPECT_THROW(parallel_for(1000, 4,
                            [&](size_t i) {
                              ran++;
                              if (i == 10) throw std::runtime_error("bad item");
                              // Items take a while, as images do: 1000 of them outlast the unwinding of the throw.
                              std::this_thread::sleep_for(std::chrono::milliseconds(2));
                            }),
               std::runtime_error);
  EXPECT_LT(ran.load(), 1000);  // the others stopped taking work
}
