// The model picker: the sketch models of models/index.json (style bundles go to the style panel), the
// bundle being downloaded (with progress), and a one-line message when a bundle is broken; the model
// in use stays until another one is ready.
#include <cstdio>

#include "shared/json.h"
#include "wasm/app.h"
#include "wasm/js_bridge.h"

namespace studio {

namespace {
int next_download = 1;

std::string entry_label(const ModelEntry& m) {
  char size[32] = "";
  if (m.megabytes > 0) std::snprintf(size, sizeof size, " (%.1f MB)", m.megabytes);
  return m.name + size;
}
}  // namespace

void models_index_loaded(App& a, const std::string& text) {
  p2p::Result<p2p::Json> j = p2p::parse_json(text);
  const p2p::Json* list = j.ok() ? j.value.find("models") : nullptr;
  if (!list || !list->is_array()) {
    a.index_error = "models/index.json: " + (j.ok() ? std::string("no \"models\" list") : j.error);
    return;
  }
  a.models.clear();
  int chosen = -1;
  const std::string wanted = js::url_param("model"), wanted_style = js::url_param("style");
  int style_chosen = -1;
  for (const p2p::Json& e : list->items()) {
    ModelEntry m;
    m.id = e.get_string("id");
    m.path = e.get_string("path", m.id);
    if (m.id.empty() || m.path.empty()) continue;
    m.name = e.get_string("name", m.id);
    m.description = e.get_string("description");
    m.license = e.get_string("license");
    m.attribution = e.get_string("attribution");
    m.megabytes = e.get_number("megabytes");
    m.task = e.get_string("task", "sketch");
    if (m.task == "style") {
      if (m.id == wanted_style) style_chosen = int(a.models.size());
    } else if ((wanted.empty() && e.get_bool("default") && chosen < 0) || m.id == wanted) {
      chosen = int(a.models.size());
    }
    a.models.push_back(std::move(m));
  }
  for (int i = 0; i < int(a.models.size()) && chosen < 0; i++)
    if (a.models[i].task != "style") chosen = i;
  if (style_chosen >= 0) style_select(a, style_chosen);
  if (chosen < 0) {
    a.index_error = "models/index.json lists no sketch models";
    return;
  }
  models_select(a, chosen);
}

void models_select(App& a, int entry) {
  if (entry < 0 || entry >= int(a.models.size())) return;
  a.selected = entry;
  a.model_error.clear();
  a.download = Download{next_download++, entry, 0, 0};
  js::fetch_bundle(a.download.token, "models/" + a.models[entry].path + "/");
}

void models_bundle_loaded(App& a, int token, const std::string& json, const uint8_t* weights, size_t size) {
  if (token != a.download.token) return;
  ModelEntry& m = a.models[a.download.entry];
  a.download = Download{};
  // A style bundle listed without its task: it belongs to the style panel.
  if (p2p::Result<p2p::Json> j = p2p::parse_json(json); j.ok() && j.value.get_string("task") == "style") {
    a.model_error = m.id + ": a style model: pick it in the style panel";
    return;
  }
  p2p::Status st = a.inference.load(m.id, json, weights, size);
  if (!st.ok()) {
    a.model_error = st.error;
    return;
  }
  // What model.json says about its licence wins over the index.
  if (p2p::Result<p2p::Json> j = p2p::parse_json(json); j.ok()) {
    if (std::string l = j.value.get_string("license"); !l.empty()) m.license = l;
    if (std::string at = j.value.get_string("attribution"); !at.empty()) m.attribution = at;
  }
}

void models_bundle_failed(App& a, int token, const std::string& why) {
  if (token != a.download.token) return;
  a.model_error = a.models[a.download.entry].id + ": " + why;
  a.download = Download{};
}

void draw_model_picker(App& a) {
  ImGui::TextUnformatted("Model");
  const Inference& inf = a.inference;
  std::string current = "(none)";
  for (const ModelEntry& m : a.models)
    if (m.id == inf.model_id()) current = m.name;
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##model", current.c_str())) {
    for (int i = 0; i < int(a.models.size()); i++) {
      if (a.models[i].task == "style") continue;
      bool is_current = a.models[i].id == inf.model_id();
      if (ImGui::Selectable(entry_label(a.models[i]).c_str(), is_current) && !is_current) models_select(a, i);
      a.remember_rect("model_item_" + a.models[i].id);
      if (!a.models[i].description.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", a.models[i].description.c_str());
    }
    ImGui::EndCombo();
  }
  a.remember_rect("model");

  if (a.download.token) {
    const double frac = a.download.total > 0 ? a.download.loaded / a.download.total : 0.0;
    char label[96];
    std::snprintf(label, sizeof label, "%.1f / %.1f MB", a.download.loaded / 1e6, a.download.total / 1e6);
    ImGui::TextUnformatted(("Downloading " + a.models[a.download.entry].name).c_str());
    ImGui::ProgressBar(float(frac), ImVec2(-1, 0), a.download.total > 0 ? label : "starting");
  } else if (inf.preparing()) {
    ImGui::TextUnformatted(("Preparing " + inf.preparing_id() + " ...").c_str());
  }
  if (const p2p::Bundle* b = inf.bundle()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s, %dx%d", b->spec.describe().c_str(), b->width, b->height);
    ImGui::PopStyleColor();
  }
  const std::string& err = !a.model_error.empty() ? a.model_error : !a.index_error.empty() ? a.index_error : inf.error();
  if (!err.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1.0f));
    ImGui::TextWrapped("%s", err.c_str());
    ImGui::PopStyleColor();
    a.remember_rect("model_error");
  }
}

}  // namespace studio
