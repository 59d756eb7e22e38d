// pix2pix combine and pix2pix edges on generated folders: named errors, the rest done, nothing overwritten,
// exit codes, and the edges split staying put when photos are added.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "data_test_util.h"
#include "shared/image.h"

using namespace p2p_test;
namespace fs = std::filesystem;

namespace {

p2p::Image load(const std::string& path) {
  p2p::Result<p2p::Image> r = p2p::load_image(path, 3);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.value;
}

bool has_line_naming(const std::string& err, const std::string& name) {
  std::stringstream ss(err);
  for (std::string line; std::getline(ss, line);)
    if (line.find(name) != std::string::npos && line.rfind("pix2pix ", 0) == 0) return true;
  return false;
}

std::set<std::string> files_under(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file()) out.insert(it->path().lexically_relative(dir).generic_string());
  return out;
}

}  // namespace

TEST(Combine, PairsSplitsReportsProblemsByNameAndKeepsExistingOutputs) {
  TempDir d, scratch;
  const p2p::Image a1 = pattern(40, 30, 1), b1 = pattern(40, 30, 2), a2 = pattern(24, 24, 3), b2 = pattern(24, 24, 4);
  save(d / "A/train/ok1.png", a1);
  save(d / "B/train/ok1.png", b1);
  save(d / "A/train/ok2.png", a2);
  save(d / "B/train/ok2.png", b2);
  save(d / "A/train/odd.png", pattern(30, 20, 5));
  save(d / "B/train/odd.png", pattern(31, 20, 6));  // one column wider
  write_text(d / "A/train/broken.png", "this is not a png");
  save(d / "B/train/broken.png", pattern(30, 20, 7));
  save(d / "A/train/lonely.png", pattern(30, 20, 8));  // no partner in B
  write_text(d / "A/train/notes.txt", "not an image: ignored");
  save(d / "A/val/v1.jpg", pattern(16, 16, 9));
  save(d / "B/val/v1.jpg", pattern(16, 16, 10));
  write_text(d / "AB/train/ok2.png", "precious earlier output");

  RunResult r = run_pix2pix({"combine", "--fold_A", d / "A", "--fold_B", d / "B", "--fold_AB", d / "AB"}, scratch);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has_line_naming(r.err, "odd.png")) << r.err;
  EXPECT_TRUE(has_line_naming(r.err, "broken.png")) << r.err;
  EXPECT_TRUE(has_line_naming(r.err, "lonely.png")) << r.err;
  EXPECT_TRUE(has_line_naming(r.err, "ok2.png")) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 4) << r.err;  // one line per problem
  EXPECT_NE(r.out.find("4 skipped"), std::string::npos) << r.out;

  EXPECT_EQ(files_under(d / "AB"), (std::set<std::string>{"train/ok1.png", "train/ok2.png", "val/v1.jpg"}));
  p2p::Image ab = load(d / "AB/train/ok1.png");
  ASSERT_EQ(ab.width, 80);
  ASSERT_EQ(ab.height, 30);
  p2p::Result<std::pair<p2p::Image, p2p::Image>> halves = p2p::split_ab(ab);
  ASSERT_TRUE(halves.ok());
  EXPECT_EQ(halves.value.first.pixels, a1.pixels);
  EXPECT_EQ(halves.value.second.pixels, b1.pixels);
  EXPECT_EQ(read_text(d / "AB/train/ok2.png"), "precious earlier output");
  std::string jpg = read_text(d / "AB/val/v1.jpg");
  ASSERT_GE(jpg.size(), 2u);
  EXPECT_EQ((unsigned char)jpg[0], 0xFF);  // JPEG for .jpg
  EXPECT_EQ((unsigned char)jpg[1], 0xD8);
  EXPECT_EQ(load(d / "AB/val/v1.jpg").width, 32);

  // --overwrite replaces it; the other problems remain.
  r = run_pix2pix({"combine", "--fold_A", d / "A", "--fold_B", d / "B", "--fold_AB", d / "AB", "--overwrite",
                   "--no_multiprocessing"},
                  scratch);
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(has_line_naming(r.err, "ok2.png")) << r.err;
  p2p::Image ab2 = load(d / "AB/train/ok2.png");
  EXPECT_EQ(ab2.width, 48);
  EXPECT_EQ(p2p::split_ab(ab2).value.second.pixels, b2.pixels);
}

