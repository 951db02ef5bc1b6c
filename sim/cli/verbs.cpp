#include "sim/cli/verbs.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>
#include <utility>

#include "sim/config/atomic_file.h"
#include "sim/config/error.h"

namespace servesim {

namespace {

/// A verb CLI11 may parse, with its action and the table whose program prefixes its messages.
struct Chosen {
  CLI::App* cmd = nullptr;
  VerbAction action;
  const VerbTable* table = nullptr;
};

/// The shared options of a verb that does not define them itself (see verbs.h).
struct SharedOptions {
  bool quiet = false;
  std::string out, format;
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

/// `cmd` and every command below it.
std::vector<CLI::App*> with_descendants(CLI::App* cmd) {
  std::vector<CLI::App*> all{cmd};
  for (std::size_t i = 0; i < all.size(); ++i)
    for (CLI::App* sub : all[i]->get_subcommands([](CLI::App*) { return true; }))
      all.push_back(sub);
  return all;
}

/// Gives `cmd` (and its own sub-verbs) the shared -q and --out it lacks, and wraps `action` so
/// that they act: -q drops what it writes on stderr, --out sends what it prints to a file.
VerbAction with_shared_options(CLI::App& cmd, VerbAction action) {
  auto s = std::make_shared<SharedOptions>();
  for (CLI::App* c : with_descendants(&cmd)) {
    if (c->get_option_no_throw("-q") == nullptr)
      c->add_flag("-q,--quiet", s->quiet,
                  "No progress or information on stderr (errors still show)");
    // --out only on a verb that runs (not on one that only holds verbs, as calib import).
    if (c->get_option_no_throw("--out") != nullptr ||
        !c->get_subcommands([](CLI::App*) { return true; }).empty())
      continue;
    CLI::Option* out =
        c->add_option("--out", s->out,
                      "Write what this verb prints to FILE instead (.txt or .md; -: stdout)")
            ->check(CLI::Validator(
                [](const std::string& v) { return v.empty() ? "the output path is empty" : ""; },
                "FILE"));
    if (c->get_option_no_throw("--format") == nullptr)
      c->add_option("--format", s->format,
                    "The format of --out: txt or md (default: its extension)")
          ->needs(out);
  }
  return [s, action = std::move(action)](std::ostream& out, std::ostream& err) {
    std::ostream silent(nullptr);  // no buffer: what is written goes nowhere
    std::ostream& info = s->quiet ? silent : err;
    if (s->out.empty()) return action(out, info);
    output_format("--out", s->out, s->format, {"txt", "md"});
    check_output_paths({{"--out", s->out, true}});
    std::ostringstream text;
    const int status = action(text, info);
    if (is_stdout_path(s->out))
      out << text.str() << std::flush;
    else
      write_atomically(s->out, text.str());
    return status;
  };
}

void add_verbs(CLI::App& parent, const VerbTable& t, std::vector<Chosen>& chosen);

/// A group's own action, when none of its verbs is named: the usage error run_verbs gives.
VerbAction verb_required(const VerbTable& t) {
  return [&t](std::ostream&, std::ostream& err) {
    err << t.program << ": a verb is required: " << t.verb_list << "\n"
        << "Run '" << t.program << " --help' for usage.\n";
    return kExitUsage;
  };
}

void add_verbs(CLI::App& parent, const VerbTable& t, std::vector<Chosen>& chosen) {
  for (const Verb& v : t.verbs) {
    CLI::App* cmd = parent.add_subcommand(v.name, v.help);
    if (v.group) {
      cmd->require_subcommand(0, 1);
      add_verbs(*cmd, *v.group, chosen);  // its verbs first: the deepest parsed one runs
      chosen.push_back({cmd, verb_required(*v.group), v.group.get()});
    } else if (v.add) {
      chosen.push_back({cmd, with_shared_options(*cmd, v.add(*cmd)), &t});
    }
  }
}

/// The program's command line: every verb of `t`, with the shared options.
std::unique_ptr<CLI::App> command_line(const VerbTable& t, std::vector<Chosen>& chosen) {
  auto app = std::make_unique<CLI::App>(t.description, t.app_name);
  // At most one verb; none is handled by run_verbs, so that a mistyped verb is named by CLI11.
  app->require_subcommand(0, 1);
  if (!t.version.empty()) app->set_version_flag("--version", t.version);
  add_verbs(*app, t, chosen);
  return app;
}

}  // namespace

std::string output_format(const std::string& option, const std::string& path,
                          const std::string& format, const std::vector<std::string>& formats) {
  std::string list;
  for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
  if (!format.empty()) {
    if (std::find(formats.begin(), formats.end(), format) == formats.end())
      throw UsageError("--format: '" + format + "' is not one of " + list);
    return format;
  }
  if (is_stdout_path(path)) return formats.front();
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!ext.empty() && std::find(formats.begin(), formats.end(), ext.substr(1)) != formats.end())
    return ext.substr(1);
  throw UsageError(option + ": '" + path + "' has " +
                   (ext.empty() ? std::string("no extension") : "an unknown extension " + ext) +
                   ": end it in ." + formats.front() + " (formats: " + list +
                   ") or name its format with --format");
}

namespace {

/// `text` safe in roff: backslashes escaped, hyphens as minus signs where `minus` (option names),
/// and no line starting with a control character.
std::string roff(const std::string& text, bool minus = false) {
  std::string r;
  for (const char c : text) {
    if (c == '\\')
      r += "\\e";
    else if (c == '-' && minus)
      r += "\\-";
    else
      r += c;
  }
  if (!r.empty() && (r.front() == '.' || r.front() == '\'')) r.insert(0, "\\&");
  return r;
}

/// "servesim calib fit": the names from the program down to `cmd`.
std::string full_name(const CLI::App* cmd) {
  std::string name = cmd->get_name();
  for (const CLI::App* p = cmd->get_parent(); p != nullptr; p = p->get_parent())
    name = p->get_name() + " " + name;
  return name;
}

/// The man page's part for one verb: its synopsis, help, and each option's.
void man_verb(const CLI::App* cmd, std::ostream& m) {
  const auto subs = cmd->get_subcommands([](const CLI::App* c) { return c->get_name() != "help"; });
  std::string synopsis = full_name(cmd) + " [OPTIONS]";
  for (const CLI::Option* o : cmd->get_options())
    if (o->get_positional())
      synopsis += o->get_required() ? " " + o->get_name() : " [" + o->get_name() + "]";
  if (!subs.empty()) synopsis += " VERB";
  m << ".SS \"" << roff(synopsis) << "\"\n" << roff(cmd->get_description()) << "\n";
  for (const CLI::Option* o : cmd->get_options()) {
    if (o == cmd->get_help_ptr() || o->get_group().empty()) continue;
    const std::string names = o->get_positional() ? o->get_name() : o->get_name(false, true);
    m << ".TP\n";
    std::string first;
    std::size_t start = 0;
    while (start <= names.size()) {
      const std::size_t comma = std::min(names.find(',', start), names.size());
      first += (first.empty() ? "\\fB" : ", \\fB") +
               roff(names.substr(start, comma - start), true) + "\\fR";
      start = comma + 1;
    }
    if (!o->get_positional() && o->get_expected_min() > 0 && !o->get_type_name().empty())
      first += " \\fI" + roff(o->get_type_name()) + "\\fR";
    m << first << "\n" << roff(o->get_description()) << "\n";
  }
  for (const CLI::App* sub : subs) man_verb(sub, m);
}

}  // namespace

std::string man_page(const VerbTable& t) {
  std::vector<Chosen> chosen;
  const std::unique_ptr<CLI::App> app = command_line(t, chosen);
  std::ostringstream m;
  std::string upper = t.program;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const std::string summary = t.description.substr(t.description.find(':') + 1);
  m << ".\\\" Generated by `" << t.program << " --man` from its command-line definitions.\n"
    << ".TH " << upper << " 1 \"\" \"" << roff(t.version) << "\" \"User Commands\"\n"
    << ".SH NAME\n"
    << t.program << " \\-" << roff(summary) << "\n"
    << ".SH SYNOPSIS\n.B " << t.program << "\n.I VERB\n[\\fIOPTIONS\\fR]\n.br\n.B " << t.program
    << " help\n.I VERB\n"
    << ".SH DESCRIPTION\n"
    << "Every verb takes \\fB\\-q\\fR (no progress or information on stderr; errors still "
       "show) and \\fB\\-\\-out\\fR \\fIFILE\\fR, whose format comes from its extension or "
       "\\fB\\-\\-format\\fR; an unknown extension is a usage error (exit 2). The exceptions: "
       "\\fBvalidate\\fR and \\fBcalib bench\\fR write a directory of files, \\fBsweep\\fR a CSV "
       "with JSON lines beside it, \\fBplot\\fR an image. On a terminal, work over a second "
       "shows a progress bar with its ETA on stderr.\n"
    << "\\fB" << t.program << " help\\fR \\fIVERB\\fR prints what \\fB" << t.program
    << "\\fR \\fIVERB\\fR \\fB\\-\\-help\\fR prints.\n"
    << ".SH VERBS\n";
  const CLI::App& program = *app;
  for (const CLI::App* cmd :
       program.get_subcommands([](const CLI::App* c) { return c->get_name() != "help"; }))
    man_verb(cmd, m);
  m << ".SH \"EXIT STATUS\"\n0: success; 1: a runtime failure; 2: a configuration or usage error "
       "(the message names the file, line, column and key, or the option); 3: compare found B "
       "outside a \\-\\-tolerance.\n"
    << ".SH \"SEE ALSO\"\ndocs/guide.md, docs/outputs.md and docs/config-reference.md, "
       "installed with the program's documentation.\n";
  return m.str();
}

int run_verbs(const VerbTable& t, const std::vector<std::string>& given, std::ostream& out,
              std::ostream& err) {
  std::vector<std::string> args = given;
  std::vector<std::string> help_of;  // `help VERB...` is `VERB... --help`
  if (!args.empty() && args.front() == "help") {
    help_of.assign(args.begin() + 1, args.end());
    args = help_of;
    args.push_back("--help");
  }
  if (args == std::vector<std::string>{"--man"}) {
    out << man_page(t);
    return kExitOk;
  }
  std::vector<Chosen> chosen;
  const std::unique_ptr<CLI::App> app = command_line(t, chosen);
  app->add_subcommand("help", "The help of a verb: servesim help VERB is servesim VERB --help");
  const CLI::App* verb = app.get();
  for (const std::string& word : help_of) {  // each word must name a verb of the one before
    const auto named =
        verb->get_subcommands([&](const CLI::App* c) { return c->get_name() == word; });
    if (named.empty()) {
      err << t.program << ": help: '" << word << "' is not a verb of '" << full_name(verb)
          << "'\nRun '" << full_name(verb) << " --help' for its verbs.\n";
      return kExitUsage;
    }
    verb = named.front();
  }
  try {
    app->parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::CallForHelp&) {
    out << app->help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app->help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << app->version() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // The help to read is the verb's the error is in: the deepest one named.
    const CLI::App* in = app.get();
    for (bool deeper = true; deeper;) {
      const auto named = in->get_subcommands([](const CLI::App* c) { return c->parsed(); });
      deeper = !named.empty();
      if (deeper) in = named.front();
    }
    err << t.program << ": " << e.what() << "\n"
        << "Run '" << full_name(in) << " --help' for usage.\n";
    return kExitUsage;
  }

  for (const Chosen& c : chosen)
    if (c.cmd->parsed()) return run_reporting(*c.table, c.action, out, err);
  return verb_required(t)(out, err);
}

}  // namespace servesim
