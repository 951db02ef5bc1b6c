#pragma once
/// Catching the ConfigError a piece of config code must throw.

#include <catch2/catch.hpp>

#include <span>

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

/// A malformed input and the error it must give: the key named, and words of the message.
struct ErrorCase {
  const char* yaml;
  const char* key;
  const char* says;
};

/// Each case's YAML, given to `parse`, is a ConfigError at its key, located at a line, whose
/// message contains `says`.
template <class Parse>
void check_located_errors(std::span<const ErrorCase> cases, Parse&& parse) {
  for (const auto& c : cases) {
    INFO(c.yaml);
    const ConfigError e = config_error([&] { parse(c.yaml); });
    CHECK(e.key() == c.key);
    CHECK(e.mark().line > 0);
    CHECK_THAT(e.message(), Catch::Matchers::Contains(c.says));
  }
}

}  // namespace servesim::test
