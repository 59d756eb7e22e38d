// pix2pix stylize: neural style transfer by optimising the image itself (Gatys et al. 2016), with the options
// and defaults of jcjohnson/neural-style: L-BFGS (or Adam), multi-resolution stages, blended styles,
// original colours. The loss network is VGG from a file, or random (no pretrained weights ship).
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "native/commands.h"
#include "native/device_select.h"
#include "native/model_file.h"
#include "native/options.h"
#include "native/progress.h"
#include "native/style_loss.h"
#include "native/torch_graph.h"
#include "shared/image.h"

namespace p2p {

namespace {

struct StylizeOptions {
  std::string content, output = "out.png", init = "random", optimizer = "lbfgs";
  std::vector<std::string> styles, blend, sizes, iterations;
  std::vector<float> blend_weights;  // parsed from blend, one per style
  std::vector<int> stage_sizes, stage_iterations;  // parsed from sizes and iterations, one per stage
  LossFlags loss;
  int image_size = 512, save_iter = 0, seed = -1, print_iter = 0;
  float content_weight = 5, style_weight = 100, tv_weight = 1e-3f, learning_rate = 10, style_scale = 1;
  bool original_colors = false;
  std::string gpu_ids = "0";
};

// The random network's own defaults, measured (docs/style-transfer.md, "Random loss networks"): content is taken at a
// coarse layer with a low weight, since random features reconstruct pixels almost exactly.
constexpr float kRandomContentWeight = 1, kRandomStyleWeight = 10, kRandomTvWeight = 0.1f;

Options make_options(StylizeOptions& o) {
  Options op("stylize", "Neural style transfer by optimisation (Gatys et al.; jcjohnson/neural-style's options).");
  op.text("content", &o.content, "FILE", "content image (also --content_image)");
  op.text("content_image", &o.content, "FILE", "content image");
  op.list("style", &o.styles, "FILE[,FILE]", "style image(s); repeat or separate with commas (also --style_image)");
  op.list("style_image", &o.styles, "FILE[,FILE]", "style image(s)");
  op.list("style_blend_weights", &o.blend, "W,W", "one weight per style image (normalised to sum 1; default equal)");
  op.text("output", &o.output, "FILE", "result (.png or .jpg; also --output_image)");
  op.text("output_image", &o.output, "FILE", "result");
  op.integer("image_size", &o.image_size, "longest side of the result in pixels");
  op.list("sizes", &o.sizes, "S,S,...", "multi-resolution: a stage per size, each starting from the previous result");
  op.list("num_iterations", &o.iterations, "N[,N...]", "iterations (per stage with --sizes; default 1000)");
  op.real("content_weight", &o.content_weight, "content loss weight (random network: 1)");
  op.real("style_weight", &o.style_weight, "style loss weight (random network: 10; its terms are normalised)");
  op.real("tv_weight", &o.tv_weight, "total variation weight (random network: 0.1)");
  op.choice("init", &o.init, {"random", "image"}, "start from noise or from the content image");
  op.choice("optimizer", &o.optimizer, {"lbfgs", "adam"}, "L-BFGS (history 100) or Adam");
  op.real("learning_rate", &o.learning_rate, "Adam's learning rate");
  op.flag("original_colors", &o.original_colors, "keep the content's colours (the result's luminance only)");
  op.real("style_scale", &o.style_scale, "style image size relative to the result");
  op.integer("save_iter", &o.save_iter, "write OUTPUT_<iteration>.png every N iterations (0: never)");
  op.integer("print_iter", &o.print_iter, "print the losses every N iterations (0: a progress bar only)");
  op.integer("seed", &o.seed, "random seed (-1: drawn and printed)");
  add_loss_flags(op, o.loss, "taps (content: relu4_2; style: relu1_1,relu2_1,relu3_1,relu4_1,relu5_1)");
  op.text("gpu_ids", &o.gpu_ids, "IDS", "CUDA device (-1: the CPU)");
  return op;
}

Result<std::vector<int>> positive_ints(const std::vector<std::string>& v, const char* what) {
  std::vector<int> out;
  for (const std::string& s : v) {
    char* end = nullptr;
    long x = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end || x < 1 || x > 100000)
      return Result<std::vector<int>>::Fail(std::string(what) + " expects positive integers, got '" + s + "'");
    out.push_back(int(x));
  }
  return {out, ""};
}

// An image resized so that its longest side is `longest` (bicubic), as an RGB [0, 255] tensor.
torch::Tensor image_at(const Image& img, int longest, torch::Device device) {
  const double s = double(longest) / std::max(img.width, img.height);
  const int w = std::max(1, int(img.width * s + 0.5)), h = std::max(1, int(img.height * s + 0.5));
  Image r = (w == img.width && h == img.height) ? img : resize_bicubic(img, w, h);
  return to_torch(image_to_tensor(r, 0.0f, 255.0f)).to(device);
}

// The result's luminance with the content's chroma (YCbCr, BT.601), both RGB [0, 255].
torch::Tensor keep_colors(const torch::Tensor& result, const torch::Tensor& content) {
  auto channels = [](const torch::Tensor& x) { return x.unbind(1); };
  auto r = channels(result), c = channels(content);
  torch::Tensor y = 0.299 * r[0] + 0.587 * r[1] + 0.114 * r[2];
  torch::Tensor cb = -0.168736 * c[0] - 0.331264 * c[1] + 0.5 * c[2];
  torch::Tensor cr = 0.5 * c[0] - 0.418688 * c[1] - 0.081312 * c[2];
  return torch::stack({y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb}, 1).clamp(0, 255);
}

struct Stage {
  torch::Tensor content;              // RGB [0, 255]
  std::vector<torch::Tensor> styles;  // RGB [0, 255]
};

class Stylizer {
 public:
  Stylizer(const StylizeOptions& o, LossNet& net, PngText meta) : o_(o), net_(net), meta_(std::move(meta)) {}

