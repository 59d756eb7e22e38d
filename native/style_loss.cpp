#include "native/style_loss.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "native/model_file.h"
#include "shared/models.h"
#include "shared/safetensors.h"
#include "shared/torch_checkpoint.h"

namespace p2p {

torch::Tensor gram(const torch::Tensor& f) {
  const int64_t n = f.size(0), c = f.size(1), hw = f.size(2) * f.size(3);
  torch::Tensor flat = f.reshape({n, c, hw});
  return torch::bmm(flat, flat.transpose(1, 2)) / double(c * hw);
}

torch::Tensor mse(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).pow(2).mean(); }

torch::Tensor total_variation(const torch::Tensor& x) {
  using torch::indexing::Slice;
  torch::Tensor dy = x.index({Slice(), Slice(), Slice(1, torch::indexing::None), Slice()}) -
                     x.index({Slice(), Slice(), Slice(torch::indexing::None, -1), Slice()});
  torch::Tensor dx = x.index({Slice(), Slice(), Slice(), Slice(1, torch::indexing::None)}) -
                     x.index({Slice(), Slice(), Slice(), Slice(torch::indexing::None, -1)});
  return (dy.pow(2).sum() + dx.pow(2).sum()) / double(x.size(0));
}

Result<VggPreprocess> parse_vgg_preprocess(const std::string& s) {
  if (s == "torchvision") return {VggPreprocess::Torchvision, ""};
  if (s == "caffe") return {VggPreprocess::Caffe, ""};
  return Result<VggPreprocess>::Fail("unknown VGG preprocessing '" + s + "' (torchvision, caffe)");
}

void add_loss_flags(Options& op, LossFlags& f, const char* layers_help) {
  op.text("vgg", &f.vgg, "FILE", "VGG weights (torchvision .pth or .safetensors, features.N.*); none: a random network");
  op.choice("vgg_preprocess", &f.vgg_preprocess, {"torchvision", "caffe"}, "how the --vgg file expects its input");
  op.integer("vgg_depth", &f.vgg_depth, "16 or 19");
  op.integer("loss_width", &f.loss_width, "random network: channels of its first block");
  op.integer("loss_seed", &f.loss_seed, "random network: seed of its weights");
  op.list("content_layers", &f.content_layers, "L[,L]", layers_help);
  op.list("style_layers", &f.style_layers, "L[,L]", layers_help);
}

void append_loss_args(const LossFlags& f, std::vector<std::string>& a) {
  auto put = [&](const char* k, const std::string& v) { a.push_back(std::string("--") + k), a.push_back(v); };
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  if (!f.vgg.empty()) put("vgg", f.vgg);
  put("vgg_preprocess", f.vgg_preprocess);
  put("vgg_depth", std::to_string(f.vgg_depth)), put("loss_width", std::to_string(f.loss_width));
  put("loss_seed", std::to_string(f.loss_seed));
  if (!f.content_layers.empty()) put("content_layers", join(f.content_layers));
  if (!f.style_layers.empty()) put("style_layers", join(f.style_layers));
}

Result<LossNetOptions> LossFlags::net_options() const {
  Result<VggPreprocess> pre = parse_vgg_preprocess(vgg_preprocess);
  if (!pre.ok()) return Result<LossNetOptions>::Fail(pre.error);
  LossNetOptions o;
  o.depth = vgg_depth, o.file = vgg, o.preprocess = pre.value, o.seed = loss_seed, o.width = loss_width;
  o.taps = content_layers;
  o.taps.insert(o.taps.end(), style_layers.begin(), style_layers.end());
  return {o, ""};
}

namespace {

// The file's tensors that the graph uses (a torchvision file also holds the classifier and deeper layers).
Result<Weights> read_vgg_file(const std::string& path, const Graph& g, int depth) {
  Weights all;
  if (has_extension(path, ".safetensors")) {
    Result<SafetensorsFile> f = load_safetensors(path);
    if (!f.ok()) return Result<Weights>::Fail(f.error);
    all = std::move(f.value.weights);
  } else {
    Result<TorchCheckpoint> f = load_torch_checkpoint(path);
    if (!f.ok()) return Result<Weights>::Fail(f.error);
    all = std::move(f.value.weights);
  }
  Weights used;
  for (const Param& p : parameters(g))
    if (auto it = all.find(p.name); it != all.end()) used[p.name] = std::move(it->second);
  if (Status st = check_weights(g, used); !st.ok())
    return Result<Weights>::Fail(path + " is no VGG-" + std::to_string(depth) + " feature stack: " + st.error);
  return {std::move(used), ""};
}

// He et al. 2015 initialisation (normal, std sqrt(2 / fan_in)), zero biases: keeps the activations' scale
// through the ReLU stack, so every tap carries comparable Gram magnitudes. Drawn on the CPU from one seed.
Weights random_vgg_weights(const Graph& g, int64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(uint64_t(seed));
  Weights w;
  for (const Param& p : parameters(g)) {
    std::vector<int64_t> shape(p.shape.begin(), p.shape.end());
    torch::Tensor t = torch::zeros(shape);
    if (p.kind == ParamKind::Weight) {
      const double fan_in = double(p.shape[1] * p.shape[2] * p.shape[3]);
      t = torch::randn(shape, gen) * std::sqrt(2.0 / fan_in);
    }
    w[p.name] = from_torch(t);
  }
  return w;
}

}  // namespace

