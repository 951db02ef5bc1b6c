#include "validate/handoff.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace servesim::validate {

std::vector<double> measure_handoffs(int n, double work_s) {
  if (n < 1 || !(work_s >= 0)) throw std::invalid_argument("handoffs: n >= 1, work >= 0");
  using Clock = std::chrono::steady_clock;
  // Each side has its own mailbox (a mutex, a condition variable, a flag), as each of the
  // pipeline's queues has its own: a hand-off locks the other side's mutex, raises its flag,
  // unlocks, and notifies; then the hander sleeps on its own. The clock starts when the flag is
  // raised.
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    bool full = false;
    Clock::time_point handed;
  };
  Mailbox box[2];
  std::mutex out_mu;
  bool stop = false;  // guarded by out_mu
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(n));
  const auto work =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(work_s));

  auto hand_to = [&](Mailbox& b) {
    {
      std::lock_guard lk(b.mu);
      b.full = true;
      b.handed = Clock::now();
    }
    b.cv.notify_one();
  };
  auto player = [&](int me) {
    Mailbox& mine = box[me];
    Mailbox& other = box[1 - me];
    for (;;) {
      Clock::time_point handed;
      {
        std::unique_lock lk(mine.mu);
        mine.cv.wait(lk, [&] { return mine.full; });
        mine.full = false;
        handed = mine.handed;
      }
      const auto woke = Clock::now();
      {
        std::lock_guard lk(out_mu);
        if (stop) return;
        out.push_back(std::chrono::duration<double>(woke - handed).count());
        if (static_cast<int>(out.size()) >= n) stop = true;
      }
      const auto t0 = Clock::now();
      while (Clock::now() - t0 < work) {
      }
      hand_to(other);  // after stop: wakes the other so that it sees stop and returns
      {
        std::lock_guard lk(out_mu);
        if (stop) return;
      }
    }
  };
  std::thread a(player, 0), b(player, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // both asleep
  hand_to(box[0]);
  a.join();
  b.join();
  return out;
}

}  // namespace servesim::validate
