// Calls from the app into web/bridge.js (fetching, ONNX Runtime Web sessions, files, downloads).
// Their answers come back through the studio_* functions exported in js_bridge.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace studio::js {

void attach();                                        // hands the module to the bridge; once, first
void fatal(const std::string& why);                   // the app cannot start: the page says why
void fetch_index();                                   // -> studio_index_loaded / studio_index_failed
void fetch_examples();                                // -> studio_example_loaded, once per example that loads
void fetch_bundle(int token, const std::string& path);  // -> studio_bundle_progress / _loaded / _failed
void create_session(int token, const uint8_t* onnx, size_t size);  // -> studio_session_ready
void release_session(int token);
void run(int session, int run, const float* input, int channels, int height, int width);  // -> studio_run_done / _failed
// A style net's run: stats (count floats) feed its statistics inputs, stats_channels (n of them) their
// channels; none for an Export session, whose statistics come back -> studio_style_run_done / _failed.
void run_style(int session, int run, const float* input, int channels, int height, int width, const float* stats,
               size_t count, const int* stats_channels, size_t n);
void pick_file(int purpose = 0);                      // -> studio_file_loaded; purpose 1: the style panel's photo
void download(const uint8_t* data, size_t size, const std::string& name, const std::string& mime);
std::string url_param(const std::string& name);       // ?name=value of the page's address, "" when absent
void open_url(const std::string& url);                // a new tab (licence texts)

}  // namespace studio::js
