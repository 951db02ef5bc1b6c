// node.pcie.topology (a tree of PCIe links with the GPUs on its ports) and node.memory: what is
// read, what the resolved config writes back, and each mistake a located error naming its key.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::config_error;
using test::line_of;

/// Two GPUs on a desktop board's CPU slots, a chipset slot left free, and host memory.
const std::string kTree =
    "run: {duration: 1s}\n"
    "workload: {mode: open, rate: 10/s}\n"
    "node:\n"
    "  cpu: {cores: 2}\n"
    "  gpus: {count: 2}\n"
    "  pcie:\n"
    "    topology:\n"
    "      - {name: cpu_x16, bandwidth: 51GB/s, latency: 1us}\n"
    "      - name: slot1\n"
    "        parent: cpu_x16\n"
    "        bandwidth: 25.6GB/s\n"
    "        latency: 5us\n"
    "        bifurcation: {with: slot2, bandwidth: 12.8GB/s}\n"
    "      - {name: slot2, parent: cpu_x16, bandwidth: 12.8GB/s, latency: 5us}\n"
    "      - {name: dmi, bandwidth: 16GB/s, latency: 1us}\n"
    "      - {name: chipset_slot1, parent: dmi, bandwidth: 8GB/s, latency: 5us}\n"
    "    gpu_ports: [slot1, slot2, chipset_slot1]\n"
    "    source: test\n"
    "  memory: {bandwidth: 60GB/s, source: test}\n"
    "pipeline: [{name: h2d, device: pcie, direction: to_gpu}]\n";

/// kTree with the first `from` replaced by `to`.
std::string edit(const std::string& from, const std::string& to) {
  std::string text = kTree;
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

/// The error `text` must give: its key, the line of `needle` in `text`, and part of its message.
void expect_error(const std::string& text, const std::string& key, const std::string& needle,
                  const std::string& said) {
  const ConfigError e = config_error([&] { test::parse(text); });
  CHECK(e.key() == key);
  CHECK(e.mark().line == line_of(text, needle));
  CHECK_THAT(e.message(), Contains(said));
}

}  // namespace

TEST_CASE("a PCIe topology is read with parents, bifurcation and ports as indices", "[unit]") {
  const ScenarioParams p = test::parse(kTree);
  const PcieParams& pc = p.node.pcie;
  REQUIRE(pc.topology.size() == 5);
  CHECK(pc.topology[0].parent == -1);
  CHECK(pc.topology[1].parent == 0);
  CHECK(pc.topology[1].link.bytes_per_s == 25.6e9);
  CHECK(pc.topology[1].link.latency == us(5));
  CHECK(pc.topology[1].narrow_with == 2);
  CHECK(pc.topology[1].narrow_bytes_per_s == 12.8e9);
  CHECK(pc.topology[2].narrow_with == -1);
  CHECK(pc.topology[4].parent == 3);
  CHECK(pc.gpu_ports == std::vector<int>{1, 2, 4});
  CHECK(pc.host_link.bytes_per_s == 0);  // the other form stays empty
  CHECK(p.node.memory.bytes_per_s == 60e9);
}

TEST_CASE("the resolved config writes the topology and memory back, and reads the same", "[unit]") {
  const ScenarioParams p = test::parse(kTree);
  const auto j = resolved_config(p);
  const auto& pcie = j["node"]["pcie"];
  CHECK(pcie["gpu_ports"].dump() == R"(["slot1","slot2","chipset_slot1"])");
  CHECK(pcie["topology"][1].dump() ==
        R"({"name":"slot1","parent":"cpu_x16","bandwidth":"25.6GB/s","latency":"5us",)"
        R"("bifurcation":{"with":"slot2","bandwidth":"12.8GB/s"}})");
  CHECK(pcie["topology"][0].dump() == R"({"name":"cpu_x16","bandwidth":"51GB/s","latency":"1us"})");
  CHECK(j["node"]["memory"].dump() == R"({"bandwidth":"60GB/s"})");
  // Read back, it is the same node.
  const ScenarioParams q = parse_scenario(parse_yaml(j.dump(), "<resolved>"));
  CHECK(resolved_config(q).dump() == j.dump());
  // The old form writes no topology and, without node.memory, no memory.
  const std::string flat =
      edit(kTree.substr(kTree.find("    topology:"),
                        kTree.find("    source: test") - kTree.find("    topology:")),
           "    host_link: {bandwidth: 32GB/s}\n"
           "    gpu_link: {bandwidth: 16GB/s}\n");
  const auto k = resolved_config(test::parse(flat, {"node.memory.bandwidth=1GB/s"}));
  CHECK(k["node"]["pcie"].dump() == R"({"host_link":{"bandwidth":"32GB/s","latency":"0s"},)"
                                    R"("gpu_link":{"bandwidth":"16GB/s","latency":"0s"}})");
}

