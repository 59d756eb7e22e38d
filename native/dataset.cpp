// Paired datasets: listing, the reference's preprocessing, per-item seeded randomness, and the loader.
#include "native/dataset.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <numeric>
#include <tuple>

#include "shared/choice.h"

namespace p2p {

namespace fs = std::filesystem;

bool is_image_file(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = char(std::tolower((unsigned char)c));
  for (const char* e : {"png", "jpg", "jpeg", "bmp", "ppm", "pgm", "tga"})
    if (ext == e) return true;
  return false;
}

Result<std::vector<std::string>> list_images(const std::string& dir, bool recursive) {
  using R = Result<std::vector<std::string>>;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return R::Fail("'" + dir + "' is not a folder");
  R r;
  auto visit = [&](const fs::directory_entry& e) {
    std::error_code ec2;
    if (!e.is_regular_file(ec2) || !is_image_file(e.path().filename().string())) return;
    r.value.push_back(e.path().lexically_relative(dir).generic_string());
  };
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      visit(*it);
  } else {
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) visit(*it);
  }
  if (ec) return R::Fail("cannot list '" + dir + "': " + ec.message());
  std::sort(r.value.begin(), r.value.end());
  return r;
}

namespace {

bool resizes(Preprocess p) { return p == Preprocess::ResizeAndCrop; }
bool scales_width(Preprocess p) { return p == Preprocess::ScaleWidth || p == Preprocess::ScaleWidthAndCrop; }
bool crops(Preprocess p) { return p == Preprocess::ResizeAndCrop || p == Preprocess::Crop || p == Preprocess::ScaleWidthAndCrop; }

// A uniform integer in [0, hi] from one 32-bit draw (multiply-shift; the same on every standard library).
int rand_upto(std::mt19937& rng, int hi) {
  if (hi <= 0) {
    rng();
    return 0;
  }
  return int((uint64_t(rng()) * (uint64_t(hi) + 1)) >> 32);
}

std::mt19937 item_rng(uint64_t seed, int64_t epoch, uint64_t index) {
  std::seed_seq seq{uint32_t(seed), uint32_t(seed >> 32), uint32_t(uint64_t(epoch)), uint32_t(uint64_t(epoch) >> 32),
                    uint32_t(index), uint32_t(index >> 32)};
  return std::mt19937(seq);
}

// The reference's __make_power_2(base=4): width and height rounded (half to even, as Python's round) to
// multiples of 4, at least 4.
int round_to_base(int v, int base) { return std::max(base, int(std::nearbyint(double(v) / base)) * base); }

// The reference's __scale_width: width = target, height = max(target * h / w, crop) truncated.
std::pair<int, int> scale_width_size(int w, int h, int target, int crop) {
  if (w == target && h >= crop) return {w, h};
  return {target, int(std::max(double(target) * h / w, double(crop)))};
}

bool valid_nc(int c) { return c == 1 || c == 3; }

}  // namespace

const std::vector<std::string>& preprocess_names() {
  static const std::vector<std::string> names = {"resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"};
  return names;
}

const char* preprocess_name(Preprocess p) { return preprocess_names()[size_t(p)].c_str(); }

Result<Preprocess> parse_preprocess(const std::string& name) {
  Result<int> i = parse_choice("preprocess", name, preprocess_names());
  return i.ok() ? Result<Preprocess>{Preprocess(i.value), ""} : Result<Preprocess>::Fail(i.error);
}

Transform random_transform(const DatasetOptions& opt, int width, int height, std::mt19937& rng) {
  int new_w = width, new_h = height;
  if (opt.preprocess == Preprocess::ResizeAndCrop) {
    new_w = new_h = opt.load_size;
  } else if (opt.preprocess == Preprocess::ScaleWidthAndCrop) {
    new_w = opt.load_size;
    new_h = width > 0 ? int(int64_t(opt.load_size) * height / width) : 0;
  }
  Transform t;
  t.crop_x = rand_upto(rng, std::max(0, new_w - opt.crop_size));
  t.crop_y = rand_upto(rng, std::max(0, new_h - opt.crop_size));
  t.flip = (rng() >> 31) != 0;
  if (opt.zoom_out < 1.0f) {
    auto unit = [&rng] { return float(rng() >> 8) / float(1 << 24); };  // [0, 1), not std::uniform_real_distribution: its draws differ between standard libraries
    t.zoom = opt.zoom_out + (1.0f - opt.zoom_out) * unit();
    t.zoom_x = unit(), t.zoom_y = unit();
  }
  if (opt.widen_lines > 0) t.widen = rand_upto(rng, opt.widen_lines);
  return t;
}

