#include "native/pix2pix_model.h"

#include "native/autocast.h"
#include "shared/choice.h"

namespace p2p {

ModelSpec discriminator_for(const ModelSpec& g, const std::string& netD, int ndf, int n_layers_D, bool condition_GAN) {
  ModelSpec d;
  d.arch = Arch::Discriminator;
  d.net = netD;
  d.ndf = ndf;
  d.n_layers_D = n_layers_D;
  d.norm = g.norm;
  d.input_nc = condition_GAN ? g.input_nc + g.output_nc : g.output_nc;
  d.output_nc = 1;
  return d;
}

Pix2PixModel::Pix2PixModel(const ModelSpec& g, const ModelSpec& d, const ObjectiveOptions& o, torch::Device dev)
    : g_spec(g), d_spec(d), opt(o), device(dev) {
  G = GraphModule(build(g).value);
  G->to(device);
  optG_ = std::make_unique<Adam>(G->named_weights(), o.lr, o.beta1);
  if (o.use_GAN) {
    D = GraphModule(build(d).value);
    D->to(device);
    optD_ = std::make_unique<Adam>(D->named_weights(), o.lr, o.beta1);
  }
}

void Pix2PixModel::share_gradients(DataParallel& dp, bool sync_bn) {
  auto params = [](const GraphModule& net) {
    std::vector<torch::Tensor> p;
    for (const auto& [name, t] : net->named_weights()) p.push_back(t);
    return p;
  };
  shareG_ = std::make_unique<GradientBuckets>(dp, params(G));
  if (D) shareD_ = std::make_unique<GradientBuckets>(dp, params(D));
  if (sync_bn)
    for (GraphModule* net : {&G, &D})
      if (*net) (*net)->set_batch_norm_sync(dp.batch_norm_sync());
}

void Pix2PixModel::set_lr(double lr) {
  optG_->set_lr(lr);
  if (optD_) optD_->set_lr(lr);
}

torch::Tensor Pix2PixModel::d_input(const torch::Tensor& A, const torch::Tensor& B) const {
  return opt.condition_GAN ? torch::cat({A, B}, 1) : B;
}

const std::vector<std::string>& gan_mode_names() {
  static const std::vector<std::string> names = {"vanilla", "lsgan", "wgangp"};
  return names;
}

Result<GanMode> parse_gan_mode(const std::string& name) {
  Result<int> i = parse_choice("gan_mode", name, gan_mode_names());
  return i.ok() ? Result<GanMode>{GanMode(i.value), ""} : Result<GanMode>::Fail(i.error);
}

torch::Tensor Pix2PixModel::gan_loss(const torch::Tensor& pred, bool real) const {
  torch::Tensor p = pred.to(torch::kFloat);
  if (opt.gan_mode == GanMode::WganGp) return real ? -p.mean() : p.mean();
  torch::Tensor target = real ? torch::ones_like(p) : torch::zeros_like(p);
  if (opt.gan_mode == GanMode::LsGan) return torch::mse_loss(p, target);
  return torch::binary_cross_entropy_with_logits(p, target);
}

Losses Pix2PixModel::optimize(const torch::Tensor& A, const torch::Tensor& B) {
  Losses out;
  G->train();
  AutocastScope autocast(bf16_, device);
  torch::Tensor fake = G->forward(A);

  if (opt.use_GAN) {
    D->train();
    for (auto& [name, p] : D->named_weights())
      if (name.find("running_") == std::string::npos) p.requires_grad_(true);
    optD_->zero_grad();
    torch::Tensor loss_fake = gan_loss(D->forward(d_input(A, fake.detach())), false);
    torch::Tensor real_in = d_input(A, B);
    torch::Tensor loss_real = gan_loss(D->forward(real_in), true);
    torch::Tensor loss_D = (loss_fake + loss_real) * 0.5;
    if (opt.gan_mode == GanMode::WganGp && opt.lambda_gp > 0) {  // gradient penalty on points between real and fake
      torch::Tensor alpha = torch::rand({real_in.size(0), 1, 1, 1}, real_in.options());
      torch::Tensor mixed = (alpha * real_in + (1 - alpha) * d_input(A, fake.detach())).requires_grad_(true);
      torch::Tensor pred = D->forward(mixed).to(torch::kFloat);
      torch::Tensor grad = torch::autograd::grad({pred}, {mixed}, {torch::ones_like(pred)}, true, true)[0];
      torch::Tensor gp = ((grad.reshape({grad.size(0), -1}) + 1e-16).norm(2, 1) - 1).pow(2).mean() * double(opt.lambda_gp);
      loss_D = loss_D + gp;
    }
    if (shareD_) shareD_->arm();
    loss_D.backward();
    if (shareD_) shareD_->finish();
    optD_->step();
    out.D_fake = loss_fake.item<float>();
    out.D_real = loss_real.item<float>();
    for (auto& [name, p] : D->named_weights()) p.requires_grad_(false);
  }

  optG_->zero_grad();
  torch::Tensor loss_G = torch::zeros({}, fake.options().dtype(torch::kFloat));
  if (opt.use_GAN) {
    torch::Tensor l = gan_loss(D->forward(d_input(A, fake)), true);
    out.G_GAN = l.item<float>();
    loss_G = loss_G + l;
  }
  if (opt.use_L1) {
    torch::Tensor l = torch::l1_loss(fake.to(torch::kFloat), B) * opt.lambda_L1;
    out.G_L1 = l.item<float>();
    loss_G = loss_G + l;
  }
  if (shareG_) shareG_->arm();
  loss_G.backward();
  if (shareG_) shareG_->finish();
  optG_->step();
  return out;
}

torch::Tensor Pix2PixModel::generate(const torch::Tensor& A) {
  torch::NoGradGuard no_grad;
  return G->forward(A);
}

}  // namespace p2p
