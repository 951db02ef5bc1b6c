// Result files: written whole or not at all, through a temporary nobody else shares, and output
// paths checked before any work is spent on what goes into them.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/config/atomic_file.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST_CASE("write_atomically does not collide with a file or folder named like its temporary",
          "[unit][files]") {
  // Before mkstemp the temporary was always PATH.tmp: a folder of that name made every write fail.
  test::TempDir dir;
  const auto out = dir.path() / "r.json";
  std::filesystem::create_directory(dir.path() / "r.json.tmp");
  write_atomically(out, "{}\n");
  CHECK(slurp(out) == "{}\n");
  CHECK(entries(dir.path()) == 2);  // r.json and the user's folder; no temporary left
}

TEST_CASE("write_atomically from concurrent writers leaves one whole version of the file",
          "[unit][files]") {
  test::TempDir dir;
  const auto out = dir.path() / "r.csv";
  std::vector<std::string> texts;
  for (int i = 0; i < 8; ++i) texts.push_back(std::string(100000, static_cast<char>('a' + i)));
  std::vector<std::thread> writers;
  for (const auto& t : texts)
    writers.emplace_back([&out, &t] {
      for (int k = 0; k < 5; ++k) write_atomically(out, t);
    });
  for (auto& w : writers) w.join();
  const std::string got = slurp(out);
  CHECK(std::find(texts.begin(), texts.end(), got) != texts.end());
  CHECK(entries(dir.path()) == 1);
}

TEST_CASE("write_atomically into a missing folder fails and leaves nothing", "[unit][files]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(write_atomically(dir.path() / "no" / "r.json", "{}"),
                    Catch::Matchers::Contains("cannot write"));
  CHECK(entries(dir.path()) == 0);
}

TEST_CASE("check_output_path refuses an empty path, a folder and a missing folder by option",
          "[unit][files]") {
  test::TempDir dir;
  const auto msg = [](const std::filesystem::path& p) {
    try {
      check_output_path(p, "--json");
    } catch (const ConfigError& e) {
      CHECK(e.mark().file == "--json");
      return e.message();
    }
    return std::string("accepted");
  };
  CHECK_THAT(msg(""), Catch::Matchers::Contains("empty"));
  CHECK_THAT(msg(dir.path()), Catch::Matchers::Contains("is a directory"));
  CHECK_THAT(msg(dir.path() / "no" / "r.json"), Catch::Matchers::Contains("does not exist"));
  CHECK(msg(dir.path() / "r.json") == "accepted");
  CHECK(entries(dir.path()) == 0);  // checking writes nothing
}

}  // namespace
}  // namespace servesim
