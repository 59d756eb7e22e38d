// The app window: GLFW + WebGL2 + Dear ImGui set up for the browser (no .ini file, fonts and sizes
// scaled to the screen's pixel ratio), the frame loop, the layout of the panels and the status line.
#include <GLFW/glfw3.h>
#include <GLES3/gl3.h>
#include <emscripten.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "wasm/app.h"
#include "wasm/js_bridge.h"
#include "wasm/texture.h"

namespace studio {

App& app() {
  static App a;
  return a;
}

void App::remember_rect(const std::string& name) {
  const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
  rects.emplace_back(name, ImVec4(lo.x, lo.y, hi.x - lo.x, hi.y - lo.y));
}

namespace {

GLFWwindow* window = nullptr;
float ui_scale = 0;  // the scale fonts and sizes were built for

// Frames are drawn only while something happens, so that an idle page costs nothing and inference
// gets the CPU: for a moment after input (hover effects, tooltips), for one frame after a change of
// what is shown (results, downloads, messages).
double awake_until = 0;
int frames_left = 1;
uint64_t last_signature = 0;
void wake() { awake_until = emscripten_get_now() + 600.0; }

Texture input_texture, output_texture, painting_texture;

// Crisp text on HiDPI screens: the font is rasterised at the screen's resolution (a whole multiple
// of its design size, which suits the pixel font) and every size in the style follows.
void scale_ui(float pixel_ratio) {
  const float s = std::max(1.0f, std::round(pixel_ratio));
  if (s == ui_scale) return;
  ui_scale = s;
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFontConfig cfg;
  cfg.SizePixels = 13.0f * s;
  io.Fonts->AddFontDefault(&cfg);
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 0;
  style.FrameRounding = 3;
  style.ScaleAllSizes(s);
  ImGui::GetStyle() = style;
}

// The drawing follows the model's size; a blank page with no history just starts again.
void fit_drawing_to_model(App& a) {
  const p2p::Bundle* b = a.inference.bundle();
  if (!b || (b->width == a.drawing.width() && b->height == a.drawing.height())) return;
  if (a.drawing.undo_depth() == 0) {
    const int example = example_showing(a);  // a first-visit example is shown again at the new size
    a.drawing.reset(b->width, b->height);
    if (example >= 0) show_example(a, example, true);
  } else {
    a.drawing.resize(b->width, b->height);
  }
  a.request_run();
}

// One line; a phone gets the short form, which fits its width.
std::string status_line(const App& a) {
  const Inference& inf = a.inference;
  const bool brief = a.compact;
  std::string s;
  if (!inf.backend().empty()) s += (brief ? "" : "backend ") + inf.backend();
  if (inf.runs() > 0) {
    char ms[48];
    std::snprintf(ms, sizeof ms, brief ? "  |  %.0f ms" : "  |  %.0f ms per image", inf.last_ms());
    s += ms;
  }
  if (!inf.model_id().empty() && !brief) s += "  |  model " + inf.model_id();
  if (!a.notice.empty()) s += "  |  " + a.notice;
  return s.empty() ? "Loading ..." : s;
}

// The images with the example row under them.
void draw_images(App& a, ImVec2 size) {
  ImGui::BeginChild("images", size, false);
  draw_canvas(a, input_texture.imgui(), output_texture.imgui(), painting_texture.imgui());  // leaves room for the row
  draw_examples(a);
  ImGui::EndChild();
}

void draw_side(App& a) {
  draw_model_picker(a);
  ImGui::Separator();
  draw_tools(a);
  ImGui::Separator();
  if (ImGui::Button("Licences")) a.show_licences = true;
  a.remember_rect("licences");
}

// Wide screens: tools | images | style side by side. Narrow (phone) screens: the images across the
// top, the panels below them in tabs.
void layout(App& a) {
  const ImVec2 screen = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(screen);
  ImGui::Begin("Pix2Pix Studio", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  const std::string& note = a.inference.backend_note();
  const float status_h = ImGui::GetFrameHeightWithSpacing() * (note.empty() ? 1.0f : 2.0f);
  const float side_w = ImGui::GetFontSize() * 14.5f, gap = ImGui::GetStyle().ItemSpacing.x;
  a.compact = screen.x < 2 * side_w + ImGui::GetFontSize() * 24.0f;
  if (!a.compact) {
    ImGui::BeginChild("side", ImVec2(side_w, -status_h), true);
    ImGui::TextUnformatted("Pix2Pix Studio");
    ImGui::Separator();
    draw_side(a);
    ImGui::EndChild();
    ImGui::SameLine();
    draw_images(a, ImVec2(-side_w - gap, -status_h));
    ImGui::SameLine();
    ImGui::BeginChild("style_side", ImVec2(side_w, -status_h), true);
    draw_style_panel(a);
    ImGui::EndChild();
  } else {
    // Two panes across (three with a style), each as wide as half the screen, titles and the example row.
    const float pane_w = (ImGui::GetContentRegionAvail().x - gap) / 2;
    const float images_h = pane_w * float(a.drawing.height()) / float(a.drawing.width()) +
                           2 * ImGui::GetTextLineHeightWithSpacing() + examples_row_height(a);
    draw_images(a, ImVec2(0, std::min(images_h, screen.y * 0.6f)));
    ImGui::BeginChild("panels", ImVec2(0, -status_h), true);
    if (ImGui::BeginTabBar("panels_tabs")) {
      if (ImGui::BeginTabItem("Draw")) {
        draw_side(a);
        ImGui::EndTabItem();
      }
      if (ImGui::BeginTabItem("Style")) {
        draw_style_panel(a);
        ImGui::EndTabItem();
      }
      ImGui::EndTabBar();
    }
    ImGui::EndChild();
  }
  if (!note.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.8f, 0.35f, 1.0f));
    ImGui::TextUnformatted(note.c_str());
    ImGui::PopStyleColor();
    a.remember_rect("backend_note");
  }
  ImGui::TextUnformatted(status_line(a).c_str());
  a.remember_rect("status");
  draw_licences(a);
  ImGui::End();
}

// Changes whenever anything shown changes without user input (downloads, results, messages).
uint64_t signature(const App& a) {
  const Inference& inf = a.inference;
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(a.drawing.version());
  mix(inf.output_version());
  // Not busy/pending: a frame drawn by a software renderer (headless) takes CPU from the run itself.
  mix(uint64_t(inf.preparing()));
  mix(uint64_t(a.download.token) << 32 ^ uint64_t(a.download.loaded));
  mix(std::hash<std::string>()(inf.error() + a.model_error + a.index_error + a.notice + inf.model_id()));
  const Stylizer& sz = a.style.stylizer;
  mix(a.style.shown_version);
  mix(uint64_t(sz.tiles_done()) << 32 ^ uint64_t(sz.jobs()) << 16 ^ uint64_t(a.style.download.loaded));
  mix(std::hash<std::string>()(a.style.error + sz.error() + sz.style_id() + sz.preparing_id()));
  mix(uint64_t(a.fb_width) << 32 | uint64_t(a.fb_height));
  mix(a.models.size());
  mix(a.examples.size());
  mix(std::hash<std::string>()(inf.backend_note()));
  return h;
}

void frame() {
  App& a = app();
  scale_ui(a.pixel_ratio);
  fit_drawing_to_model(a);
  glfwPollEvents();
  if (!a.pointer_events.empty()) wake();
  if (uint64_t sig = signature(a); sig != last_signature) last_signature = sig, frames_left = 3;  // a few frames: the first after a reload or resize can be lost
  if (emscripten_get_now() > awake_until && frames_left == 0) {
    a.inference.pump(a.drawing);
    update_style(a);
    return;
  }
  if (frames_left > 0) frames_left--;
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  // The page sizes the canvas (CSS size x devicePixelRatio) and tells us; GLFW's idea of it lags.
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(float(a.fb_width), float(a.fb_height));
  io.DisplayFramebufferScale = ImVec2(1, 1);
  // Textures before the layout (a first output must have its texture in the frame that shows it),
  // and again after the strokes of this frame.
  input_texture.update(a.drawing.image(), a.drawing.version());
  output_texture.update(a.inference.output(), a.inference.output_version());
  painting_texture.update(a.style.shown, a.style.shown_version);
  ImGui::NewFrame();
  a.rects.clear();
  layout(a);
  handle_pointer(a);
  a.inference.pump(a.drawing);
  update_style(a);
  input_texture.update(a.drawing.image(), a.drawing.version());
  ImGui::Render();
  glViewport(0, 0, a.fb_width, a.fb_height);
  glClearColor(0.1f, 0.1f, 0.12f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

}  // namespace
}  // namespace studio

int main() {
  using namespace studio;
  js::attach();
  if (!glfwInit()) {
    js::fatal("Pix2Pix Studio could not start: GLFW did not initialise");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  App& a = app();
  window = glfwCreateWindow(a.fb_width, a.fb_height, "Pix2Pix Studio", nullptr, nullptr);
  if (!window) {
    js::fatal("Pix2Pix Studio needs WebGL 2, which this browser does not offer");
    return 1;
  }
  glfwMakeContextCurrent(window);
  // Any input wakes the frame loop. Dear ImGui's backend chains to these callbacks.
  glfwSetCursorPosCallback(window, [](GLFWwindow*, double, double) { wake(); });
  glfwSetMouseButtonCallback(window, [](GLFWwindow*, int, int, int) { wake(); });
  glfwSetScrollCallback(window, [](GLFWwindow*, double, double) { wake(); });
  glfwSetKeyCallback(window, [](GLFWwindow*, int key, int, int action, int mods) {
    wake();
    shortcut_key(app(), key, action, mods);
  });
  glfwSetCharCallback(window, [](GLFWwindow*, unsigned) { wake(); });
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // nothing is saved between visits
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");
  if (std::string tile = js::url_param("tile"); !tile.empty()) a.style.stylizer.set_tile_side(std::atoi(tile.c_str()));
  js::fetch_index();
  js::fetch_examples();
  emscripten_set_main_loop(frame, 0, false);
  return 0;
}
