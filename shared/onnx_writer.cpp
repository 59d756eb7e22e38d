// The ONNX writer: translates the model graph into ONNX nodes (opset 17, IR 8) and encodes the
// ModelProto by hand. Field numbers are those of onnx.proto; output bytes depend only on the inputs.
#include "onnx_writer.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "choice.h"

namespace p2p {

namespace {

// ---- Protobuf encoding ---------------------------------------------------------------------
// A message is kept as a list of fields and encoded only once its size is known, so the
// (large) initializer data is copied once, straight into the output.

enum Wire : uint32_t { kVarint = 0, kFixed32 = 5, kLengthDelimited = 2 };

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(uint8_t(v | 0x80));
    v >>= 7;
  }
  out.push_back(uint8_t(v));
}

class Msg {
 public:
  Msg& varint(uint32_t field, int64_t v) {  // negative values as ten-byte two's complement, as protobuf does
    add(field, Kind::Varint).v = uint64_t(v);
    return *this;
  }
  Msg& fixed32(uint32_t field, float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    add(field, Kind::Fixed32).v = bits;
    return *this;
  }
  Msg& str(uint32_t field, std::string s) {
    add(field, Kind::Bytes).bytes = std::move(s);
    return *this;
  }
  Msg& msg(uint32_t field, Msg m) {
    add(field, Kind::Nested).child = std::make_unique<Msg>(std::move(m));
    return *this;
  }
  // Tensor data as little-endian float32, or float16 when half.
  Msg& floats(uint32_t field, const std::vector<float>* data, bool half) {
    Field& f = add(field, Kind::Floats);
    f.floats = data;
    f.half = half;
    return *this;
  }

  size_t size() const {
    size_t n = 0;
    for (const Field& f : fields_) {
      n += varint_size(uint64_t(f.number) << 3);
      if (f.kind == Kind::Varint) n += varint_size(f.v);
      else if (f.kind == Kind::Fixed32) n += 4;
      else n += varint_size(payload_size(f)) + payload_size(f);
    }
    return n;
  }

  void write(std::vector<uint8_t>& out) const {
    for (const Field& f : fields_) {
      uint32_t wire = f.kind == Kind::Varint ? kVarint : f.kind == Kind::Fixed32 ? kFixed32 : kLengthDelimited;
      put_varint(out, (uint64_t(f.number) << 3) | wire);
      if (f.kind == Kind::Varint) {
        put_varint(out, f.v);
      } else if (f.kind == Kind::Fixed32) {
        for (int b = 0; b < 4; b++) out.push_back(uint8_t(f.v >> (8 * b)));
      } else {
        put_varint(out, payload_size(f));
        if (f.kind == Kind::Bytes) out.insert(out.end(), f.bytes.begin(), f.bytes.end());
        else if (f.kind == Kind::Nested) f.child->write(out);
        else write_floats(out, *f.floats, f.half);
      }
    }
  }

 private:
  enum class Kind { Varint, Fixed32, Bytes, Nested, Floats };
  struct Field {
    uint32_t number = 0;
    Kind kind = Kind::Varint;
    uint64_t v = 0;
    std::string bytes;
    std::unique_ptr<Msg> child;
    const std::vector<float>* floats = nullptr;
    bool half = false;
  };

  Field& add(uint32_t number, Kind kind) {
    fields_.emplace_back();
    fields_.back().number = number;
    fields_.back().kind = kind;
    return fields_.back();
  }

  static size_t payload_size(const Field& f) {
    if (f.kind == Kind::Bytes) return f.bytes.size();
    if (f.kind == Kind::Nested) return f.child->size();
    return f.floats->size() * (f.half ? 2 : 4);
  }

  static void write_floats(std::vector<uint8_t>& out, const std::vector<float>& data, bool half) {
    size_t at = out.size();
    out.resize(at + data.size() * (half ? 2 : 4));
    uint8_t* p = out.data() + at;
    for (float x : data) {
      if (half) {
        uint16_t h = float_to_half(x);
        *p++ = uint8_t(h), *p++ = uint8_t(h >> 8);
      } else {
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        for (int b = 0; b < 4; b++) *p++ = uint8_t(bits >> (8 * b));
      }
    }
  }

  std::vector<Field> fields_;
};

// ---- ONNX messages (field numbers of onnx.proto) -----------------------------------------

enum DataType { kFloat = 1, kInt64 = 7, kBool = 9, kFloat16 = 10 };

