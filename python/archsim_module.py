# The Python side of the `archsim` module (python/bindings.cpp embeds this file at build time and
# runs it in the module's namespace, after `_cli` is defined). Every function drives the archsim
# command line in-process: the arguments are built here, the simulation runs in C++ with the GIL
# released (threads run in parallel), and the JSON the command prints comes back as a dict.
#
# Configs may be preset names, paths, or dicts (written to a temporary YAML file: JSON is YAML).
# Records a command writes go to a temporary folder that is removed afterwards, unless `out` is
# given. Bad input raises ConfigError with the file, line, column and key the error names.
import json as _json
import os as _os
import re as _re
import shutil as _shutil
import tempfile as _tempfile


class ConfigError(ValueError):
    """Bad input (exit code 2 on the command line): the message, and where it is — `file`, `line`,
    `column` (None when the error is not in a file, e.g. a --set override) and `key`."""

    def __init__(self, message, file=None, line=None, column=None, key=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key


_ERROR = _re.compile(r"^(?P<where>.*?): error: (?:key '(?P<key>[^']*)': )?(?P<msg>.*)$")
_PLACE = _re.compile(r"^(?P<file>.*):(?P<line>\d+):(?P<col>\d+)$")


def _config_error(err):
    lines = [ln for ln in err.splitlines() if ": error: " in ln]
    if not lines:
        return ConfigError(err.strip() or "bad input")
    m = _ERROR.match(lines[0])
    where, key, msg = m.group("where"), m.group("key"), m.group("msg")
    p = _PLACE.match(where)
    if p:
        return ConfigError(err.strip(), p.group("file"), int(p.group("line")), int(p.group("col")),
                           key)
    return ConfigError(err.strip(), where, None, None, key)


class _Call:
    """One command: its temporary folder (for dict configs and records), removed on exit."""

    def __init__(self):
        self.tmp = _tempfile.mkdtemp(prefix="archsim-py-")
        self.count = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def config(self, value):
        """A preset name or path as given; a dict written to a file of its own."""
        if isinstance(value, dict):
            self.count += 1
            path = _os.path.join(self.tmp, f"config{self.count}.yaml")
            with open(path, "w") as f:
                _json.dump(value, f)
            return path
        return _os.fspath(value)

    def out(self, out):
        return _os.fspath(out) if out is not None else _os.path.join(self.tmp, "out")

    def run(self, args, ok=(0,)):
        rc, stdout, stderr = _cli(["archsim"] + _presets() + [str(a) for a in args])
        if rc == 2:
            raise _config_error(stderr)
        if rc not in ok:
            raise RuntimeError(f"archsim {' '.join(map(str, args))} exited {rc}: {stderr.strip()}")
        return rc, stdout, stderr


def _presets():
    # An installed module keeps the presets beside itself (setup.py); in the build tree the
    # command line finds the source tree's.
    here = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "archsim_presets")
    return ["--presets", here] if _os.path.isdir(here) else []


