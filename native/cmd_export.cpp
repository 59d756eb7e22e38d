// pix2pix export: a model file (.safetensors from import or train) as an ONNX model and/or as a web
// bundle (model.json + weights.safetensors). The test-time choices (norm mode, dropout noise) are recorded.
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "native/commands.h"
#include "native/model_file.h"
#include "native/options.h"
#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/onnx_writer.h"

namespace p2p {

int cmd_export(const Args& args) {
  std::string model, onnx, bundle, norm_mode = "auto", name, direction = "AtoB", license, attribution;
  std::string epoch = "latest", checkpoints_dir = "runs", metrics, provenance;
  bool fp16 = false, dropout_noise = false;
  int dropout_seed = 0, height = 256, width = 256;
  Options o("export", "A model file as an ONNX model (--onnx) and/or a web bundle (--bundle: model.json + weights.safetensors).");
  o.text("model", &model, "FILE", "model weights with their architecture in the metadata (from import or train)");
  o.text("onnx", &onnx, "FILE", "write the ONNX model here");
  o.text("bundle", &bundle, "DIR", "write the web bundle into this folder");
  o.flag("fp16", &fp16, "store the weights as float16 (computation stays float32)");
  o.choice("norm-mode", &norm_mode, norm_mode_choices(), kNormModeHelp);
  o.flag("dropout-noise", &dropout_noise, "ONNX: keep dropout on as noise (the reference protocol)");
  o.integer("dropout-seed", &dropout_seed, "ONNX: seed of the dropout noise");
  o.text("name", &name, "TEXT", "without --model: the training run to export (checkpoints_dir/NAME); bundle: name shown "
                                "in the model picker (default: the model file's name)");
  o.text("epoch", &epoch, "LABEL", "with --name: which checkpoint, latest or an epoch number");
  o.text("checkpoints_dir", &checkpoints_dir, "DIR", "with --name: where runs are kept");
  o.choice("direction", &direction, {"AtoB", "BtoA"}, "bundle: which side of the pairs the model takes");
  o.integer("height", &height, "bundle: image height the model was trained at");
  o.integer("width", &width, "bundle: image width the model was trained at");
  o.text("license", &license, "TEXT", "bundle: licence of the model");
  o.text("attribution", &attribution, "TEXT", "bundle: credit for the data and the model");
  o.text("metrics", &metrics, "FILE", "bundle: a metrics.json of `pix2pix test`, recorded as provenance.test_metrics");
  o.text("provenance", &provenance, "FILE", "bundle: a JSON object whose members are added to model.json's provenance");
  if (Status st = o.parse(args); !st.ok()) return fail("export", st.error, 2);
  if (o.help_requested()) return std::printf("%s", o.help().c_str()), 0;
  if (model.empty() && !name.empty()) model = checkpoints_dir + "/" + name + "/checkpoints/" + epoch + "_net_G.safetensors";
  if (model.empty()) return fail("export", "--model FILE or --name RUN is required", 2);
  if (onnx.empty() && bundle.empty()) return fail("export", "nothing to write: give --onnx FILE and/or --bundle DIR", 2);
  if (height < 1 || width < 1 || height > 16384 || width > 16384) return fail("export", "--height and --width must be in 1..16384", 2);

  Result<ModelFile> m = load_model_file(model);
  if (!m.ok()) return fail("export", m.error, 2);
  // A checkpoint of `pix2pix train` records the run's direction and crop size.
  if (auto it = m.value.metadata.find("direction"); it != m.value.metadata.end() && !o.given("direction"))
    direction = it->second == "BtoA" ? "BtoA" : "AtoB";
  if (auto it = m.value.metadata.find("crop_size"); it != m.value.metadata.end() && !o.given("height") && !o.given("width"))
    if (int s = std::atoi(it->second.c_str()); s > 0 && s <= 16384) height = width = s;
  const ModelSpec& spec = m.value.spec;
  const NormMode mode = chosen_norm_mode(norm_mode, spec);

  // Everything read before anything is written, so a bad file leaves no half-done export.
  Json extra = Json::object();  // provenance beyond the checkpoint's metadata
  if (!name.empty() && !o.given("model") && file_exists(checkpoints_dir + "/" + name + "/options.json")) {
    Result<Json> options = read_json_file(checkpoints_dir + "/" + name + "/options.json");
    if (!options.ok()) return fail("export", options.error, 2);
    extra["training_options"] = std::move(options.value);
  }
  if (!metrics.empty()) {
    Result<Json> j = read_json_file(metrics);
    if (!j.ok()) return fail("export", j.error, 2);
    const Json* summary = j.value.find("summary");
    if (!summary || !summary->is_object())
      return fail("export", metrics + ": no \"summary\" object (expected the metrics.json of pix2pix test)", 2);
    extra["test_metrics"] = *summary;
  }
  if (!provenance.empty()) {
    Result<Json> j = read_json_file(provenance);
    if (!j.ok()) return fail("export", j.error, 2);
    if (!j.value.is_object()) return fail("export", provenance + ": expected a JSON object", 2);
    for (size_t i = 0; i < j.value.size(); i++) extra[j.value.keys()[i]] = j.value.items()[i];
  }

  if (!onnx.empty()) {
    OnnxOptions opt;
    opt.norm_mode = mode;
    opt.dropout_noise = dropout_noise || o.given("dropout-seed");
    opt.dropout_seed = dropout_seed;
    opt.fp16 = fp16;
    opt.doc = spec.describe();
    Result<std::vector<uint8_t>> bytes = write_onnx(m.value.graph, m.value.weights, opt);
    if (!bytes.ok()) return fail("export", bytes.error);
    if (Status st = write_file_atomic(onnx, bytes.value); !st.ok()) return fail("export", st.error);
    std::printf("wrote %s (%s, %.1f MB)\n", onnx.c_str(), spec.describe().c_str(), bytes.value.size() / 1e6);
  }
  if (!bundle.empty()) {
    if (spec.arch != Arch::Generator && spec.arch != Arch::Transformer)
      return fail("export", "a bundle holds a generator or a transformer net, not " + spec.describe(), 2);
    BundleInfo info;
    info.name = name.empty() ? base_name(model) : name;
    if (name.empty() && info.name.size() > 12 && info.name.substr(info.name.size() - 12) == ".safetensors")
      info.name.resize(info.name.size() - 12);
    info.task = task_of(spec);
    info.spec = spec;
    info.height = height, info.width = width;
    info.direction = direction;
    info.norm_mode = mode;
    info.provenance = Json::object();
    info.provenance["exported_from"] = base_name(model);
    // What `pix2pix train` recorded in the checkpoint, numbers as numbers.
    for (const char* k : {"source", "run", "dataset", "hardware", "style_image", "loss_network"})
      if (auto it = m.value.metadata.find(k); it != m.value.metadata.end()) info.provenance[k] = it->second;
    for (const auto& [k, key] : {std::pair{"epochs", "epochs"}, {"total_iters", "images_seen"}, {"train_seconds", "train_seconds"}, {"steps", "steps"}})
      if (auto it = m.value.metadata.find(k); it != m.value.metadata.end()) info.provenance[key] = std::atof(it->second.c_str());
    for (size_t i = 0; i < extra.size(); i++) info.provenance[extra.keys()[i]] = extra.items()[i];
    info.license = license;
    info.attribution = attribution;
    if (Status st = write_bundle(bundle, info, m.value.weights, fp16); !st.ok()) return fail("export", st.error);
    std::printf("wrote %s/model.json and %s/weights.safetensors (%s)\n", bundle.c_str(), bundle.c_str(),
                spec.describe().c_str());
  }
  return 0;
}

}  // namespace p2p
