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

std::string prefix(std::string_view kind) { return "gpio2mqtt " + std::string(kind) + " 1 "; }
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

std::string CounterFile::format(std::uint64_t count, std::string_view kind) {
  std::string text = prefix(kind) + std::to_string(count);
  return text + " " + std::to_string(check(text)) + "\n";
}

std::optional<std::uint64_t> CounterFile::parse(const std::string& text, std::string_view kind) {
  const std::string start = prefix(kind);
  if (text.size() < start.size() || text.compare(0, start.size(), start) != 0 || text.back() != '\n')
    return std::nullopt;
  std::size_t space = text.rfind(' ');
  if (space < start.size()) return std::nullopt;
  std::uint64_t count = 0, stored_check = 0;
  const char* begin = text.data() + start.size();
  const char* middle = text.data() + space;
  const char* end = text.data() + text.size() - 1;
  auto [after_count, e1] = std::from_chars(begin, middle, count);
  auto [after_check, e2] = std::from_chars(middle + 1, end, stored_check);
  if (e1 != std::errc() || after_count != middle || e2 != std::errc() || after_check != end) return std::nullopt;
  if (stored_check != check(std::string_view(text.data(), space))) return std::nullopt;
  return count;
}

CounterFile::CounterFile(std::string directory, Kind kind) : directory_(std::move(directory)), kind_(std::move(kind)) {
  if (::mkdir(directory_.c_str(), 0750) != 0 && errno != EEXIST)
    throw std::runtime_error("state directory: cannot create " + directory_ + ": " + std::strerror(errno));
}

std::string CounterFile::path(const std::string& name) const {
  if (kind_.name == "counter") return bridge::counter_state_file(directory_, name);
  return directory_ + "/" + kind_.name + "-" + name + ".state";
}

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
  auto count = text.size() <= kMaxFile ? parse(text, kind_.name) : std::nullopt;
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
    spdlog::warn("{} {}: {} is {}; starting from the previous generation, {} {}", kind_.name, name, current, problem,
                 *count, kind_.unit);
    return *count;
  }
  if (problem == "missing" && previous_problem == "missing") return 0;  // a new counter
  spdlog::error("{} {}: {} is {} and {} is {}: starting from 0 ({})", kind_.name, name, current, problem, previous,
                previous_problem, kind_.after_loss);
  return 0;
}

void CounterFile::save(const std::string& name, std::uint64_t count) {
  std::string current = path(name), temporary = current + ".new", previous = current + ".prev";
  UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  bool written = out.valid() && write_all(out.get(), format(count, kind_.name)) && ::fsync(out.get()) == 0;
  int error = errno;
  out.reset();
  std::string ignored;
  // The previous generation is only replaced by a good current file: a damaged one is not kept.
  if (written && read(current, ignored)) static_cast<void>(::rename(current.c_str(), previous.c_str()));
  if (!written || ::rename(temporary.c_str(), current.c_str()) != 0) {
    if (written) error = errno;
    ++errors_;
    spdlog::error("{} {}: cannot save {} {} to {}: {} ({} errors so far; it carries on in memory)", kind_.name, name,
                  count, kind_.unit, current, std::strerror(error), errors_);
    ::unlink(temporary.c_str());
    return;
  }
  UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) ::fsync(directory.get());  // the renames themselves survive a power cut
}

}  // namespace gpio2mqtt::service
