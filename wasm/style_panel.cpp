// The style panel: style bundles of models/index.json (task "style") and their download, the image to
// stylise (an opened photo, or the sketch model's output as it changes), size, strength, progress, save.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "shared/json.h"
#include "wasm/app.h"
#include "wasm/js_bridge.h"

namespace studio {

namespace {

int next_style_download = Stylizer::kTokenBase;  // apart from the model picker's tokens

// img scaled so that its longest side is `side` (bicubic, either way).
p2p::Image at_size(const p2p::Image& img, int side) {
  const double k = double(side) / std::max(img.width, img.height);
  const int w = std::max(1, int(std::lround(img.width * k))), h = std::max(1, int(std::lround(img.height * k)));
  return w == img.width && h == img.height ? img : p2p::resize_bicubic(img, w, h);
}

// What the panel stylises now: the photo, or the sketch model's output. Empty when there is none yet.
const p2p::Image& source_image(const App& a) {
  static const p2p::Image none;
  if (a.style.source == StylePanel::Source::Photo) return a.style.photo;
  return a.inference.output_version() ? a.inference.output() : none;
}

void restyle(App& a) {
  const p2p::Image& src = source_image(a);
  if (src.pixels.empty()) return;
  a.style.stylizer.request(at_size(src, a.style.size));
}

void set_source(App& a, StylePanel::Source s) {
  StylePanel& st = a.style;
  st.source = s;
  st.error.clear();  // a message about an earlier bundle or file goes with the next choice
  const p2p::Image& src = source_image(a);
  if (!src.pixels.empty()) st.size = std::min(std::max(src.width, src.height), 1024);
  st.sketch_seen = a.inference.output_version();
  restyle(a);
}

}  // namespace

void style_select(App& a, int entry) {
  if (entry < 0 || entry >= int(a.models.size()) || a.models[entry].task != "style") return;
  StylePanel& st = a.style;
  st.selected = entry;
  st.error.clear();
  st.download = Download{next_style_download++, entry, 0, 0};
  js::fetch_bundle(st.download.token, "models/" + a.models[entry].path + "/");
}

void style_bundle_loaded(App& a, int token, const std::string& json, const uint8_t* weights, size_t size) {
  StylePanel& st = a.style;
  if (token != st.download.token) return;
  ModelEntry& m = a.models[st.download.entry];
  st.download = Download{};
  p2p::Status s = st.stylizer.load(m.id, json, weights, size);
  if (!s.ok()) {
    st.error = s.error;
    return;
  }
  if (p2p::Result<p2p::Json> j = p2p::parse_json(json); j.ok()) {
    if (std::string l = j.value.get_string("license"); !l.empty()) m.license = l;
    if (std::string at = j.value.get_string("attribution"); !at.empty()) m.attribution = at;
  }
}

void style_bundle_failed(App& a, int token, const std::string& why) {
  StylePanel& st = a.style;
  if (token != st.download.token) return;
  st.error = a.models[st.download.entry].id + ": " + why;
  st.download = Download{};
}

void load_style_photo(App& a, const uint8_t* data, size_t size) {
  p2p::Result<p2p::Image> img = p2p::decode_image(data, size, 3);
  if (!img.ok()) {
    a.style.error = "Could not read that image: " + img.error;
    return;
  }
  a.style.photo = std::move(img.value);
  a.notice = "Opened a " + std::to_string(a.style.photo.width) + "x" + std::to_string(a.style.photo.height) + " photo to stylise";
  set_source(a, StylePanel::Source::Photo);
}

void update_style(App& a) {
  StylePanel& st = a.style;
  // Sketch -> image -> painting: each new output of the sketch model is stylised again.
  if (st.source == StylePanel::Source::Sketch && a.inference.output_version() != st.sketch_seen) {
    st.sketch_seen = a.inference.output_version();
    restyle(a);
  }
  st.stylizer.pump();
  const Stylizer& sz = st.stylizer;
  if (st.shown_current()) return;
  // A linear blend of pixels: strength 0 gives the source back exactly, 1 the network's output.
  const p2p::Image &src = sz.source(), &out = sz.styled();
  if (out.pixels.empty() || src.pixels.size() != out.pixels.size()) return;
  st.shown = out;
  const float k = std::clamp(st.strength, 0.0f, 1.0f);
  for (size_t i = 0; i < out.pixels.size(); i++)
    st.shown.pixels[i] = uint8_t(std::lround(src.pixels[i] + k * (float(out.pixels[i]) - float(src.pixels[i]))));
  st.shown_of = sz.styled_version();
  st.shown_strength = st.strength;
  st.shown_version++;
}

void draw_style_panel(App& a) {
  StylePanel& st = a.style;
  Stylizer& sz = st.stylizer;
  ImGui::TextUnformatted("Style");
  std::string current = "(none)";
  for (const ModelEntry& m : a.models)
    if (m.id == sz.style_id()) current = m.name;
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##style", current.c_str())) {
    for (int i = 0; i < int(a.models.size()); i++) {
      if (a.models[i].task != "style") continue;
      const bool is_current = a.models[i].id == sz.style_id();
      if (ImGui::Selectable(a.models[i].name.c_str(), is_current) && !is_current) style_select(a, i);
      a.remember_rect("style_item_" + a.models[i].id);
      if (!a.models[i].description.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", a.models[i].description.c_str());
    }
    ImGui::EndCombo();
  }
  a.remember_rect("style");
  if (st.download.token) {
    ImGui::TextUnformatted(("Downloading " + a.models[st.download.entry].name).c_str());
    const double frac = st.download.total > 0 ? st.download.loaded / st.download.total : 0.0;
    ImGui::ProgressBar(float(frac), ImVec2(-1, 0), "");
  } else if (!sz.preparing_id().empty()) {
    ImGui::TextUnformatted(("Preparing " + sz.preparing_id() + " ...").c_str());
  }
  if (const p2p::Bundle* b = sz.bundle()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s, receptive field %d px", b->spec.describe().c_str(), sz.receptive_field().size());
    ImGui::PopStyleColor();
  }

  ImGui::TextUnformatted("Stylise");
  int source = int(st.source);
  if (ImGui::RadioButton("Sketch output", &source, int(StylePanel::Source::Sketch))) set_source(a, StylePanel::Source::Sketch);
  a.remember_rect("style_source_sketch");
  if (ImGui::RadioButton("Photo", &source, int(StylePanel::Source::Photo)) && !st.photo.pixels.empty())
    set_source(a, StylePanel::Source::Photo);
  a.remember_rect("style_source_photo");
  ImGui::SameLine();
  if (ImGui::Button("Open...")) js::pick_file(1);
  a.remember_rect("style_open");

  ImGui::SetNextItemWidth(-1);
  ImGui::SliderFloat("##strength", &st.strength, 0.0f, 1.0f, "strength %.2f");
  a.remember_rect("style_strength");
  ImGui::SetNextItemWidth(-1);
  ImGui::SliderInt("##size", &st.size, 64, Stylizer::kMaxSide, "size %d px");
  if (ImGui::IsItemDeactivatedAfterEdit()) restyle(a);
  a.remember_rect("style_size");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Longest side of the result; big images run in tiles");

  const bool in_use = !sz.style_id().empty() || !sz.preparing_id().empty();  // else nothing runs yet
  if (in_use && (sz.busy() || sz.pending())) {
    char label[64];
    if (sz.tiles_total() > 1) std::snprintf(label, sizeof label, "tile %d/%d", std::min(sz.tiles_done() + 1, sz.tiles_total()), sz.tiles_total());
    else std::snprintf(label, sizeof label, "running");
    const float frac = sz.tiles_total() ? float(sz.tiles_done()) / float(sz.tiles_total()) : 0.0f;
    ImGui::ProgressBar(frac, ImVec2(-1, 0), label);
    a.remember_rect("style_progress");
  } else if (sz.jobs() > 0) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::Text("%dx%d, %d tile%s, %.0f ms", sz.styled().width, sz.styled().height, sz.last_tiles(), sz.last_tiles() > 1 ? "s" : "", sz.last_ms());
    ImGui::PopStyleColor();
  }
  ImGui::BeginDisabled(st.shown.pixels.empty());
  if (ImGui::Button("Save painting PNG")) {
    std::vector<uint8_t> png = p2p::encode_png(st.shown);
    js::download(png.data(), png.size(), "painting.png", "image/png");
    a.notice = "Saved painting.png (" + std::to_string(st.shown.width) + "x" + std::to_string(st.shown.height) + ")";
  }
  ImGui::EndDisabled();
  a.remember_rect("style_save");

  const std::string& err = !st.error.empty() ? st.error : sz.error();
  if (!err.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1.0f));
    ImGui::TextWrapped("%s", err.c_str());
    ImGui::PopStyleColor();
    a.remember_rect("style_error");
  }
}

}  // namespace studio
