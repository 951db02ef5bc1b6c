// Tests of the config tree: source marks, includes and --set overrides.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/tree.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using test::col_of;
using test::line_of;
using test::TempDir;

/// The node at a dotted path of map keys; fails the test if any key is missing.
const ConfigNode& at(const ConfigNode& root, const std::string& path) {
  const ConfigNode* n = &root;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    INFO("looking up '" << key << "' of '" << path << "'");
    n = n->find(key);
    REQUIRE(n != nullptr);
    if (dot == std::string::npos) return *n;
    start = dot + 1;
  }
}

using test::config_error;

TEST_CASE("parsed nodes carry 1-based file:line:col marks of keys and values", "[unit]") {
  const std::string text =
      "seed: 7\n"
      "run:\n"
      "  duration: 30s\n"
      "pipeline:\n"
      "  - {name: serve, device: cpu}\n";
  const ConfigNode root = parse_yaml(text, "s.yaml");
  REQUIRE(root.is_map());
  CHECK(root.entries[0].key == "seed");
  CHECK(root.entries[0].key_mark.str() == "s.yaml:1:1");
  CHECK(root.entries[0].value.mark.str() == "s.yaml:1:7");
  CHECK(root.entries[0].value.scalar == "7");

  const ConfigNode& run = at(root, "run");
  REQUIRE(run.is_map());
  CHECK(run.entries[0].key_mark.line == line_of(text, "duration"));
  CHECK(run.entries[0].key_mark.col == col_of(text, "duration"));
  const ConfigNode& duration = at(root, "run.duration");
  CHECK(duration.scalar == "30s");
  CHECK(duration.mark.line == 3);
  CHECK(duration.mark.col == col_of(text, "30s"));

  const ConfigNode& pipe = at(root, "pipeline");
  REQUIRE(pipe.is_sequence());
  REQUIRE(pipe.items.size() == 1);
  const ConfigNode* device = pipe.items[0].find("device");
  REQUIRE(device);
  CHECK(device->mark.line == 5);
  CHECK(device->mark.col == col_of(text, "cpu"));
}

TEST_CASE("quoted scalars are marked as quoted, plain ones are not", "[unit]") {
  const ConfigNode root = parse_yaml("a: '7'\nb: 7\nc: \"x\"\n", "q.yaml");
  CHECK(at(root, "a").quoted);
  CHECK_FALSE(at(root, "b").quoted);
  CHECK(at(root, "c").quoted);
}

TEST_CASE("YAML syntax errors and duplicate keys point at their line and column", "[unit]") {
  const ConfigError syntax =
      config_error([] { parse_yaml("seed: 7\nfoo: bar: baz\n", "bad.yaml"); });
  CHECK(syntax.mark().str() == "bad.yaml:2:9");  // the second ':' on line 2
  CHECK_THAT(syntax.what(), Contains("YAML syntax"));

  const ConfigError dup = config_error([] { parse_yaml("seed: 7\nrun: {}\nseed: 8\n", "d.yaml"); });
  CHECK(dup.mark().str() == "d.yaml:3:1");
  CHECK(dup.key() == "seed");
  CHECK_THAT(dup.what(), Contains("duplicate key"));
}

TEST_CASE("include merges maps key by key with later sources winning, and replaces lists",
          "[unit]") {
  TempDir dir;
  dir.write("base.yaml",
            "seed: 1\n"
            "run: {duration: 10s, warmup: 1s, replications: 3}\n"
            "tags: [a, b, c]\n");
  dir.write("second.yaml", "run: {replications: 5}\ntags: [x]\n");
  const std::string top_text =
      "include: [base.yaml, second.yaml]\n"
      "run:\n"
      "  duration: 20s\n"
      "tags: [y, z]\n";
  const auto top = dir.write("top.yaml", top_text);
  const ConfigNode root = load_config_file(top);

  CHECK(root.find("include") == nullptr);  // consumed
  CHECK(at(root, "seed").scalar == "1");
  CHECK(at(root, "run.duration").scalar == "20s");    // the including file wins
  CHECK(at(root, "run.warmup").scalar == "1s");       // kept from base
  CHECK(at(root, "run.replications").scalar == "5");  // the later include wins over the earlier
  const ConfigNode& tags = at(root, "tags");
  REQUIRE(tags.is_sequence());
  REQUIRE(tags.items.size() == 2);  // replaced, not appended
  CHECK(tags.items[0].scalar == "y");
  CHECK(tags.items[1].scalar == "z");

  // Each value remembers the file it came from.
  CHECK_THAT(at(root, "run.warmup").mark.file, EndsWith("base.yaml"));
  CHECK_THAT(at(root, "run.replications").mark.file, EndsWith("second.yaml"));
  CHECK_THAT(at(root, "run.duration").mark.file, EndsWith("top.yaml"));
  CHECK(at(root, "run.duration").mark.line == line_of(top_text, "20s"));
}

