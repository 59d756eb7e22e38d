// The device for train and test from the reference's --gpu_ids: the first id's CUDA device, the CPU for -1,
// and the CPU (with a note) where CUDA is absent.
#pragma once
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/types.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
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

// What a run trained on, for the record (checkpoint metadata, model.json): the GPU's name or the CPU's model
// and thread count, and the LibTorch version.
inline std::string hardware_text(const torch::Device& device) {
  std::string what;
  if (device.is_cuda()) {
    // The name through nvidia-smi: LibTorch's C++ API has no device-name call outside its CUDA headers.
    const std::string cmd = "nvidia-smi --query-gpu=name --format=csv,noheader -i " + std::to_string(device.index()) + " 2>/dev/null";
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[256] = {};
      if (std::fgets(buf, sizeof buf, p)) what = buf;
      pclose(p);
    }
    while (!what.empty() && (what.back() == '\n' || what.back() == '\r')) what.pop_back();
    what = (what.empty() ? std::string("CUDA GPU") : what) + " (" + device.str() + ")";
  } else {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
      if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
        what = line.substr(line.find(':') + 2);
        break;
      }
    what = (what.empty() ? std::string("CPU") : what) + ", " + std::to_string(at::get_num_threads()) + (at::get_num_threads() == 1 ? " thread" : " threads");
  }
  return what + ", LibTorch " + std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
}

}  // namespace p2p
