// Tests for shared/torch_checkpoint (and the zip reader under it): synthetic checkpoints covering
// dtypes, views, pickle variants and ZIP64; every refusal; and every reference fixture checkpoint.
#include "shared/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "shared/zip_reader.h"
#include "tests/shared/fixtures.h"
#include "tests/shared/torch_test_util.h"

namespace {

using p2p::TorchDType;
using p2p_test::Pickle;
using p2p_test::TensorSpec;

p2p::Result<p2p::TorchCheckpoint> read(const std::vector<uint8_t>& b, bool crc = true) {
  return p2p::read_torch_checkpoint(b.data(), b.size(), {crc});
}

std::string error_of(const std::vector<uint8_t>& b) {
  auto r = read(b);
  EXPECT_FALSE(r.ok()) << "accepted";
  return r.error;
}

// A two-tensor float checkpoint to break in various ways.
std::vector<uint8_t> simple_pickle() {
  return p2p_test::state_dict_pickle({{"w", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}},
                                      {"b", "FloatStorage", "1", 2, 0, {2}, {1}}});
}
std::vector<std::pair<std::string, std::vector<uint8_t>>> simple_storages() {
  return {{"0", p2p_test::float_bytes({1, 2, 3, 4, 5, 6})}, {"1", p2p_test::float_bytes({-1, -2})}};
}

TEST(TorchCheckpoint, ReadsASimpleStateDictInOrder) {
  auto r = read(p2p_test::make_checkpoint(simple_pickle(), simple_storages()));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.keys, (std::vector<std::string>{"w", "b"}));
  EXPECT_EQ(r.value.weights.at("w").shape, (p2p::Shape{2, 3}));
  EXPECT_EQ(r.value.weights.at("w").data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(r.value.weights.at("b").data, (std::vector<float>{-1, -2}));
  EXPECT_EQ(r.value.dtypes.at("w"), TorchDType::Float32);
}

