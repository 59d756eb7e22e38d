// The losses of neural style transfer (Gatys et al. 2016; Johnson et al. 2016) and the network they are
// measured in: a VGG-16/19 feature stack, either from a file (torchvision or Caffe weights) or random.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "native/options.h"
#include "native/torch_graph.h"
#include "shared/status.h"

namespace p2p {

// Gram matrix F F^T / (C H W) of N x C x H x W features: N x C x C.
torch::Tensor gram(const torch::Tensor& features);
// Mean squared difference (the reference's MSE criterion).
torch::Tensor mse(const torch::Tensor& a, const torch::Tensor& b);
// Total variation: sum of squared differences between neighbouring pixels, divided by the batch size.
torch::Tensor total_variation(const torch::Tensor& image);

enum class VggPreprocess {
  Torchvision,  // RGB in [0, 1], ImageNet mean and std (torchvision's checkpoints)
  Caffe,        // BGR in [0, 255], mean subtracted (the Caffe conversions neural-style uses)
};
Result<VggPreprocess> parse_vgg_preprocess(const std::string& s);  // "torchvision" | "caffe"

struct LossNetOptions {
  int depth = 19;                 // 16 or 19
  std::string file;               // torchvision-style .pth or .safetensors (features.N.weight/bias); empty: random
  VggPreprocess preprocess = VggPreprocess::Torchvision;
  int64_t seed = 1;               // random weights
  int width = 32;                 // random weights: channels of block 1 (the others 2x, 4x, 8x, 8x)
  std::vector<std::string> taps;  // e.g. relu1_1 ... relu5_1 and relu4_2
};

// The loss-network options both style commands take: --vgg, --vgg_preprocess, --vgg_depth, --loss_width,
// --loss_seed, --content_layers, --style_layers (empty layer lists: the command's defaults).
struct LossFlags {
  std::string vgg, vgg_preprocess = "torchvision";
  int vgg_depth = 19, loss_width = 32, loss_seed = 1;
  std::vector<std::string> content_layers, style_layers;
  bool random() const { return vgg.empty(); }
  Result<LossNetOptions> net_options() const;  // taps: content layers, then style layers
};
void add_loss_flags(Options& op, LossFlags& f, const char* layers_help);
void append_loss_args(const LossFlags& f, std::vector<std::string>& args);  // as --name value pairs

// A frozen VGG feature stack: images in [0, 255] RGB, features at the taps in the order asked.
class LossNet {
 public:
  static Result<LossNet> make(const LossNetOptions& opt, torch::Device device);

  // The taps' features of x (N x 3 x H x W, RGB in [0, 255]).
  std::vector<torch::Tensor> features(const torch::Tensor& x);
  // "random VGG-19 (width 32, seed 1)" or "VGG-19 weights.pth (caffe preprocessing)".
  const std::string& description() const { return description_; }
  bool random() const { return opt_.file.empty(); }
  const LossNetOptions& options() const { return opt_; }

 private:
  LossNetOptions opt_;
  GraphModule net_{nullptr};
  std::vector<int> order_;  // taps as asked -> position among the graph's outputs
  torch::Tensor mean_, scale_;
  std::string description_;
};

// Gram targets of style images, blended: sum_i w_i G_i(style_i) per tap (weights normalised to sum 1).
std::vector<torch::Tensor> blended_grams(LossNet& net, const std::vector<torch::Tensor>& styles,
                                         const std::vector<float>& weights, size_t first_style_tap);

// The weighted objective of both style commands. Normalised (the random network's mode), each term is
// relative to its target's own size: content by the mean square of the content features, each style tap by
// the mean square of its target Gram, total variation by the content image's own; so the weights mean the
// same for any loss network, image size or feature scale. Otherwise the reference's raw sums.
struct StyleWeights {
  float content = 5, style = 100, tv = 1e-3f;
  bool normalized = false;
  // Data-parallel: the normalising magnitudes averaged over the ranks, so that N ranks share one loss.
  std::function<torch::Tensor(const torch::Tensor&)> mean_over_ranks;
};
struct StyleTerms {
  torch::Tensor content, style, tv;
  torch::Tensor total() const { return content + style + tv; }
};
// features: the image's taps, content taps first (n_content of them); gram_targets: one per style tap
// (batch 1, broadcast over the image's batch).
StyleTerms style_terms(const std::vector<torch::Tensor>& features, size_t n_content,
                       const std::vector<torch::Tensor>& content_targets, const std::vector<torch::Tensor>& gram_targets,
                       const torch::Tensor& image, const torch::Tensor& content_image, const StyleWeights& w);

}  // namespace p2p