TEST(Combine, CleanRunExitsZeroUseABAndNumImgs) {
  TempDir d, scratch;
  for (int i = 0; i < 5; i++) {
    std::string n = "img" + std::to_string(i);
    save(d / ("A/test/" + n + "_A.png"), pattern(20, 12, i));
    save(d / ("B/test/" + n + "_B.png"), pattern(20, 12, i + 10));
    save(d / ("A/test/" + n + "_B.png"), pattern(20, 12, 99));  // not an A file: ignored with --use_AB
  }
  RunResult r = run_pix2pix(
      {"combine", "--fold_A", d / "A", "--fold_B", d / "B", "--fold_AB", d / "AB", "--use_AB", "--num_imgs", "3"}, scratch);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(files_under(d / "AB"), (std::set<std::string>{"test/img0.png", "test/img1.png", "test/img2.png"}));
  p2p::Image ab = load(d / "AB/test/img1.png");
  EXPECT_EQ(p2p::split_ab(ab).value.first.pixels, pattern(20, 12, 1).pixels);
  EXPECT_EQ(p2p::split_ab(ab).value.second.pixels, pattern(20, 12, 11).pixels);
}

TEST(Combine, BadArgumentsFailWithOneLine) {
  TempDir d, scratch;
  RunResult r = run_pix2pix({"combine", "--fold_A", d / "nope", "--fold_B", d / "nope", "--fold_AB", d / "AB"}, scratch);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has_line_naming(r.err, d / "nope")) << r.err;
  EXPECT_EQ(count_lines(r.err), 1);
  r = run_pix2pix({"combine", "--fold_A", d.path}, scratch);
  EXPECT_EQ(r.code, 2);
  fs::create_directories(d / "A");
  fs::create_directories(d / "B");
  r = run_pix2pix({"combine", "--fold_A", d / "A", "--fold_B", d / "B", "--fold_AB", d / "AB"}, scratch);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no split folders"), std::string::npos) << r.err;
}

namespace {

// Which split each output landed in: name -> split.
std::map<std::string, std::string> split_of(const std::string& dataset) {
  std::map<std::string, std::string> m;
  for (const std::string& f : files_under(dataset)) {
    size_t slash = f.find('/');
    m[f.substr(slash + 1)] = f.substr(0, slash);
  }
  return m;
}

}  // namespace

