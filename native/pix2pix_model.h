// The pix2pix objective on a generator and a PatchGAN discriminator, written out as the reference does:
// D is stepped first on (A, G(A)) vs (A, B), then G on GAN + lambda * L1. The Lua reference's ablation
// switches (use_GAN, use_L1, condition_GAN) select L1 alone, GAN, cGAN, L1+GAN or L1+cGAN.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "native/adam.h"
#include "native/distributed.h"
#include "native/torch_graph.h"
#include "shared/models.h"
#include "shared/status.h"

namespace p2p {

// The reference's --gan_mode: BCE on logits, MSE (LSGAN), or Wasserstein (with an optional gradient penalty).
enum class GanMode { Vanilla, LsGan, WganGp };
const std::vector<std::string>& gan_mode_names();  // in the enum's order, for option tables
Result<GanMode> parse_gan_mode(const std::string& name);

struct ObjectiveOptions {
  GanMode gan_mode = GanMode::Vanilla;
  float lambda_L1 = 100.0f;
  float lambda_gp = 0.0f;  // wgangp: gradient penalty weight (0, as the reference pix2pix; 10 in the WGAN-GP paper)
  bool use_GAN = true, use_L1 = true, condition_GAN = true;
  float lr = 0.0002f, beta1 = 0.5f;
};

struct Losses {
  float G_GAN = 0, G_L1 = 0, D_real = 0, D_fake = 0;
};

class Pix2PixModel {
 public:
  // D is built only when use_GAN; its input is A and B stacked (condition_GAN) or B alone.
  Pix2PixModel(const ModelSpec& g, const ModelSpec& d, const ObjectiveOptions& opt, torch::Device device);

  Losses optimize(const torch::Tensor& A, const torch::Tensor& B);  // one iteration, both nets in train mode
  torch::Tensor generate(const torch::Tensor& A);                  // G(A) in G's current mode, no grad

  void set_lr(double lr);
  double lr() const { return optG_->lr(); }
  void set_bf16(bool on) { bf16_ = on; }
  // Data-parallel: gradients averaged over the ranks at each step; with sync_bn, BatchNorm on every rank's batch.
  void share_gradients(DataParallel& dp, bool sync_bn);

  GraphModule G{nullptr}, D{nullptr};
  std::unique_ptr<Adam> optG_, optD_;
  ModelSpec g_spec, d_spec;
  ObjectiveOptions opt;
  torch::Device device;

 private:
  torch::Tensor gan_loss(const torch::Tensor& pred, bool real) const;
  torch::Tensor d_input(const torch::Tensor& A, const torch::Tensor& B) const;
  bool bf16_ = false;
  std::unique_ptr<GradientBuckets> shareG_, shareD_;
};

// D's architecture for a generator spec under these options.
ModelSpec discriminator_for(const ModelSpec& g, const std::string& netD, int ndf, int n_layers_D, bool condition_GAN);

}  // namespace p2p
