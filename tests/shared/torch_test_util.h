// Test helpers: a tiny ZIP writer (STORED entries, optional ZIP64 records) and a pickle builder
// that lays out a state_dict the way torch.save does, so tests can make checkpoints without PyTorch.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "shared/zip_reader.h"

namespace p2p_test {

struct ZipFile {
  std::string name;
  std::vector<uint8_t> data;
  uint16_t method = 0;
};

inline void put16(std::vector<uint8_t>& o, uint64_t v) { for (int i = 0; i < 2; i++) o.push_back(uint8_t(v >> (8 * i))); }
inline void put32(std::vector<uint8_t>& o, uint64_t v) { for (int i = 0; i < 4; i++) o.push_back(uint8_t(v >> (8 * i))); }
inline void put64(std::vector<uint8_t>& o, uint64_t v) { for (int i = 0; i < 8; i++) o.push_back(uint8_t(v >> (8 * i))); }

inline std::vector<uint8_t> make_zip(const std::vector<ZipFile>& files, bool zip64 = false) {
  std::vector<uint8_t> out, cd;
  for (const ZipFile& f : files) {
    uint64_t local = out.size();
    uint32_t crc = p2p::crc32(f.data.data(), f.data.size());
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, 0);
    put16(out, f.method);
    put32(out, 0);  // time, date
    put32(out, crc);
    put32(out, f.data.size());
    put32(out, f.data.size());
    put16(out, f.name.size());
    put16(out, 0);
    out.insert(out.end(), f.name.begin(), f.name.end());
    out.insert(out.end(), f.data.begin(), f.data.end());

    put32(cd, 0x02014b50);
    put16(cd, 20);
    put16(cd, zip64 ? 45 : 20);
    put16(cd, 0);
    put16(cd, f.method);
    put32(cd, 0);
    put32(cd, crc);
    put32(cd, zip64 ? 0xffffffffu : f.data.size());
    put32(cd, zip64 ? 0xffffffffu : f.data.size());
    put16(cd, f.name.size());
    put16(cd, zip64 ? 28 : 0);
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);
    put32(cd, 0);
    put32(cd, zip64 ? 0xffffffffu : local);
    cd.insert(cd.end(), f.name.begin(), f.name.end());
    if (zip64) {
      put16(cd, 0x0001);
      put16(cd, 24);
      put64(cd, f.data.size());
      put64(cd, f.data.size());
      put64(cd, local);
    }
  }
  uint64_t cd_at = out.size();
  out.insert(out.end(), cd.begin(), cd.end());
  if (zip64) {
    uint64_t rec = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, files.size());
    put64(out, files.size());
    put64(out, cd.size());
    put64(out, cd_at);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, rec);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64 ? 0xffff : files.size());
  put16(out, zip64 ? 0xffff : files.size());
  put32(out, zip64 ? 0xffffffffu : cd.size());
  put32(out, zip64 ? 0xffffffffu : cd_at);
  put16(out, 0);
  return out;
}

// Pickle opcodes written one call at a time.
struct Pickle {
  std::vector<uint8_t> b;
  Pickle& op(uint8_t c) { b.push_back(c); return *this; }
  Pickle& raw(const std::string& s) { b.insert(b.end(), s.begin(), s.end()); return *this; }
  Pickle& proto(int v) { return op(0x80).op(uint8_t(v)); }
  Pickle& global(const std::string& mod, const std::string& name) { return op('c').raw(mod + "\n" + name + "\n"); }
  Pickle& str(const std::string& s) { op('X'); put32(b, s.size()); return raw(s); }
  Pickle& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').op(uint8_t(v));
    if (v >= 0 && v < 65536) { op('M'); put16(b, uint64_t(v)); return *this; }
    if (v >= INT32_MIN && v <= INT32_MAX) { op('J'); put32(b, uint64_t(v)); return *this; }
    op(0x8a).op(8);
    put64(b, uint64_t(v));
    return *this;
  }
  Pickle& mark() { return op('('); }
  Pickle& tuple() { return op('t'); }
  Pickle& ints(const std::vector<int64_t>& v) {
    mark();
    for (int64_t x : v) integer(x);
    return tuple();
  }
  Pickle& ordered_dict() { return global("collections", "OrderedDict").op(')').op('R'); }
};

struct TensorSpec {
  std::string name, storage_type = "FloatStorage", key;
  int64_t numel = 0, offset = 0;
  std::vector<int64_t> sizes, strides;
};

// A state_dict pickle as torch.save writes it (protocol 2), _metadata BUILD included.
inline std::vector<uint8_t> state_dict_pickle(const std::vector<TensorSpec>& ts) {
  Pickle p;
  p.proto(2).ordered_dict().mark();
  for (const TensorSpec& t : ts) {
    p.str(t.name).global("torch._utils", "_rebuild_tensor_v2").mark();
    p.mark().str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(t.numel).tuple().op('Q');
    p.integer(t.offset).ints(t.sizes).ints(t.strides).op(0x89).ordered_dict().tuple().op('R');
  }
  p.op('u');
  p.op('}').str("_metadata").ordered_dict().mark().str("").op('}').str("version").integer(1).op('s').op('u');
  p.op('s').op('b').op('.');
  return p.b;
}

inline std::vector<uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// A checkpoint "archive/..." from a pickle and storages (key -> bytes).
inline std::vector<uint8_t> make_checkpoint(const std::vector<uint8_t>& pickle,
                                            const std::vector<std::pair<std::string, std::vector<uint8_t>>>& storages,
                                            bool zip64 = false) {
  std::vector<ZipFile> files{{"archive/data.pkl", pickle}};
  for (const auto& [key, bytes] : storages) files.push_back({"archive/data/" + key, bytes});
  files.push_back({"archive/version", {'3', '\n'}});
  return make_zip(files, zip64);
}

}  // namespace p2p_test
