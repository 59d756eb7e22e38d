// Input and output side by side (and the style panel's painting while a style is in use), room left under
// them for the example row, and over the empty output what is coming (download progress): the drawing
// shown at a whole number of screen pixels per model pixel (crisp on HiDPI screens), and pointer
// events (mouse, pen, touch) turned into strokes on it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "wasm/app.h"

namespace studio {

namespace {
// The largest scale that fits, a whole number when at least 1 so that pixels stay square and sharp.
float fit_scale(ImVec2 avail, int width, int height) {
  float s = std::min(avail.x / float(width), avail.y / float(height));
  return s >= 1.0f ? std::floor(s) : std::max(s, 0.05f);
}

// Returns the screen position of the image's top-left corner. overlay, if any, draws over the image (p to q).
ImVec2 image_pane(App& a, const char* name, const char* title, ImTextureID tex, ImVec2 size, float scale, int w, int h,
                  const std::function<void(ImVec2 p, ImVec2 q)>& overlay = nullptr) {
  ImGui::BeginGroup();
  ImGui::TextUnformatted(title);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const ImVec2 q(p.x + float(w) * scale, p.y + float(h) * scale);
  ImGui::InvisibleButton(name, ImVec2(std::max(size.x, 1.0f), std::max(q.y - p.y, 1.0f)));
  a.remember_rect(name);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, q, IM_COL32(255, 255, 255, 255));
  if (tex) dl->AddImage(tex, p, q);
  dl->AddRect(ImVec2(p.x - 1, p.y - 1), ImVec2(q.x + 1, q.y + 1), IM_COL32(90, 90, 100, 255));
  if (overlay) overlay(p, q);
  ImGui::EndGroup();
  return p;
}
// Over the output pane: the model's download (a progress bar, also on phones where the model picker
// is in another tab), its preparation, or the first run, so that an empty pane says what is coming.
void output_overlay(App& a, ImVec2 p, ImVec2 q) {
  const Inference& inf = a.inference;
  std::string text;
  float frac = -1;
  char line[160];
  if (a.download.token) {
    const ModelEntry& m = a.models[a.download.entry];
    if (a.download.total > 0)
      std::snprintf(line, sizeof line, "Downloading %s: %.1f / %.1f MB", m.name.c_str(), a.download.loaded / 1e6, a.download.total / 1e6);
    else
      std::snprintf(line, sizeof line, "Downloading %s ...", m.name.c_str());
    text = line;
    frac = a.download.total > 0 ? float(a.download.loaded / a.download.total) : 0.0f;
  } else if (inf.preparing() && !inf.output_version()) {
    text = "Preparing the model ...";
  } else if (!inf.output_version() && (inf.busy() || inf.pending()) && inf.bundle()) {
    text = "Running the model ...";
  }
  if (text.empty()) return;
  const float pad = ImGui::GetStyle().FramePadding.x, width = q.x - p.x - 2 * pad;
  const float h = ImGui::GetTextLineHeightWithSpacing() * 2 + ImGui::GetFrameHeight() * (frac >= 0 ? 1.0f : 0.0f);
  const ImVec2 at(p.x + pad, std::max(p.y + pad, q.y - h - pad));
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, at.y - pad), q, IM_COL32(20, 20, 26, 220));
  ImGui::SetCursorScreenPos(at);
  ImGui::PushTextWrapPos(at.x + width);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopTextWrapPos();
  if (frac >= 0) {
    ImGui::SetCursorScreenPos(ImVec2(at.x, ImGui::GetCursorScreenPos().y));
    ImGui::ProgressBar(frac, ImVec2(width, 0), "");
    a.remember_rect("download_progress");
  }
}
}  // namespace

void draw_canvas(App& a, ImTextureID input, ImTextureID output, ImTextureID painting) {
  const int w = a.drawing.width(), h = a.drawing.height();
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.y -= ImGui::GetTextLineHeightWithSpacing() + examples_row_height(a);
  const bool side_by_side = avail.x >= avail.y;  // portrait screens stack them
  const StylePanel& st = a.style;
  const bool styled = !st.stylizer.style_id().empty() || !st.stylizer.preparing_id().empty();
  const float n = styled ? 3.0f : 2.0f;
  ImVec2 pane = side_by_side ? ImVec2((avail.x - gap * (n - 1)) / n, avail.y) : ImVec2(avail.x, avail.y / n - gap);
  const float scale = fit_scale(ImVec2(pane.x, pane.y - ImGui::GetTextLineHeightWithSpacing()), w, h);
  pane.x = std::min(pane.x, float(w) * scale);

  char title[96];
  std::snprintf(title, sizeof title, "Input %dx%d", w, h);
  a.canvas_min = image_pane(a, "input", title, input, pane, scale, w, h);
  a.canvas_scale = scale;
  if (side_by_side) ImGui::SameLine(0, gap);

  const Inference& inf = a.inference;
  const char* state = inf.busy() ? (inf.pending() ? "running, 1 waiting" : "running") : inf.pending() ? "waiting" : "";
  std::snprintf(title, sizeof title, "Output %s", state);
  image_pane(a, "output", title, inf.output_version() ? output : ImTextureID(), pane, scale, w, h,
             [&a](ImVec2 p, ImVec2 q) { output_overlay(a, p, q); });
  if (styled) {
    // The painting at its own size (up to 2048 px), shrunk to fit the pane.
    const Stylizer& sz = st.stylizer;
    const int pw = st.shown.pixels.empty() ? w : st.shown.width, ph = st.shown.pixels.empty() ? h : st.shown.height;
    const float ps = fit_scale(ImVec2(pane.x, pane.y - ImGui::GetTextLineHeightWithSpacing()), pw, ph);
    if (sz.busy() && sz.tiles_total() > 1) std::snprintf(title, sizeof title, "Painting: tile %d/%d", std::min(sz.tiles_done() + 1, sz.tiles_total()), sz.tiles_total());
    else std::snprintf(title, sizeof title, "Painting %dx%d%s", pw, ph, sz.busy() ? " running" : "");
    if (side_by_side) ImGui::SameLine(0, gap);
    image_pane(a, "painting", title, st.shown.pixels.empty() ? ImTextureID() : painting, ImVec2(std::min(pane.x, pw * ps), pane.y), ps, pw, ph);
  }
  a.canvas_blocked = ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId);
}

void handle_pointer(App& a) {
  Drawing& d = a.drawing;
  for (const PointerEvent& e : a.pointer_events) {
    const float x = (e.x - a.canvas_min.x) / a.canvas_scale, y = (e.y - a.canvas_min.y) / a.canvas_scale;
    switch (e.kind) {
      case PointerEvent::Down:
        if (!a.canvas_blocked && x >= 0 && y >= 0 && x < float(d.width()) && y < float(d.height()))
          d.begin_stroke(x, y, e.pressure, a.tool, a.line_width);
        break;
      case PointerEvent::Move:
        d.extend_stroke(x, y, e.pressure);
        break;
      case PointerEvent::Up:
      case PointerEvent::Cancel:
        if (d.stroking()) {
          d.end_stroke();
          if (a.live) a.request_run();
        }
        break;
    }
  }
  a.pointer_events.clear();
}

}  // namespace studio
