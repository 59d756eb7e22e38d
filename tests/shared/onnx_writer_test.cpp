// Tests for shared/onnx_writer: the bytes decode (a small protobuf walker reads them back), hold
// the expected nodes and initializers, are deterministic, and errors are one line naming the tensor.
#include "shared/onnx_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "shared/models.h"
#include "shared/sha256.h"
#include "tests/shared/fixture_weights.h"
#include "tests/shared/fixtures.h"

using namespace p2p;

namespace {

// ---- A protobuf field walker: enough of the wire format to read an ONNX model back ----------

struct PbField {
  uint32_t number = 0, wire = 0;
  uint64_t varint = 0;    // wire 0, or the bits of wire 5
  std::string_view bytes;  // wire 2
};

bool read_varint(std::string_view& s, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (s.empty()) return false;
    uint8_t b = uint8_t(s[0]);
    s.remove_prefix(1);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// All fields of one message; ADD_FAILURE on malformed bytes.
std::vector<PbField> fields(std::string_view s) {
  std::vector<PbField> out;
  while (!s.empty()) {
    uint64_t key;
    PbField f;
    if (!read_varint(s, key)) return ADD_FAILURE() << "bad key varint", out;
    f.number = uint32_t(key >> 3), f.wire = uint32_t(key & 7);
    if (f.wire == 0) {
      if (!read_varint(s, f.varint)) return ADD_FAILURE() << "bad varint", out;
    } else if (f.wire == 5) {
      if (s.size() < 4) return ADD_FAILURE() << "short fixed32", out;
      for (int b = 0; b < 4; b++) f.varint |= uint64_t(uint8_t(s[b])) << (8 * b);
      s.remove_prefix(4);
    } else if (f.wire == 2) {
      uint64_t n;
      if (!read_varint(s, n) || n > s.size()) return ADD_FAILURE() << "bad length", out;
      f.bytes = s.substr(0, n);
      s.remove_prefix(n);
    } else {
      return ADD_FAILURE() << "unexpected wire type " << f.wire, out;
    }
    out.push_back(f);
  }
  return out;
}

float as_float(uint64_t bits) {
  uint32_t b = uint32_t(bits);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

struct Attr {
  int64_t type = 0, i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
};
struct PbNode {
  std::string op, name;
  std::vector<std::string> inputs, outputs;
  std::map<std::string, Attr> attrs;
};
struct PbTensor {
  std::string name;
  std::vector<int64_t> dims;
  int64_t type = 0;
  std::string_view raw;
};
struct PbValue {
  std::string name;
  int64_t elem_type = 0;
  std::vector<std::string> dims;  // dim_value as text, or dim_param
};
struct PbModel {
  std::shared_ptr<const std::vector<uint8_t>> bytes;  // what the string_views point into
  int64_t ir_version = 0;
  std::string producer, doc, graph_name;
  std::map<std::string, int64_t> opsets;
  std::vector<PbNode> nodes;
  std::vector<PbTensor> initializers;
  std::vector<PbValue> inputs, outputs;
  std::map<std::string, std::string> metadata;

  int count(const std::string& op) const {
    int n = 0;
    for (const PbNode& node : nodes) n += node.op == op;
    return n;
  }
  const PbTensor* initializer(const std::string& name) const {
    for (const PbTensor& t : initializers)
      if (t.name == name) return &t;
    return nullptr;
  }
};

PbValue decode_value(std::string_view s) {
  PbValue v;
  for (const PbField& f : fields(s)) {
    if (f.number == 1) v.name = f.bytes;
    if (f.number != 2) continue;
    for (const PbField& t : fields(f.bytes))  // TypeProto.tensor_type
      for (const PbField& tt : fields(t.bytes)) {
        if (tt.number == 1) v.elem_type = int64_t(tt.varint);
        if (tt.number == 2)
          for (const PbField& dim : fields(tt.bytes))
            for (const PbField& d : fields(dim.bytes))
              v.dims.push_back(d.number == 1 ? std::to_string(d.varint) : std::string(d.bytes));
      }
  }
  return v;
}

PbModel decode(std::vector<uint8_t> bytes) {
  PbModel m;
  m.bytes = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  std::string_view all(reinterpret_cast<const char*>(m.bytes->data()), m.bytes->size());
  for (const PbField& f : fields(all)) {
    if (f.number == 1) m.ir_version = int64_t(f.varint);
    if (f.number == 2) m.producer = f.bytes;
    if (f.number == 6) m.doc = f.bytes;
    if (f.number == 8) {
      std::string domain;
      int64_t version = 0;
      for (const PbField& o : fields(f.bytes)) {
        if (o.number == 1) domain = o.bytes;
        if (o.number == 2) version = int64_t(o.varint);
      }
      m.opsets[domain] = version;
    }
    if (f.number == 14) {
      std::string k, v;
      for (const PbField& e : fields(f.bytes)) (e.number == 1 ? k : v) = e.bytes;
      m.metadata[k] = v;
    }
    if (f.number != 7) continue;
    for (const PbField& g : fields(f.bytes)) {
      if (g.number == 2) m.graph_name = g.bytes;
      if (g.number == 11) m.inputs.push_back(decode_value(g.bytes));
      if (g.number == 12) m.outputs.push_back(decode_value(g.bytes));
      if (g.number == 5) {
        PbTensor t;
        for (const PbField& x : fields(g.bytes)) {
          if (x.number == 1) t.dims.push_back(int64_t(x.varint));
          if (x.number == 2) t.type = int64_t(x.varint);
          if (x.number == 8) t.name = x.bytes;
          if (x.number == 9) t.raw = x.bytes;
        }
        m.initializers.push_back(t);
      }
      if (g.number == 1) {
        PbNode n;
        for (const PbField& x : fields(g.bytes)) {
          if (x.number == 1) n.inputs.emplace_back(x.bytes);
          if (x.number == 2) n.outputs.emplace_back(x.bytes);
          if (x.number == 3) n.name = x.bytes;
          if (x.number == 4) n.op = x.bytes;
          if (x.number != 5) continue;
          std::string name;
          Attr a;
          for (const PbField& y : fields(x.bytes)) {
            if (y.number == 1) name = y.bytes;
            if (y.number == 2) a.f = as_float(y.varint);
            if (y.number == 3) a.i = int64_t(y.varint);
            if (y.number == 4) a.s = y.bytes;
            if (y.number == 8) a.ints.push_back(int64_t(y.varint));
            if (y.number == 20) a.type = int64_t(y.varint);
          }
          n.attrs[name] = a;
        }
        m.nodes.push_back(n);
      }
    }
  }
  return m;
}

// Every node input is the graph input, an initializer or an earlier node's output; every graph
// output is produced; no value is produced twice.
void expect_well_formed(const PbModel& m) {
  std::set<std::string> known = {""};
  for (const PbValue& v : m.inputs) known.insert(v.name);
  for (const PbTensor& t : m.initializers) EXPECT_TRUE(known.insert(t.name).second) << "initializer twice: " << t.name;
  for (const PbNode& n : m.nodes) {
    for (const std::string& in : n.inputs) EXPECT_TRUE(known.count(in)) << n.op << " " << n.name << " reads unknown " << in;
    for (const std::string& out : n.outputs) EXPECT_TRUE(known.insert(out).second) << "value produced twice: " << out;
  }
  for (const PbValue& v : m.outputs) EXPECT_TRUE(known.count(v.name)) << "output never produced: " << v.name;
}

std::vector<uint8_t> must_write(const Graph& g, const Weights& w, const OnnxOptions& opt) {
  Result<std::vector<uint8_t>> r = write_onnx(g, w, opt);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.value;
}

// unet_128 (7 downsamplings, 2 of them with dropout), narrow.
Graph small_unet(Norm norm = Norm::Batch) { return unet(3, 3, 7, 2, norm, true); }

}  // namespace

TEST(OnnxWriter, UnetDecodesWithExpectedNodes) {
  Graph g = small_unet();
  Weights w = init_weights(g, 1);
  PbModel m = decode(must_write(g, w, {}));
  EXPECT_EQ(m.ir_version, 8);
  EXPECT_EQ(m.opsets.size(), 1u);
  EXPECT_EQ(m.opsets[""], 17);
  EXPECT_EQ(m.producer, "pix2pix-studio");
  EXPECT_EQ(m.metadata["norm_mode"], "running");
  EXPECT_EQ(m.metadata["dropout_noise"], "false");
  EXPECT_EQ(m.metadata["weights_dtype"], "float32");
  expect_well_formed(m);

  EXPECT_EQ(m.count("Conv"), 7);
  EXPECT_EQ(m.count("ConvTranspose"), 7);
  EXPECT_EQ(m.count("BatchNormalization"), 11);  // down and up in 5 middle levels, up in the innermost
  EXPECT_EQ(m.count("LeakyRelu"), 6);
  EXPECT_EQ(m.count("Relu"), 7);
  EXPECT_EQ(m.count("Concat"), 6);
  EXPECT_EQ(m.count("Tanh"), 1);
  EXPECT_EQ(m.count("Dropout"), 0);  // no noise: wired through
  EXPECT_EQ(m.nodes.size(), 7u + 7 + 11 + 6 + 7 + 6 + 1);

  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].name, "input");
  EXPECT_EQ(m.inputs[0].elem_type, 1);
  EXPECT_EQ(m.inputs[0].dims, (std::vector<std::string>{"batch", "3", "height", "width"}));
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.outputs[0].name, "output");
  EXPECT_EQ(m.outputs[0].dims, (std::vector<std::string>{"batch", "3", "output_height", "output_width"}));
  EXPECT_EQ(m.nodes.back().op, "Tanh");
  EXPECT_EQ(m.nodes.back().outputs[0], "output");

  // One initializer per parameter, named as in PyTorch, holding the float32 values.
  EXPECT_EQ(m.initializers.size(), parameters(g).size());
  const PbTensor* t = m.initializer("model.model.0.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, 1);
  EXPECT_EQ(t->dims, (std::vector<int64_t>{2, 3, 4, 4}));
  const Tensor& src = w.at("model.model.0.weight");
  ASSERT_EQ(t->raw.size(), src.data.size() * 4);
  EXPECT_EQ(std::memcmp(t->raw.data(), src.data.data(), t->raw.size()), 0);  // little-endian hosts (x86, wasm)

  const PbNode& conv = m.nodes[0];
  EXPECT_EQ(conv.op, "Conv");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"input", "model.model.0.weight"}));  // no bias with batch norm
  EXPECT_EQ(conv.attrs.at("kernel_shape").ints, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(conv.attrs.at("strides").ints, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv.attrs.at("pads").ints, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv.attrs.at("pads").type, 7);
  for (const PbNode& n : m.nodes) {
    if (n.op == "LeakyRelu") EXPECT_FLOAT_EQ(n.attrs.at("alpha").f, 0.2f);
    if (n.op == "BatchNormalization") {
      EXPECT_EQ(n.inputs.size(), 5u);
      EXPECT_FLOAT_EQ(n.attrs.at("epsilon").f, 1e-5f);
    }
    if (n.op == "Concat") EXPECT_EQ(n.attrs.at("axis").i, 1);
  }
}

