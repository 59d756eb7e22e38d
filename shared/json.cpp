// JSON parsing (strict, bounded depth, line:column errors) and printing (compact or pretty,
// shortest round-trip numbers).
#include "json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "file_io.h"

namespace p2p {

namespace {
const Json& null_json() {
  static const Json n;
  return n;
}
const std::string& empty_string() {
  static const std::string s;
  return s;
}
}  // namespace

const std::string& Json::as_string() const { return type_ == Type::String ? str_ : empty_string(); }

void Json::push_back(Json v) {
  if (type_ == Type::Null) type_ = Type::Array;
  if (type_ == Type::Array) items_.push_back(std::move(v));
}

Json& Json::operator[](std::string_view key) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) {  // misuse on a scalar or array: hand out a scratch value
    static Json scratch;
    scratch = Json();
    return scratch;
  }
  for (size_t i = 0; i < keys_.size(); i++)
    if (keys_[i] == key) return items_[i];
  keys_.emplace_back(key);
  items_.emplace_back();
  return items_.back();
}

const Json& Json::operator[](std::string_view key) const {
  const Json* j = find(key);
  return j ? *j : null_json();
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  for (size_t i = 0; i < keys_.size(); i++)
    if (keys_[i] == key) return &items_[i];
  return nullptr;
}

bool Json::erase(std::string_view key) {
  if (type_ != Type::Object) return false;
  for (size_t i = 0; i < keys_.size(); i++) {
    if (keys_[i] != key) continue;
    keys_.erase(keys_.begin() + long(i));
    items_.erase(items_.begin() + long(i));
    return true;
  }
  return false;
}

std::string Json::get_string(std::string_view key, std::string def) const {
  const Json* j = find(key);
  return j && j->is_string() ? j->str_ : def;
}
double Json::get_number(std::string_view key, double def) const {
  const Json* j = find(key);
  return j && j->is_number() ? j->num_ : def;
}
int64_t Json::get_int(std::string_view key, int64_t def) const {
  const Json* j = find(key);
  if (!j || !j->is_number()) return def;
  double d = j->num_;
  if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || std::floor(d) != d) return def;
  return int64_t(d);
}
bool Json::get_bool(std::string_view key, bool def) const {
  const Json* j = find(key);
  return j && j->is_bool() ? j->bool_ : def;
}