TEST(TorchCheckpoint, GathersOffsetsStridesAndSharedStorages) {
  // Storage 0..11; "t" is the transpose of a 3x4 view; "s" a slice at offset 5; "e" empty; "z" 0-dim.
  std::vector<float> st;
  for (int i = 0; i < 12; i++) st.push_back(float(i));
  auto pk = p2p_test::state_dict_pickle({{"t", "FloatStorage", "0", 12, 0, {4, 3}, {1, 4}},
                                         {"s", "FloatStorage", "0", 12, 5, {2, 2}, {4, 1}},
                                         {"bcast", "FloatStorage", "0", 12, 2, {2, 3}, {0, 1}},
                                         {"e", "FloatStorage", "0", 12, 99, {0, 5}, {5, 1}},
                                         {"z", "FloatStorage", "0", 12, 11, {}, {}}});
  auto r = read(p2p_test::make_checkpoint(pk, {{"0", p2p_test::float_bytes(st)}}));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights.at("t").data, (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(r.value.weights.at("s").data, (std::vector<float>{5, 6, 9, 10}));
  EXPECT_EQ(r.value.weights.at("bcast").data, (std::vector<float>{2, 3, 4, 2, 3, 4}));
  EXPECT_EQ(r.value.weights.at("e").shape, (p2p::Shape{0, 5}));
  EXPECT_TRUE(r.value.weights.at("e").data.empty());
  EXPECT_EQ(r.value.weights.at("z").shape, p2p::Shape{});
  EXPECT_EQ(r.value.weights.at("z").data, std::vector<float>{11});
}

TEST(TorchCheckpoint, ConvertsEveryDtype) {
  std::vector<uint8_t> f64(16), f16, bf16, i64(16), i32(8);
  double d[2] = {0.5, -1e3};
  std::memcpy(f64.data(), d, 16);
  for (uint16_t h : {0x3c00, 0xc000}) f16.insert(f16.end(), {uint8_t(h), uint8_t(h >> 8)});
  for (uint16_t h : {0x3f80, 0xc040}) bf16.insert(bf16.end(), {uint8_t(h), uint8_t(h >> 8)});
  int64_t l[2] = {12345, -7};
  std::memcpy(i64.data(), l, 16);
  int32_t n[2] = {-3, 100000};
  std::memcpy(i32.data(), n, 8);
  auto pk = p2p_test::state_dict_pickle({{"d", "DoubleStorage", "a", 2, 0, {2}, {1}},
                                         {"h", "HalfStorage", "b", 2, 0, {2}, {1}},
                                         {"bf", "BFloat16Storage", "c", 2, 0, {2}, {1}},
                                         {"num_batches_tracked", "LongStorage", "d", 2, 0, {2}, {1}},
                                         {"i", "IntStorage", "e", 2, 0, {2}, {1}}});
  auto r = read(p2p_test::make_checkpoint(pk, {{"a", f64}, {"b", f16}, {"c", bf16}, {"d", i64}, {"e", i32}}));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights.at("d").data, (std::vector<float>{0.5f, -1000.0f}));
  EXPECT_EQ(r.value.weights.at("h").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(r.value.weights.at("bf").data, (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ(r.value.weights.at("num_batches_tracked").data, (std::vector<float>{12345.0f, -7.0f}));
  EXPECT_EQ(r.value.weights.at("i").data, (std::vector<float>{-3.0f, 100000.0f}));
  EXPECT_EQ(r.value.dtypes.at("d"), TorchDType::Float64);
  EXPECT_EQ(r.value.dtypes.at("h"), TorchDType::Float16);
  EXPECT_EQ(r.value.dtypes.at("bf"), TorchDType::BFloat16);
  EXPECT_EQ(r.value.dtypes.at("num_batches_tracked"), TorchDType::Int64);
  EXPECT_EQ(r.value.dtypes.at("i"), TorchDType::Int32);
  EXPECT_STREQ(p2p::torch_dtype_name(TorchDType::BFloat16), "bfloat16");
}

TEST(TorchCheckpoint, ReadsProtocol4StyleAndParameters) {
  // A top-level plain dict; STACK_GLOBAL, SHORT_BINUNICODE, MEMOIZE, FRAME, LONG1, BINFLOAT,
  // EMPTY_LIST/APPEND, the 7-argument _rebuild_tensor_v2 and _rebuild_parameter around it.
  Pickle q;
  auto sstr = [&](const std::string& s) { q.op(0x8c).op(uint8_t(s.size())).raw(s); };
  q.proto(4).op(0x95);
  p2p_test::put64(q.b, 200);  // FRAME length (a hint, not checked)
  q.op('}').op(0x94);
  sstr("w");
  q.op(0x94);
  sstr("torch._utils");
  sstr("_rebuild_parameter");
  q.op(0x93);
  sstr("torch._utils");
  sstr("_rebuild_tensor_v2");
  q.op(0x93).op(0x94);
  q.mark().mark().str("storage");
  sstr("torch");
  sstr("HalfStorage");
  q.op(0x93).str("k").str("cuda:0").op(0x8a).op(1).op(3).tuple().op('Q');  // numel 3 as LONG1
  q.integer(1).ints({2}).ints({1}).op(0x88).ordered_dict().op('N').tuple().op('R');  // metadata None
  q.op(0x88).op(']').op('G');
  for (uint8_t c : {0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}) q.op(c);  // 3.141592653589793
  q.op('a').op(0x87).op('R');  // _rebuild_parameter(tensor, True, [pi])
  q.op('s').op('.');
  std::vector<uint8_t> half{0x00, 0x00, 0x00, 0x3c, 0x00, 0xc0};  // storage [0, 1, -2], offset 1
  auto r = read(p2p_test::make_checkpoint(q.b, {{"k", half}}));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights.at("w").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(r.value.dtypes.at("w"), TorchDType::Float16);
}

TEST(TorchCheckpoint, ObjectArenaMayGrowAtAnyStep) {
  // Unused objects left below the result shift where the reader's object store must grow; every
  // offset must still give the same tensors (a reference held across growth would break this).
  std::vector<uint8_t> body = simple_pickle();
  for (int pad = 0; pad < 300; pad += 7) {
    std::vector<uint8_t> pk = {0x80, 2, ']', '('};
    pk.insert(pk.end(), size_t(pad), '}');
    pk.push_back('e');  // APPENDS: pad dicts in a list that stays on the stack
    pk.insert(pk.end(), body.begin() + 2, body.end());
    auto r = read(p2p_test::make_checkpoint(pk, simple_storages()));
    ASSERT_TRUE(r.ok()) << pad << ": " << r.error;
    ASSERT_EQ(r.value.weights.at("w").data, (std::vector<float>{1, 2, 3, 4, 5, 6})) << pad;
    ASSERT_EQ(r.value.dtypes.at("b"), TorchDType::Float32) << pad;
  }
}

TEST(TorchCheckpoint, ReadsZip64Archives) {
  auto r = read(p2p_test::make_checkpoint(simple_pickle(), simple_storages(), /*zip64=*/true));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value.weights.at("w").data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(TorchCheckpoint, RefusesOtherGlobalsAndOpcodes) {
  Pickle evil;
  evil.proto(2).global("os", "system").str("echo hi").op(0x85).op('R').op('.');
  EXPECT_NE(error_of(p2p_test::make_checkpoint(evil.b, {})).find("refused pickle global os.system"), std::string::npos);
  Pickle builtin;
  builtin.proto(2).global("builtins", "eval").op('.');
  EXPECT_NE(error_of(p2p_test::make_checkpoint(builtin.b, {})).find("refused pickle global builtins.eval"),
            std::string::npos);
  Pickle inst;  // INST 'i' (protocol 0 object creation)
  inst.proto(2).mark().raw("i").raw("os\nsystem\n").op('.');
  EXPECT_EQ(error_of(p2p_test::make_checkpoint(inst.b, {})), "data.pkl at byte 3: refused pickle opcode 0x69 'i'");
  Pickle stack_global;
  stack_global.proto(4).op(0x8c).op(8).raw("builtins").op(0x8c).op(4).raw("exec").op(0x93).op('.');
  EXPECT_NE(error_of(p2p_test::make_checkpoint(stack_global.b, {})).find("refused pickle global builtins.exec"),
            std::string::npos);
  Pickle call_storage;  // a storage type is allowed as a name, not as something to call
  call_storage.proto(2).global("torch", "FloatStorage").op(')').op('R').op('.');
  EXPECT_NE(error_of(p2p_test::make_checkpoint(call_storage.b, {})).find("refused pickle call of torch.FloatStorage"),
            std::string::npos);
  Pickle build_list;
  build_list.proto(2).op(']').op('}').op('b').op('.');
  EXPECT_NE(error_of(p2p_test::make_checkpoint(build_list.b, {})).find("refused BUILD of a list"), std::string::npos);
  Pickle proto1;
  proto1.proto(1).op('}').op('.');
  EXPECT_NE(error_of(p2p_test::make_checkpoint(proto1.b, {})).find("pickle protocol 1"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesMalformedPickles) {
  auto err = [](std::vector<uint8_t> pk) { return error_of(p2p_test::make_checkpoint(pk, {})); };
  EXPECT_NE(err({0x80, 2, '}'}).find("pickle ends without STOP"), std::string::npos);
  EXPECT_NE(err({0x80, 2, 't', '.'}).find("no MARK on the stack"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '.'}).find("stack underflow"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '(', 's', '.'}).find("stack underflow"), std::string::npos);  // pops may not cross a MARK
  EXPECT_NE(err({0x80, 2, 'h', 7, '.'}).find("memo key 7 was never stored"), std::string::npos);
  EXPECT_NE(err({0x80, 2, 'X', 0xff, 0xff, 0, 0, 'a'}).find("pickle cut off"), std::string::npos);
  EXPECT_NE(err({0x80, 2, ']', '.'}).find("data.pkl holds a list, not a state_dict"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}', 'K', 1, 'K', 2, 's', '.'}).find("state_dict key is a int"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}', 'X', 1, 0, 0, 0, 'k', 'K', 2, 's', '.'}).find("tensor k: is a int, not a tensor"),
            std::string::npos);
  EXPECT_NE(err({0x80, 2, 0x8a, 9, '.'}).find("LONG1 of 9 bytes"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}', 'K', 1, 'a', '.'}).find("APPEND on a dict"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesBadStoragesAndViews) {
  auto one = [](TensorSpec t, std::vector<uint8_t> bytes) {
    return error_of(p2p_test::make_checkpoint(p2p_test::state_dict_pickle({t}), {{"0", bytes}}));
  };
  auto four = p2p_test::float_bytes({1, 2, 3, 4});
  EXPECT_EQ(one({"w", "FloatStorage", "9", 4, 0, {4}, {1}}, four), "tensor w: storage entry archive/data/9 is missing");
  EXPECT_EQ(one({"w", "FloatStorage", "0", 5, 0, {4}, {1}}, four),
            "tensor w: storage entry archive/data/0 has 16 bytes, not 5 x 4");
  EXPECT_EQ(one({"w", "FloatStorage", "0", 4, 1, {4}, {1}}, four),
            "tensor w: offset 1 and shape [4] go beyond its storage of 4 elements");
  EXPECT_EQ(one({"w", "FloatStorage", "0", 4, 0, {2, 2}, {3, 1}}, four),
            "tensor w: offset 0 and shape [2, 2] go beyond its storage of 4 elements");
  EXPECT_NE(one({"w", "FloatStorage", "0", 4, 0, {2, 2}, {1000000000000, 1}}, four).find("goes beyond its storage"),
            std::string::npos);
  EXPECT_NE(one({"w", "FloatStorage", "0", 4, -1, {4}, {1}}, four).find("negative storage offset"), std::string::npos);
  EXPECT_NE(one({"w", "FloatStorage", "0", 4, 0, {4}, {1, 1}}, four).find("size and stride differ"), std::string::npos);
  EXPECT_NE(one({"w", "FloatStorage", "0", 4, 0, {-4}, {1}}, four).find("size holds a negative value"), std::string::npos);
  // Stride-0 views can make many elements from few: bounded by the file's size.
  EXPECT_NE(one({"w", "FloatStorage", "0", 4, 0, {1000000, 1000000}, {0, 0}}, four).find("more elements than"),
            std::string::npos);
  EXPECT_NE(one({"w", "ComplexFloatStorage", "0", 4, 0, {4}, {1}}, four).find("refused pickle global torch.ComplexFloatStorage"),
            std::string::npos);
}

TEST(TorchCheckpoint, RefusesBadArchives) {
  auto good = p2p_test::make_checkpoint(simple_pickle(), simple_storages());
  EXPECT_EQ(error_of({1, 2, 3}), "not a zip archive: 3 bytes");
  EXPECT_EQ(error_of(std::vector<uint8_t>(100, 0)), "not a zip archive (no end-of-central-directory record)");
  EXPECT_EQ(error_of({0x80, 2, '}', '.'}),
            "legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a recent PyTorch");
  std::vector<uint8_t> cut(good.begin(), good.begin() + long(good.size() / 2));
  EXPECT_NE(error_of(cut).find("not a zip archive"), std::string::npos);
  EXPECT_EQ(error_of(p2p_test::make_zip({{"x/other.bin", {1, 2}}})), "not a torch.save archive (no <name>/data.pkl entry)");

  auto deflated = p2p_test::make_zip({{"a/data.pkl", simple_pickle(), 8}});
  EXPECT_EQ(error_of(deflated), "zip: entry a/data.pkl uses compression method 8 (only STORED entries are read)");
  auto twice = p2p_test::make_zip({{"a/data.pkl", simple_pickle()}, {"a/data.pkl", simple_pickle()}});
  EXPECT_EQ(error_of(twice), "zip: entry a/data.pkl appears twice");
  auto big_endian = p2p_test::make_zip({{"a/data.pkl", simple_pickle()}, {"a/byteorder", {'b', 'i', 'g'}}});
  EXPECT_EQ(error_of(big_endian), "byteorder is \"big\"; only little-endian is read");

  // A flipped byte in a storage: the CRC catches it, unless checking is off.
  auto flipped = good;
  size_t at = 30 + std::string("archive/data.pkl").size() + simple_pickle().size() + 30 + 14;  // in storage "0"
  flipped[at] ^= 0x40;
  EXPECT_EQ(error_of(flipped), "zip: entry archive/data/0: CRC-32 mismatch (file corrupt)");
  EXPECT_TRUE(read(flipped, /*crc=*/false).ok());

  // Central directory pointing outside the file.
  auto off = good;
  off[off.size() - 6] = 0xff;
  EXPECT_EQ(error_of(off), "zip: central directory out of range");
}

TEST(TorchCheckpoint, FileVariantNamesThePath) {
  auto r = p2p::load_torch_checkpoint("/nonexistent/x.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind("/nonexistent/x.pth: ", 0), 0u) << r.error;
}

// Every checkpoint of both reference sets: key counts, int64 bookkeeping tensors, the first tensor's
// name, shape and first values (literals read from those files with PyTorch).
class TorchCheckpointFixtures : public ::testing::TestWithParam<p2p_test::FixtureSet> {};

TEST_P(TorchCheckpointFixtures, ReadsEveryCheckpoint) {
  P2P_REQUIRE_FIXTURE_SET(GetParam());
  const bool in_tree = GetParam() == p2p_test::FixtureSet::InTree;
  const std::string dir = p2p_test::fixture_dir(GetParam());
  struct Want {
    const char* file;
    size_t keys, longs;
    const char* first_key;
    p2p::Shape first_shape;
    float first_values[2];
  };
  const std::vector<Want> in_tree_set = {
      {"unet256_batch/latest_net_G.pth", 82, 13, "model.model.0.weight", {2, 1, 4, 4}, {-0.02296815626323223f, 0.0346585176885128f}},
      {"unet128_instance/latest_net_G.pth", 28, 0, "model.model.0.weight", {3, 3, 4, 4}, {-0.005715534556657076f, 0.008639766834676266f}},
      {"unet32_batch4/latest_net_G.pth", 46, 7, "model.model.0.weight", {4, 3, 4, 4}, {0.03393176943063736f, 0.01067654974758625f}},
      {"unet64_none/latest_net_G.pth", 13, 0, "model.model.0.weight", {3, 3, 4, 4}, {-0.005972560029476881f, 0.0074260178953409195f}},
      {"resnet9_instance/latest_net_G.pth", 48, 0, "model.1.weight", {4, 3, 7, 7}, {-0.00140888593159616f, 0.02557694911956787f}},
      {"resnet6_batch/latest_net_G.pth", 104, 17, "model.1.weight", {4, 3, 7, 7}, {-0.006669873371720314f, -0.001826777239330113f}},
      {"patchgan_basic_batch/latest_net_D.pth", 22, 3, "model.0.weight", {5, 6, 4, 4}, {-0.0009267095010727644f, 0.014360824599862099f}},
      {"patchgan_n5_batch/latest_net_D.pth", 34, 5, "model.0.weight", {4, 6, 4, 4}, {-0.021822310984134674f, 0.017945125699043274f}},
      {"patchgan_none_gray/latest_net_D.pth", 7, 0, "model.0.weight", {4, 2, 4, 4}, {-0.005128341261297464f, 0.002525140531361103f}},
      {"pixel_batch/latest_net_D.pth", 9, 1, "net.0.weight", {6, 6, 1, 1}, {0.030547799542546272f, -0.0077312360517680645f}},
      {"transformer_net/style.pth", 92, 0, "conv1.conv2d.weight", {6, 3, 9, 9}, {-0.04311009868979454f, -0.025086792185902596f}},
      {"train_step/init_net_G.pth", 58, 9, "model.model.0.weight", {3, 3, 4, 4}, {-0.029422108083963394f, -0.03779835253953934f}},
      {"train_step/after_net_G.pth", 58, 9, "model.model.0.weight", {3, 3, 4, 4}, {-0.029823938384652138f, -0.037391047924757004f}},
      {"train_step/init_net_D.pth", 22, 3, "model.0.weight", {5, 6, 4, 4}, {-0.016908971592783928f, 0.007283417973667383f}}};
  const std::vector<Want> shared_set = {
      {"unet256_batch/latest_net_G.pth", 82, 13, "model.model.0.weight", {8, 3, 4, 4}, {-0.025087613612413406f, -0.0073080346919596195f}},
      {"unet128_instance/latest_net_G.pth", 28, 0, "model.model.0.weight", {8, 3, 4, 4}, {-0.021150466054677963f, 0.009651281870901585f}},
      {"resnet9_instance/latest_net_G.pth", 48, 0, "model.1.weight", {8, 3, 7, 7}, {-0.007937289774417877f, 0.010949196293950081f}},
      {"patchgan_basic_batch/latest_net_D.pth", 22, 3, "model.0.weight", {8, 6, 4, 4}, {0.0048418729566037655f, -0.006551878992468119f}},
      {"transformer_net/style.pth", 92, 0, "conv1.conv2d.weight", {32, 3, 9, 9}, {-0.04822547733783722f, 0.03760648891329765f}},
      {"train_step/init_net_G.pth", 82, 13, "model.model.0.weight", {8, 3, 4, 4}, {-0.02229592576622963f, 0.019175108522176743f}},
      {"train_step/after_net_G.pth", 82, 13, "model.model.0.weight", {8, 3, 4, 4}, {-0.022673364728689194f, 0.01957760378718376f}},
      {"train_step/init_net_D.pth", 22, 3, "model.0.weight", {8, 6, 4, 4}, {-0.002679930068552494f, -0.001439012004993856f}}};
  for (const Want& w : in_tree ? in_tree_set : shared_set) {
    SCOPED_TRACE(w.file);
    auto r = p2p::load_torch_checkpoint(dir + "/" + w.file);
    ASSERT_TRUE(r.ok()) << r.error;
    const p2p::TorchCheckpoint& c = r.value;
    EXPECT_EQ(c.weights.size(), w.keys);
    EXPECT_EQ(c.keys.size(), w.keys);
    EXPECT_EQ(c.keys.front(), w.first_key);
    size_t longs = 0;
    for (const auto& [k, t] : c.dtypes) longs += t == TorchDType::Int64;
    EXPECT_EQ(longs, w.longs);
    const p2p::Tensor& first = c.weights.at(w.first_key);
    EXPECT_EQ(first.shape, w.first_shape);
    EXPECT_EQ(first.data[0], w.first_values[0]);
    EXPECT_EQ(first.data[1], w.first_values[1]);
    for (const auto& [k, t] : c.weights) EXPECT_EQ(int64_t(t.data.size()), t.numel()) << k;
  }
  auto unet = p2p::load_torch_checkpoint(dir + "/unet256_batch/latest_net_G.pth");
  ASSERT_TRUE(unet.ok());
  const auto& w = unet.value.weights;
  const int64_t deepest = in_tree ? 16 : 64;  // ngf * 8
  EXPECT_EQ(w.at("model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight").shape,
            (p2p::Shape{deepest, deepest, 4, 4}));
  EXPECT_EQ(w.at("model.model.1.model.2.num_batches_tracked").shape, p2p::Shape{});
  EXPECT_EQ(w.at("model.model.1.model.2.num_batches_tracked").data, std::vector<float>{3.0f});
  EXPECT_EQ(w.at("model.model.3.bias").shape, p2p::Shape{in_tree ? 1 : 3});
  auto style = p2p::load_torch_checkpoint(dir + "/transformer_net/style.pth");
  ASSERT_TRUE(style.ok());
  EXPECT_EQ(style.value.weights.at("in1.running_mean").shape, p2p::Shape{in_tree ? 6 : 32});  // stale key, read as is
  EXPECT_EQ(style.value.keys.back(), "in5.running_var");
}

INSTANTIATE_TEST_SUITE_P(Sets, TorchCheckpointFixtures, p2p_test::kFixtureSets, p2p_test::FixtureSetName());

}  // namespace
