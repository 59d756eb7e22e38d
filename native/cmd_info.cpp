// pix2pix info: parameters, multiply-accumulates and valid input sizes of a network.
#include <cstdio>

#include "native/commands.h"
#include "native/spec_options.h"
#include "shared/models.h"

namespace p2p {

int cmd_info(const Args& args) {
  SpecFlags f;
  int size = 0;
  bool json = false;
  Options o("info", "Parameters, MACs and valid input sizes of a network, from the model graph.");
  add_spec_options(o, f);
  o.integer("size", &size, "input height and width for the MAC count (0: the smallest valid size, at least 256)");
  o.flag("json", &json, "print JSON");
  if (Status st = o.parse(args); !st.ok()) return fail("info", st.error, 2);
  if (o.help_requested()) return std::printf("%s", o.help().c_str()), 0;
  Result<ModelSpec> spec = spec_from_flags(f);
  if (!spec.ok()) return fail("info", spec.error, 2);
  Graph g = build(spec.value).value;
  SizeRule rule = valid_sizes(g);
  if (size == 0) {
    size = int(rule.minimum);
    while (size < 256) size += int(rule.multiple);
  }
  Result<ShapeInfo> shapes = infer_shapes(g, size, size);
  if (!shapes.ok()) return fail("info", shapes.error, 2);
  const Shape& out = shapes.value.values[g.outputs[0]];
  int64_t params = count_parameters(g), buffers = 0;
  for (const Param& p : parameters(g))
    if (!p.trainable()) buffers += Tensor::numel(p.shape);
  if (json) {
    std::printf(
        "{\"network\": \"%s\", \"parameters\": %lld, \"buffers\": %lld, \"size\": %d, \"macs\": %lld, "
        "\"output\": [%lld, %lld, %lld, %lld], \"size_multiple\": %lld, \"size_minimum\": %lld, \"layers\": %zu}\n",
        spec.value.describe().c_str(), (long long)params, (long long)buffers, size, (long long)shapes.value.macs,
        (long long)out[0], (long long)out[1], (long long)out[2], (long long)out[3], (long long)rule.multiple,
        (long long)rule.minimum, g.nodes.size());
    return 0;
  }
  std::printf("network      %s\n", spec.value.describe().c_str());
  std::printf("parameters   %lld (%.2f M)\n", (long long)params, params / 1e6);
  if (buffers) std::printf("buffers      %lld (running statistics)\n", (long long)buffers);
  std::printf("MACs         %.3f G at %dx%d\n", shapes.value.macs / 1e9, size, size);
  std::printf("output       [%lld, %lld, %lld, %lld]\n", (long long)out[0], (long long)out[1], (long long)out[2],
              (long long)out[3]);
  std::printf("input sizes  multiples of %lld, from %lld\n", (long long)rule.multiple, (long long)rule.minimum);
  return 0;
}

}  // namespace p2p