def _sets(values):
    """--set arguments from a dict: {'batch': 8, 'chip.memory.hbm.size': '96 GB'}."""
    args = []
    for key, value in (values or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            value = _json.dumps(value)
        args += ["--set", f"{key}={value}"]
    return args


def run(system, scenario=None, set=None, exact=False, out=None):
    """Simulates `scenario` on `system` (preset names, paths or dicts); returns stats.json as a
    dict. `set`: overrides, as --set; `out`: keep the record in this folder."""
    with _Call() as c:
        args = ["run", c.config(system)]
        if scenario is not None:
            args.append(c.config(scenario))
        args += _sets(set) + ["--json", "--quiet", "--out", c.out(out)]
        if exact:
            args.append("--exact")
        return _json.loads(c.run(args)[1])


def serve(system, serving, set=None, exact=False, find_max_rate=False, out=None):
    """Serves a `kind: serving` request stream on `system`; returns serve.json as a dict."""
    with _Call() as c:
        args = ["serve", c.config(system), c.config(serving)] + _sets(set)
        args += ["--json", "--out", c.out(out)]
        if exact:
            args.append("--exact")
        if find_max_rate:
            args.append("--find-max-rate")
        return _json.loads(c.run(args)[1])


def describe(system, set=None):
    """A system's peak throughput, memory levels, roofline knees and links, as a dict."""
    with _Call() as c:
        return _json.loads(c.run(["describe", c.config(system)] + _sets(set) + ["--json"])[1])


def graph(scenario, set=None):
    """A scenario's dataflow graph (ops, tensors, edges), as a dict."""
    with _Call() as c:
        return _json.loads(c.run(["graph", c.config(scenario)] + _sets(set) + ["--json"])[1])


def fit(system, scenario, set=None):
    """The fewest chips that hold a scenario's model, KV cache and activations, and the plan."""
    with _Call() as c:
        args = ["fit", c.config(system), c.config(scenario)] + _sets(set) + ["--json"]
        return _json.loads(c.run(args)[1])


def compare(systems=None, scenarios=None, set=None):
    """Runs SYSTEM:SCENARIO pairs (or every system on every scenario; the canonical comparison
    without arguments); returns the table as a dict."""
    with _Call() as c:
        args = ["compare"] + [c.config(s) for s in systems or []]
        for s in scenarios or []:
            args += ["--scenario", c.config(s)]
        args += _sets(set) + ["--json", "--quiet", "--out", c.out(None)]
        return _json.loads(c.run(args, ok=(0, 1))[1])


def _frame(rows):
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


def _flat_point(row):
    """A sweep point as one flat row, the columns of results.csv: index, the axis keys (as
    written), status, error, the metrics, the derived columns, binding_resource, plan."""
    flat = {"index": row["index"]}
    flat.update(row.get("values", {}))
    flat["status"], flat["error"] = row.get("status"), row.get("error")
    flat.update(row.get("metrics", {}))
    flat.update(row.get("derived", {}))
    flat["binding_resource"], flat["plan"] = row.get("binding_resource"), row.get("plan")
    return flat


def sweep(file, jobs=1, out=None):
    """Runs a sweep file; returns its points, one flat row each with the columns of results.csv
    (a pandas DataFrame when pandas is installed, else a list of dicts). Failed points are rows
    with their error."""
    with _Call() as c:
        folder = c.out(out)
        c.run(["sweep", c.config(file), "--quiet", "-j", jobs, "--out", folder],
              ok=(0, 1))
        with open(_os.path.join(folder, "results.json")) as f:
            doc = _json.load(f)
        return _frame([_flat_point(r) for r in doc["rows"]])


def validate(*suites, jobs=1, set=None, exact=False, out=None):
    """Runs validation suites; returns their cases (a DataFrame with pandas, else a list)."""
    with _Call() as c:
        folder = c.out(out)
        args = ["validate"] + [c.config(s) for s in suites] + _sets(set)
        args += ["--quiet", "-j", jobs, "--out", folder]
        if exact:
            args.append("--exact")
        c.run(args, ok=(0, 1))
        with open(_os.path.join(folder, "validation.json")) as f:
            doc = _json.load(f)
        return _frame(doc["cases"])


def presets(kind=None):
    """The preset names, by kind (chips, systems, software, models, scenarios), or one kind's."""
    with _Call() as c:
        text = c.run(["list"] + ([kind] if kind else []))[1]
    found, current = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith(":"):
            current = line.split(" ")[0].rstrip(":")
            found[current] = []
        elif line.startswith("  ") and current is not None and line.strip():
            found[current].append(line.split()[0])
    return found[kind] if kind else found


def to_pandas(result):
    """A run's stats.json as tables: {'ops': per-op DataFrame, 'resources': per-resource one,
    'metrics': one row}. Needs pandas."""
    import pandas
    tables = {"metrics": pandas.DataFrame([result.get("metrics", {})])}
    if "ops" in result:
        tables["ops"] = pandas.DataFrame(result["ops"])
    resources = result.get("resources")
    if isinstance(resources, dict):
        tables["resources"] = pandas.DataFrame(
            [dict(name=k, **v) if isinstance(v, dict) else {"name": k, "value": v}
             for k, v in resources.items()])
    elif isinstance(resources, list):
        tables["resources"] = pandas.DataFrame(resources)
    return tables
