// A reference fixture checkpoint as graph weights: read with shared/torch_checkpoint, PyTorch's
// bookkeeping buffers dropped (num_batches_tracked, stale InstanceNorm running stats of old style nets).
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "shared/torch_checkpoint.h"

namespace p2p_test {

inline p2p::Weights fixture_weights(const std::string& path) {
  p2p::Result<p2p::TorchCheckpoint> ck = p2p::load_torch_checkpoint(path);
  EXPECT_TRUE(ck.ok()) << ck.error;
  p2p::Weights w;
  for (auto& entry : ck.value.weights) {
    const std::string& name = entry.first;
    bool bookkeeping = name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
    // The layer segment before ".running_mean/var": in1, in2, ... are InstanceNorm layers.
    size_t dot = name.rfind(".running_");
    size_t seg = dot == std::string::npos || dot == 0 ? 0 : name.rfind('.', dot - 1) + 1;  // npos + 1 == 0
    bool stale_in_stats = dot != std::string::npos && name.compare(seg, 2, "in") == 0;
    if (!bookkeeping && !stale_in_stats) w[name] = std::move(entry.second);
  }
  return w;
}

}  // namespace p2p_test
