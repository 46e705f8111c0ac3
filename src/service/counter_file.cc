#include "service/counter_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "util/unique_fd.h"
#include "util/write_all.h"

namespace gpio2mqtt::service {
namespace {

constexpr std::string_view kPrefix = "gpio2mqtt counter 1 ";
constexpr std::size_t kMaxFile = 128;

// FNV-1a: enough to tell a damaged or half-written line from a good one.
std::uint64_t check(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string CounterFile::format(std::uint64_t count) {
  std::string text = std::string(kPrefix) + std::to_string(count);
  return text + " " + std::to_string(check(text)) + "\n";
}

std::optional<std::uint64_t> CounterFile::parse(const std::string& text) {
  if (text.size() < kPrefix.size() || text.compare(0, kPrefix.size(), kPrefix) != 0 || text.back() != '\n')
    return std::nullopt;
  std::size_t space = text.rfind(' ');
  if (space < kPrefix.size()) return std::nullopt;
  std::uint64_t count = 0, stored_check = 0;
  const char* begin = text.data() + kPrefix.size();
  const char* middle = text.data() + space;
  const char* end = text.data() + text.size() - 1;
  auto [after_count, e1] = std::from_chars(begin, middle, count);
  auto [after_check, e2] = std::from_chars(middle + 1, end, stored_check);
  if (e1 != std::errc() || after_count != middle || e2 != std::errc() || after_check != end) return std::nullopt;
  if (stored_check != check(std::string_view(text.data(), space))) return std::nullopt;
  return count;
}

CounterFile::CounterFile(std::string directory) : directory_(std::move(directory)) {
  if (::mkdir(directory_.c_str(), 0750) != 0 && errno != EEXIST)
    throw std::runtime_error("state directory: cannot create " + directory_ + ": " + std::strerror(errno));
}

std::string CounterFile::path(const std::string& name) const { return bridge::counter_state_file(directory_, name); }

std::optional<std::uint64_t> CounterFile::read(const std::string& file, std::string& problem) const {
  UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    problem = errno == ENOENT ? "missing" : std::string("unreadable: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[kMaxFile + 1];
  for (ssize_t n; text.size() <= kMaxFile && (n = ::read(in.get(), buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = std::string("unreadable: ") + std::strerror(errno);
      return std::nullopt;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  auto count = text.size() <= kMaxFile ? parse(text) : std::nullopt;
  if (!count) problem = text.empty() ? "empty" : "cut short or damaged";
  return count;
}

std::uint64_t CounterFile::load(const std::string& name) {
  std::string current = path(name), previous = current + ".prev";
  std::string problem, previous_problem;
  if (auto count = read(current, problem)) return *count;
  auto count = read(previous, previous_problem);
  if (count) {
    // A missing current file beside a good previous one is a save cut between its two renames.
    spdlog::warn("counter {}: {} is {}; starting from the previous generation, {} pulses", name, current, problem,
                 *count);
    return *count;
  }
  if (problem == "missing" && previous_problem == "missing") return 0;  // a new counter
  spdlog::error("counter {}: {} is {} and {} is {}: starting from 0 (set the total with <line>/set)", name, current,
                problem, previous, previous_problem);
  return 0;
}

void CounterFile::save(const std::string& name, std::uint64_t count) {
  std::string current = path(name), temporary = current + ".new", previous = current + ".prev";
  UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  bool written = out.valid() && write_all(out.get(), format(count)) && ::fsync(out.get()) == 0;
  int error = errno;
  out.reset();
  std::string ignored;
  // The previous generation is only replaced by a good current file: a damaged one is not kept.
  if (written && read(current, ignored)) static_cast<void>(::rename(current.c_str(), previous.c_str()));
  if (!written || ::rename(temporary.c_str(), current.c_str()) != 0) {
    if (written) error = errno;
    ++errors_;
    spdlog::error("counter {}: cannot save {} pulses to {}: {} ({} errors so far; the count carries on in memory)",
                  name, count, current, std::strerror(error), errors_);
    ::unlink(temporary.c_str());
    return;
  }
  UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) ::fsync(directory.get());  // the renames themselves survive a power cut
}

}  // namespace gpio2mqtt::service
