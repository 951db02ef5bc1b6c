#pragma once
/// servesim's command line: `servesim VERB ...` (run, ...). Exit status: 0 success,
/// 1 runtime failure, 2 config or usage error.

#include <ostream>

#include "sim/config/error.h"  // the exit statuses

namespace servesim {

/// The whole program, callable from tests: parses argv, runs, writes to out/err.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace servesim
