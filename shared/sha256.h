// SHA-256 (FIPS 180-4) for shared/: the digest that model.json records for its weights file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace p2p {

// Lower-case hexadecimal digest (64 characters) of size bytes at data.
std::string sha256_hex(const uint8_t* data, size_t size);

}  // namespace p2p
