// safetensors: writer with deterministic bytes, and a reader that checks every header field
// against the file before touching tensor data.
#include "safetensors.h"

#include <algorithm>
#include <cstring>

#include "file_io.h"
#include "json.h"

namespace p2p {

namespace {

size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }

uint16_t float_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);  // NaN stays NaN
  x += 0x7fffu + ((x >> 16) & 1u);                                          // round to nearest even
  return uint16_t(x >> 16);
}

float bf16_to_float(uint16_t h) {
  uint32_t x = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

void put_u64le(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; i++) out.push_back(uint8_t(v >> (8 * i)));
}

// A JSON number that is a non-negative integer below 2^53, else -1.
int64_t json_uint(const Json& j) {
  if (!j.is_number()) return -1;
  double d = j.as_number();
  if (!(d >= 0 && d <= 9007199254740992.0) || double(int64_t(d)) != d) return -1;
  return int64_t(d);
}

}  // namespace

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

std::vector<uint8_t> write_safetensors(const Weights& w, const std::map<std::string, std::string>& metadata,
                                       DType dtype) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json& m = header["__metadata__"];
    m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
  }
  size_t esize = dtype_size(dtype);
  uint64_t offset = 0;
  for (const auto& [name, t] : w) {  // std::map: sorted by name
    Json entry = Json::object();
    entry["dtype"] = dtype_name(dtype);
    Json shape = Json::array();
    for (int64_t d : t.shape) shape.push_back(d);
    entry["shape"] = std::move(shape);
    uint64_t bytes = uint64_t(t.data.size()) * esize;
    Json offsets = Json::array();
    offsets.push_back(offset);
    offsets.push_back(offset + bytes);
    entry["data_offsets"] = std::move(offsets);
    header[name] = std::move(entry);
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + offset);
  put_u64le(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
  for (const auto& [name, t] : w) {
    size_t at = out.size();
    out.resize(at + t.data.size() * esize);
    uint8_t* p = out.data() + at;
    if (dtype == DType::F32) {
      if (!t.data.empty()) std::memcpy(p, t.data.data(), t.data.size() * 4);  // little-endian hosts only (x86, arm, wasm)
    } else {
      for (size_t i = 0; i < t.data.size(); i++) {
        uint16_t h = dtype == DType::F16 ? float_to_half(t.data[i]) : float_to_bf16(t.data[i]);
        p[2 * i] = uint8_t(h);
        p[2 * i + 1] = uint8_t(h >> 8);
      }
    }
  }
  return out;
}

