#include "sim/app/sweep.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "sim/app/sweep_mpi.h"
#include "sim/config/atomic_file.h"
#include "sim/config/csv.h"
#include "sim/config/curves.h"
#include "sim/config/error.h"
#include "sim/config/reader.h"
#include "sim/config/scenario.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/metrics/report.h"
#include "sim/metrics/run_summary.h"

namespace servesim {

namespace {

[[noreturn]] void grid_error(int index, std::size_t col, const std::string& key,
                             const std::string& message) {
  throw ConfigError(SourceMark{"--grid #" + std::to_string(index), 1, static_cast<int>(col + 1)},
                    key, message);
}

/// Splits on commas that are outside brackets, braces and quotes.
std::vector<std::pair<std::string, std::size_t>> split_values(const std::string& s,
                                                              std::size_t offset) {
  std::vector<std::pair<std::string, std::size_t>> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    const char c = i < s.size() ? s[i] : ',';
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth <= 0) {
      out.emplace_back(s.substr(start, i - start), offset + start);
      start = i + 1;
    }
  }
  return out;
}

/// "100/s" -> (100, "/s"); "0.5" -> (0.5, "").
std::optional<std::pair<double, std::string>> number_and_unit(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(v)) return std::nullopt;
  return std::make_pair(v, std::string(end));
}

std::vector<std::string> range_values(const std::string& key, const std::string& start,
                                      const std::string& stop, const std::string& step, int index,
                                      std::size_t col) {
  const auto a = number_and_unit(start), b = number_and_unit(stop), d = number_and_unit(step);
  if (!a || !b || !d)
    grid_error(index, col, key,
               "a range is start:stop:step with numbers (e.g. 100/s:500/s:100/s or 1:8:1)");
  if (a->second != b->second || a->second != d->second)
    grid_error(index, col, key,
               "start, stop and step of a range must have the same unit ('" + a->second + "', '" +
                   b->second + "', '" + d->second + "')");
  if (!(d->first > 0)) grid_error(index, col, key, "a range's step must be > 0");
  if (b->first < a->first) grid_error(index, col, key, "a range's stop must be >= its start");
  const double n = std::floor((b->first - a->first) / d->first * (1 + 1e-12)) + 1;
  if (n > 1e6) grid_error(index, col, key, "a range of more than 1e6 values");
  std::vector<std::string> out;
  for (int i = 0; i < static_cast<int>(n); ++i)
    out.push_back(shortest(a->first + i * d->first) + a->second);
  return out;
}

std::string point_label(const std::vector<GridAxis>& grid, const std::vector<std::size_t>& at) {
  std::string s;
  for (std::size_t k = 0; k < grid.size(); ++k)
    s += (k ? " " : "") + grid[k].key + "=" + grid[k].values[at[k]];
  return s;
}

/// A finished point: its JSON line, and its CSV header and row (servesim's columns).
struct PointResult {
  std::string line;
  std::vector<std::string> columns, cells;
};

class Sweep final : public SweepHub {
 public:
  Sweep(const SweepOptions& o, std::ostream& err) : o_(o), err_(err) {}

  /// `serve`, when given, runs on this thread while -j threads simulate (rank 0 of an MPI sweep).
  std::size_t run(const std::function<void(SweepHub&)>& serve) {
    build_points();
    const auto jsonl = jsonl_path(o_.out);
    if (!o_.resume && (std::filesystem::exists(o_.out) || std::filesystem::exists(jsonl)))
      throw std::runtime_error("'" + o_.out.string() + "' or '" + jsonl.string() +
                               "' exists: pass --resume to complete that sweep, or choose "
                               "another --out (servesim never overwrites results)");
    if (o_.resume) read_journal(jsonl);
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (!results_.count(i)) todo_.push_back(i);
    journal_ = std::fopen(jsonl.c_str(), "ab");
    if (!journal_) throw std::runtime_error("cannot write '" + jsonl.string() + "'");
    start_ = std::chrono::steady_clock::now();
    done_at_start_ = results_.size();
    auto worker = [&] {
      while (const auto i = take()) {
        try {
          finish(*i, simulate(*i));
        } catch (...) {
          fail(std::current_exception());
        }
      }
    };
    const auto n = static_cast<std::size_t>(std::clamp<int>(o_.jobs, 1, 1 << 16));
    std::vector<std::thread> pool;
    for (std::size_t t = serve ? 0 : 1; t < std::min(n, std::max<std::size_t>(todo_.size(), 1));
         ++t)
      pool.emplace_back(worker);
    if (serve)
      serve(*this);
    else
      worker();
    for (auto& t : pool) t.join();
    fsync(fileno(journal_));
    std::fclose(journal_);
    if (failure_) {
      write_csv();
      std::rethrow_exception(failure_);
    }
    // Final files in point order: the same bytes whatever -j and however often it resumed.
    std::string lines;
    for (const auto& [i, r] : results_) lines += r.line + "\n";
    write_atomically(jsonl, lines);
    write_csv();
    if (o_.progress) progress(true);
    return todo_.size();
  }

