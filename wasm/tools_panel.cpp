// The tools panel: pen and eraser, line width, undo/redo (also Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y), clear,
// a photo as the input and its line drawing, saving the output as PNG, live mode and variation.
#include <algorithm>
#include <cstdio>
#include <random>

#include <GLFW/glfw3.h>

#include "wasm/app.h"
#include "wasm/js_bridge.h"

namespace studio {

namespace {

bool tool_button(App& a, const char* label, const char* rect_name, Tool t) {
  const bool on = a.tool == t;
  if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
  const bool pressed = ImGui::Button(label);
  if (on) ImGui::PopStyleColor();
  a.remember_rect(rect_name);
  if (pressed) a.tool = t;
  return pressed;
}

void undo(App& a) {
  if (a.drawing.undo()) a.request_run();
}
void redo(App& a) {
  if (a.drawing.redo()) a.request_run();
}

}  // namespace

p2p::Image fit_image(const p2p::Image& photo, int width, int height) {
  const double target = double(width) / height, have = double(photo.width) / photo.height;
  int cw = photo.width, ch = photo.height;
  if (have > target) cw = std::max(1, int(photo.height * target + 0.5));
  else ch = std::max(1, int(photo.width / target + 0.5));
  p2p::Image cut = p2p::crop(photo, (photo.width - cw) / 2, (photo.height - ch) / 2, cw, ch);
  if (cut.width == width && cut.height == height) return cut;
  return p2p::resize_bicubic(cut, width, height);
}

// Taken from GLFW's key events as they come: Dear ImGui 1.86 polls keys once per frame, and misses
// a press and release that both happen between two frames.
void shortcut_key(App& a, int key, int action, int mods) {
  if (action != GLFW_PRESS || !(mods & (GLFW_MOD_CONTROL | GLFW_MOD_SUPER)) || ImGui::GetIO().WantTextInput) return;
  if (key == GLFW_KEY_Z) (mods & GLFW_MOD_SHIFT) ? redo(a) : undo(a);
  if (key == GLFW_KEY_Y) redo(a);
}

void load_photo(App& a, const uint8_t* data, size_t size) {
  p2p::Result<p2p::Image> img = p2p::decode_image(data, size, 3);
  if (!img.ok()) {
    a.notice = "Could not read that image: " + img.error;
    return;
  }
  a.drawing.set_image(fit_image(img.value, a.drawing.width(), a.drawing.height()));
  a.notice = "Loaded a " + std::to_string(img.value.width) + "x" + std::to_string(img.value.height) + " image";
  a.request_run();
}

void draw_tools(App& a) {
  ImGui::TextUnformatted("Draw");
  tool_button(a, "Pen", "pen", Tool::Pen);
  ImGui::SameLine();
  tool_button(a, "Eraser", "eraser", Tool::Eraser);
  ImGui::SetNextItemWidth(-1);
  ImGui::SliderFloat("##width", &a.line_width, 1.0f, 24.0f, "width %.0f px");
  a.remember_rect("width");

  ImGui::BeginDisabled(a.drawing.undo_depth() == 0);
  if (ImGui::Button("Undo")) undo(a);
  ImGui::EndDisabled();
  a.remember_rect("undo");
  ImGui::SameLine();
  ImGui::BeginDisabled(a.drawing.redo_depth() == 0);
  if (ImGui::Button("Redo")) redo(a);
  ImGui::EndDisabled();
  a.remember_rect("redo");
  ImGui::SameLine();
  if (ImGui::Button("Clear")) a.drawing.clear(), a.request_run();
  a.remember_rect("clear");

  ImGui::Separator();
  ImGui::TextUnformatted("Input");
  if (ImGui::Button("Open image...")) js::pick_file(0);
  a.remember_rect("open");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("A photo or a drawing; dropping a file on the page works too");
  if (ImGui::Button("Photo to lines")) {
    a.drawing.set_image(p2p::to_channels(p2p::extract_edges(a.drawing.image()), 3));
    a.request_run();
  }
  a.remember_rect("edges");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Turn the input into a line drawing (edge detection)");

  ImGui::Separator();
  ImGui::TextUnformatted("Output");
  ImGui::Checkbox("Live", &a.live);
  a.remember_rect("live");
  if (!a.live) {
    ImGui::SameLine();
    if (ImGui::Button("Generate")) a.request_run();
    a.remember_rect("generate");
  }
  ImGui::BeginDisabled(a.inference.output_version() == 0);
  if (ImGui::Button("Save PNG")) {
    std::vector<uint8_t> png = p2p::encode_png(a.inference.output());
    js::download(png.data(), png.size(), "pix2pix.png", "image/png");
    a.notice = "Saved pix2pix.png";
  }
  ImGui::EndDisabled();
  a.remember_rect("save");

  const p2p::Bundle* b = a.inference.bundle();
  const bool can_vary = b && b->dropout_available;
  ImGui::BeginDisabled(!can_vary);
  bool changed = ImGui::Checkbox("Variation", &a.variation);
  a.remember_rect("variation");
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip(can_vary ? "Dropout noise at test time, as the pix2pix paper does" : "This model has no dropout");
  if (a.variation) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    changed |= ImGui::InputInt("seed", &a.seed);
    ImGui::SameLine();
    if (ImGui::Button("Re-roll")) {
      static std::mt19937 rng(std::random_device{}());
      a.seed = int(rng() % 100000);
      changed = true;
    }
    a.remember_rect("reroll");
  }
  ImGui::EndDisabled();
  if (changed) {
    p2p::Status st = a.inference.set_variation(a.variation, a.seed);
    if (!st.ok()) a.model_error = st.error;
  }
}

}  // namespace studio
