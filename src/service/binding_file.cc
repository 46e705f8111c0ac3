#include "service/binding_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/unique_fd.h"
#include "util/write_all.h"

namespace gpio2mqtt::service {
namespace {

constexpr std::string_view kHeader = "gpio2mqtt bindings 1";

}  // namespace

std::string BindingFile::format(const std::map<std::string, bool>& switches) {
  std::string text = std::string(kHeader) + "\n";
  for (const auto& [name, enabled] : switches) text += name + (enabled ? " on\n" : " off\n");
  return text;
}

std::map<std::string, bool> BindingFile::parse(const std::string& text, std::size_t& problems) {
  std::map<std::string, bool> switches;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    if (!text.empty()) ++problems;
    return switches;
  }
  while (std::getline(in, line)) {
    std::size_t space = line.rfind(' ');
    std::string word = space == std::string::npos ? "" : line.substr(space + 1);
    if (space == 0 || (word != "on" && word != "off") || in.eof()) {  // the last line lacks its newline: cut
      ++problems;
      continue;
    }
    switches[line.substr(0, space)] = word == "on";
  }
  return switches;
}

BindingFile::BindingFile(std::string directory) : directory_(std::move(directory)) {
  if (::mkdir(directory_.c_str(), 0750) != 0 && errno != EEXIST)
    throw std::runtime_error("state directory: cannot create " + directory_ + ": " + std::strerror(errno));
  std::ifstream in(path());
  if (!in) return;  // none switched yet
  std::stringstream text;
  text << in.rdbuf();
  std::size_t problems = 0;
  switches_ = parse(text.str(), problems);
  if (problems)
    spdlog::warn("bindings: {} line(s) of {} cut short or damaged: those bindings are on", problems, path());
}

std::optional<bool> BindingFile::load(const std::string& name) {
  auto it = switches_.find(name);
  if (it == switches_.end()) return std::nullopt;
  return it->second;
}

void BindingFile::save(const std::string& name, bool enabled) {
  switches_[name] = enabled;
  std::string current = path(), temporary = current + ".new";
  UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  bool written = out.valid() && write_all(out.get(), format(switches_)) && ::fsync(out.get()) == 0;
  int error = errno;
  out.reset();
  if (!written || ::rename(temporary.c_str(), current.c_str()) != 0) {
    if (written) error = errno;
    ++errors_;
    spdlog::error("binding {}: cannot save that it is {} to {}: {} ({} errors so far; it stays {} until a restart)",
                  name, enabled ? "on" : "off", current, std::strerror(error), errors_, enabled ? "on" : "off");
    ::unlink(temporary.c_str());
    return;
  }
  UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) ::fsync(directory.get());
}

}  // namespace gpio2mqtt::service