TEST_CASE("include takes a single path as well as a list", "[unit]") {
  TempDir dir;
  dir.write("base.yaml", "seed: 3\n");
  const ConfigNode root = load_config_file(dir.write("top.yaml", "include: base.yaml\n"));
  CHECK(at(root, "seed").scalar == "3");
}

TEST_CASE("include paths resolve against the including file's folder, not the working dir",
          "[unit]") {
  TempDir dir;
  // top.yaml includes sub/mid.yaml, which includes leaf.yaml: that must be sub/leaf.yaml.
  // A decoy leaf.yaml beside top.yaml catches resolution against the wrong folder.
  dir.write("leaf.yaml", "seed: 999\n");
  dir.write("sub/leaf.yaml", "seed: 42\n");
  dir.write("sub/mid.yaml", "include: leaf.yaml\nrun: {duration: 5s}\n");
  const ConfigNode root = load_config_file(dir.write("top.yaml", "include: sub/mid.yaml\n"));
  CHECK(at(root, "seed").scalar == "42");
  CHECK(at(root, "run.duration").scalar == "5s");
}

TEST_CASE("an include cycle is a ConfigError naming the chain of files", "[unit]") {
  TempDir dir;
  dir.write("a.yaml", "include: b.yaml\nseed: 1\n");
  const std::string b_text = "seed: 2\ninclude: [a.yaml]\n";
  dir.write("b.yaml", b_text);
  const ConfigError e = config_error([&] { load_config_file(dir.path() / "a.yaml"); });
  CHECK_THAT(e.message(), Contains("include cycle: a.yaml -> b.yaml -> a.yaml"));
  // It points at the include that closes the cycle.
  CHECK_THAT(e.mark().file, EndsWith("b.yaml"));
  CHECK(e.mark().line == line_of(b_text, "a.yaml"));
  CHECK(e.key() == "include");

  const auto self = dir.write("self.yaml", "include: self.yaml\n");
  CHECK_THAT(config_error([&] { load_config_file(self); }).message(),
             Contains("self.yaml -> self.yaml"));
}

TEST_CASE("the same file included twice without a cycle is not a cycle", "[unit]") {
  TempDir dir;
  dir.write("common.yaml", "seed: 5\n");
  dir.write("x.yaml", "include: common.yaml\n");
  const ConfigNode root =
      load_config_file(dir.write("top.yaml", "include: [common.yaml, x.yaml]\n"));
  CHECK(at(root, "seed").scalar == "5");
}

TEST_CASE("a missing include file is a ConfigError at the include line", "[unit]") {
  TempDir dir;
  const std::string text = "seed: 1\ninclude:\n  - nowhere.yaml\n";
  const auto top = dir.write("top.yaml", text);
  const ConfigError e = config_error([&] { load_config_file(top); });
  CHECK_THAT(e.message(), Contains("cannot open included file"));
  CHECK_THAT(e.message(), Contains("nowhere.yaml"));
  CHECK(e.mark().file == top.string());
  CHECK(e.mark().line == line_of(text, "nowhere.yaml"));
}

TEST_CASE("load_config_text resolves includes against the given folder", "[unit]") {
  TempDir dir;
  dir.write("base.yaml", "seed: 11\nrun: {duration: 1s}\n");
  const ConfigNode root = load_config_text("include: base.yaml\nseed: 12\n", "<text>", dir.path());
  CHECK(at(root, "seed").scalar == "12");
  CHECK(at(root, "run.duration").scalar == "1s");
}

const char* const kPipelineText =
    "run: {duration: 10s}\n"
    "pipeline:\n"
    "  - {name: frontend, device: cpu}\n"
    "  - {name: decode, device: gpu, instances: 2}\n"
    "  - {name: infer, device: gpu}\n";

TEST_CASE("override (--set) replaces an existing key and creates missing keys and maps", "[unit]") {
  ConfigNode root = parse_yaml(kPipelineText, "p.yaml");
  apply_override(root, "run.duration=5s", 1);
  CHECK(at(root, "run.duration").scalar == "5s");
  // The value's mark points into the --set argument, at the value's first character.
  CHECK(at(root, "run.duration").mark.file == "--set #1 (run.duration=5s)");
  CHECK(at(root, "run.duration").mark.col == col_of("run.duration=5s", "5s"));

  apply_override(root, "run.warmup=1s", 2);
  CHECK(at(root, "run.warmup").scalar == "1s");
  apply_override(root, "workload.rate=120/s", 3);  // `workload` did not exist either
  CHECK(at(root, "workload.rate").scalar == "120/s");
  // A created key is marked at its own segment of the --set argument.
  const ConfigNode& workload = at(root, "workload");
  REQUIRE(workload.entries.size() == 1);
  CHECK(workload.entries[0].key_mark.str() == "--set #3:1:10");
}

