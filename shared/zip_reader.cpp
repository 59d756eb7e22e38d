// ZIP central directory parsing: end-of-central-directory record (and its ZIP64 form), central
// directory entries (with ZIP64 extra fields) and local headers, each checked against the buffer.
#include "zip_reader.h"


namespace p2p {

namespace {

uint16_t u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t u32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
uint64_t u64(const uint8_t* p) { return uint64_t(u32(p)) | (uint64_t(u32(p + 4)) << 32); }

constexpr uint32_t kEocd = 0x06054b50, kEocd64 = 0x06064b50, kLocator64 = 0x07064b50;
constexpr uint32_t kCentral = 0x02014b50, kLocal = 0x04034b50;

}  // namespace

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &entries[it->second];
}

uint32_t crc32(const uint8_t* data, size_t size) {
  struct Table {
    uint32_t v[256];
    Table() {
      for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        v[i] = c;
      }
    }
  };
  static const Table table;
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < size; i++) c = table.v[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

Result<ZipArchive> read_zip(const uint8_t* data, size_t size) {
  using R = Result<ZipArchive>;
  // The end record (22 bytes + a comment of up to 65535) is found by scanning back for its signature.
  if (size < 22) return R::Fail("not a zip archive: " + std::to_string(size) + " bytes");
  size_t eocd = size;
  size_t lowest = size >= 22 + 65535 ? size - 22 - 65535 : 0;
  for (size_t at = size - 22 + 1; at-- > lowest;) {
    if (u32(data + at) == kEocd && at + 22 + u16(data + at + 20) == size) {
      eocd = at;
      break;
    }
  }
  if (eocd == size) return R::Fail("not a zip archive (no end-of-central-directory record)");
  const uint8_t* e = data + eocd;
  if (u16(e + 4) != 0 || u16(e + 6) != 0) return R::Fail("multi-disk zip archives are not supported");
  uint64_t count = u16(e + 10), cd_size = u32(e + 12), cd_offset = u32(e + 16);

  if (count == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    // ZIP64: a 20-byte locator just before the end record points at the ZIP64 end record.
    if (eocd < 20 || u32(data + eocd - 20) != kLocator64) return R::Fail("zip: ZIP64 locator missing");
    uint64_t at = u64(data + eocd - 20 + 8);
    if (at > size || size - at < 56 || u32(data + at) != kEocd64) return R::Fail("zip: ZIP64 end record out of range");
    count = u64(data + at + 32);
    cd_size = u64(data + at + 40);
    cd_offset = u64(data + at + 48);
  }
  if (cd_offset > size || cd_size > size - cd_offset) return R::Fail("zip: central directory out of range");
  if (count > cd_size / 46) return R::Fail("zip: " + std::to_string(count) + " entries do not fit the central directory");

  R r;
  r.value.entries.reserve(size_t(count));
  const uint8_t* p = data + cd_offset;
  const uint8_t* end = p + cd_size;
  for (uint64_t i = 0; i < count; i++) {
    if (end - p < 46 || u32(p) != kCentral) return R::Fail("zip: central directory entry " + std::to_string(i) + " is malformed");
    uint16_t flags = u16(p + 8), method = u16(p + 10);
    uint64_t csize = u32(p + 20), usize = u32(p + 24), local = u32(p + 42);
    size_t name_len = u16(p + 28), extra_len = u16(p + 30), comment_len = u16(p + 32);
    if (size_t(end - p) < 46 + name_len + extra_len + comment_len)
      return R::Fail("zip: central directory entry " + std::to_string(i) + " is cut off");
    ZipEntry z;
    z.name.assign(reinterpret_cast<const char*>(p + 46), name_len);
    z.crc32 = u32(p + 16);
    // ZIP64 extra field: the 64-bit values, in this order, of those fields that read 0xffffffff.
    const uint8_t* x = p + 46 + name_len;
    const uint8_t* xend = x + extra_len;
    while (xend - x >= 4) {
      uint16_t id = u16(x), len = u16(x + 2);
      if (size_t(xend - x - 4) < len) return R::Fail("zip: entry " + printable(z.name) + ": extra field cut off");
      if (id == 0x0001) {
        const uint8_t* f = x + 4;
        size_t left = len;
        for (uint64_t* v : {&usize, &csize, &local}) {
          if (*v != 0xffffffffu) continue;
          if (left < 8) return R::Fail("zip: entry " + printable(z.name) + ": ZIP64 extra field too short");
          *v = u64(f);
          f += 8;
          left -= 8;
        }
      }
      x += 4 + len;
    }
    if (flags & 1) return R::Fail("zip: entry " + printable(z.name) + " is encrypted");
    if (method != 0)
      return R::Fail("zip: entry " + printable(z.name) + " uses compression method " + std::to_string(method) +
                     " (only STORED entries are read)");
    if (csize != usize) return R::Fail("zip: entry " + printable(z.name) + " is STORED but its sizes differ");
    // The local header repeats the name and has its own extra field (PyTorch pads data to 64 bytes there).
    if (local > size || size - local < 30 || u32(data + local) != kLocal)
      return R::Fail("zip: entry " + printable(z.name) + ": local header out of range or malformed");
    uint64_t data_at = local + 30 + u16(data + local + 26) + u16(data + local + 28);
    if (data_at > size || usize > size - data_at) return R::Fail("zip: entry " + printable(z.name) + ": data out of range");
    z.data_offset = data_at;
    z.size = usize;
    r.value.entries.push_back(std::move(z));
    p += 46 + name_len + extra_len + comment_len;
  }
  for (size_t i = 0; i < r.value.entries.size(); i++)
    if (!r.value.index.emplace(r.value.entries[i].name, i).second)
      return R::Fail("zip: entry " + printable(r.value.entries[i].name) + " appears twice");
  return r;
}

}  // namespace p2p
