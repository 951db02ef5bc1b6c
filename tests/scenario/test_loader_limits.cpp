// The loader's limits (sim/config/limits.h): alias bombs, self-referencing aliases, deep and
// wide includes, files that are not files, oversize files and extra YAML documents are each a
// located ConfigError, never unbounded memory, time or stack.

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/limits.h"
#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::col_of;
using test::config_error;
using test::line_of;
using test::TempDir;

/// A "billion laughs": l0 is a list of `width` scalars and each next level a list of `width`
/// aliases of the level before, so a few hundred bytes expand to about width^(levels+1) nodes.
std::string alias_bomb(int levels, int width) {
  std::string s = "l0: &l0 [";
  for (int i = 0; i < width; ++i) s += i ? ",x" : "x";
  s += "]\n";
  for (int l = 1; l <= levels; ++l) {
    const std::string prev = "l" + std::to_string(l - 1), me = "l" + std::to_string(l);
    s += me + ": &" + me + " [";
    for (int i = 0; i < width; ++i) s += (i ? ",*" : "*") + prev;
    s += "]\n";
  }
  return s;
}

/// A document whose deepest value is `levels` levels down, the top map being level 1.
std::string nested(int levels) {
  std::string s;
  for (int i = 1; i < levels; ++i) s += "{a: ";
  s += "1";
  for (int i = 1; i < levels; ++i) s += "}";
  return s;
}

TEST_CASE("an alias bomb stops at the node budget, at the node where the budget ran out",
          "[unit]") {
  // The issue's 8 levels of 9: 300 bytes that expand to 43 million nodes.
  const std::string text = alias_bomb(8, 9);
  REQUIRE(text.size() < 400);
  const ConfigError e = config_error([&] { parse_yaml(text, "bomb.yaml"); });
  CHECK(e.mark().file == "bomb.yaml");
  CHECK(e.mark().line >= 1);
  CHECK(e.mark().line <= 9);
  CHECK(e.mark().col >= 1);
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxConfigNodes) + " YAML nodes"));
  CHECK_THAT(e.message(), Contains("alias"));
}

TEST_CASE("the node budget is one per scenario, counted across includes and --set", "[unit]") {
  // Lists l0 to l3 of 14 each are 44,557 nodes, and 44,552 more kept for their aliases: one copy
  // fits the budget, a second does not.
  const std::string bomb = alias_bomb(3, 14);
  TempDir dir;
  dir.write("half.yaml", bomb);
  CHECK_NOTHROW(load_config_file(dir.write("once.yaml", "include: half.yaml\n")));
  const std::string twice = "include: [half.yaml, half.yaml]\n";
  const ConfigError e = config_error([&] { load_config_file(dir.write("twice.yaml", twice)); });
  CHECK(e.mark().file == (dir.path() / "half.yaml").string());
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxConfigNodes)));

  ConfigNode root = load_config_text(bomb, "<test>", ".");
  // The same bomb again, as one flow-style --set value.
  std::string flow = bomb;
  for (char& c : flow)
    if (c == '\n') c = ',';
  flow = "{" + flow.substr(0, flow.size() - 1) + "}";
  const ConfigError s = config_error([&] { apply_override(root, "extra=" + flow, 1); });
  CHECK_THAT(s.mark().file, Contains("--set #1"));
  CHECK_THAT(s.message(), Contains(std::to_string(kMaxConfigNodes)));
}

TEST_CASE("a self-referencing alias is an error at the alias, not a stack overflow", "[unit]") {
  const ConfigError e = config_error([] { parse_yaml("seed: &a [*a]\n", "self.yaml"); });
  CHECK(e.mark().file == "self.yaml");
  CHECK(e.mark().line == 1);
  CHECK(e.mark().col == 11);
  CHECK_THAT(e.message(), Contains("an alias inside the node its anchor names"));
  CHECK(e.key() == "seed[0]");
}

TEST_CASE("a self-referencing alias in a --set value is a located error", "[unit]") {
  ConfigNode root = load_config_text("seed: 1\n", "<test>", ".");
  const ConfigError e =
      config_error([&] { apply_override(root, "run=&a {duration: 5s, x: *a}", 1); });
  CHECK_THAT(e.mark().file, Contains("--set #1"));
  CHECK(e.mark().col == 26);  // the *a, counted from the start of the --set argument
  CHECK_THAT(e.message(), Contains("an alias inside the node its anchor names"));
  CHECK(e.key() == "run.x");
}

TEST_CASE("nesting is allowed to the depth limit and an error one level below it", "[unit]") {
  CHECK_NOTHROW(parse_yaml(nested(kMaxConfigDepth), "ok.yaml"));
  const std::string deep = nested(kMaxConfigDepth + 1);
  const ConfigError e = config_error([&] { parse_yaml(deep, "deep.yaml"); });
  // The first node too deep is the innermost value, the "1".
  CHECK(e.mark().line == 1);
  CHECK(e.mark().col == col_of(deep, "1"));
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxConfigDepth) + " levels"));
}