// A layer the writer emits as InstanceNormalization.
bool instance_normalised(const Node& n, NormMode mode) {
  return n.op == Op::InstanceNorm2d || (n.op == Op::BatchNorm2d && mode == NormMode::BatchStats);
}
enum AttrType { kAttrFloat = 1, kAttrInt = 2, kAttrString = 3, kAttrInts = 7 };

Msg attr_int(const char* name, int64_t v) { return std::move(Msg().str(1, name).varint(3, v).varint(20, kAttrInt)); }
Msg attr_float(const char* name, float v) { return std::move(Msg().str(1, name).fixed32(2, v).varint(20, kAttrFloat)); }
Msg attr_string(const char* name, std::string v) {
  return std::move(Msg().str(1, name).str(4, std::move(v)).varint(20, kAttrString));
}
Msg attr_ints(const char* name, const std::vector<int64_t>& vs) {
  Msg m;
  m.str(1, name);
  for (int64_t v : vs) m.varint(8, v);
  m.varint(20, kAttrInts);
  return m;
}

Msg tensor_header(const std::string& name, const Shape& dims, DataType type) {
  Msg m;
  for (int64_t d : dims) m.varint(1, d);
  m.varint(2, type);
  m.str(8, name);
  return m;
}

Msg tensor_bytes(const std::string& name, const Shape& dims, DataType type, std::string raw) {
  return std::move(tensor_header(name, dims, type).str(9, std::move(raw)));
}

std::string le_bytes(const std::vector<int64_t>& vs) {
  std::string s;
  for (int64_t v : vs)
    for (int b = 0; b < 8; b++) s.push_back(char(uint64_t(v) >> (8 * b)));
  return s;
}

std::string le_bytes(const std::vector<float>& vs) {
  std::string s;
  for (float f : vs) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    for (int b = 0; b < 4; b++) s.push_back(char(bits >> (8 * b)));
  }
  return s;
}

// A dimension: a fixed size, or a named (dynamic) one.
struct Dim {
  int64_t value = 0;
  std::string param;
};

Msg value_info(const std::string& name, const std::vector<Dim>& dims) {
  Msg shape;
  for (const Dim& d : dims) shape.msg(1, d.param.empty() ? std::move(Msg().varint(1, d.value)) : std::move(Msg().str(2, d.param)));
  Msg tensor;
  tensor.varint(1, kFloat).msg(2, std::move(shape));
  Msg type;
  type.msg(1, std::move(tensor));
  return std::move(Msg().str(1, name).msg(2, std::move(type)));
}

// ---- Graph translation ---------------------------------------------------------------------

class Translator {
 public:
  Translator(const Graph& g, const Weights& w, const OnnxOptions& opt) : g_(g), w_(w), opt_(opt) {}

  Result<std::vector<uint8_t>> run() {
    using R = Result<std::vector<uint8_t>>;
    if (g_.nodes.empty() || g_.nodes[0].op != Op::Input) return R::Fail("ONNX export: the graph has no input node");
    if (g_.outputs.empty() || g_.outputs.size() != g_.output_names.size())
      return R::Fail("ONNX export: the graph has no outputs or unnamed outputs");
    for (size_t k = 0; k < g_.outputs.size(); k++) {
      const std::string& name = g_.output_names[k];
      if (g_.outputs[k] < 0 || size_t(g_.outputs[k]) >= g_.nodes.size() || name.empty() || name == "input")
        return R::Fail("ONNX export: output " + std::to_string(k) + " ('" + name + "') is not a valid node and name");
      for (size_t j = 0; j < k; j++)
        if (g_.output_names[j] == name) return R::Fail("ONNX export: two outputs named '" + name + "'");
    }
    Status s = check_weights(g_, w_);
    if (!s.ok()) return R::Fail("ONNX export: " + s.error);

    values_.resize(g_.nodes.size());
    for (size_t i = 0; i < g_.nodes.size(); i++) {
      const Node& n = g_.nodes[i];
      for (int x : n.inputs)
        if (x < 0 || size_t(x) >= i) return R::Fail("ONNX export: node " + std::to_string(i) + " reads a later node");
      if (n.op == Op::Input && i > 0) return R::Fail("ONNX export: more than one input node");
      Status t = translate(int(i));
      if (!t.ok()) return R::Fail("ONNX export: " + t.error);
    }
    for (size_t k = 0; k < g_.outputs.size(); k++) {
      const std::string& name = g_.output_names[k];
      // A node already named for an earlier output, a wired-through dropout or the input itself.
      if (values_[g_.outputs[k]] != name) node("Identity", {values_[g_.outputs[k]]}, {name}, name);
    }
    return {encode(), ""};
  }

