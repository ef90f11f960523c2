// `archsim serve SYSTEM SERVING.yaml`: a request stream served by replicas of a plan on the
// simulated system (sim/serve), and its record.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "sim/app/commands.h"
#include "sim/core/atomic_file.h"
#include "sim/serve/serve_run.h"
#include "sim/serve/serving_spec.h"
#include "sim/spec/loader.h"

namespace archsim::app {
int runServe(const spec::Catalog& catalog, const ServeOptions& options, std::ostream& out,
             std::ostream& err) {
  std::vector<std::string> system_sets, serving_sets;
  serve::splitServingAssignments(options.sets, system_sets, serving_sets);
  const spec::LoadedSystem system = spec::loadSystem(catalog, options.system, system_sets);
  printWarnings(system.warnings, err);
  const std::filesystem::path file(options.serving);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw ConfigError(Location{"<command line>", 0, 0}, "serving",
                      fmt::format("'{}' is not a serving file (kind: serving)", options.serving));
  }
  serve::LoadedServing loaded = serve::loadServing(catalog, file, serving_sets);
  printWarnings(loaded.warnings, err);
  serve::ServingSpec& spec = loaded.spec;
  const std::filesystem::path dir =
      options.out_dir ? std::filesystem::path(*options.out_dir)
                      : std::filesystem::path("reports") /
                            safeFileName("serve-" + spec.name + "-on-" + system.spec.name +
                                         overridesSuffix(options.sets));
  std::optional<serve::MaxRateSearch> search;
  serve::ServeOutcome o;
  if (options.find_max_rate) {
    search = serve::findMaxRate(system.spec, spec, options.exact);
    o = std::move(search->outcome);
  } else {
    o = serve::serveOnSystem(system.spec, spec, options.exact);
  }
  const serve::EngineResult& result = o.result;
  const serve::ServeMetrics& metrics = o.metrics;
  const serve::ServeContext& context = o.context;

  const std::string resolved =
      "# serving on " + system.spec.name + "\n" + spec::toYaml(loaded.resolved);
  auto files = serve::serveRecordFiles(spec, result, metrics, context, resolved);
  if (search) files.front().second = serve::withRateSearch(files.front().second, spec, *search);
  try {
    writeDirectoryAtomically(dir, files);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
  if (options.json) {
    out << files.front().second;
  } else {
    if (search) out << serve::rateSearchSummary(spec, *search);
    out << serve::serveSummary(spec, metrics, context);
    out << "wrote " << dir.string() << "/ (serve.json, requests.csv, report.html, trace.json)\n";
  }
  return 0;
}

}  // namespace archsim::app
