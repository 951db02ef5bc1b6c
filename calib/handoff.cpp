#include "calib/handoff.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace servesim::calib {

std::vector<double> measure_handoffs(int n, double work_s) {
  if (n < 1 || !(work_s >= 0)) throw std::invalid_argument("handoffs: n >= 1, work >= 0");
  using Clock = std::chrono::steady_clock;
  std::mutex mu;
  std::condition_variable cv[2];
  int turn = -1;  // whose turn it is; -1 before the start
  bool stop = false;
  Clock::time_point handed;
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(n));
  const auto work =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(work_s));

  auto player = [&](int me) {
    std::unique_lock lk(mu);
    for (;;) {
      cv[me].wait(lk, [&] { return stop || turn == me; });
      if (stop) return;
      out.push_back(std::chrono::duration<double>(Clock::now() - handed).count());
      if (static_cast<int>(out.size()) >= n) {
        stop = true;
        lk.unlock();
        cv[1 - me].notify_one();
        return;
      }
      lk.unlock();
      const auto t0 = Clock::now();
      while (Clock::now() - t0 < work) {
      }
      lk.lock();
      turn = 1 - me;
      handed = Clock::now();
      lk.unlock();  // as the pipeline does: release, then notify
      cv[1 - me].notify_one();
      lk.lock();
    }
  };
  std::thread a(player, 0), b(player, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // both asleep
  {
    std::lock_guard lk(mu);
    turn = 0;
    handed = Clock::now();
  }
  cv[0].notify_one();
  a.join();
  b.join();
  return out;
}

}  // namespace servesim::calib
