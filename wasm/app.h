// The app's state, shared by the panels: the drawing, the model session, the model picker, the
// tool settings, the style panel and the message shown to the user. One instance, reached through app().
#pragma once
#include <string>
#include <vector>

#include "imgui.h"
#include "wasm/canvas.h"
#include "wasm/inference.h"
#include "wasm/style.h"

namespace studio {

// One entry of models/index.json, and what its model.json said once downloaded.
struct ModelEntry {
  std::string id, name, path, description, license, attribution;
  std::string task = "sketch";  // "sketch" (the model picker) or "style" (the style panel)
  double megabytes = 0;
};

struct Download {
  int token = 0;  // 0: nothing downloading
  int entry = -1;
  double loaded = 0, total = 0;
};

// The style panel: a style net repaints a photo or the sketch model's output, in tiles up to 2048 px.
struct StylePanel {
  Stylizer stylizer;
  int selected = -1;  // entry of models in use or being loaded
  Download download;
  std::string error;  // a style bundle that did not load (the previous style stays in use)
  enum class Source { Sketch, Photo } source = Source::Sketch;
  p2p::Image photo;           // the photo opened in the panel, RGB
  int size = 256;             // longest side of the result, pixels
  float strength = 1.0f;      // 0: the source, 1: fully stylised, linear between
  uint64_t sketch_seen = 0;   // the sketch output version last sent to the stylizer
  p2p::Image shown;           // source and stylised blended by strength
  uint64_t shown_version = 0, shown_of = 0;
  float shown_strength = -1;

  // Whether `shown` is the stylizer's latest result at the current strength (a result lands between frames).
  bool shown_current() const { return stylizer.styled_version() == shown_of && strength == shown_strength; }
};

// An example input from examples/index.json, shown in the row under the drawing.
struct Example {
  std::string name, attribution;
  p2p::Image image;  // RGB, as shipped (fitted to the drawing's size when picked)
};

// A pointer event from the page (mouse, pen or touch), in framebuffer pixels.
struct PointerEvent {
  enum Kind { Down, Move, Up, Cancel } kind;
  float x, y, pressure;
};

struct App {
  Drawing drawing;
  Inference inference;

  // Models.
  std::vector<ModelEntry> models;
  int selected = -1;     // entry in use or being loaded
  Download download;
  std::string index_error;
  std::string model_error;  // a bundle that did not load (the previous model stays in use)

  // Tools.
  Tool tool = Tool::Pen;
  float line_width = 3.0f;
  bool live = true;
  bool variation = false;
  int seed = 1;
  std::vector<PointerEvent> pointer_events;
  ImVec2 canvas_min{0, 0};  // where the drawing is shown, framebuffer pixels
  float canvas_scale = 1;   // framebuffer pixels per drawing pixel
  bool canvas_blocked = false;  // a popup covers the canvas: pointer events do not draw

  StylePanel style;

  // Examples: the page opens on the first one that arrives while the drawing is untouched.
  std::vector<Example> examples;
  int example_shown = -1;           // the example the drawing shows, while unedited (else -1)
  uint64_t example_version = 0;     // the drawing version it was shown at

  std::string notice;       // the latest one-line message (file load errors, saves)
  bool show_licences = false;

  // Display.
  int fb_width = 1280, fb_height = 720;
  float pixel_ratio = 1;
  bool compact = false;  // a narrow (phone) screen: images on top, the panels below in tabs
  // Rectangles of the controls, in CSS pixels, for the test hook (name -> x, y, w, h).
  std::vector<std::pair<std::string, ImVec4>> rects;
  void remember_rect(const std::string& name);  // the last ImGui item

  void request_run() { inference.request(); }
};

App& app();

// Panels, each in its own file.
void draw_tools(App& a);          // tools_panel.cpp: pen, eraser, width, undo/redo, clear, photo, save, live, variation
void draw_model_picker(App& a);   // model_picker.cpp
void draw_licences(App& a);       // licences.cpp
void draw_style_panel(App& a);    // style_panel.cpp
void update_style(App& a);        // style_panel.cpp: follows the sketch output, runs tiles, blends by strength
void handle_pointer(App& a);      // canvas_view.cpp: pointer events -> strokes
// canvas_view.cpp; painting: the style panel's result, shown as a third pane while a style is in use
void draw_canvas(App& a, ImTextureID input, ImTextureID output, ImTextureID painting);

void draw_examples(App& a);       // examples.cpp: the row of example inputs under the images
// examples.cpp: an example arrived from the page (PNG bytes); the first one is shown on an untouched page.
void example_loaded(App& a, const std::string& name, const std::string& attribution, const uint8_t* data, size_t size);
int example_showing(const App& a);  // the example the drawing shows unedited, or -1
// examples.cpp: example i fitted to the drawing; replace_history: as a fresh page (no undo), else undoable.
void show_example(App& a, int i, bool replace_history);
float examples_row_height(const App& a);  // what draw_examples takes, 0 with no examples

// tools_panel.cpp: a picture cut to the shape width x height (centred) and scaled to that size.
p2p::Image fit_image(const p2p::Image& photo, int width, int height);

// Model picker actions, called from js_bridge.cpp.
void models_index_loaded(App& a, const std::string& json);
void models_select(App& a, int entry);
void models_bundle_loaded(App& a, int token, const std::string& json, const uint8_t* weights, size_t size);
void models_bundle_failed(App& a, int token, const std::string& why);

// Style panel actions, called from js_bridge.cpp.
void style_select(App& a, int entry);
void style_bundle_loaded(App& a, int token, const std::string& json, const uint8_t* weights, size_t size);
void style_bundle_failed(App& a, int token, const std::string& why);
void load_style_photo(App& a, const uint8_t* data, size_t size);

// Tools actions, called from js_bridge.cpp.
void load_photo(App& a, const uint8_t* data, size_t size);
void shortcut_key(App& a, int key, int action, int mods);  // Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y

}  // namespace studio
