// Fuzz target: the image-size CSV a scenario names (`workload: {images: {csv: FILE}}`), read as
// `servesim run` reads it, through the scenario loader. Input: the CSV file.

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "sim/scenario/scenario.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

/// A valid scenario (an M/M/1 queue) whose only variable part is the CSV beside it.
const std::filesystem::path& scenario_file() {
  static const std::filesystem::path file = servesim::fuzz::write_scratch(
      "scenario.yaml",
      "seed: 1\n"
      "run: {duration: 10s, warmup: 1s, replications: 1}\n"
      "workload: {mode: open, rate: 80/s, arrival: poisson, images: {csv: sizes.csv}}\n"
      "node: {cpu: {cores: 1}}\n"
      "pipeline: [{name: server, device: cpu, instances: 1, service: {dist: exponential, "
      "mean: 10ms}}]\n");
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& file = scenario_file();
  servesim::fuzz::write_scratch("sizes.csv", servesim::fuzz::as_text(data, size));
  servesim::fuzz::run_reader([&] { (void)servesim::load_scenario(file, {}); });
  return 0;
}
