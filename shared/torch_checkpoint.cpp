// torch.save zip files: find <prefix>/data.pkl, run a restricted unpickler over it that builds
// only dicts, tuples, lists, scalars, storages and tensors, then gather each tensor from its
// storage entry (<prefix>/data/<key>) into contiguous float32. Every read is bounds-checked.
#include "torch_checkpoint.h"

#include <cstring>
#include <set>

#include "file_io.h"
#include "zip_reader.h"

namespace p2p {

const char* torch_dtype_name(TorchDType t) {
  switch (t) {
    case TorchDType::Float32: return "float32";
    case TorchDType::Float64: return "float64";
    case TorchDType::Float16: return "float16";
    case TorchDType::BFloat16: return "bfloat16";
    case TorchDType::Int64: return "int64";
    case TorchDType::Int32: return "int32";
  }
  return "?";
}

namespace {

size_t element_size(TorchDType t) {
  switch (t) {
    case TorchDType::Float64:
    case TorchDType::Int64: return 8;
    case TorchDType::Float32:
    case TorchDType::Int32: return 4;
    case TorchDType::Float16:
    case TorchDType::BFloat16: return 2;
  }
  return 4;
}

enum class Kind : uint8_t { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };
enum class Fn : uint8_t { OrderedDict, RebuildTensorV2, RebuildParameter, StorageType };

const char* kind_name(Kind k) {
  static const char* names[] = {"None", "bool", "int", "float", "str", "tuple", "list", "dict", "global", "storage", "tensor"};
  return names[int(k)];
}

// Everything the pickle builds lives in one arena and refers to other objects by index, so shared
// and even cyclic references (possible in hostile input) need no ownership games.
struct Obj {
  Kind kind = Kind::None;
  Fn fn = Fn::OrderedDict;             // Global
  TorchDType dtype = TorchDType::Float32;  // Global (a storage type), Storage, Tensor
  int64_t i = 0;                       // Int, Bool; Storage: numel; Tensor: storage offset
  double f = 0;                        // Float
  std::string s;                       // Str; Global: its name; Storage: key
  std::vector<uint32_t> items;         // Tuple, List; Dict: key, value, key, value...; Tensor: {storage}
  std::vector<int64_t> sizes, strides;  // Tensor
};

struct StorageBytes {
  const uint8_t* data;
  uint64_t size;
};

class Unpickler {
 public:
  Unpickler(const uint8_t* p, size_t n) : p_(p), n_(n) {
    objs_.reserve(64);
    none_ = add(Kind::None);
    true_ = add(Kind::Bool);
    objs_[true_].i = 1;
    false_ = add(Kind::Bool);
    empty_tuple_ = add(Kind::Tuple);
  }

  // Runs to STOP; returns the index of the result or fails.
  bool run(uint32_t& result);
  const Obj& obj(uint32_t i) const { return objs_[i]; }
  std::string error;

