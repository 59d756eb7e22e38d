// The licences and attributions panel: what each model bundle declares (model.json "license" and
// "attribution", else models/index.json), the example inputs' credits, and the software's licences.
#include <algorithm>

#include "wasm/app.h"
#include "wasm/js_bridge.h"

namespace studio {

namespace {
struct Component {
  const char* name;
  const char* licence;
  const char* text;  // licence text shipped with the page, or nullptr
};
const Component kComponents[] = {
    {"Pix2Pix Studio (this page)", "MIT", "licenses/pix2pix-studio.txt"},
    {"Dear ImGui 1.86, Omar Cornut and contributors", "MIT", "licenses/imgui.txt"},
    {"ONNX Runtime Web 1.30, Microsoft Corporation", "MIT", nullptr},
    {"stb_image, stb_image_write, Sean Barrett", "MIT or public domain", nullptr},
    {"Emscripten runtime", "MIT or University of Illinois/NCSA", nullptr},
};

void wrapped_field(const char* label, const std::string& value) {
  ImGui::TextDisabled("%s", label);
  ImGui::SameLine();
  ImGui::TextWrapped("%s", value.empty() ? "(not stated)" : value.c_str());
}
}  // namespace

void draw_licences(App& a) {
  const char* title = "Licences and attributions";
  if (a.show_licences) {
    ImGui::OpenPopup(title);
    a.show_licences = false;
  }
  const ImVec2 screen = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(ImVec2(screen.x * 0.6f, screen.y * 0.7f), ImGuiCond_Appearing);
  ImGui::SetNextWindowPos(ImVec2(screen.x * 0.5f, screen.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_NoSavedSettings)) return;
  a.remember_rect("licences_panel");
  // The list scrolls; the Close button stays in view below it, however many models there are.
  ImGui::BeginChild("licences_body", ImVec2(0, -ImGui::GetFrameHeightWithSpacing()));

  ImGui::TextUnformatted("Models");
  ImGui::Separator();
  for (const ModelEntry& m : a.models) {
    ImGui::PushID(m.id.c_str());
    ImGui::TextUnformatted(m.name.c_str());
    ImGui::Indent();
    wrapped_field("licence:", m.license);
    wrapped_field("attribution:", m.attribution);
    ImGui::Unindent();
    ImGui::PopID();
  }
  // The example inputs: each attribution once (the Twemoji line drawings are CC-BY 4.0).
  std::vector<std::string> credits;
  for (const Example& e : a.examples)
    if (!e.attribution.empty() && std::find(credits.begin(), credits.end(), e.attribution) == credits.end())
      credits.push_back(e.attribution);
  for (const std::string& c : credits) ImGui::TextWrapped("Example inputs: %s", c.c_str());
  ImGui::TextWrapped("Methods: Isola, Zhu, Zhou, Efros, \"Image-to-Image Translation with Conditional Adversarial "
                     "Networks\", CVPR 2017; Gatys, Ecker, Bethge, \"Image Style Transfer Using Convolutional Neural "
                     "Networks\", CVPR 2016; Johnson, Alahi, Fei-Fei, \"Perceptual Losses for Real-Time Style Transfer "
                     "and Super-Resolution\", ECCV 2016.");
  ImGui::Spacing();
  ImGui::TextUnformatted("Software");
  ImGui::Separator();
  for (const Component& c : kComponents) {
    ImGui::PushID(c.name);
    ImGui::BulletText("%s: %s", c.name, c.licence);
    if (c.text) {
      ImGui::SameLine();
      if (ImGui::SmallButton("text")) js::open_url(c.text);
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  if (ImGui::Button("Close")) ImGui::CloseCurrentPopup();
  a.remember_rect("licences_close");
  ImGui::EndPopup();
}

}  // namespace studio