TEST_CASE("override (--set) addresses a pipeline stage by its name and by its index", "[unit]") {
  ConfigNode root = parse_yaml(kPipelineText, "p.yaml");
  const auto& items = at(root, "pipeline").items;
  apply_override(root, "pipeline.decode.device=cpu", 1);
  CHECK(items[1].find("device")->scalar == "cpu");
  CHECK(items[0].find("device")->scalar == "cpu");
  CHECK(items[2].find("device")->scalar == "gpu");

  apply_override(root, "pipeline.2.instances=4", 2);
  REQUIRE(items[2].find("instances"));
  CHECK(items[2].find("instances")->scalar == "4");
  CHECK(items[1].find("instances")->scalar == "2");
}

TEST_CASE("override (--set) parses its value as YAML, so flow maps and lists work", "[unit]") {
  ConfigNode root = parse_yaml(kPipelineText, "p.yaml");
  apply_override(root, "node.cpu={cores: 8, speed: 1.5}", 1);
  const ConfigNode& cpu = at(root, "node.cpu");
  REQUIRE(cpu.is_map());
  CHECK(at(root, "node.cpu.cores").scalar == "8");
  CHECK(at(root, "node.cpu.speed").scalar == "1.5");

  apply_override(root, "workload.images=[{name: large, width: 3564}]", 2);
  const ConfigNode& images = at(root, "workload.images");
  REQUIRE(images.is_sequence());
  REQUIRE(images.items.size() == 1);
  CHECK(images.items[0].find("width")->scalar == "3564");

  // Only the first '=' separates the path from the value.
  apply_override(root, "pipeline.infer.device=a=b", 3);
  CHECK(at(root, "pipeline").items[2].find("device")->scalar == "a=b");
}

TEST_CASE("override (--set) with an unknown stage name lists the existing names", "[unit]") {
  ConfigNode root = parse_yaml(kPipelineText, "p.yaml");
  const ConfigError e = config_error([&] { apply_override(root, "pipeline.decod.device=cpu", 4); });
  CHECK(e.key() == "pipeline.decod");
  CHECK_THAT(e.message(), Contains("no element of 'pipeline' is named 'decod'"));
  CHECK_THAT(e.message(), Contains("names: frontend, decode, infer"));
  CHECK(e.mark().str() == "--set #4:1:10");  // the column of 'decod'
}

TEST_CASE(
    "override (--set) rejects a missing '=', an empty segment, a bad index and a key under a value",
    "[unit]") {
  ConfigNode root = parse_yaml(kPipelineText, "p.yaml");
  const ConfigError no_eq = config_error([&] { apply_override(root, "run.duration", 1); });
  CHECK(no_eq.mark().str() == "--set #1:1:1");
  CHECK_THAT(no_eq.message(), Contains("expected --set path.to.key=value"));

  CHECK_THAT(config_error([&] { apply_override(root, "=5s", 2); }).message(),
             Contains("expected --set path.to.key=value"));
  CHECK_THAT(config_error([&] { apply_override(root, "run..duration=5s", 3); }).message(),
             Contains("empty segment"));
  CHECK_THAT(config_error([&] { apply_override(root, "pipeline.7.device=cpu", 4); }).message(),
             Contains("index out of range"));
  // An index too large for any integer type is out of range too, not a crash.
  CHECK_THAT(config_error([&] {
               apply_override(root, "pipeline.99999999999999999999999.device=cpu", 5);
             }).message(),
             Contains("index out of range"));
  const ConfigError under_value =
      config_error([&] { apply_override(root, "run.duration.unit=s", 6); });
  CHECK(under_value.key() == "run.duration.unit");
  CHECK_THAT(under_value.message(), Contains("has no key 'unit'"));
}

TEST_CASE("override (--set) with malformed YAML in the value points into the argument", "[unit]") {
  ConfigNode root = parse_yaml(kPipelineText, "p.yaml");
  const ConfigError e = config_error([&] { apply_override(root, "node.cpu={cores: 8", 1); });
  CHECK_THAT(e.mark().file, Contains("--set #1"));
  CHECK_THAT(e.message(), Contains("YAML syntax"));
}

TEST_CASE("merge_into merges maps recursively and replaces everything else", "[unit]") {
  ConfigNode base = parse_yaml("a: {x: 1, y: 2}\nb: [1, 2]\nc: 3\n", "base");
  merge_into(base, parse_yaml("a: {y: 20, z: 30}\nb: [9]\nc: {k: v}\n", "top"));
  CHECK(at(base, "a.x").scalar == "1");
  CHECK(at(base, "a.y").scalar == "20");
  CHECK(at(base, "a.z").scalar == "30");
  CHECK(at(base, "b").items.size() == 1);
  CHECK(at(base, "c.k").scalar == "v");
}

}  // namespace
}  // namespace servesim
