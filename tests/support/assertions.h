// Checks on error messages. The tests link no gmock: a plain substring check with a readable
// failure, and the message of what a call throws.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace gpio2mqtt::testing {

// Whether `text` contains `part`, with both in the failure message.
inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\"\n  does not contain \"" << part << "\"";
}

// The message of the E that `call` throws; a test failure when it throws nothing.
template <class E, class F>
std::string error_of(F&& call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

}  // namespace gpio2mqtt::testing
