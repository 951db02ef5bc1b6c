// Fuzz target: calib's samples CSV reader (`servesim calib fit SAMPLES.csv`). Input: the CSV
// text. What it accepts must also survive a round trip: written out again (samples_csv) and read
// back, it writes the same text, as the writer promises ("numbers read back exactly").

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "calib/samples.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  servesim::fuzz::run_reader([&] {
    const auto samples =
        servesim::calib::parse_samples(servesim::fuzz::as_text(data, size), "fuzz.csv");
    const std::string once = servesim::calib::samples_csv(samples);
    const std::string twice =
        servesim::calib::samples_csv(servesim::calib::parse_samples(once, "rewritten.csv"));
    if (once != twice) {
      std::fprintf(stderr, "samples CSV round trip differs:\n%s\n---\n%s\n", once.c_str(),
                   twice.c_str());
      std::abort();
    }
    (void)servesim::calib::kernel_names(samples);
  });
  return 0;
}
