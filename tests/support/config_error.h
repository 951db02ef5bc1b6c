#pragma once
/// Catching the ConfigError a piece of config code must throw.

#include <catch2/catch.hpp>

#include "sim/config/error.h"

namespace servesim::test {

/// The ConfigError that `f` throws; fails the test if it throws nothing or something else.
template <class F>
ConfigError config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw;  // unreachable: FAIL throws
}

}  // namespace servesim::test
