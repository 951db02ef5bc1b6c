// Fuzz target: the readers of a result, as `servesim report RESULT.json` and `servesim compare A
// B` read it: the JSON parsed and rendered to HTML (html_report), and the file read as compare
// reads it (a servesim JSON result or a perf_analyzer-style CSV) and tabled. Input: the file.
// The JSON goes through parse_result, the syntax and schema check `report` makes before
// html_report sees it, so a document html_report is handed is one the schema accepted.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/app/compare.h"
#include "sim/app/html_report.h"
#include "sim/metrics/result_schema.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = servesim::fuzz::as_text(data, size);
  servesim::fuzz::run_reader([&] {
    const auto result = servesim::parse_result(text, "fuzz.json");  // as `report` reads it
    (void)servesim::html_report(result, "fuzz.json");
  });
  servesim::fuzz::run_reader([&] {
    const auto m = servesim::read_measurements(servesim::fuzz::write_scratch("result", text));
    (void)servesim::compare_table(m, "A", m, "B");
  });
  return 0;
}
