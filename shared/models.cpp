// The reference networks written against the model graph. Layer order and names follow
// junyanz/pytorch-CycleGAN-and-pix2pix (models/networks.py) and pytorch/examples
// (fast_neural_style/transformer_net.py), so their state_dict keys are our parameter names.
#include "models.h"

#include <cstdlib>

#include "choice.h"

namespace p2p {

namespace {

// Conv biases exist only with instance norm: batch norm's shift makes them redundant, and the
// reference drops them with "none" too.
bool conv_bias(Norm norm) { return norm == Norm::Instance; }

int norm_layer(Graph& g, int x, Norm norm, const std::string& name) {
  if (norm == Norm::Batch) return g.batch_norm(x, name);
  if (norm == Norm::Instance) return g.instance_norm(x, name, /*affine=*/false);
  return x;
}

struct UnetLevel {
  int outer, inner;
  bool dropout;
};

// One UnetSkipConnectionBlock at `level` (0 = outermost). `prefix` names its nn.Sequential.
int unet_block(Graph& g, int x, const std::vector<UnetLevel>& levels, size_t level, const std::string& prefix, Norm norm) {
  const UnetLevel& L = levels[level];
  bool bias = conv_bias(norm);
  auto at = [&](int i) { return prefix + "." + std::to_string(i); };
  if (level == 0) {
    int d = g.conv2d(x, at(0), L.inner, 4, 2, 1, bias);
    int s = unet_block(g, d, levels, 1, at(1) + ".model", norm);
    int u = g.conv_transpose2d(g.relu(s), at(3), L.outer, 4, 2, 1, 0, /*bias=*/true);
    return g.tanh(u);
  }
  // The reference's LeakyReLU is in place, so the skip connection carries the activated input.
  int a = g.leaky_relu(x, 0.2f);
  int d = g.conv2d(a, at(1), L.inner, 4, 2, 1, bias);
  int u;
  if (level + 1 == levels.size()) {  // innermost
    u = g.conv_transpose2d(g.relu(d), at(3), L.outer, 4, 2, 1, 0, bias);
    u = norm_layer(g, u, norm, at(4));
  } else {
    d = norm_layer(g, d, norm, at(2));
    int s = unet_block(g, d, levels, level + 1, at(3) + ".model", norm);
    u = g.conv_transpose2d(g.relu(s), at(5), L.outer, 4, 2, 1, 0, bias);
    u = norm_layer(g, u, norm, at(6));
    if (L.dropout) u = g.dropout(u, 0.5f);
  }
  return g.concat({a, u});
}

int conv_norm_relu(Graph& g, int x, const std::string& conv, const std::string& norm_name, int out, int k, int s, int p,
                   Norm norm) {
  x = g.conv2d(x, conv, out, k, s, p, conv_bias(norm));
  return g.relu(norm_layer(g, x, norm, norm_name));
}

}  // namespace

Graph unet(int input_nc, int output_nc, int num_downs, int ngf, Norm norm, bool dropout) {
  std::vector<UnetLevel> levels = {{output_nc, ngf, false}, {ngf, ngf * 2, false}, {ngf * 2, ngf * 4, false},
                                   {ngf * 4, ngf * 8, false}};
  for (int i = 0; i < num_downs - 5; i++) levels.push_back({ngf * 8, ngf * 8, dropout});
  levels.push_back({ngf * 8, ngf * 8, false});
  Graph g;
  int x = g.input(input_nc);
  g.output(unet_block(g, x, levels, 0, "model.model", norm));
  return g;
}

Graph resnet_generator(int input_nc, int output_nc, int ngf, Norm norm, bool dropout, int n_blocks) {
  Graph g;
  int i = 0;  // index in the reference's nn.Sequential
  auto at = [&](int k) { return "model." + std::to_string(k); };
  int x = g.reflection_pad(g.input(input_nc), 3);
  x = conv_norm_relu(g, x, at(1), at(2), ngf, 7, 1, 0, norm);
  i = 4;
  for (int d = 0; d < 2; d++, i += 3) x = conv_norm_relu(g, x, at(i), at(i + 1), ngf << (d + 1), 3, 2, 1, norm);
  int dim = ngf * 4;
  for (int b = 0; b < n_blocks; b++, i++) {
    std::string p = at(i) + ".conv_block.";
    int k = 0;
    int y = g.reflection_pad(x, 1);
    y = conv_norm_relu(g, y, p + std::to_string(k + 1), p + std::to_string(k + 2), dim, 3, 1, 0, norm);
    k = 4;
    if (dropout) y = g.dropout(y, 0.5f), k = 5;
    y = g.reflection_pad(y, 1);
    y = g.conv2d(y, p + std::to_string(k + 1), dim, 3, 1, 0, conv_bias(norm));
    y = norm_layer(g, y, norm, p + std::to_string(k + 2));
    x = g.add(x, y);
  }
  for (int u = 0; u < 2; u++, i += 3) {
    int out = dim >> (u + 1);
    x = g.conv_transpose2d(x, at(i), out, 3, 2, 1, 1, conv_bias(norm));
    x = g.relu(norm_layer(g, x, norm, at(i + 1)));
  }
  x = g.reflection_pad(x, 3);
  x = g.conv2d(x, at(i + 1), output_nc, 7, 1, 0, /*bias=*/true);
  g.output(g.tanh(x));
  return g;
}

Graph nlayer_discriminator(int input_nc, int ndf, int n_layers, Norm norm) {
  Graph g;
  auto at = [&](int k) { return "model." + std::to_string(k); };
  int x = g.leaky_relu(g.conv2d(g.input(input_nc), at(0), ndf, 4, 2, 1, true), 0.2f);
  int i = 2, mult = 1;
  for (int n = 1; n <= n_layers; n++, i += 3) {
    mult = std::min(1 << n, 8);
    int stride = n < n_layers ? 2 : 1;
    x = g.conv2d(x, at(i), ndf * mult, 4, stride, 1, conv_bias(norm));
    x = g.leaky_relu(norm_layer(g, x, norm, at(i + 1)), 0.2f);
  }
  g.output(g.conv2d(x, at(i), 1, 4, 1, 1, true));
  return g;
}

Graph pixel_discriminator(int input_nc, int ndf, Norm norm) {
  Graph g;
  int x = g.leaky_relu(g.conv2d(g.input(input_nc), "net.0", ndf, 1, 1, 0, true), 0.2f);
  x = g.conv2d(x, "net.2", ndf * 2, 1, 1, 0, conv_bias(norm));
  x = g.leaky_relu(norm_layer(g, x, norm, "net.3"), 0.2f);
  g.output(g.conv2d(x, "net.5", 1, 1, 1, 0, conv_bias(norm)));
  return g;
}

Graph transformer_net(int width) {
  Graph g;
  auto conv = [&](int x, const std::string& name, int out, int k, int s) {
    return g.conv2d(g.reflection_pad(x, k / 2), name + ".conv2d", out, k, s, 0, true);
  };
  auto conv_in_relu = [&](int x, const std::string& c, const std::string& n, int out, int k, int s) {
    return g.relu(g.instance_norm(conv(x, c, out, k, s), n, true));
  };
  int x = g.input(3);
  const int w1 = width, w2 = 2 * width, w3 = 4 * width;
  x = conv_in_relu(x, "conv1", "in1", w1, 9, 1);
  x = conv_in_relu(x, "conv2", "in2", w2, 3, 2);
  x = conv_in_relu(x, "conv3", "in3", w3, 3, 2);
  for (int r = 1; r <= 5; r++) {
    std::string p = "res" + std::to_string(r);
    int y = conv_in_relu(x, p + ".conv1", p + ".in1", w3, 3, 1);
    y = g.instance_norm(conv(y, p + ".conv2", w3, 3, 1), p + ".in2", true);
    x = g.add(y, x);
  }
  x = conv_in_relu(g.upsample_nearest(x, 2), "deconv1", "in4", w2, 3, 1);
  x = conv_in_relu(g.upsample_nearest(x, 2), "deconv2", "in5", w1, 3, 1);
  g.output(conv(x, "deconv3", 3, 9, 1));
  return g;
}

Graph vgg_features(int depth, const std::vector<std::string>& taps, int width) {
  // Convolutions per block; torchvision numbers conv, relu and pool modules consecutively.
  const int per_block16[] = {2, 2, 3, 3, 3}, per_block19[] = {2, 2, 4, 4, 4};
  const int* per_block = depth == 19 ? per_block19 : per_block16;
  const int widths[] = {width, 2 * width, 4 * width, 8 * width, 8 * width};
  Graph g;
  int x = g.input(3), index = 0;
  size_t found = 0;
  for (int b = 0; b < 5 && found < taps.size(); b++) {
    if (b > 0) x = g.max_pool(x, 2, 2), index++;
    for (int c = 0; c < per_block[b] && found < taps.size(); c++) {
      x = g.relu(g.conv2d(x, "features." + std::to_string(index), widths[b], 3, 1, 1, true));
      index += 2;
      std::string name = "relu" + std::to_string(b + 1) + "_" + std::to_string(c + 1);
      for (const std::string& t : taps)
        if (t == name) g.output(x, name), found++;
    }
  }
  return g;
}

const char* norm_name(Norm n) { return n == Norm::Batch ? "batch" : n == Norm::Instance ? "instance" : "none"; }

Result<Norm> parse_norm(const std::string& s) {
  Result<int> i = parse_choice("norm", s, {"batch", "instance", "none"});  // Norm's order
  return i.ok() ? Result<Norm>{Norm(i.value), ""} : Result<Norm>::Fail(i.error);
}

namespace {
const std::vector<std::string> kArchNames = {"generator", "discriminator", "transformer", "vgg16", "vgg19"};
}

const char* arch_name(Arch a) { return kArchNames[size_t(a)].c_str(); }

Result<Arch> parse_arch(const std::string& s) {
  Result<int> i = parse_choice("arch", s, kArchNames);
  return i.ok() ? Result<Arch>{Arch(i.value), ""} : Result<Arch>::Fail(i.error);
}

namespace {
// "unet_256" -> 8 downsamplings; 0 when net is no power-of-two unet name.
int unet_depth(const std::string& net) {
  if (net.rfind("unet_", 0) != 0) return 0;
  char* end = nullptr;
  long size = std::strtol(net.c_str() + 5, &end, 10);
  if (*end || size < 32 || size > (1 << 14) || (size & (size - 1))) return 0;
  int d = 0;
  while ((1L << d) < size) d++;
  return d;
}
}  // namespace

Result<Graph> build(const ModelSpec& s) {
  auto fail = [](const std::string& why) { return Result<Graph>::Fail(why); };
  const struct { const char* name; int value, max; } counts[] = {
      {"input_nc", s.input_nc, 64}, {"output_nc", s.output_nc, 64}, {"ngf", s.ngf, 4096}, {"ndf", s.ndf, 4096}};
  for (const auto& c : counts)
    if (c.value < 1 || c.value > c.max)
      return fail(std::string(c.name) + " " + std::to_string(c.value) + " is out of range (1 to " + std::to_string(c.max) + ")");
  if (s.arch == Arch::Generator) {
    if (int d = unet_depth(s.net)) return {unet(s.input_nc, s.output_nc, d, s.ngf, s.norm, s.dropout), ""};
    if (s.net == "resnet_9blocks") return {resnet_generator(s.input_nc, s.output_nc, s.ngf, s.norm, s.dropout, 9), ""};
    if (s.net == "resnet_6blocks") return {resnet_generator(s.input_nc, s.output_nc, s.ngf, s.norm, s.dropout, 6), ""};
    return fail("unknown generator '" + printable(s.net) + "' (unet_128, unet_256, unet_<power of two>, resnet_6blocks, resnet_9blocks)");
  }
  if (s.arch == Arch::Discriminator) {
    if (s.net == "basic") return {nlayer_discriminator(s.input_nc, s.ndf, 3, s.norm), ""};
    if (s.net == "n_layers") {
      if (s.n_layers_D < 1 || s.n_layers_D > 10) return fail("n_layers_D must be between 1 and 10");
      return {nlayer_discriminator(s.input_nc, s.ndf, s.n_layers_D, s.norm), ""};
    }
    if (s.net == "pixel") return {pixel_discriminator(s.input_nc, s.ndf, s.norm), ""};
    return fail("unknown discriminator '" + printable(s.net) + "' (basic, n_layers, pixel)");
  }
  if (s.arch == Arch::Transformer) return {transformer_net(s.ngf), ""};
  if (s.arch == Arch::Vgg16 || s.arch == Arch::Vgg19) {
    std::vector<std::string> taps = {"relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1", "relu3_2", "relu3_3",
                                     "relu4_1", "relu4_2", "relu4_3", "relu5_1"};
    return {vgg_features(s.arch == Arch::Vgg19 ? 19 : 16, taps), ""};
  }
  return fail(std::string("no network for arch ") + arch_name(s.arch));
}

std::map<std::string, std::string> ModelSpec::to_metadata() const {
  std::map<std::string, std::string> m = {{"arch", arch_name(arch)}, {"net", net}, {"norm", norm_name(norm)},
                                          {"input_nc", std::to_string(input_nc)}, {"output_nc", std::to_string(output_nc)}};
  if (arch == Arch::Generator) m["ngf"] = std::to_string(ngf), m["dropout"] = dropout ? "true" : "false";
  if (arch == Arch::Transformer) m["ngf"] = std::to_string(ngf);
  if (arch == Arch::Discriminator) m["ndf"] = std::to_string(ndf), m["n_layers_D"] = std::to_string(n_layers_D);
  return m;
}

Result<ModelSpec> ModelSpec::from_metadata(const std::map<std::string, std::string>& m) {
  ModelSpec s;
  auto get = [&](const char* k) -> const std::string* {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  };
  auto integer = [&](const char* k, int& out) -> bool {
    const std::string* v = get(k);
    if (!v) return true;
    char* end = nullptr;
    long x = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end || x < 0 || x > 1 << 20) return false;
    out = int(x);
    return true;
  };
  const std::string* arch = get("arch");
  if (!arch) return Result<ModelSpec>::Fail("no architecture recorded (metadata key 'arch' missing)");
  Result<Arch> a = parse_arch(*arch);
  if (!a.ok()) return Result<ModelSpec>::Fail(a.error);
  s.arch = a.value;
  if (const std::string* v = get("net")) s.net = *v;
  if (const std::string* v = get("norm")) {
    Result<Norm> n = parse_norm(*v);
    if (!n.ok()) return Result<ModelSpec>::Fail(n.error);
    s.norm = n.value;
  }
  if (const std::string* v = get("dropout")) s.dropout = *v == "true";
  if (s.arch == Arch::Transformer) s.ngf = 32;  // pytorch/examples' width, unless the metadata says another
  for (auto [k, field] : {std::pair<const char*, int*>{"ngf", &s.ngf}, {"ndf", &s.ndf}, {"n_layers_D", &s.n_layers_D},
                          {"input_nc", &s.input_nc}, {"output_nc", &s.output_nc}})
    if (!integer(k, *field))
      return Result<ModelSpec>::Fail(std::string("metadata '") + k + "' is '" + printable(*get(k), 40) +
                                     "', not a number from 0 to " + std::to_string(1 << 20));
  Result<Graph> g = build(s);
  if (!g.ok()) return Result<ModelSpec>::Fail(g.error);
  return {s, ""};
}