TEST(OnnxWriter, BatchStatsUsesInstanceNormWithBatchNormScale) {
  Graph g = small_unet();
  Weights w = init_weights(g, 2);
  OnnxOptions opt;
  opt.norm_mode = NormMode::BatchStats;
  PbModel m = decode(must_write(g, w, opt));
  expect_well_formed(m);
  EXPECT_EQ(m.count("BatchNormalization"), 0);
  EXPECT_EQ(m.count("InstanceNormalization"), 11);
  EXPECT_EQ(m.metadata["norm_mode"], "batchstats");
  for (const PbTensor& t : m.initializers) EXPECT_EQ(t.name.find("running_"), std::string::npos) << t.name;
  for (const PbNode& n : m.nodes)
    if (n.op == "InstanceNormalization") {
      ASSERT_EQ(n.inputs.size(), 3u);
      EXPECT_EQ(n.inputs[1], n.name + ".weight");  // BN's own scale and shift
      EXPECT_EQ(n.inputs[2], n.name + ".bias");
    }
}

TEST(OnnxWriter, InstanceNormWithoutAffineGetsUnitScale) {
  Graph g = small_unet(Norm::Instance);
  Weights w = init_weights(g, 3);
  PbModel m = decode(must_write(g, w, {}));
  expect_well_formed(m);
  EXPECT_EQ(m.count("InstanceNormalization"), 11);
  EXPECT_EQ(m.count("BatchNormalization"), 0);
  const PbTensor* ones = m.initializer("ones_4");
  const PbTensor* zeros = m.initializer("zeros_4");
  ASSERT_TRUE(ones && zeros);
  ASSERT_EQ(ones->raw.size(), 16u);
  for (int c = 0; c < 4; c++) {
    float one, zero;
    std::memcpy(&one, ones->raw.data() + 4 * c, 4);
    std::memcpy(&zero, zeros->raw.data() + 4 * c, 4);
    EXPECT_EQ(one, 1.0f);
    EXPECT_EQ(zero, 0.0f);
  }
  // Conv biases exist with instance norm.
  EXPECT_EQ(m.nodes[0].inputs.size(), 3u);
}

