// An RGB image as a WebGL texture for Dear ImGui, uploaded again when its version changes: the input,
// output and painting panes (main.cpp) and the example thumbnails (examples.cpp).
#pragma once
#include <GLES3/gl3.h>

#include <cstdint>

#include "imgui.h"
#include "shared/image.h"

namespace studio {

struct Texture {
  GLuint id = 0;
  uint64_t version = ~uint64_t(0);
  void update(const p2p::Image& img, uint64_t v) {
    if (v == version || img.pixels.empty()) return;
    if (!id) glGenTextures(1, &id);
    glBindTexture(GL_TEXTURE_2D, id);
    // Magnified (whole multiples of its pixels) with nearest, so it looks exactly like the model's
    // pixels; shrunk (small windows, thumbnails) with linear.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB8, img.width, img.height, 0, GL_RGB, GL_UNSIGNED_BYTE, img.pixels.data());
    version = v;
  }
  ImTextureID imgui() const { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(id)); }
};

}  // namespace studio
