#include "sim/run/sweep.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "sim/config/atomic_file.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/progress.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "sim/run/sweep_mpi.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/scenario.h"

namespace servesim {

namespace {

/// The journal header's format: a journal with another, or none, is not resumed. 2: the CSV
/// rows in perf_analyzer's layout (whole microseconds), as the final CSV writes them.
constexpr int kJournalFormat = 2;

/// "fnv1a64:" and the hash in 16 hex digits.
std::string fingerprint(std::string_view bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx",
                static_cast<unsigned long long>(fnv1a64(bytes)));
  return buf;
}

/// The grid as bytes that no other grid has: every key and value prefixed by its length.
std::string grid_bytes(const std::vector<GridAxis>& grid) {
  std::string s;
  const auto put = [&s](const std::string& t) { s += std::to_string(t.size()) + ":" + t; };
  for (const auto& axis : grid) {
    put(axis.key);
    s += std::to_string(axis.values.size()) + "#";
    for (const auto& v : axis.values) put(v);
  }
  return s;
}

/// `--set a --set b` as a journal header lists them; "none" for none.
std::string overrides_text(const nlohmann::ordered_json& sets) {
  std::string s;
  if (sets.is_array())
    for (const auto& v : sets)
      s += (s.empty() ? "--set " : " --set ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return s.empty() ? "none" : s;
}

/// "12 points over workload.rate x pipeline.serve.instances", from a journal header.
std::string grid_text(const nlohmann::ordered_json& header) {
  std::string keys;
  if (header.contains("grid_keys") && header["grid_keys"].is_array())
    for (const auto& k : header["grid_keys"])
      keys += (keys.empty() ? "" : " x ") + (k.is_string() ? k.get<std::string>() : k.dump());
  return (header.contains("points") ? header["points"].dump() : "?") + " points over " + keys;
}

/// A result line's point number, if it has one.
std::optional<std::size_t> point_index(const nlohmann::ordered_json& j) {
  if (!j.is_object() || !j.contains("point") || !j["point"].is_number_unsigned())
    return std::nullopt;
  return j["point"].get<std::size_t>();
}

/// A finished point: its JSON line, and its CSV header and row (servesim's columns). Results are
/// what a sweep's memory holds, so points with the same header share one copy of it.
struct PointResult {
  std::string line;
  std::shared_ptr<const std::vector<std::string>> columns;
  std::vector<std::string> cells;
};

class Sweep final : public SweepHub {
 public:
  Sweep(const SweepOptions& o, std::ostream& err) : o_(o), err_(err) {}

  /// Loads the scenario, counts the grid (refusing one over the limit) and parses the first
  /// point, so that a bad scenario, --set or first value fails before anything is written. The
  /// other points are made from their number as each is about to run: a sweep holds the points
  /// being simulated and the results, never the whole grid.
  void prepare() {
    base_ = o_.composed           ? *o_.composed
            : o_.scenario.empty() ? load_config_file(default_scenario_path())
                                  : load_config_file(o_.scenario);
    total_ = count_grid_points(o_.grid);
    point_params(0);
  }

  /// `serve`, when given, runs on this thread while -j threads simulate (rank 0 of an MPI sweep).
  std::size_t run(const std::function<void(SweepHub&)>& serve) {
    const auto jsonl = jsonl_path(o_.out);
    check_output_path(o_.out, "--out");
    check_output_path(jsonl, "--out");
    if (!o_.resume && (std::filesystem::exists(o_.out) || std::filesystem::exists(jsonl)))
      throw ConfigError(SourceMark{"--out", 1, 1}, "",
                        "'" + o_.out.string() + "' or '" + jsonl.string() +
                            "' exists: pass --resume to complete that sweep, or choose another "
                            "--out (servesim never overwrites results)");
    prepare();
    if (o_.resume) read_journal(jsonl);
    // A new journal, or the one read back without a line cut short by a kill, so that what is
    // appended starts on a line of its own.
    write_atomically(jsonl, journal_text());
    for (const auto& [i, r] : results_) resumed_.push_back(i);
    journal_ = std::fopen(jsonl.c_str(), "ab");
    if (!journal_) throw std::runtime_error("cannot write '" + jsonl.string() + "'");
    start_ = std::chrono::steady_clock::now();
    bar_ = std::make_unique<ProgressBar>(err_, o_.progress && ProgressBar::stderr_is_terminal());
    done_at_start_ = results_.size();
    const std::size_t todo = total_ - done_at_start_;
    auto worker = [&] {
      while (const auto i = take()) {
        try {
          finish(*i, simulate(*i));
        } catch (...) {
          fail_at(*i, std::current_exception());
        }
      }
    };
    const auto n = std::min(static_cast<std::size_t>(std::clamp<int>(o_.jobs, 1, 1 << 16)),
                            std::max<std::size_t>(todo, 1));
    estimate_after_ = n;                     // the first round of points: one per thread
    const std::size_t self = serve ? 0 : 1;  // whether this thread simulates too
    WorkerThreads pool = start_workers(n - self, worker);
    warn_threads(pool, n, self, err_);
    if (serve)
      serve(*this);
    else
      worker();
    pool.join();
    fsync(fileno(journal_));
    std::fclose(journal_);
    if (failure_) {
      write_csv();
      std::rethrow_exception(failure_);
    }
    // Final files in point order: the same bytes whatever -j and however often it resumed.
    write_atomically(jsonl, journal_text());
    write_csv();
    if (o_.progress) progress(true);
    return todo;
  }

  std::optional<std::size_t> take() override {
    for (std::size_t k; (k = next_++) < total_;)
      if (!std::binary_search(resumed_.begin(), resumed_.end(), k)) return k;
    return std::nullopt;
  }

  void record(const std::string& line) override {
    const auto j = nlohmann::ordered_json::parse(line);
    const auto i = point_index(j);
    if (!i || *i >= total_ || j.at("grid") != grid_json(*i))
      throw std::runtime_error(
          "a rank sent a point not in this sweep: do all ranks run the same servesim with the "
          "same arguments?");
    finish(*i, point_result(j, line));
  }

  void fail(std::exception_ptr e) override { fail_at(total_, e); }

  void fail_point(std::size_t i, const std::string& what) override {
    // A bad value is a config error here too: the same message and exit status as a sweep in
    // one process, whichever rank met it.
    try {
      if (i < total_) point_params(i);
    } catch (const ConfigError&) {
      fail_at(i, std::current_exception());
      return;
    } catch (...) {
    }
    fail_at(i, std::make_exception_ptr(std::runtime_error(what)));
  }

  PointResult simulate(std::size_t i) const {
    const ScenarioParams params = point_params(i);
    const RunSummary s = run_scenario(params, 1);
    std::optional<UncertaintySummary> u;
    if (o_.uncertainty > 0) u = run_uncertainty(params, o_.uncertainty, 1);
    const std::string csv = summary_csv(s, params.workload, u ? &*u : nullptr, layout());
    const auto nl = csv.find('\n');
    PointResult r;
    r.columns = std::make_shared<const std::vector<std::string>>(split_csv(csv.substr(0, nl)));
    r.cells = split_csv(csv.substr(nl + 1, csv.size() - nl - 2));
    nlohmann::ordered_json j;
    j["point"] = i;
    j["grid"] = grid_json(i);
    j["csv_columns"] = *r.columns;
    j["csv_row"] = r.cells;
    j["result"] = result_json(params, s, u ? &*u : nullptr);
    r.line = j.dump();
    return r;
  }

 private:
  CsvLayout layout() const { return o_.verbose_csv ? CsvLayout::kVerbose : CsvLayout::kPlain; }

  /// Each axis's value index at point p; the first axis varies slowest, like nested loops in the
  /// order the axes were given.
  std::vector<std::size_t> axis_indices(std::size_t p) const {
    std::vector<std::size_t> at(o_.grid.size());
    for (std::size_t k = o_.grid.size(); k-- > 0;) {
      at[k] = p % o_.grid[k].values.size();
      p /= o_.grid[k].values.size();
    }
    return at;
  }

  /// Point p's grid values, in axis order.
  std::vector<std::string> grid_values(std::size_t p) const {
    const auto at = axis_indices(p);
    std::vector<std::string> values;
    for (std::size_t k = 0; k < o_.grid.size(); ++k) values.push_back(o_.grid[k].values[at[k]]);
    return values;
  }

  /// Point p's grid values as its result line holds them: {key: value, ...}.
  nlohmann::ordered_json grid_json(std::size_t p) const {
    const auto values = grid_values(p);
    nlohmann::ordered_json grid = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < o_.grid.size(); ++k) grid[o_.grid[k].key] = values[k];
    return grid;
  }

  /// The scenario with --set and point p's grid values applied, parsed; a bad value's error
  /// names the point.
  ScenarioParams point_params(std::size_t p) const {
    const auto at = axis_indices(p);
    try {
      ConfigNode root = base_;
      int n = 0;
      for (const auto& s : o_.sets) apply_override(root, s, ++n);
      for (std::size_t k = 0; k < o_.grid.size(); ++k)
        apply_override(root, o_.grid[k].key + "=" + o_.grid[k].values[at[k]], ++n);
      return parse_scenario(root);
    } catch (const ConfigError& e) {
      throw ConfigError(e.mark(), e.key(),
                        std::string(e.message()) + " (at sweep point " + std::to_string(p) + ": " +
                            grid_point_label(o_.grid, at) + ")");
    }
  }

  /// Stops the sweep: no more points are handed out. Of several failures the one at the first
  /// point in grid order is reported, so the error is the same for any -j: every point before it
  /// was handed out before it, and runs to its end.
  void fail_at(std::size_t i, std::exception_ptr e) {
    std::lock_guard lock(mu_);
    if (!failure_ || i < failure_point_) {
      failure_ = std::move(e);
      failure_point_ = i;
    }
    next_ = total_;
  }

  /// What makes this sweep, as the first line of its journal: a resume checks it, so that the
  /// journal's points are known to be this sweep's. The scenario is its YAML after includes (so
  /// comments and spacing do not count), the grid its keys and values, both fingerprinted; the
  /// --set overrides are kept as given, in order, to be shown when they differ.
  nlohmann::ordered_json journal_header() const {
    nlohmann::ordered_json h;
    h["format"] = kJournalFormat;
    h["scenario"] = fingerprint(to_flow_yaml(base_));
    h["set"] = o_.sets;
    h["grid"] = fingerprint(grid_bytes(o_.grid));
    h["grid_keys"] = nlohmann::ordered_json::array();
    for (const auto& axis : o_.grid) h["grid_keys"].push_back(axis.key);
    h["points"] = total_;
    if (o_.uncertainty > 0) h["uncertainty"] = o_.uncertainty;  // absent: as before the option
    if (o_.verbose_csv) h["verbose_csv"] = true;
    return nlohmann::ordered_json{{"sweep", h}};
  }

  /// The header, then every finished point's line in point order.
  std::string journal_text() const {
    std::string text = journal_header().dump() + "\n";
    for (const auto& [i, r] : results_) text += r.line + "\n";
    return text;
  }

  /// A ConfigError unless `first` (a journal's first line, at `at`) is the header this sweep
  /// writes, naming each of the scenario, the --set overrides and the grid that differ.
  void check_header(const nlohmann::ordered_json& first, const SourceMark& at) const {
    const auto ours = journal_header()["sweep"];
    if (!first.is_object() || !first.contains("sweep") || !first["sweep"].is_object() ||
        first["sweep"].value("format", nlohmann::ordered_json()) != kJournalFormat)
      throw ConfigError(at, "",
                        "this journal has no header of this servesim's format saying "
                        "which scenario, --set and grid made it (an older servesim wrote "
                        "none, or format 1, whose CSV rows are not in perf_analyzer's "
                        "layout), so it cannot be resumed by this sweep: run the sweep "
                        "again into another --out");
    const auto& theirs = first["sweep"];
    const auto field = [&](const char* k) {
      return theirs.contains(k) ? theirs[k] : nlohmann::ordered_json();
    };
    std::vector<std::string> differ;
    if (field("scenario") != ours["scenario"])
      differ.push_back("another scenario (its YAML after includes differs)");
    if (field("set") != ours["set"])
      differ.push_back("other --set overrides (then: " + overrides_text(field("set")) +
                       "; now: " + overrides_text(ours["set"]) + ")");
    if (field("grid") != ours["grid"])
      differ.push_back("another grid (then: " + grid_text(theirs) + "; now: " + grid_text(ours) +
                       ")");
    if (field("uncertainty") != ours.value("uncertainty", nlohmann::ordered_json()))
      differ.push_back("another --uncertainty (then: " + field("uncertainty").dump() +
                       "; now: " + ours.value("uncertainty", nlohmann::ordered_json()).dump() +
                       "; null: none)");
    if (field("verbose_csv") != ours.value("verbose_csv", nlohmann::ordered_json()))
      differ.push_back(std::string("another CSV layout (then: ") +
                       (field("verbose_csv").is_null() ? "plain" : "--verbose-csv") + ")");
    if (differ.empty()) return;
    std::string what;
    for (std::size_t k = 0; k < differ.size(); ++k) what += (k ? " and " : "") + differ[k];
    throw ConfigError(at, "",
                      "this journal was made with " + what +
                          ": resume with the same scenario, --set, --grid and options, or choose "
                          "another --out");
  }

  /// A result line read back (from the journal, or from another rank) and its parsed JSON.
  static PointResult point_result(const nlohmann::ordered_json& j, const std::string& line) {
    PointResult r;
    r.line = line;
    r.columns = std::make_shared<const std::vector<std::string>>(
        j.at("csv_columns").get<std::vector<std::string>>());
    r.cells = j.at("csv_row").get<std::vector<std::string>>();
    return r;
  }

  void finish(std::size_t i, PointResult r) {
    int fd = -1;
    {
      std::lock_guard lock(mu_);
      // Journal first: once the line is flushed to the kernel, killing the process cannot lose it.
      const std::string line = r.line + "\n";
      if (std::fwrite(line.data(), 1, line.size(), journal_) != line.size() ||
          std::fflush(journal_) != 0)
        throw std::runtime_error("cannot append to the sweep's journal");
      // To the disk too (a power cut), at most every half second: an fsync per point would make
      // points wait on the disk; outside the lock, so others do not queue behind it.
      const auto t = std::chrono::steady_clock::now();
      if (t - last_sync_ > std::chrono::milliseconds(500)) {
        fd = fileno(journal_);
        last_sync_ = t;
      }
      keep(i, std::move(r));
      const auto now = std::chrono::steady_clock::now();
      if (now - last_csv_ > std::chrono::seconds(5)) {
        write_csv();
        last_csv_ = now;
      }
      estimate();
      if (o_.progress) progress(false);
    }
    if (fd >= 0) fsync(fd);
  }

  /// Adds point i's result, in as little memory as it takes: results are what a sweep holds, so
  /// the line gives back its spare capacity and the columns are one copy of each distinct list
  /// (there are a few: GPU counts change the resource columns). Under mu_ once workers run.
  void keep(std::size_t i, PointResult r) {
    r.line.shrink_to_fit();
    const auto known = std::find_if(column_lists_.begin(), column_lists_.end(),
                                    [&](const auto& c) { return *c == *r.columns; });
    if (known == column_lists_.end())
      column_lists_.push_back(r.columns);
    else
      r.columns = *known;
    results_.insert_or_assign(i, std::move(r));
  }

  /// Once as many points have finished as there are threads (the first round), and a second
  /// has passed (fewer than that time too little to go by), warns if the rest looks long at
  /// their pace. Under mu_.
  void estimate() {
    const std::size_t measured = results_.size() - done_at_start_;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (estimated_ || measured < estimate_after_ || elapsed < 1) return;
    estimated_ = true;
    const std::string warning =
        long_sweep_warning(total_, measured, total_ - results_.size(), elapsed);
    if (!warning.empty()) err_ << (bar_ && bar_->drawn() ? "\n" : "") << warning << std::flush;
  }

  /// Reads back a journal to resume: its header must be this sweep's, and its points go into
  /// results_. The last line, if cut short by a kill, is dropped, to be simulated again.
  void read_journal(const std::filesystem::path& jsonl) {
    std::ifstream in(jsonl);
    if (!in) return;  // nothing done yet
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const SourceMark at{jsonl.string(), n, 1};
      nlohmann::ordered_json j;
      try {
        j = nlohmann::ordered_json::parse(line);
      } catch (const nlohmann::json::exception&) {
        if (in.peek() == std::ifstream::traits_type::eof()) break;  // cut short by the kill
        throw ConfigError(at, "", "not a line of a sweep's journal; is this the right --out?");
      }
      if (n == 1) {
        check_header(j, at);
        continue;
      }
      const auto i = point_index(j);
      if (!i || *i >= total_ || !j.contains("grid") || j["grid"] != grid_json(*i))
        throw ConfigError(at, "",
                          "this line is not a point of this sweep; is this the right --out?");
      PointResult r;
      try {
        r = point_result(j, line);
      } catch (const nlohmann::json::exception&) {  // no columns or row: refused just below
      }
      if (!r.columns || r.columns->size() != r.cells.size())
        throw ConfigError(at, "",
                          "this point's line has no CSV row that matches its columns; is this "
                          "the right --out?");
      keep(*i, std::move(r));
    }
  }

