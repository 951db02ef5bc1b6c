#pragma once
/// The machine a benchmark ran on and the library versions it used: written beside the samples
/// as machine.yaml, read back by `calib fit` for every curve's source line.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace servesim::calib {

struct MachineInfo {
  std::string cpu;     // /proc/cpuinfo "model name"
  int cores = 0;       // logical CPUs the process may use
  double cpu_mhz = 0;  // /proc/cpuinfo "cpu MHz" of the first CPU when read (0: unknown)
  std::string os;      // uname: system, release, machine
  std::string gpu;     // empty on a CPU-only run; a GPU machine's own tool may set it
  /// Name and version of each library the kernels use, in order ("libjpeg-turbo", "2.1.5").
  std::vector<std::pair<std::string, std::string>> libraries;
  std::string date;     // UTC, ISO 8601, when the run started
  std::string command;  // how the samples were made ("servesim calib bench --quick")
  int warmup = 0;       // untimed calls before the timed ones, per item
  int repeats = 0;      // timed calls per item
  std::string cache;    // "warm" or "cold" per-image calls (BenchPlan::cold); empty: not a bench
  double seconds = 0;   // wall time of the whole run
};

/// This machine now: CPU, cores, OS, the versions of libjpeg-turbo, OpenCV, Eigen and the
/// compiler calib was built with, and the current date.
MachineInfo this_machine();

/// machine.yaml text; read_machine reads it back.
std::string machine_yaml(const MachineInfo& m);
/// Reads machine.yaml (every key checked; errors are ConfigError with file:line:col). Only
/// machine.cpu is required, so a file written by hand for another machine is short.
MachineInfo read_machine(const std::filesystem::path& path);

/// CPU seconds the whole machine has spent busy (/proc/stat; -1 when unknown) and this
/// process's own: over a stretch of wall time, their difference is what other processes used.
struct CpuClock {
  double machine_busy_s = -1;
  double self_s = 0;
};
CpuClock cpu_clock();

/// The cores other processes used between the clocks `c0` and `c1`, `wall_s` apart; -1 when
/// the system cannot say.
double other_load(const CpuClock& c0, const CpuClock& c1, double wall_s);

/// While it lives, the CPUs are held out of deep idle: PM QoS, 0 written to
/// /dev/cpu_dma_latency (the cpuidle governor then polls instead of halting), as tuned's
/// latency-performance profile does. A loaded node's cores rarely sleep, but an isolated
/// ping-pong microbenchmark sleeps at every message, and waking a halted CPU (on a VM, a halted
/// vCPU) costs tens of us the model does not simulate. Never throws: without the device or the
/// right to write it, nothing is held and why_not() says so.
class ShallowIdle {
 public:
  explicit ShallowIdle(bool want = true);
  ~ShallowIdle();
  ShallowIdle(const ShallowIdle&) = delete;
  ShallowIdle& operator=(const ShallowIdle&) = delete;
  bool held() const { return fd_ >= 0; }
  /// One line for the report: what is held, or why not.
  std::string describe() const;

 private:
  int fd_ = -1;
  std::string why_not_;
};

/// Whether a thread's CPU time (schedstat, CLOCK_THREAD_CPUTIME_ID) includes the softirq work
/// done on its stack, which /proc/stat also counts as softirq time: yes when the running kernel
/// was built without CONFIG_IRQ_TIME_ACCOUNTING (from /boot/config-RELEASE or /proc/config.gz).
enum class SoftirqInThreadTime { kYes, kNo, kUnknown };
SoftirqInThreadTime softirq_in_thread_time();

/// "Intel(R) Core(TM) i9-13900K (32 cores); libjpeg-turbo 2.1.5, OpenCV 4.6.0, ...; 2026-11-23"
/// for a curve's source line.
std::string machine_summary(const MachineInfo& m);

}  // namespace servesim::calib
