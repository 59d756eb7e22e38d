// The row of example inputs under the images (examples/index.json: test-split edge drawings and
// hand-drawn sketches): the page opens on the first, and picking one replaces the drawing (undoable).
#include <algorithm>
#include <string>

#include "wasm/app.h"
#include "wasm/texture.h"

namespace studio {

namespace {
std::vector<Texture> thumbnails;  // one per example, uploaded once

float thumb_side() { return ImGui::GetFrameHeight() * 2.5f; }
}  // namespace

void show_example(App& a, int i, bool replace_history) {
  if (i < 0 || i >= int(a.examples.size())) return;
  p2p::Image img = fit_image(a.examples[i].image, a.drawing.width(), a.drawing.height());
  if (replace_history) a.drawing.reset(std::move(img));
  else a.drawing.set_image(std::move(img));
  a.example_shown = i;
  a.example_version = a.drawing.version();
  a.request_run();
}

int example_showing(const App& a) {
  return a.example_shown >= 0 && a.drawing.version() == a.example_version ? a.example_shown : -1;
}

void example_loaded(App& a, const std::string& name, const std::string& attribution, const uint8_t* data, size_t size) {
  p2p::Result<p2p::Image> img = p2p::decode_image(data, size, 3);
  if (!img.ok()) {
    a.notice = "example " + name + ": " + img.error;
    return;
  }
  a.examples.push_back({name, attribution, std::move(img.value)});
  // The page opens on an example, unless something was drawn or opened already.
  if (a.examples.size() == 1 && a.drawing.undo_depth() == 0 && !a.drawing.stroking()) show_example(a, 0, true);
}

float examples_row_height(const App& a) {
  if (a.examples.empty()) return 0;
  const ImGuiStyle& st = ImGui::GetStyle();
  return ImGui::GetTextLineHeightWithSpacing() + thumb_side() + 2 * st.FramePadding.y + st.ItemSpacing.y;
}

void draw_examples(App& a) {
  if (a.examples.empty()) return;
  const int n = int(a.examples.size());
  thumbnails.resize(a.examples.size());
  const ImGuiStyle& st = ImGui::GetStyle();
  ImGui::TextUnformatted("Examples (click one to draw it)");
  // Thumbnails shrink to keep the row on one line on a narrow screen.
  const float fit = (ImGui::GetContentRegionAvail().x - st.ItemSpacing.x * float(n - 1)) / float(n) - 2 * st.FramePadding.x;
  const float side = std::max(8.0f, std::min(thumb_side(), fit));
  const int shown = example_showing(a);
  for (int i = 0; i < n; i++) {
    thumbnails[i].update(a.examples[i].image, 1);
    if (i) ImGui::SameLine();
    ImGui::PushID(i);
    if (i == shown) ImGui::PushStyleColor(ImGuiCol_Button, st.Colors[ImGuiCol_ButtonActive]);
    const bool picked = ImGui::ImageButton(thumbnails[i].imgui(), ImVec2(side, side));
    if (i == shown) ImGui::PopStyleColor();
    a.remember_rect("example_" + std::to_string(i));
    const Example& e = a.examples[i];
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("%s%s%s", e.name.c_str(), e.attribution.empty() ? "" : "\n", e.attribution.c_str());
    if (picked && i != shown) show_example(a, i, false);
    ImGui::PopID();
  }
}

}  // namespace studio
