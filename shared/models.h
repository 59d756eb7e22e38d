// The networks of the reference implementations, written against the model graph, and ModelSpec:
// the architecture options that travel with weights (safetensors metadata, model.json).
#pragma once
#include <map>
#include <string>

#include "graph.h"
#include "status.h"

namespace p2p {

enum class Norm { Batch, Instance, None };
// Network families, named in metadata as "generator", "discriminator", "transformer", "vgg16", "vgg19".
enum class Arch { Generator, Discriminator, Transformer, Vgg16, Vgg19 };

struct ModelSpec {
  // arch "generator": net unet_<S> (S = 2^num_downs: unet_128, unet_256, unet_512, ...), resnet_6blocks,
  //   resnet_9blocks; arch "discriminator": net basic, n_layers, pixel (input_nc counts all its input
  //   channels: A and B together in pix2pix); arch "transformer": the fast-style net (ngf: width of its first
  //   layer, 32 in pytorch/examples; the others are 2x and 4x it); "vgg16" / "vgg19".
  Arch arch = Arch::Generator;
  std::string net = "unet_256";
  int ngf = 64;          // generator width
  int ndf = 64;          // discriminator width
  int n_layers_D = 3;    // discriminator depth for net n_layers
  Norm norm = Norm::Batch;
  bool dropout = true;   // generators
  int input_nc = 3;
  int output_nc = 3;

  // As string pairs (safetensors __metadata__, model.json "model" object) and back.
  std::map<std::string, std::string> to_metadata() const;
  static Result<ModelSpec> from_metadata(const std::map<std::string, std::string>& m);
  std::string describe() const;  // "unet_256 ngf 64 norm batch dropout"

  // The fast-style transformer net of this width (pytorch/examples: 32).
  static ModelSpec transformer(int width = 32);
};

const char* norm_name(Norm n);
Result<Norm> parse_norm(const std::string& s);
const char* arch_name(Arch a);
Result<Arch> parse_arch(const std::string& s);

// Builders. Parameter names equal the reference state_dict keys.
Graph unet(int input_nc, int output_nc, int num_downs, int ngf, Norm norm, bool dropout);
Graph resnet_generator(int input_nc, int output_nc, int ngf, Norm norm, bool dropout, int n_blocks);
Graph nlayer_discriminator(int input_nc, int ndf, int n_layers, Norm norm);
Graph pixel_discriminator(int input_nc, int ndf, Norm norm);
Graph transformer_net(int width = 32);
// VGG feature stacks with torchvision's names (features.N); outputs are the named taps, in order,
// e.g. {"relu1_1", "relu2_1"}; the stack stops at the last tap. width: channels of block 1 (torchvision's 64;
// blocks 2-5 have 2x, 4x, 8x, 8x), narrower only for random loss networks.
Graph vgg_features(int depth /*16 or 19*/, const std::vector<std::string>& taps, int width = 64);

// Images enter a network in [lo, hi]: [-1, 1] for pix2pix nets, [0, 255] for style and VGG nets.
struct ValueRange { float lo = -1.0f, hi = 1.0f; };
ValueRange value_range(const ModelSpec& spec);
// The bundle task of a spec: "style" for the fast-style net, "sketch" for pix2pix generators.
const char* task_of(const ModelSpec& spec);

// The graph a spec describes, or why it describes none.
Result<Graph> build(const ModelSpec& spec);

}  // namespace p2p
