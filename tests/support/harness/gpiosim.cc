#include "gpiosim.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "process.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::kernel_test {
namespace {

constexpr const char* kConfigfs = "/sys/kernel/config/gpio-sim";

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void write_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) fail("gpio-sim: open " + path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    fail("gpio-sim: write '" + text + "' to " + path);
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) fail("gpio-sim: open " + path);
  char buffer[256];
  ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  if (n < 0) fail("gpio-sim: read " + path);
  std::string text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) fail("gpio-sim: mkdir " + path);
}

void remove_dir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
    std::cerr << "gpio-sim: rmdir " << path << ": " << std::strerror(errno) << " (left behind)\n";
}

bool is_char_device(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

// gpio-sim's interrupts as /proc shows them: each one's count, and whether its IRQ thread runs.
struct IrqActivity {
  std::map<int, std::uint64_t> counts;  // by IRQ number
  bool threads_busy = false;
  bool operator==(const IrqActivity&) const = default;
};

// Calls `row` with each gpio-sim interrupt's number, its count over the CPUs and the rest of its
// /proc/interrupts row (the chip, hwirq and trigger, and the consumer's name last).
void for_each_gpiosim_irq(const std::function<void(int, std::uint64_t, const std::string&)>& row) {
  std::ifstream interrupts("/proc/interrupts");
  std::string line;
  std::getline(interrupts, line);  // CPU0 CPU1 ...
  while (std::getline(interrupts, line)) {
    std::istringstream fields(line);
    int irq = 0;
    char colon = 0;
    if (!(fields >> irq >> colon)) continue;  // NMI, LOC, ...: named, not numbered
    std::uint64_t total = 0;
    std::string word;
    while (fields >> word && word.find_first_not_of("0123456789") == std::string::npos) total += std::stoull(word);
    if (word != "irq_sim") continue;
    std::string rest;
    std::getline(fields, rest);
    row(irq, total, rest);
  }
}

// Calls `thread` with the /proc directory and IRQ number of each interrupt thread (irq/N-...).
void for_each_irq_thread(const std::function<void(const std::filesystem::path&, int)>& thread) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    std::string comm;
    std::getline(std::ifstream(entry.path() / "comm"), comm);
    if (comm.rfind("irq/", 0) == 0) thread(entry.path(), std::atoi(comm.c_str() + 4));
  }
}

IrqActivity gpiosim_irq_activity() {
  IrqActivity activity;
  for_each_gpiosim_irq([&](int irq, std::uint64_t count, const std::string&) { activity.counts[irq] = count; });
  for_each_irq_thread([&](const std::filesystem::path& dir, int irq) {
    if (!activity.counts.count(irq)) return;
    std::string stat;
    std::getline(std::ifstream(dir / "stat"), stat);
    auto state = stat.rfind(") ");  // pid (comm) STATE ...
    if (state != std::string::npos && state + 2 < stat.size() && stat[state + 2] == 'R') activity.threads_busy = true;
  });
  return activity;
}

}  // namespace

std::uint64_t sim_interrupts(const std::string& consumer) {
  std::uint64_t total = 0;
  for_each_gpiosim_irq([&](int, std::uint64_t count, const std::string& rest) {
    if (rest.ends_with(consumer)) total += count;
  });
  return total;
}

std::vector<pid_t> sim_irq_threads(const std::string& consumer) {
  std::set<int> irqs;
  for_each_gpiosim_irq([&](int irq, std::uint64_t, const std::string& rest) {
    if (rest.ends_with(consumer)) irqs.insert(irq);
  });
  std::vector<pid_t> threads;
  for_each_irq_thread([&](const std::filesystem::path& dir, int irq) {
    if (irqs.count(irq)) threads.push_back(static_cast<pid_t>(std::atoi(dir.filename().c_str())));
  });
  return threads;
}

