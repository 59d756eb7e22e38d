// Big images in tiles: how far a network's output pixel reaches into its input (from the graph), and
// a plan of overlapping tiles whose cores cover the image once (Thumbnail Instance Normalization).
#pragma once
#include <cstdint>
#include <vector>

#include "graph.h"

namespace p2p {

// How many input pixels to the left/top (before) and right/bottom (after) of an output pixel it
// depends on, in the interior of the image, with every normalisation treated as pointwise (fixed
// statistics: ONNX NormStats::Import). size = before + after + 1. Fails for graphs whose output is not
// at the input's resolution.
struct ReceptiveField {
  int before = 0, after = 0;
  int size() const { return before + after + 1; }
  int radius() const { return before > after ? before : after; }
};
Result<ReceptiveField> receptive_field(const Graph& g);

// An axis-aligned rectangle in pixels: [x, x + width) x [y, y + height).
struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
};

struct Tile {
  Rect input;  // what the network runs on: origin and size multiples of `align`, or reaching the image's edge
  Rect core;   // what of its output is kept; the cores of a plan cover the image exactly once
};

// Tiles of at most max_side x max_side over a width x height image. Each core lies at least `margin`
// pixels inside its tile's input wherever that side is not the image's edge; so with margin >= the
// receptive field's radius, the kept pixels equal a run on the whole image. Fails when max_side leaves
// no room for a core (max_side <= 2 * margin + align) or a size is not positive.
Result<std::vector<Tile>> plan_tiles(int width, int height, int max_side, int margin, int align = 4);

}  // namespace p2p