TEST(OnnxWriter, DropoutNoiseNodesCarryRatioTrainingModeAndDistinctSeeds) {
  Graph g = small_unet();
  Weights w = init_weights(g, 4);
  OnnxOptions opt;
  opt.dropout_noise = true;
  opt.dropout_seed = 1000;
  PbModel m = decode(must_write(g, w, opt));
  expect_well_formed(m);
  ASSERT_EQ(m.count("Dropout"), 2);
  EXPECT_EQ(m.count("Where"), 2);
  EXPECT_EQ(m.metadata["dropout_seed"], "1000");
  std::set<int64_t> seeds;
  for (size_t k = 0; k < m.nodes.size(); k++) {
    const PbNode& n = m.nodes[k];
    if (n.op != "Dropout") continue;
    ASSERT_EQ(n.inputs.size(), 3u);
    // ONNX Runtime drops a Dropout whose mask nobody reads: a Where reads it.
    ASSERT_EQ(n.outputs.size(), 2u);
    ASSERT_LT(k + 1, m.nodes.size());
    const PbNode& where = m.nodes[k + 1];
    EXPECT_EQ(where.op, "Where");
    EXPECT_EQ(where.inputs, (std::vector<std::string>{n.outputs[1], n.outputs[0], "zero"}));
    seeds.insert(n.attrs.at("seed").i);
    EXPECT_GE(n.attrs.at("seed").i, 1000);
    const PbTensor* ratio = m.initializer(n.inputs[1]);
    const PbTensor* training = m.initializer(n.inputs[2]);
    ASSERT_TRUE(ratio && training);
    EXPECT_TRUE(ratio->dims.empty());  // scalars
    float p;
    std::memcpy(&p, ratio->raw.data(), 4);
    EXPECT_EQ(p, 0.5f);
    EXPECT_EQ(training->type, 9);
    EXPECT_EQ(training->raw, std::string_view("\x01", 1));
  }
  EXPECT_EQ(seeds.size(), 2u);
}

