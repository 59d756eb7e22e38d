// Tests for shared/json: parsing (values, escapes, errors with line:column, depth limit),
// printing (compact, pretty, numbers, escapes) and the object helpers.
#include "shared/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace {

using p2p::Json;
using p2p::parse_json;

Json parse_ok(std::string_view text) {
  auto r = parse_json(text);
  EXPECT_TRUE(r.ok()) << text << " -> " << r.error;
  return r.value;
}

std::string parse_err(std::string_view text) {
  auto r = parse_json(text);
  EXPECT_FALSE(r.ok()) << text << " parsed";
  return r.error;
}

TEST(Json, ParsesScalars) {
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_TRUE(parse_ok(" true ").as_bool());
  EXPECT_TRUE(parse_ok("false").is_bool());
  EXPECT_FALSE(parse_ok("false").as_bool());
  EXPECT_EQ(parse_ok("-12.5e2").as_number(), -1250.0);
  EXPECT_EQ(parse_ok("0").as_number(), 0.0);
  EXPECT_EQ(parse_ok("1E-2").as_number(), 0.01);
  EXPECT_EQ(parse_ok("\"hi\"").as_string(), "hi");
}

TEST(Json, ParsesNestedKeepingKeyOrder) {
  Json j = parse_ok(R"({"z": 1, "a": [1, 2, {"b": null}], "m": {"x": "y"}})");
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.keys().size(), 3u);
  EXPECT_EQ(j.keys()[0], "z");
  EXPECT_EQ(j.keys()[1], "a");
  EXPECT_EQ(j.keys()[2], "m");
  EXPECT_EQ(j["a"].size(), 3u);
  EXPECT_TRUE(j["a"][2]["b"].is_null());
  EXPECT_TRUE(j["a"][2].contains("b"));
  EXPECT_EQ(j["m"].get_string("x"), "y");
}