 private:
  uint32_t add(Kind k) {
    objs_.emplace_back();
    objs_.back().kind = k;
    return uint32_t(objs_.size() - 1);
  }
  bool fail(std::string why) {
    error = "data.pkl at byte " + std::to_string(op_at_) + ": " + why;
    return false;
  }
  bool need(size_t k) {
    if (n_ - pos_ < k) return fail("pickle cut off");
    return true;
  }
  uint64_t le(size_t k) {  // caller checked need(k)
    uint64_t v = 0;
    for (size_t b = 0; b < k; b++) v |= uint64_t(p_[pos_ + b]) << (8 * b);
    pos_ += k;
    return v;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  bool pop(uint32_t& v) {
    if (stack_.size() <= floor()) return fail("stack underflow");
    v = stack_.back();
    stack_.pop_back();
    return true;
  }
  bool top(uint32_t& v) {
    if (stack_.size() <= floor()) return fail("stack underflow");
    v = stack_.back();
    return true;
  }
  bool pop_mark(std::vector<uint32_t>& out) {
    if (marks_.empty()) return fail("no MARK on the stack");
    out.assign(stack_.begin() + long(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return true;
  }
  bool push_string(uint64_t len) {
    if (!need(len)) return false;
    uint32_t o = add(Kind::Str);
    objs_[o].s.assign(reinterpret_cast<const char*>(p_ + pos_), size_t(len));
    pos_ += len;
    stack_.push_back(o);
    return true;
  }
  bool push_int(int64_t v) {
    uint32_t o = add(Kind::Int);
    objs_[o].i = v;
    stack_.push_back(o);
    return true;
  }
  bool push_tuple(std::vector<uint32_t> items) {
    if (items.empty()) {
      stack_.push_back(empty_tuple_);
      return true;
    }
    uint32_t o = add(Kind::Tuple);
    objs_[o].items = std::move(items);
    stack_.push_back(o);
    return true;
  }
  bool push_global(const std::string& module, const std::string& name);
  bool persistent_id();
  bool reduce();
  bool rebuild_tensor(const std::vector<uint32_t>& args);
  bool int_arg(uint32_t o, const char* what, int64_t& v) {
    if (objs_[o].kind != Kind::Int) return fail(std::string(what) + " is a " + kind_name(objs_[o].kind) + ", not an int");
    v = objs_[o].i;
    return true;
  }
  bool int_tuple(uint32_t o, const char* what, std::vector<int64_t>& out) {
    if (objs_[o].kind != Kind::Tuple) return fail(std::string(what) + " is not a tuple");
    if (objs_[o].items.size() > 64) return fail(std::string(what) + " has more than 64 dimensions");
    out.clear();
    for (uint32_t it : objs_[o].items) {
      int64_t v = 0;
      if (!int_arg(it, what, v)) return false;
      if (v < 0) return fail(std::string(what) + " holds a negative value");
      out.push_back(v);
    }
    return true;
  }

  const uint8_t* p_;
  size_t n_, pos_ = 0, op_at_ = 0;
  std::vector<Obj> objs_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, uint32_t> memo_;
  uint32_t none_, true_, false_, empty_tuple_;
};

bool Unpickler::push_global(const std::string& module, const std::string& name) {
  static const struct {
    const char* module;
    const char* name;
    Fn fn;
    TorchDType dtype;
  } allowed[] = {
      {"collections", "OrderedDict", Fn::OrderedDict, TorchDType::Float32},
      {"torch._utils", "_rebuild_tensor_v2", Fn::RebuildTensorV2, TorchDType::Float32},
      {"torch._utils", "_rebuild_parameter", Fn::RebuildParameter, TorchDType::Float32},
      {"torch", "FloatStorage", Fn::StorageType, TorchDType::Float32},
      {"torch", "DoubleStorage", Fn::StorageType, TorchDType::Float64},
      {"torch", "HalfStorage", Fn::StorageType, TorchDType::Float16},
      {"torch", "BFloat16Storage", Fn::StorageType, TorchDType::BFloat16},
      {"torch", "LongStorage", Fn::StorageType, TorchDType::Int64},
      {"torch", "IntStorage", Fn::StorageType, TorchDType::Int32},
  };
  for (const auto& a : allowed) {
    if (module != a.module || name != a.name) continue;
    uint32_t o = add(Kind::Global);
    objs_[o].fn = a.fn;
    objs_[o].dtype = a.dtype;
    objs_[o].s = module + "." + name;
    stack_.push_back(o);
    return true;
  }
  return fail("refused pickle global " + printable(module + "." + name, 80));
}

// ('storage', storage_type, key, location, numel): a reference to the entry data/<key>.
bool Unpickler::persistent_id() {
  uint32_t t = 0;
  if (!pop(t)) return false;
  const Obj& pid = objs_[t];
  if (pid.kind != Kind::Tuple || pid.items.size() != 5) return fail("persistent id is not a 5-tuple ('storage', ...)");
  const Obj& tag = objs_[pid.items[0]];
  const Obj& type = objs_[pid.items[1]];
  const Obj& key = objs_[pid.items[2]];
  const Obj& numel = objs_[pid.items[4]];
  if (tag.kind != Kind::Str || tag.s != "storage") return fail("persistent id does not start with 'storage'");
  if (type.kind != Kind::Global || type.fn != Fn::StorageType) return fail("persistent id names no storage type");
  if (key.kind != Kind::Str) return fail("persistent id key is not a string");
  if (numel.kind != Kind::Int || numel.i < 0) return fail("persistent id element count is not a non-negative int");
  Obj st;  // built aside: add() may move the arena under the references above
  st.kind = Kind::Storage;
  st.dtype = type.dtype;
  st.s = key.s;
  st.i = numel.i;
  objs_.push_back(std::move(st));
  stack_.push_back(uint32_t(objs_.size() - 1));
  return true;
}

bool Unpickler::reduce() {
  uint32_t args_i = 0, fn_i = 0;
  if (!pop(args_i) || !pop(fn_i)) return false;
  const Obj& fn = objs_[fn_i];
  if (objs_[args_i].kind != Kind::Tuple) return fail("REDUCE arguments are not a tuple");
  std::vector<uint32_t> args = objs_[args_i].items;
  if (fn.kind != Kind::Global) return fail(std::string("REDUCE on a ") + kind_name(fn.kind));
  switch (fn.fn) {
    case Fn::OrderedDict:
      if (!args.empty()) return fail("OrderedDict called with arguments");
      stack_.push_back(add(Kind::Dict));
      return true;
    case Fn::RebuildTensorV2: return rebuild_tensor(args);
    case Fn::RebuildParameter:  // (data, requires_grad, backward_hooks): the parameter is its tensor
      if (args.size() != 3 || objs_[args[0]].kind != Kind::Tensor) return fail("bad _rebuild_parameter arguments");
      stack_.push_back(args[0]);
      return true;
    case Fn::StorageType: return fail("refused pickle call of " + fn.s);
  }
  return fail("bad REDUCE");
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
bool Unpickler::rebuild_tensor(const std::vector<uint32_t>& args) {
  if (args.size() != 6 && args.size() != 7) return fail("_rebuild_tensor_v2 takes 6 or 7 arguments");
  if (objs_[args[0]].kind != Kind::Storage) return fail("_rebuild_tensor_v2: first argument is not a storage");
  uint32_t o = add(Kind::Tensor);
  Obj& t = objs_[o];
  t.items = {args[0]};
  t.dtype = objs_[args[0]].dtype;
  if (!int_arg(args[1], "storage offset", t.i)) return false;
  if (t.i < 0) return fail("negative storage offset");
  if (!int_tuple(args[2], "size", t.sizes) || !int_tuple(args[3], "stride", t.strides)) return false;
  if (t.sizes.size() != t.strides.size()) return fail("size and stride differ in length");
  stack_.push_back(o);
  return true;
}

bool Unpickler::run(uint32_t& result) {
  while (pos_ < n_) {
    op_at_ = pos_;
    // Each opcode adds at most one object, so checking here keeps the arena within the budget.
    if (objs_.size() >= kMaxPickleObjects)
      return fail("more than " + std::to_string(kMaxPickleObjects) + " objects (the limit for a checkpoint's pickle)");
    uint8_t op = p_[pos_++];
    switch (op) {
      case 0x80:  // PROTO
        if (!need(1)) return false;
        if (p_[pos_] < 2 || p_[pos_] > 5) return fail("pickle protocol " + std::to_string(p_[pos_]) + " (2 to 5 are read)");
        pos_++;
        break;
      case 0x95:  // FRAME: a length hint only
        if (!need(8)) return false;
        pos_ += 8;
        break;
      case 'c': {  // GLOBAL "module\nname\n"
        std::string parts[2];
        for (std::string& part : parts) {
          size_t start = pos_;
          while (pos_ < n_ && p_[pos_] != '\n' && pos_ - start < 256) pos_++;
          if (pos_ >= n_ || p_[pos_] != '\n') return fail("GLOBAL name cut off or too long");
          part.assign(reinterpret_cast<const char*>(p_ + start), pos_ - start);
          pos_++;
        }
        if (!push_global(parts[0], parts[1])) return false;
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        uint32_t name = 0, module = 0;
        if (!pop(name) || !pop(module)) return false;
        if (objs_[name].kind != Kind::Str || objs_[module].kind != Kind::Str) return fail("STACK_GLOBAL of non-strings");
        if (!push_global(objs_[module].s, objs_[name].s)) return false;
        break;
      }
      case '}': stack_.push_back(add(Kind::Dict)); break;   // EMPTY_DICT
      case ']': stack_.push_back(add(Kind::List)); break;   // EMPTY_LIST
      case ')': stack_.push_back(empty_tuple_); break;      // EMPTY_TUPLE
      case '(':                                             // MARK
        if (marks_.size() >= 4096) return fail("MARKs nested too deep");
        marks_.push_back(stack_.size());
        break;
      case 't': {  // TUPLE
        std::vector<uint32_t> items;
        if (!pop_mark(items)) return false;
        push_tuple(std::move(items));
        break;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<uint32_t> items(size_t(op - 0x84));
        for (size_t k = items.size(); k-- > 0;)
          if (!pop(items[k])) return false;
        push_tuple(std::move(items));
        break;
      }
      case 'J':  // BININT
        if (!need(4)) return false;
        push_int(int32_t(uint32_t(le(4))));
        break;
      case 'K':  // BININT1
        if (!need(1)) return false;
        push_int(int64_t(le(1)));
        break;
      case 'M':  // BININT2
        if (!need(2)) return false;
        push_int(int64_t(le(2)));
        break;
      case 0x8a: {  // LONG1: n bytes of little-endian two's complement
        if (!need(1)) return false;
        size_t len = p_[pos_++];
        if (len > 8) return fail("LONG1 of " + std::to_string(len) + " bytes does not fit 64 bits");
        if (!need(len)) return false;
        uint64_t v = le(len);
        if (len > 0 && len < 8 && (v >> (8 * len - 1)) & 1) v |= ~uint64_t(0) << (8 * len);  // sign-extend
        push_int(int64_t(v));
        break;
      }
      case 'X':  // BINUNICODE
        if (!need(4) || !push_string(le(4))) return false;
        break;
      case 0x8c:  // SHORT_BINUNICODE
        if (!need(1) || !push_string(le(1))) return false;
        break;
      case 0x8d:  // BINUNICODE8
        if (!need(8) || !push_string(le(8))) return false;
        break;
      case 'G': {  // BINFLOAT, big-endian
        if (!need(8)) return false;
        uint64_t bits = 0;
        for (int b = 0; b < 8; b++) bits = (bits << 8) | p_[pos_ + b];
        pos_ += 8;
        uint32_t o = add(Kind::Float);
        std::memcpy(&objs_[o].f, &bits, 8);
        stack_.push_back(o);
        break;
      }
      case 'N': stack_.push_back(none_); break;
      case 0x88: stack_.push_back(true_); break;
      case 0x89: stack_.push_back(false_); break;
      case 'q': case 'r': case 0x94: {  // BINPUT, LONG_BINPUT, MEMOIZE
        uint64_t key;
        if (op == 0x94) {
          key = memo_.size();
        } else {
          size_t k = op == 'q' ? 1 : 4;
          if (!need(k)) return false;
          key = le(k);
        }
        uint32_t v = 0;
        if (!top(v)) return false;
        if (memo_.size() >= kMaxPickleMemo && memo_.count(key) == 0)
          return fail("more than " + std::to_string(kMaxPickleMemo) + " memo entries (the limit for a checkpoint's pickle)");
        memo_[key] = v;
        break;
      }
      case 'h': case 'j': {  // BINGET, LONG_BINGET
        size_t k = op == 'h' ? 1 : 4;
        if (!need(k)) return false;
        uint64_t key = le(k);
        auto it = memo_.find(key);
        if (it == memo_.end()) return fail("memo key " + std::to_string(key) + " was never stored");
        stack_.push_back(it->second);
        break;
      }
      case 'Q':  // BINPERSID
        if (!persistent_id()) return false;
        break;
      case 'R':  // REDUCE
        if (!reduce()) return false;
        break;
      case 'b': {  // BUILD: only a dict's attribute state (the state_dict's _metadata), ignored
        uint32_t state = 0, target = 0;
        if (!pop(state) || !top(target)) return false;
        Kind sk = objs_[state].kind;
        if (objs_[target].kind != Kind::Dict || (sk != Kind::Dict && sk != Kind::None))
          return fail(std::string("refused BUILD of a ") + kind_name(objs_[target].kind) + " with a " + kind_name(sk));
        break;
      }
      case 's': case 'u': {  // SETITEM, SETITEMS
        std::vector<uint32_t> kv(2);
        if (op == 's') {
          if (!pop(kv[1]) || !pop(kv[0])) return false;
        } else if (!pop_mark(kv)) {
          return false;
        }
        if (kv.size() % 2) return fail("SETITEMS with an odd number of items");
        uint32_t d = 0;
        if (!top(d)) return false;
        if (objs_[d].kind != Kind::Dict) return fail(std::string("SETITEM on a ") + kind_name(objs_[d].kind));
        objs_[d].items.insert(objs_[d].items.end(), kv.begin(), kv.end());
        break;
      }
      case 'a': case 'e': {  // APPEND, APPENDS
        std::vector<uint32_t> vs(1);
        if (op == 'a') {
          if (!pop(vs[0])) return false;
        } else if (!pop_mark(vs)) {
          return false;
        }
        uint32_t l = 0;
        if (!top(l)) return false;
        if (objs_[l].kind != Kind::List) return fail(std::string("APPEND on a ") + kind_name(objs_[l].kind));
        objs_[l].items.insert(objs_[l].items.end(), vs.begin(), vs.end());
        break;
      }
      case '.':  // STOP
        if (!pop(result)) return false;
        return true;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        std::string shown = hex;
        if (op >= 0x20 && op < 0x7f) shown += std::string(" '") + char(op) + "'";
        return fail("refused pickle opcode " + shown);
      }
    }
  }
  op_at_ = pos_;
  return fail("pickle ends without STOP");
}

float load_element(const uint8_t* p, TorchDType t) {
  switch (t) {
    case TorchDType::Float32: { float f; std::memcpy(&f, p, 4); return f; }
    case TorchDType::Float64: { double d; std::memcpy(&d, p, 8); return float(d); }
    case TorchDType::Float16: return half_to_float(uint16_t(p[0] | (p[1] << 8)));
    case TorchDType::BFloat16: {
      uint32_t x = uint32_t(p[0] | (p[1] << 8)) << 16;
      float f;
      std::memcpy(&f, &x, 4);
      return f;
    }
    case TorchDType::Int64: { int64_t v; std::memcpy(&v, p, 8); return float(v); }
    case TorchDType::Int32: { int32_t v; std::memcpy(&v, p, 4); return float(v); }
  }
  return 0.0f;
}

// Gathers a strided view of a storage into a contiguous tensor; the view was checked to lie inside.
// The offset is unsigned: a size-1 dimension may carry any stride (it is never stepped through),
// and the odometer's step and carry over it may wrap, which is defined for unsigned and cancels.
void gather(const Obj& t, const uint8_t* storage, Tensor& out) {
  size_t es = element_size(t.dtype);
  size_t nd = t.sizes.size();
  std::vector<int64_t> idx(nd, 0);
  uint64_t src = uint64_t(t.i);
  for (size_t k = 0; k < out.data.size(); k++) {
    out.data[k] = load_element(storage + size_t(src) * es, t.dtype);
    for (size_t d = nd; d-- > 0;) {  // odometer: advance the last dimension, carry leftwards
      const uint64_t stride = uint64_t(t.strides[d]);
      src += stride;
      if (++idx[d] < t.sizes[d]) break;
      src -= stride * uint64_t(t.sizes[d]);
      idx[d] = 0;
    }
  }
}

}  // namespace

Result<TorchCheckpoint> read_torch_checkpoint(const uint8_t* data, size_t size, const TorchReadOptions& opt) {
  using R = Result<TorchCheckpoint>;
  if (size >= 2 && data[0] == 0x80 && data[1] <= 5)
    return R::Fail("legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a recent PyTorch");
  auto zip = read_zip(data, size);
  if (!zip.ok()) return R::Fail(zip.error);
  const ZipArchive& z = zip.value;

  // <prefix>/data.pkl, the prefix being the archive's single top-level folder.
  std::string prefix;
  const ZipEntry* pkl = nullptr;
  for (const ZipEntry& e : z.entries) {
    size_t slash = e.name.find('/');
    if (slash != std::string::npos && slash > 0 && e.name.substr(slash) == "/data.pkl") {
      prefix = e.name.substr(0, slash + 1);
      pkl = &e;
      break;
    }
  }
  if (!pkl) return R::Fail("not a torch.save archive (no <name>/data.pkl entry)");
  auto check_crc = [&](const ZipEntry& e) {
    return !opt.check_crc || crc32(data + e.data_offset, size_t(e.size)) == e.crc32;
  };
  if (!check_crc(*pkl)) return R::Fail("zip: entry " + printable(pkl->name) + ": CRC-32 mismatch (file corrupt)");
  if (const ZipEntry* bo = z.find(prefix + "byteorder")) {
    std::string order(reinterpret_cast<const char*>(data + bo->data_offset), size_t(bo->size));
    if (order != "little") return R::Fail("byteorder is \"" + printable(order, 16) + "\"; only little-endian is read");
  }

  Unpickler up(data + pkl->data_offset, size_t(pkl->size));
  uint32_t root;
  if (!up.run(root)) return R::Fail(up.error);
  const Obj& dict = up.obj(root);
  if (dict.kind != Kind::Dict) return R::Fail(std::string("data.pkl holds a ") + kind_name(dict.kind) + ", not a state_dict");

  R r;
  std::set<std::string> crc_ok;
  uint64_t budget = size;  // elements produced, all tensors together: views cannot blow memory up
  for (size_t k = 0; k + 1 < dict.items.size(); k += 2) {
    const Obj& key = up.obj(dict.items[k]);
    const Obj& val = up.obj(dict.items[k + 1]);
    if (key.kind != Kind::Str) return R::Fail(std::string("state_dict key is a ") + kind_name(key.kind) + ", not a str");
    std::string what = "tensor " + printable(key.s) + ": ";
    if (val.kind != Kind::Tensor) return R::Fail(what + "is a " + kind_name(val.kind) + ", not a tensor");
    const Obj& st = up.obj(val.items[0]);
    std::string entry_name = prefix + "data/" + st.s;
    const ZipEntry* e = z.find(entry_name);
    if (!e) return R::Fail(what + "storage entry " + printable(entry_name) + " is missing");
    size_t es = element_size(st.dtype);
    if (e->size / es != uint64_t(st.i) || e->size % es != 0)
      return R::Fail(what + "storage entry " + printable(entry_name) + " has " + std::to_string(e->size) + " bytes, not " +
                     std::to_string(st.i) + " x " + std::to_string(es));
    if (crc_ok.count(entry_name) == 0) {
      if (!check_crc(*e)) return R::Fail("zip: entry " + printable(entry_name) + ": CRC-32 mismatch (file corrupt)");
      crc_ok.insert(entry_name);
    }
    // The view must lie inside the storage: offset + sum((size-1) * stride) < numel, computed
    // with each term bounded first so nothing overflows. Empty views read nothing and pass.
    uint64_t storage_numel = uint64_t(st.i), numel = 1, last = uint64_t(val.i);
    for (int64_t n : val.sizes)
      if (n == 0) numel = 0;
    for (size_t d = 0; d < val.sizes.size() && numel != 0; d++) {
      uint64_t n = uint64_t(val.sizes[d]), s = uint64_t(val.strides[d]);
      if (n > 1 && (s > storage_numel / (n - 1) || (last += (n - 1) * s) > storage_numel))
        return R::Fail(what + "view " + shape_str(val.sizes) + " with strides " + shape_str(val.strides) +
                       " goes beyond its storage of " + std::to_string(storage_numel) + " elements");
      if (n > budget / numel) return R::Fail(what + "more elements than the file can hold");
      numel *= n;
    }
    if (numel != 0 && last >= storage_numel)
      return R::Fail(what + "offset " + std::to_string(val.i) + " and shape " + shape_str(val.sizes) +
                     " go beyond its storage of " + std::to_string(storage_numel) + " elements");
    if (numel > budget) return R::Fail(what + "tensors add up to more elements than the file can hold");
    budget -= numel;

    Tensor t;
    t.shape = val.sizes;
    t.data.resize(size_t(numel));
    if (numel) gather(val, data + e->data_offset, t);
    if (r.value.weights.count(key.s) == 0) r.value.keys.push_back(key.s);
    r.value.dtypes[key.s] = val.dtype;
    r.value.weights[key.s] = std::move(t);
  }
  return r;
}

Result<TorchCheckpoint> load_torch_checkpoint(const std::string& path, const TorchReadOptions& opt) {
  return parse_file<TorchCheckpoint>(
      path, [&](const uint8_t* data, size_t size) { return read_torch_checkpoint(data, size, opt); });
}

}  // namespace p2p
