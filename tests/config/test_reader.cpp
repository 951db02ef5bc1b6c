// Tests of MapReader: what it tells the user about keys nobody asked for.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/error.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"

namespace servesim {

TEST_CASE("an unknown key lists each known key once, however often it was asked for", "[unit]") {
  const ConfigNode root = parse_yaml("alpha: 1\nzzzzzz: 2\n", "t.yaml");
  MapReader r(root, "section");
  (void)r.integer("alpha", 0, 10);
  (void)r.has("alpha");  // asked again, as a check after the read does
  (void)r.get("beta");
  try {
    r.finish();
    FAIL("finish accepted an unknown key");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "t.yaml:2:1: error: 'section.zzzzzz': unknown key (known keys here: alpha, beta)");
  }
}

TEST_CASE("did you mean: at equal distance the plural or extension of the word wins", "[unit]") {
  // gpu is one edit from both cpu and gpus; node.gpu.count means gpus, as a typo of a plural reads.
  CHECK(did_you_mean("gpu", {"cpu", "gpus", "memory"}) == "did you mean 'gpus'?");
  CHECK(did_you_mean("gpu", {"gpus", "cpu"}) == "did you mean 'gpus'?");
  CHECK(did_you_mean("duraton", {"duration", "warmup"}) == "did you mean 'duration'?");
  CHECK(did_you_mean("zzzzzzzz", {"cpu", "gpus"}).empty());
}

}  // namespace servesim
