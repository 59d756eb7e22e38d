// Test tool for the browser tests (em++, run under node): writes untrained model bundles and the
// ONNX model the page builds from a bundle, with the same shared/ code the page runs.
//   node make_bundle.js bundle DIR NET NGF SIZE SEED NAME [GAIN] [LICENSE] [ATTRIBUTION]
//     NET: a generator (unet_256, resnet_9blocks, ...) or "transformer" (the fast-style net, width NGF: a style bundle)
//     GAIN: of the reference initialisation (0.02); larger makes outputs that vary more with the input
//   node make_bundle.js onnx DIR OUT.onnx [compute|export|import]
//     the bundle's norm mode, no dropout noise; instance-norm statistics computed (default), exported or imported
//   node make_bundle.js tiles DIR WIDTH HEIGHT MAX_SIDE [MARGIN]
//     prints JSON: the network's receptive field and the page's tile plan (margin: the field's radius by default)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/json.h"
#include "shared/models.h"
#include "shared/tiles.h"

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "make_bundle: %s\n", why.c_str());
  return 1;
}

int make_bundle(int argc, char** argv) {
  if (argc < 8) return fail("bundle DIR NET NGF SIZE SEED NAME [GAIN] [LICENSE] [ATTRIBUTION]");
  p2p::ModelSpec spec;
  if (std::string(argv[3]) == "transformer") spec = p2p::ModelSpec::transformer();
  else spec.net = argv[3];
  spec.ngf = std::atoi(argv[4]);
  p2p::Result<p2p::Graph> g = p2p::build(spec);
  if (!g.ok()) return fail(g.error);
  p2p::BundleInfo info;
  info.name = argv[7];
  info.spec = spec;
  info.task = p2p::task_of(spec);
  info.height = info.width = std::atoi(argv[5]);
  const float gain = argc > 8 ? std::strtof(argv[8], nullptr) : 0.02f;
  info.license = argc > 9 ? argv[9] : "MIT";
  info.attribution = argc > 10 ? argv[10] : "untrained, randomly initialised";
  p2p::Weights w = p2p::init_weights(g.value, std::strtoull(argv[6], nullptr, 10), gain);
  p2p::Status st = p2p::write_bundle(argv[2], info, w, false);
  return st.ok() ? 0 : fail(st.error);
}

int make_onnx(int argc, char** argv) {
  if (argc < 4) return fail("onnx DIR OUT.onnx [compute|export|import]");
  p2p::Result<p2p::Bundle> b = p2p::read_bundle(argv[2]);
  if (!b.ok()) return fail(b.error);
  p2p::OnnxOptions opt = p2p::onnx_options(b.value);  // as the page
  const std::string stats = argc > 4 ? argv[4] : "compute";
  if (stats == "export") opt.norm_stats = p2p::NormStats::Export;
  else if (stats == "import") opt.norm_stats = p2p::NormStats::Import;
  else if (stats != "compute") return fail("statistics '" + stats + "' (compute, export or import)");
  p2p::Result<std::vector<uint8_t>> bytes = p2p::bundle_to_onnx(b.value, opt);
  if (!bytes.ok()) return fail(bytes.error);
  p2p::Status st = p2p::write_file_atomic(argv[3], bytes.value);
  return st.ok() ? 0 : fail(st.error);
}

int make_tiles(int argc, char** argv) {
  if (argc < 6) return fail("tiles DIR WIDTH HEIGHT MAX_SIDE [MARGIN]");
  p2p::Result<p2p::Bundle> b = p2p::read_bundle(argv[2]);
  if (!b.ok()) return fail(b.error);
  p2p::Result<p2p::Graph> g = p2p::build(b.value.spec);
  if (!g.ok()) return fail(g.error);
  p2p::Result<p2p::ReceptiveField> rf = p2p::receptive_field(g.value);
  if (!rf.ok()) return fail(rf.error);
  const int margin = argc > 6 ? std::atoi(argv[6]) : rf.value.radius();
  p2p::Result<std::vector<p2p::Tile>> plan = p2p::plan_tiles(std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), margin);
  if (!plan.ok()) return fail(plan.error);
  auto rect = [](const p2p::Rect& r) {
    p2p::Json j = p2p::Json::array();
    for (int v : {r.x, r.y, r.width, r.height}) j.push_back(double(v));
    return j;
  };
  p2p::Json out = p2p::Json::object(), tiles = p2p::Json::array();
  out["before"] = rf.value.before;
  out["after"] = rf.value.after;
  out["margin"] = margin;
  for (const p2p::Tile& t : plan.value) {
    p2p::Json e = p2p::Json::object();
    e["input"] = rect(t.input);
    e["core"] = rect(t.core);
    tiles.push_back(e);
  }
  out["tiles"] = tiles;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "bundle") return make_bundle(argc, argv);
  if (cmd == "onnx") return make_onnx(argc, argv);
  if (cmd == "tiles") return make_tiles(argc, argv);
  return fail("usage: make_bundle bundle|onnx|tiles ...");
}