  std::optional<std::size_t> take() override {
    const std::size_t k = next_++;
    if (k < todo_.size()) return todo_[k];
    return std::nullopt;
  }

  void record(const std::string& line) override {
    const auto j = nlohmann::ordered_json::parse(line);
    const std::size_t i = j.value("point", params_.size());
    if (i >= params_.size() || j.at("grid") != grids_[i])
      throw std::runtime_error(
          "a rank sent a point not in this sweep: do all ranks run the same servesim with the "
          "same arguments?");
    finish(i, point_result(j, line));
  }

  void fail(std::exception_ptr e) override {
    std::lock_guard lock(mu_);
    if (!failure_) failure_ = e;
    next_ = todo_.size();  // stop handing out points; finished ones are journalled
  }

  void build_points() {
    const ConfigNode base = o_.scenario.empty() ? load_config_file(default_scenario_path())
                                                : load_config_file(o_.scenario);
    std::size_t total = 1;
    for (const auto& axis : o_.grid) {
      total *= axis.values.size();
      if (total > 10'000'000) throw std::runtime_error("the grid has more than 1e7 points");
    }
    std::vector<std::vector<std::size_t>> at(total, std::vector<std::size_t>(o_.grid.size()));
    for (std::size_t p = 0; p < total; ++p) {
      // The first axis varies slowest, like nested loops in the order the axes were given.
      std::size_t rest = p;
      for (std::size_t k = o_.grid.size(); k-- > 0;) {
        at[p][k] = rest % o_.grid[k].values.size();
        rest /= o_.grid[k].values.size();
      }
      nlohmann::ordered_json grid = nlohmann::ordered_json::object();
      std::vector<std::string> cells;
      for (std::size_t k = 0; k < o_.grid.size(); ++k) {
        grid[o_.grid[k].key] = o_.grid[k].values[at[p][k]];
        cells.push_back(o_.grid[k].values[at[p][k]]);
      }
      grids_.push_back(std::move(grid));
      grid_cells_.push_back(std::move(cells));
    }
    // Every point is parsed before any runs (a bad value fails at once), on all the sweep's
    // threads: with thousands of small points, parsing would otherwise be the serial part.
    params_.resize(total);
    std::vector<std::exception_ptr> errors(total);
    std::atomic<std::size_t> next{0};
    auto parse = [&] {
      for (std::size_t p; (p = next++) < total;) {
        try {
          ConfigNode root = base;
          int n = 0;
          for (const auto& s : o_.sets) apply_override(root, s, ++n);
          for (std::size_t k = 0; k < o_.grid.size(); ++k)
            apply_override(root, o_.grid[k].key + "=" + o_.grid[k].values[at[p][k]], ++n);
          params_[p] = parse_scenario(root);
        } catch (const ConfigError& e) {
          errors[p] = std::make_exception_ptr(
              ConfigError(e.mark(), e.key(),
                          std::string(e.message()) + " (at sweep point " + std::to_string(p) +
                              ": " + point_label(o_.grid, at[p]) + ")"));
          next = total;
        } catch (...) {
          errors[p] = std::current_exception();
          next = total;
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(o_.jobs, static_cast<int>(total)); ++t)
      pool.emplace_back(parse);
    parse();
    for (auto& t : pool) t.join();
    for (const auto& e : errors)  // the first bad point in grid order, whatever the threads did
      if (e) std::rethrow_exception(e);
  }

  PointResult simulate(std::size_t i) const {
    const RunSummary s = run_scenario(params_[i], 1);
    const std::string csv = summary_csv(s, params_[i].workload);
    const auto nl = csv.find('\n');
    PointResult r;
    r.columns = split_csv(csv.substr(0, nl));
    r.cells = split_csv(csv.substr(nl + 1, csv.size() - nl - 2));
    nlohmann::ordered_json j;
    j["point"] = i;
    j["grid"] = grids_[i];
    j["csv_columns"] = r.columns;
    j["csv_row"] = r.cells;
    j["result"] = summary_json(s, resolved_config(params_[i]));
    r.line = j.dump();
    return r;
  }

 private:
  /// A result line read back (from the journal, or from another rank) and its parsed JSON.
  static PointResult point_result(const nlohmann::ordered_json& j, const std::string& line) {
    PointResult r;
    r.line = line;
    r.columns = j.at("csv_columns").get<std::vector<std::string>>();
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
      results_.emplace(i, std::move(r));
      const auto now = std::chrono::steady_clock::now();
      if (now - last_csv_ > std::chrono::seconds(5)) {
        write_csv();
        last_csv_ = now;
      }
      if (o_.progress) progress(false);
    }
    if (fd >= 0) fsync(fd);
  }

  void read_journal(const std::filesystem::path& jsonl) {
    std::ifstream in(jsonl);
    if (!in) return;  // nothing done yet
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
    for (std::size_t n = 0; n < lines.size(); ++n) {
      nlohmann::ordered_json j;
      try {
        j = nlohmann::ordered_json::parse(lines[n]);
      } catch (const nlohmann::json::exception&) {
        if (n + 1 == lines.size()) break;  // a line cut short by the kill: simulate it again
        throw std::runtime_error(jsonl.string() + ":" + std::to_string(n + 1) +
                                 ": not a sweep result line; is this the right --out?");
      }
      const std::size_t i = j.value("point", params_.size());
      if (i >= params_.size() || j["grid"] != grids_[i])
        throw std::runtime_error(jsonl.string() + ":" + std::to_string(n + 1) +
                                 ": this result was made with another grid; resume with the "
                                 "same scenario, --set and --grid, or choose another --out");
      results_[i] = point_result(j, lines[n]);
    }
  }

  /// The CSV of every finished point, in point order: one column per grid key, then the union of
  /// servesim's columns in order of first appearance (GPU counts change the resource columns).
  void write_csv() {
    std::vector<std::string> columns;
    std::map<std::string, std::size_t> index;
    for (const auto& [i, r] : results_)
      for (const auto& c : r.columns)
        if (index.emplace(c, columns.size()).second) columns.push_back(c);
    std::string text;
    for (std::size_t k = 0; k < o_.grid.size(); ++k) text += csv_cell(o_.grid[k].key) + ",";
    for (std::size_t c = 0; c < columns.size(); ++c) text += (c ? "," : "") + csv_cell(columns[c]);
    text += "\n";
    for (const auto& [i, r] : results_) {
      for (const auto& g : grid_cells_[i]) text += csv_cell(g) + ",";
      std::vector<std::string> row(columns.size());
      for (std::size_t c = 0; c < r.columns.size(); ++c) row[index[r.columns[c]]] = r.cells[c];
      for (std::size_t c = 0; c < row.size(); ++c) text += (c ? "," : "") + csv_cell(row[c]);
      text += "\n";
    }
    write_atomically(o_.out, text);
  }

  void progress(bool final) {
    const std::size_t done = results_.size(), total = params_.size();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t now_done = done - done_at_start_;
    const double eta =
        now_done ? elapsed / static_cast<double>(now_done) * static_cast<double>(total - done) : 0;
    const int width = 30;
    const int filled = static_cast<int>(width * static_cast<double>(done) /
                                        static_cast<double>(std::max<std::size_t>(total, 1)));
    char buf[160];
    std::snprintf(buf, sizeof buf, "  sweep [%s%s] %zu/%zu points  %.1f s  ETA %.0f s",
                  std::string(static_cast<std::size_t>(filled), '=').c_str(),
                  std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, total,
                  elapsed, eta);
    // On a terminal the line redraws in place; in a log, a line per tenth of the sweep.
    static const bool tty = isatty(STDERR_FILENO) != 0;
    if (tty) {
      err_ << "\r" << buf << (final ? "\n" : "") << std::flush;
    } else if (!final && done * 10 / std::max<std::size_t>(total, 1) != printed_tenth_) {
      printed_tenth_ = done * 10 / std::max<std::size_t>(total, 1);
      err_ << buf << "\n";
    }
  }

  const SweepOptions& o_;
  std::ostream& err_;
  std::vector<ScenarioParams> params_;
  std::vector<nlohmann::ordered_json> grids_;
  std::vector<std::vector<std::string>> grid_cells_;
  std::map<std::size_t, PointResult> results_;
  std::vector<std::size_t> todo_;     // the points not yet done when the sweep started
  std::atomic<std::size_t> next_{0};  // the next of todo_ to hand out
  std::exception_ptr failure_;
  std::mutex mu_;
  std::FILE* journal_ = nullptr;
  std::chrono::steady_clock::time_point start_, last_csv_{}, last_sync_{};
  std::size_t done_at_start_ = 0;
  std::size_t printed_tenth_ = 0;
};

}  // namespace

