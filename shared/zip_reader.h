// A reader for the central directory of a ZIP archive held in memory (ZIP64 included), for
// archives of STORED entries such as PyTorch's torch.save files. Parses untrusted bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"

namespace p2p {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // where the entry's bytes start in the archive
  uint64_t size = 0;         // uncompressed == stored size
  uint32_t crc32 = 0;        // as recorded in the central directory
};

struct ZipArchive {
  std::vector<ZipEntry> entries;          // central directory order
  std::map<std::string, size_t> index;    // name -> position in entries
  const ZipEntry* find(const std::string& name) const;
};

// Every entry must be STORED (compression method 0), unencrypted, with its local header and data
// inside the archive; names must be unique. Other methods are refused, naming the entry.
Result<ZipArchive> read_zip(const uint8_t* data, size_t size);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace p2p
