// The web model bundle: model.json written from BundleInfo, and both files read back and checked
// (format, fields, weights digest, weights against the architecture) before anything uses them.
#include "bundle.h"

#include <cctype>

#include "file_io.h"
#include "safetensors.h"
#include "sha256.h"

namespace p2p {

namespace {

const char* kWeightsFile = "weights.safetensors";

bool has_dropout(const Graph& g) {
  for (const Node& n : g.nodes)
    if (n.op == Op::Dropout) return true;
  return false;
}

Json range_json(const ModelSpec& spec) {
  ValueRange v = value_range(spec);
  Json r = Json::array();
  r.push_back(double(v.lo));
  r.push_back(double(v.hi));
  return r;
}

// Reads the members of one model.json object, remembering the first problem as one line.
struct Fields {
  const Json& obj;
  std::string where;  // "model.json" or "model.json: weights"
  std::string error;

  const Json* get(const char* key, Json::Type type, const char* type_name) {
    const Json* v = obj.find(key);
    if (!v) fail(std::string("missing field '") + key + "'");
    else if (v->type() != type) fail(std::string("field '") + key + "' must be " + type_name), v = nullptr;
    return v;
  }
  std::string string(const char* key) {
    const Json* v = get(key, Json::Type::String, "a string");
    return v ? v->as_string() : "";
  }
  // A string that must be one of two values.
  std::string choice(const char* key, const char* a, const char* b) {
    std::string s = string(key);
    if (error.empty() && s != a && s != b) fail(std::string("field '") + key + "' is '" + printable(s) + "' (" + a + " or " + b + ")");
    return s;
  }
  int64_t integer(const char* key, int64_t lo, int64_t hi) {
    const Json* v = get(key, Json::Type::Number, "a number");
    if (!v) return 0;
    double d = v->as_number();
    // The range first: converting a double outside int64_t's range is undefined (model.json can say 1e50).
    if (!(d >= double(lo) && d <= double(hi)) || d != double(int64_t(d))) {
      fail(std::string("field '") + key + "' must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return 0;
    }
    return int64_t(d);
  }
  const Json* object(const char* key) { return get(key, Json::Type::Object, "an object"); }
  void fail(const std::string& why) {
    if (error.empty()) error = where + ": " + why;
  }
};

Result<std::map<std::string, std::string>> spec_metadata(const Json& model) {
  std::map<std::string, std::string> m;
  for (size_t i = 0; i < model.size(); i++) {
    const Json& v = model.items()[i];
    const std::string& k = model.keys()[i];
    if (v.is_string()) m[k] = v.as_string();
    else if (v.is_number()) m[k] = json_number(v.as_number());
    else if (v.is_bool()) m[k] = v.as_bool() ? "true" : "false";
    else return Result<std::map<std::string, std::string>>::Fail("model.json: model field '" + printable(k) + "' must be a string");
  }
  return {m, ""};
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Json bundle_manifest(const BundleInfo& info, const std::string& weights_sha256, bool fp16) {
  Json j = Json::object();
  j["format"] = kBundleFormat;
  j["version"] = kBundleVersion;
  j["name"] = info.name;
  j["task"] = info.task;
  Json model = Json::object();
  for (const auto& [k, v] : info.spec.to_metadata()) model[k] = v;
  j["model"] = model;
  auto image = [&](int channels) {
    Json e = Json::object();
    e["height"] = info.height;
    e["width"] = info.width;
    e["channels"] = channels;
    e["range"] = range_json(info.spec);
    return e;
  };
  j["input"] = image(info.spec.input_nc);
  j["output"] = image(info.spec.output_nc);
  j["direction"] = info.direction;
  j["norm_mode"] = norm_mode_name(info.norm_mode);
  Result<Graph> g = build(info.spec);
  Json dropout = Json::object();
  dropout["available"] = g.ok() && has_dropout(g.value);
  j["dropout"] = dropout;
  Json weights = Json::object();
  weights["file"] = kWeightsFile;
  weights["dtype"] = fp16 ? "float16" : "float32";
  weights["sha256"] = weights_sha256;
  j["weights"] = weights;
  j["provenance"] = info.provenance.is_object() ? info.provenance : Json::object();
  j["license"] = info.license;
  j["attribution"] = info.attribution;
  return j;
}

Status write_bundle(const std::string& dir, const BundleInfo& info, const Weights& w, bool fp16) {
  if (info.task != task_of(info.spec))
    return Status::Fail("bundle: task '" + info.task + "' does not fit " + info.spec.describe() + " (task " + task_of(info.spec) + ")");
  if (info.direction != "AtoB" && info.direction != "BtoA")
    return Status::Fail("bundle: direction '" + info.direction + "' (AtoB or BtoA)");
  Result<Graph> g = build(info.spec);
  if (!g.ok()) return Status::Fail("bundle: " + g.error);
  Status fit = check_weights(g.value, w);
  if (!fit.ok()) return Status::Fail("bundle: weights do not fit " + info.spec.describe() + ": " + fit.error);

  std::vector<uint8_t> bytes = write_safetensors(w, info.spec.to_metadata(), fp16 ? DType::F16 : DType::F32);
  Json manifest = bundle_manifest(info, sha256_hex(bytes.data(), bytes.size()), fp16);
  if (Status s = make_dirs(dir); !s.ok()) return s;
  if (Status s = write_file_atomic(dir + "/" + kWeightsFile, bytes); !s.ok()) return s;
  return write_file_atomic(dir + "/model.json", manifest.dump(2) + "\n");
}

namespace {

// model.json's fields, checked; `digest` gets the weights' sha256 as written there.
Result<Bundle> read_manifest(Json manifest, std::string& digest) {
  using R = Result<Bundle>;
  Bundle b;
  b.manifest = std::move(manifest);
  const Json& j = b.manifest;
  if (!j.is_object()) return R::Fail("model.json: not a JSON object");

  Fields f{j, "model.json", ""};
  std::string format = f.string("format");
  if (!f.error.empty()) return R::Fail(f.error);
  if (format != kBundleFormat) return R::Fail("model.json: format '" + printable(format) + "' is not " + kBundleFormat);
  int64_t version = f.integer("version", 0, 1 << 30);
  if (f.error.empty() && version != kBundleVersion)
    return R::Fail("model.json: bundle version " + std::to_string(version) + " is not supported (this build reads " +
                   std::to_string(kBundleVersion) + ")");
  b.name = f.string("name");
  b.task = f.choice("task", "sketch", "style");
  b.direction = f.choice("direction", "AtoB", "BtoA");
  b.norm_mode = parse_norm_mode(f.choice("norm_mode", norm_mode_name(NormMode::BatchStats), norm_mode_name(NormMode::Running))).value;
  const Json* model = f.object("model");
  const Json* input = f.object("input");
  const Json* wj = f.object("weights");
  if (!f.error.empty()) return R::Fail(f.error);

  Result<std::map<std::string, std::string>> meta = spec_metadata(*model);
  if (!meta.ok()) return R::Fail(meta.error);
  Result<ModelSpec> spec = ModelSpec::from_metadata(meta.value);
  if (!spec.ok()) return R::Fail("model.json: model: " + spec.error);
  b.spec = spec.value;
  if (b.task != task_of(b.spec))
    return R::Fail("model.json: task '" + b.task + "' does not fit the model " + b.spec.describe() + " (a " +
                   task_of(b.spec) + " model)");

  Fields in{*input, "model.json: input", ""};
  b.height = int(in.integer("height", 1, 1 << 16));
  b.width = int(in.integer("width", 1, 1 << 16));
  int64_t channels = in.integer("channels", 1, 64);
  if (!in.error.empty()) return R::Fail(in.error);
  if (const Json* r = input->find("range")) {
    ValueRange v = value_range(b.spec);
    bool fits = r->is_array() && r->size() == 2 && (*r)[size_t(0)].is_number() && (*r)[size_t(1)].is_number() &&
                (*r)[size_t(0)].as_number() == v.lo && (*r)[size_t(1)].as_number() == v.hi;
    if (!fits)
      return R::Fail("model.json: input range " + r->dump() + " does not fit the model " + b.spec.describe() + " ([" +
                     std::to_string(int(v.lo)) + ", " + std::to_string(int(v.hi)) + "])");
  }
  if (channels != b.spec.input_nc)
    return R::Fail("model.json: input has " + std::to_string(channels) + " channels, the model takes " +
                   std::to_string(b.spec.input_nc));

  Fields wf{*wj, "model.json: weights", ""};
  std::string dtype = wf.choice("dtype", "float32", "float16");
  digest = lower(wf.string("sha256"));
  wf.string("file");
  if (!wf.error.empty()) return R::Fail(wf.error);
  b.fp16 = dtype == "float16";
  return {std::move(b), ""};
}

// The most bytes the weights of b's network take in a safetensors file: the tensors at b's dtype and a
// header of at most 512 bytes a tensor plus 4 KiB of metadata (the exporter writes about 120 and 300).
Result<uint64_t> weights_limit(const Bundle& b, const Graph& g) {
  const uint64_t per_element = b.fp16 ? 2 : 4, most = kMaxBundleWeightBytes / per_element;
  uint64_t elements = 0, tensors = 0;
  for (const Param& p : parameters(g)) {
    ++tensors;
    uint64_t n = 1;
    for (int64_t d : p.shape) n = d > 0 && n > most / uint64_t(d) ? most + 1 : n * uint64_t(d);  // no overflow
    elements += n;
    if (elements > most)
      return Result<uint64_t>::Fail("model.json: the model " + b.spec.describe() + " has more weights than a bundle may hold (" +
                                    std::to_string(kMaxBundleWeightBytes >> 20) + " MB)");
  }
  return {8 + 4096 + 512 * tensors + elements * per_element, ""};
}

Result<Bundle> read_bundle_from_json(Json manifest, const uint8_t* weights, size_t size) {
  using R = Result<Bundle>;
  std::string digest;
  R m = read_manifest(std::move(manifest), digest);
  if (!m.ok()) return m;
  Bundle b = std::move(m.value);
  const std::string dtype = b.fp16 ? "float16" : "float32";
  Result<Graph> g = build(b.spec);
  if (!g.ok()) return R::Fail("model.json: model: " + g.error);
  Result<uint64_t> limit = weights_limit(b, g.value);
  if (!limit.ok()) return R::Fail(limit.error);
  if (size > limit.value)
    return R::Fail("weights file: " + std::to_string(size) + " bytes, more than the " + std::to_string(limit.value) +
                   " that " + b.spec.describe() + " needs at " + dtype);
  std::string actual = sha256_hex(weights, size);
  if (digest != actual)
    return R::Fail("weights file does not match model.json: sha256 " + actual + ", expected " + printable(digest, 80) +
                   " (truncated or replaced download?)");

  Result<SafetensorsFile> st = read_safetensors(weights, size);
  if (!st.ok()) return R::Fail("weights file: " + st.error);
  for (const auto& [name, t] : st.value.dtypes)
    if (t != (b.fp16 ? DType::F16 : DType::F32))
      return R::Fail("weights file: tensor '" + printable(name) + "' is " + dtype_name(t) + ", model.json says " + dtype);
  Status fit = check_weights(g.value, st.value.weights);
  if (!fit.ok()) return R::Fail("weights do not fit " + b.spec.describe() + ": " + fit.error);
  b.weights = std::move(st.value.weights);
  b.dropout_available = has_dropout(g.value);
  return {std::move(b), ""};
}

}  // namespace

Result<uint64_t> bundle_weights_limit(std::string_view model_json) {
  Result<Json> parsed = parse_json(model_json);
  if (!parsed.ok()) return Result<uint64_t>::Fail("model.json: " + parsed.error);
  std::string digest;
  Result<Bundle> b = read_manifest(std::move(parsed.value), digest);
  if (!b.ok()) return Result<uint64_t>::Fail(b.error);
  Result<Graph> g = build(b.value.spec);
  if (!g.ok()) return Result<uint64_t>::Fail("model.json: model: " + g.error);
  return weights_limit(b.value, g.value);
}

Result<Bundle> read_bundle_from_memory(std::string_view model_json, const uint8_t* weights, size_t size) {
  Result<Json> parsed = parse_json(model_json);
  if (!parsed.ok()) return Result<Bundle>::Fail("model.json: " + parsed.error);
  return read_bundle_from_json(std::move(parsed.value), weights, size);
}

Result<Bundle> read_bundle(const std::string& dir) {
  Result<Json> manifest = read_json_file(dir + "/model.json");  // parsed once, within the JSON budgets
  if (!manifest.ok()) return Result<Bundle>::Fail(manifest.error);
  // The weights file named in model.json, which must stay inside the bundle folder.
  std::string file = kWeightsFile;
  if (const Json* w = manifest.value.find("weights"); w && w->is_object()) file = w->get_string("file", kWeightsFile);
  if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos || file[0] == '.')
    return Result<Bundle>::Fail(dir + "/model.json: weights file '" + printable(file) + "' must be a plain file name in the bundle");
  Result<std::vector<uint8_t>> weights = read_file(dir + "/" + file);
  if (!weights.ok()) return Result<Bundle>::Fail(weights.error);
  Result<Bundle> b = read_bundle_from_json(std::move(manifest.value), weights.value.data(), weights.value.size());
  if (!b.ok()) b.error = dir + ": " + b.error;
  return b;
}

OnnxOptions onnx_options(const Bundle& b) {
  OnnxOptions opt;
  opt.norm_mode = b.norm_mode;
  opt.fp16 = b.fp16;
  opt.doc = b.spec.describe();
  return opt;
}

Result<std::vector<uint8_t>> bundle_to_onnx(const Bundle& b, const OnnxOptions& opt) {
  Result<Graph> g = build(b.spec);
  if (!g.ok()) return Result<std::vector<uint8_t>>::Fail(g.error);
  OnnxOptions o = opt;
  if (o.doc.empty()) o.doc = b.name + ": " + b.spec.describe();
  return write_onnx(g.value, b.weights, o);
}

}  // namespace p2p
