#pragma once
/// `servesim calib VERB ...`: bench (and bench broker, bench memory), fit, import, holdout,
/// repeat, show. Exit status as servesim's: 0 success, 1 runtime failure, 2 config or usage
/// error.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace servesim {
struct VerbTable;
}

namespace servesim::calib {

/// The calib verbs as a table: servesim registers them under its `calib` verb, like its own.
std::shared_ptr<const VerbTable> calib_verbs();

/// The calib verbs; `args` are what follows `servesim calib` (e.g. {"bench", "--quick", "--out",
/// "dir"}). Writes results to `out`, progress and errors to `err`.
int calib_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace servesim::calib
