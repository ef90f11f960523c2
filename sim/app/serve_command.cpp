// `archsim serve SYSTEM SERVING.yaml`: a request stream served by replicas of a plan on the
// simulated system (sim/serve), and its record.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "sim/app/commands.h"
#include "sim/core/atomic_file.h"
#include "sim/map/parallel.h"
#include "sim/serve/pass_timer.h"
#include "sim/serve/serve_report.h"
#include "sim/serve/serving_spec.h"
#include "sim/spec/loader.h"

namespace archsim::app {
namespace {

/// --set keys of the system (the rest address the serving file).
bool isSystemKey(const std::string& set) {
  const std::string key = set.substr(0, set.find_first_of(".="));
  return key == "system" || key == "chip" || key == "levels" || key == "chips" ||
         key == "collectives";
}

/// The largest pass a replica runs, in tokens (what its activations must hold): the scheduler's
/// budget; without one, vLLM's default for a continuous scheduler (max(context, 2048)), or a
/// static batch of the longest prompts.
std::uint64_t largestPassTokens(const serve::ServingSpec& s) {
  const serve::SchedulerSpec& sc = s.scheduler;
  std::uint64_t longest = 1;
  for (const serve::Request& r : s.requests)
    longest = std::max(longest, r.prompt_tokens);
  if (sc.max_batched_tokens > 0) return sc.max_batched_tokens;
  if (sc.policy == serve::SchedulerPolicy::kStatic) return longest * sc.max_sequences;
  return std::max<std::uint64_t>({longest, s.scenario.model.max_positions, 2048});
}

}  // namespace

int runServe(const spec::Catalog& catalog, const ServeOptions& options, std::ostream& out,
             std::ostream& err) {
  std::vector<std::string> system_sets, serving_sets;
  for (const std::string& set : options.sets) {
    if (set.rfind("system.", 0) == 0)
      system_sets.push_back(set.substr(7));
    else if (isSystemKey(set))
      system_sets.push_back(set);
    else
      serving_sets.push_back(set.rfind("serving.", 0) == 0 ? set.substr(8) : set);
  }
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
  if (spec.scheduler.max_batched_tokens == 0 &&
      spec.scheduler.policy == serve::SchedulerPolicy::kContinuous) {
    spec.scheduler.max_batched_tokens = largestPassTokens(spec);
  }

  // One replica's layout; the replicas must fit the system.
  const spec::ParallelPlan& plan = spec.scenario.parallel;
  const std::uint64_t per_replica = std::uint64_t{plan.tp} * plan.pp;
  if (per_replica * spec.replicas > system.spec.chipCount()) {
    throw ConfigError(plan.location, "parallel.dp",
                      fmt::format("{} replicas of tp {} x pp {} need {} chips; {} has {}",
                                  spec.replicas, plan.tp, plan.pp, per_replica * spec.replicas,
                                  system.spec.name, system.spec.chipCount()));
  }
  const map::ParallelLayout layout = map::explicitLayout(spec.scenario, system.spec);
  serve::ServeContext context;
  context.system = system.spec.name;
  context.plan = layout.describe();
  context.exact = options.exact;
  context.kv = serve::kvCapacity(system.spec, spec.scenario, layout, largestPassTokens(spec));
  context.kv_blocks = context.kv.tokens / spec.scheduler.block_tokens;
  if (context.kv_blocks == 0) {
    throw ConfigError(plan.location, "parallel",
                      fmt::format("{} on {} leaves no room for a KV block of {} tokens in {} "
                                  "(weights and activations take it all); use more chips per "
                                  "replica",
                                  spec.scenario.model.name, context.plan,
                                  spec.scheduler.block_tokens, context.kv.level));
  }

  const std::filesystem::path dir =
      options.out_dir ? std::filesystem::path(*options.out_dir)
                      : std::filesystem::path("reports") /
                            safeFileName("serve-" + spec.name + "-on-" + system.spec.name +
                                         (options.sets.empty() ? "" : "-set"));
  serve::EngineOptions engine;
  engine.scheduler = spec.scheduler;
  engine.replicas = spec.replicas;
  engine.router = spec.router;
  engine.kv_blocks = context.kv_blocks;
  engine.kv_bytes_per_token = context.kv.bytes_per_token;
  serve::SimulatedPassTimer timer(system.spec, spec.scenario, layout, options.exact);
  const serve::EngineResult result = serve::runEngine(spec.requests, engine, timer);
  context.timing = timer.stats();
  const serve::ServeMetrics metrics = serve::computeServeMetrics(spec, result, context.kv_blocks);

  const std::string resolved =
      "# serving on " + system.spec.name + "\n" + spec::toYaml(loaded.resolved);
  const auto files = serve::serveRecordFiles(spec, result, metrics, context, resolved);
  try {
    writeDirectoryAtomically(dir, files);
  } catch (const OutputError& e) {
    throw ConfigError(Location{"--out " + dir.string(), 0, 0}, "", e.what());
  }
  if (options.json) {
    out << files.front().second;
  } else {
    out << serve::serveSummary(spec, metrics, context);
    out << "wrote " << dir.string() << "/ (serve.json, requests.csv, report.html, trace.json)\n";
  }
  return 0;
}

}  // namespace archsim::app
