// Tests of calib's machine record: machine.yaml reads back to what was written, this machine is
// described, and a hand-written file with a mistake is an error at its line and column.

#include <catch2/catch.hpp>

#include "calib/machine.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("machine.yaml reads back to the machine that was written", "[unit]") {
  MachineInfo m = this_machine();
  CHECK(!m.cpu.empty());
  CHECK(m.cores >= 1);
  REQUIRE(m.libraries.size() >= 3);
  CHECK(m.libraries[0].first == "libjpeg-turbo");
  CHECK(!m.libraries[0].second.empty());
  CHECK(m.date.size() == 20);  // 2026-11-23T01:02:03Z
  m.gpu = "NVIDIA \"Test\" GPU: 24GB";
  m.command = "servesim calib bench";
  m.warmup = 2;
  m.repeats = 15;
  m.cache = "cold";
  m.seconds = 61.25;
  test::TempDir dir;
  const MachineInfo b = read_machine(dir.write("machine.yaml", machine_yaml(m)));
  CHECK(b.cpu == m.cpu);
  CHECK(b.cores == m.cores);
  CHECK(b.cpu_mhz == m.cpu_mhz);
  CHECK(b.os == m.os);
  CHECK(b.gpu == m.gpu);
  CHECK(b.libraries == m.libraries);
  CHECK(b.date == m.date);
  CHECK(b.command == m.command);
  CHECK(b.warmup == 2);
  CHECK(b.repeats == 15);
  CHECK(b.cache == "cold");
  CHECK(b.seconds == 61.25);
  CHECK_THAT(machine_summary(b), Contains(m.cpu + " (" + std::to_string(m.cores) + " cores)"));
}

TEST_CASE("a hand-written machine.yaml needs only the CPU; mistakes point at their line",
          "[unit]") {
  test::TempDir dir;
  const MachineInfo m = read_machine(
      dir.write("m.yaml", "machine: {cpu: Xeon 8480, gpu: H100}\nlibraries: {nvjpeg: '12.3'}\n"));
  CHECK(m.cpu == "Xeon 8480");
  CHECK(m.gpu == "H100");
  CHECK(m.libraries == std::vector<std::pair<std::string, std::string>>{{"nvjpeg", "12.3"}});
  const auto p = dir.write("bad.yaml", "machine:\n  cpu: X\n  cores: -2\n");
  CHECK_THAT(test::config_error([&] { read_machine(p); }).what(),
             Contains(p.string() + ":3:10: error: 'machine.cores'"));
  const auto q = dir.write("typo.yaml", "machine:\n  cpu: X\n  corse: 2\n");
  CHECK_THAT(test::config_error([&] { read_machine(q); }).what(), Contains("did you mean 'cores'"));
  const auto c = dir.write("cache.yaml", "machine: {cpu: X}\nrun:\n  cache: luke\n");
  CHECK_THAT(test::config_error([&] { read_machine(c); }).what(),
             Contains(c.string() + ":3:10: error: 'run.cache'"));
  CHECK(
      read_machine(dir.write("old.yaml", "machine: {cpu: X}\nrun: {repeats: 5}\n")).cache.empty());
  const auto r = dir.write("nocpu.yaml", "machine: {cores: 2}\n");
  CHECK_THAT(test::config_error([&] { read_machine(r); }).what(), Contains("'machine.cpu'"));
}

}  // namespace
}  // namespace servesim::calib
