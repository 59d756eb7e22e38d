// pix2pix edges: a folder of photos -> an edges->photo dataset (A = line drawing, B = photo) in train/val/test.
// Each photo's split comes from a hash of its name and the seed, so adding photos never moves the others.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>

#include "native/commands.h"
#include "native/dataset.h"
#include "native/options.h"
#include "native/parallel.h"
#include "shared/file_io.h"

namespace p2p {

namespace {

uint64_t mix64(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A number in [0, 1) from the name and the seed alone.
double name_hash(const std::string& name, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return double(mix64(h ^ mix64(seed + 0x9e3779b97f4a7c15ULL)) >> 11) * 0x1.0p-53;
}

Result<std::vector<double>> parse_split(const std::string& text) {
  using R = Result<std::vector<double>>;
  R r;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    double v = std::strtod(part.c_str(), &end);
    if (part.empty() || *end || !std::isfinite(v) || v < 0)
      return R::Fail("--split expects up to three non-negative numbers train,val,test, got '" + text + "'");
    r.value.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (r.value.size() > 3) return R::Fail("--split takes at most three numbers (train,val,test), got '" + text + "'");
  r.value.resize(3, 0.0);
  double sum = r.value[0] + r.value[1] + r.value[2];
  if (sum <= 0) return R::Fail("--split '" + text + "' gives nothing to any split");
  for (double& v : r.value) v /= sum;
  return r;
}

// Shorter side scaled to size (bicubic), then the centre size x size square. The scaled image must
// fit the image budget: a 1 x 16384 strip at size 256 would be 256 x 4194304 before the crop.
Result<Image> square(const Image& img, int size) {
  if (size <= 0) return {img, ""};
  int64_t w = img.width, h = img.height;
  if (w <= h) h = std::max<int64_t>(size, std::llround(double(h) * size / w)), w = size;
  else w = std::max<int64_t>(size, std::llround(double(w) * size / h)), h = size;
  if (Status st = check_image_size(w, h); !st.ok())
    return Result<Image>::Fail("scaled to --size " + std::to_string(size) + " it would be a " + st.error);
  Image scaled = (w == img.width && h == img.height) ? img : resize_bicubic(img, int(w), int(h));
  return {crop(scaled, int(w - size) / 2, int(h - size) / 2, size, size), ""};
}

struct Job {
  std::string photo, out;
  int split;
};

}  // namespace

int cmd_edges(const Args& args) {
  std::string input, output, split_text = "0.8,0.1,0.1";
  int size = 256, seed = 0;
  bool overwrite = false;
  EdgeOptions eo;
  Options o("edges",
            "Turns a folder of photos (searched recursively) into an edges->photo dataset: OUTPUT/{train,val,test}/x.png,\n"
            "each A|B with A the line drawing (black on white) and B the photo. A photo's split depends only on its\n"
            "name and the seed. Unreadable photos are reported by name and skipped; the exit status is 1 when any was.");
  o.text("input", &input, "DIR", "folder of photos");
  o.text("output", &output, "DIR", "dataset folder to write");
  o.text("split", &split_text, "T,V,T", "fractions for train, val, test (normalised to sum 1)");
  o.integer("size", &size, "side of the square pairs: shorter side scaled to it, then centre-cropped; 0 keeps the size");
  o.integer("seed", &seed, "seed of the train/val/test assignment");
  o.flag("overwrite", &overwrite, "replace outputs that exist already (otherwise they are kept and reported)");
  o.real("sigma", &eo.sigma, "edge extractor: Gaussian smoothing before gradients");
  o.real("low", &eo.low, "edge extractor: low hysteresis threshold");
  o.real("high", &eo.high, "edge extractor: high hysteresis threshold");
  o.integer("thickness", &eo.thickness, "edge extractor: line width in pixels");
  o.integer("min_length", &eo.min_length, "edge extractor: drop edge pieces shorter than this (pixels)");
  if (Status st = o.parse(args); !st.ok()) return fail("edges", st.error, 2);
  if (o.help_requested()) return std::printf("%s", o.help().c_str()), 0;
  if (input.empty() || output.empty()) return fail("edges", "--input and --output are required", 2);
  if (size < 0 || size > kMaxImageSide / 2)  // the A|B pair is twice as wide
    return fail("edges", "--size must be from 0 to " + std::to_string(kMaxImageSide / 2), 2);
  Result<std::vector<double>> split = parse_split(split_text);
  if (!split.ok()) return fail("edges", split.error, 2);
  Result<std::vector<std::string>> photos = list_images(input);
  if (!photos.ok()) return fail("edges", photos.error, 2);
  if (photos.value.empty()) return fail("edges", "no images in '" + input + "'", 2);

  std::mutex mu;
  size_t skipped = 0;
  auto problem = [&](const std::string& what) {
    std::lock_guard<std::mutex> l(mu);
    skipped++;
    std::fprintf(stderr, "pix2pix edges: %s\n", printable(what, 4096).c_str());
  };

  const char* split_names[] = {"train", "val", "test"};
  std::vector<Job> jobs;
  std::map<std::string, std::string> outputs;  // output name -> photo
  for (const std::string& rel : photos.value) {
    std::string name = rel.substr(0, rel.rfind('.'));
    std::replace(name.begin(), name.end(), '/', '_');
    name += ".png";
    const std::string photo = input + "/" + rel;
    if (auto [it, fresh] = outputs.emplace(name, photo); !fresh) {
      problem(photo + ": its output name " + name + " is taken by " + it->second + "; skipped");
      continue;
    }
    double u = name_hash(rel, uint64_t(int64_t(seed)));
    int s = u < split.value[0] ? 0 : u < split.value[0] + split.value[1] ? 1 : 2;
    if (split.value[s] == 0) s = split.value[0] > 0 ? 0 : split.value[1] > 0 ? 1 : 2;  // rounding at the top end
    Job j{photo, output + "/" + split_names[s] + "/" + name, s};
    if (file_exists(j.out) && !overwrite) {
      problem(j.out + ": exists already, not overwritten (--overwrite replaces it)");
      continue;
    }
    if (Status st = make_dirs(output + "/" + split_names[s]); !st.ok()) return fail("edges", st.error);
    jobs.push_back(std::move(j));
  }

  std::vector<char> done(jobs.size(), 0);
  parallel_for(jobs.size(), default_threads(), [&](size_t i) {
    const Job& j = jobs[i];
    Result<Image> photo = load_image(j.photo, 3);
    if (!photo.ok()) return problem(photo.error);
    Result<Image> sq = square(photo.value, size);
    if (!sq.ok()) return problem(printable(j.photo) + ": " + sq.error);
    const Image& b = sq.value;
    Image a = to_channels(extract_edges(b, eo), 3);
    Result<Image> ab = join_ab(a, b);
    if (!ab.ok()) return problem(j.photo + ": " + ab.error);
    if (Status st = save_png(j.out, ab.value); !st.ok()) return problem(st.error);
    done[i] = 1;
  });

  size_t counts[3] = {0, 0, 0}, written = 0;
  for (size_t i = 0; i < jobs.size(); i++)
    if (done[i]) counts[jobs[i].split]++, written++;
  std::printf("edges: wrote %zu pairs into %s (train %zu, val %zu, test %zu); %zu skipped\n", written, output.c_str(),
              counts[0], counts[1], counts[2], skipped);
  return skipped ? 1 : 0;
}

}  // namespace p2p
