// safetensors read/write: an 8-byte little-endian header length, a JSON header ("__metadata__" string
// map; per tensor dtype, shape, data_offsets), then the tensor bytes. Checkpoints and web bundles use it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"
#include "tensor.h"

namespace p2p {

// Element types written and read. BF16 is read (and can be written) but F32 and F16 are the usual ones.
enum class DType { F32, F16, BF16 };
const char* dtype_name(DType t);  // "F32", "F16", "BF16"

// Deterministic bytes: tensors in sorted name order, contiguous, header padded with spaces to a
// multiple of 8. "__metadata__" is written when metadata is not empty.
std::vector<uint8_t> write_safetensors(const Weights& w, const std::map<std::string, std::string>& metadata,
                                       DType dtype = DType::F32);

struct SafetensorsFile {
  Weights weights;                              // converted to float32
  std::map<std::string, std::string> metadata;  // "__metadata__"
  std::map<std::string, DType> dtypes;          // stored type of each tensor
};

// The JSON header's budget (the format's own reference reader allows 100 MB; ours hold a few hundred
// tensors in tens of KiB). Checked before the header is parsed.
constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t(8) << 20;

// Accepts F32, F16 and BF16 tensors; refuses anything malformed with a one-line reason (truncated,
// header length beyond the file, bad JSON, bad entries, offsets out of range, overlapping or leaving
// gaps, size not matching shape and dtype, unknown dtype).
Result<SafetensorsFile> read_safetensors(const uint8_t* data, size_t size);

// File variants: errors start with the path. Saving is atomic (temporary file, then rename).
Result<SafetensorsFile> load_safetensors(const std::string& path);
Status save_safetensors(const std::string& path, const Weights& w,
                        const std::map<std::string, std::string>& metadata = {}, DType dtype = DType::F32);

}  // namespace p2p
