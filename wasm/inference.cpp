// The model session: a new bundle or variation becomes a new JS session, swapped in only once it
// is ready; runs take the drawing as it is when they start, so requests made meanwhile coalesce.
#include "wasm/inference.h"

#include "wasm/js_bridge.h"

namespace studio {

p2p::OnnxOptions Inference::options(const Session& s) const {
  p2p::OnnxOptions opt = p2p::onnx_options(*s.bundle);
  opt.dropout_noise = s.variation;
  opt.dropout_seed = s.seed;
  return opt;
}

p2p::Status Inference::load(const std::string& id, std::string_view model_json, const uint8_t* weights, size_t size) {
  p2p::Result<p2p::Bundle> b = p2p::read_bundle_from_memory(model_json, weights, size);
  if (!b.ok()) return p2p::Status::Fail(id + ": " + b.error);
  Session s;
  s.id = id;
  s.variation = variation_ && b.value.dropout_available;
  s.seed = seed_;
  s.bundle = std::make_shared<const p2p::Bundle>(std::move(b.value));
  return prepare(std::move(s));
}

p2p::Status Inference::set_variation(bool on, int64_t seed) {
  variation_ = on;
  seed_ = seed;
  // The model that will be in use: the one being prepared, if any, else the current one.
  const Session& base = preparing_.bundle ? preparing_ : active_;
  if (!base.bundle) return p2p::Status::Ok();
  Session s = base;
  s.variation = on && s.bundle->dropout_available;
  s.seed = seed;
  return prepare(std::move(s));
}

p2p::Status Inference::prepare(Session s) {
  p2p::Result<p2p::Graph> g = p2p::build(s.bundle->spec);
  if (!g.ok()) return p2p::Status::Fail(s.id + ": " + g.error);
  s.sizes = p2p::valid_sizes(g.value);
  p2p::Result<std::vector<uint8_t>> bytes = p2p::bundle_to_onnx(*s.bundle, options(s));
  if (!bytes.ok()) return p2p::Status::Fail(s.id + ": " + bytes.error);
  if (preparing_.token) js::release_session(preparing_.token);  // superseded before it was ready
  s.token = next_token_++;
  preparing_ = std::move(s);
  js::create_session(preparing_.token, bytes.value.data(), bytes.value.size());
  return p2p::Status::Ok();
}

void Inference::session_ready(int token, bool ok, const std::string& message, const std::string& backend) {
  if (token != preparing_.token) {
    if (ok) js::release_session(token);
    return;
  }
  if (!ok) {
    error_ = preparing_.id + ": the model does not run here: " + message;
    preparing_ = Session();
    return;
  }
  if (active_.token) js::release_session(active_.token);  // bridge.js finishes a run in flight first
  active_ = std::move(preparing_);
  preparing_ = Session();
  backend_ = backend;
  backend_note_ = message;  // a session that is ready comes with the page's note on the backend, if any
  error_.clear();
  pending_ = true;
}

void Inference::pump(const Drawing& drawing) {
  if (!pending_ || in_flight_ || !active_.token) return;
  pending_ = false;
  const p2p::Bundle& b = *active_.bundle;
  const p2p::ValueRange range = p2p::value_range(b.spec);
  p2p::Tensor t = p2p::image_to_tensor(p2p::to_channels(drawing.image(), b.spec.input_nc), range.lo, range.hi);
  crop_h_ = drawing.height();
  crop_w_ = drawing.width();
  t = p2p::pad_to_fit(t, active_.sizes);
  in_flight_ = next_run_++;
  in_flight_for_ = drawing.version();
  js::run(active_.token, in_flight_, t.data.data(), int(t.shape[1]), int(t.shape[2]), int(t.shape[3]));
}

void Inference::run_done(int run, std::vector<float> data, int channels, int height, int width, double ms) {
  if (run != in_flight_) return;
  in_flight_ = 0;
  if (!active_.bundle || (channels != 1 && channels != 3) || data.size() != size_t(channels) * height * width) {
    error_ = "inference returned an unexpected shape";
    return;
  }
  p2p::Tensor t;
  t.shape = {1, channels, height, width};
  t.data = std::move(data);
  if (height != crop_h_ || width != crop_w_) t = p2p::crop_tensor(t, crop_h_, crop_w_);
  const p2p::ValueRange range = p2p::value_range(active_.bundle->spec);
  output_ = p2p::to_channels(p2p::tensor_to_image(t, range.lo, range.hi), 3);
  output_version_++;
  output_for_ = in_flight_for_;
  last_ms_ = ms;
  runs_++;
}

void Inference::run_failed(int run, const std::string& message) {
  if (run != in_flight_) return;
  in_flight_ = 0;
  error_ = "inference failed: " + message;
}

p2p::Result<std::vector<uint8_t>> Inference::onnx() const {
  if (!active_.bundle) return p2p::Result<std::vector<uint8_t>>::Fail("no model loaded");
  return p2p::bundle_to_onnx(*active_.bundle, options(active_));
}

}  // namespace studio
