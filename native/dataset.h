// Paired datasets for the trainer and the test command: the aligned (A|B) and separate (A/, B/) layouts,
// the reference's preprocessing (same crop and flip for A and B), and a threaded prefetching batch loader.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "shared/image.h"
#include "shared/status.h"
#include "shared/tensor.h"

namespace p2p {

// Image files by extension (case-insensitive): png, jpg, jpeg, bmp, ppm, pgm, tga (what stb decodes of
// the reference's IMG_EXTENSIONS).
bool is_image_file(const std::string& name);
// Image files under dir, as '/'-separated paths relative to dir, sorted. Fails naming dir when it is not a folder.
Result<std::vector<std::string>> list_images(const std::string& dir, bool recursive = true);

// The reference's --preprocess choices, parsed once where options are read.
enum class Preprocess { ResizeAndCrop, Crop, ScaleWidth, ScaleWidthAndCrop, None };
const std::vector<std::string>& preprocess_names();  // in the enum's order, for option tables
const char* preprocess_name(Preprocess p);
Result<Preprocess> parse_preprocess(const std::string& name);  // fails with one line listing the choices

// Options under the reference's names (train/test options of pytorch-CycleGAN-and-pix2pix).
struct DatasetOptions {
  std::string dataroot;
  std::string phase = "train";              // the subfolder: train, val, test, ...
  std::string layout = "auto";              // auto | aligned | separate (see Dataset::open)
  std::string direction = "AtoB";           // AtoB | BtoA
  int input_nc = 3, output_nc = 3;          // 1: grayscale (PIL "L"), 3: RGB; of the network, after direction
  Preprocess preprocess = Preprocess::ResizeAndCrop;
  int load_size = 286, crop_size = 256;
  bool flip = true;                         // random horizontal flip (the reference's not no_flip)
  float zoom_out = 1.0f;                    // shrink each pair by a random factor in [zoom_out, 1] onto white
                                            // paper of its size, at a random place (1: off, as the reference)
  int widen_lines = 0;                      // the input's dark lines widened by a random 0..widen_lines px
  size_t max_dataset_size = 0;              // 0: all; else the first N in sorted order
  uint64_t seed = 0;
};

// The dataset options that train's and test's option structs name alike (dataroot, phase, layout, direction,
// preprocess, load_size, crop_size, max_dataset_size, seed); the caller sets channels and flip.
template <class CommandOptions>
Result<DatasetOptions> dataset_options(const CommandOptions& t) {
  Result<Preprocess> preprocess = parse_preprocess(t.preprocess);
  if (!preprocess.ok()) return Result<DatasetOptions>::Fail(preprocess.error);
  DatasetOptions d;
  d.dataroot = t.dataroot, d.phase = t.phase, d.layout = t.layout, d.direction = t.direction;
  d.preprocess = preprocess.value, d.load_size = t.load_size, d.crop_size = t.crop_size;
  d.max_dataset_size = size_t(t.max_dataset_size), d.seed = uint64_t(t.seed);
  return {d, ""};
}

// One preprocessing draw, shared by A and B of a pair (the reference's get_params).
struct Transform {
  int crop_x = 0, crop_y = 0;
  bool flip = false;
  float zoom = 1.0f, zoom_x = 0.0f, zoom_y = 0.0f;  // zoom_out: the scale, and where the picture goes (a
                                                     // fraction of the room left on each axis)
  int widen = 0;                                     // widen_lines: px added to the input's lines
};
// Draws x, y, flip in the reference's order from rng, for an A image of width x height; then, with
// zoom_out < 1 only, the zoom and its place; then, with widen_lines > 0 only, the widening.
Transform random_transform(const DatasetOptions& opt, int width, int height, std::mt19937& rng);
// Resize / scale_width / crop / make-multiple-of-4 / flip as the reference's get_transform (bicubic), then
// the zoom-out: the picture shrunk (bicubic) onto white of the same size.
Image apply_transform(const Image& img, const DatasetOptions& opt, const Transform& t);
// Dark lines on light paper drawn px pixels wider: each pixel the darkest of a (px+1) x (px+1) window around it.
Image widen_dark_lines(const Image& img, int px);
// The output size apply_transform gives an image of width x height (ignoring the flip).
std::pair<int, int> transformed_size(const DatasetOptions& opt, int width, int height);

// One pair, already swapped for BtoA: a is the network input (real_A, input_nc channels), b the target
// (real_B, output_nc channels), each [1, C, H, W] float in [-1, 1].
struct Sample {
  Tensor a, b;
  std::string a_path, b_path;  // the files they came from (the same A|B file in the aligned layout)
  std::string name;            // relative path of the pair inside its phase folder, e.g. "x.png"
};

class Dataset {
 public:
  // Layouts: aligned = dataroot/<phase>/**/*.{png,jpg,...}, each A|B side by side (A on the left; an odd
  // width gives B one column more, as the reference's crop does). separate = dataroot/A/<phase>/ and
  // dataroot/B/<phase>/ (the folders `pix2pix combine` reads), or else dataroot/<phase>A/ and
  // dataroot/<phase>B/, pairs matched by relative path; a file without a partner fails the open, named.
  // auto: aligned when dataroot/<phase> is a folder, else separate.
  static Result<Dataset> open(const DatasetOptions& opt);

