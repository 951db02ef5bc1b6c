// The one progress bar: nothing drawn when disabled or before its delay, the line redrawn in
// place once it is, erased (or kept) at the end, and an ETA at the pace of the current phase.
#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <thread>

#include "sim/config/progress.h"

namespace servesim {

TEST_CASE("the progress bar's line: the share done, counts, time spent and ETA", "[unit]") {
  CHECK(ProgressBar::line("sweep", 3, 10, "points", 1.25, 2.9) ==
        "  sweep [=========                     ] 3/10 points  1.2 s  ETA 3 s");
  CHECK(ProgressBar::line("plan", 0, 0, "configurations", 0, 0) ==
        "  plan [                              ] 0/0 configurations  0.0 s  ETA 0 s");
  CHECK(ProgressBar::line("x", 12, 10, "u", 0, 0).find("[==============================]") !=
        std::string::npos);
}

TEST_CASE("the progress bar draws nothing when disabled or before its delay", "[unit]") {
  std::ostringstream err;
  {
    ProgressBar off(err, false, std::chrono::seconds(0));
    off.update(1, 2, "run", "replications");
    off.finish(true);
    ProgressBar early(err, true, std::chrono::hours(1));
    early.update(1, 2, "run", "replications");
    CHECK(!early.drawn());
  }
  CHECK(err.str().empty());
}

TEST_CASE("the progress bar redraws in place, then erases or keeps its line", "[unit]") {
  std::ostringstream err;
  ProgressBar bar(err, true, std::chrono::seconds(0));
  bar.update(1, 4, "run", "replications");
  CHECK(bar.drawn());
  CHECK(err.str().rfind("\r\033[K  run [=======", 0) == 0);
  CHECK(err.str().find("1/4 replications") != std::string::npos);
  bar.finish();
  CHECK(!bar.drawn());
  CHECK(err.str().substr(err.str().size() - 4) == "\r\033[K");
  bar.update(2, 4, "run", "replications");
  bar.finish(true);
  CHECK(err.str().back() == '\n');
  const std::size_t size = err.str().size();
  bar.finish();  // nothing drawn: nothing to erase
  CHECK(err.str().size() == size);
}

}  // namespace servesim