Result<SafetensorsFile> read_safetensors(const uint8_t* data, size_t size) {
  using R = Result<SafetensorsFile>;
  if (size < 8) return R::Fail("truncated: " + std::to_string(size) + " bytes, less than the 8-byte header length");
  uint64_t hlen = 0;
  for (int i = 0; i < 8; i++) hlen |= uint64_t(data[i]) << (8 * i);
  if (hlen > size - 8 && (data[0] == '{' || data[0] == '['))  // the usual mix-up: a bundle's model.json
    return R::Fail("this is JSON text (a web bundle's model.json?), not a .safetensors file");
  if (hlen > size - 8)
    return R::Fail("header length " + std::to_string(hlen) + " goes beyond the file (" + std::to_string(size) +
                   " bytes)");
  if (hlen > kMaxSafetensorsHeaderBytes)
    return R::Fail("header of " + size_text(hlen) + " is more than the " + size_text(kMaxSafetensorsHeaderBytes) +
                   " allowed");
  if (hlen < 2 || data[8] != '{') return R::Fail("header does not start with a JSON object '{'");
  auto parsed = parse_json(std::string_view(reinterpret_cast<const char*>(data + 8), size_t(hlen)), 8);
  if (!parsed.ok()) return R::Fail("bad JSON header: " + parsed.error);
  const Json& header = parsed.value;
  if (!header.is_object()) return R::Fail("bad header: not a JSON object");

  const uint8_t* body = data + 8 + hlen;
  uint64_t body_size = size - 8 - hlen;
  struct Entry {
    const std::string* name;
    DType dtype;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  R r;
  for (size_t i = 0; i < header.size(); i++) {
    const std::string& name = header.keys()[i];
    const Json& entry = header.items()[i];
    if (name == "__metadata__") {
      if (!entry.is_object()) return R::Fail("bad header: __metadata__ is not an object");
      for (size_t k = 0; k < entry.size(); k++) {
        if (!entry.items()[k].is_string())
          return R::Fail("bad header: __metadata__ value \"" + printable(entry.keys()[k]) + "\" is not a string");
        r.value.metadata[entry.keys()[k]] = entry.items()[k].as_string();
      }
      continue;
    }
    std::string what = "tensor \"" + printable(name) + "\": ";
    if (!entry.is_object()) return R::Fail(what + "header entry is not an object");
    const Json* dt = entry.find("dtype");
    const Json* shape = entry.find("shape");
    const Json* offsets = entry.find("data_offsets");
    if (!dt || !dt->is_string()) return R::Fail(what + "missing \"dtype\" string");
    if (!shape || !shape->is_array()) return R::Fail(what + "missing \"shape\" array");
    if (!offsets || !offsets->is_array() || offsets->size() != 2)
      return R::Fail(what + "missing \"data_offsets\" [begin, end]");
    Entry en{&name, DType::F32, {}, 0, 0};
    const std::string& dts = dt->as_string();
    if (dts == "F32") en.dtype = DType::F32;
    else if (dts == "F16") en.dtype = DType::F16;
    else if (dts == "BF16") en.dtype = DType::BF16;
    else return R::Fail(what + "unsupported dtype \"" + printable(dts, 16) + "\" (F32, F16 and BF16 are read)");

    if (shape->size() > 64) return R::Fail(what + "shape has more than 64 dimensions");
    uint64_t numel = 1;
    bool too_big = false;  // product beyond the data, tested by division so it cannot overflow
    for (const Json& d : shape->items()) {
      int64_t v = json_uint(d);
      if (v < 0) return R::Fail(what + "shape holds something other than a non-negative integer");
      if (v != 0 && numel > body_size / uint64_t(v)) too_big = true;
      numel *= uint64_t(v);
      en.shape.push_back(v);
    }
    for (int64_t v : en.shape)
      if (v == 0) numel = 0, too_big = false;  // an empty tensor, however large its other dimensions
    if (too_big) return R::Fail(what + "shape " + shape->dump() + " is larger than the file's data");
    int64_t b = json_uint((*offsets)[0]), e = json_uint((*offsets)[1]);
    if (b < 0 || e < 0 || b > e) return R::Fail(what + "bad data_offsets " + offsets->dump());
    if (uint64_t(e) > body_size)
      return R::Fail(what + "data_offsets " + offsets->dump() + " out of range (data is " +
                     std::to_string(body_size) + " bytes)");
    uint64_t expect = numel * dtype_size(en.dtype);
    if (uint64_t(e - b) != expect)
      return R::Fail(what + "data_offsets span " + std::to_string(e - b) + " bytes but shape " + shape->dump() +
                     " of " + dts + " needs " + std::to_string(expect));
    en.begin = uint64_t(b);
    en.end = uint64_t(e);
    entries.push_back(std::move(en));
  }

  // The tensors must tile the data exactly: no overlap, no gap, nothing after the last one.
  // Checked before decoding, so the floats decoded never exceed the file's own size.
  std::vector<const Entry*> order;
  for (const Entry& en : entries) order.push_back(&en);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t at = 0;
  for (const Entry* en : order) {
    if (en->begin < at) return R::Fail("tensor \"" + printable(*en->name) + "\": data_offsets overlap another tensor's");
    if (en->begin > at)
      return R::Fail("tensor \"" + printable(*en->name) + "\": gap of " + std::to_string(en->begin - at) + " bytes before its data");
    at = en->end;
  }
  if (at != body_size)
    return R::Fail("tensors cover " + std::to_string(at) + " of the " + std::to_string(body_size) + " data bytes");

  for (Entry& en : entries) {
    Tensor t;
    t.shape = std::move(en.shape);
    size_t numel = size_t((en.end - en.begin) / dtype_size(en.dtype));
    const uint8_t* p = body + en.begin;
    t.data.resize(numel);
    if (en.dtype == DType::F32) {
      if (numel) std::memcpy(t.data.data(), p, numel * 4);
    } else {
      for (size_t k = 0; k < numel; k++) {
        uint16_t h = uint16_t(p[2 * k] | (p[2 * k + 1] << 8));
        t.data[k] = en.dtype == DType::F16 ? half_to_float(h) : bf16_to_float(h);
      }
    }
    r.value.dtypes[*en.name] = en.dtype;
    r.value.weights[*en.name] = std::move(t);
  }
  return r;
}

Result<SafetensorsFile> load_safetensors(const std::string& path) {
  return parse_file<SafetensorsFile>(path, read_safetensors);
}

Status save_safetensors(const std::string& path, const Weights& w, const std::map<std::string, std::string>& metadata,
                        DType dtype) {
  std::vector<uint8_t> bytes = write_safetensors(w, metadata, dtype);
  return write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace p2p
