// pix2pix import: a reference PyTorch checkpoint (torch.save of a state_dict) checked against the chosen
// architecture and written as .safetensors with that architecture in its metadata, for run/export/train.
#include <cstdio>

#include "native/commands.h"
#include "native/model_file.h"
#include "native/spec_options.h"
#include "shared/safetensors.h"

namespace p2p {

int cmd_import(const Args& args) {
  SpecFlags f;
  std::string out;
  Options o("import",
            "pix2pix import CHECKPOINT.pth [architecture options] -o OUT.safetensors\n"
            "A reference PyTorch checkpoint (latest_net_G.pth, a fast_neural_style .pth) as .safetensors, checked against\n"
            "the architecture the options give (--netG, --netD or --arch transformer; --ngf ...), recorded in its metadata.");
  add_spec_options(o, f);
  o.text("output", &out, "FILE", "the .safetensors to write (also -o)");
  Args rewritten;
  for (const std::string& a : args) rewritten.push_back(a == "-o" ? "--output" : a);
  std::vector<std::string> positional;
  if (Status st = o.parse(rewritten, &positional); !st.ok()) return fail("import", st.error, 2);
  if (o.help_requested()) return std::printf("%s", o.help().c_str()), 0;
  if (positional.size() != 1) return fail("import", "give exactly one checkpoint file (pix2pix import --help)", 2);
  if (out.empty()) return fail("import", "-o OUT.safetensors is required", 2);
  const std::string& path = positional[0];

  Result<ModelSpec> spec = spec_from_flags(f);
  if (!spec.ok()) return fail("import", spec.error, 2);
  Result<Weights> w = import_checkpoint(path, spec.value);
  if (!w.ok()) return fail("import", w.error, 2);
  std::map<std::string, std::string> meta = spec.value.to_metadata();
  meta["source"] = base_name(path);
  if (Status st = save_safetensors(out, w.value, meta); !st.ok()) return fail("import", st.error);
  std::printf("%s -> %s (%s, %lld parameters)\n", path.c_str(), out.c_str(), spec.value.describe().c_str(),
              (long long)count_parameters(build(spec.value).value));
  return 0;
}

}  // namespace p2p
