// Test tool for the browser tests (em++, run under node): writes untrained model bundles and the
// ONNX model the page builds from a bundle, with the same shared/ code the page runs.
//   node make_bundle.js bundle DIR NET NGF SIZE SEED NAME [GAIN] [LICENSE] [ATTRIBUTION]
//     GAIN: of the reference initialisation (0.02); larger makes outputs that vary more with the input
//   node make_bundle.js onnx DIR OUT.onnx     (the bundle's norm mode, no dropout noise)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shared/bundle.h"
#include "shared/file_io.h"
#include "shared/models.h"

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "make_bundle: %s\n", why.c_str());
  return 1;
}

int make_bundle(int argc, char** argv) {
  if (argc < 8) return fail("bundle DIR NET NGF SIZE SEED NAME [GAIN] [LICENSE] [ATTRIBUTION]");
  p2p::ModelSpec spec;
  spec.net = argv[3];
  spec.ngf = std::atoi(argv[4]);
  p2p::Result<p2p::Graph> g = p2p::build(spec);
  if (!g.ok()) return fail(g.error);
  p2p::BundleInfo info;
  info.name = argv[7];
  info.spec = spec;
  info.height = info.width = std::atoi(argv[5]);
  const float gain = argc > 8 ? std::strtof(argv[8], nullptr) : 0.02f;
  info.license = argc > 9 ? argv[9] : "MIT";
  info.attribution = argc > 10 ? argv[10] : "untrained, randomly initialised";
  p2p::Weights w = p2p::init_weights(g.value, std::strtoull(argv[6], nullptr, 10), gain);
  p2p::Status st = p2p::write_bundle(argv[2], info, w, false);
  return st.ok() ? 0 : fail(st.error);
}

int make_onnx(int argc, char** argv) {
  if (argc < 4) return fail("onnx DIR OUT.onnx");
  p2p::Result<p2p::Bundle> b = p2p::read_bundle(argv[2]);
  if (!b.ok()) return fail(b.error);
  p2p::Result<std::vector<uint8_t>> bytes = p2p::bundle_to_onnx(b.value, p2p::onnx_options(b.value));  // as the page
  if (!bytes.ok()) return fail(bytes.error);
  p2p::Status st = p2p::write_file_atomic(argv[3], bytes.value);
  return st.ok() ? 0 : fail(st.error);
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "bundle") return make_bundle(argc, argv);
  if (cmd == "onnx") return make_onnx(argc, argv);
  return fail("usage: make_bundle bundle|onnx ...");
}
