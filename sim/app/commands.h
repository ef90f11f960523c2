// The subcommands of `archsim`, each a function from parsed options to an exit code. They throw
// ConfigError for bad input; app.cpp turns exceptions into messages and exit codes.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/spec/catalog.h"
#include "sim/spec/loader.h"

namespace archsim::app {

/// Prints warnings ("file:line: warning: ...") to `err`.
void printWarnings(const std::vector<Diagnostic>& warnings, std::ostream& err);

int runCheck(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
             std::ostream& err);

/// Presets of every kind (or of `kind`: chips, systems, models, scenarios) with their descriptions.
int runList(const spec::Catalog& catalog, const std::string& kind, std::ostream& out,
            std::ostream& err);

struct DescribeOptions {
  std::string system;
  std::vector<std::string> sets;
  bool json = false;
};
int runDescribe(const spec::Catalog& catalog, const DescribeOptions& options, std::ostream& out,
                std::ostream& err);

struct GraphOptions {
  std::string scenario;
  std::vector<std::string> sets;
  bool json = false;
  std::optional<std::string> dot_file;
};
int runGraph(const spec::Catalog& catalog, const GraphOptions& options, std::ostream& out,
             std::ostream& err);

struct RunOptions {
  std::string system;  // or a run file (kind: run), when `scenario` is empty
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::string> out_dir;
  bool json = false;
  bool quiet = false;
  bool exact = false;  // simulate every decode step (no step reuse)
  bool force = false;  // replace a record of a different run in the output folder
  std::vector<std::string> command_line;
};
int runRun(const spec::Catalog& catalog, const RunOptions& options, std::ostream& out,
           std::ostream& err);

/// "-set-<hash of the assignments>" (empty without any): default output folders of runs with
/// different --set values differ.
std::string overridesSuffix(const std::vector<std::string>& sets);

struct ServeOptions {
  std::string system;
  std::string serving;  // a serving file (kind: serving)
  std::vector<std::string> sets;
  std::optional<std::string> out_dir;
  bool json = false;
  bool exact = false;          // simulate every distinct pass shape (no interpolation between them)
  bool find_max_rate = false;  // bisect for the highest arrival rate meeting the SLO
};
/// Serves a request stream on replicas of a plan on the system (sim/serve); writes serve.json,
/// requests.csv, report.html, trace.json and config.resolved.yaml.
int runServe(const spec::Catalog& catalog, const ServeOptions& options, std::ostream& out,
             std::ostream& err);

struct FitOptions {
  std::string system;
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::string> level;
  std::optional<std::string> objective;  // overrides the scenario's `parallel: {auto: ...}`
  bool json = false;
};
/// The fewest chips of the system's chip that hold the scenario in one memory level, and the plan;
/// on a system of several chips, also the `auto` search: every plan considered with its bound and
/// simulated time, and the pick.
int runFit(const spec::Catalog& catalog, const FitOptions& options, std::ostream& out,
           std::ostream& err);

struct CompareOptions {
  std::vector<std::string> items;  // SYSTEMs (run with every --scenario) or SYSTEM:SCENARIO pairs
  std::vector<std::string> scenarios;  // --scenario
  std::vector<std::string> sets;
  std::optional<std::string> out_dir;
  std::string format = "text";  // what goes to stdout: text, markdown, csv or json
  bool quiet = false;
};
/// Runs each (system, scenario) and writes comparison.{txt,md,csv,json,html} and runs/*/stats.json
/// into the output folder (atomically); prints the table. With no systems or pairs: the canonical
/// comparison (canonicalComparison()).
int runCompare(const spec::Catalog& catalog, const CompareOptions& options, std::ostream& out,
               std::ostream& err);
/// The SRAM-vs-HBM comparison: Groq-576, DGX-H100 and HGX-H200 on Llama-2-70B decode (int8
/// weights, tp 8, as many pipeline stages as it takes) and on GPT-2 (one chip), as SYSTEM:SCENARIO.
std::vector<std::string> canonicalComparison();

struct SweepOptions {
  std::string file;
  std::optional<std::string> out_dir;
  unsigned jobs = 0;  // 0: every core
  bool resume = false;
  bool force = false;
  std::optional<std::string> shard;
  bool mpi = false;
  bool quiet = false;
};
/// Runs a sweep file's points (locally, one shard, or over MPI ranks) and writes results.csv,
/// results.json and results.html into the output folder (default reports/sweeps/<name>).
int runSweep(const spec::Catalog& catalog, const SweepOptions& options, std::ostream& out,
             std::ostream& err);

/// Joins shard folders of one sweep into `out_dir`.
int runMerge(const std::vector<std::string>& dirs, const std::string& out_dir, std::ostream& out,
             std::ostream& err);

struct ValidateOptions {
  std::vector<std::string> suites;
  std::optional<std::string> out_dir;
  unsigned jobs = 0;  // 0: every core
  std::vector<std::string> sets;
  bool exact = false;
  bool quiet = false;
  std::optional<std::string> baseline;  // a committed validation.json to compare with
};
/// Runs validation suites (kind: validation) and writes validation.csv, .json and .html into the
/// output folder (default reports/validation/<first suite's name>). Exit 0 when every case ran, 1
/// when some failed (they are listed with their reasons); with a baseline, 1 only on drift: the
/// median |error| worsened by more than a point, a case moved by more than five, or a case that
/// ran there fails.
int runValidate(const spec::Catalog& catalog, const ValidateOptions& options, std::ostream& out,
                std::ostream& err);

struct CalibrateOptions {
  std::string file;
  std::optional<std::string> out_dir;
  unsigned jobs = 0;
  std::size_t folds = 0;
  std::size_t max_iterations = 30;
};
/// Fits a calibration file's parameters to its suites; prints the fit and writes fitted.yaml into
/// the output folder (default reports/calibration/<name>).
int runCalibrate(const spec::Catalog& catalog, const CalibrateOptions& options, std::ostream& out,
                 std::ostream& err);

struct RegressOptions {
  std::string manifest;
  bool update = false;
  std::vector<std::string> sets;
  unsigned jobs = 0;
};
/// Checks every entry of a regression manifest against its baseline; exit 1 on drift, a missing
/// baseline or a failed run; --update rewrites the baselines and prints what changed.
int runRegress(const spec::Catalog& catalog, const RegressOptions& options, std::ostream& out,
               std::ostream& err);

/// Compares two stats.json files (or run folders) metric by metric.
int runDiff(const std::string& a, const std::string& b, std::ostream& out, std::ostream& err);

using spec::routeAssignments;

}  // namespace archsim::app