Image widen_dark_lines(const Image& img, int px) {
  if (px <= 0) return img;
  const int before = px / 2, after = px - before;  // the window's reach on each side
  const int c = img.channels;
  // Separable: the minimum along rows, then along columns.
  auto pass = [&](const Image& src, bool rows) {
    Image out = src;
    for (int y = 0; y < src.height; y++)
      for (int x = 0; x < src.width; x++)
        for (int k = 0; k < c; k++) {
          uint8_t m = 255;
          for (int d = -before; d <= after; d++) {
            const int sx = rows ? x + d : x, sy = rows ? y : y + d;
            if (sx >= 0 && sx < src.width && sy >= 0 && sy < src.height) m = std::min(m, src.at(sx, sy)[k]);
          }
          out.at(x, y)[k] = m;
        }
    return out;
  };
  return pass(pass(img, true), false);
}

std::pair<int, int> transformed_size(const DatasetOptions& opt, int w, int h) {
  const Preprocess p = opt.preprocess;
  if (resizes(p)) w = h = opt.load_size;
  else if (scales_width(p)) std::tie(w, h) = scale_width_size(w, h, opt.load_size, opt.crop_size);
  if (crops(p) && (w > opt.crop_size || h > opt.crop_size)) w = h = opt.crop_size;
  if (p == Preprocess::None) w = round_to_base(w, 4), h = round_to_base(h, 4);
  return {w, h};
}

Image apply_transform(const Image& img, const DatasetOptions& opt, const Transform& t) {
  const Preprocess p = opt.preprocess;
  Image out = img;
  if (resizes(p)) {
    out = resize_bicubic(out, opt.load_size, opt.load_size);
  } else if (scales_width(p)) {
    auto [w, h] = scale_width_size(out.width, out.height, opt.load_size, opt.crop_size);
    if (w != out.width || h != out.height) out = resize_bicubic(out, w, h);
  }
  // As the reference's __crop: only when the image is larger than the crop; PIL fills outside with zeros.
  if (crops(p) && (out.width > opt.crop_size || out.height > opt.crop_size))
    out = crop(out, t.crop_x, t.crop_y, opt.crop_size, opt.crop_size);
  if (p == Preprocess::None) {
    int w = round_to_base(out.width, 4), h = round_to_base(out.height, 4);
    if (w != out.width || h != out.height) out = resize_bicubic(out, w, h);
  }
  if (opt.flip && t.flip) out = flip_horizontal(out);
  if (t.zoom < 1.0f) {
    const int w = std::max(1, int(std::lround(out.width * t.zoom))), h = std::max(1, int(std::lround(out.height * t.zoom)));
    const Image small = resize_bicubic(out, w, h);
    out = Image(out.width, out.height, out.channels, 255);
    const int x0 = int(t.zoom_x * float(out.width - w)), y0 = int(t.zoom_y * float(out.height - h));
    for (int y = 0; y < h; y++) std::copy_n(small.at(0, y), size_t(w) * small.channels, out.at(x0, y0 + y));
  }
  return out;
}

