#pragma once
/// A program's verbs as one table, and the one path from a verb's outcome to an exit status:
/// `servesim VERB` and `servesim calib VERB` both run through run_verbs, so their help, usage
/// errors and runtime errors cannot drift apart. Each verb adds its own options and returns what
/// to run once they are parsed, so a new verb is one entry, not edits in three places.

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace servesim {

/// A usage mistake found after parsing (exit status 2), printed as "PROGRAM: MESSAGE".
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What a verb does once its options are parsed: writes results to `out`, progress to `err`,
/// and returns the exit status. It may throw: run_verbs reports the error.
using VerbAction = std::function<int(std::ostream& out, std::ostream& err)>;

struct Verb {
  std::string name, help;
  /// Adds the verb's options (and its own sub-verbs) to `cmd`, which outlives the returned
  /// action; the options' values live in the action's captures.
  std::function<VerbAction(CLI::App& cmd)> add;
  /// Instead of `add`: a verb with a command line of its own (calib) takes every argument after
  /// its name unparsed, and reports its errors itself (through run_verbs too).
  std::function<int(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)>
      forward;
};

struct VerbTable {
  std::string app_name;     // the name the help's usage line shows
  std::string description;  // the help's first line
  std::string program;      // the prefix of every message: "servesim" or "servesim calib"
  std::string verb_list;    // what "a verb is required: ..." lists
  std::string version;      // answer to --version; empty: no --version flag
  std::vector<Verb> verbs;
};

/// Parses `args` (those after the program's name) against `table` and runs the verb named.
/// --help and --version print on `out` and give 0; a parse error, a missing verb, a
/// ConfigError or UsageError give 2; any other exception gives 1; each error is one message
/// on `err`.
int run_verbs(const VerbTable& table, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

}  // namespace servesim