TEST(Edges, MakesPairsReportsBrokenPhotosAndSplitsStably) {
  TempDir d, scratch;
  for (int i = 0; i < 12; i++) save(d / ("photos/p" + std::to_string(i) + ".png"), shapes(97 + i, 61 + 2 * i, i));
  save(d / "photos/nested/deep.jpg", shapes(80, 80, 3));
  write_text(d / "photos/broken.jpg", "\xFF\xD8 truncated jpeg");
  RunResult r = run_pix2pix({"edges", "--input", d / "photos", "--output", d / "ds", "--size", "64", "--seed", "5"}, scratch);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has_line_naming(r.err, "broken.jpg")) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;

  std::map<std::string, std::string> first = split_of(d / "ds");
  ASSERT_EQ(first.size(), 13u);
  EXPECT_TRUE(first.count("nested_deep.png"));
  std::set<std::string> used;
  for (const auto& [name, sp] : first) {
    EXPECT_TRUE(sp == "train" || sp == "val" || sp == "test") << sp;
    used.insert(sp);
  }
  EXPECT_TRUE(used.count("train"));

  // Each pair: 128x64; B the centre square of the photo scaled to 64; A a black-on-white drawing of B.
  p2p::Image ab = load(d / ("ds/" + first["p3.png"] + "/p3.png"));
  ASSERT_EQ(ab.width, 128);
  ASSERT_EQ(ab.height, 64);
  auto [a, b] = p2p::split_ab(ab).value;
  p2p::Image photo = shapes(100, 67, 3);
  p2p::Image expect_b = p2p::crop(p2p::resize_bicubic(photo, 96, 64), 16, 0, 64, 64);
  EXPECT_EQ(b.pixels, expect_b.pixels);
  EXPECT_EQ(a.pixels, p2p::to_channels(p2p::extract_edges(expect_b), 3).pixels);
  size_t white = 0, black = 0;
  for (size_t i = 0; i < a.pixels.size(); i++) white += a.pixels[i] == 255, black += a.pixels[i] == 0;
  EXPECT_GT(white, a.pixels.size() / 2);  // mostly paper
  EXPECT_GT(black, 0u);                   // with lines

  // More photos later: the first ones keep their split; a rerun overwrites nothing (and says so).
  std::string precious = read_text(d / ("ds/" + first["p0.png"] + "/p0.png"));
  write_text(d / ("ds/" + first["p1.png"] + "/p1.png"), "kept");
  for (int i = 12; i < 20; i++) save(d / ("photos/p" + std::to_string(i) + ".png"), shapes(70, 70, i));
  fs::remove(d / "photos/broken.jpg");
  r = run_pix2pix({"edges", "--input", d / "photos", "--output", d / "ds", "--size", "64", "--seed", "5"}, scratch);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has_line_naming(r.err, "p1.png"));
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos);
  EXPECT_EQ(count_lines(r.err), 13) << r.err;  // the 13 existing outputs
  EXPECT_EQ(read_text(d / ("ds/" + first["p1.png"] + "/p1.png")), "kept");
  EXPECT_EQ(read_text(d / ("ds/" + first["p0.png"] + "/p0.png")), precious);
  std::map<std::string, std::string> second = split_of(d / "ds");
  EXPECT_EQ(second.size(), 21u);
  for (const auto& [name, sp] : first) EXPECT_EQ(second[name], sp) << name;

  // Another seed deals the same photos differently.
  r = run_pix2pix({"edges", "--input", d / "photos", "--output", d / "ds2", "--size", "64", "--seed", "6"}, scratch);
  EXPECT_EQ(r.code, 0) << r.err;
  std::map<std::string, std::string> other = split_of(d / "ds2");
  int moved = 0;
  for (const auto& [name, sp] : second) moved += other[name] != sp;
  EXPECT_GT(moved, 0);
}

TEST(Edges, SizeZeroKeepsSizeAndSplitFractions) {
  TempDir d, scratch;
  for (int i = 0; i < 6; i++) save(d / ("in/x" + std::to_string(i) + ".png"), shapes(45, 33, i));
  RunResult r = run_pix2pix({"edges", "--input", d / "in", "--output", d / "out", "--size", "0", "--split", "1,0,0"}, scratch);
  EXPECT_EQ(r.code, 0) << r.err;
  std::map<std::string, std::string> s = split_of(d / "out");
  ASSERT_EQ(s.size(), 6u);
  for (const auto& [name, sp] : s) EXPECT_EQ(sp, "train");
  p2p::Image ab = load(d / "out/train/x2.png");
  EXPECT_EQ(ab.width, 90);
  EXPECT_EQ(ab.height, 33);
  r = run_pix2pix({"edges", "--input", d / "in", "--output", d / "out3", "--split", "0,0,1"}, scratch);
  EXPECT_EQ(r.code, 0) << r.err;
  for (const auto& [name, sp] : split_of(d / "out3")) EXPECT_EQ(sp, "test");
  r = run_pix2pix({"edges", "--input", d / "in", "--output", d / "out2", "--split", "0.8,x"}, scratch);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--split"), std::string::npos);
}
