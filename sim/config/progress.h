#pragma once
/// The one progress bar of every verb that works for long (sweep, plan, run, amdahl, calib
/// bench): "  sweep [=========           ] 3/10 points  1.2 s  ETA 3 s" on stderr, redrawn in
/// place. It draws only on a terminal, only when not silenced (-q), and only once the work has
/// run for a second: short work and logs are left alone (docs/outputs.md).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>

namespace servesim {

class ProgressBar {
 public:
  /// Draws on `err` when `enabled` (callers pass !quiet && stderr_is_terminal()), from `delay`
  /// after its construction on.
  explicit ProgressBar(std::ostream& err, bool enabled,
                       std::chrono::duration<double> delay = std::chrono::seconds(1));
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// `done` of `total` `unit` (e.g. "points") of `what` (e.g. "sweep"); the ETA is the pace of
  /// the units done since `done_before` (those done by an earlier run) since `what` last changed
  /// (a new phase starts its own count). Safe from any thread.
  void update(std::size_t done, std::size_t total, const std::string& what, const std::string& unit,
              std::size_t done_before = 0);
  /// Erases the bar, or with `keep`, ends its line so that it stays; nothing if none was drawn.
  void finish(bool keep = false);
  /// Whether a bar is on the terminal's last line, with no newline after it.
  bool drawn() const;

  /// Whether the process's stderr is a terminal.
  static bool stderr_is_terminal();
  /// Whether a verb that gets `err` from sim/cli's shared options draws a bar on it: `err` is
  /// std::cerr (under -q it is another stream) and a terminal.
  static bool on_terminal(const std::ostream& err);
  /// The bar's text (no carriage return): the drawn line, and what a log may print instead.
  static std::string line(const std::string& what, std::size_t done, std::size_t total,
                          const std::string& unit, double elapsed_s, double eta_s);
  /// Seconds since the bar was made.
  double elapsed() const;

 private:
  std::ostream& err_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::duration<double> delay_;
  mutable std::mutex mu_;
  bool drawn_ = false;
  std::string what_;  // the phase drawn last; its start, for the ETA
  std::chrono::steady_clock::time_point phase_start_;
};

}  // namespace servesim
