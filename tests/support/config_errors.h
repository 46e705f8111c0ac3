// What the config loader says about a config text, for the tests of its messages.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::testing {

// The error for `text`, read as c.yaml, as "line:col: message"; a test failure when it is accepted.
inline std::string config_error_of(const std::string& text) {
  try {
    config::parse_config(text, "c.yaml", "pi");
  } catch (const config::ConfigError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("c.yaml:", 0), 0u) << what;
    return what.substr(7);
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return "";
}

}  // namespace gpio2mqtt::testing
