// The architecture options shared by info, import and train (--netG, --netD, --ngf, --norm, ...),
// under the reference pix2pix names, and their translation into a ModelSpec.
#pragma once
#include <string>

#include "native/options.h"
#include "shared/models.h"

namespace p2p {

struct SpecFlags {
  std::string arch = "pix2pix";  // pix2pix (netG or netD), transformer, vgg16, vgg19
  std::string netG = "unet_256", netD;
  std::string norm = "batch";
  int ngf = 0;  // 0: the family's own width (64 for pix2pix generators, 32 for the transformer net)
  int ndf = 64, n_layers_D = 3, input_nc = 3, output_nc = 3;
  bool dropout = true;
};

void add_spec_options(Options& o, SpecFlags& f);
// The generator, or with --netD the discriminator (its input is input_nc + output_nc channels: it sees A and B).
Result<ModelSpec> spec_from_flags(const SpecFlags& f);
ModelSpec generator_spec(const SpecFlags& f);      // no validation: build() checks
ModelSpec discriminator_spec(const SpecFlags& f);  // netD defaults to basic

}  // namespace p2p
