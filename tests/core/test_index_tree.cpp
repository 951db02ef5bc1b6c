// MinTree and CountTree against the scans they replace, over random operations (fixed seed).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "sim/core/index_tree.h"

namespace servesim {

TEST_CASE("MinTree: the least value, ties to the lowest index, as a scan finds it", "[unit]") {
  for (const std::size_t n : {1u, 2u, 3u, 7u, 64u, 100u}) {
    MinTree t(n);
    std::vector<std::uint64_t> v(n, 0);
    std::mt19937_64 gen(n);
    for (int op = 0; op < 2000; ++op) {
      const std::size_t k = gen() % n;
      v[k] = gen() % 5;  // few values: many ties
      t.set(k, v[k]);
      std::size_t best = 0;
      for (std::size_t i = 1; i < n; ++i)
        if (v[i] < v[best]) best = i;
      REQUIRE(t.min_slot() == best);
      REQUIRE(t.min_value() == v[best]);
    }
  }
}

TEST_CASE("CountTree: counts before a slot and finds the i-th set slot, as a scan does", "[unit]") {
  for (const std::size_t n : {1u, 2u, 5u, 8u, 33u, 100u}) {
    CountTree t(n);
    std::vector<bool> on(n, true);
    std::mt19937_64 gen(n + 1);
    for (int op = 0; op < 2000; ++op) {
      const std::size_t k = gen() % n;
      on[k] = gen() % 3 != 0;
      t.set(k, on[k]);
      std::vector<std::size_t> set;
      for (std::size_t i = 0; i < n; ++i)
        if (on[i]) set.push_back(i);
      REQUIRE(t.count() == set.size());
      for (std::size_t i = 0; i < set.size(); ++i) REQUIRE(t.nth(i) == set[i]);
      const std::size_t s = gen() % n;
      std::size_t before = 0;
      for (std::size_t i = 0; i < s; ++i) before += on[i] ? 1 : 0;
      REQUIRE(t.before(s) == before);
    }
  }
}

}  // namespace servesim
