"""The Python module (python/module.cpp, docs/python.md) against the command line it shares its
engine with: servesim.run must return what `servesim run --json` writes, servesim.sweep the
lines of `servesim sweep`'s JSON-lines file, and bad input must raise servesim.ConfigError with
the command line's message and its file, line, column and key. CTest runs it under the
interpreter the module was built for, with PYTHONPATH at the module and SERVESIM_BINARY at the
servesim binary of the same build."""
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

import servesim

SERVESIM = os.environ["SERVESIM_BINARY"]
SOURCE = pathlib.Path(__file__).resolve().parents[2]
MM4 = str(SOURCE / "configs" / "scenarios" / "mm4.yaml")
# Short runs: the whole file takes a few seconds on 2 cores.
SHORT_MM4 = {"run.duration": "200s", "run.warmup": "10s", "run.replications": 3}
SHORT_NODE = {"run.duration": "2s", "run.warmup": "0.5s", "run.replications": 2}


def cli(*args):
    """servesim's stdout, its stderr and exit status."""
    p = subprocess.run([SERVESIM, *args], capture_output=True, text=True, check=False)
    return p.stdout, p.stderr, p.returncode


def sets(overrides):
    return [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]


class Run(unittest.TestCase):
    def test_a_file_with_overrides_gives_the_dict_of_run_json(self):
        overrides = {**SHORT_MM4, "seed": 11, "node.cpu.cores": 5}
        out, err, rc = cli("run", MM4, *sets(overrides), "--json", "-", "-q")
        self.assertEqual(rc, 0, err)
        got = servesim.run(MM4, set=overrides, jobs=2)
        self.assertEqual(got, json.loads(out))
        self.assertEqual(got["config"]["seed"], 11)
        # The comparison can tell runs apart: another seed gives another result.
        self.assertNotEqual(servesim.run(MM4, set={**overrides, "seed": 12}, jobs=2), got)

    def test_the_default_scenario_with_gpus_set_gives_the_dict_of_run_json(self):
        overrides = {**SHORT_NODE, "node.gpus.count": 2}
        out, err, rc = cli("run", *sets(overrides), "--json", "-", "-q")
        self.assertEqual(rc, 0, err)
        got = servesim.run(set=overrides)
        self.assertEqual(got, json.loads(out))
        self.assertIn("gpu1.compute", [r["name"] for r in got["resources"]])

    def test_uncertainty_draws_give_the_dict_of_run_json(self):
        overrides = {**SHORT_NODE, "run.replications": 1}
        out, err, rc = cli("run", *sets(overrides), "--uncertainty", "2", "--json", "-", "-q")
        self.assertEqual(rc, 0, err)
        got = servesim.run(set=overrides, uncertainty=2)
        self.assertEqual(got, json.loads(out))
        self.assertIn("uncertainty", got)

    def test_python_values_are_written_as_yaml(self):
        # An int, a bool, a str with a unit and a list, each as --set would take its YAML text.
        overrides = {**SHORT_NODE, "node.gpus.count": 2, "workload.images": ["small", "large"]}
        out, err, rc = cli("run", *sets({**overrides, "workload.images": "[small, large]"}),
                           "--json", "-", "-q")
        self.assertEqual(rc, 0, err)
        self.assertEqual(servesim.run(set=overrides), json.loads(out))
        with self.assertRaises(TypeError):
            servesim.run(MM4, set={"seed": object()})


class Sweep(unittest.TestCase):
    def test_rows_are_the_lines_of_the_sweeps_json_lines_on_any_threads(self):
        grid = {"node.gpus.count": [1, 2], "workload.concurrency": "64:128:64"}
        with tempfile.TemporaryDirectory() as d:
            out_csv = os.path.join(d, "gpus.csv")
            _, err, rc = cli("sweep", *sets(SHORT_NODE), "--grid", "node.gpus.count=1,2",
                             "--grid", "workload.concurrency=64:128:64", "--out", out_csv,
                             "-j", "2", "-q")
            self.assertEqual(rc, 0, err)
            lines = pathlib.Path(out_csv).with_suffix(".jsonl").read_text().splitlines()
        expected = [json.loads(line) for line in lines[1:]]  # after the journal's header
        rows = servesim.sweep(grid=grid, set=SHORT_NODE, jobs=2)
        self.assertEqual(rows, expected)
        self.assertEqual([r["grid"] for r in rows],
                         [{"node.gpus.count": g, "workload.concurrency": c}
                          for g in ("1", "2") for c in ("64", "128")])
        self.assertEqual(servesim.sweep(grid=grid, set=SHORT_NODE, jobs=1), rows)


class Errors(unittest.TestCase):
    def test_a_bad_key_in_a_file_raises_config_error_at_its_line_and_column(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.yaml")
            text = pathlib.Path(MM4).read_text().replace("mean: 40ms}", "mean: 40ms, bogus: 1}")
            pathlib.Path(bad).write_text(text)
            line = text.splitlines().index(next(l for l in text.splitlines() if "bogus" in l)) + 1
            col = text.splitlines()[line - 1].index("bogus") + 1
            _, err, rc = cli("run", bad)
            with self.assertRaises(servesim.ConfigError) as caught:
                servesim.run(bad)
        e = caught.exception
        self.assertIsInstance(e, ValueError)
        self.assertEqual(rc, 2)
        self.assertEqual(str(e), err.strip())
        self.assertEqual((e.file, e.line, e.col, e.key), (bad, line, col, "pipeline.serve.service.bogus"))
        self.assertTrue(e.message.startswith("unknown key"), e.message)

    def test_a_bad_set_value_names_its_override(self):
        _, err, rc = cli("run", MM4, "--set", "node.cpu.cores=many")
        with self.assertRaises(servesim.ConfigError) as caught:
            servesim.run(MM4, set={"node.cpu.cores": "many"})
        self.assertEqual(rc, 2)
        self.assertEqual(str(caught.exception), err.strip())
        self.assertEqual(caught.exception.key, "node.cpu.cores")
        self.assertEqual(caught.exception.line, 1)

    def test_a_bad_grid_value_names_its_point(self):
        with self.assertRaises(servesim.ConfigError) as caught:
            servesim.sweep(MM4, grid={"node.cpu.cores": [4, 0]}, set=SHORT_MM4, jobs=2)
        self.assertEqual(caught.exception.key, "node.cpu.cores")
        self.assertIn("at sweep point 1: node.cpu.cores=0", str(caught.exception))
        with self.assertRaises(servesim.ConfigError):
            servesim.sweep(MM4, grid={"node.cpu.cores": []})

    def test_a_missing_file_raises_config_error(self):
        with self.assertRaises(servesim.ConfigError) as caught:
            servesim.run("/nonexistent/scenario.yaml")
        self.assertEqual(caught.exception.file, "/nonexistent/scenario.yaml")


if __name__ == "__main__":
    unittest.main()