  size_t size() const { return names_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
  const DatasetOptions& options() const { return opt_; }
  const std::string& layout() const { return layout_; }  // "aligned" or "separate" once opened

  // The preprocessed pair; random choices from std::mt19937 seeded by (seed, epoch, index), so the same
  // call gives the same pair on any thread. Errors name the file.
  Result<Sample> get(size_t index, int64_t epoch = 0) const;

 private:
  DatasetOptions opt_;
  std::string layout_, dir_a_, dir_b_;
  std::vector<std::string> names_;
};

// The order of one epoch: 0..n-1, shuffled by (seed, epoch) when shuffle (a Fisher-Yates of our own,
// so the order is the same with any standard library). With weights (one per item) and shuffle: n items drawn
// with replacement, each in proportion to its weight.
std::vector<size_t> epoch_order(size_t n, uint64_t seed, int64_t epoch, bool shuffle, const std::vector<double>& weights = {});

// What colour a picture mostly is: 0 when most of its non-white pixels are grey (saturation under 0.25), else
// 1 + the 30-degree hue bin (centred on 0, 30, ..., 330 degrees) holding most of its saturated pixels.
int colour_class(const Image& rgb);
constexpr int kColourClasses = 13;

// Sampling weights that even out the targets' colours: each pair's is 1 / sqrt(the number of pairs whose target
// is of its colour class), so a colour with 4x the pairs is drawn 2x as often, not 4x. Loads every pair once;
// `counts` gets the pairs per class.
Result<std::vector<double>> colour_balance_weights(const Dataset& data, std::vector<size_t>* counts = nullptr);

struct LoaderOptions {
  int batch_size = 1;
  int threads = 4;        // worker threads (the reference's num_threads)
  int prefetch = 0;       // batches ready ahead of the consumer; 0: 2 per thread
  bool shuffle = true;    // false: the reference's serial_batches
  bool drop_last = false;
  int rank = 0, world_size = 1;  // data-parallel: this rank takes order[rank::world_size], padded
                                 // from the start to equal length as torch's DistributedSampler
  int64_t first_epoch = 1;       // the epoch the first batch belongs to (resume: the epoch_count)
  bool skip_unreadable = false;  // an item that fails to load is left out of its batch (Batch::skipped), not an error
  std::vector<double> weights;   // with shuffle: each epoch's items drawn with replacement in proportion to these
};

// K pairs stacked: a and b are [K, C, H, W]. error non-empty when an item could not be loaded or the
// items' sizes differ (preprocess none / scale_width with mixed sizes); then the tensors are empty.
// With skip_unreadable, items that could not be loaded are in `skipped` instead (a batch may then be empty).
struct Batch {
  Tensor a, b;
  std::vector<size_t> indices;
  std::vector<std::string> names, a_paths, b_paths;
  std::vector<std::string> skipped;  // why each skipped item could not be loaded (the message names its file)
  int64_t epoch = 0;
  size_t iteration = 0;  // batch number within the epoch, from 0
  bool last_in_epoch = false;
  std::string error;
};

// Worker threads load batches ahead, epoch after epoch without a pause between epochs, keeping at most
// `prefetch` batches ready; next() hands them out in order. The destructor stops and joins the workers.
// The dataset must outlive the loader.
class Loader {
 public:
  Loader(const Dataset& data, LoaderOptions opt);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  size_t batches_per_epoch() const { return batches_per_epoch_; }
  size_t items_per_epoch() const { return items_per_epoch_; }  // this rank's items
  Batch next();  // blocks until the next batch in sequence is ready

 private:
  void work();
  Batch build(uint64_t seq);
  std::shared_ptr<const std::vector<size_t>> order(int64_t epoch);

  const Dataset& data_;
  LoaderOptions opt_;
  size_t items_per_epoch_ = 0, batches_per_epoch_ = 0;
  std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  uint64_t claimed_ = 0, consumed_ = 0;
  std::map<uint64_t, Batch> ready_;
  std::map<int64_t, std::shared_ptr<const std::vector<size_t>>> orders_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace p2p
