#include "service/outbox_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "util/write_all.h"

namespace gpio2mqtt::service {
namespace {

constexpr std::string_view kHeader = "gpio2mqtt outbox 1\n";

std::string record(const Message& message) {
  std::string out = "m " + std::to_string(message.qos) + (message.retain ? " 1 " : " 0 ") +
                    std::to_string(message.topic.size()) + " " + std::to_string(message.payload.size()) + "\n";
  out += message.topic;
  out += message.payload;
  out += '\n';
  return out;
}

// Reads one number followed by `end` at `at`; false when the text is not that.
bool number(std::string_view text, std::size_t& at, std::size_t& value, char end) {
  auto [next, error] = std::from_chars(text.data() + at, text.data() + text.size(), value);
  if (error != std::errc() || next == text.data() + text.size() || *next != end) return false;
  at = static_cast<std::size_t>(next - text.data()) + 1;
  return true;
}

// The records of `text` up to the first one cut short or damaged.
std::vector<Message> parse(std::string_view text, bool& damaged) {
  std::vector<Message> out;
  damaged = false;
  if (text.substr(0, kHeader.size()) != kHeader) {
    damaged = !text.empty();
    return out;
  }
  std::size_t at = kHeader.size();
  while (at < text.size()) {
    std::size_t qos = 0, retain = 0, topic_size = 0, payload_size = 0;
    if (text.substr(at, 2) != "m " || !number(text, at += 2, qos, ' ') || !number(text, at, retain, ' ') ||
        !number(text, at, topic_size, ' ') || !number(text, at, payload_size, '\n') || qos > 2 || retain > 1 ||
        topic_size > text.size() - at || payload_size + 1 > text.size() - at - topic_size ||
        text[at + topic_size + payload_size] != '\n') {
      damaged = true;
      break;
    }
    out.push_back({std::string(text.substr(at, topic_size)), std::string(text.substr(at + topic_size, payload_size)),
                   static_cast<int>(qos), retain == 1});
    at += topic_size + payload_size + 1;
  }
  return out;
}

}  // namespace

OutboxFile::OutboxFile(std::string directory) : directory_(std::move(directory)), path_(directory_ + "/outbox") {
  if (::mkdir(directory_.c_str(), 0750) != 0 && errno != EEXIST)
    throw std::runtime_error("mqtt.persistence: cannot create " + directory_ + ": " + std::strerror(errno));
  open_for_append();
  if (!fd_.valid()) throw std::runtime_error("mqtt.persistence: cannot open " + path_ + ": " + std::strerror(errno));
}

void OutboxFile::open_for_append() {
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd_.valid()) return;
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && st.st_size == 0 && !write_all(fd_.get(), kHeader)) failed("write", errno);
}

std::vector<Message> OutboxFile::load() {
  UniqueFd in(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return {};
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(in.get(), buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed("read", errno);
      return {};
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  bool damaged = false;
  auto messages = parse(text, damaged);
  if (damaged) {
    spdlog::warn("{}: kept the {} whole records before a damaged or cut-short one", path_, messages.size());
    replace({messages.begin(), messages.end()});  // appends must not follow the damage
  }
  return messages;
}

void OutboxFile::append(const Message& message) {
  if (!fd_.valid()) open_for_append();
  if (!fd_.valid() || !write_all(fd_.get(), record(message))) failed("append to", errno);
}

void OutboxFile::replace(const std::deque<Message>& queue) {
  std::string text(kHeader);
  for (const auto& message : queue) text += record(message);
  std::string temporary = path_ + ".new";
  UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!out.valid() || !write_all(out.get(), text) || ::fdatasync(out.get()) != 0 ||
      ::rename(temporary.c_str(), path_.c_str()) != 0) {
    failed("rewrite", errno);
    ::unlink(temporary.c_str());
    return;
  }
  UniqueFd directory(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) ::fsync(directory.get());  // the rename itself survives a power cut
  open_for_append();
}

void OutboxFile::failed(const std::string& what, int error) {
  ++errors_;
  if ((errors_ & (errors_ - 1)) == 0)  // logged at powers of two
    spdlog::error("mqtt.persistence: cannot {} {}: {} ({} errors so far; the queue carries on in memory)", what, path_,
                  std::strerror(error), errors_);
}

}  // namespace gpio2mqtt::service