TEST(Json, StringEscapesAndUnicode) {
  EXPECT_EQ(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_ok(R"("\u00e9\u20AC")").as_string(), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").as_string(), "\xf0\x9f\x98\x80");  // surrogate pair
  EXPECT_EQ(parse_ok("\"\xc3\xa9\"").as_string(), "\xc3\xa9");                  // raw UTF-8
  EXPECT_EQ(parse_ok(R"("\u0000")").as_string(), std::string(1, '\0'));
}

TEST(Json, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(parse_err("{\"a\": 1,\n  \"b\" 2}"), "line 2, column 7: expected ':' after object key, found '2'");
  EXPECT_EQ(parse_err("[1, 2"), "line 1, column 6: expected ',' or ']' in array, found end of input");
  EXPECT_EQ(parse_err(""), "line 1, column 1: expected a value, found end of input");
  EXPECT_EQ(parse_err("1 2"), "line 1, column 3: expected end of input after the value");
  EXPECT_EQ(parse_err("{\"a\":1,}"), "line 1, column 8: expected '\"' starting an object key, found '}'");
}

TEST(Json, RefusesMalformedInput) {
  for (const char* bad : {"tru", "nul", "01", "1.", ".5", "-", "1e", "+1", "[1,]", "{,}", "'a'",
                          "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
                          "\"a\nb\"", "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "1e999", "NaN", "[1 2]",
                          "{\"a\" 1}", "{1:2}", "\"\xc0\xaf\""}) {
    auto r = parse_json(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    EXPECT_EQ(r.error.rfind("line ", 0), 0u) << r.error;
  }
}

TEST(Json, RefusesDuplicateKeys) {
  std::string e = parse_err(R"({"a": 1, "b": 2, "a": 3})");
  EXPECT_NE(e.find("duplicate object key \"a\""), std::string::npos) << e;
}

TEST(Json, DepthLimit) {
  std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(parse_json(ok).ok());
  std::string deep = std::string(300, '[') + std::string(300, ']');
  std::string e = parse_err(deep);
  EXPECT_NE(e.find("nesting deeper than 256"), std::string::npos) << e;
  EXPECT_FALSE(parse_json(std::string(100000, '[')).ok());
  EXPECT_FALSE(parse_json(std::string(5, '{'), 3).ok());
}

TEST(Json, DumpCompactAndPretty) {
  Json j;
  j["name"] = "unet";
  j["ngf"] = 64;
  j["lr"] = 0.0002;
  j["dropout"] = true;
  j["none"] = nullptr;
  j["shape"].push_back(1);
  j["shape"].push_back(3);
  j["empty"] = Json::array();
  j["obj"] = Json::object();
  EXPECT_EQ(j.dump(), R"({"name":"unet","ngf":64,"lr":0.0002,"dropout":true,"none":null,"shape":[1,3],"empty":[],"obj":{}})");
  EXPECT_EQ(j.dump(2),
            "{\n  \"name\": \"unet\",\n  \"ngf\": 64,\n  \"lr\": 0.0002,\n  \"dropout\": true,\n  \"none\": null,\n"
            "  \"shape\": [\n    1,\n    3\n  ],\n  \"empty\": [],\n  \"obj\": {}\n}");
  EXPECT_EQ(parse_ok(j.dump(2)), j);
  EXPECT_EQ(parse_ok(j.dump()), j);
}

TEST(Json, NumbersPrintShortestRoundTrip) {
  EXPECT_EQ(p2p::json_number(1.0), "1");
  EXPECT_EQ(p2p::json_number(-3.0), "-3");
  EXPECT_EQ(p2p::json_number(0.1), "0.1");
  EXPECT_EQ(p2p::json_number(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(p2p::json_number(1e15), "1000000000000000");
  EXPECT_EQ(p2p::json_number(1e20), "1e+20");
  EXPECT_EQ(p2p::json_number(1e300), "1e+300");
  EXPECT_EQ(p2p::json_number(2.5e-7), "2.5e-07");
  EXPECT_EQ(p2p::json_number(-0.0), "-0");
  EXPECT_EQ(p2p::json_number(double(0.1f)), "0.10000000149011612");
  EXPECT_EQ(p2p::json_number(std::nan("")), "null");
  EXPECT_EQ(p2p::json_number(std::numeric_limits<double>::infinity()), "null");
  for (double d : {0.1, 123.456, 6.02214076e23, 5e-324, 1.7976931348623157e308, 0.6931471805599453}) {
    auto r = parse_json(p2p::json_number(d));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.as_number(), d);
  }
}

TEST(Json, StringsEscapeControlCharacters) {
  EXPECT_EQ(p2p::json_quote("a\"b\\c\n\t\x01\x1f\x7f"), R"("a\"b\\c\n\t\u0001\u001f\u007f")");
  EXPECT_EQ(p2p::json_quote("\xc3\xa9"), "\"\xc3\xa9\"");
  std::string all;
  for (int c = 1; c < 128; c++) all += char(c);
  EXPECT_EQ(parse_ok(p2p::json_quote(all)).as_string(), all);
}

TEST(Json, GettersWithDefaults) {
  Json j = parse_ok(R"({"s": "x", "n": 2.5, "i": 7, "b": true, "big": 1e30})");
  EXPECT_EQ(j.get_string("s"), "x");
  EXPECT_EQ(j.get_string("n", "def"), "def");  // wrong type
  EXPECT_EQ(j.get_string("missing", "def"), "def");
  EXPECT_EQ(j.get_number("n"), 2.5);
  EXPECT_EQ(j.get_number("s", -1), -1);
  EXPECT_EQ(j.get_int("i"), 7);
  EXPECT_EQ(j.get_int("n", -1), -1);    // not whole
  EXPECT_EQ(j.get_int("big", -1), -1);  // out of range
  EXPECT_TRUE(j.get_bool("b"));
  EXPECT_TRUE(j.get_bool("missing", true));
  EXPECT_FALSE(j.get_bool("s", false));
  const Json& cj = j;
  EXPECT_TRUE(cj["missing"].is_null());
  EXPECT_FALSE(cj.contains("missing"));  // const [] did not insert
  EXPECT_EQ(Json(5).get_string("x", "d"), "d");  // not an object
}

TEST(Json, SetReplacesInPlaceAndErase) {
  Json j = Json::object();
  j["a"] = 1;
  j["b"] = 2;
  j["a"] = "again";
  EXPECT_EQ(j.dump(), R"({"a":"again","b":2})");
  EXPECT_TRUE(j.erase("a"));
  EXPECT_FALSE(j.erase("a"));
  EXPECT_EQ(j.dump(), R"({"b":2})");
}

TEST(Json, Equality) {
  EXPECT_EQ(parse_ok("[1, {\"a\": 2}]"), parse_ok("[1,{\"a\":2.0}]"));
  EXPECT_NE(parse_ok("{\"a\":1,\"b\":2}"), parse_ok("{\"b\":2,\"a\":1}"));  // order matters
  EXPECT_NE(parse_ok("1"), parse_ok("\"1\""));
}

}  // namespace
