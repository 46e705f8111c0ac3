#include "util/json.h"

#include <gtest/gtest.h>

namespace gpio2mqtt {
namespace {

TEST(TheJsonReader, ReadsObjectsArraysStringsNumbersAndLiterals) {
  auto json = parse_json(R"( {"a": [1, -2.5e1, "x\"\\\u0041"], "b": {"c": true, "d": false, "e": null}} )");
  ASSERT_TRUE(json);
  EXPECT_EQ((*json)["a"].array.size(), 3u);
  EXPECT_EQ((*json)["a"].array[1].number, -25);
  EXPECT_EQ((*json)["a"].array[2].string, "x\"\\A");
  EXPECT_TRUE((*json)["b"]["c"].boolean);
  EXPECT_EQ((*json)["b"]["d"].kind, Json::Kind::kBool);
  EXPECT_FALSE((*json)["b"]["d"].boolean);
  EXPECT_EQ((*json)["b"]["e"].kind, Json::Kind::kNull);
  EXPECT_EQ((*json)["missing"]["deeper"].kind, Json::Kind::kNull);
}

TEST(TheJsonReader, RefusesWhatIsNotExactlyOneJsonValue) {
  for (const char* bad : {"", "{", "{\"a\":1,}", "{\"a\":1} x", "{'a':1}", "{\"a\":1,\"a\":2}", "[1 2]",
                          "\"line\nbreak\"", "tru", "{\"a\":}"})
    EXPECT_FALSE(parse_json(bad)) << bad;
  EXPECT_FALSE(parse_json(std::string(100, '[') + std::string(100, ']')));  // too deep
}

}  // namespace
}  // namespace gpio2mqtt