TEST(OnnxWriter, SameInputsSameBytes) {
  Graph g = small_unet();
  Weights w = init_weights(g, 5);
  for (bool fp16 : {false, true})
    for (NormMode mode : {NormMode::Running, NormMode::BatchStats}) {
      OnnxOptions opt;
      opt.fp16 = fp16, opt.norm_mode = mode, opt.dropout_noise = true, opt.doc = "doc";
      Weights copy = w;
      EXPECT_EQ(must_write(g, w, opt), must_write(small_unet(), copy, opt));
    }
  OnnxOptions a, b;
  b.dropout_seed = 1;
  a.dropout_noise = b.dropout_noise = true;
  EXPECT_NE(must_write(g, w, a), must_write(g, w, b));
  Weights other = w;
  other.at("model.model.0.weight").data[0] += 1.0f;
  EXPECT_NE(must_write(g, w, {}), must_write(g, other, {}));
}

TEST(OnnxWriter, Fp16StoresHalfInitializersAndCasts) {
  Graph g = small_unet();
  Weights w = init_weights(g, 6);
  OnnxOptions opt;
  opt.fp16 = true;
  std::vector<uint8_t> full = must_write(g, w, {}), half = must_write(g, w, opt);
  EXPECT_NE(full, half);
  EXPECT_LT(half.size(), full.size());
  PbModel m = decode(half);
  expect_well_formed(m);
  EXPECT_EQ(m.metadata["weights_dtype"], "float16");
  size_t params = parameters(g).size();
  EXPECT_EQ(size_t(m.count("Cast")), params);  // running statistics too
  for (const PbNode& n : m.nodes)
    if (n.op == "Cast") EXPECT_EQ(n.attrs.at("to").i, 1);
  const PbTensor* t = m.initializer("model.model.1.model.2.running_var");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, 10);
  const Tensor& src = w.at("model.model.1.model.2.running_var");
  ASSERT_EQ(t->raw.size(), src.data.size() * 2);
  for (size_t k = 0; k < src.data.size(); k++) {
    uint16_t h = uint16_t(uint8_t(t->raw[2 * k]) | uint8_t(t->raw[2 * k + 1]) << 8);
    EXPECT_EQ(h, float_to_half(src.data[k]));
  }
  // The convolutions read the float32 copies.
  EXPECT_EQ(m.nodes.back().op, "Tanh");
  for (const PbNode& n : m.nodes)
    if (n.op == "Conv") EXPECT_EQ(n.inputs[1], n.name + ".weight.float");
}