std::string ModelSpec::describe() const {
  if (arch == Arch::Generator)
    return net + " ngf " + std::to_string(ngf) + " norm " + norm_name(norm) + (dropout ? " dropout" : " no_dropout") +
           " " + std::to_string(input_nc) + "->" + std::to_string(output_nc);
  if (arch == Arch::Discriminator)
    return "PatchGAN " + net + (net == "n_layers" ? " " + std::to_string(n_layers_D) : "") + " ndf " +
           std::to_string(ndf) + " norm " + norm_name(norm) + " input_nc " + std::to_string(input_nc);
  if (arch == Arch::Transformer) return "transformer ngf " + std::to_string(ngf);
  return arch_name(arch);
}

ModelSpec ModelSpec::transformer(int width) {
  ModelSpec s;
  s.arch = Arch::Transformer;
  s.net = "transformer";
  s.norm = Norm::Instance;
  s.ngf = width;
  return s;
}

ValueRange value_range(const ModelSpec& spec) {
  if (spec.arch == Arch::Transformer || spec.arch == Arch::Vgg16 || spec.arch == Arch::Vgg19) return {0.0f, 255.0f};
  return {-1.0f, 1.0f};
}

const char* task_of(const ModelSpec& spec) { return spec.arch == Arch::Transformer ? "style" : "sketch"; }

}  // namespace p2p
