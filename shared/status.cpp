// printable(): untrusted bytes made safe to show in a one-line message.
#include "status.h"

#include <cstdint>
#include <cstdio>

namespace p2p {

namespace {

// Length of the well-formed UTF-8 sequence at p (left bytes available) that is not a C1 control
// (U+0080..U+009F, which terminals obey as escapes); 0 otherwise.
size_t safe_utf8_len(const unsigned char* p, size_t left) {
  unsigned char b = p[0];
  size_t n;
  uint32_t cp;
  if (b >= 0xc2 && b <= 0xdf) n = 2, cp = b & 0x1fu;
  else if (b >= 0xe0 && b <= 0xef) n = 3, cp = b & 0x0fu;
  else if (b >= 0xf0 && b <= 0xf4) n = 4, cp = b & 0x07u;
  else return 0;
  if (left < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3fu);
  }
  if (cp < 0xa0 || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

}  // namespace

std::string printable(std::string_view bytes, size_t max_bytes) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  for (size_t i = 0; i < n;) {
    if (p[i] >= 0x20 && p[i] < 0x7f) {
      out += char(p[i++]);
      continue;
    }
    if (size_t k = safe_utf8_len(p + i, n - i)) {
      out.append(bytes.substr(i, k));
      i += k;
      continue;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", p[i++]);
    out += hex;
  }
  if (bytes.size() > max_bytes) out += "...";
  return out;
}

std::string size_text(uint64_t bytes) {
  char buf[48];
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%llu bytes", (unsigned long long)bytes);
  else if (bytes < (uint64_t(1) << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024);
  else if (bytes < (uint64_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / (1 << 30));
  return buf;
}

}  // namespace p2p
