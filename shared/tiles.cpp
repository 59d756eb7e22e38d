// Receptive fields by walking the graph once (each value's grid: where its first position sits in
// input pixels, the spacing of its positions, and the extent of input each position depends on), and
// tile plans: equal cores along each axis, inputs widened by the margin and aligned outwards.
#include "tiles.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace p2p {

namespace {

// Value of one node: position j sits at input coordinate start + j * jump and depends on input
// coordinates [start + j * jump + lo, start + j * jump + hi].
struct Grid {
  double start = 0, jump = 1, lo = 0, hi = 0;
};

}  // namespace

Result<ReceptiveField> receptive_field(const Graph& g) {
  using R = Result<ReceptiveField>;
  if (g.nodes.empty() || g.outputs.empty()) return R::Fail("receptive field: the graph has no nodes or no output");
  std::vector<Grid> v(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); i++) {
    const Node& n = g.nodes[i];
    for (int x : n.inputs)
      if (x < 0 || size_t(x) >= i) return R::Fail("receptive field: node " + std::to_string(i) + " reads a later node");
    if (n.op == Op::Input) continue;
    Grid in = v[n.inputs[0]];
    Grid& out = v[i];
    out = in;
    switch (n.op) {
      case Op::Conv2d:
      case Op::MaxPool2d:  // out j reads in j * stride - padding + t, t in [0, kernel)
        out.start = in.start - (n.op == Op::Conv2d ? n.padding : 0) * in.jump;
        out.jump = in.jump * n.stride;
        out.hi = in.hi + (n.kernel - 1) * in.jump;
        break;
      case Op::ConvTranspose2d:  // out j reads in (j + padding - t) / stride where whole, t in [0, kernel)
        out.jump = in.jump / n.stride;
        out.start = in.start + n.padding * out.jump;
        out.lo = in.lo - (n.kernel - 1) * out.jump;
        break;
      case Op::ReflectionPad2d:  // out j is in j - padding inside the image
        out.start = in.start - n.padding * in.jump;
        break;
      case Op::UpsampleNearest:  // out j reads in floor(j / scale)
        out.jump = in.jump / n.scale;
        out.lo = in.lo - (n.scale - 1) * out.jump;
        break;
      case Op::Add:
      case Op::Concat:
        for (int x : n.inputs) {
          const Grid& o = v[x];
          if (o.jump != in.jump) return R::Fail("receptive field: node " + std::to_string(i) + " joins values of different resolutions");
          // o's position j is at o.start + j * jump: the same position on out's grid, shifted.
          const double shift = o.start - in.start;
          out.lo = std::min(out.lo, o.lo + shift);
          out.hi = std::max(out.hi, o.hi + shift);
        }
        break;
      default:  // pointwise: norms (fixed statistics), activations, dropout
        break;
    }
  }
  const Grid& o = v[g.outputs[0]];
  if (o.jump != 1) return R::Fail("receptive field: the output is not at the input's resolution");
  // Output pixel x depends on [x + start + lo, x + start + hi].
  ReceptiveField rf;
  rf.before = int(std::ceil(std::max(0.0, -(o.start + o.lo))));
  rf.after = int(std::ceil(std::max(0.0, o.start + o.hi)));
  return {rf, ""};
}

Result<std::vector<Tile>> plan_tiles(int width, int height, int max_side, int margin, int align) {
  using R = Result<std::vector<Tile>>;
  if (width <= 0 || height <= 0 || margin < 0 || align <= 0 || max_side % align)
    return R::Fail("tiles: bad sizes (" + std::to_string(width) + "x" + std::to_string(height) + ", tile " +
                   std::to_string(max_side) + ", margin " + std::to_string(margin) + ", align " + std::to_string(align) + ")");
  const int room = max_side - 2 * margin - 2 * (align - 1);  // the core of a tile with margins on both sides
  if (room <= 0)
    return R::Fail("tiles: a " + std::to_string(max_side) + " px tile has no room inside " + std::to_string(margin) + " px margins");
  // Along one axis: cuts between cores, and each tile's input around its core.
  struct Span { int lo, hi, core_lo, core_hi; };
  auto axis = [&](int size) {
    std::vector<Span> spans;
    const int n = size <= max_side ? 1 : (size + room - 1) / room;
    for (int k = 0; k < n; k++) {
      const int c0 = int(int64_t(size) * k / n), c1 = int(int64_t(size) * (k + 1) / n);
      int lo = k == 0 ? 0 : std::max(0, c0 - margin) / align * align;
      int hi = k == n - 1 ? size : std::min(size, (c1 + margin + align - 1) / align * align);
      spans.push_back({lo, hi, c0, c1});
    }
    return spans;
  };
  std::vector<Tile> tiles;
  for (const Span& r : axis(height))
    for (const Span& c : axis(width)) {
      Tile t;
      t.input = {c.lo, r.lo, c.hi - c.lo, r.hi - r.lo};
      t.core = {c.core_lo, r.core_lo, c.core_hi - c.core_lo, r.core_hi - r.core_lo};
      tiles.push_back(t);
    }
  return {tiles, ""};
}

}  // namespace p2p
