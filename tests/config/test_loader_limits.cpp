// The loader's limits (sim/config/limits.h): alias bombs, self-referencing aliases, deep and
// wide includes, files that are not files, oversize files and extra YAML documents are each a
// located ConfigError, never unbounded memory, time or stack.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/limits.h"
#include "sim/config/tree.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::col_of;
using test::config_error;
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
  // The 8 levels of 9: 300 bytes that expand to 43 million nodes.
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
  // Lists l0 to l5 of 9 each are 670,000 nodes: one copy fits the budget, a second does not.
  const std::string bomb = alias_bomb(5, 9);
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

TEST_CASE("a self-referencing alias is a nesting-depth error, not a stack overflow", "[unit]") {
  const ConfigError e = config_error([] { parse_yaml("seed: &a [*a]\n", "self.yaml"); });
  CHECK(e.mark().file == "self.yaml");
  CHECK(e.mark().line == 1);
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxConfigDepth) + " levels"));
  CHECK_THAT(e.key(), Contains("seed[0][0]"));
}

TEST_CASE("a self-referencing alias in a --set value is a located error", "[unit]") {
  ConfigNode root = load_config_text("seed: 1\n", "<test>", ".");
  const ConfigError e =
      config_error([&] { apply_override(root, "run=&a {duration: 5s, x: *a}", 1); });
  CHECK_THAT(e.mark().file, Contains("--set #1"));
  CHECK_THAT(e.message(), Contains(std::to_string(kMaxConfigDepth) + " levels"));
  CHECK_THAT(e.key(), Contains("run.x.x"));
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

}  // namespace
}  // namespace servesim
