#include "sim/config/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace servesim {

ProgressBar::ProgressBar(std::ostream& err, bool enabled, std::chrono::duration<double> delay)
    : err_(err), enabled_(enabled), start_(std::chrono::steady_clock::now()), delay_(delay) {}

ProgressBar::~ProgressBar() { finish(); }

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

bool ProgressBar::on_terminal(const std::ostream& err) {
  return &err == &std::cerr && stderr_is_terminal();
}

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::line(const std::string& what, std::size_t done, std::size_t total,
                              const std::string& unit, double elapsed_s, double eta_s) {
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * static_cast<double>(std::min(done, total)) /
                                      static_cast<double>(std::max<std::size_t>(total, 1)));
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %s [%s%s] %zu/%zu %s  %.1f s  ETA %.0f s", what.c_str(),
                std::string(static_cast<std::size_t>(filled), '=').c_str(),
                std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(), done, total,
                unit.c_str(), elapsed_s, eta_s);
  return buf;
}

void ProgressBar::update(std::size_t done, std::size_t total, const std::string& what,
                         const std::string& unit, std::size_t done_before) {
  if (!enabled_) return;
  const std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (what != what_) {  // a new phase: its pace is its own
    what_ = what;
    phase_start_ = now;
  }
  const double spent = elapsed();
  if (spent < delay_.count()) return;
  const double in_phase = std::chrono::duration<double>(now - phase_start_).count();
  const std::size_t now_done = done > done_before ? done - done_before : 0;
  const double eta = now_done > 0 && total > done ? in_phase / static_cast<double>(now_done) *
                                                        static_cast<double>(total - done)
                                                  : 0;
  err_ << "\r\033[K" << line(what, done, total, unit, spent, eta) << std::flush;
  drawn_ = true;
}

void ProgressBar::finish(bool keep) {
  const std::lock_guard lock(mu_);
  if (!drawn_) return;
  err_ << (keep ? "\n" : "\r\033[K") << std::flush;
  drawn_ = false;
}

bool ProgressBar::drawn() const {
  const std::lock_guard lock(mu_);
  return drawn_;
}

}  // namespace servesim
