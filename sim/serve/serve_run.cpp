#include "sim/serve/serve_run.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/map/parallel.h"

namespace archsim::serve {

std::uint64_t largestPassTokens(const ServingSpec& s) {
  const SchedulerSpec& sc = s.scheduler;
  std::uint64_t longest = 1;
  for (const Request& r : s.requests)
    longest = std::max(longest, r.prompt_tokens);
  if (sc.max_batched_tokens > 0) return sc.max_batched_tokens;
  if (sc.policy == SchedulerPolicy::kStatic) return longest * sc.max_sequences;
  return std::max<std::uint64_t>({longest, s.scenario.model.max_positions, 2048});
}

ServeOutcome serveOnSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact) {
  if (spec.scheduler.max_batched_tokens == 0 &&
      spec.scheduler.policy == SchedulerPolicy::kContinuous) {
    spec.scheduler.max_batched_tokens = largestPassTokens(spec);
  }
  // One replica's layout; the replicas must fit the system.
  const spec::ParallelPlan& plan = spec.scenario.parallel;
  const std::uint64_t per_replica = std::uint64_t{plan.tp} * plan.pp;
  if (per_replica * spec.replicas > system.chipCount()) {
    throw ConfigError(
        plan.location, "parallel.dp",
        fmt::format("{} replicas of tp {} x pp {} need {} chips; {} has {}", spec.replicas, plan.tp,
                    plan.pp, per_replica * spec.replicas, system.name, system.chipCount()));
  }
  const map::ParallelLayout layout = map::explicitLayout(spec.scenario, system);
  ServeOutcome o;
  ServeContext& c = o.context;
  c.system = system.name;
  c.plan = layout.describe();
  c.exact = exact;
  c.kv = kvCapacity(system, spec.scenario, layout, largestPassTokens(spec));
  c.kv_blocks = c.kv.tokens / spec.scheduler.block_tokens;
  if (c.kv_blocks == 0) {
    throw ConfigError(
        plan.location, "parallel",
        fmt::format("{} on {} leaves no room for a KV block of {} tokens in {} "
                    "(weights and activations take it all); use more chips per "
                    "replica",
                    spec.scenario.model.name, c.plan, spec.scheduler.block_tokens, c.kv.level));
  }
  EngineOptions engine;
  engine.scheduler = spec.scheduler;
  engine.replicas = spec.replicas;
  engine.router = spec.router;
  engine.kv_blocks = c.kv_blocks;
  engine.kv_bytes_per_token = c.kv.bytes_per_token;
  SimulatedPassTimer timer(system, spec.scenario, layout, exact);
  o.result = runEngine(spec.requests, engine, timer);
  c.timing = timer.stats();
  o.metrics = computeServeMetrics(spec, o.result, c.kv_blocks);
  return o;
}

}  // namespace archsim::serve