  /// The CSV of every finished point in perf_analyzer's layout: its columns (as every point
  /// writes them first), one column per grid key, then the union of servesim's own columns in
  /// order of first appearance (GPU counts change the resource columns). Rows in order of
  /// increasing Inferences/Second, as perf_analyzer sorts them; points of equal throughput in
  /// point order, so the file is the same for any -j.
  void write_csv() {
    std::vector<std::string> columns;
    std::map<std::string, std::size_t> index;
    for (const auto& [i, r] : results_)
      for (const auto& c : *r.columns)
        if (index.emplace(c, columns.size()).second) columns.push_back(c);
    const std::size_t lead = std::min(perf_analyzer_column_count(layout()), columns.size());
    const auto line = [&](const std::vector<std::string>& cells,
                          const std::vector<std::string>& grid) {
      std::string t;
      for (std::size_t c = 0; c < lead; ++c) t += (c ? "," : "") + csv_cell(cells[c]);
      for (const auto& g : grid) t += "," + csv_cell(g);
      for (std::size_t c = lead; c < cells.size(); ++c) t += "," + csv_cell(cells[c]);
      return t + "\n";
    };
    std::vector<std::string> keys;
    for (const auto& axis : o_.grid) keys.push_back(axis.key);
    std::string text = line(columns, keys);
    std::vector<std::pair<double, std::size_t>> order;  // (Inferences/Second, point)
    const auto thr = index.find("Inferences/Second");
    for (const auto& [i, r] : results_) {
      double x = std::numeric_limits<double>::infinity();  // none: after every number
      if (thr != index.end())
        for (std::size_t c = 0; c < r.columns->size(); ++c)
          if ((*r.columns)[c] == thr->first)
            x = parse_number(r.cells[c]).value_or(std::numeric_limits<double>::infinity());
      order.emplace_back(std::isnan(x) ? std::numeric_limits<double>::infinity() : x, i);
    }
    std::stable_sort(order.begin(), order.end());
    for (const auto& [x, i] : order) {
      const PointResult& r = results_.at(i);
      std::vector<std::string> row(columns.size());
      for (std::size_t c = 0; c < r.columns->size(); ++c) row[index[(*r.columns)[c]]] = r.cells[c];
      text += line(row, grid_values(i));
    }
    write_atomically(o_.out, text);
  }