TEST_CASE("a link of the topology is reached by its name with --set", "[unit]") {
  const ScenarioParams p = test::parse(kTree, {"node.pcie.topology.slot1.bandwidth=50GB/s"});
  CHECK(p.node.pcie.topology[1].link.bytes_per_s == 50e9);
}

TEST_CASE("a parent that names no link is an error at the parent", "[unit]") {
  expect_error(edit("parent: cpu_x16\n", "parent: cpu_x61\n"), "node.pcie.topology.slot1.parent",
               "parent: cpu_x61", "did you mean 'cpu_x16'?");
}

TEST_CASE("parents that form a cycle are an error at the cycle's first link", "[unit]") {
  const std::string text = edit("{name: dmi, bandwidth",
                                "{name: dmi, parent: chipset_slot1, "
                                "bandwidth");
  expect_error(text, "node.pcie.topology.dmi.parent", "name: dmi",
               "cycle (dmi -> chipset_slot1 -> dmi)");
  // A link that is its own parent is the shortest cycle.
  const std::string self = edit("{name: dmi, bandwidth", "{name: dmi, parent: dmi, bandwidth");
  expect_error(self, "node.pcie.topology.dmi.parent", "name: dmi", "(dmi -> dmi)");
}

TEST_CASE("two links of one name are an error at the second", "[unit]") {
  expect_error(edit("{name: dmi,", "{name: slot2,"), "node.pcie.topology[3].name",
               "{name: slot2, bandwidth: 16GB/s", "two links are named 'slot2'");
}

TEST_CASE("a link name with a dot is refused: --set could not reach it", "[unit]") {
  expect_error(edit("{name: dmi,", "{name: d.mi,"), "node.pcie.topology[3].name", "d.mi",
               "without spaces, dots");
}

TEST_CASE("a GPU port that is not a link is an error at the port", "[unit]") {
  const std::string text = edit("[slot1, slot2,", "[slot1, slot3,");
  expect_error(text, "node.pcie.gpu_ports", "gpu_ports",
               "no link of node.pcie.topology is named "
               "'slot3'");
}

TEST_CASE("two GPUs on one port are an error: a slot holds one card", "[unit]") {
  expect_error(edit("[slot1, slot2,", "[slot1, slot1,"), "node.pcie.gpu_ports", "gpu_ports",
               "GPUs 0 and 1 are both on 'slot1'");
}

TEST_CASE("more GPUs than ports says how many ports there are and what to do", "[unit]") {
  const ConfigError e = config_error([&] { test::parse(kTree, {"node.gpus.count=4"}); });
  CHECK(e.key() == "node.pcie.gpu_ports");
  CHECK(e.mark().line == line_of(kTree, "gpu_ports"));
  CHECK_THAT(e.message(), Contains("has 3 port(s) but node.gpus.count is 4"));
  CHECK_THAT(e.message(), Contains("--set node.gpus.count must be at most 3"));
  CHECK_THAT(e.message(), Contains("declare more ports"));
  CHECK_NOTHROW(test::parse(kTree, {"node.gpus.count=3"}));
}

