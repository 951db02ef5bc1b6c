/// Hold-model benchmark: servesim's Simulator/EventQueue beside a bare binary heap, same process.
///
/// The classic hold model keeps P events pending; each hold pops the earliest and schedules one
/// new event at now + Exp(mean 1000 ns). Both loops draw the same increments from the same
/// servesim::Rng stream and break ties by insertion order, so they pop the same sequence and end
/// at the same clock (checked). See docs/performance.md for the command and the results.
///
///   hold_bench [--holds N] [--reps R] [--sizes 1000,10000,100000] [--table]
///
/// --table draws the increments once into a table that both loops read in turn, so the timing
/// isolates the event set from the cost of sampling (log()).

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/random.h"
#include "sim/core/simulator.h"
#include "sim/core/time.h"

namespace {

using servesim::Time;

constexpr double kMeanIncrementNs = 1000.0;
constexpr std::size_t kTableSize = std::size_t{1} << 20;  // 8 MiB of increments in --table mode

/// Where the increments come from: sampled as the loop goes, or read from a table.
class Increments {
 public:
  Increments(bool table, std::uint64_t seed)
      : dist_(
            servesim::Distribution::make(servesim::DistKind::kExponential, kMeanIncrementNs, 1.0)),
        rng_(servesim::Rng::stream(seed, 0, "hold_bench", "increment")) {
    if (table) {
      table_.resize(kTableSize);
      for (Time& t : table_) t = servesim::sample_to_time(dist_.sample(rng_));
    }
  }
  Time next() {
    if (!table_.empty()) {
      const Time t = table_[pos_];
      pos_ = (pos_ + 1) & (kTableSize - 1);
      return t;
    }
    return servesim::sample_to_time(dist_.sample(rng_));
  }

 private:
  servesim::Distribution dist_;
  servesim::Rng rng_;
  std::vector<Time> table_;
  std::size_t pos_ = 0;
};

struct Outcome {
  double seconds = 0;
  Time final_clock = 0;
};

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The servesim side: one handler that reschedules itself on every event.
class Holder final : public servesim::EventHandler {
 public:
  Holder(servesim::Simulator& sim, Increments& inc, std::uint64_t holds)
      : sim_(sim), inc_(inc), left_(holds) {}
  void on_event(std::uint32_t, std::uint64_t) override {
    sim_.schedule_in(inc_.next(), *this, 0);
    if (--left_ == 0) sim_.stop();
  }

