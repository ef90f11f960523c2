#include "sim/app/commands.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/app/describe.h"
#include "sim/core/atomic_file.h"
#include "sim/graph/dot.h"
#include "sim/graph/summary.h"
#include "sim/exec/single_chip_run.h"
#include "sim/report/run_report.h"
#include "sim/spec/loader.h"
#include "sim/spec/suggest.h"

namespace archsim::app {

void printWarnings(const std::vector<Diagnostic>& warnings, std::ostream& err) {
  for (const Diagnostic& d : warnings) err << d.str("warning") << '\n';
}

int runCheck(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
             std::ostream& err) {
  int status = 0;
  for (const std::string& file : files) {
    try {
      const spec::CheckResult result = spec::checkFile(catalog, file);
      printWarnings(result.warnings, err);
      out << "ok: " << file << ": " << result.summary << '\n';
    } catch (const ConfigError& e) {
      for (const Diagnostic& d : e.diagnostics()) err << d.str() << '\n';
      status = 2;
    }
  }
  return status;
}

int runDescribe(const spec::Catalog& catalog, const DescribeOptions& options, std::ostream& out,
                std::ostream& err) {
  const spec::LoadedSystem system = spec::loadSystem(catalog, options.system, options.sets);
  printWarnings(system.warnings, err);
  if (options.json) {
    out << describeJson(system.spec).dump(2) << '\n';
  } else {
    describeText(system.spec, out);
  }
  return 0;
}

int runGraph(const spec::Catalog& catalog, const GraphOptions& options, std::ostream& out, std::ostream& err) {
  const spec::LoadedScenario loaded = spec::loadScenario(catalog, options.scenario, options.sets);
  printWarnings(loaded.warnings, err);
  const graph::Workload workload(loaded.spec);
  const graph::WorkloadSummary summary = graph::summarize(workload);
  if (options.dot_file) {
    // The graph that runs most: decode when there is one, else prefill.
    const graph::Run& run = workload.runs().back();
    std::ostringstream dot;
    graph::writeDot(*run.graph, run.kv_last, dot);
    try {
      writeFileAtomically(*options.dot_file, dot.str());
    } catch (const OutputError& e) {
      throw ConfigError(Location{"--dot " + *options.dot_file, 0, 0}, "", e.what());
    }
  }
  if (options.json) {
    out << graph::summaryJson(workload, summary).dump(2) << '\n';
  } else {
    graph::printSummary(workload, summary, out);
    if (options.dot_file) out << "wrote " << *options.dot_file << '\n';
  }
  return 0;
}

void routeAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                      std::vector<std::string>& scenario) {
  static const std::vector<std::string> kSystemKeys{"chip", "levels", "chips"};
  static const std::vector<std::string> kScenarioKeys{"model",  "phase",     "batch",    "prompt_tokens",
                                                      "output_tokens", "kv_length", "dtypes", "attention",
                                                      "fusion", "parallel",  "placement", "software"};
  for (const std::string& set : sets) {
    const std::string key = set.substr(0, set.find_first_of(".="));
    if (key == "system" || key == "scenario") {
      (key == "system" ? system : scenario).push_back(set.substr(key.size() + 1));
    } else if (std::find(kSystemKeys.begin(), kSystemKeys.end(), key) != kSystemKeys.end()) {
      system.push_back(set);
    } else if (std::find(kScenarioKeys.begin(), kScenarioKeys.end(), key) != kScenarioKeys.end()) {
      scenario.push_back(set);
    } else {
      std::vector<std::string> all = kSystemKeys;
      all.insert(all.end(), kScenarioKeys.begin(), kScenarioKeys.end());
      throw ConfigError(Location{"--set " + set, 0, 0}, key,
                        "not a key of the system or the scenario (prefix it with system. or scenario.)" +
                            spec::didYouMean(key, all));
    }
  }
}

int runRun(const spec::Catalog& catalog, const RunOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<std::string> system_sets;
  std::vector<std::string> scenario_sets;
  routeAssignments(options.sets, system_sets, scenario_sets);
  const spec::LoadedSystem system = spec::loadSystem(catalog, options.system, system_sets);
  const spec::LoadedScenario scenario = spec::loadScenario(catalog, options.scenario, scenario_sets);
  printWarnings(system.warnings, err);
  printWarnings(scenario.warnings, err);
  exec::SingleChipRun run(system.spec, scenario.spec);
  for (const std::string& w : run.result().warnings) err << "warning: " << w << '\n';
  const report::RunContext ctx{run.system(), run.workload(), run.placement(), run.chip(), run.sim(), run.result()};
  const std::string stats = report::statsJson(ctx).dump(2) + "\n";
  const std::filesystem::path dir =
      options.out_dir ? std::filesystem::path(*options.out_dir)
                      : std::filesystem::path("reports") / (scenario.spec.name + "-on-" + system.spec.name);
  try {
    std::filesystem::create_directories(dir);
    writeFileAtomically(dir / "stats.json", stats);
  } catch (const std::filesystem::filesystem_error& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
  if (options.json) {
    out << stats;
  } else {
    report::printRunSummary(ctx, out);
    out << "wrote " << (dir / "stats.json").string() << '\n';
  }
  return 0;
}

}  // namespace archsim::app
