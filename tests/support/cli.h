#pragma once
/// Running the servesim command line in process, as a test sees it: exit code, stdout, stderr.

#include <sstream>
#include <string>
#include <vector>

#include "sim/app/cli.h"

namespace servesim::test {

struct CliResult {
  int code = 0;
  std::string out, err;
};

/// `servesim ARGS...` (the program name is added).
inline CliResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), "servesim");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace servesim::test
