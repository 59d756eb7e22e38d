// pix2pix run: one forward pass of a model file on an image or a .npy tensor. Sizes the network
// cannot take are reflect-padded up to the next valid size and the output cropped back, never resized.
#include <ATen/ATen.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <vector>

#include "native/commands.h"
#include "native/model_file.h"
#include "native/options.h"
#include "native/torch_graph.h"
#include "shared/image.h"
#include "shared/npy.h"

namespace p2p {

namespace {

double median(std::vector<double> xs) {
  std::nth_element(xs.begin(), xs.begin() + xs.size() / 2, xs.end());
  return xs[xs.size() / 2];
}

}  // namespace

int cmd_run(const Args& args) {
  std::string model, input, output, norm_mode = "auto", device = "auto";
  bool dropout_noise = false;
  int dropout_seed = 0, repeat = 1, image_size = 0;
  Options o("run", "One forward pass of a model (.safetensors from import or train) on an image or a .npy tensor.");
  o.text("model", &model, "FILE", "model weights with their architecture in the metadata");
  o.text("input", &input, "FILE", "image (.png, .jpg) or float32 tensor (.npy, N x C x H x W or C x H x W)");
  o.text("output", &output, "FILE", "image (.png, .jpg) or tensor (.npy)");
  o.choice("norm-mode", &norm_mode, norm_mode_choices(), kNormModeHelp);
  o.flag("dropout-noise", &dropout_noise, "keep dropout on as noise (the reference protocol)");
  o.integer("dropout-seed", &dropout_seed, "seed of the dropout noise (implies --dropout-noise)");
  o.choice("device", &device, {"auto", "cpu", "cuda"}, "where to run (auto: cuda when available)");
  o.integer("image_size", &image_size, "image input: resize (bicubic) so that the longest side has N pixels (0: as it is)");
  o.integer("repeat", &repeat, "run the pass this many times and print the median time (N > 1: after a warm-up pass)");
  if (Status st = o.parse(args); !st.ok()) return fail("run", st.error, 2);
  if (o.help_requested()) return std::printf("%s", o.help().c_str()), 0;
  if (model.empty() || input.empty() || output.empty()) return fail("run", "--model, --input and --output are required", 2);
  if (repeat < 1) return fail("run", "--repeat must be at least 1", 2);
  if (image_size < 0 || image_size > 16384) return fail("run", "--image_size must be between 0 and 16384", 2);
  bool out_image = is_image_path(output);
  if (!out_image && !has_extension(output, ".npy"))
    return fail("run", "output '" + output + "': use .png, .jpg or .npy", 2);

  Result<ModelFile> m = load_model_file(model);
  if (!m.ok()) return fail("run", m.error, 2);
  const Graph& g = m.value.graph;
  const ValueRange range = value_range(m.value.spec);
  const int in_c = g.input_channels(), out_c = g.output_channels();
  bool image_net = m.value.spec.arch == Arch::Generator || m.value.spec.arch == Arch::Transformer;

  Tensor x;
  if (has_extension(input, ".npy")) {
    Result<Tensor> t = load_npy(input);
    if (!t.ok()) return fail("run", t.error, 2);
    x = std::move(t.value);
    if (x.shape.size() == 3) x.shape.insert(x.shape.begin(), 1);
    if (x.shape.size() != 4 || x.numel() == 0)
      return fail("run", input + ": shape " + shape_str(x.shape) + " is not N x C x H x W", 2);
    if (x.shape[1] != in_c)
      return fail("run", input + ": " + std::to_string(x.shape[1]) + " channels, the network takes " + std::to_string(in_c), 2);
  } else {
    if (in_c != 1 && in_c != 3)
      return fail("run", "the network takes " + std::to_string(in_c) + " channels, not an image: give a .npy tensor", 2);
    Result<Image> img = load_image(input, in_c);  // gray, RGB and RGBA files are converted to what the network takes
    if (!img.ok()) return fail("run", img.error, 2);
    if (image_size > 0) {
      const double k = double(image_size) / std::max(img.value.width, img.value.height);
      const int rw = std::max(1, int(img.value.width * k + 0.5)), rh = std::max(1, int(img.value.height * k + 0.5));
      if (Status st = check_image_size(rw, rh); !st.ok()) return fail("run", "--image_size " + std::to_string(image_size) + " makes a " + st.error, 2);
      img.value = resize_bicubic(img.value, rw, rh);
    }
    x = image_to_tensor(img.value, range.lo, range.hi);
  }
  if (out_image && (!image_net || (out_c != 1 && out_c != 3)))
    return fail("run", "the output has " + std::to_string(out_c) + " channels and is no image: write .npy", 2);

  const int64_t h = x.shape[2], w = x.shape[3];
  SizeRule rule = valid_sizes(g);
  if (rule.multiple == 0) return fail("run", "the network takes no input size up to 4096", 2);
  const Tensor padded = pad_to_fit(x, rule);
  const int64_t ph = padded.shape[2], pw = padded.shape[3];
  if (Result<ShapeInfo> s = infer_shapes(g, ph, pw, x.shape[0]); !s.ok()) return fail("run", s.error, 2);

  const NormMode mode = chosen_norm_mode(norm_mode, m.value.spec);
  RunMode run = RunMode::eval(mode);
  run.dropout_noise = dropout_noise || o.given("dropout-seed");
  run.dropout_seed = dropout_seed;

  Tensor y;
  std::vector<double> times;
  try {
    torch::Device dev = device == "cuda" || (device == "auto" && torch::cuda::is_available()) ? torch::kCUDA : torch::kCPU;
    GraphModule net(g);
    if (Status st = net->load_weights(m.value.weights); !st.ok()) return fail("run", st.error, 2);
    m.value.weights.clear();
    net->set_mode(run);
    net->to(dev);
    torch::NoGradGuard no_grad;
    torch::Tensor in = to_torch(padded).to(dev);
    torch::Tensor out;
    for (int i = 0; i < repeat + (repeat > 1); i++) {
      auto t0 = std::chrono::steady_clock::now();
      out = net->forward(in);
      if (dev.is_cuda()) torch::cuda::synchronize();
      if (i > 0 || repeat == 1) times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (out.size(2) == ph && out.size(3) == pw) out = out.narrow(2, 0, h).narrow(3, 0, w);  // crop the padding off
    y = from_torch(out);
  } catch (const std::exception& e) {
    return fail("run", one_line(e));
  }

  Status saved = out_image ? (has_extension(output, ".png") ? save_png(output, tensor_to_image(y, range.lo, range.hi))
                                                        : save_jpg(output, tensor_to_image(y, range.lo, range.hi)))
                           : save_npy(output, y);
  if (!saved.ok()) return fail("run", saved.error);
  std::printf("%s -> %s %s (%s%s%s, %.1f ms per pass)\n", input.c_str(), output.c_str(), shape_str(y.shape).c_str(),
              m.value.spec.describe().c_str(), mode == NormMode::BatchStats ? ", batch statistics" : "",
              run.dropout_noise ? ", dropout noise" : "", median(times));
  return 0;
}

}  // namespace p2p