TEST(OnnxWriter, TransformerNetPadsAndResizes) {
  Graph g = transformer_net();
  Weights w = init_weights(g, 7);
  OnnxOptions opt;
  opt.doc = "fast style";
  PbModel m = decode(must_write(g, w, opt));
  expect_well_formed(m);
  EXPECT_EQ(m.doc, "fast style");
  EXPECT_EQ(m.count("Pad"), 16);
  EXPECT_EQ(m.count("Conv"), 16);
  EXPECT_EQ(m.count("Resize"), 2);
  EXPECT_EQ(m.count("Add"), 5);
  EXPECT_EQ(m.count("InstanceNormalization"), 15);
  for (const PbNode& n : m.nodes) {
    if (n.op == "Pad") {
      EXPECT_EQ(n.attrs.at("mode").s, "reflect");
      const PbTensor* pads = m.initializer(n.inputs[1]);
      ASSERT_NE(pads, nullptr);
      EXPECT_EQ(pads->type, 7);
      EXPECT_EQ(pads->dims, (std::vector<int64_t>{8}));
    }
    if (n.op == "Resize") {
      EXPECT_EQ(n.inputs.size(), 3u);
      EXPECT_EQ(n.inputs[1], "");  // no roi
      EXPECT_EQ(n.attrs.at("mode").s, "nearest");
      EXPECT_EQ(n.attrs.at("coordinate_transformation_mode").s, "asymmetric");
      EXPECT_EQ(n.attrs.at("nearest_mode").s, "floor");
      const PbTensor* scales = m.initializer(n.inputs[2]);
      ASSERT_NE(scales, nullptr);
      float s[4];
      std::memcpy(s, scales->raw.data(), 16);
      EXPECT_EQ(std::vector<float>(s, s + 4), (std::vector<float>{1.0f, 1.0f, 2.0f, 2.0f}));
    }
  }
  // Pads of 9x9 convs: [0, 0, 4, 4, 0, 0, 4, 4].
  const PbTensor* pads4 = m.initializer("pads_4");
  ASSERT_NE(pads4, nullptr);
  int64_t p[8];
  std::memcpy(p, pads4->raw.data(), 64);
  EXPECT_EQ(std::vector<int64_t>(p, p + 8), (std::vector<int64_t>{0, 0, 4, 4, 0, 0, 4, 4}));
}