  // Optimises x (RGB [0, 255]) for `iterations` evaluations of the loss.
  Status run(torch::Tensor& x, const Stage& s, int iterations, const std::string& label);
  float first[3] = {0, 0, 0}, last[3] = {0, 0, 0};  // content, style, tv: the stage's first and last evaluation

 private:
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& content_image, float parts[3]);
  const StylizeOptions& o_;
  LossNet& net_;
  PngText meta_;
  std::vector<torch::Tensor> content_targets_, gram_targets_;
};

torch::Tensor Stylizer::loss(const torch::Tensor& x, const torch::Tensor& content_image, float parts[3]) {
  StyleWeights w{o_.content_weight, o_.style_weight, o_.tv_weight, net_.random()};
  StyleTerms t = style_terms(net_.features(x), o_.loss.content_layers.size(), content_targets_, gram_targets_, x, content_image, w);
  parts[0] = t.content.item<float>(), parts[1] = t.style.item<float>(), parts[2] = t.tv.item<float>();
  return t.total();
}

Status Stylizer::run(torch::Tensor& x, const Stage& s, int iterations, const std::string& label) {
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> f = net_.features(s.content);
    content_targets_.assign(f.begin(), f.begin() + long(o_.loss.content_layers.size()));
  }
  gram_targets_ = blended_grams(net_, s.styles, o_.blend_weights, o_.loss.content_layers.size());

  x = x.detach().clone().set_requires_grad(true);
  Progress progress(label, iterations, "it");
  int evaluations = 0;
  std::string error;
  auto evaluate = [&]() -> torch::Tensor {
    float parts[3];
    // Normalised terms are O(1) over pixels in [0, 255]: gradients of ~1e-6 per pixel fall under L-BFGS's
    // fixed curvature threshold (y.s > 1e-10) and it crawls. Scaling by the pixel count moves no optimum.
    torch::Tensor l = loss(x, s.content, parts) * (net_.random() ? double(x.numel()) : 1.0);
    l.backward();
    std::copy(parts, parts + 3, last);
    if (evaluations++ == 0) std::copy(parts, parts + 3, first);
    char text[160];
    std::snprintf(text, sizeof text, "loss %.4g (content %.4g, style %.4g, tv %.4g)", parts[0] + parts[1] + parts[2],
                  parts[0], parts[1], parts[2]);
    progress.update(evaluations, text, o_.print_iter > 0 && evaluations % o_.print_iter == 0);
    if (o_.save_iter > 0 && evaluations % o_.save_iter == 0 && evaluations < iterations) {
      torch::NoGradGuard no_grad;
      torch::Tensor y = x.detach().clamp(0, 255);
      if (o_.original_colors) y = keep_colors(y, s.content);
      std::string path = o_.output;
      size_t dot = path.rfind('.');
      path = path.substr(0, dot) + "_" + std::to_string(evaluations) + ".png";
      if (Status st = save_png(path, tensor_to_image(from_torch(y.cpu()), 0, 255), meta_); !st.ok()) error = st.error;
    }
    return l;
  };
  if (o_.optimizer == "lbfgs") {
    // neural-style's setting: no tolerances, so `iterations` evaluations. Should L-BFGS still stop early (its
    // curvature test), it is restarted on the rest; a restart that cannot move ends the stage, said once.
    while (evaluations < iterations && error.empty()) {
      const int before = evaluations;
      torch::optim::LBFGS opt({x}, torch::optim::LBFGSOptions(1).max_iter(iterations - evaluations)
                                       .max_eval(iterations - evaluations).history_size(100)
                                       .tolerance_grad(-1).tolerance_change(-1));
      opt.step([&] {
        opt.zero_grad();
        return evaluate();
      });
      if (evaluations - before <= 1) {
        progress.say("L-BFGS stalled after " + std::to_string(evaluations) + " of " + std::to_string(iterations) +
                     " evaluations (the loss no longer moves); the stage ends there");
        break;
      }
    }
  } else {
    torch::optim::Adam opt({x}, torch::optim::AdamOptions(o_.learning_rate));
    for (int i = 0; i < iterations && error.empty(); i++) {
      opt.zero_grad();
      evaluate();
      opt.step();
    }
  }
  progress.end();
  if (!error.empty()) return Status::Fail(error);
  x = x.detach();
  return Status::Ok();
}

