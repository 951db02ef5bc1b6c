// calib's output options are checked before any fitting or timing: a folder where a file goes,
// a file where a folder goes, or two options naming one file, exit 2 naming the option.

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

std::string samples_text() {
  std::string s = "kernel,batch,pixels,bytes,seconds\n";
  for (int b = 1; b <= 32; b *= 2)
    for (int r = 0; r < 3; ++r)
      s += "infer," + std::to_string(b) + ",0,0," + std::to_string(1e-3 * (1 + b)) + "\n";
  return s;
}

TEST_CASE("calib fit, holdout and import refuse a folder as --out before any work",
          "[unit][files]") {
  test::TempDir dir;
  const auto samples = dir.write("s.csv", samples_text());
  const auto trt = dir.write("t.json", "[]");
  const std::string folder = dir.path().string();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"fit", samples.string(), "--out", folder},
        {"holdout", samples.string(), "--hold", "batch=4", "--out", folder},
        {"holdout", samples.string(), "--hold", "batch=4", "--plot", folder},
        {"import", "trtexec", trt.string(), "--name", "m", "--batch", "1", "--out", folder}}) {
    std::ostringstream out, err;
    INFO(args[0] + " " + args[args.size() - 2]);
    CHECK(calib_main(args, out, err) == 2);
    CHECK_THAT(err.str(), Contains(args[args.size() - 2]) && Contains("is a directory"));
    CHECK(out.str().empty());  // nothing fitted or printed before the refusal
  }
}

TEST_CASE("calib holdout --out X --plot X is refused naming both options", "[unit][files]") {
  test::TempDir dir;
  const auto samples = dir.write("s.csv", samples_text());
  const std::string x = (dir.path() / "h.out").string();
  std::ostringstream out, err;
  CHECK(calib_main({"holdout", samples.string(), "--hold", "batch=4", "--out", x, "--plot", x}, out,
                   err) == 2);
  CHECK_THAT(err.str(), Contains("--out") && Contains("--plot"));
  CHECK_FALSE(std::filesystem::exists(x));
}

TEST_CASE("calib bench --out that is a file is refused before timing", "[unit][files]") {
  test::TempDir dir;
  const auto file = dir.write("taken", "x");
  std::ostringstream out, err;
  CHECK(calib_main({"bench", "--quick", "--out", file.string()}, out, err) == 2);
  CHECK_THAT(err.str(), Contains("--out") && Contains("not a directory"));
  std::ostringstream o2, e2;  // a folder that can be made is fine: checked, not created yet
  CHECK(calib_main(
            {"show", "missing.yaml", "--samples", "s.csv", "--plot", (file / "p.png").string()}, o2,
            e2) == 2);
  CHECK_THAT(e2.str(), Contains("--plot"));
}

}  // namespace
}  // namespace servesim::calib