// Thumbnail Instance Normalization: Export adds each instance norm's input mean and variance as outputs
// and changes nothing else; Import takes them as inputs and normalises without InstanceNormalization.
TEST(OnnxWriter, NormStatsExportAndImport) {
  Graph g = transformer_net(8);
  Weights w = init_weights(g, 9);
  const std::vector<NormStatsTensor> stats = norm_stats(g, NormMode::BatchStats);
  ASSERT_EQ(stats.size(), 15u);
  EXPECT_EQ(stats[0].mean, "in1.mean");
  EXPECT_EQ(stats[0].var, "in1.var");
  EXPECT_EQ(stats[0].channels, 8);
  EXPECT_EQ(stats[3].mean, "res1.in1.mean");
  EXPECT_EQ(stats[3].channels, 32);
  EXPECT_EQ(stats.back().mean, "in5.mean");

  OnnxOptions opt;
  const std::vector<uint8_t> plain = must_write(g, w, opt);
  opt.norm_stats = NormStats::Compute;
  EXPECT_EQ(must_write(g, w, opt), plain);  // Compute is the default: the same bytes
  PbModel compute = decode(plain);
  EXPECT_EQ(compute.metadata.count("norm_stats"), 0u);

  opt.norm_stats = NormStats::Export;
  PbModel ex = decode(must_write(g, w, opt));
  expect_well_formed(ex);
  EXPECT_EQ(ex.metadata["norm_stats"], "export");
  EXPECT_EQ(ex.count("InstanceNormalization"), 15);
  EXPECT_EQ(ex.count("ReduceMean"), 30);
  ASSERT_EQ(ex.inputs.size(), 1u);
  ASSERT_EQ(ex.outputs.size(), 1u + 2 * stats.size());
  EXPECT_EQ(ex.outputs[0].name, "output");
  for (size_t k = 0; k < stats.size(); k++) {
    const PbValue& mean = ex.outputs[1 + 2 * k];
    const PbValue& var = ex.outputs[2 + 2 * k];
    EXPECT_EQ(mean.name, stats[k].mean);
    EXPECT_EQ(var.name, stats[k].var);
    EXPECT_EQ(mean.dims, (std::vector<std::string>{"batch", std::to_string(stats[k].channels), "1", "1"}));
    EXPECT_EQ(var.dims, mean.dims);
  }
  for (const PbNode& n : ex.nodes)
    if (n.op == "ReduceMean") {
      EXPECT_EQ(n.attrs.at("axes").ints, (std::vector<int64_t>{2, 3}));
      EXPECT_EQ(n.attrs.at("keepdims").i, 1);
    }
  // The mean is taken of exactly what the InstanceNormalization reads.
  for (const PbNode& n : ex.nodes)
    if (n.op == "InstanceNormalization")
      for (const PbNode& r : ex.nodes)
        if (r.op == "ReduceMean" && r.outputs[0] == n.name + ".mean") EXPECT_EQ(r.inputs[0], n.inputs[0]) << n.name;
  // Every node of the Compute model is there unchanged.
  for (const PbNode& n : compute.nodes) {
    bool found = false;
    for (const PbNode& e : ex.nodes) found = found || (e.name == n.name && e.op == n.op && e.inputs == n.inputs);
    EXPECT_TRUE(found) << n.op << " " << n.name;
  }

  opt.norm_stats = NormStats::Import;
  PbModel im = decode(must_write(g, w, opt));
  expect_well_formed(im);
  EXPECT_EQ(im.metadata["norm_stats"], "import");
  EXPECT_EQ(im.count("InstanceNormalization"), 0);
  EXPECT_EQ(im.count("ReduceMean"), 0);
  EXPECT_EQ(im.count("Sqrt"), 15);
  ASSERT_EQ(im.outputs.size(), 1u);
  ASSERT_EQ(im.inputs.size(), 1u + 2 * stats.size());
  EXPECT_EQ(im.inputs[0].name, "input");
  for (size_t k = 0; k < stats.size(); k++) {
    EXPECT_EQ(im.inputs[1 + 2 * k].name, stats[k].mean);
    EXPECT_EQ(im.inputs[2 + 2 * k].name, stats[k].var);
    EXPECT_EQ(im.inputs[1 + 2 * k].dims, (std::vector<std::string>{"batch", std::to_string(stats[k].channels), "1", "1"}));
  }
  // Each imported mean and variance is read, and each layer's scale and bias too.
  for (const NormStatsTensor& t : stats)
    for (const std::string& name : {t.mean, t.var}) {
      int readers = 0;
      for (const PbNode& n : im.nodes)
        for (const std::string& in : n.inputs) readers += in == name;
      EXPECT_GE(readers, 1) << name;
    }
  int eps_constants = 0;
  for (const PbTensor& t : im.initializers)
    if (t.name.rfind("epsilon_", 0) == 0) {
      eps_constants++;
      ASSERT_EQ(t.raw.size(), 4u);
      float e;
      std::memcpy(&e, t.raw.data(), 4);
      EXPECT_EQ(e, 1e-5f);
      EXPECT_TRUE(t.dims.empty());
    }
  EXPECT_EQ(eps_constants, 1);  // shared by the layers
  int reshaped_weights = 0;
  for (const PbNode& n : im.nodes)
    if (n.op == "Reshape") reshaped_weights += n.inputs[0].size() > 7 && n.inputs[0].compare(n.inputs[0].size() - 7, 7, ".weight") == 0;
  EXPECT_EQ(reshaped_weights, 15);

  // A U-Net with batch statistics exports its BatchNorm layers (written as instance norms); with
  // running statistics it has none to export.
  Graph u = small_unet();
  Weights uw = init_weights(u, 10);
  OnnxOptions batch;
  batch.norm_mode = NormMode::BatchStats;
  batch.norm_stats = NormStats::Import;
  PbModel ui = decode(must_write(u, uw, batch));
  expect_well_formed(ui);
  EXPECT_EQ(ui.inputs.size(), 1u + 2 * 11);
  EXPECT_EQ(norm_stats(u, NormMode::BatchStats).size(), 11u);
  EXPECT_EQ(norm_stats(u, NormMode::Running).size(), 0u);
}