  /// The shared progress bar on a terminal (after a second); in a log, a line per tenth.
  void progress(bool final) {
    const std::size_t done = results_.size(), total = total_;
    if (ProgressBar::stderr_is_terminal()) {
      bar_->update(done, total, "sweep", "points", done_at_start_);
      if (final) bar_->finish(true);
      return;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t now_done = done - done_at_start_;
    const double eta =
        now_done ? elapsed / static_cast<double>(now_done) * static_cast<double>(total - done) : 0;
    if (!final && done * 10 / std::max<std::size_t>(total, 1) != printed_tenth_) {
      printed_tenth_ = done * 10 / std::max<std::size_t>(total, 1);
      err_ << ProgressBar::line("sweep", done, total, "points", elapsed, eta) << "\n";
    }
  }

  const SweepOptions& o_;
  std::ostream& err_;
  ConfigNode base_;        // the scenario after includes, before --set and the grid
  std::size_t total_ = 0;  // the grid's points
  std::map<std::size_t, PointResult> results_;
  std::vector<std::shared_ptr<const std::vector<std::string>>> column_lists_;
  std::vector<std::size_t> resumed_;  // the points journalled before this run, ascending
  std::atomic<std::size_t> next_{0};  // the next point to hand out, unless resumed
  std::exception_ptr failure_;
  std::size_t failure_point_ = 0;
  std::mutex mu_;
  std::FILE* journal_ = nullptr;
  std::chrono::steady_clock::time_point start_, last_csv_{}, last_sync_{};
  std::size_t done_at_start_ = 0;
  std::size_t printed_tenth_ = 0;
  std::size_t estimate_after_ = 1;
  bool estimated_ = false;
  std::unique_ptr<ProgressBar> bar_;  // on a terminal, from a second on
};

}  // namespace

