// The seam between the app and web/bridge.js: calls out (EM_JS, copying out of the wasm heap) and
// the studio_* functions bridge.js calls back (it allocates their arguments and frees them after).
#include "wasm/js_bridge.h"

#include <emscripten.h>

#include <cstdlib>
#include <cstring>

#include "shared/bundle.h"
#include "shared/json.h"
#include "wasm/app.h"

// clang-format off
EM_JS(void, js_attach, (), { Module.bridge.attach(Module); });
EM_JS(void, js_fatal, (const char* why), { Module.bridge.fatal(UTF8ToString(why)); });
EM_JS(void, js_fetch_index, (), { Module.bridge.fetchIndex(); });
EM_JS(void, js_fetch_examples, (), { Module.bridge.fetchExamples(); });
EM_JS(void, js_fetch_bundle, (int token, const char* path), { Module.bridge.fetchBundle(token, UTF8ToString(path)); });
EM_JS(void, js_create_session, (int token, const uint8_t* p, size_t n), {
  Module.bridge.createSession(token, HEAPU8.slice(p, p + n));
});
EM_JS(void, js_release_session, (int token), { Module.bridge.releaseSession(token); });
EM_JS(void, js_run, (int session, int run, const float* p, int c, int h, int w), {
  Module.bridge.run(session, run, HEAPF32.slice(p >> 2, (p >> 2) + c * h * w), c, h, w);
});
EM_JS(void, js_run_style, (int session, int run, const float* p, int c, int h, int w, const float* s, size_t count,
                           const int* ch, size_t n), {
  Module.bridge.runStyle(session, run, HEAPF32.slice(p >> 2, (p >> 2) + c * h * w), c, h, w,
                         HEAPF32.slice(s >> 2, (s >> 2) + count), HEAP32.slice(ch >> 2, (ch >> 2) + n));
});
EM_JS(void, js_pick_file, (int purpose), { Module.bridge.pickFile(purpose); });
EM_JS(void, js_download, (const uint8_t* p, size_t n, const char* name, const char* mime), {
  Module.bridge.download(HEAPU8.slice(p, p + n), UTF8ToString(name), UTF8ToString(mime));
});
EM_JS(char*, js_url_param, (const char* name), {
  const v = new URLSearchParams(location.search).get(UTF8ToString(name));
  if (v === null) return 0;
  const n = lengthBytesUTF8(v) + 1, p = _malloc(n);
  stringToUTF8(v, p, n);
  return p;
});
EM_JS(void, js_open_url, (const char* url), { window.open(UTF8ToString(url), "_blank", "noopener"); });
// clang-format on

namespace studio::js {

void attach() { js_attach(); }
void fatal(const std::string& why) { js_fatal(why.c_str()); }
void fetch_index() { js_fetch_index(); }
void fetch_examples() { js_fetch_examples(); }
void fetch_bundle(int token, const std::string& path) { js_fetch_bundle(token, path.c_str()); }
void create_session(int token, const uint8_t* onnx, size_t size) { js_create_session(token, onnx, size); }
void release_session(int token) { js_release_session(token); }
void run(int session, int run, const float* input, int channels, int height, int width) {
  js_run(session, run, input, channels, height, width);
}
void run_style(int session, int run, const float* input, int channels, int height, int width, const float* stats,
               size_t count, const int* stats_channels, size_t n) {
  js_run_style(session, run, input, channels, height, width, stats, count, stats_channels, n);
}
void pick_file(int purpose) { js_pick_file(purpose); }
void download(const uint8_t* data, size_t size, const std::string& name, const std::string& mime) {
  js_download(data, size, name.c_str(), mime.c_str());
}
std::string url_param(const std::string& name) {
  char* p = js_url_param(name.c_str());
  if (!p) return "";
  std::string s(p);
  std::free(p);
  return s;
}
void open_url(const std::string& url) { js_open_url(url.c_str()); }

}  // namespace studio::js

using studio::app;