 private:
  servesim::Simulator& sim_;
  Increments& inc_;
  std::uint64_t left_;
};

Outcome run_servesim(std::size_t pending, std::uint64_t holds, bool table) {
  Increments inc(table, 42);
  servesim::Simulator sim;
  sim.queue().reserve(pending + 1);
  Holder h(sim, inc, holds);
  for (std::size_t i = 0; i < pending; ++i) sim.schedule_at(inc.next(), h, 0);
  const auto t0 = Clock::now();
  sim.run_until(servesim::kTimeMax);
  return {since(t0), sim.now()};
}

/// The bare side: a vector of {time, seq} kept as a heap by std::push_heap / std::pop_heap.
struct Key {
  Time time;
  std::uint64_t seq;
};

Outcome run_bare(std::size_t pending, std::uint64_t holds, bool table) {
  Increments inc(table, 42);
  const auto later = [](const Key& a, const Key& b) {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  };
  std::vector<Key> heap;
  heap.reserve(pending + 1);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    heap.push_back({inc.next(), seq++});
    std::push_heap(heap.begin(), heap.end(), later);
  }
  Time now = 0;
  const auto t0 = Clock::now();
  for (std::uint64_t i = 0; i < holds; ++i) {
    std::pop_heap(heap.begin(), heap.end(), later);
    now = heap.back().time;
    heap.pop_back();
    heap.push_back({now + inc.next(), seq++});
    std::push_heap(heap.begin(), heap.end(), later);
  }
  return {since(t0), now};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::uint64_t parse_count(std::string_view s) {
  // Accepts plain integers and 1e7-style powers of ten.
  std::uint64_t mant = 0, exp = 0;
  const auto e = s.find_first_of("eE");
  const auto head = s.substr(0, e);
  if (std::from_chars(head.data(), head.data() + head.size(), mant).ec != std::errc{} || mant == 0)
    throw std::invalid_argument("not a positive count: " + std::string(s));
  if (e != std::string_view::npos) {
    const auto tail = s.substr(e + 1);
    if (std::from_chars(tail.data(), tail.data() + tail.size(), exp).ec != std::errc{} || exp > 18)
      throw std::invalid_argument("not a positive count: " + std::string(s));
  }
  for (std::uint64_t i = 0; i < exp; ++i) mant *= 10;
  return mant;
}

struct Options {
  std::uint64_t holds = 10'000'000;
  int reps = 5;
  std::vector<std::size_t> sizes{1'000, 10'000, 100'000};
  bool table = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--holds") {
      o.holds = parse_count(value());
    } else if (a == "--reps") {
      o.reps = static_cast<int>(parse_count(value()));
    } else if (a == "--sizes") {
      o.sizes.clear();
      std::string_view list = value();
      while (!list.empty()) {
        const auto comma = list.find(',');
        o.sizes.push_back(parse_count(list.substr(0, comma)));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else if (a == "--table") {
      o.table = true;
    } else {
      throw std::invalid_argument(
          "usage: hold_bench [--holds N] [--reps R] [--sizes a,b,c] [--table]");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hold_bench: %s\n", e.what());
    return 2;
  }
  const double holds = static_cast<double>(o.holds);
  std::printf("hold model: %llu holds per run, %d repetitions, increments %s (Exp, mean %.0f ns)\n",
              static_cast<unsigned long long>(o.holds), o.reps,
              o.table ? "from a table" : "sampled live", kMeanIncrementNs);
  std::printf("%10s  %14s  %14s  %16s\n", "pending", "servesim Mev/s", "bare Mev/s",
              "servesim/bare");
  std::vector<std::string> lines;
  int status = 0;
  for (const std::size_t p : o.sizes) {
    std::vector<double> sv, bv, ratio;
    for (int r = 0; r < o.reps; ++r) {
      // Alternate which runs first so that a burst of noise does not favour one side.
      Outcome s, b;
      if (r % 2 == 0) {
        s = run_servesim(p, o.holds, o.table);
        b = run_bare(p, o.holds, o.table);
      } else {
        b = run_bare(p, o.holds, o.table);
        s = run_servesim(p, o.holds, o.table);
      }
      if (s.final_clock != b.final_clock) {
        std::fprintf(stderr, "hold_bench: the two loops disagree (clock %lld vs %lld) at P=%zu\n",
                     static_cast<long long>(s.final_clock), static_cast<long long>(b.final_clock),
                     p);
        status = 1;
      }
      sv.push_back(holds / s.seconds);
      bv.push_back(holds / b.seconds);
      ratio.push_back(s.seconds / b.seconds);  // time ratio: > 1 means servesim is slower
    }
    const double s_med = median(sv), b_med = median(bv), r_med = median(ratio);
    const auto [r_min, r_max] = std::minmax_element(ratio.begin(), ratio.end());
    std::printf("%10zu  %14.2f  %14.2f  %9.2fx [%.2f-%.2f]\n", p, s_med * 1e-6, b_med * 1e-6, r_med,
                *r_min, *r_max);
    char buf[400];
    std::snprintf(
        buf, sizeof buf,
        "{\"bench\":\"hold\",\"pending\":%zu,\"holds\":%llu,\"reps\":%d,\"increments\":\"%s\","
        "\"servesim_events_per_s\":%.0f,\"bare_events_per_s\":%.0f,\"ratio_servesim_over_bare\":%."
        "3f,"
        "\"ratio_min\":%.3f,\"ratio_max\":%.3f}",
        p, static_cast<unsigned long long>(o.holds), o.reps, o.table ? "table" : "live", s_med,
        b_med, r_med, *r_min, *r_max);
    lines.emplace_back(buf);
  }
  std::printf(
      "(medians over repetitions; the ratio is the median of per-repetition time ratios, "
      "[min-max] across repetitions)\n");
  for (const auto& l : lines) std::printf("%s\n", l.c_str());
  return status;
}
