// The subcommands of `archsim`, each a function from parsed options to an exit code. They throw
// ConfigError for bad input; app.cpp turns exceptions into messages and exit codes.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/spec/catalog.h"

namespace archsim::app {

/// Prints warnings ("file:line: warning: ...") to `err`.
void printWarnings(const std::vector<Diagnostic>& warnings, std::ostream& err);

int runCheck(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
             std::ostream& err);

/// Presets of every kind (or of `kind`: chips, systems, models, scenarios) with their descriptions.
int runList(const spec::Catalog& catalog, const std::string& kind, std::ostream& out, std::ostream& err);

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
int runGraph(const spec::Catalog& catalog, const GraphOptions& options, std::ostream& out, std::ostream& err);

struct RunOptions {
  std::string system;    // or a run file (kind: run), when `scenario` is empty
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::string> out_dir;
  bool json = false;
  bool quiet = false;
  std::vector<std::string> command_line;
};
int runRun(const spec::Catalog& catalog, const RunOptions& options, std::ostream& out, std::ostream& err);

struct FitOptions {
  std::string system;
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::string> level;
  bool json = false;
};
/// The fewest chips of the system's chip that hold the scenario in one memory level, and the plan.
int runFit(const spec::Catalog& catalog, const FitOptions& options, std::ostream& out, std::ostream& err);

struct CompareOptions {
  std::vector<std::string> items;      // SYSTEMs (run with every --scenario) or SYSTEM:SCENARIO pairs
  std::vector<std::string> scenarios;  // --scenario
  std::vector<std::string> sets;
  std::optional<std::string> out_dir;
  std::string format = "text";  // what goes to stdout: text, markdown, csv or json
  bool quiet = false;
};
/// Runs each (system, scenario) and writes comparison.{txt,md,csv,json,html} and runs/*/stats.json
/// into the output folder (atomically); prints the table. With no systems or pairs: the canonical
/// comparison (canonicalComparison()).
int runCompare(const spec::Catalog& catalog, const CompareOptions& options, std::ostream& out, std::ostream& err);
/// The SRAM-vs-HBM comparison: Groq-576, DGX-H100 and HGX-H200 on Llama-2-70B decode (int8
/// weights, tp 8, as many pipeline stages as it takes) and on GPT-2 (one chip), as SYSTEM:SCENARIO.
std::vector<std::string> canonicalComparison();

/// Splits --set assignments between the system and the scenario of `archsim run` by their first
/// key (`chip.` and `levels.` go to the system, `batch`, `model.` ... to the scenario); `system.` and
/// `scenario.` prefixes say it explicitly. Throws ConfigError for a key that fits neither.
void routeAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                      std::vector<std::string>& scenario);

}  // namespace archsim::app
