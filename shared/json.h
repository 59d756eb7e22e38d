// A small JSON value (null, bool, number, string, array, object in insertion order), its parser and
// printer. Used for model.json, options.json, log.jsonl and losses.json; parses untrusted text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace p2p {

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  Json(double d) : type_(Type::Number), num_(d) {}
  Json(float d) : type_(Type::Number), num_(d) {}
  Json(int i) : type_(Type::Number), num_(i) {}
  Json(long i) : type_(Type::Number), num_(double(i)) {}
  Json(long long i) : type_(Type::Number), num_(double(i)) {}
  Json(unsigned i) : type_(Type::Number), num_(i) {}
  Json(unsigned long i) : type_(Type::Number), num_(double(i)) {}
  Json(unsigned long long i) : type_(Type::Number), num_(double(i)) {}
  Json(const char* s) : type_(Type::String), str_(s) {}
  Json(std::string_view s) : type_(Type::String), str_(s) {}
  Json(std::string s) : type_(Type::String), str_(std::move(s)) {}
  static Json array() { Json j; j.type_ = Type::Array; return j; }
  static Json object() { Json j; j.type_ = Type::Object; return j; }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Plain accessors: the value when of that type, else false / 0 / "".
  bool as_bool() const { return type_ == Type::Bool && bool_; }
  double as_number() const { return type_ == Type::Number ? num_ : 0.0; }
  const std::string& as_string() const;

  // Arrays and objects. size() is 0 for scalars. An object's keys()/values() are in insertion order.
  size_t size() const { return items_.size(); }
  const std::vector<Json>& items() const { return items_; }  // array elements or object values
  const std::vector<std::string>& keys() const { return keys_; }
  void push_back(Json v);                       // a null becomes an array first
  Json& operator[](size_t i) { return items_[i]; }  // i < size()
  const Json& operator[](size_t i) const { return items_[i]; }

  // Object members. Non-const [] inserts a null member (turning a null into an object; on a
  // non-object it hands back a throwaway null); const [] and find() do not insert: a missing key
  // reads as null / nullptr.
  Json& operator[](std::string_view key);
  const Json& operator[](std::string_view key) const;
  const Json* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  bool erase(std::string_view key);

  // Member of an object with the expected type, else the default.
  std::string get_string(std::string_view key, std::string def = "") const;
  double get_number(std::string_view key, double def = 0.0) const;
  int64_t get_int(std::string_view key, int64_t def = 0) const;  // numbers that are whole and in range
  bool get_bool(std::string_view key, bool def = false) const;

  // indent < 0: compact one line; otherwise pretty with that many spaces per level.
  // Numbers: shortest text that reads back to the same double; whole numbers without ".0";
  // NaN and infinities (not JSON) as null.
  std::string dump(int indent = -1) const;

  bool operator==(const Json& o) const;
  bool operator!=(const Json& o) const { return !(*this == o); }

 private:
  void dump_to(std::string& out, int indent, int level) const;

  Type type_ = Type::Null;
  bool bool_ = false;
  double num_ = 0.0;
  std::string str_;
  std::vector<std::string> keys_;  // objects only, parallel to items_
  std::vector<Json> items_;
  friend class JsonParser;
};

// Budgets for untrusted JSON: the text's size, and how many values it may hold (each costs about
// 100 bytes parsed, so the values of one text stay within about 50 MiB). Our own files are far
// below both: a model.json or options.json is a few KiB, a safetensors header tens of KiB (8 values
// a tensor).
constexpr size_t kMaxJsonBytes = size_t(16) << 20;
constexpr size_t kMaxJsonValues = size_t(1) << 18;

// Strict RFC 8259 JSON, UTF-8. Errors: "line L, column C: expected ..."; nesting deeper than
// max_depth, duplicate object keys and texts over the budgets above are refused.
Result<Json> parse_json(std::string_view text, int max_depth = 256);

// A whole file's JSON; errors begin with the path.
Result<Json> read_json_file(const std::string& path);

// The JSON text for a string, quotes included (control characters as \n, \t, ... or \u00XX).
std::string json_quote(std::string_view s);
// The shortest text for d that reads back to d ("1", "0.1", "1e+20"); "null" for NaN/inf.
std::string json_number(double d);

}  // namespace p2p
