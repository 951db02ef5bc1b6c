// `run`: how long and how often to simulate.

#include "sim/scenario/sections.h"

namespace servesim {

const Table<RunParams>& run_keys() {
  static const Table<RunParams> table{
      "",
      {},
      {
          {.key = "duration",
           .type = duration_type(),
           .at = &RunParams::duration,
           .emit = Emit::kUnlessDefault,
           .help = "simulated time per replication, warm-up included",
           .doc_default = "—"},
          {.key = "requests",
           .type = integer_type(1, 9007199254740992.0),
           .at = &RunParams::requests,
           .emit = Emit::kUnlessDefault,
           .help = "or/and: stop after this many completions past warm-up",
           .doc_default = "—"},
          {.key = "warmup",
           .type = duration_type(true),
           .at = &RunParams::warmup,
           .help = "statistics before this time are discarded; must be < `duration`"},
          {.key = "replications",
           .type = integer_type(1, 100000),
           .at = &RunParams::replications,
           .help = "independent replications; the 95% intervals need >= 2"},
          {.key = "max_in_system",
           .type = integer_type(1, 100'000'000),
           .at = &RunParams::max_in_system,
           .help = "cap on requests held at once (in the nodes and at the balancer); arrivals "
                   "beyond it are dropped and the run is flagged unstable (memory stays "
                   "bounded)"},
          {.key = "interval",
           .type = duration_type(),
           .at = &RunParams::interval,
           .emit = Emit::kUnlessDefault,
           .help = "a time series over the measured time, one window per interval from the end "
                   "of warm-up (results JSON `timeseries`: offered and served rate, latency "
                   "percentiles, requests inside, nodes serving); needs `duration`, at most 10,000 "
                   "windows",
           .doc_default = "none"},
      }};
  return table;
}

RunParams parse_run(MapReader r) {
  RunParams p = run_keys().defaults;
  read_keys(r, run_keys(), p);
  r.finish();
  // Rules that span keys.
  if (p.duration == 0 && p.requests == 0)
    r.fail("duration", "the run needs an end: set run.duration (e.g. 600s) and/or run.requests");
  if (p.duration > 0 && p.warmup >= p.duration)
    r.fail("warmup", "run.warmup (" + format_duration(p.warmup) +
                         ") must be shorter than run.duration (" + format_duration(p.duration) +
                         ")");
  if (p.interval > 0) {
    if (p.duration == 0)
      r.fail("interval", "a time series needs run.duration: its windows run from warm-up to it");
    const Time measured = p.duration - p.warmup;  // > 0: checked above
    const std::int64_t windows = (measured - 1) / p.interval + 1;
    if (windows > kMaxSeriesWindows)
      r.fail("interval", "run.interval " + format_duration(p.interval) + " makes " +
                             std::to_string(windows) + " windows of the measured " +
                             format_duration(p.duration - p.warmup) + "; at most " +
                             std::to_string(kMaxSeriesWindows) + ": lengthen it");
  }
  return p;
}

Json run_json(const RunParams& p) {
  Json j;
  emit_keys(j, run_keys(), p);
  return j;
}

}  // namespace servesim