Result<Dataset> Dataset::open(const DatasetOptions& opt) {
  using R = Result<Dataset>;
  const Preprocess p = opt.preprocess;
  if (opt.direction != "AtoB" && opt.direction != "BtoA")
    return R::Fail("unknown direction '" + opt.direction + "' (AtoB or BtoA)");
  if (!valid_nc(opt.input_nc) || !valid_nc(opt.output_nc))
    return R::Fail("input_nc and output_nc must be 1 or 3, got " + std::to_string(opt.input_nc) + " and " +
                   std::to_string(opt.output_nc));
  if (opt.load_size <= 0 || opt.crop_size <= 0) return R::Fail("load_size and crop_size must be positive");
  if (resizes(p) && crops(p) && opt.load_size < opt.crop_size)
    return R::Fail("load_size " + std::to_string(opt.load_size) + " is smaller than crop_size " +
                   std::to_string(opt.crop_size));

  R r;
  Dataset& d = r.value;
  d.opt_ = opt;
  const fs::path root(opt.dataroot);
  std::error_code ec;
  std::string layout = opt.layout;
  if (layout == "auto") layout = fs::is_directory(root / opt.phase, ec) ? "aligned" : "separate";
  if (layout == "aligned") {
    d.dir_a_ = (root / opt.phase).string();
    Result<std::vector<std::string>> files = list_images(d.dir_a_);
    if (!files.ok()) return R::Fail("dataset: " + files.error);
    d.names_ = std::move(files.value);
  } else if (layout == "separate") {
    fs::path a = root / "A" / opt.phase, b = root / "B" / opt.phase;
    if (!fs::is_directory(a, ec) || !fs::is_directory(b, ec)) a = root / (opt.phase + "A"), b = root / (opt.phase + "B");
    if (!fs::is_directory(a, ec) || !fs::is_directory(b, ec))
      return R::Fail("dataset: found neither " + (root / opt.phase).string() + "/ (aligned A|B images) nor " +
                     (root / "A" / opt.phase).string() + "/ with " + (root / "B" / opt.phase).string() +
                     "/ (separate) nor " + (root / (opt.phase + "A")).string() + "/ with " +
                     (root / (opt.phase + "B")).string() + "/");
    d.dir_a_ = a.string();
    d.dir_b_ = b.string();
    Result<std::vector<std::string>> fa = list_images(d.dir_a_), fb = list_images(d.dir_b_);
    if (!fa.ok()) return R::Fail("dataset: " + fa.error);
    if (!fb.ok()) return R::Fail("dataset: " + fb.error);
    std::vector<std::string> only_a, only_b;
    std::set_difference(fa.value.begin(), fa.value.end(), fb.value.begin(), fb.value.end(), std::back_inserter(only_a));
    std::set_difference(fb.value.begin(), fb.value.end(), fa.value.begin(), fa.value.end(), std::back_inserter(only_b));
    if (!only_a.empty() || !only_b.empty()) {
      bool in_a = !only_a.empty();
      const std::string& f = in_a ? only_a[0] : only_b[0];
      size_t more = only_a.size() + only_b.size() - 1;
      return R::Fail("dataset: " + ((in_a ? a : b) / f).string() + " has no partner in " + (in_a ? b : a).string() +
                     (more ? " (and " + std::to_string(more) + " more unpaired files)" : ""));
    }
    d.names_ = std::move(fa.value);
  } else {
    return R::Fail("unknown dataset layout '" + layout + "' (auto, aligned or separate)");
  }
  d.layout_ = layout;
  if (d.names_.empty()) return R::Fail("dataset: no images in " + d.dir_a_);
  if (opt.max_dataset_size && d.names_.size() > opt.max_dataset_size) d.names_.resize(opt.max_dataset_size);
  return r;
}

Result<Sample> Dataset::get(size_t index, int64_t epoch) const {
  using R = Result<Sample>;
  if (index >= names_.size()) return R::Fail("dataset: index " + std::to_string(index) + " out of range");
  const bool btoa = opt_.direction == "BtoA";
  // Channels of the files' A and B sides; the network's input_nc applies to whichever side is its input.
  const int nc_a = btoa ? opt_.output_nc : opt_.input_nc, nc_b = btoa ? opt_.input_nc : opt_.output_nc;
  R r;
  Sample& s = r.value;
  s.name = names_[index];
  Image a, b;
  if (layout_ == "aligned") {
    s.a_path = s.b_path = (fs::path(dir_a_) / names_[index]).string();
    Result<Image> ab = load_image(s.a_path, 3);
    if (!ab.ok()) return R::Fail(ab.error);
    const int w = ab.value.width, h = ab.value.height, w2 = w / 2;
    if (w2 < 1) return R::Fail(s.a_path + ": " + std::to_string(w) + " pixels wide is too narrow for an A|B pair");
    a = crop(ab.value, 0, 0, w2, h);
    b = crop(ab.value, w2, 0, w - w2, h);
  } else {
    s.a_path = (fs::path(dir_a_) / names_[index]).string();
    s.b_path = (fs::path(dir_b_) / names_[index]).string();
    Result<Image> ia = load_image(s.a_path, 3);
    if (!ia.ok()) return R::Fail(ia.error);
    Result<Image> ib = load_image(s.b_path, 3);
    if (!ib.ok()) return R::Fail(ib.error);
    a = std::move(ia.value);
    b = std::move(ib.value);
  }
  if (nc_a == 1) a = to_channels(a, 1);
  if (nc_b == 1) b = to_channels(b, 1);
  std::mt19937 rng = item_rng(opt_.seed, epoch, index);
  const Transform t = random_transform(opt_, a.width, a.height, rng);
  a = apply_transform(a, opt_, t);
  b = apply_transform(b, opt_, t);
  if (t.widen > 0) {
    Image& input = btoa ? b : a;
    input = widen_dark_lines(input, t.widen);
  }
  if (a.width != b.width || a.height != b.height)
    return R::Fail(s.a_path + ": A is " + std::to_string(a.width) + "x" + std::to_string(a.height) + " but B is " +
                   std::to_string(b.width) + "x" + std::to_string(b.height) + " after preprocess " + preprocess_name(opt_.preprocess));
  s.a = image_to_tensor(btoa ? b : a);
  s.b = image_to_tensor(btoa ? a : b);
  if (btoa) std::swap(s.a_path, s.b_path);
  return r;
}