 private:
  // ONNX value name of node i: its output name, else its parameter prefix, else op and index.
  std::string value_name(int i, const char* op) const {
    for (size_t k = 0; k < g_.outputs.size(); k++)
      if (g_.outputs[k] == i) {
        bool taken = false;  // the same node listed twice: the later names come from Identity nodes
        for (size_t j = 0; j < k; j++) taken = taken || g_.outputs[j] == i;
        if (!taken) return g_.output_names[k];
      }
    const Node& n = g_.nodes[i];
    return n.name.empty() ? std::string(op) + "_" + std::to_string(i) : n.name;
  }

  Msg& node(const char* op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
            const std::string& name) {
    Msg m;
    for (const std::string& in : inputs) m.str(1, in);
    for (const std::string& out : outputs) m.str(2, out);
    m.str(3, name).str(4, op);
    nodes_.push_back(std::move(m));
    return nodes_.back();
  }

  // A parameter of the checkpoint as an initializer; the value name the nodes read.
  std::string param(const std::string& name) {
    const Tensor& t = w_.at(name);
    initializers_.push_back(std::move(tensor_header(name, t.shape, opt_.fp16 ? kFloat16 : kFloat).floats(9, &t.data, opt_.fp16)));
    if (!opt_.fp16) return name;
    std::string cast = name + ".float";
    node("Cast", {name}, {cast}, name + ".cast").msg(5, attr_int("to", kFloat));
    return cast;
  }

  // A constant made by the writer (norm scale/bias, pads, scales), shared between nodes.
  std::string constant(const std::string& name, Msg tensor) {
    for (const std::string& c : constants_)
      if (c == name) return name;
    constants_.push_back(name);
    initializers_.push_back(std::move(tensor));
    return name;
  }

  std::string filled(float v, int channels) {
    std::string name = std::string(v == 0.0f ? "zeros_" : "ones_") + std::to_string(channels);
    return constant(name, tensor_bytes(name, {channels}, kFloat, le_bytes(std::vector<float>(size_t(channels), v))));
  }

