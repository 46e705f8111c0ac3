// Every file in tests/config/broken (wrong types, unknown keys, bad YAML, duplicate keys, binary
// garbage, NUL bytes, an empty file, deep nesting), plus a few generated here (over 1 MiB, an
// error 900 KB in, more deep nesting), is refused with a ConfigError at file:line:col (both
// 1-based); and the real daemon refuses each with exit code 78 and that location, without crashing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "daemon.h"
#include "gpio2mqtt/config/loader.h"
#include "gpio2mqtt/exit_codes.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string repeated(const std::string& text, std::size_t times) {
  std::string out;
  out.reserve(text.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

// A temp dir, removed with what is in it when it goes (the generated configs take 2 MB).
struct ScratchDir {
  std::string path = testing::make_temp_dir("broken-configs");
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Too big or too deep to commit: written once per test program.
const std::vector<std::string>& generated_configs() {
  static const ScratchDir dir;
  static const std::vector<std::string> paths = [] {
    auto write = [&](const std::string& name, const std::string& text) {
      testing::write_file(dir.path + "/" + name, text);
      return dir.path + "/" + name;
    };
    const std::string chips = "chips:\n  main: {simulated: {lines: [GPIO17]}}\nlines: {}\n";
    return std::vector<std::string>{
        // A config with 1.1 MiB of comments: refused for its size, before YAML is parsed.
        write("huge.yaml", chips + repeated("# " + std::string(62, 'x') + "\n", 18'000)),
        // 900 KB of comments, then a mistake: line 25004, column 13 (checked below).
        write("error-at-the-end.yaml",
              chips + repeated("# " + std::string(34, 'x') + "\n", 25'000) + "mqtt: {qos: 3}\n"),
        write("deep-nesting-block.yaml", repeated("- ", 10'000) + "\n"),
        write("deep-nesting-map.yaml", repeated("{a: ", 10'000) + "\n"),
        write("deep-nesting-mixed.yaml", "lines:\n  x: " + repeated("[{a: ", 5'000) + "\n"),
    };
  }();
  return paths;
}

std::vector<std::string> broken_configs() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(GPIO2MQTT_BROKEN_CONFIG_DIR))
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  for (const auto& path : generated_configs()) paths.push_back(path);
  return paths;
}

// The ConfigError for `path`, or nullopt (with a test failure) if it loaded or threw anything else.
std::optional<ConfigError> error_for(const std::string& path) {
  try {
    load_config_file(path, "pi");
    ADD_FAILURE() << path << " was accepted";
  } catch (const ConfigError& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": not a ConfigError: " << e.what();
  }
  return std::nullopt;
}

TEST(TheBrokenConfigs, AreAllThere) {
  // A missing directory or a wrong glob must not let the tests below pass on nothing.
  EXPECT_GE(broken_configs().size(), 25u);
}

TEST(TheConfigLoader, RefusesEveryBrokenConfigAtFileLineColumn) {
  for (const std::string& path : broken_configs()) {
    SCOPED_TRACE(path);
    auto error = error_for(path);
    if (!error) continue;
    EXPECT_EQ(error->where().file, path);
    EXPECT_GE(error->where().line, 1);
    EXPECT_GE(error->where().column, 1);
    std::string what = error->what();
    EXPECT_EQ(what.rfind(error->where().str() + ": ", 0), 0u) << what;
    EXPECT_GT(what.size(), error->where().str().size() + 2) << "no reason given";
  }
}

TEST(TheConfigLoader, PointsAtAMistakeFarIntoABigFile) {
  auto error = error_for(generated_configs()[1]);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->where().line, 25'004);
  EXPECT_EQ(error->where().column, 13);
  EXPECT_NE(std::string(error->what()).find("mqtt.qos"), std::string::npos) << error->what();
}

TEST(TheConfigLoader, RefusesAFileOverOneMebibyteForItsSize) {
  auto error = error_for(generated_configs()[0]);
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("larger than 1 MiB"), std::string::npos) << error->what();
}

// The daemon, started the way systemd starts it and as --check-config, on each broken config:
// exit 78 (so systemd does not restart it), the loader's file:line:col in its output, no crash.
void expect_daemon_refuses(const std::vector<std::string>& mode) {
  ScratchDir logs;  // the daemons' output; a failure quotes it
  int n = 0;
  for (const std::string& path : broken_configs()) {
    SCOPED_TRACE(path);
    auto error = error_for(path);
    if (!error) continue;
    std::vector<std::string> argv{testing::daemon_binary()};
    argv.insert(argv.end(), mode.begin(), mode.end());
    argv.push_back(path);
    testing::Process daemon(argv, logs.path + "/" + std::to_string(n++) + ".log");
    EXPECT_EQ(daemon.wait(20s), kExitConfig) << daemon.log();
    std::string log = daemon.log();
    EXPECT_NE(log.find(error->where().str() + ": "), std::string::npos) << log;
    for (const char* crash : {"Sanitizer", "runtime error", "terminate called", "Segmentation"})
      EXPECT_EQ(log.find(crash), std::string::npos) << log;
  }
}

TEST(TheDaemon, ExitsWith78AtTheLocationOfEveryBrokenConfig) {
  expect_daemon_refuses({"--log-level", "info", "--config"});
}

TEST(TheDaemon, ChecksEveryBrokenConfigWithExit78AndTheLocation) { expect_daemon_refuses({"--check-config"}); }

}  // namespace
}  // namespace gpio2mqtt::config