TEST_CASE("a --set path counts toward the nesting depth", "[unit]") {
  ConfigNode root = load_config_text("seed: 1\n", "<test>", ".");
  std::string path = "a";
  for (int i = 1; i < kMaxConfigDepth; ++i) path += ".a";
  const ConfigError e = config_error([&] { apply_override(root, path + "=1", 1); });
  CHECK_THAT(e.mark().file, Contains("--set #1"));
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxConfigDepth) + " levels"));
}

TEST_CASE("an include chain may be as deep as the limit and is an error one file deeper",
          "[unit]") {
  TempDir dir;
  // f1 includes f2 ... includes fN; fN sets the seed.
  auto chain = [&](int files) {
    for (int i = 1; i < files; ++i)
      dir.write("c" + std::to_string(files) + "/f" + std::to_string(i) + ".yaml",
                "include: f" + std::to_string(i + 1) + ".yaml\n");
    dir.write("c" + std::to_string(files) + "/f" + std::to_string(files) + ".yaml", "seed: 3\n");
    return dir.path() / ("c" + std::to_string(files)) / "f1.yaml";
  };
  const ConfigNode ok = load_config_file(chain(kMaxIncludeDepth));
  REQUIRE(ok.find("seed") != nullptr);
  CHECK(ok.find("seed")->scalar == "3");
  const ConfigError e = config_error([&] { load_config_file(chain(kMaxIncludeDepth + 1)); });
  // At the include in the last file the chain may hold, which names one file too many.
  const std::string last = "f" + std::to_string(kMaxIncludeDepth) + ".yaml";
  CHECK(e.mark().file ==
        (dir.path() / ("c" + std::to_string(kMaxIncludeDepth + 1)) / last).string());
  CHECK(e.mark().line == 1);
  CHECK(e.mark().col == 10);
  CHECK(e.key() == "include");
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxIncludeDepth) + " files"));
}

TEST_CASE("an include diamond stops at the file budget instead of loading 2^N files", "[unit]") {
  TempDir dir;
  // d0 includes d1 twice, d1 includes d2 twice, ...: 2^13 loads without a budget.
  const int levels = 12;
  for (int i = 0; i < levels; ++i) {
    const std::string next = "d" + std::to_string(i + 1) + ".yaml";
    dir.write("d" + std::to_string(i) + ".yaml", "include: [" + next + ", " + next + "]\n");
  }
  dir.write("d" + std::to_string(levels) + ".yaml", "seed: 1\n");
  const ConfigError e = config_error([&] { load_config_file(dir.path() / "d0.yaml"); });
  CHECK(e.key() == "include");
  CHECK(e.mark().line == 1);
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxIncludedFiles) + " files"));
}

/// The error of a scenario that includes `target` (written as is after `include: `).
ConfigError include_error(const TempDir& dir, const std::string& target) {
  const std::string text = "seed: 1\ninclude: " + target + "\n";
  const auto top = dir.write("top.yaml", text);
  const ConfigError e = config_error([&] { load_config_file(top); });
  INFO(e.what());
  CHECK(e.mark().file == top.string());
  CHECK(e.mark().line == 2);
  CHECK(e.mark().col == 10);
  CHECK(e.key() == "include");
  return e;
}

TEST_CASE("including a directory, '', '.' or /proc/self/mem is a located error, not empty",
          "[unit]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "sub");
  CHECK_THAT(include_error(dir, "sub").message(), Contains("not a regular file"));
  CHECK_THAT(include_error(dir, ".").message(), Contains("not a regular file"));
  CHECK_THAT(include_error(dir, "\"\"").message(), Contains("empty"));
  // A regular file to stat(), but reading it fails: an error, not an empty file.
  CHECK_THAT(include_error(dir, "/proc/self/mem").message(), Contains("cannot read"));
}

TEST_CASE("including /dev/zero or a FIFO is refused without reading it", "[unit]") {
  TempDir dir;
  CHECK_THAT(include_error(dir, "/dev/zero").message(), Contains("not a regular file"));
  // A FIFO without a writer would block a plain open() for ever.
  const auto fifo = dir.path() / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THAT(include_error(dir, "fifo").message(), Contains("not a regular file"));
}

TEST_CASE("a scenario path that is a directory is an error naming it", "[unit]") {
  TempDir dir;
  const ConfigError e = config_error([&] { load_config_file(dir.path()); });
  CHECK(e.mark().file == dir.path().string());
  CHECK_THAT(e.message(), Contains("not a regular file"));
}