  Status translate(int i) {
    const Node& n = g_.nodes[i];
    std::string in = n.inputs.empty() ? "" : values_[n.inputs[0]];
    auto k2 = [](int v) { return std::vector<int64_t>{v, v}; };
    auto k4 = [](int v) { return std::vector<int64_t>{v, v, v, v}; };
    auto emit = [&](const char* op, std::vector<std::string> inputs) -> Msg& {
      values_[i] = value_name(i, op);
      return node(op, inputs, {values_[i]}, values_[i]);
    };
    switch (n.op) {
      case Op::Input:
        values_[i] = "input";
        break;
      case Op::Conv2d:
      case Op::ConvTranspose2d: {
        bool transpose = n.op == Op::ConvTranspose2d;
        std::vector<std::string> ins = {in, param(n.name + ".weight")};
        if (n.bias) ins.push_back(param(n.name + ".bias"));
        Msg& m = emit(transpose ? "ConvTranspose" : "Conv", ins);
        m.msg(5, attr_ints("kernel_shape", k2(n.kernel))).msg(5, attr_ints("strides", k2(n.stride)));
        m.msg(5, attr_ints("pads", k4(n.padding)));
        if (transpose && n.output_padding) m.msg(5, attr_ints("output_padding", k2(n.output_padding)));
        break;
      }
      case Op::BatchNorm2d: {
        std::string scale = param(n.name + ".weight"), bias = param(n.name + ".bias");
        if (opt_.norm_mode == NormMode::BatchStats) {
          // Batch statistics of a batch of one are the image's own: instance normalisation.
          instance_norm(i, in, scale, bias);
        } else {
          std::string mean = param(n.name + ".running_mean"), var = param(n.name + ".running_var");
          emit("BatchNormalization", {in, scale, bias, mean, var}).msg(5, attr_float("epsilon", n.eps));
        }
        break;
      }
      case Op::InstanceNorm2d: {
        std::string scale = n.affine ? param(n.name + ".weight") : filled(1.0f, n.channels);
        std::string bias = n.affine ? param(n.name + ".bias") : filled(0.0f, n.channels);
        instance_norm(i, in, scale, bias);
        break;
      }
      case Op::ReLU:
        emit("Relu", {in});
        break;
      case Op::LeakyReLU:
        emit("LeakyRelu", {in}).msg(5, attr_float("alpha", n.slope));
        break;
      case Op::Tanh:
        emit("Tanh", {in});
        break;
      case Op::Dropout: {
        if (!opt_.dropout_noise) {
          values_[i] = in;  // inference: the identity
          break;
        }
        std::string ratio = "dropout_" + std::to_string(i) + ".ratio";
        initializers_.push_back(tensor_bytes(ratio, {}, kFloat, le_bytes(std::vector<float>{n.p})));
        std::string training = constant("dropout.training_mode", tensor_bytes("dropout.training_mode", {}, kBool, "\x01"));
        std::string zero = constant("zero", tensor_bytes("zero", {}, kFloat, le_bytes(std::vector<float>{0.0f})));
        // ONNX Runtime's inference optimizer deletes every Dropout whose mask output goes unused,
        // training_mode or not; a Where reading the mask (a no-op: dropped values are 0 already) keeps it.
        values_[i] = value_name(i, "Dropout");
        std::string dropped = values_[i] + ".dropped", mask = values_[i] + ".mask";
        node("Dropout", {in, ratio, training}, {dropped, mask}, values_[i] + ".dropout")
            .msg(5, attr_int("seed", opt_.dropout_seed + i));
        node("Where", {mask, dropped, zero}, {values_[i]}, values_[i]);
        break;
      }
      case Op::Concat: {
        std::vector<std::string> ins;
        for (int x : n.inputs) ins.push_back(values_[x]);
        emit("Concat", ins).msg(5, attr_int("axis", 1));
        break;
      }
      case Op::Add:
        emit("Add", {in, values_[n.inputs[1]]});
        break;
      case Op::ReflectionPad2d: {
        std::string pads = "pads_" + std::to_string(n.padding);
        int64_t p = n.padding;
        constant(pads, tensor_bytes(pads, {8}, kInt64, le_bytes(std::vector<int64_t>{0, 0, p, p, 0, 0, p, p})));
        emit("Pad", {in, pads}).msg(5, attr_string("mode", "reflect"));
        break;
      }
      case Op::UpsampleNearest: {
        std::string scales = "scales_" + std::to_string(n.scale);
        float s = float(n.scale);
        constant(scales, tensor_bytes(scales, {4}, kFloat, le_bytes(std::vector<float>{1.0f, 1.0f, s, s})));
        // asymmetric + floor is PyTorch's "nearest": source index = floor(dst / scale).
        Msg& m = emit("Resize", {in, "", scales});
        m.msg(5, attr_string("coordinate_transformation_mode", "asymmetric"));
        m.msg(5, attr_string("mode", "nearest")).msg(5, attr_string("nearest_mode", "floor"));
        break;
      }
      case Op::MaxPool2d:
        emit("MaxPool", {in}).msg(5, attr_ints("kernel_shape", k2(n.kernel))).msg(5, attr_ints("strides", k2(n.stride)));
        break;
      case Op::COUNT:
        return Status::Fail("node " + std::to_string(i) + " has no op");
    }
    return Status::Ok();
  }

  // InstanceNormalization of node i, its statistics exported or imported as opt_.norm_stats says.
  void instance_norm(int i, const std::string& in, const std::string& scale, const std::string& bias) {
    const Node& n = g_.nodes[i];
    values_[i] = value_name(i, "InstanceNormalization");
    const std::string& out = values_[i];
    const std::string mean = n.name + ".mean", var = n.name + ".var";
    if (opt_.norm_stats != NormStats::Import) {
      node("InstanceNormalization", {in, scale, bias}, {out}, out).msg(5, attr_float("epsilon", n.eps));
      if (opt_.norm_stats == NormStats::Export) {
        // The biased variance, as InstanceNormalization (and PyTorch) normalise with.
        const std::vector<int64_t> hw = {2, 3};
        node("ReduceMean", {in}, {mean}, mean).msg(5, attr_ints("axes", hw)).msg(5, attr_int("keepdims", 1));
        const std::string centred = out + ".norm_centred", squared = out + ".norm_squared";
        node("Sub", {in, mean}, {centred}, centred);
        node("Mul", {centred, centred}, {squared}, squared);
        node("ReduceMean", {squared}, {var}, var).msg(5, attr_ints("axes", hw)).msg(5, attr_int("keepdims", 1));
        stats_.push_back({mean, var, n.channels});
      }
      return;
    }
    // y = x * k + (bias - mean * k), k = scale / sqrt(var + eps): two passes over the image, the
    // rest on [batch, C, 1, 1].
    stats_.push_back({mean, var, n.channels});
    const std::string shape = "shape_c11";
    constant(shape, tensor_bytes(shape, {3}, kInt64, le_bytes(std::vector<int64_t>{-1, 1, 1})));
    char eps_name[48];
    std::snprintf(eps_name, sizeof eps_name, "epsilon_%.9g", double(n.eps));
    constant(eps_name, tensor_bytes(eps_name, {}, kFloat, le_bytes(std::vector<float>{n.eps})));
    auto op = [&](const char* type, std::vector<std::string> ins, const std::string& suffix) {
      node(type, ins, {out + suffix}, out + suffix);
      return out + suffix;
    };
    const std::string s3 = op("Reshape", {scale, shape}, ".norm_scale"), b3 = op("Reshape", {bias, shape}, ".norm_bias");
    const std::string std_dev = op("Sqrt", {op("Add", {var, eps_name}, ".norm_var_eps")}, ".norm_std");
    const std::string k = op("Mul", {s3, op("Reciprocal", {std_dev}, ".norm_inv_std")}, ".norm_k");
    const std::string shift = op("Sub", {b3, op("Mul", {mean, k}, ".norm_mean_k")}, ".norm_shift");
    node("Add", {op("Mul", {in, k}, ".norm_scaled"), shift}, {out}, out);
  }

