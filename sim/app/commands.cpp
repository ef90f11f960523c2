#include "sim/app/commands.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/app/describe.h"
#include "sim/core/atomic_file.h"
#include "sim/graph/dot.h"
#include "sim/graph/summary.h"
#include "sim/spec/loader.h"

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

int runDescribe(const spec::Catalog& catalog, const DescribeOptions& options, std::ostream& out) {
  const spec::LoadedSystem system = spec::loadSystem(catalog, options.system, options.sets);
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

}  // namespace archsim::app
