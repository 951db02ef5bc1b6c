#include "calib/machine.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <zlib.h>

#include <Eigen/Core>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <thread>

#include "calib/kernels.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/scenario/curves.h"

namespace servesim::calib {

namespace {

#define SERVESIM_STR2(x) #x
#define SERVESIM_STR(x) SERVESIM_STR2(x)

std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (line.find_first_not_of(" \t", key.size()) != colon) continue;  // "model" vs "model name"
    const auto start = line.find_first_not_of(' ', colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

/// A YAML double-quoted scalar: JSON string syntax is a subset of it.
std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

MachineInfo this_machine() {
  MachineInfo m;
  m.cpu = cpuinfo_field("model name");
  if (m.cpu.empty()) m.cpu = "unknown CPU";
  m.cores = static_cast<int>(std::thread::hardware_concurrency());
  if (const auto mhz = parse_number(cpuinfo_field("cpu MHz"))) m.cpu_mhz = *mhz;
  utsname u{};
  if (uname(&u) == 0) m.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
  m.libraries = {
    {"libjpeg-turbo", SERVESIM_LIBJPEG_TURBO_VERSION},
    {"opencv", opencv_version()},
    {"eigen", SERVESIM_STR(EIGEN_WORLD_VERSION) "." SERVESIM_STR(
                  EIGEN_MAJOR_VERSION) "." SERVESIM_STR(EIGEN_MINOR_VERSION)},
#if defined(__clang__)
    {"compiler", "clang " __clang_version__},
#elif defined(__GNUC__)
    {"compiler", "gcc " __VERSION__},
#endif
  };
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  m.date = buf;
  return m;
}

std::string machine_yaml(const MachineInfo& m) {
  std::string s = "# The machine and libraries of a calib run (servesim calib bench).\n";
  s += "machine:\n  cpu: " + quoted(m.cpu) + "\n  cores: " + std::to_string(m.cores) + "\n";
  if (m.cpu_mhz > 0) s += "  cpu_mhz: " + shortest(m.cpu_mhz) + "\n";
  if (!m.os.empty()) s += "  os: " + quoted(m.os) + "\n";
  if (!m.gpu.empty()) s += "  gpu: " + quoted(m.gpu) + "\n";
  if (!m.libraries.empty()) {
    s += "libraries:\n";
    for (const auto& [name, version] : m.libraries)
      s += "  " + name + ": " + quoted(version) + "\n";
  }
  s += "run:\n";
  if (!m.date.empty()) s += "  date: " + quoted(m.date) + "\n";
  if (!m.command.empty()) s += "  command: " + quoted(m.command) + "\n";
  if (!m.cache.empty()) s += "  cache: " + m.cache + "\n";
  s += "  warmup: " + std::to_string(m.warmup) + "\n  repeats: " + std::to_string(m.repeats) +
       "\n  seconds: " + shortest(m.seconds) + "\n";
  return s;
}

MachineInfo read_machine(const std::filesystem::path& path) {
  const ConfigNode root = load_config_file(path);
  MachineInfo m;
  MapReader r(root, "");
  MapReader mr = r.child("machine");
  const auto cpu = mr.string("cpu");
  if (!cpu) mr.require("cpu");  // throws: the CPU is what a source line must name
  m.cpu = *cpu;
  m.cores = static_cast<int>(mr.integer("cores", 1, 1 << 20).value_or(0));
  m.cpu_mhz = mr.number("cpu_mhz", 0, 1e6).value_or(0);
  m.os = mr.string("os").value_or("");
  m.gpu = mr.string("gpu").value_or("");
  mr.finish();
  if (const ConfigNode* libs = r.get("libraries")) {
    if (!libs->is_map()) r.fail_at(*libs, "libraries", "expected a map of library: version");
    for (const MapEntry& e : libs->entries)
      m.libraries.emplace_back(e.key,
                               read_scalar(e.value, "libraries." + e.key, "a version string"));
  }
  if (r.has("run")) {
    MapReader rr = r.child("run");
    m.date = rr.string("date").value_or("");
    m.command = rr.string("command").value_or("");
    m.warmup = static_cast<int>(rr.integer("warmup", 0, 1 << 20).value_or(0));
    m.repeats = static_cast<int>(rr.integer("repeats", 0, 1 << 20).value_or(0));
    m.cache = rr.choice("cache", {"warm", "cold"}).value_or("");
    m.seconds = rr.number("seconds", 0, 1e9).value_or(0);
    rr.finish();
  }
  r.finish();
  return m;
}

CpuClock cpu_clock() {
  CpuClock c;
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal &&
      cpu == "cpu")
    c.machine_busy_s =
        (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) == 0)
    c.self_s = static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
  return c;
}

double other_load(const CpuClock& c0, const CpuClock& c1, double wall_s) {
  if (c0.machine_busy_s < 0 || c1.machine_busy_s < 0) return -1;
  return std::max(0.0,
                  ((c1.machine_busy_s - c0.machine_busy_s) - (c1.self_s - c0.self_s)) / wall_s);
}

std::string machine_summary(const MachineInfo& m) {
  std::string s = m.cpu;
  if (m.cores > 0) s += " (" + std::to_string(m.cores) + " cores)";
  if (!m.gpu.empty()) s += ", " + m.gpu;
  std::string libs;
  for (const auto& [name, version] : m.libraries)
    libs += (libs.empty() ? "" : ", ") + name + " " + version;
  if (!libs.empty()) s += "; " + libs;
  if (!m.date.empty()) s += "; " + m.date.substr(0, 10);
  return s;
}

ShallowIdle::ShallowIdle(bool want) {
  if (!want) {
    why_not_ = "--cpu-idle os";
    return;
  }
  const char* device = "/dev/cpu_dma_latency";
  fd_ = ::open(device, O_WRONLY | O_CLOEXEC);
  const std::int32_t zero = 0;
  if (fd_ >= 0 && ::write(fd_, &zero, sizeof zero) == static_cast<ssize_t>(sizeof zero)) return;
  why_not_ = std::string("cannot write ") + device + ": " + std::strerror(errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ShallowIdle::~ShallowIdle() {
  if (fd_ >= 0) ::close(fd_);  // closing it ends the request
}

std::string ShallowIdle::describe() const {
  if (held())
    return "CPU idle: PM QoS cpu_dma_latency 0 held (idle CPUs poll, as on a loaded node, "
           "instead of halting)";
  return "CPU idle: as the OS chooses (" + why_not_ +
         "): wake-ups from a halted CPU add to every measurement, not to the model";
}

SoftirqInThreadTime softirq_in_thread_time() {
  utsname u{};
  std::string text;
  if (::uname(&u) == 0) {
    std::ifstream f(std::string("/boot/config-") + u.release);
    text.assign(std::istreambuf_iterator<char>(f), {});
  }
  if (text.empty()) {
    if (gzFile z = ::gzopen("/proc/config.gz", "rb")) {
      char buf[1 << 14];
      for (int n = 0; (n = ::gzread(z, buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(n));
      ::gzclose(z);
    }
  }
  if (text.empty()) return SoftirqInThreadTime::kUnknown;
  return text.find("\nCONFIG_IRQ_TIME_ACCOUNTING=y") == std::string::npos
             ? SoftirqInThreadTime::kYes
             : SoftirqInThreadTime::kNo;
}

}  // namespace servesim::calib
