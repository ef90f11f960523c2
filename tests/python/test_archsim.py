#!/usr/bin/env python3
"""The archsim Python module against the command line: every function, dicts as configs, errors
with their location, threads. Usage: test_archsim.py BUILD_DIR ARCHSIM_EXECUTABLE SOURCE_DIR.
Exit 77 (CTest: skipped) with a message when the module was not built."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest

BUILD, EXE, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, BUILD)
try:
    import archsim
except ImportError as e:
    print(f"skipped: the archsim Python module was not built ({e}); it needs python3-dev and "
          "pybind11-dev (scripts/install-deps)")
    sys.exit(77)

try:
    import pandas  # noqa: F401
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False

SCENARIO = {  # workloads/scenarios/llama2-7b-decode.yaml as a dict
    "kind": "scenario", "name": "llama2-7b-decode", "model": "llama2-7b", "phase": "decode",
    "batch": 1, "kv_length": 2048, "dtypes": {"weights": "bf16", "activations": "bf16", "kv": "bf16"},
    "attention": "fused", "fusion": "elementwise",
    "description": "one decode step of Llama-2-7B at batch 1 with 2048 tokens of context"}
SERVING = {
    "kind": "serving", "name": "tiny", "model": "tiny-llama", "software": "vllm",
    "scheduler": {"policy": "chunked", "max_batched_tokens": 512},
    "requests": {"arrivals": "poisson", "rate": "40 requests/s",
                 "prompt": {"distribution": "uniform", "min": 64, "max": 300},
                 "output": {"distribution": "uniform", "min": 2, "max": 40}, "count": 12, "seed": 3},
    "slo": {"ttft": "200 ms", "tpot": "30 ms", "percentile": 90}}


def cli_json(*args, record=True):
    with tempfile.TemporaryDirectory() as tmp:
        out = ["--out", os.path.join(tmp, "o")] if record else []
        text = subprocess.run([EXE, *args, "--json", *out], check=True, capture_output=True,
                              text=True).stdout
    return json.loads(text)


class Module(unittest.TestCase):
    def test_run_is_the_command_lines_stats_json(self):
        doc = archsim.run("h100-sxm5", "llama2-7b-decode")
        self.assertEqual(doc, cli_json("run", "h100-sxm5", "llama2-7b-decode", "--quiet"))
        self.assertGreater(doc["metrics"]["tpot_s"], 0)

    def test_dicts_and_overrides(self):
        self.assertEqual(archsim.run("h100-sxm5", SCENARIO)["metrics"],
                         archsim.run("h100-sxm5", "llama2-7b-decode")["metrics"])
        b8 = archsim.run("h100-sxm5", "llama2-7b-decode", set={"batch": 8})
        self.assertEqual(b8, cli_json("run", "h100-sxm5", "llama2-7b-decode", "--set", "batch=8",
                                      "--quiet"))
        chip = archsim.run("h100-sxm5", "llama2-7b-decode",
                           set={"chip.memory.hbm.achievable_fraction": 0.5})
        self.assertGreater(chip["metrics"]["tpot_s"],
                           archsim.run("h100-sxm5", "llama2-7b-decode")["metrics"]["tpot_s"])

    def test_errors_carry_their_location(self):
        with self.assertRaises(archsim.ConfigError) as e:
            archsim.run("h100-sxm5", "llama2-7b-decode", set={"batchh": 3})
        self.assertEqual(e.exception.key, "batchh")
        self.assertEqual(e.exception.file, "--set batchh=3")
        self.assertIn("did you mean 'batch'", str(e.exception))
        bad = os.path.join(SOURCE, "tests", "bad_inputs", "serving-zero-rate.yaml")
        with self.assertRaises(archsim.ConfigError) as e:
            archsim.serve("h100-sxm5", bad)
        self.assertEqual((e.exception.file, e.exception.line, e.exception.key),
                         (bad, 6, "requests.rate"))
        self.assertIsNotNone(e.exception.column)
        with self.assertRaises(archsim.ConfigError) as e:
            archsim.run("h100-sxm5", dict(SCENARIO, batch=-1))
        self.assertEqual(e.exception.key, "batch")
        self.assertIsInstance(e.exception.line, int)
        with self.assertRaises(archsim.ConfigError):
            archsim.run("no-such-chip", "llama2-7b-decode")

    def test_serve(self):
        doc = archsim.serve("h100-sxm5", SERVING)
        self.assertEqual(doc["requests"]["count"], 12)
        self.assertEqual(doc, archsim.serve("h100-sxm5", SERVING))  # deterministic

    def test_describe_graph_fit_compare(self):
        self.assertEqual(archsim.describe("h100-sxm5"),
                         cli_json("describe", "h100-sxm5", record=False))
        self.assertEqual(archsim.graph("tiny-llama-decode"),
                         cli_json("graph", "tiny-llama-decode", record=False))
        self.assertEqual(archsim.fit("h100-sxm5", "llama2-7b-decode"),
                         cli_json("fit", "h100-sxm5", "llama2-7b-decode", record=False))
        c = archsim.compare(["h100-sxm5:tiny-llama-decode", "a100-sxm4:tiny-llama-decode"])
        self.assertIsInstance(c, (dict, list))

    def test_presets(self):
        chips = archsim.presets("chips")
        self.assertIn("h100-sxm5", chips)
        self.assertIn("systems", archsim.presets())

    def test_sweep_and_validate_tables(self):
        rows = archsim.sweep(os.path.join(SOURCE, "tests", "data", "sweep", "small.yaml"), jobs=2)
        self.assertEqual(len(rows), 16)
        if HAVE_PANDAS:  # DataFrames with pandas, lists of dicts without
            import pandas
            self.assertIsInstance(rows, pandas.DataFrame)
            rows = rows.to_dict("records")
        # One flat row a point, as results.csv: the axis keys, the metrics, the derived columns.
        for key in ("chip.memory.hbm.channels", "batch", "model.layers", "tpot_s", "half_tpot"):
            self.assertIn(key, rows[0])
        ok = [r for r in rows if r["status"] == "ok"]
        self.assertEqual(len(ok), 8)
        self.assertTrue(all(r["tpot_s"] > 0 for r in ok))
        suite = {"kind": "validation", "name": "two", "cases": [
            {"id": f"gemm-m{m}", "system": "a100-sxm4", "software": "pytorch-eager",
             "microbench": {"op": "gemm", "m": m, "n": 12288, "k": 12288, "dtype": "fp16",
                            "op_overhead": "24.4 us"},
             "metric": "achieved_flops_per_s", "measured": f"{t} TFLOPS"}
            for m, t in ((64, 101.7124), (128, 193.0114))]}
        cases = archsim.validate(suite)
        if HAVE_PANDAS:
            cases = cases.to_dict("records")
        self.assertEqual([c["id"] for c in cases], ["gemm-m64", "gemm-m128"])

    def test_threads_give_the_same_results(self):
        results = [None] * 4

        def work(i):
            results[i] = archsim.run("h100-sxm5", "tiny-llama-decode", set={"batch": 1 + i % 2})

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results[0], results[2])
        self.assertEqual(results[1], results[3])
        self.assertEqual(results[0], archsim.run("h100-sxm5", "tiny-llama-decode"))

    def test_to_pandas(self):
        if not HAVE_PANDAS:
            self.skipTest("pandas is not installed")
        doc = archsim.run("h100-sxm5", "tiny-llama-decode")
        tables = archsim.to_pandas(doc)
        self.assertEqual(len(tables["metrics"]), 1)
        self.assertEqual(tables["metrics"]["tpot_s"][0], doc["metrics"]["tpot_s"])
        self.assertEqual(len(tables["ops"]), len(doc["ops"]))  # one row per op
        self.assertEqual(list(tables["ops"]["name"]), [op["name"] for op in doc["ops"]])
        self.assertEqual(len(tables["resources"]), len(doc["resources"]))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