bool wait_until_gpiosim_irqs_handled(std::chrono::milliseconds timeout) {
  IrqActivity last = gpiosim_irq_activity();
  int unchanged = 0;
  return testing::eventually(
      [&] {
        IrqActivity now = gpiosim_irq_activity();
        unchanged = now == last && !now.threads_busy ? unchanged + 1 : 0;
        last = std::move(now);
        return unchanged >= 2;
      },
      timeout);
}

std::string why_no_gpiosim() {
  const char* vmrun = std::getenv("VMRUN");
  if (vmrun && std::string(vmrun) == "1") return {};  // in the VM: a missing gpio-sim is a failure
  struct stat st {};
  if (::stat(kConfigfs, &st) == 0 && S_ISDIR(st.st_mode)) return {};
  return std::string("needs gpio-sim (") + kConfigfs +
         " is missing and VMRUN is not 1): run tests/kernel/run.sh, which boots a VM that has it";
}

SimBuilder& SimBuilder::label(std::string label) {
  label_ = std::move(label);
  return *this;
}

SimBuilder& SimBuilder::lines(unsigned count) {
  lines_ = count;
  return *this;
}

SimBuilder& SimBuilder::name(unsigned offset, std::string line_name) {
  names_[offset] = std::move(line_name);
  return *this;
}

std::unique_ptr<SimChip> SimBuilder::build() const {
  static std::atomic<unsigned> serial{0};
  const std::string dir =
      std::string(kConfigfs) + "/g2m-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  make_dir(dir);
  // From here the destructor removes whatever was made, so a failed build leaks nothing.
  std::unique_ptr<SimChip> chip(new SimChip(dir));
  const std::string bank = dir + "/gpio-bank0";
  make_dir(bank);
  chip->num_lines_ = lines_;
  write_file(bank + "/num_lines", std::to_string(lines_));
  if (!label_.empty()) write_file(bank + "/label", label_);
  for (const auto& [offset, line_name] : names_) {
    if (offset >= lines_) throw std::invalid_argument("gpio-sim: offset " + std::to_string(offset) + " >= lines");
    make_dir(bank + "/line" + std::to_string(offset));
    chip->names_[offset] = line_name;
    write_file(bank + "/line" + std::to_string(offset) + "/name", line_name);
  }
  write_file(dir + "/live", "1");
  chip->live_ = true;
  chip->chip_name_ = read_file(bank + "/chip_name");
  chip->dev_path_ = "/dev/" + chip->chip_name_;
  chip->sysfs_dir_ = "/sys/devices/platform/" + read_file(dir + "/dev_name") + "/" + chip->chip_name_;
  chip->label_ = label_;
  // Registration is synchronous; the wait only covers a slow devtmpfs.
  const std::string last_pull = chip->line_file(lines_ - 1, "pull");
  for (int i = 0; i < 100 && !(is_char_device(chip->dev_path_) && ::access(last_pull.c_str(), W_OK) == 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!is_char_device(chip->dev_path_)) throw std::runtime_error("gpio-sim: " + chip->dev_path_ + " did not appear");
  return chip;
}

SimChip::~SimChip() {
  try {
    if (live_) write_file(dir_ + "/live", "0");
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
  }
  for (const auto& [offset, line_name] : names_) remove_dir(dir_ + "/gpio-bank0/line" + std::to_string(offset));
  remove_dir(dir_ + "/gpio-bank0");
  remove_dir(dir_);
}

std::string SimChip::line_file(unsigned offset, const char* attribute) const {
  return sysfs_dir_ + "/sim_gpio" + std::to_string(offset) + "/" + attribute;
}

void SimChip::set_pull(unsigned offset, bool up) {
  write_file(line_file(offset, "pull"), up ? "pull-up" : "pull-down");
}

bool SimChip::pulled_up(unsigned offset) const { return read_file(line_file(offset, "pull")) == "pull-up"; }

bool SimChip::value(unsigned offset) const { return read_file(line_file(offset, "value")) == "1"; }

void SimChip::go_offline() {
  write_file(dir_ + "/live", "0");
  live_ = false;
}

}  // namespace gpio2mqtt::kernel_test
