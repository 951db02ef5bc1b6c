#pragma once
/// servesim's command line: `servesim VERB ...` (run, ...). Exit status: 0 success,
/// 1 runtime failure, 2 config or usage error.

#include <ostream>

namespace servesim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

/// The whole program, callable from tests: parses argv, runs, writes to out/err.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace servesim