Result<LossNet> LossNet::make(const LossNetOptions& opt, torch::Device device) {
  using R = Result<LossNet>;
  if (opt.depth != 16 && opt.depth != 19) return R::Fail("VGG depth must be 16 or 19");
  if (opt.taps.empty()) return R::Fail("no feature taps asked");
  if (opt.width < 1 || opt.width > 512) return R::Fail("loss network width must be between 1 and 512");
  // The graph's outputs come in network order; remember where each asked tap landed.
  Graph g = vgg_features(opt.depth, opt.taps, opt.file.empty() ? opt.width : 64);
  LossNet n;
  n.opt_ = opt;
  for (const std::string& t : opt.taps) {
    int at = -1;
    for (size_t i = 0; i < g.output_names.size(); i++)
      if (g.output_names[i] == t) at = int(i);
    if (at < 0) return R::Fail("VGG-" + std::to_string(opt.depth) + " has no layer '" + t + "'");
    n.order_.push_back(at);
  }
  Weights w;
  if (opt.file.empty()) {
    w = random_vgg_weights(g, opt.seed);
  } else {
    Result<Weights> r = read_vgg_file(opt.file, g, opt.depth);
    if (!r.ok()) return R::Fail(r.error);
    w = std::move(r.value);
  }
  n.net_ = GraphModule(std::move(g));
  if (Status st = n.net_->load_weights(w); !st.ok()) return R::Fail(st.error);
  n.net_->to(device);
  n.net_->set_mode(RunMode::eval());
  for (auto& p : n.net_->parameters()) p.set_requires_grad(false);

  // x in [0, 255] RGB -> the network's input: (x - mean) * scale, channel order per preprocessing.
  const bool caffe = !opt.file.empty() && opt.preprocess == VggPreprocess::Caffe;
  auto opts = torch::TensorOptions().device(device);
  if (caffe) {
    n.mean_ = torch::tensor({123.68f, 116.779f, 103.939f}, opts).view({1, 3, 1, 1});  // RGB order, flipped later
    n.scale_ = torch::ones({1, 3, 1, 1}, opts);
  } else {
    n.mean_ = torch::tensor({0.485f * 255, 0.456f * 255, 0.406f * 255}, opts).view({1, 3, 1, 1});
    n.scale_ = 1.0 / torch::tensor({0.229f * 255, 0.224f * 255, 0.225f * 255}, opts).view({1, 3, 1, 1});
  }
  const std::string vgg = "VGG-" + std::to_string(opt.depth);
  n.description_ = opt.file.empty()
                       ? "random " + vgg + " (width " + std::to_string(opt.width) + ", seed " + std::to_string(opt.seed) + ")"
                       : vgg + " " + base_name(opt.file) + (caffe ? " (caffe preprocessing)" : " (torchvision preprocessing)");
  return {std::move(n), ""};
}

std::vector<torch::Tensor> LossNet::features(const torch::Tensor& x) {
  torch::Tensor in = (x - mean_) * scale_;
  if (!opt_.file.empty() && opt_.preprocess == VggPreprocess::Caffe) in = in.flip({1});  // RGB -> BGR
  std::vector<torch::Tensor> all = net_->forward_all(in);
  std::vector<torch::Tensor> out;
  for (int i : order_) out.push_back(all[i]);
  return out;
}

std::vector<torch::Tensor> blended_grams(LossNet& net, const std::vector<torch::Tensor>& styles,
                                         const std::vector<float>& weights, size_t first_style_tap) {
  torch::NoGradGuard no_grad;
  double total = 0;
  for (float w : weights) total += w;
  std::vector<torch::Tensor> out;
  for (size_t s = 0; s < styles.size(); s++) {
    std::vector<torch::Tensor> f = net.features(styles[s]);
    for (size_t t = first_style_tap; t < f.size(); t++) {
      torch::Tensor g = gram(f[t]) * (weights[s] / total);
      size_t k = t - first_style_tap;
      if (k < out.size()) out[k] = out[k] + g;
      else out.push_back(g);
    }
  }
  return out;
}

StyleTerms style_terms(const std::vector<torch::Tensor>& f, size_t nc, const std::vector<torch::Tensor>& content_targets,
                       const std::vector<torch::Tensor>& gram_targets, const torch::Tensor& image,
                       const torch::Tensor& content_image, const StyleWeights& w) {
  auto shared = [&](const torch::Tensor& magnitude) { return w.mean_over_ranks ? w.mean_over_ranks(magnitude) : magnitude; };
  auto relative = [&](const torch::Tensor& loss, const torch::Tensor& target) {
    return w.normalized ? loss / (shared(target.detach().pow(2).mean()) + 1e-8) : loss;
  };
  StyleTerms t;
  t.content = torch::zeros({}, image.options());
  t.style = torch::zeros({}, image.options());
  for (size_t i = 0; i < nc; i++) t.content = t.content + relative(mse(f[i], content_targets[i]), content_targets[i]);
  for (size_t i = nc; i < f.size(); i++) {
    const torch::Tensor& g = gram_targets[i - nc];
    t.style = t.style + relative(mse(gram(f[i]), g.expand({f[i].size(0), -1, -1})), g);
  }
  t.tv = total_variation(image);
  if (w.normalized) t.tv = t.tv / (shared(total_variation(content_image).detach()) + 1e-8);
  t.content = t.content * w.content, t.style = t.style * w.style, t.tv = t.tv * w.tv;
  return t;
}

}  // namespace p2p
