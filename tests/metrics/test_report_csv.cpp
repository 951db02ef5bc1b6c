// servesim run --csv: names a user chose (stages, and the resources and bottleneck named after
// them) are written as CSV cells, never as raw text that splits a row or runs in a spreadsheet.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/config/csv.h"
#include "sim/metrics/report.h"

namespace servesim {
namespace {

TEST_CASE("summary_csv quotes and formula-guards stage names, and reads back as written",
          "[unit]") {
  const std::string evil = "=HYPERLINK(\"http://x\",\"a,b\")";
  RunSummary s;
  s.stages.push_back(StageSummary{});
  s.stages.back().name = evil;
  s.resources.push_back(ResourceSummary{evil + ".instances", 1, 0.5, 1, 1000});
  s.bottleneck = evil + ".instances";
  WorkloadParams load;
  load.mode = WorkloadMode::kClosed;
  load.concurrency = 1;
  const std::string csv = summary_csv(s, load);
  const auto nl = csv.find('\n');
  REQUIRE(nl != std::string::npos);
  CHECK(csv.find('\n', nl + 1) == csv.size() - 1);  // two lines: a header and one row
  const auto head = split_csv(csv.substr(0, nl));
  const auto row = split_csv(csv.substr(nl + 1, csv.size() - nl - 2));
  REQUIRE(head.size() == row.size());
  CHECK(std::find(head.begin(), head.end(), evil + " Queue") != head.end());
  CHECK(std::find(head.begin(), head.end(), evil + ".instances Utilization") != head.end());
  CHECK(row[static_cast<std::size_t>(std::find(head.begin(), head.end(), "Bottleneck") -
                                     head.begin())] == evil + ".instances");
  // No cell of the file starts with '=' as a spreadsheet reads it.
  CHECK(csv.find("\n=") == std::string::npos);
  CHECK(csv.find(",=") == std::string::npos);
  CHECK(csv.find(",\"=") == std::string::npos);
}

}  // namespace
}  // namespace servesim
