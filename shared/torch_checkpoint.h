// Reads PyTorch torch.save(state_dict) files (a zip of data.pkl plus one STORED entry per storage)
// with a restricted unpickler that accepts only what state_dicts use. Parses untrusted files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"
#include "tensor.h"

namespace p2p {

enum class TorchDType { Float32, Float64, Float16, BFloat16, Int64, Int32 };
const char* torch_dtype_name(TorchDType t);  // "float32", ...

struct TorchCheckpoint {
  Weights weights;                          // every tensor converted to float32, contiguous
  std::map<std::string, TorchDType> dtypes;  // the stored type of each
  std::vector<std::string> keys;            // state_dict order
};

// Budgets of the unpickler: objects it builds (about 130 bytes each) and memo entries (about 50).
// A state_dict needs about 25 objects and 20 memo entries a tensor, so these allow some 10,000
// tensors (VGG-19 has 38, a U-Net 256 about 130) while a hostile pickle stays within about 50 MiB.
constexpr size_t kMaxPickleObjects = size_t(1) << 18;
constexpr size_t kMaxPickleMemo = size_t(1) << 18;

struct TorchReadOptions {
  bool check_crc = true;  // verify each entry's CRC-32 (fuzzers turn it off to reach the unpickler)
};

// The pickle may use: PROTO, FRAME, GLOBAL/STACK_GLOBAL (collections.OrderedDict,
// torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.{Float,Double,Half,
// BFloat16,Long,Int}Storage), containers, ints, floats, strings, memo, BINPERSID storages, REDUCE,
// BUILD (the state_dict's _metadata), SETITEM(S), APPEND(S), STOP. Anything else is refused with
// "refused pickle opcode X" or "refused pickle global X".
Result<TorchCheckpoint> read_torch_checkpoint(const uint8_t* data, size_t size, const TorchReadOptions& opt = {});

// File variant: errors start with the path.
Result<TorchCheckpoint> load_torch_checkpoint(const std::string& path, const TorchReadOptions& opt = {});

}  // namespace p2p