TEST(OnnxWriter, ResnetAndFeatureStackOutputs) {
  Graph r = resnet_generator(3, 3, 2, Norm::Instance, true, 2);
  PbModel m = decode(must_write(r, init_weights(r, 8), {}));
  expect_well_formed(m);
  for (const PbNode& n : m.nodes)
    if (n.op == "ConvTranspose") EXPECT_EQ(n.attrs.at("output_padding").ints, (std::vector<int64_t>{1, 1}));

  // VGG taps: outputs named after them, one of them also feeding later layers.
  Graph v = vgg_features(16, {"relu1_1", "relu2_1"});
  m = decode(must_write(v, init_weights(v, 9), {}));
  expect_well_formed(m);
  EXPECT_EQ(m.count("MaxPool"), 1);
  ASSERT_EQ(m.outputs.size(), 2u);
  EXPECT_EQ(m.outputs[0].name, "relu1_1");
  EXPECT_EQ(m.outputs[1].name, "relu2_1");
  EXPECT_EQ(m.outputs[0].dims[1], "64");
  EXPECT_EQ(m.outputs[1].dims[1], "128");

  // A graph ending in dropout still produces its named output when dropout is wired through.
  Graph d;
  d.output(d.dropout(d.relu(d.input(3)), 0.5f));
  m = decode(must_write(d, {}, {}));
  expect_well_formed(m);
  EXPECT_EQ(m.count("Identity"), 1);
}