// Checks the options and fills in what depends on others (weights, layers, stages, seed); a usage error fails.
Status settle_options(StylizeOptions& o, const Options& op) {
  if (o.content.empty()) return Status::Fail("--content FILE is required");
  if (o.styles.empty()) return Status::Fail("--style FILE is required");
  if (!o.blend.empty() && o.blend.size() != o.styles.size())
    return Status::Fail("--style_blend_weights has " + std::to_string(o.blend.size()) + " weights for " +
                        std::to_string(o.styles.size()) + " style images");
  for (const std::string& b : o.blend) {
    char* end = nullptr;
    float w = std::strtof(b.c_str(), &end);
    if (b.empty() || *end || !(w >= 0)) return Status::Fail("--style_blend_weights expects numbers >= 0, got '" + b + "'");
    o.blend_weights.push_back(w);
  }
  if (o.blend_weights.empty()) o.blend_weights.assign(o.styles.size(), 1.0f);
  float total = 0;
  for (float w : o.blend_weights) total += w;
  if (!(total > 0)) return Status::Fail("--style_blend_weights must not all be 0");
  if (o.sizes.empty()) o.sizes = {std::to_string(o.image_size)};
  if (o.iterations.empty()) o.iterations = {"1000"};
  Result<std::vector<int>> sizes = positive_ints(o.sizes, "--sizes");
  Result<std::vector<int>> iters = positive_ints(o.iterations, "--num_iterations");
  if (!sizes.ok()) return Status::Fail(sizes.error);
  if (!iters.ok()) return Status::Fail(iters.error);
  if (iters.value.size() != 1 && iters.value.size() != sizes.value.size())
    return Status::Fail("--num_iterations needs one value or one per --sizes stage");
  for (int s : sizes.value)
    if (s < 16 || s > 8192) return Status::Fail("image sizes must be between 16 and 8192 pixels, got " + std::to_string(s));
  o.stage_sizes = sizes.value;
  for (size_t i = 0; i < sizes.value.size(); i++) o.stage_iterations.push_back(iters.value[iters.value.size() == 1 ? 0 : i]);
  if (!(o.style_scale > 0 && o.style_scale <= 8)) return Status::Fail("--style_scale must be in (0, 8]");
  if (o.loss.random()) {
    if (!op.given("content_weight")) o.content_weight = kRandomContentWeight;
    if (!op.given("style_weight")) o.style_weight = kRandomStyleWeight;
    if (!op.given("tv_weight")) o.tv_weight = kRandomTvWeight;
  }
  if (o.loss.content_layers.empty()) o.loss.content_layers = {"relu4_2"};
  if (o.loss.style_layers.empty()) o.loss.style_layers = {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
  if (o.seed < 0) o.seed = int(std::random_device{}() & 0x7fffffff);
  return Status::Ok();
}

// The stages one after the other, each starting from the previous result resized: the result, RGB [0, 255].
Result<torch::Tensor> run_stages(const StylizeOptions& o, Stylizer& stylizer, const Image& content,
                                 const std::vector<Image>& styles, torch::Device device) {
  torch::manual_seed(uint64_t(o.seed));
  torch::Tensor x;
  const size_t n = o.stage_sizes.size();
  for (size_t i = 0; i < n; i++) {
    const int size = o.stage_sizes[i];
    Stage s;
    s.content = image_at(content, size, device);
    for (const Image& img : styles) s.styles.push_back(image_at(img, std::max(16, int(size * o.style_scale)), device));
    const int64_t h = s.content.size(2), w = s.content.size(3);
    if (!x.defined()) {
      x = o.init == "image" ? s.content.clone()
                            : torch::randn({1, 3, h, w}, torch::TensorOptions().device(device)) * 0.001 + 127.5;
    } else {
      x = torch::upsample_bilinear2d(x, {h, w}, false);
    }
    const std::string dims = std::to_string(w) + "x" + std::to_string(h);
    const std::string label = n > 1 ? "stage " + std::to_string(i + 1) + "/" + std::to_string(n) + " (" + dims + ")" : dims;
    if (Status st = stylizer.run(x, s, o.stage_iterations[i], label); !st.ok()) return Result<torch::Tensor>::Fail(st.error);
    if (i + 1 == n && o.original_colors) x = keep_colors(x.clamp(0, 255), s.content);
  }
  return {x.clamp(0, 255), ""};
}

}  // namespace