namespace {

p2p::Json rect_json(const ImVec4& r) {
  p2p::Json j = p2p::Json::array();
  for (float v : {r.x, r.y, r.z, r.w}) j.push_back(double(v));
  return j;
}

// What the test hook (window.studio.state()) reads: enough to wait for results and find controls.
std::string state_json() {
  studio::App& a = app();
  const studio::Inference& inf = a.inference;
  p2p::Json j = p2p::Json::object();
  j["model"] = inf.model_id();
  j["preparing"] = inf.preparing_id();
  j["downloading"] = a.download.token ? a.models[a.download.entry].id : std::string();
  j["download_loaded"] = a.download.loaded;
  j["download_total"] = a.download.total;
  j["backend_note"] = inf.backend_note();
  j["compact"] = a.compact;
  p2p::Json examples = p2p::Json::array();
  for (const studio::Example& e : a.examples) examples.push_back(e.name);
  j["examples"] = examples;
  j["example"] = studio::example_showing(a);
  const std::string& err = !a.model_error.empty() ? a.model_error : !a.index_error.empty() ? a.index_error : inf.error();
  j["error"] = err;
  j["notice"] = a.notice;
  j["backend"] = inf.backend();
  j["last_ms"] = inf.last_ms();
  j["runs"] = inf.runs();
  j["busy"] = inf.busy();
  j["pending"] = inf.pending();
  j["input_version"] = double(a.drawing.version());
  j["output_version"] = double(inf.output_version());
  j["output_for"] = double(inf.output_input_version());
  j["width"] = a.drawing.width();
  j["height"] = a.drawing.height();
  j["stroking"] = a.drawing.stroking();
  j["queued_events"] = double(a.pointer_events.size());  // not yet drawn
  j["undo"] = double(a.drawing.undo_depth());
  j["redo"] = double(a.drawing.redo_depth());
  j["tool"] = a.tool == studio::Tool::Pen ? "pen" : "eraser";
  j["line_width"] = a.line_width;
  j["live"] = a.live;
  j["variation"] = inf.variation();
  j["seed"] = double(inf.seed());
  j["pixel_ratio"] = a.pixel_ratio;
  p2p::Json models = p2p::Json::array();
  for (const studio::ModelEntry& m : a.models) {
    p2p::Json e = p2p::Json::object();
    e["id"] = m.id;
    e["name"] = m.name;
    e["license"] = m.license;
    e["attribution"] = m.attribution;
    e["task"] = m.task;
    models.push_back(e);
  }
  j["models"] = models;
  const studio::StylePanel& st = a.style;
  const studio::Stylizer& sz = st.stylizer;
  p2p::Json style = p2p::Json::object();
  style["id"] = sz.style_id();
  style["preparing"] = sz.preparing_id();
  style["downloading"] = st.download.token ? a.models[st.download.entry].id : std::string();
  style["error"] = !st.error.empty() ? st.error : sz.error();
  style["source"] = st.source == studio::StylePanel::Source::Photo ? "photo" : "sketch";
  style["busy"] = sz.busy();
  style["pending"] = sz.pending();
  style["tiles_done"] = sz.tiles_done();
  style["tiles_total"] = sz.tiles_total();
  style["jobs"] = sz.jobs();
  style["last_ms"] = sz.last_ms();
  style["last_tiles"] = sz.last_tiles();
  style["last_run_ms"] = sz.last_run_ms();
  style["receptive_field"] = sz.receptive_field().size();
  style["margin"] = sz.receptive_field().radius();
  style["size"] = st.size;
  style["tile_side"] = sz.tile_side();
  style["strength"] = st.strength;
  style["width"] = st.shown.width;
  style["height"] = st.shown.height;
  style["shown_version"] = double(st.shown_version);
  style["shown_current"] = st.shown_current();
  style["sketch_version"] = double(st.sketch_seen);
  j["style"] = style;
  for (const studio::ModelEntry& m : a.models)
    if (m.task == "style") j["style_models"].push_back(m.id);
  p2p::Json rects = p2p::Json::object();
  for (const auto& [name, r] : a.rects) rects[name] = rect_json(r);
  j["rects"] = rects;
  return j.dump();
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE void studio_index_loaded(const char* text, int size) {
  studio::models_index_loaded(app(), std::string(text, size_t(size)));
}
EMSCRIPTEN_KEEPALIVE void studio_index_failed(const char* why) { app().index_error = std::string("models/index.json: ") + why; }

// Asked with model.json before its weights are fetched: {"limit": most bytes} or {"error": one line}.
EMSCRIPTEN_KEEPALIVE const char* studio_weights_limit(const char* json, int size) {
  static std::string answer;
  p2p::Result<uint64_t> limit = p2p::bundle_weights_limit(std::string_view(json, size_t(size)));
  p2p::Json j = p2p::Json::object();
  if (limit.ok()) j["limit"] = double(limit.value);
  else j["error"] = limit.error;
  answer = j.dump();
  return answer.c_str();
}

// Tokens from Stylizer::kTokenBase up belong to the style panel (downloads, sessions and runs).
EMSCRIPTEN_KEEPALIVE void studio_bundle_progress(int token, double loaded, double total) {
  studio::App& a = app();
  studio::Download& d = token >= studio::Stylizer::kTokenBase ? a.style.download : a.download;
  if (token != d.token) return;
  d.loaded = loaded;
  d.total = total;
}
EMSCRIPTEN_KEEPALIVE void studio_bundle_loaded(int token, const char* json, int json_size, const uint8_t* weights,
                                               int weights_size) {
  if (token >= studio::Stylizer::kTokenBase)
    studio::style_bundle_loaded(app(), token, std::string(json, size_t(json_size)), weights, size_t(weights_size));
  else
    studio::models_bundle_loaded(app(), token, std::string(json, size_t(json_size)), weights, size_t(weights_size));
}
EMSCRIPTEN_KEEPALIVE void studio_bundle_failed(int token, const char* why) {
  if (token >= studio::Stylizer::kTokenBase) studio::style_bundle_failed(app(), token, why);
  else studio::models_bundle_failed(app(), token, why);
}

EMSCRIPTEN_KEEPALIVE void studio_session_ready(int token, int ok, const char* message, const char* backend) {
  if (token >= studio::Stylizer::kTokenBase) app().style.stylizer.session_ready(token, ok != 0, message, backend);
  else app().inference.session_ready(token, ok != 0, message, backend);
}
EMSCRIPTEN_KEEPALIVE void studio_style_run_done(int run, const float* data, int c, int h, int w, const float* stats,
                                                int count, double ms) {
  app().style.stylizer.run_done(run, std::vector<float>(data, data + size_t(c) * h * w), c, h, w,
                                std::vector<float>(stats, stats + count), ms);
}
EMSCRIPTEN_KEEPALIVE void studio_style_run_failed(int run, const char* message) { app().style.stylizer.run_failed(run, message); }
EMSCRIPTEN_KEEPALIVE void studio_run_done(int run, const float* data, int c, int h, int w, double ms) {
  app().inference.run_done(run, std::vector<float>(data, data + size_t(c) * h * w), c, h, w, ms);
}
EMSCRIPTEN_KEEPALIVE void studio_run_failed(int run, const char* message) { app().inference.run_failed(run, message); }

EMSCRIPTEN_KEEPALIVE void studio_file_loaded(const uint8_t* data, int size, int purpose) {
  if (purpose == 1) studio::load_style_photo(app(), data, size_t(size));
  else studio::load_photo(app(), data, size_t(size));
}

EMSCRIPTEN_KEEPALIVE void studio_example_loaded(const char* name, const char* attribution, const uint8_t* data, int size) {
  studio::example_loaded(app(), name, attribution, data, size_t(size));
}

EMSCRIPTEN_KEEPALIVE void studio_resize(int width, int height, double pixel_ratio) {
  studio::App& a = app();
  a.fb_width = width;
  a.fb_height = height;
  a.pixel_ratio = float(pixel_ratio);
}
// kind: 0 down, 1 move, 2 up, 3 cancel; x, y in framebuffer pixels.
EMSCRIPTEN_KEEPALIVE void studio_pointer(int kind, double x, double y, double pressure) {
  if (kind < 0 || kind > 3) return;
  app().pointer_events.push_back({studio::PointerEvent::Kind(kind), float(x), float(y), float(pressure)});
}

// Test hook.
EMSCRIPTEN_KEEPALIVE void studio_request_run() { app().request_run(); }  // the benchmark runs the model again
EMSCRIPTEN_KEEPALIVE const char* studio_state_json() {
  static std::string s;
  s = state_json();
  return s.c_str();
}
EMSCRIPTEN_KEEPALIVE const uint8_t* studio_input_pixels() { return app().drawing.image().pixels.data(); }
EMSCRIPTEN_KEEPALIVE const uint8_t* studio_output_pixels() {
  const p2p::Image& out = app().inference.output();
  return out.pixels.empty() ? nullptr : out.pixels.data();
}
// The style panel's images (0: source, 1: stylised, 2: shown), RGB; their size in *width, *height. Null when none.
EMSCRIPTEN_KEEPALIVE const uint8_t* studio_style_pixels(int which, int* width, int* height) {
  const studio::StylePanel& st = app().style;
  const p2p::Image& img = which == 0 ? st.stylizer.source() : which == 1 ? st.stylizer.styled() : st.shown;
  *width = img.width;
  *height = img.height;
  return img.pixels.empty() ? nullptr : img.pixels.data();
}
// The statistics of the last stylised image's thumbnail, floats in the Import model's input order.
EMSCRIPTEN_KEEPALIVE const float* studio_style_stats(int* count) {
  const std::vector<float>& s = app().style.stylizer.last_stats();
  *count = int(s.size());
  return s.data();
}
EMSCRIPTEN_KEEPALIVE void studio_style_rerun() { app().style.stylizer.rerun(); }  // the benchmark runs the style again
// The ONNX model in use, malloc'd (the caller frees it); its size in *size. Null when none.
EMSCRIPTEN_KEEPALIVE uint8_t* studio_onnx_bytes(int* size) {
  p2p::Result<std::vector<uint8_t>> bytes = app().inference.onnx();
  *size = 0;
  if (!bytes.ok()) return nullptr;
  auto* p = static_cast<uint8_t*>(std::malloc(bytes.value.size()));
  if (!p) return nullptr;
  std::memcpy(p, bytes.value.data(), bytes.value.size());
  *size = int(bytes.value.size());
  return p;
}

}  // extern "C"
