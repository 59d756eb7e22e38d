// .npy: the header is a Python dict literal; we parse just the subset numpy writes
// ({'descr': str, 'fortran_order': bool, 'shape': tuple of ints}) and nothing more.
#include "npy.h"

#include <cstring>

#include "file_io.h"

namespace p2p {

namespace {

const char kMagic[] = "\x93NUMPY";

// Parser for the header dict; each step returns false with error_ set.
class NpyHeader {
 public:
  explicit NpyHeader(std::string_view s) : s_(s) {}
  std::string descr;
  bool fortran = false, have_descr = false, have_fortran = false, have_shape = false;
  Shape shape;
  std::string error;

  bool parse() {
    if (!eat('{')) return fail("header is not a dict: expected '{'");
    for (;;) {
      ws();
      if (eat('}')) break;
      std::string key;
      if (!str(key)) return fail("expected a quoted key in the header dict");
      if (!eat(':')) return fail("expected ':' after '" + printable(key) + "'");
      if (key == "descr") {
        if (!str(descr)) return fail("'descr' is not a string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (word("True")) fortran = true;
        else if (word("False")) fortran = false;
        else return fail("'fortran_order' is not True or False");
        have_fortran = true;
      } else if (key == "shape") {
        if (!tuple()) return false;
        have_shape = true;
      } else {
        return fail("unexpected key '" + printable(key) + "' in the header dict");
      }
      ws();
      if (eat(',')) continue;
      ws();
      if (eat('}')) break;
      return fail("expected ',' or '}' in the header dict");
    }
    ws();
    if (pos_ != s_.size()) return fail("unexpected text after the header dict");
    if (!have_descr || !have_fortran || !have_shape)
      return fail("header dict lacks one of 'descr', 'fortran_order', 'shape'");
    return true;
  }

 private:
  bool fail(std::string why) {
    error = "bad header: " + why;
    return false;
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) pos_++;
  }
  bool eat(char c) {
    ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      pos_++;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    ws();
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  bool str(std::string& out) {
    ws();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) return false;
    char q = s_[pos_++];
    size_t end = s_.find(q, pos_);
    if (end == std::string_view::npos || end - pos_ > 64) return false;  // numpy's own strings are short
    out = std::string(s_.substr(pos_, end - pos_));
    if (out.find('\\') != std::string::npos) return false;
    pos_ = end + 1;
    return true;
  }
  bool tuple() {
    if (!eat('(')) return fail("'shape' is not a tuple");
    for (;;) {
      if (eat(')')) return true;
      ws();
      int64_t v = 0;
      size_t digits = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (++digits > 15) return fail("'shape' dimension too large");
        v = v * 10 + (s_[pos_++] - '0');
      }
      if (pos_ < s_.size() && s_[pos_] == 'L') pos_++;  // Python 2 longs
      if (digits == 0) return fail("'shape' holds something other than non-negative integers");
      if (shape.size() >= 64) return fail("'shape' has more than 64 dimensions");
      shape.push_back(v);
      if (eat(',')) continue;
      if (eat(')')) return true;
      return fail("expected ',' or ')' in 'shape'");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string shape_tuple(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); i++) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  if (s.size() == 1) out += ",";
  return out + ")";
}

}  // namespace

Result<Tensor> read_npy(const uint8_t* data, size_t size) {
  using R = Result<Tensor>;
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0) return R::Fail("not a .npy file (no \\x93NUMPY magic)");
  int major = data[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = size_t(data[8]) | (size_t(data[9]) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return R::Fail("truncated: the header length is cut off");
    hlen = size_t(data[8]) | (size_t(data[9]) << 8) | (size_t(data[10]) << 16) | (size_t(data[11]) << 24);
    hstart = 12;
  } else {
    return R::Fail("unsupported .npy version " + std::to_string(major) + "." + std::to_string(data[7]));
  }
  if (hlen > size - hstart)
    return R::Fail("truncated: header of " + std::to_string(hlen) + " bytes goes beyond the file (" +
                   std::to_string(size) + " bytes)");
  NpyHeader h(std::string_view(reinterpret_cast<const char*>(data + hstart), hlen));
  if (!h.parse()) return R::Fail(h.error);
  if (h.fortran) return R::Fail("fortran_order True is not supported (save a C-contiguous array)");
  size_t esize;
  if (h.descr == "<f4") esize = 4;
  else if (h.descr == "<f8") esize = 8;
  else if (h.descr == "<f2") esize = 2;
  else if (h.descr.size() == 3 && h.descr[0] == '>' && h.descr[1] == 'f')
    return R::Fail("dtype '" + printable(h.descr) + "' is big-endian; only little-endian floats are read");
  else
    return R::Fail("dtype '" + printable(h.descr) + "' is not supported ('<f2', '<f4', '<f8' are read)");

  const uint8_t* body = data + hstart + hlen;
  uint64_t body_size = size - hstart - hlen;
  uint64_t numel = 1;
  bool too_big = false;  // product beyond the data, tested by division so it cannot overflow
  for (int64_t d : h.shape) {
    if (d != 0 && numel > body_size / uint64_t(d)) too_big = true;
    numel *= uint64_t(d);
  }
  for (int64_t d : h.shape)
    if (d == 0) numel = 0, too_big = false;
  if (too_big || numel * esize != body_size)
    return R::Fail("data is " + std::to_string(body_size) + " bytes but shape " + shape_str(h.shape) + " of '" +
                   h.descr + "' needs " + (too_big ? std::string("more") : std::to_string(numel * esize)));
  R r;
  r.value.shape = h.shape;
  r.value.data.resize(size_t(numel));
  float* out = r.value.data.data();
  if (esize == 4) {
    if (numel) std::memcpy(out, body, size_t(numel) * 4);
  } else if (esize == 8) {
    for (size_t i = 0; i < numel; i++) {
      double d;
      std::memcpy(&d, body + 8 * i, 8);
      out[i] = float(d);
    }
  } else {
    for (size_t i = 0; i < numel; i++) out[i] = half_to_float(uint16_t(body[2 * i] | (body[2 * i + 1] << 8)));
  }
  return r;
}

std::vector<uint8_t> write_npy(const Tensor& t) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple(t.shape) + ", }";
  // numpy pads with spaces so that magic + length + header (ending in '\n') is a multiple of 64.
  size_t prefix = dict.size() + 1 + 10 > 65535 ? 12 : 10;
  size_t total = prefix + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(prefix == 10 ? 1 : 2);
  out.push_back(0);
  for (size_t i = 0; i < prefix - 8; i++) out.push_back(uint8_t(dict.size() >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  size_t at = out.size();
  out.resize(at + t.data.size() * 4);
  if (!t.data.empty()) std::memcpy(out.data() + at, t.data.data(), t.data.size() * 4);  // little-endian hosts
  return out;
}

Result<Tensor> load_npy(const std::string& path) {
  return parse_file<Tensor>(path, read_npy);
}

Status save_npy(const std::string& path, const Tensor& t) {
  std::vector<uint8_t> bytes = write_npy(t);
  return write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace p2p