std::filesystem::path jsonl_path(const std::filesystem::path& csv) {
  auto p = csv;
  return p.extension() == ".csv" ? p.replace_extension(".jsonl")
                                 : std::filesystem::path(csv.string() + ".jsonl");
}

std::size_t run_sweep(const SweepOptions& o, std::ostream& err) {
  if (const MpiLaunch launch = mpi_launch(); launch.size > 1) {
#ifdef SERVESIM_MPI
    return run_sweep_mpi(o, err);
#else
    throw std::runtime_error(
        "mpirun started " + std::to_string(launch.size) +
        " ranks, but this servesim was built without MPI, so each would run the whole sweep: run "
        "it without mpirun, or rebuild it with MPI (docs/guide.md, section 6)");
#endif
  }
  return Sweep(o, err).run({});
}

std::size_t run_sweep_served(const SweepOptions& o, std::ostream& err,
                             const std::function<void(SweepHub&)>& serve) {
  return Sweep(o, err).run(serve);
}

struct SweepPoints::Impl {
  std::ostringstream unheard;  // a points-only sweep writes nothing; its stream is never read
  Sweep sweep;
  explicit Impl(const SweepOptions& o) : sweep(o, unheard) {}
};

SweepPoints::SweepPoints(const SweepOptions& o) : impl_(std::make_unique<Impl>(o)) {
  impl_->sweep.prepare();
}

