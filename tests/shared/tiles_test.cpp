// Tests for shared/tiles: receptive fields walked from the graph (small nets with known answers, and the
// transformer net's), and tile plans: cores cover the image exactly once, inside margins, aligned tiles.
#include "shared/tiles.h"

#include <gtest/gtest.h>

#include <vector>

#include "shared/models.h"

using namespace p2p;

TEST(Tiles, ReceptiveFieldOfSmallNets) {
  // One 5x5 conv, padding 2: two pixels either side.
  Graph a;
  a.output(a.conv2d(a.input(3), "c", 4, 5, 1, 2, true));
  Result<ReceptiveField> ra = receptive_field(a);
  ASSERT_TRUE(ra.ok()) << ra.error;
  EXPECT_EQ(ra.value.before, 2);
  EXPECT_EQ(ra.value.after, 2);
  EXPECT_EQ(ra.value.size(), 5);
  // Two 3x3 convs, the first with stride 2, then nearest x2: 1 + 2 (second conv at stride 2), and the
  // upsampled pixel may sit one input step to the right of its source.
  Graph b;
  int x = b.reflection_pad(b.input(3), 1);
  x = b.conv2d(x, "c1", 4, 3, 2, 0, true);
  x = b.relu(b.instance_norm(x, "n1", true));
  x = b.conv2d(b.reflection_pad(x, 1), "c2", 4, 3, 1, 0, true);
  b.output(b.upsample_nearest(x, 2));
  Result<ReceptiveField> rb = receptive_field(b);
  ASSERT_TRUE(rb.ok()) << rb.error;
  EXPECT_EQ(rb.value.before, 4);  // output x = 2j or 2j + 1 reads conv2 position j: inputs 2j - 3 .. 2j + 3
  EXPECT_EQ(rb.value.after, 3);
  // A net that halves without coming back is refused.
  Graph c;
  c.output(c.conv2d(c.input(3), "c", 4, 3, 2, 1, true));
  EXPECT_FALSE(receptive_field(c).ok());
}

TEST(Tiles, TransformerNetReceptiveField) {
  for (int width : {32, 8}) {
    Result<ReceptiveField> r = receptive_field(transformer_net(width));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.before, 57) << width;
    EXPECT_EQ(r.value.after, 54) << width;
  }
}

TEST(Tiles, PlansCoverOnceInsideMarginsAligned) {
  struct Case { int w, h, side, margin; };
  for (const Case& c : std::vector<Case>{{600, 400, 256, 57}, {2048, 1536, 768, 57}, {700, 300, 768, 57}, {1000, 1000, 300, 20}}) {
    Result<std::vector<Tile>> plan = plan_tiles(c.w, c.h, c.side, c.margin);
    ASSERT_TRUE(plan.ok()) << plan.error;
    std::vector<int> covered(size_t(c.w) * c.h, 0);
    for (const Tile& t : plan.value) {
      const Rect &in = t.input, &core = t.core;
      EXPECT_LE(in.width, c.side);
      EXPECT_LE(in.height, c.side);
      EXPECT_EQ(in.x % 4, 0);
      EXPECT_EQ(in.y % 4, 0);
      EXPECT_TRUE(in.x + in.width == c.w || in.width % 4 == 0);
      EXPECT_TRUE(in.y + in.height == c.h || in.height % 4 == 0);
      // The core lies inside the input, a margin away from every side that is not the image's edge.
      EXPECT_TRUE(core.x == 0 ? in.x == 0 : core.x - in.x >= c.margin);
      EXPECT_TRUE(core.y == 0 ? in.y == 0 : core.y - in.y >= c.margin);
      EXPECT_TRUE(core.x + core.width == c.w ? in.x + in.width == c.w : in.x + in.width - core.x - core.width >= c.margin);
      EXPECT_TRUE(core.y + core.height == c.h ? in.y + in.height == c.h : in.y + in.height - core.y - core.height >= c.margin);
      for (int y = core.y; y < core.y + core.height; y++)
        for (int x = core.x; x < core.x + core.width; x++) covered[size_t(y) * c.w + x]++;
    }
    for (int n : covered) ASSERT_EQ(n, 1) << c.w << "x" << c.h;
  }
  Result<std::vector<Tile>> one = plan_tiles(700, 300, 768, 57);
  EXPECT_EQ(one.value.size(), 1u);
  EXPECT_EQ(plan_tiles(2048, 1536, 768, 57).value.size(), 12u);
  EXPECT_FALSE(plan_tiles(600, 400, 120, 57).ok());  // no room for a core
  EXPECT_FALSE(plan_tiles(0, 400, 256, 57).ok());
  EXPECT_FALSE(plan_tiles(600, 400, 258, 57).ok());  // not a multiple of 4
}