std::filesystem::path jsonl_path(const std::filesystem::path& csv) {
  auto p = csv;
  return p.extension() == ".csv" ? p.replace_extension(".jsonl")
                                 : std::filesystem::path(csv.string() + ".jsonl");
}

GridAxis parse_grid_arg(const std::string& text, int index) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    grid_error(index, 0, "", "expected --grid key=v1,v2,... or key=start:stop:step");
  GridAxis axis;
  axis.key = text.substr(0, eq);
  const std::string rest = text.substr(eq + 1);
  const auto values = split_values(rest, eq + 1);
  if (values.size() == 1) {
    // start:stop:step, unless the single value is a YAML map or list (which may hold colons).
    const std::string& v = values[0].first;
    if (!v.empty() && v.front() != '{' && v.front() != '[' &&
        std::count(v.begin(), v.end(), ':') == 2) {
      const auto c1 = v.find(':'), c2 = v.find(':', c1 + 1);
      axis.values = range_values(axis.key, v.substr(0, c1), v.substr(c1 + 1, c2 - c1 - 1),
                                 v.substr(c2 + 1), index, eq + 1);
      return axis;
    }
  }
  for (const auto& [v, col] : values) {
    if (v.empty()) grid_error(index, col, axis.key, "an empty value in the list");
    axis.values.push_back(v);
  }
  return axis;
}