SweepPoints::~SweepPoints() = default;

std::string SweepPoints::simulate(std::size_t i) const { return impl_->sweep.simulate(i).line; }

std::vector<std::string> sweep_lines(const SweepOptions& o) {
  const SweepPoints points(o);
  const std::size_t total = count_grid_points(o.grid);
  std::vector<std::string> lines(total);
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::exception_ptr failure;
  std::size_t failed_at = total;
  const auto worker = [&] {
    for (std::size_t i; (i = next++) < total;) {
      try {
        lines[i] = points.simulate(i);
      } catch (...) {
        // Every point before the first that failed was handed out before it and runs to its end,
        // so the error reported is the same for any number of threads.
        std::lock_guard lock(mu);
        if (i < failed_at) {
          failure = std::current_exception();
          failed_at = i;
        }
        next = total;
      }
    }
  };
  const auto n = std::min(static_cast<std::size_t>(std::clamp<int>(o.jobs, 1, 1 << 16)),
                          std::max<std::size_t>(total, 1));
  WorkerThreads pool = start_workers(n - 1, worker);
  worker();
  pool.join();
  if (failure) std::rethrow_exception(failure);
  return lines;
}

void warn_threads(const WorkerThreads& pool, std::size_t asked, std::size_t others,
                  std::ostream& warn) {
  if (!pool.refused().empty())
    warn << "servesim sweep: warning: running on " << pool.size() + others << " of the " << asked
         << " threads asked for: the system refused more (" << pool.refused()
         << "), and half of those it gave are left free for memory\n";
}

std::string long_sweep_warning(std::size_t points, std::size_t measured, std::size_t left,
                               double elapsed_s) {
  if (measured == 0) return "";
  const double seconds = elapsed_s / static_cast<double>(measured) * static_cast<double>(left);
  if (seconds < 600) return "";
  char buf[320];
  const double hours = seconds / 3600;
  char rest[48];
  if (hours < 2)
    std::snprintf(rest, sizeof rest, "%.0f minutes", seconds / 60);
  else if (hours < 48)
    std::snprintf(rest, sizeof rest, "%.1f hours", hours);
  else
    std::snprintf(rest, sizeof rest, "%.1f days", hours / 24);
  std::snprintf(buf, sizeof buf,
                "servesim sweep: warning: %zu points, %zu still to simulate: at the pace of the "
                "first %zu (%.1f s) that is about %s more, if the rest cost what those did. "
                "Ctrl-C stops it; --resume completes it later.\n",
                points, left, measured, elapsed_s, rest);
  return buf;
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // the offset basis and prime of 64-bit FNV
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

MpiLaunch mpi_launch() {
  const auto read = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
  };
  return {read("OMPI_COMM_WORLD_RANK", 0), read("OMPI_COMM_WORLD_SIZE", 1)};
}

}  // namespace servesim
