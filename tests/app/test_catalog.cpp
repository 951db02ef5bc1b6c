// The catalog (sim/app/catalog.h): `servesim list` and `servesim run --hardware --model`, whose
// worker and client counts follow the rule plan uses (scaled_workers), with bad names refused at
// their option (exit 2) and errors still pointing into the catalog's own files.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/plan.h"
#include "sim/scenario/scenario.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::cli;
using test::CliResult;

/// A composed run, short: 0.2 s of which 0.1 s warm-up, one replication.
std::vector<std::string> brief(std::vector<std::string> args) {
  for (const char* s : {"--set", "run.duration=0.2s", "--set", "run.warmup=0.1s", "--set",
                        "run.replications=1", "-j", "1"})
    args.emplace_back(s);
  return args;
}

/// The resolved config of a brief composed run.
nlohmann::json config_of(const std::vector<std::string>& args) {
  std::vector<std::string> a = brief(args);
  a.insert(a.end(), {"--json", "-"});
  const CliResult r = cli(a);
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(r.out)["config"];
}

int instances(const nlohmann::json& config, const std::string& stage) {
  for (const auto& s : config["pipeline"])
    if (s["name"] == stage) return s["instances"].get<int>();
  FAIL("no stage " << stage);
  return 0;
}

std::vector<std::string> names_in(const std::string& part) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(config_dir() / part))
    if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("list shows each part of the catalog: name, description and file", "[unit]") {
  const CliResult hw = cli({"list", "hardware"});
  CHECK(hw.code == 0);
  for (const auto& name : names_in("hardware")) {
    INFO(name);
    CHECK_THAT(hw.out, Contains("  " + name + " ") && Contains("[hardware/" + name + ".yaml]"));
  }
  CHECK_THAT(hw.out, Contains("EPYC 7313P (16 cores) + 1x NVIDIA L4"));
  const CliResult hosts = cli({"list", "hosts"});
  CHECK_THAT(hosts.out, Contains("  2xepyc-7742 ") && Contains("[hosts/epyc-7313p.yaml]"));
  const CliResult models = cli({"list", "models"});
  CHECK(models.code == 0);
  CHECK_THAT(models.out, Contains("  resnet50 ") && Contains("4.09 GFLOPs") &&
                             Contains("[models/resnet-50.yaml]") && Contains("  facenet "));
  const CliResult curves = cli({"list", "curves"});
  CHECK_THAT(curves.out, Contains("  l4 ") && Contains("A40-A42") && Contains("[curves/l4.yaml]"));
  // A scenario without a description: its first comment line.
  const CliResult sc = cli({"list", "scenarios"});
  CHECK_THAT(sc.out, Contains("  mm4 ") && Contains("README's minimal scenario"));
  const CliResult bad = cli({"list", "gpus"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err,
             Contains("'gpus'") && Contains("hardware, hosts, models, curves or scenarios"));
}

TEST_CASE("run --hardware --model scales the CPU workers and clients to the node by plan's rule",
          "[unit]") {
  // The templates were sized for the i9 node: 18 P-core equivalents, one GPU, frontend 8,
  // huffman 16 (GPU preprocessing) or decode and resize 16 (CPU), 256 clients.
  const nlohmann::json h100 = config_of({"run", "--hardware", "h100-node", "--model", "resnet50"});
  CHECK(instances(h100, "frontend") == 50);        // round(8 x 112 / 18) = round(49.8)
  CHECK(instances(h100, "huffman") == 100);        // round(16 x 112 / 18) = round(99.6)
  CHECK(instances(h100, "infer") == 2);            // per GPU, as the template has it
  CHECK(h100["workload"]["concurrency"] == 2048);  // 256 per GPU x 8
  CHECK(scaled_workers(16, 112, 18) == 100);
  const nlohmann::json l4 = config_of(
      {"run", "--hardware", "epyc-7313p-l4", "--model", "vit_base", "--preprocess", "cpu"});
  CHECK(instances(l4, "frontend") == 7);  // round(8 x 16 / 18) = round(7.1)
  CHECK(instances(l4, "decode") == 14);   // round(16 x 16 / 18) = round(14.2)
  CHECK(instances(l4, "resize") == 14);
  CHECK(l4["workload"]["concurrency"] == 256);
  // The model's curve and shapes, and DALI's GPU-Huffman route for images of >= 1 Mpx.
  const nlohmann::json large =
      config_of({"run", "--hardware", "2xxeon-8xa100", "--model", "tinyvit", "--images", "large"});
  CHECK(large["curves"].contains("tinyvit_trt"));
  CHECK_FALSE(large["curves"].contains("vit_base_trt"));
  CHECK(large["curves"].contains("nvjpeg_decode_gpu_huffman"));
  CHECK_FALSE(large["curves"].contains("dali_huffman_cpu"));
  // The user's --set wins over the rule.
  const nlohmann::json set = config_of({"run", "--hardware", "h100-node", "--model", "resnet50",
                                        "--set", "pipeline.huffman.instances=16"});
  CHECK(instances(set, "huffman") == 16);
}

TEST_CASE("plan --hardware --model plans the composed node, with --set applied once", "[unit]") {
  test::TempDir dir;
  const auto plan = [&](std::vector<std::string> extra) {
    std::vector<std::string> a{"plan",   "--hardware", "epyc-7313p-l4", "--model", "resnet50",
                               "--gpus", "1",          "--target-rate", "2000/s",  "--slo",
                               "p99=1s", "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return cli(brief(a));
  };
  // The L4 node's host has 16 cores (configs/hosts/epyc-7313p.yaml): plan tries them when not
  // told --cores, and a --set of the cores replaces them.
  const CliResult node = plan({});
  INFO(node.err);
  REQUIRE(node.code == 0);
  CHECK_THAT(node.out, Contains("(1 GPU, 16 CPU cores,"));
  const CliResult set = plan({"--set", "node.cpu.cores=12"});
  REQUIRE(set.code == 0);
  CHECK_THAT(set.out, Contains("(1 GPU, 12 CPU cores,"));
  // The page is titled with the composed scenario's name.
  const auto html = (dir.path() / "plan.html").string();
  REQUIRE(plan({"--out", html}).code == 0);
  std::ifstream f(html);
  const std::string page(std::istreambuf_iterator<char>(f), {});
  CHECK_THAT(page, Contains("<title>servesim: plan catalog epyc-7313p-l4 + resnet50 (medium"));
  // A scenario FILE and --hardware together: a usage error.
  const CliResult both = plan({"configs/scenarios/mm4.yaml"});
  CHECK(both.code == 2);
  CHECK_THAT(both.err, Contains("not both"));
}

TEST_CASE("sweep --hardware --model sweeps the composed scenario: its own point is run's",
          "[unit]") {
  test::TempDir dir;
  const auto csv = (dir.path() / "s.csv").string();
  const std::vector<std::string> choice{"--hardware", "epyc-7313p-l4", "--model", "resnet50"};
  std::vector<std::string> sweep{"sweep", "--grid", "node.cpu.cores=4,16", "--out", csv, "-q"};
  sweep.insert(sweep.end(), choice.begin(), choice.end());
  const CliResult s = cli(brief(sweep));
  INFO(s.err);
  REQUIRE(s.code == 0);
  std::ifstream lines(dir.path() / "s.jsonl");
  std::vector<nlohmann::json> points;  // each point's result, after the sweep's own line
  for (std::string line; std::getline(lines, line);)
    if (const auto j = nlohmann::json::parse(line); j.contains("result"))
      points.push_back(j["result"]);
  REQUIRE(points.size() == 2);
  // The node's own 16 cores: the point is the composed scenario itself, as run simulates it.
  std::vector<std::string> run{"run", "--json", "-"};
  run.insert(run.end(), choice.begin(), choice.end());
  const CliResult r = cli(brief(run));
  REQUIRE(r.code == 0);
  CHECK(points[1]["throughput_rps"] == nlohmann::json::parse(r.out)["throughput_rps"]);
  // 4 cores for 7 frontend and 14 Huffman threads sized to 16: the CPU is the bottleneck.
  CHECK(points[0]["bottleneck"] == "cpu");
  sweep.insert(sweep.begin() + 1, "configs/scenarios/mm4.yaml");
  CHECK(cli(sweep).code == 2);
}

TEST_CASE("the composed scenario's name heads the run summary", "[unit]") {
  const CliResult r = cli(brief({"run", "--hardware", "epyc-7313p-l4", "--model", "resnet50"}));
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Contains("servesim: catalog epyc-7313p-l4 + resnet50 (medium images, gpu "
                             "preprocessing, paper-vit-base-gpu's pipeline) --set "
                             "run.duration=0.2s"));
  CHECK_THAT(r.out, Contains("huffman                 14"));
}

TEST_CASE("names the catalog does not hold are refused at their option, with the closest",
          "[unit]") {
  struct Case {
    std::vector<std::string> args;
    std::string option, says;
  };
  const std::vector<Case> cases{
      {{"--hardware", "h100node", "--model", "resnet50"},
       "--hardware",
       "did you mean 'h100-node'?"},
      {{"--hardware", "h100-node", "--model", "resnet"}, "--model", "did you mean 'resnet50'?"},
      {{"--hardware", "h100-node", "--model", "resnet50", "--images", "medum"},
       "--images",
       "did you mean 'medium'?"},
      {{"--hardware", "h100-node", "--model", "resnet50", "--preprocess", "gpus"},
       "--preprocess",
       "did you mean 'gpu'?"},
      {{"--hardware", "epyc-2vcpu", "--model", "resnet50"}, "--hardware", "has no GPUs"},
      {{"--hardware", "2xxeon-8xa100", "--model", "facenet"},
       "--model",
       "has no inference curve 'facenet_trt'"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"run"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CliResult r = cli(args);
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains(c.option + ":1:1: error:") && Contains(c.says));
  }
  CHECK(cli({"run", "--hardware", "h100-node"}).code == 2);  // --model is needed
  CHECK(cli({"run", "x.yaml", "--hardware", "h100-node", "--model", "resnet50"}).code == 2);
}

TEST_CASE("an error in a composed scenario points into the catalog file that holds the key",
          "[unit]") {
  // The warm-up (4 s, the template's) must be shorter than the duration.
  const CliResult r =
      cli({"run", "--hardware", "h100-node", "--model", "resnet50", "--set", "run.duration=1s"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("scenarios/paper-vit-base-gpu.yaml:16:") && Contains("run.warmup"));
}

TEST_CASE("every catalog node with GPUs runs every catalog model it has a curve for", "[unit]") {
  int runs = 0;
  for (const std::string& hw : names_in("hardware")) {
    if (hw == "epyc-2vcpu") continue;  // no GPU: its own scenario runs it
    for (const char* model : {"resnet50", "vit_base", "tinyvit"})
      for (const char* pre : {"gpu", "cpu"}) {
        INFO(hw << " " << model << " " << pre);
        const CliResult r =
            cli(brief({"run", "--hardware", hw, "--model", model, "--preprocess", pre, "-q"}));
        CHECK(r.err.empty());
        CHECK(r.code == 0);
        ++runs;
      }
  }
  CHECK(runs >= 8 * 3 * 2);  // i9 + RTX 4090, 8x A100, 8x H100, L4, A100/H100 PCIe, A10, T4
}

TEST_CASE("the guide's catalog commands run (briefly) as written", "[unit]") {
  std::ifstream in(std::filesystem::path(SERVESIM_SOURCE_DIR) / "docs/guide.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string guide = text.str();
  const std::size_t at = guide.find("### Or a node from the catalog");
  REQUIRE(at != std::string::npos);
  const std::size_t from = guide.find("```sh\n", at) + 6;
  const std::size_t to = guide.find("```", from);
  std::istringstream block(guide.substr(from, to - from));
  int commands = 0;
  for (std::string line; std::getline(block, line);) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    REQUIRE(args.size() >= 2);
    REQUIRE(args.front() == "servesim");
    args.erase(args.begin());
    if (args.front() == "run") args = brief(args);
    INFO(line);
    const CliResult r = cli(args);
    CHECK(r.code == 0);
    ++commands;
  }
  CHECK(commands == 4);
}

}  // namespace
}  // namespace servesim
