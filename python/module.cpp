/// The Python module `servesim` (docs/python.md): `run` and `sweep` over the same engine as the
/// command line, in this process, returning what `servesim run --json` and a sweep's JSON lines
/// hold, parsed by Python's json module; a config error raises servesim.ConfigError.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/config/error.h"
#include "sim/run/grid.h"
#include "sim/run/replications.h"
#include "sim/run/sweep.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/scenario.h"

namespace py = pybind11;

namespace servesim {

namespace {

/// A Python value as the YAML text `--set key=VALUE` takes: a str as written, a bool as
/// true/false, a number as Python prints it, a list, tuple or dict as JSON (which YAML reads).
std::string yaml_text(const py::handle& value, const std::string& key) {
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value))
    return py::str(value).cast<std::string>();
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value) ||
      py::isinstance<py::dict>(value))
    return py::module_::import("json").attr("dumps")(value).cast<std::string>();
  throw py::type_error("servesim: the value of '" + key +
                       "' must be a str, bool, int, float, list or dict, not " +
                       py::str(py::type::of(value).attr("__name__")).cast<std::string>());
}

/// `set={"node.gpus.count": 4}` as the command line's `--set node.gpus.count=4`, in order.
std::vector<std::string> overrides(const std::optional<py::dict>& set) {
  std::vector<std::string> out;
  if (set)
    for (const auto& [k, v] : *set) {
      const auto key = py::str(k).cast<std::string>();
      out.push_back(key + "=" + yaml_text(v, key));
    }
  return out;
}

/// `grid={key: [values]}` or `{key: "start:stop:step"}` (or "v1,v2"), as `--grid` takes it;
/// axes in the dict's order, the first outermost.
std::vector<GridAxis> grid_axes(const py::dict& grid) {
  std::vector<GridAxis> axes;
  for (const auto& [k, v] : grid) {
    const auto key = py::str(k).cast<std::string>();
    const int index = static_cast<int>(axes.size() + 1);
    if (py::isinstance<py::str>(v)) {
      axes.push_back(parse_grid_arg(key + "=" + v.cast<std::string>(), index));
      continue;
    }
    if (!py::isinstance<py::iterable>(v) || py::isinstance<py::dict>(v))
      throw py::type_error("servesim: grid['" + key +
                           "'] must be a list of values or a str such as '1:8:1'");
    GridAxis axis{key, {}, SourceMark{"--grid #" + std::to_string(index), 1, 1}};
    for (const auto& value : v) axis.values.push_back(yaml_text(value, key));
    if (axis.values.empty()) throw ConfigError(axis.mark, key, "an empty list of values");
    axes.push_back(std::move(axis));
  }
  if (axes.empty())
    throw ConfigError(SourceMark{"--grid", 1, 1}, "", "the grid has no key to sweep");
  return axes;
}

/// jobs as the command line reads -j: 0 (the default) is every core.
int threads(int jobs) {
  return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

py::object parse_json(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

py::object run(const std::optional<std::filesystem::path>& scenario,
               const std::optional<py::dict>& set, int jobs, int uncertainty) {
  const auto sets = overrides(set);
  std::string text;
  {
    py::gil_scoped_release simulating;
    const LoadedScenario sc = load_scenario(scenario.value_or(""), sets);
    const RunSummary s = run_scenario(sc.params, threads(jobs));
    std::optional<UncertaintySummary> u;
    if (uncertainty > 0) u = run_uncertainty(sc.params, uncertainty, threads(jobs));
    text = result_json(sc.params, s, u ? &*u : nullptr).dump();
  }
  return parse_json(text);
}

py::list sweep(const std::optional<std::filesystem::path>& scenario, const py::dict& grid,
               const std::optional<py::dict>& set, int jobs, int uncertainty) {
  SweepOptions o;
  o.scenario = scenario.value_or("");
  o.sets = overrides(set);
  o.grid = grid_axes(grid);
  o.jobs = threads(jobs);
  o.uncertainty = uncertainty;
  std::vector<std::string> lines;
  {
    py::gil_scoped_release simulating;
    lines = sweep_lines(o);
  }
  py::list rows;
  for (const auto& line : lines) rows.append(parse_json(line));
  return rows;
}

/// servesim.ConfigError, a ValueError whose message is the command line's (file:line:col:
/// error: 'key': what), with the parts as attributes: file, line, col, key, message.
void register_config_error(py::module_& m) {
  static py::exception<ConfigError> type(m, "ConfigError", PyExc_ValueError);
  type.doc() =
      "Bad input: a scenario, a set= override or a grid value. str() is servesim's message, "
      "file:line:col: error: 'key': what; the attributes file, line, col, key and message hold "
      "its parts.";
  // NOLINTNEXTLINE(performance-unnecessary-value-param): pybind11's translator type takes it so
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ConfigError& e) {
      py::object error = py::reinterpret_borrow<py::object>(type.ptr())(e.what());
      error.attr("file") = e.mark().file;
      error.attr("line") = e.mark().line;
      error.attr("col") = e.mark().col;
      error.attr("key") = e.key();
      error.attr("message") = e.message();
      PyErr_SetObject(type.ptr(), error.ptr());
    }
  });
}

}  // namespace

}  // namespace servesim

PYBIND11_MODULE(servesim, m) {
  using namespace servesim;
  m.doc() = "servesim's engine in Python: run a scenario, sweep a grid (docs/python.md).";
  m.attr("__version__") = SERVESIM_VERSION;
  register_config_error(m);
  m.def("run", &run, py::arg("scenario") = py::none(), py::kw_only(), py::arg("set") = py::none(),
        py::arg("jobs") = 0, py::arg("uncertainty") = 0,
        "Runs a scenario (a YAML path; None: the built-in default) with set= overrides, as "
        "`servesim run FILE --set k=v --json`, and returns that JSON as a dict. jobs: threads "
        "for the replications (0: every core; the result does not depend on it). "
        "uncertainty: draws of the curves' bands, as --uncertainty.");
  m.def("sweep", &sweep, py::arg("scenario") = py::none(), py::kw_only(), py::arg("grid"),
        py::arg("set") = py::none(), py::arg("jobs") = 0, py::arg("uncertainty") = 0,
        "Runs the scenario at every point of grid ({key: [values]} or {key: 'start:stop:step'}; "
        "the first key outermost), as `servesim sweep`, on jobs threads (0: every core), and "
        "returns one dict per point in point order: the lines of the sweep's JSON-lines file "
        "(point, grid, csv_columns, csv_row, result). Nothing is written.");
  m.def(
      "default_scenario", [] { return default_scenario_path().string(); },
      "The built-in default scenario's path (empty when servesim's configs/ is not found).");
}