int cmd_stylize(const Args& args) {
  StylizeOptions o;
  Options op = make_options(o);
  if (Status st = op.parse(args); !st.ok()) return fail("stylize", st.error, 2);
  if (op.help_requested()) return std::printf("%s", op.help().c_str()), 0;
  if (Status st = settle_options(o, op); !st.ok()) return fail("stylize", st.error, 2);

  Result<Image> content = load_image(o.content, 3);
  if (!content.ok()) return fail("stylize", content.error);
  std::vector<Image> styles;
  for (const std::string& f : o.styles) {
    Result<Image> s = load_image(f, 3);
    if (!s.ok()) return fail("stylize", s.error);
    styles.push_back(std::move(s.value));
  }
  torch::Device device(torch::kCPU);
  std::string note;
  if (Status st = select_device(o.gpu_ids, device, note); !st.ok()) return fail("stylize", st.error, 2);
  if (!note.empty()) std::printf("%s\n", note.c_str());

  Result<LossNetOptions> lo = o.loss.net_options();
  if (!lo.ok()) return fail("stylize", lo.error, 2);
  Result<LossNet> net;
  try {
    net = LossNet::make(lo.value, device);
  } catch (const std::exception& e) {
    return fail("stylize", one_line(e));
  }
  if (!net.ok()) return fail("stylize", net.error);
  std::printf("loss network: %s%s\n", net.value.description().c_str(),
              net.value.random() ? " -- no pretrained weights given (--vgg FILE): random features, see docs/style-transfer.md" : "");

  PngText meta = {{"Software", "pix2pix-studio stylize"},
                  {"LossNetwork", net.value.description()},
                  {"Seed", std::to_string(o.seed)},
                  {"Options", "content_weight " + std::to_string(o.content_weight) + " style_weight " +
                                  std::to_string(o.style_weight) + " tv_weight " + std::to_string(o.tv_weight) +
                                  " optimizer " + o.optimizer + " init " + o.init}};
  Stylizer stylizer(o, net.value, meta);
  Result<torch::Tensor> x;
  try {
    x = run_stages(o, stylizer, content.value, styles, device);
  } catch (const std::exception& e) {
    return fail("stylize", one_line(e));
  }
  if (!x.ok()) return fail("stylize", x.error);
  Image result = tensor_to_image(from_torch(x.value.cpu()), 0, 255);
  const float *first = stylizer.first, *last = stylizer.last;
  meta.push_back({"Losses", "last stage: content " + std::to_string(first[0]) + " -> " + std::to_string(last[0]) +
                                ", style " + std::to_string(first[1]) + " -> " + std::to_string(last[1]) + ", tv " +
                                std::to_string(first[2]) + " -> " + std::to_string(last[2])});
  const bool jpg = has_extension(o.output, ".jpg") || has_extension(o.output, ".jpeg");
  Status saved = jpg ? save_jpg(o.output, result) : save_png(o.output, result, meta);
  if (!saved.ok()) return fail("stylize", saved.error);
  std::printf("wrote %s (%dx%d; loss network %s, seed %d)\nlast stage losses: content %.6g -> %.6g, style %.6g -> %.6g, "
              "tv %.6g -> %.6g\n", o.output.c_str(), result.width, result.height, net.value.description().c_str(), o.seed,
              first[0], last[0], first[1], last[1], first[2], last[2]);
  return 0;
}

}  // namespace p2p