bool Json::operator==(const Json& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::Null: return true;
    case Type::Bool: return bool_ == o.bool_;
    case Type::Number: return num_ == o.num_;
    case Type::String: return str_ == o.str_;
    case Type::Array: return items_ == o.items_;
    case Type::Object: return keys_ == o.keys_ && items_ == o.items_;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Printing

std::string json_number(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[40];
  if (std::floor(d) == d && std::fabs(d) < 9007199254740992.0) {  // whole: exact as an integer
    if (d == 0 && std::signbit(d)) return "-0";
    std::snprintf(buf, sizeof buf, "%lld", (long long)d);
    return buf;
  }
  // Shortest precision that reads back exactly (if p digits do, so do p+1).
  for (int p = 1; p <= 17; p++) {
    std::snprintf(buf, sizeof buf, "%.*g", p, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void Json::dump_to(std::string& out, int indent, int level) const {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(size_t(indent) * size_t(lvl), ' ');
  };
  switch (type_) {
    case Type::Null: out += "null"; return;
    case Type::Bool: out += bool_ ? "true" : "false"; return;
    case Type::Number: out += json_number(num_); return;
    case Type::String: out += json_quote(str_); return;
    case Type::Array:
    case Type::Object: {
      bool obj = type_ == Type::Object;
      out += obj ? '{' : '[';
      if (items_.empty()) {
        out += obj ? '}' : ']';
        return;
      }
      for (size_t i = 0; i < items_.size(); i++) {
        if (i) out += ',';
        newline(level + 1);
        if (obj) {
          out += json_quote(keys_[i]);
          out += indent < 0 ? ":" : ": ";
        }
        items_[i].dump_to(out, indent, level + 1);
      }
      newline(level);
      out += obj ? '}' : ']';
      return;
    }
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

class JsonParser {
 public:
  JsonParser(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  Result<Json> run() {
    Result<Json> r;
    if (s_.size() > kMaxJsonBytes)
      return Result<Json>::Fail("JSON text of " + size_text(s_.size()) + " is more than the " + size_text(kMaxJsonBytes) +
                                " allowed");
    skip_ws();
    if (!value(r.value, 0)) return Result<Json>::Fail(error_);
    skip_ws();
    if (pos_ != s_.size()) return Result<Json>::Fail(where(pos_) + "expected end of input after the value");
    return r;
  }

 private:
  std::string where(size_t at) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < s_.size(); i++) {
      if (s_[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col) + ": ";
  }
  bool fail(std::string what, size_t at) {
    error_ = where(at) + what;
    return false;
  }
  bool fail_expected(const char* what) {
    std::string found = pos_ >= s_.size() ? "end of input" : describe(s_[pos_]);
    return fail(std::string("expected ") + what + ", found " + found, pos_);
  }
  static std::string describe(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
    return buf;
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) pos_++;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool value(Json& out, int depth) {
    if (pos_ >= s_.size()) return fail_expected("a value");
    if (++values_ > kMaxJsonValues)
      return fail("more than " + std::to_string(kMaxJsonValues) + " values (the limit for a JSON text)", pos_);
    char c = s_[pos_];
    switch (c) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': out = Json(); out.type_ = Json::Type::String; return string(out.str_);
      case 't': if (literal("true")) { out = Json(true); return true; } break;
      case 'f': if (literal("false")) { out = Json(false); return true; } break;
      case 'n': if (literal("null")) { out = Json(); return true; } break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    }
    return fail_expected("a value");
  }

  bool enter(int depth) {
    if (depth > max_depth_) return fail("nesting deeper than " + std::to_string(max_depth_) + " levels", pos_);
    pos_++;  // the opening bracket
    skip_ws();
    return true;
  }

  // Takes c when it is the next character.
  bool eat(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    pos_++;
    return true;
  }

  bool array(Json& out, int depth) {
    if (!enter(depth)) return false;
    out = Json::array();
    if (eat(']')) return true;
    for (;;) {
      out.items_.emplace_back();
      if (!value(out.items_.back(), depth)) return false;
      skip_ws();
      if (eat(',')) {
        skip_ws();
        continue;
      }
      if (eat(']')) return true;
      return fail_expected("',' or ']' in array");
    }
  }

  bool object(Json& out, int depth) {
    size_t start = pos_;
    if (!enter(depth)) return false;
    out = Json::object();
    if (eat('}')) return true;
    for (;;) {
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail_expected("'\"' starting an object key");
      out.keys_.emplace_back();
      if (!string(out.keys_.back())) return false;
      skip_ws();
      if (!eat(':')) return fail_expected("':' after object key");
      skip_ws();
      out.items_.emplace_back();
      if (!value(out.items_.back(), depth)) return false;
      skip_ws();
      if (eat(',')) {
        skip_ws();
        continue;
      }
      if (eat('}')) break;
      return fail_expected("',' or '}' in object");
    }
    // Duplicate keys: sort a list of views rather than compare all pairs (objects may be large).
    if (out.keys_.size() > 1) {
      std::vector<std::string_view> sorted(out.keys_.begin(), out.keys_.end());
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 1; i < sorted.size(); i++)
        if (sorted[i] == sorted[i - 1]) return fail("duplicate object key " + json_quote(sorted[i]), start);
    }
    return true;
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool hex4(uint32_t& v) {
    if (s_.size() - pos_ < 4) return fail_expected("4 hex digits after \\u");
    v = 0;
    for (int i = 0; i < 4; i++) {
      int h = hex(s_[pos_]);
      if (h < 0) return fail_expected("4 hex digits after \\u");
      v = v * 16 + uint32_t(h);
      pos_++;
    }
    return true;
  }
  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xc0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += char(0xe0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    } else {
      out += char(0xf0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3f));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    }
  }
  // Length of the well-formed UTF-8 sequence at pos_, 0 if malformed.
  size_t utf8_len() const {
    const auto* p = reinterpret_cast<const unsigned char*>(s_.data()) + pos_;
    size_t left = s_.size() - pos_;
    unsigned char b = p[0];
    size_t n;
    uint32_t cp;
    if (b >= 0xc2 && b <= 0xdf) { n = 2; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { n = 3; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 4; cp = b & 0x07; }
    else return 0;
    if (left < n) return 0;
    for (size_t i = 1; i < n; i++) {
      if ((p[i] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
    return n;
  }

  bool string(std::string& out) {
    pos_++;  // opening quote
    for (;;) {
      if (pos_ >= s_.size()) return fail_expected("'\"' closing the string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        pos_++;
        return true;
      }
      if (c < 0x20) return fail("control character " + describe(char(c)) + " in string (write it as an escape)", pos_);
      if (c >= 0x80) {
        size_t n = utf8_len();
        if (n == 0) return fail("invalid UTF-8 in string", pos_);
        out.append(s_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out += char(c);
        pos_++;
        continue;
      }
      pos_++;
      if (pos_ >= s_.size()) return fail_expected("an escape after '\\'");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          size_t at = pos_ - 2;
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return fail("lone low surrogate in \\u escape", at);
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo = 0;
            if (!literal("\\u")) return fail("high surrogate not followed by a \\u low surrogate", at);
            if (!hex4(lo)) return false;
            if (lo < 0xdc00 || lo > 0xdfff) return fail("high surrogate not followed by a low surrogate", at);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          put_utf8(out, cp);
          break;
        }
        default:
          pos_--;
          return fail_expected("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u after '\\'");
      }
    }
  }

  bool number(Json& out) {
    size_t start = pos_;
    auto digit = [&] { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
    if (s_[pos_] == '-') pos_++;
    if (!digit()) return fail_expected("a digit");
    if (s_[pos_] == '0') {
      pos_++;
      if (digit()) return fail("leading zero in number", start);
    } else {
      while (digit()) pos_++;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      pos_++;
      if (!digit()) return fail_expected("a digit after '.'");
      while (digit()) pos_++;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      pos_++;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) pos_++;
      if (!digit()) return fail_expected("a digit in the exponent");
      while (digit()) pos_++;
    }
    std::string token(s_.substr(start, pos_ - start));
    double d = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(d)) return fail("number " + token + " out of range", start);
    out = Json(d);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0, values_ = 0;
  int max_depth_;
  std::string error_;
};

Result<Json> parse_json(std::string_view text, int max_depth) { return JsonParser(text, max_depth).run(); }

Result<Json> read_json_file(const std::string& path) {
  return parse_file<Json>(path, [](const uint8_t* data, size_t size) {
    return parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  }, kMaxJsonBytes);
}

}  // namespace p2p
