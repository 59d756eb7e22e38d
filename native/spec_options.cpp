#include "native/spec_options.h"

namespace p2p {

void add_spec_options(Options& o, SpecFlags& f) {
  o.choice("arch", &f.arch, {"pix2pix", "transformer", "vgg16", "vgg19"}, "network family");
  o.text("netG", &f.netG, "NAME", "generator: unet_256, unet_128, unet_<2^k>, resnet_9blocks, resnet_6blocks");
  o.text("netD", &f.netD, "NAME", "discriminator instead of generator: basic, n_layers, pixel");
  o.integer("n_layers_D", &f.n_layers_D, "discriminator depth with --netD n_layers");
  o.integer("ngf", &f.ngf, "generator filters in the last conv layer (transformer: its first layer; default 64, transformer 32)");
  o.integer("ndf", &f.ndf, "discriminator filters in the first conv layer");
  o.choice("norm", &f.norm, {"batch", "instance", "none"}, "normalisation layers");
  o.flag("dropout", &f.dropout, "dropout in the generator (--no_dropout turns it off)");
  o.integer("input_nc", &f.input_nc, "input channels (1 for grayscale)");
  o.integer("output_nc", &f.output_nc, "output channels (1 for grayscale)");
}

ModelSpec generator_spec(const SpecFlags& f) {
  ModelSpec s;
  s.arch = Arch::Generator;
  s.net = f.netG;
  s.ngf = f.ngf ? f.ngf : 64;
  s.norm = parse_norm(f.norm).value;
  s.dropout = f.dropout;
  s.input_nc = f.input_nc;
  s.output_nc = f.output_nc;
  return s;
}

ModelSpec discriminator_spec(const SpecFlags& f) {
  ModelSpec s;
  s.arch = Arch::Discriminator;
  s.net = f.netD.empty() ? "basic" : f.netD;
  s.ndf = f.ndf;
  s.n_layers_D = f.n_layers_D;
  s.norm = parse_norm(f.norm).value;
  s.input_nc = f.input_nc + f.output_nc;
  s.output_nc = 1;
  return s;
}

Result<ModelSpec> spec_from_flags(const SpecFlags& f) {
  ModelSpec s;
  if (f.arch == "pix2pix") s = f.netD.empty() ? generator_spec(f) : discriminator_spec(f);
  else if (f.arch == "transformer") s = ModelSpec::transformer(f.ngf ? f.ngf : 32);
  else s.arch = parse_arch(f.arch).value, s.net = f.arch, s.norm = Norm::Instance;  // vgg16 or vgg19, by the option's choices
  Result<Graph> g = build(s);
  if (!g.ok()) return Result<ModelSpec>::Fail(g.error);
  return {s, ""};
}

}  // namespace p2p
