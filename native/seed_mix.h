// splitmix64: one 64-bit seed into another, well mixed. Seeds of per-step random draws are functions of
// (run seed, step) through it, so a resumed run draws what the uninterrupted one drew.
#pragma once
#include <cstdint>

namespace p2p {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace p2p
