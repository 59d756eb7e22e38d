// NumPy .npy read/write: versions 1-3, little-endian float16/32/64 in C order read into a float32
// Tensor; float32 written exactly as numpy.save writes it. The fixtures' inputs and outputs use it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"
#include "tensor.h"

namespace p2p {

// Refuses, with the reason: bad magic, unknown version, truncated header or data, malformed header
// dict, dtypes other than '<f2' '<f4' '<f8', fortran_order True, data size not matching the shape.
Result<Tensor> read_npy(const uint8_t* data, size_t size);
std::vector<uint8_t> write_npy(const Tensor& t);  // '<f4', C order, version 1 (2 if the header needs it)

// File variants: errors start with the path. Saving is atomic.
Result<Tensor> load_npy(const std::string& path);
Status save_npy(const std::string& path, const Tensor& t);

}  // namespace p2p
