// The device for train and test from the reference's --gpu_ids: the first id's CUDA device, the CPU for -1,
// and the CPU (with a note) where CUDA is absent.
#pragma once
#include <torch/cuda.h>
#include <torch/types.h>

#include <cstdlib>
#include <string>

#include "shared/status.h"

namespace p2p {

inline Status select_device(const std::string& gpu_ids, torch::Device& device, std::string& note) {
  using R = Status;
  device = torch::Device(torch::kCPU);
  const std::string s = gpu_ids.substr(0, gpu_ids.find(','));
  char* end = nullptr;
  const long first = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end) return R::Fail("--gpu_ids expects ids such as 0 or 0,1 (-1: the CPU), got '" + gpu_ids + "'");
  if (first < 0) return Status::Ok();
  if (!torch::cuda::is_available()) {
    note = "CUDA is not available: running on the CPU";
    return Status::Ok();
  }
  const long count = long(torch::cuda::device_count());
  if (first >= count) return R::Fail("--gpu_ids " + gpu_ids + ": there are " + std::to_string(count) + " CUDA devices");
  if (gpu_ids.find(',') != std::string::npos)
    note = "using cuda:" + std::to_string(first) + " (for several GPUs start one process per GPU, torchrun style)";
  device = torch::Device(torch::kCUDA, torch::DeviceIndex(first));
  return Status::Ok();
}

}  // namespace p2p
