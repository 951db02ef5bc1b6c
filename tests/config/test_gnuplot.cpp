// gnuplot runs without a shell, and a user's string (a file name, a column, a CSV cell) reaches
// its script only as a literal: single-quoted, where gnuplot expands nothing.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "sim/config/gnuplot.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

TEST_CASE("gnuplot_quote writes a single-quoted literal: '' for a quote, newlines spliced in",
          "[unit]") {
  CHECK(gnuplot_quote("plain") == "'plain'");
  CHECK(gnuplot_quote("it's") == "'it''s'");
  // Backquotes, $(), backslashes and double quotes mean nothing inside single quotes.
  CHECK(gnuplot_quote("`id` $(id) \\ \"") == "'`id` $(id) \\ \"'");
  // A newline inside a quoted string would end the command: it is joined in as "\n", a
  // double-quoted string that holds no backquote.
  CHECK(gnuplot_quote("a\nb\r") == "'a'.\"\\n\".'b'.\"\\r\".''");
}

TEST_CASE("run_gnuplot reports gnuplot's own error message when the script fails", "[unit]") {
  test::TempDir dir;
  try {
    run_gnuplot(dir.path() / "bad.gp", "this_is_not_a_command\n");
    FAIL("expected gnuplot to fail");
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Matchers::Contains("bad.gp"));
    CHECK_THAT(m, Catch::Matchers::Contains("invalid command"));  // gnuplot's stderr, passed on
  }
}

TEST_CASE("run_gnuplot without gnuplot on PATH names Debian's gnuplot-nox", "[unit]") {
  test::TempDir dir;
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", dir.path().c_str(), 1);  // an empty directory: no gnuplot
  std::string m;
  try {
    run_gnuplot(dir.path() / "p.gp", "print 1\n");
  } catch (const std::runtime_error& e) {
    m = e.what();
  }
  ::setenv("PATH", saved.c_str(), 1);
  CHECK_THAT(m, Catch::Matchers::Contains("gnuplot-nox"));
  CHECK_THAT(m, Catch::Matchers::Contains("not found"));
}

}  // namespace
}  // namespace servesim