std::vector<GridAxis> load_grid_file(const std::filesystem::path& file) {
  const ConfigNode root = load_config_file(file);
  MapReader r(root, "");
  const ConfigNode& grid = r.require("grid");
  r.finish();
  if (!grid.is_map() || grid.entries.empty())
    throw ConfigError(grid.mark, "grid", "expected a map of key -> list of values");
  std::vector<GridAxis> out;
  for (const auto& e : grid.entries) {
    GridAxis axis;
    axis.key = e.key;
    const std::string path = "grid." + e.key;
    if (e.value.is_sequence() && !e.value.items.empty()) {
      for (const auto& v : e.value.items) axis.values.push_back(to_flow_yaml(v));
    } else if (e.value.is_map()) {
      MapReader m(e.value, path, &e.key_mark);
      const auto text = [&](const char* k) {
        return read_scalar(m.require(k), m.key_path(k), "a number with an optional unit");
      };
      const std::string a = text("start"), b = text("stop"), d = text("step");
      m.finish();
      try {
        axis.values = range_values(e.key, a, b, d, 0, 0);
      } catch (const ConfigError& err) {
        throw ConfigError(e.value.mark, path, err.message());
      }
    } else {
      throw ConfigError(e.value.mark, path,
                        "expected a non-empty list of values or {start, stop, step}");
    }
    out.push_back(std::move(axis));
  }
  return out;
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
  impl_->sweep.build_points();
}

SweepPoints::~SweepPoints() = default;

std::string SweepPoints::simulate(std::size_t i) const { return impl_->sweep.simulate(i).line; }

MpiLaunch mpi_launch() {
  const auto read = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
  };
  return {read("OMPI_COMM_WORLD_RANK", 0), read("OMPI_COMM_WORLD_SIZE", 1)};
}

}  // namespace servesim
