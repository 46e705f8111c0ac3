#include "util/text.h"

#include <gtest/gtest.h>

namespace gpio2mqtt {
namespace {

using namespace std::chrono_literals;

TEST(ADuration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("10ms"), 10ms);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("500us"), 500us);
  EXPECT_EQ(parse_duration("250ns"), 250ns);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("1h"), 3600s);
  EXPECT_EQ(parse_duration("0"), 0ns);
}

TEST(ADuration, RejectsWhatIsNotOne) {
  for (auto text : {"", "10", "ms", "-5ms", "10 ms", "10sec", "1e3ms", "1.2.3s", "99999999999h"})
    EXPECT_FALSE(parse_duration(text)) << text;
}

TEST(Placeholders, AreExpandedEverywhere) {
  EXPECT_EQ(expand_placeholders("gpio2mqtt-{hostname}", "pi", "").text, "gpio2mqtt-pi");
  EXPECT_EQ(expand_placeholders("{hostname}/{hostname}", "a", "").text, "a/a");
  EXPECT_EQ(expand_placeholders("{hostname}-{machine_id}", "pi", "3d1219c7c4c5404aaa1f6d2a48adfda4").text,
            "pi-3d1219c7");
  EXPECT_EQ(expand_placeholders("plain {} { x } {", "a", "").text, "plain {} { x } {");
}

TEST(Placeholders, NameTheFirstUnknownOne) {
  EXPECT_EQ(expand_placeholders("home/{host}/{HOSTNAME}", "pi", "").unknown, "{host}");
  EXPECT_EQ(expand_placeholders("{HOSTNAME}", "pi", "").unknown, "{HOSTNAME}");
  EXPECT_EQ(expand_placeholders("{machine_id}", "pi", "").unknown, "{machine_id}");  // none here
  EXPECT_EQ(expand_placeholders("{hostname}", "pi", "").unknown, "");
}

TEST(PrintableText, KeepsUtf8AndEscapesControlCharactersStrayBytesAndBackslashes) {
  EXPECT_EQ(printable_text("küche_licht"), "küche_licht");
  EXPECT_EQ(printable_text("a\x1b[2Jb\xff\\"), "a\\x1b[2Jb\\xff\\x5c");
}

TEST(ATopic, MustNotHoldWildcardsNulOrEmptyLevels) {
  EXPECT_TRUE(is_valid_publish_topic("raspberry/status"));
  for (auto bad : {"", "a/+/b", "a/#", "a//b", "/a", "a/"}) EXPECT_FALSE(is_valid_publish_topic(bad)) << bad;
  EXPECT_FALSE(is_valid_publish_topic(std::string("a\0b", 3)));
  // Brokers drop a client for a malformed UTF-8 or control character in a topic, even its will's.
  EXPECT_TRUE(is_valid_publish_topic("caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80"));
  for (auto bad : {"caf\xe9",
                   "a\x08"
                   "b",
                   "a\x7f", "\xc2\x85", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
    EXPECT_FALSE(is_valid_publish_topic(bad)) << printable(bad);
  EXPECT_TRUE(is_safe_topic_level("relay_1-a.b"));
  for (auto bad : {"", "a b", "a/b", "a+", "é"}) EXPECT_FALSE(is_safe_topic_level(bad)) << bad;
}

TEST(APrintableText, EscapesControlBytesAndCutsLongText) {
  EXPECT_EQ(printable("ON\n\x01"), "ON\\x0a\\x01");
  EXPECT_EQ(printable(std::string(70, 'a'), 4), "aaaa...(70 bytes)");
}

}  // namespace
}  // namespace gpio2mqtt
