#include "gpio2mqtt/bridge/command.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

Command parsed(std::string_view payload) {
  auto result = parse_command(payload);
  EXPECT_TRUE(std::holds_alternative<Command>(result)) << payload << ": " << std::get<std::string>(result);
  return std::holds_alternative<Command>(result) ? std::get<Command>(result) : Command{};
}

std::string error(std::string_view payload) {
  auto result = parse_command(payload);
  EXPECT_TRUE(std::holds_alternative<std::string>(result)) << payload << " was accepted";
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "";
}

TEST(ACommandPayload, AcceptsTheWordsInAnyCase) {
  for (auto word : {"ON", "on", "On", "1", "true", "TRUE", " on\n"})
    EXPECT_EQ(parsed(word), (Command{Command::Kind::kSet, true, {}})) << word;
  for (auto word : {"OFF", "off", "0", "false", "False"})
    EXPECT_EQ(parsed(word), (Command{Command::Kind::kSet, false, {}})) << word;
  for (auto word : {"TOGGLE", "toggle", "Toggle"}) EXPECT_EQ(parsed(word).kind, Command::Kind::kToggle) << word;
}

TEST(ACommandPayload, AcceptsJsonStateAndPulse) {
  EXPECT_EQ(parsed(R"({"state":"ON"})"), (Command{Command::Kind::kSet, true, {}}));
  EXPECT_EQ(parsed(R"( { "state" : "off" } )"), (Command{Command::Kind::kSet, false, {}}));
  EXPECT_EQ(parsed(R"({"state":true})"), (Command{Command::Kind::kSet, true, {}}));
  EXPECT_EQ(parsed(R"({"state":"ON","pulse_ms":500})"),
            (Command{Command::Kind::kSet, true, std::chrono::milliseconds(500)}));
  EXPECT_EQ(parsed(R"({"pulse_ms":20,"state":"OFF"})").pulse, std::chrono::milliseconds(20));
  EXPECT_EQ(parsed(R"({"state":"TOGGLE"})").kind, Command::Kind::kToggle);
}

TEST(ACommandPayload, RejectsAnythingElseWithAReason) {
  EXPECT_NE(error("").find("empty"), std::string::npos);
  EXPECT_NE(error("maybe").find("expected ON"), std::string::npos);
  EXPECT_NE(error("ONN").find("expected ON"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON","pulse_ms":-5})").find("pulse_ms"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON","pulse_ms":0})").find("pulse_ms"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON","pulse_ms":"500"})").find("whole number"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON","pulse_ms":99999999})").find("1 to"), std::string::npos);
  EXPECT_NE(error(R"({"state":"TOGGLE","pulse_ms":10})").find("TOGGLE"), std::string::npos);
  EXPECT_NE(error(R"({"pulse_ms":10})").find("missing"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON","colour":"red"})").find("unknown key"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON","state":"OFF"})").find("twice"), std::string::npos);
  EXPECT_NE(error(R"({"state":{"on":1}})").find("bad value"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON"} trailing)").find("after"), std::string::npos);
  EXPECT_NE(error(R"({"state":"O\nN"})").find("bad value"), std::string::npos);
  EXPECT_NE(error(R"({"state":"ON")").find("expected"), std::string::npos);
  EXPECT_NE(error(std::string("O\0N", 3)).find("expected ON"), std::string::npos);
}

TEST(ACommandPayload, IsDroppedUnreadWhenTooLarge) {
  std::string big(kMaxCommandPayload + 1, ' ');
  big[0] = 'O';
  big[1] = 'N';
  EXPECT_EQ(error(big), "payload too large");
}

TEST(AnEventReport, IsCompactJson) {
  EXPECT_EQ(format_event({true, 123456789, 7}), R"({"edge":"rising","state":"ON","timestamp_ns":123456789,"seq":7})");
  EXPECT_EQ(format_event({false, 0, 1}), R"({"edge":"falling","state":"OFF","timestamp_ns":0,"seq":1})");
  // The kernel's sequence numbers (libgpiod 2.x) follow the bridge's own, only when known.
  EXPECT_EQ(format_event({true, 5, 3, 4, 9}),
            R"({"edge":"rising","state":"ON","timestamp_ns":5,"seq":3,"line_seqno":4,"global_seqno":9})");
  // The simulated chip numbers its lines but is not the kernel.
  EXPECT_EQ(format_event({true, 5, 3, 4, 0}), R"({"edge":"rising","state":"ON","timestamp_ns":5,"seq":3})");
}

}  // namespace
}  // namespace gpio2mqtt::bridge
