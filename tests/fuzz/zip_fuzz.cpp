// libFuzzer target for shared/zip_reader: reading must return the entries or an error; every entry
// returned lies inside the archive, and the name index finds each entry at its own position.
#include <cstdint>
#include <cstdlib>

#include "shared/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = p2p::read_zip(data, size);
  if (!r.ok()) return 0;
  const p2p::ZipArchive& zip = r.value;
  if (zip.index.size() != zip.entries.size()) std::abort();
  for (size_t i = 0; i < zip.entries.size(); i++) {
    const p2p::ZipEntry& e = zip.entries[i];
    if (e.data_offset > size || e.size > size - e.data_offset) std::abort();
    if (zip.find(e.name) != &e) std::abort();
    volatile uint32_t crc = p2p::crc32(data + e.data_offset, size_t(e.size));  // touches every byte of the entry
    (void)crc;
  }
  return 0;
}
