// The network cases of both reference fixture sets: folder, checkpoint, the architecture that reads it,
// and which output file holds each statistics mode's result. The in-tree set is described in
// tests/fixtures/reference/README.md (scripts/reference-oracle.py), ../shared's in its own README.
#pragma once
#include <string>
#include <vector>

#include "shared/models.h"
#include "tests/shared/fixtures.h"

namespace p2p_test {

struct ReferenceCase {
  FixtureSet set;
  std::string folder, checkpoint;
  p2p::ModelSpec spec;
  std::string running_output;     // running statistics, dropout off
  std::string batchstats_output;  // each image's own statistics, dropout off ("" when the set has none)
  std::string dir() const { return fixture_dir(set) + "/" + folder + "/"; }
  std::string name() const { return std::string(set_name(set)) + "_" + folder; }
};

inline p2p::ModelSpec ref_generator(const std::string& net, p2p::Norm norm, int ngf, bool dropout, int nc_in = 3,
                                    int nc_out = 3) {
  p2p::ModelSpec s;
  s.net = net, s.norm = norm, s.ngf = ngf, s.dropout = dropout, s.input_nc = nc_in, s.output_nc = nc_out;
  return s;
}

inline p2p::ModelSpec ref_discriminator(const std::string& net, p2p::Norm norm, int ndf, int input_nc, int n_layers = 3) {
  p2p::ModelSpec s;
  s.arch = p2p::Arch::Discriminator, s.net = net, s.norm = norm, s.ndf = ndf, s.input_nc = input_nc, s.output_nc = 1;
  s.n_layers_D = n_layers;
  return s;
}

inline p2p::ModelSpec ref_transformer(int width) { return p2p::ModelSpec::transformer(width); }

inline std::vector<ReferenceCase> reference_cases(FixtureSet set) {
  using p2p::Norm;
  const std::string G = "latest_net_G.pth", D = "latest_net_D.pth", ev = "output_eval.npy",
                    bs = "output_batchstats.npy";
  if (set == FixtureSet::InTree)  // instance-norm and norm-free nets: both modes give output_eval.npy
    return {
        {set, "unet256_batch", G, ref_generator("unet_256", Norm::Batch, 2, true, 1, 1), ev, bs},
        {set, "unet128_instance", G, ref_generator("unet_128", Norm::Instance, 3, true), ev, ev},
        {set, "unet32_batch4", G, ref_generator("unet_32", Norm::Batch, 4, true), ev, bs},
        {set, "unet64_none", G, ref_generator("unet_64", Norm::None, 3, true), ev, ev},
        {set, "resnet9_instance", G, ref_generator("resnet_9blocks", Norm::Instance, 4, false), ev, ev},
        {set, "resnet6_batch", G, ref_generator("resnet_6blocks", Norm::Batch, 4, true), ev, bs},
        {set, "patchgan_basic_batch", D, ref_discriminator("basic", Norm::Batch, 5, 6), ev, bs},
        {set, "patchgan_n5_batch", D, ref_discriminator("n_layers", Norm::Batch, 4, 6, 5), ev, bs},
        {set, "patchgan_none_gray", D, ref_discriminator("basic", Norm::None, 4, 2), ev, ev},
        {set, "pixel_batch", D, ref_discriminator("pixel", Norm::Batch, 6, 6), ev, bs},
        {set, "transformer_net", "style.pth", ref_transformer(6), ev, ev},
    };
  return {
      {set, "unet256_batch", G, ref_generator("unet_256", Norm::Batch, 8, true), ev, bs},
      {set, "unet128_instance", G, ref_generator("unet_128", Norm::Instance, 8, true), ev, bs},
      {set, "resnet9_instance", G, ref_generator("resnet_9blocks", Norm::Instance, 8, false), ev, bs},
      {set, "patchgan_basic_batch", D, ref_discriminator("basic", Norm::Batch, 8, 6), ev, bs},
      {set, "transformer_net", "style.pth", ref_transformer(32), "output.npy", ""},
  };
}

// Every case of the sets on this machine (fixture_sets()), for INSTANTIATE_TEST_SUITE_P.
inline std::vector<ReferenceCase> all_reference_cases() {
  std::vector<ReferenceCase> all;
  for (FixtureSet set : fixture_sets())
    for (ReferenceCase& c : reference_cases(set)) all.push_back(c);
  return all;
}

inline void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.name(); }

struct ReferenceCaseName {
  std::string operator()(const ::testing::TestParamInfo<ReferenceCase>& info) const { return info.param.name(); }
};

}  // namespace p2p_test

// The case's set must be there.
#define P2P_REQUIRE_CASE(c) P2P_REQUIRE_FIXTURE_SET((c).set)