TEST_CASE("a link's bandwidth below 1 kB/s or not above 0 is an error at the bandwidth", "[unit]") {
  expect_error(edit("bandwidth: 16GB/s", "bandwidth: 999B/s"), "node.pcie.topology.dmi.bandwidth",
               "999B/s", "slower than 1 kB/s");
  CHECK_NOTHROW(test::parse(edit("bandwidth: 16GB/s", "bandwidth: 1kB/s")));
  const ConfigError zero = config_error([&] { test::parse(edit("16GB/s", "0GB/s")); });
  CHECK(zero.key() == "node.pcie.topology.dmi.bandwidth");
  CHECK(zero.mark().line == line_of(kTree, "name: dmi"));
  expect_error(edit("bandwidth: 12.8GB/s}", "bandwidth: 0.5kB/s}"),
               "node.pcie.topology.slot1.bifurcation.bandwidth", "0.5kB/s", "slower than 1 kB/s");
  expect_error(edit("memory: {bandwidth: 60GB/s", "memory: {bandwidth: 10B/s"),
               "node.memory.bandwidth", "memory:", "slower than 1 kB/s");
}

TEST_CASE("a topology together with host_link or gpu_link is an error at the old key", "[unit]") {
  for (const std::string key : {"host_link", "gpu_link"}) {
    INFO(key);
    const std::string text =
        edit("    source: test\n", "    source: test\n    " + key + ": {bandwidth: 25GB/s}\n");
    expect_error(text, "node.pcie." + key, key + ":", "replaces host_link and gpu_link");
  }
  // The --set of the old form's guide says where the link is now.
  const ConfigError e =
      config_error([&] { test::parse(kTree, {"node.pcie.gpu_link.bandwidth=50GB/s"}); });
  CHECK(e.key() == "node.pcie.gpu_link");
  CHECK_THAT(e.mark().file, Contains("--set #1"));
  CHECK_THAT(e.message(), Contains("node.pcie.topology.NAME.bandwidth"));
}

TEST_CASE("gpu_ports without a topology, or a topology without gpu_ports, is an error", "[unit]") {
  const std::string flat =
      "run: {duration: 1s}\n"
      "workload: {mode: open, rate: 10/s}\n"
      "node:\n"
      "  cpu: {cores: 2}\n"
      "  gpus: {count: 1}\n"
      "  pcie:\n"
      "    host_link: {bandwidth: 32GB/s}\n"
      "    gpu_link: {bandwidth: 16GB/s}\n"
      "    gpu_ports: [a]\n"
      "pipeline: [{name: h2d, device: pcie, direction: to_gpu}]\n";
  expect_error(flat, "node.pcie.gpu_ports", "gpu_ports", "give topology too");
  const ConfigError e = config_error(
      [&] { test::parse(edit("    gpu_ports: [slot1, slot2, chipset_slot1]\n", "")); });
  CHECK(e.key() == "node.pcie.gpu_ports");
  CHECK(e.mark().line == line_of(kTree, "  pcie:"));
}

TEST_CASE("a bifurcation with a link that does not exist, or with itself, is an error", "[unit]") {
  expect_error(edit("{with: slot2,", "{with: slot9,"), "node.pcie.topology.slot1.bifurcation.with",
               "slot9", "no link of node.pcie.topology is named 'slot9'");
  expect_error(edit("{with: slot2,", "{with: slot1,"), "node.pcie.topology.slot1.bifurcation.with",
               "{with: slot1", "cannot bifurcate with itself");
  expect_error(edit("bandwidth: 12.8GB/s}\n", "bandwidth: 30GB/s}\n"),
               "node.pcie.topology.slot1.bifurcation.bandwidth", "bifurcation:", "trains narrower");
}

TEST_CASE("an empty topology, or a link of unknown keys, is an error", "[unit]") {
  const ConfigError empty = config_error([&] {
    test::parse(edit(kTree.substr(kTree.find("      - {name: cpu_x16"),
                                  kTree.find("    gpu_ports") - kTree.find("      - {name: cpu")),
                     "      []\n"));
  });
  CHECK(empty.key() == "node.pcie.topology");
  CHECK_THAT(empty.message(), Contains("non-empty list of links"));
  expect_error(edit("latency: 1us}", "latency: 1us, width: 16}"),
               "node.pcie.topology.cpu_x16.width", "width", "unknown key");
}

}  // namespace servesim