std::vector<size_t> epoch_order(size_t n, uint64_t seed, int64_t epoch, bool shuffle, const std::vector<double>& weights) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return order;
  // The index slot past any item's marks the shuffle's own stream.
  std::mt19937 rng = item_rng(seed, epoch, ~uint64_t(0));
  if (!weights.empty()) {
    std::vector<double> cumulative(n);
    double total = 0;
    for (size_t i = 0; i < n; i++) cumulative[i] = total += std::max(0.0, weights[i]);
    for (size_t& item : order) {
      const double r = total * double(((uint64_t(rng()) << 32) | rng()) >> 11) / double(uint64_t(1) << 53);
      item = size_t(std::upper_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin());
      item = std::min(item, n - 1);
    }
    return order;
  }
  for (size_t i = n; i > 1; i--) {
    uint64_t r = (uint64_t(rng()) << 32) | rng();
    std::swap(order[i - 1], order[size_t(r % i)]);
  }
  return order;
}

Loader::Loader(const Dataset& data, LoaderOptions opt) : data_(data), opt_(opt) {
  opt_.batch_size = std::max(1, opt_.batch_size);
  opt_.threads = std::max(1, opt_.threads);
  opt_.world_size = std::max(1, opt_.world_size);
  if (opt_.prefetch <= 0) opt_.prefetch = 2 * opt_.threads;
  const size_t n = data_.size(), k = size_t(opt_.batch_size);
  if (opt_.rank < 0 || opt_.rank >= opt_.world_size) return;  // no batches: next() says why
  items_per_epoch_ = (n + size_t(opt_.world_size) - 1) / size_t(opt_.world_size);
  batches_per_epoch_ = opt_.drop_last ? items_per_epoch_ / k : (items_per_epoch_ + k - 1) / k;
  if (batches_per_epoch_ == 0) return;
  for (int t = 0; t < opt_.threads; t++) workers_.emplace_back([this] { work(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  space_cv_.notify_all();
  ready_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

std::shared_ptr<const std::vector<size_t>> Loader::order(int64_t epoch) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = orders_.find(epoch);
    if (it != orders_.end()) return it->second;
  }
  auto made = std::make_shared<const std::vector<size_t>>(epoch_order(data_.size(), data_.options().seed, epoch, opt_.shuffle, opt_.weights));
  std::lock_guard<std::mutex> l(mu_);
  return orders_.emplace(epoch, made).first->second;  // another worker may have put its equal copy first
}

Batch Loader::build(uint64_t seq) {
  Batch b;
  b.epoch = opt_.first_epoch + int64_t(seq / batches_per_epoch_);
  b.iteration = size_t(seq % batches_per_epoch_);
  b.last_in_epoch = b.iteration + 1 == batches_per_epoch_;
  std::shared_ptr<const std::vector<size_t>> ord = order(b.epoch);
  const size_t k = size_t(opt_.batch_size), begin = b.iteration * k, end = std::min(begin + k, items_per_epoch_);
  std::vector<Sample> samples;
  for (size_t j = begin; j < end; j++) {
    // This rank's j-th item of the padded order (DistributedSampler's indices[rank::world_size]).
    size_t idx = (*ord)[(size_t(opt_.rank) + j * size_t(opt_.world_size)) % ord->size()];
    Result<Sample> s = data_.get(idx, b.epoch);
    if (!s.ok() && opt_.skip_unreadable) {
      b.skipped.push_back(s.error);
      continue;
    }
    if (!s.ok()) {
      b.error = s.error;
      return b;
    }
    b.indices.push_back(idx);
    b.names.push_back(s.value.name);
    b.a_paths.push_back(s.value.a_path);
    b.b_paths.push_back(s.value.b_path);
    samples.push_back(std::move(s.value));
  }
  if (samples.empty()) return b;
  for (size_t i = 1; i < samples.size(); i++)
    if (samples[i].a.shape != samples[0].a.shape || samples[i].b.shape != samples[0].b.shape) {
      b.error = "cannot batch " + samples[0].a_path + " " + shape_str(samples[0].a.shape) + " with " +
                samples[i].a_path + " " + shape_str(samples[i].a.shape) +
                ": sizes differ (use batch_size 1 or a preprocess that crops to one size)";
      return b;
    }
  auto stack = [&](Tensor Sample::*field) {
    Shape s = (samples[0].*field).shape;
    s[0] = int64_t(samples.size());
    Tensor t(s);
    size_t per = (samples[0].*field).data.size();
    for (size_t i = 0; i < samples.size(); i++)
      std::memcpy(t.data.data() + i * per, (samples[i].*field).data.data(), per * sizeof(float));
    return t;
  };
  b.a = stack(&Sample::a);
  b.b = stack(&Sample::b);
  return b;
}

void Loader::work() {
  for (;;) {
    uint64_t seq;
    {
      std::unique_lock<std::mutex> l(mu_);
      space_cv_.wait(l, [&] { return stop_ || claimed_ < consumed_ + uint64_t(opt_.prefetch); });
      if (stop_) return;
      seq = claimed_++;
    }
    Batch b = build(seq);
    {
      std::lock_guard<std::mutex> l(mu_);
      ready_.emplace(seq, std::move(b));
    }
    ready_cv_.notify_all();
  }
}

Batch Loader::next() {
  if (batches_per_epoch_ == 0) {
    Batch b;
    b.error = opt_.rank < 0 || opt_.rank >= opt_.world_size
                  ? "loader: rank " + std::to_string(opt_.rank) + " outside world size " + std::to_string(opt_.world_size)
                  : "loader: " + std::to_string(data_.size()) + " items make no batch of " + std::to_string(opt_.batch_size) +
                        (opt_.drop_last ? " (drop_last)" : "");
    return b;
  }
  std::unique_lock<std::mutex> l(mu_);
  ready_cv_.wait(l, [&] { return ready_.count(consumed_) != 0; });
  auto it = ready_.find(consumed_);
  Batch b = std::move(it->second);
  ready_.erase(it);
  consumed_++;
  // Orders of finished epochs are no longer needed.
  while (!orders_.empty() && orders_.begin()->first < b.epoch) orders_.erase(orders_.begin());
  l.unlock();
  space_cv_.notify_all();
  return b;
}

int colour_class(const Image& rgb) {
  std::array<size_t, kColourClasses> votes{};
  for (int y = 0; y < rgb.height; y++)
    for (int x = 0; x < rgb.width; x++) {
      const uint8_t* p = rgb.at(x, y);
      const int r = p[0], g = rgb.channels >= 3 ? p[1] : r, b = rgb.channels >= 3 ? p[2] : r;
      const int hi = std::max({r, g, b}), lo = std::min({r, g, b});
      if (lo > 235) continue;  // the paper
      if (hi == 0 || hi - lo < hi / 4) {
        votes[0]++;
        continue;
      }
      const float d = float(hi - lo);
      float h = hi == r ? (float(g - b) / d) : hi == g ? 2.0f + float(b - r) / d : 4.0f + float(r - g) / d;  // sixths
      h = std::fmod(h * 60.0f + 375.0f, 360.0f);  // degrees, shifted half a bin so bin 0 is centred on red
      votes[1 + int(h / 30.0f) % 12]++;
    }
  const size_t coloured = std::accumulate(votes.begin() + 1, votes.end(), size_t(0));
  if (votes[0] >= coloured) return 0;
  return int(std::max_element(votes.begin() + 1, votes.end()) - votes.begin());
}

Result<std::vector<double>> colour_balance_weights(const Dataset& data, std::vector<size_t>* counts) {
  std::vector<int> cls(data.size());
  std::vector<size_t> n(kColourClasses, 0);
  for (size_t i = 0; i < data.size(); i++) {
    Result<Sample> s = data.get(i);
    if (!s.ok()) return Result<std::vector<double>>::Fail(s.error);
    n[size_t(cls[i] = colour_class(tensor_to_image(s.value.b)))]++;
  }
  std::vector<double> w(data.size());
  for (size_t i = 0; i < data.size(); i++) w[i] = 1.0 / std::sqrt(double(n[size_t(cls[i])]));
  if (counts) *counts = n;
  return {w, ""};
}

}  // namespace p2p
