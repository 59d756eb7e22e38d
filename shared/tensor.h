// Plain CPU tensors for shared/: float32 data in row-major (NCHW) order plus a shape.
// Weights of a model are a name -> Tensor map, the names being the model graph's parameter names.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace p2p {

using Shape = std::vector<int64_t>;

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.0f) : shape(std::move(s)), data(numel(shape), fill) {}

  static int64_t numel(const Shape& s) {
    // An empty dim first: files may pair it with others whose product overflows (.npy shape (2^40, 2^40, 0)).
    for (int64_t d : s)
      if (d == 0) return 0;
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
  }
  int64_t numel() const { return numel(shape); }
};

using Weights = std::map<std::string, Tensor>;

std::string shape_str(const Shape& s);  // "[64, 3, 4, 4]"

// IEEE half <-> float, round to nearest even.
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace p2p
