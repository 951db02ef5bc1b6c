#pragma once
/// A program's verbs as one table, and the one path from a verb's outcome to an exit status:
/// `servesim VERB` and `servesim calib VERB` both run through run_verbs, so their help, usage
/// errors and runtime errors cannot drift apart. Each verb adds its own options and returns what
/// to run once they are parsed, so a new verb is one entry, not edits in three places.
///
/// The grammar every verb shares (docs/outputs.md): `-q` (no progress or information on
/// stderr), `--out FILE` (the format from its extension, or `--format`), `servesim help VERB`
/// (= `servesim VERB --help`), and a man page generated from the same definitions
/// (`servesim --man`, hidden; the build writes build/servesim.1 with it). A verb that defines
/// `-q` or `--out` itself keeps its own; one that does not gets the shared ones: `-q` silences
/// what it writes on stderr (errors still show), `--out FILE.txt|.md` writes what it prints.

#include <functional>
#include <memory>
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

struct VerbTable;

struct Verb {
  std::string name, help;
  /// Adds the verb's options (and its own sub-verbs) to `cmd`, which outlives the returned
  /// action; the options' values live in the action's captures.
  std::function<VerbAction(CLI::App& cmd)> add;
  /// Instead of `add`: a group of verbs of its own (calib), registered under this one like the
  /// program's (`servesim calib fit ...`), its messages prefixed by the group's `program`.
  std::shared_ptr<const VerbTable> group;
};

struct VerbTable {
  std::string app_name;     // the name the help's usage line shows
  std::string description;  // the help's first line
  std::string program;      // the prefix of every message: "servesim" or "servesim calib"
  std::string verb_list;    // what "a verb is required: ..." lists
  std::string version;      // answer to --version; empty: no --version flag
  std::vector<Verb> verbs;
};

/// The format of the output `path` that `option` names: `format` (the value of --format) when
/// given, else the path's extension (.json, .csv, .txt, .md, .html, ...), lower-cased without
/// the dot; either must be one of `formats`. "-" (standard output) without --format takes the
/// first of `formats`. Anything else is a UsageError naming the option.
std::string output_format(const std::string& option, const std::string& path,
                          const std::string& format, const std::vector<std::string>& formats);

/// The roff man page (man(7)) of `table`'s program: every verb, its options and their help, as
/// the same definitions give them (what `servesim --man` prints).
std::string man_page(const VerbTable& table);

/// Parses `args` (those after the program's name) against `table` and runs the verb named.
/// --help and --version print on `out` and give 0; a parse error, a missing verb, a
/// ConfigError or UsageError give 2; any other exception gives 1; each error is one message
/// on `err`.
int run_verbs(const VerbTable& table, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

}  // namespace servesim
