// Helpers for the dataset tool tests: temporary folders, generated images, running build/bin/pix2pix.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shared/file_io.h"
#include "shared/image.h"
#include "shared/safetensors.h"

namespace p2p_test {

// A fresh folder, removed when the object goes.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "p2p-data-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

// A deterministic, asymmetric colour pattern (so crops and flips show), optionally tinted.
inline p2p::Image pattern(int w, int h, int seed = 0, int channels = 3) {
  p2p::Image img(w, h, channels);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < channels; c++)
        img.at(x, y)[c] = uint8_t((x * (3 + c) + y * (5 + 2 * c) + seed * 37 + (x * y) % (7 + c)) & 255);
  return img;
}

// A photo-like picture for the edge extractor: a few filled shapes on a gradient.
inline p2p::Image shapes(int w, int h, int seed) {
  p2p::Image img(w, h, 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t* p = img.at(x, y);
      p[0] = uint8_t(40 + x * 100 / w), p[1] = uint8_t(60 + y * 80 / h), p[2] = uint8_t(120 + seed * 13 % 100);
      int cx = w / 3 + seed * 7 % (w / 3 + 1), cy = h / 2, r = std::min(w, h) / 4;
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r) p[0] = 230, p[1] = 30, p[2] = 40;
      if (x > w * 2 / 3 && y > h / 5 && y < h * 3 / 5) p[0] = 20, p[1] = 200, p[2] = 60;
    }
  return img;
}

inline void save(const std::string& path, const p2p::Image& img) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  p2p::Status st = path.size() > 4 && path.substr(path.size() - 4) == ".jpg" ? p2p::save_jpg(path, img, 95)
                                                                               : p2p::save_png(path, img);
  ASSERT_TRUE(st.ok()) << st.error;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct RunResult {
  int code = -1;
  std::string out, err;
};

// Runs build/bin/pix2pix with the given arguments (each single-quoted), capturing stdout and stderr.
inline RunResult run_pix2pix(const std::vector<std::string>& args, const TempDir& scratch) {
  std::string cmd = "'" + std::string(P2P_BIN) + "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  const std::string out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  cmd += " >'" + out + "' 2>'" + err + "'";
  RunResult r;
  int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Largest |a - b| over tensors of the same names; infinity when names or shapes differ, or when there are none.
inline double max_diff(const p2p::Weights& a, const p2p::Weights& b) {
  if (a.size() != b.size() || a.empty()) return INFINITY;
  double d = 0;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.shape != t.shape) return INFINITY;
    for (size_t i = 0; i < t.data.size(); i++) d = std::max(d, double(std::abs(t.data[i] - it->second.data[i])));
  }
  return d;
}

}  // namespace p2p_test
