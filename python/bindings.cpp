// The `archsim` Python module: the command line in-process (app::run), with the GIL released while
// it simulates, and the Python functions of python/archsim_module.py (embedded at build time)
// around it: run, serve, describe, graph, fit, compare, sweep, validate, presets, to_pandas and
// ConfigError.
#include <pybind11/eval.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sstream>
#include <string>
#include <vector>

#include "python/archsim_module_py.h"  // kModuleSource: python/archsim_module.py
#include "sim/app/app.h"

namespace py = pybind11;

namespace {

/// Runs one `archsim` command line; returns (exit code, stdout, stderr).
py::tuple cli(const std::vector<std::string>& args, const std::string& executable) {
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  archsim::app::Context context;
  context.executable = executable;
  int rc = 0;
  {
    py::gil_scoped_release release;
    rc = archsim::app::run(static_cast<int>(argv.size()), argv.data(), out, err, context);
  }
  return py::make_tuple(rc, out.str(), err.str());
}

}  // namespace

PYBIND11_MODULE(archsim, m) {
  m.doc() = "archsim: a discrete-event simulator of AI accelerators, from Python";
  m.def("_cli", &cli, py::arg("args"), py::arg("executable") = "",
        "runs one archsim command line in-process: (exit code, stdout, stderr)");
  m.attr("__version__") = ARCHSIM_VERSION;
  py::exec(archsim::python::kModuleSource, m.attr("__dict__"));
}
