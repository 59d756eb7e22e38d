// The drawing the model takes as input: an RGB image at the model's size, strokes drawn into it (pen
// or eraser, smoothed, pen pressure), whole-image edits (clear, a loaded photo), and undo/redo.
#pragma once
#include <cstdint>
#include <vector>

#include "shared/image.h"

namespace studio {

enum class Tool { Pen, Eraser };

class Drawing {
 public:
  Drawing() { reset(256, 256); }

  void reset(int width, int height);  // a white page, history cleared
  void reset(p2p::Image rgb);         // a page showing this RGB picture, history cleared
  void resize(int width, int height);  // keeps the picture (resized); undoable

  const p2p::Image& image() const { return image_; }  // RGB, 8 bits
  int width() const { return image_.width; }
  int height() const { return image_.height; }
  // Bumps on every change of the pixels: textures and inference requests follow it.
  uint64_t version() const { return version_; }

  // A stroke in image coordinates (pixels, may be fractional or outside); pressure in [0, 1]
  // scales the width (a mouse reports 0.5, which draws at the full width).
  void begin_stroke(float x, float y, float pressure, Tool tool, float width);
  void extend_stroke(float x, float y, float pressure);
  void end_stroke();
  bool stroking() const { return stroking_; }

  void clear();                      // undoable
  void set_image(p2p::Image rgb);    // undoable; the image must be RGB at the drawing's size
  bool undo();
  bool redo();
  size_t undo_depth() const { return undo_.size(); }
  size_t redo_depth() const { return redo_.size(); }

 private:
  struct Point {
    float x, y, radius;
  };
  void push_undo();
  void smoothed_to(Point p);  // advances the smoothed path to p and draws what became final
  void draw_quadratic(Point a, Point control, Point b);
  void draw_segment(Point a, Point b);
  float radius_for(float pressure) const;

  p2p::Image image_;
  uint64_t version_ = 0;
  std::vector<p2p::Image> undo_, redo_;

  // The stroke being drawn: coverage of each pixel so far (max, so overlapping pieces of one stroke
  // do not darken each other) over the picture as it was when the stroke began.
  bool stroking_ = false;
  Tool tool_ = Tool::Pen;
  float width_ = 3.0f;
  p2p::Image base_;
  std::vector<float> coverage_;
  Point smooth_{}, last_mid_{}, prev_{}, last_raw_{};
  int points_ = 0;
};

}  // namespace studio