  std::vector<uint8_t> encode() {
    Msg graph;
    for (Msg& m : nodes_) graph.msg(1, std::move(m));
    graph.str(2, "main");
    for (Msg& m : initializers_) graph.msg(5, std::move(m));
    graph.msg(11, value_info("input", {{0, "batch"}, {g_.input_channels(), ""}, {0, "height"}, {0, "width"}}));
    auto stats_values = [&](uint32_t field) {
      for (const NormStatsTensor& t : stats_)
        for (const std::string& name : {t.mean, t.var}) graph.msg(field, value_info(name, {{0, "batch"}, {t.channels, ""}, {1, ""}, {1, ""}}));
    };
    if (opt_.norm_stats == NormStats::Import) stats_values(11);
    for (size_t k = 0; k < g_.outputs.size(); k++) {
      const std::string& name = g_.output_names[k];
      // Output sizes follow from the input's but are not always equal to them (discriminators).
      graph.msg(12, value_info(name, {{0, "batch"}, {g_.nodes[g_.outputs[k]].channels, ""}, {0, name + "_height"},
                                      {0, name + "_width"}}));
    }
    if (opt_.norm_stats == NormStats::Export) stats_values(12);

    Msg model;
    model.varint(1, 8);  // IR version 8
    model.str(2, opt_.producer);
    if (!opt_.doc.empty()) model.str(6, opt_.doc);
    model.msg(7, std::move(graph));
    model.msg(8, std::move(Msg().str(1, "").varint(2, 17)));
    auto meta = [&](const char* key, std::string value) { model.msg(14, std::move(Msg().str(1, key).str(2, std::move(value)))); };
    meta("norm_mode", norm_mode_name(opt_.norm_mode));
    meta("dropout_noise", opt_.dropout_noise ? "true" : "false");
    if (opt_.dropout_noise) meta("dropout_seed", std::to_string(opt_.dropout_seed));
    meta("weights_dtype", opt_.fp16 ? "float16" : "float32");
    if (opt_.norm_stats != NormStats::Compute) meta("norm_stats", opt_.norm_stats == NormStats::Export ? "export" : "import");

    std::vector<uint8_t> out;
    out.reserve(model.size());
    model.write(out);
    return out;
  }

  const Graph& g_;
  const Weights& w_;
  const OnnxOptions& opt_;
  std::vector<std::string> values_;  // ONNX value of each graph node
  std::vector<Msg> nodes_, initializers_;
  std::vector<std::string> constants_;
  std::vector<NormStatsTensor> stats_;  // exported or imported, in graph order
};

}  // namespace

std::vector<NormStatsTensor> norm_stats(const Graph& g, NormMode mode) {
  std::vector<NormStatsTensor> out;
  for (const Node& n : g.nodes)
    if (instance_normalised(n, mode)) out.push_back({n.name + ".mean", n.name + ".var", n.channels});
  return out;
}

const std::vector<std::string>& norm_mode_names() {
  static const std::vector<std::string> names = {"running", "batchstats"};
  return names;
}

const char* norm_mode_name(NormMode m) { return norm_mode_names()[size_t(m)].c_str(); }

Result<NormMode> parse_norm_mode(const std::string& s) {
  Result<int> i = parse_choice("norm mode", s, norm_mode_names());
  return i.ok() ? Result<NormMode>{NormMode(i.value), ""} : Result<NormMode>::Fail(i.error);
}

Result<std::vector<uint8_t>> write_onnx(const Graph& g, const Weights& w, const OnnxOptions& opt) {
  return Translator(g, w, opt).run();
}

}  // namespace p2p
