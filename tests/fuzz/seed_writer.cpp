// Seeds for the fuzzers whose inputs the project's own writers make: images (encode_png, and JPEG
// through save_jpg's stb encoder), web bundles (write_bundle) and zip archives (the tests' zip
// writer), plus the smallest reference checkpoint in tests/fixtures.
// usage: seed_writer OUT_DIR   -> OUT_DIR/{image,bundle,zip,torch_checkpoint}_fuzz/seed_*
#include <cstdio>
#include <string>
#include <vector>

#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/image.h"
#include "tests/shared/torch_test_util.h"

namespace {

std::string out_dir;
int failures = 0;

void check(const p2p::Status& s) {
  if (!s.ok()) std::fprintf(stderr, "seed_writer: %s\n", s.error.c_str()), failures++;
}

void seed(const std::string& fuzzer, const std::string& name, const std::vector<uint8_t>& bytes) {
  check(p2p::make_dirs(out_dir + "/" + fuzzer));
  check(p2p::write_file_atomic(out_dir + "/" + fuzzer + "/" + name, bytes));
}

std::vector<uint8_t> prefixed(uint8_t first, const std::vector<uint8_t>& rest) {
  std::vector<uint8_t> v{first};
  v.insert(v.end(), rest.begin(), rest.end());
  return v;
}

p2p::Image pattern(int w, int h, int c) {
  p2p::Image img(w, h, c);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < c; k++) img.at(x, y)[k] = uint8_t((x * 37 + y * 11 + k * 80) ^ (x * y));
  return img;
}

// image_fuzz: byte 0 picks the channels asked for (0 keeps the file's), then the file.
void image_seeds() {
  int n = 0;
  const int sizes[][3] = {{8, 8, 1}, {13, 7, 3}, {5, 9, 4}, {17, 16, 3}};
  for (const auto& s : sizes) {
    p2p::Image img = pattern(s[0], s[1], s[2]);
    seed("image_fuzz", "png_" + std::to_string(n), prefixed(uint8_t(n & 3), p2p::encode_png(img)));
    seed("image_fuzz", "png_text_" + std::to_string(n),
         prefixed(0, p2p::encode_png(img, {{"pix2pix", "seed"}, {"Comment", "fuzz"}})));
    if (s[2] != 4) {  // JPEG has no alpha
      std::string tmp = out_dir + "/seed.jpg";
      check(p2p::save_jpg(tmp, img, 40 + 20 * n));
      auto jpg = p2p::read_file(tmp);
      std::remove(tmp.c_str());
      if (jpg.ok()) seed("image_fuzz", "jpg_" + std::to_string(n), prefixed(uint8_t(3 - (n & 3)), jpg.value));
    }
    n++;
  }
}

// bundle_fuzz: a flags byte (bit 0: the harness rewrites the digest), model.json, a 0 byte, the weights.
void bundle_seed(const std::string& name, const p2p::ModelSpec& spec, const std::string& task, bool fp16) {
  auto g = p2p::build(spec);
  if (!g.ok()) return check(p2p::Status::Fail(g.error));
  p2p::BundleInfo info;
  info.name = name;
  info.task = task;
  info.spec = spec;
  info.height = info.width = 32;
  info.license = "MIT";
  info.provenance["seed"] = true;
  std::string dir = out_dir + "/bundle-" + name;
  check(p2p::write_bundle(dir, info, p2p::init_weights(g.value, 1), fp16));
  auto json = p2p::read_file(dir + "/model.json");
  auto weights = p2p::read_file(dir + "/weights.safetensors");
  std::remove((dir + "/model.json").c_str());
  std::remove((dir + "/weights.safetensors").c_str());
  std::remove(dir.c_str());
  if (!json.ok() || !weights.ok()) return check(p2p::Status::Fail("bundle " + name + " not written"));
  for (uint8_t flags : {0, 1}) {
    std::vector<uint8_t> bytes{flags};
    bytes.insert(bytes.end(), json.value.begin(), json.value.end());
    bytes.push_back(0);
    bytes.insert(bytes.end(), weights.value.begin(), weights.value.end());
    seed("bundle_fuzz", name + "_" + std::to_string(flags), bytes);
  }
}

void bundle_seeds() {
  p2p::ModelSpec pixel;
  pixel.arch = p2p::Arch::Discriminator;
  pixel.net = "pixel";
  pixel.ndf = 1;
  pixel.input_nc = 2;
  bundle_seed("pixel", pixel, "sketch", false);
  p2p::ModelSpec unet;
  unet.net = "unet_32";
  unet.ngf = 1;
  unet.norm = p2p::Norm::Instance;
  unet.input_nc = unet.output_nc = 1;
  bundle_seed("unet", unet, "sketch", true);
  bundle_seed("transformer", p2p::ModelSpec::transformer(1), "style", true);
}

// zip_fuzz: archives as torch.save lays them out, plain and ZIP64; both also whole-file torch seeds.
void zip_seeds(const std::string& source_dir) {
  std::vector<p2p_test::ZipFile> files{{"archive/data.pkl", {0x80, 2, '.'}},
                                       {"archive/data/0", p2p_test::float_bytes({1, 2, 3, 4})},
                                       {"archive/version", {'3', '\n'}}};
  for (bool zip64 : {false, true}) {
    auto zip = p2p_test::make_zip(files, zip64);
    seed("zip_fuzz", zip64 ? "zip64" : "zip", zip);
  }
  auto pth = p2p::read_file(source_dir + "/tests/fixtures/reference/pixel_batch/latest_net_D.pth");
  check(pth.ok() ? p2p::Status() : p2p::Status::Fail(pth.error));
  if (pth.ok()) {
    seed("zip_fuzz", "pixel_batch.pth", pth.value);
    seed("torch_checkpoint_fuzz", "pixel_batch.pth", prefixed(1, pth.value));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seed_writer OUT_DIR\n");
    return 2;
  }
  out_dir = argv[1];
  image_seeds();
  bundle_seeds();
  zip_seeds(P2P_SOURCE_DIR);
  return failures == 0 ? 0 : 1;
}