TEST(OnnxWriter, MismatchedWeightsFailWithOneLine) {
  Graph g = small_unet();
  Weights w = init_weights(g, 10);
  Weights missing = w;
  missing.erase("model.model.1.model.2.running_mean");
  Result<std::vector<uint8_t>> r = write_onnx(g, missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("model.model.1.model.2.running_mean"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
  EXPECT_TRUE(r.value.empty());

  Weights wrong = w;
  wrong.at("model.model.0.weight") = Tensor({2, 3, 3, 3});
  r = write_onnx(g, wrong, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("model.model.0.weight"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("[2, 3, 3, 3]"), std::string::npos) << r.error;

  Weights extra = w;
  extra["stray"] = Tensor({1});
  r = write_onnx(g, extra, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("stray"), std::string::npos) << r.error;

  // Another architecture's weights.
  Graph other = unet(3, 3, 7, 4, Norm::Batch, true);
  EXPECT_FALSE(write_onnx(other, w, {}).ok());
  EXPECT_FALSE(write_onnx(Graph{}, {}, {}).ok());
  Graph twice;
  int x = twice.relu(twice.input(3));
  twice.output(x, "a");
  twice.output(x, "a");
  EXPECT_FALSE(write_onnx(twice, {}, {}).ok());
}

// The ONNX bytes of the reference checkpoints (the in-tree set, and ../shared's when present). With
// P2P_ONNX_HASH_OUT set, their digests are appended to that file so scripts/test can check that native
// and WebAssembly builds agree.
TEST(OnnxWriter, FixtureHash) {
  P2P_REQUIRE_FIXTURES();
  struct Case {
    std::string label, checkpoint;
    Graph graph;
    OnnxOptions opt;
  };
  OnnxOptions batchstats, half, noise;
  batchstats.norm_mode = half.norm_mode = noise.norm_mode = NormMode::BatchStats;
  half.fp16 = true;
  noise.dropout_noise = true, noise.dropout_seed = 7;
  const std::string in_tree = p2p_test::fixture_dir(), shared = p2p_test::fixture_dir(p2p_test::FixtureSet::Shared);
  Graph unet256 = unet(1, 1, 8, 2, Norm::Batch, true), style = transformer_net(6);
  std::vector<Case> cases = {
      {"unet256_batch", in_tree + "/unet256_batch/latest_net_G.pth", unet256, batchstats},
      {"unet256_batch_fp16", in_tree + "/unet256_batch/latest_net_G.pth", unet256, half},
      {"unet256_batch_noise", in_tree + "/unet256_batch/latest_net_G.pth", unet256, noise},
      {"transformer_net", in_tree + "/transformer_net/style.pth", style, batchstats},
      {"transformer_net_fp16", in_tree + "/transformer_net/style.pth", style, half},
  };
  if (p2p_test::dir_exists(shared)) {
    Graph unet256_shared = unet(3, 3, 8, 8, Norm::Batch, true);
    cases.push_back({"shared_unet256_batch", shared + "/unet256_batch/latest_net_G.pth", unet256_shared, batchstats});
    cases.push_back({"shared_unet256_batch_fp16", shared + "/unet256_batch/latest_net_G.pth", unet256_shared, half});
    cases.push_back({"shared_unet256_batch_noise", shared + "/unet256_batch/latest_net_G.pth", unet256_shared, noise});
    cases.push_back({"shared_transformer_net", shared + "/transformer_net/style.pth", transformer_net(), batchstats});
    cases.push_back({"shared_transformer_net_fp16", shared + "/transformer_net/style.pth", transformer_net(), half});
  }
  std::string lines;
  for (const Case& c : cases) {
    Weights w = p2p_test::fixture_weights(c.checkpoint);
    Result<std::vector<uint8_t>> bytes = write_onnx(c.graph, w, c.opt);
    ASSERT_TRUE(bytes.ok()) << c.label << ": " << bytes.error;
    std::string digest = sha256_hex(bytes.value.data(), bytes.value.size());
    Result<std::vector<uint8_t>> again = write_onnx(c.graph, w, c.opt);
    EXPECT_EQ(sha256_hex(again.value.data(), again.value.size()), digest) << c.label;
    PbModel m = decode(std::move(bytes.value));
    expect_well_formed(m);
    EXPECT_EQ(m.count("Dropout"), c.opt.dropout_noise ? 3 : 0) << c.label;  // unet_256: three dropout levels
    EXPECT_EQ(m.count("Where"), m.count("Dropout")) << c.label;
    EXPECT_EQ(m.count("BatchNormalization"), 0) << c.label;
    lines += c.label + " " + digest + "\n";
  }
  if (const char* out = std::getenv("P2P_ONNX_HASH_OUT")) {
    FILE* f = std::fopen(out, "a");
    ASSERT_NE(f, nullptr) << out;
    std::fputs(lines.c_str(), f);
    std::fclose(f);
  }
  std::printf("%s", lines.c_str());
}
