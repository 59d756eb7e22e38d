#include "native/model_file.h"

#include <c10/util/Exception.h>

#include <cctype>

#include "shared/safetensors.h"
#include "shared/torch_checkpoint.h"

namespace p2p {

Result<ModelFile> load_model_file(const std::string& path) {
  using R = Result<ModelFile>;
  Result<SafetensorsFile> file = load_safetensors(path);
  if (!file.ok()) return R::Fail(file.error);
  ModelFile m;
  m.metadata = std::move(file.value.metadata);
  m.weights = std::move(file.value.weights);
  Result<ModelSpec> spec = ModelSpec::from_metadata(m.metadata);
  if (!spec.ok()) return R::Fail(path + ": " + spec.error + " (write it with pix2pix import or train)");
  m.spec = spec.value;
  m.graph = build(m.spec).value;
  if (Status st = check_weights(m.graph, m.weights); !st.ok())
    return R::Fail(path + ": weights do not fit " + m.spec.describe() + ": " + st.error);
  return {std::move(m), ""};
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool has_extension(const std::string& path, const char* ext) {
  std::string lower = path;
  for (char& c : lower) c = char(std::tolower((unsigned char)c));
  return ends_with(lower, ext);
}

bool is_image_path(const std::string& p) {
  return has_extension(p, ".png") || has_extension(p, ".jpg") || has_extension(p, ".jpeg");
}

Result<Weights> import_checkpoint(const std::string& path, const ModelSpec& spec) {
  Result<Graph> g = build(spec);
  if (!g.ok()) return Result<Weights>::Fail(g.error);
  Result<TorchCheckpoint> ck = load_torch_checkpoint(path);
  if (!ck.ok()) return Result<Weights>::Fail(ck.error);
  Weights& w = ck.value.weights;
  for (auto it = w.begin(); it != w.end();) {
    const std::string& k = it->first;
    bool unused = ends_with(k, ".num_batches_tracked");
    for (const std::string stat : {".running_mean", ".running_var"})
      if (!unused && ends_with(k, stat)) {
        std::string layer = k.substr(0, k.size() - stat.size());
        for (const Node& n : g.value.nodes) unused = unused || (n.op == Op::InstanceNorm2d && !n.name.empty() && n.name == layer);
      }
    it = unused ? w.erase(it) : std::next(it);
  }
  if (Status st = check_weights(g.value, w); !st.ok())
    return Result<Weights>::Fail(path + " does not fit the chosen architecture (" + spec.describe() + "): " + st.error);
  return {std::move(w), ""};
}

NormMode default_norm_mode(const ModelSpec& spec) {
  return spec.arch == Arch::Generator && spec.norm == Norm::Batch ? NormMode::BatchStats : NormMode::Running;
}

const char* const kNormModeHelp = "BatchNorm at test time: running statistics, or each image's own (auto: batchstats "
                                  "for generators with batch norm, the reference protocol)";

std::vector<std::string> norm_mode_choices() {
  std::vector<std::string> choices = {"auto"};
  for (const std::string& name : norm_mode_names()) choices.push_back(name);
  return choices;
}

NormMode chosen_norm_mode(const std::string& choice, const ModelSpec& spec) {
  return choice == "auto" ? default_norm_mode(spec) : parse_norm_mode(choice).value;
}


std::string one_line(const std::exception& e) {
  const c10::Error* ce = dynamic_cast<const c10::Error*>(&e);
  std::string s = ce ? ce->what_without_backtrace() : e.what();
  if (size_t nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace p2p
