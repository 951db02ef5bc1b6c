#include "sim/cli/verbs.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <utility>

#include "sim/config/error.h"

namespace servesim {

namespace {

/// The verb CLI11 parsed, with its action; null when none was named.
struct Chosen {
  CLI::App* cmd = nullptr;
  VerbAction action;
};

/// Runs `action`, turning what it throws into a message and an exit status.
int run_reporting(const VerbTable& t, const VerbAction& action, std::ostream& out,
                  std::ostream& err) {
  try {
    return action(out, err);
  } catch (const ConfigError& e) {
    err << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    err << t.program << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    err << t.program << ": error: " << e.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace

int run_verbs(const VerbTable& t, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  for (const Verb& v : t.verbs)
    if (v.forward && !args.empty() && args.front() == v.name)
      return v.forward(std::vector<std::string>(args.begin() + 1, args.end()), out, err);

  CLI::App app{t.description, t.app_name};
  // At most one verb; none is handled below, so that a mistyped verb is named by CLI11.
  app.require_subcommand(0, 1);
  if (!t.version.empty()) app.set_version_flag("--version", t.version);
  std::vector<Chosen> chosen;
  for (const Verb& v : t.verbs) {
    CLI::App* cmd = app.add_subcommand(v.name, v.help);
    if (v.add) chosen.push_back({cmd, v.add(*cmd)});
  }

  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << app.version() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << t.program << ": " << e.what() << "\n"
        << "Run '" << t.program << " --help' for usage.\n";
    return kExitUsage;
  }

  for (const Chosen& c : chosen)
    if (c.cmd->parsed()) return run_reporting(t, c.action, out, err);
  err << t.program << ": a verb is required: " << t.verb_list << "\n"
      << "Run '" << t.program << " --help' for usage.\n";
  return kExitUsage;
}

}  // namespace servesim
