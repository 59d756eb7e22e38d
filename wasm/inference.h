// The model that turns the drawing into an image: the checked bundle, the ONNX bytes built from it
// (with or without dropout noise), the session in JS, and the queue: one run in flight, one pending.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/bundle.h"
#include "shared/graph.h"
#include "shared/image.h"
#include "wasm/canvas.h"

namespace studio {

class Inference {
 public:
  // A downloaded bundle: checked, turned into ONNX and handed to JS for a session. Fails with the
  // one-line reason; the model in use stays in use until the new session is ready.
  p2p::Status load(const std::string& id, std::string_view model_json, const uint8_t* weights, size_t size);
  // Dropout kept on as noise with this seed (the reference test protocol), or off: a new session.
  p2p::Status set_variation(bool on, int64_t seed);
  bool variation() const { return variation_; }
  int64_t seed() const { return seed_; }

  void request() { pending_ = true; }  // the input changed: coalesced with a request not yet started
  void pump(const Drawing& drawing);   // starts the pending run when the session is free

  // From JS.
  void session_ready(int token, bool ok, const std::string& message, const std::string& backend);
  void run_done(int run, std::vector<float> data, int channels, int height, int width, double ms);
  void run_failed(int run, const std::string& message);

  // The model in use (null before the first session is ready) and the one being prepared.
  const p2p::Bundle* bundle() const { return active_.bundle.get(); }
  const std::string& model_id() const { return active_.id; }
  const std::string& preparing_id() const { return preparing_.id; }
  bool preparing() const { return preparing_.token != 0; }
  bool busy() const { return in_flight_ != 0; }
  bool pending() const { return pending_; }

  // The ONNX model of the session in use (the test hook compares it with onnxruntime-node).
  p2p::Result<std::vector<uint8_t>> onnx() const;

  const p2p::Image& output() const { return output_; }
  uint64_t output_version() const { return output_version_; }
  uint64_t output_input_version() const { return output_for_; }  // the drawing version it was computed from
  const std::string& error() const { return error_; }
  void clear_error() { error_.clear(); }
  const std::string& backend() const { return backend_; }
  // A one-line note from the page about the backend (WebGPU failed, WebAssembly in use), else "".
  const std::string& backend_note() const { return backend_note_; }
  double last_ms() const { return last_ms_; }
  int runs() const { return runs_; }

 private:
  struct Session {
    int token = 0;
    std::string id;
    std::shared_ptr<const p2p::Bundle> bundle;
    bool variation = false;
    int64_t seed = 0;
    p2p::SizeRule sizes;  // the input sizes the network takes (U-Nets: multiples of 2^depth)
  };
  p2p::OnnxOptions options(const Session& s) const;
  p2p::Status prepare(Session s);  // builds the ONNX bytes and asks JS for a session

  Session active_, preparing_;
  bool variation_ = false;
  int64_t seed_ = 0;
  int next_token_ = 1, next_run_ = 1;
  bool pending_ = false;
  int in_flight_ = 0;  // run id, 0: none
  uint64_t in_flight_for_ = 0;
  int crop_h_ = 0, crop_w_ = 0;
  p2p::Image output_;
  uint64_t output_version_ = 0, output_for_ = 0;
  std::string error_, backend_, backend_note_;
  double last_ms_ = 0;
  int runs_ = 0;
};

}  // namespace studio