TEST_CASE("a YAML file may hold the size limit but not one byte more", "[unit]") {
  TempDir dir;
  // Comment lines: nothing to parse, only bytes to read.
  const std::string line = "# " + std::string(1021, 'x') + "\n";
  std::string text;
  while (text.size() + line.size() <= kMaxConfigBytes) text += line;
  text += std::string(kMaxConfigBytes - text.size(), '#');
  REQUIRE(text.size() == kMaxConfigBytes);
  CHECK_NOTHROW(load_config_file(dir.write("full.yaml", text)));
  const auto over = dir.write("over.yaml", text + "#");
  const ConfigError e = config_error([&] { load_config_file(over); });
  CHECK(e.mark().file == over.string());
  CHECK_THAT(e.message(), Contains("16 MiB"));
}

TEST_CASE("the size limit is for a scenario's files together", "[unit]") {
  TempDir dir;
  dir.write("big.yaml", "# " + std::string(kMaxConfigBytes / 2, 'x') + "\n");
  const std::string text = "include: [big.yaml, big.yaml]\n";
  const auto top = dir.write("top.yaml", text);
  const ConfigError e = config_error([&] { load_config_file(top); });
  CHECK(e.mark().file == top.string());
  CHECK(e.mark().line == 1);
  CHECK(e.mark().col == col_of(text, "big.yaml]"));
  CHECK(e.key() == "include");
  CHECK_THAT(e.message(), Contains("16 MiB"));
}

TEST_CASE("a second YAML document is an error at its '---', not silently ignored", "[unit]") {
  const std::string text = "seed: 1\nrun: {duration: 1s}\n---\nseed: 2\n";
  const ConfigError e = config_error([&] { parse_yaml(text, "two.yaml"); });
  CHECK(e.mark().file == "two.yaml");
  CHECK(e.mark().line == line_of(text, "---"));
  CHECK(e.mark().col == 1);
  CHECK_THAT(e.message(), Contains("second YAML document"));
  // An empty second document counts too; a first one that starts with '---' is fine.
  const std::string trailing = "seed: 1\n---\n";
  CHECK(config_error([&] { parse_yaml(trailing, "t.yaml"); }).mark().line == 2);
  CHECK(parse_yaml("---\nseed: 1\n", "one.yaml").find("seed")->scalar == "1");
  CHECK(parse_yaml("seed: 1\n...\n", "end.yaml").find("seed")->scalar == "1");
}

TEST_CASE("an image-size CSV that is not a regular file is refused without reading it", "[unit]") {
  const std::string text =
      "run: {duration: 1s}\n"
      "workload: {mode: open, rate: 1/s, images: {csv: /dev/zero}}\n"
      "node: {cpu: {cores: 1}}\n"
      "pipeline: [{name: s, device: cpu, service: 1ms}]\n";
  const ConfigError e =
      config_error([&] { parse_scenario(load_config_text(text, "<test>", ".")); });
  CHECK(e.mark().line == 2);
  CHECK(e.mark().col == col_of(text, "/dev/zero"));
  CHECK(e.key() == "workload.images.csv");
  CHECK_THAT(e.message(), Contains("not a regular file"));
}

}  // namespace
}  // namespace servesim

namespace servesim {

TEST_CASE("a stray token the document does not take is an error, not endless documents", "[unit]") {
  // Found by fuzz_scenario: yaml-cpp 0.7 reads a lone ',' as an endless run of empty documents,
  // and YAML::LoadAll collected them until memory ran out (19.5 GB in 60 s for 163 bytes).
  for (const std::string text : {",", "[a, b],", "# Fig. 7\n,\n"}) {
    const ConfigError e = test::config_error([&] { parse_yaml(text, "stray.yaml"); });
    CHECK(e.mark().file == "stray.yaml");
    CHECK_THAT(e.message(), Catch::Matchers::Contains("text the document does not take"));
  }
  const ConfigError two = test::config_error([] { parse_yaml("a: 1\n---\nb: 2\n", "two.yaml"); });
  CHECK(two.mark().line == 2);
  CHECK_THAT(two.message(), Catch::Matchers::Contains("a second YAML document"));
}

TEST_CASE("an alias may be used after its anchor, and its copy keeps the anchor's marks",
          "[unit]") {
  const ConfigNode root = parse_yaml("a: &x {k: [1, 2]}\nb: *x\n", "ok.yaml");
  const ConfigNode* b = root.find("b");
  REQUIRE(b);
  REQUIRE(b->is_map());
  CHECK(b->find("k")->items.size() == 2);
  CHECK(b->find("k")->items[1].scalar == "2");
  CHECK(b->find("k")->items[1].mark.line == 1);
  CHECK(b->mark.line == 1);
  const ConfigError e = test::config_error([] { parse_yaml("a: *nosuch\n", "bad.yaml"); });
  CHECK(e.mark().col >= 4);
}

}  // namespace servesim
