#include "sim/serve/serve_run.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/graph/workload.h"
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

namespace {

/// Lays out one pool's replica on `system` and sizes its KV cache. `chips_used`: chips other pools
/// took on the same system.
PoolContext setUpPool(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                      const SchedulerSpec& scheduler, std::uint32_t replicas,
                      std::uint64_t largest_pass_tokens, std::uint64_t chips_used,
                      std::string_view pool, map::ParallelLayout& layout) {
  const spec::ParallelPlan& plan = scenario.parallel;
  const std::uint64_t per_replica = std::uint64_t{plan.tp} * plan.pp;
  const std::string key =
      pool.empty() ? "parallel.dp" : fmt::format("disaggregation.{}.parallel", pool);
  if (per_replica * replicas + chips_used > system.chipCount()) {
    throw ConfigError(
        plan.location, key,
        fmt::format(
            "{} {}replicas of tp {} x pp {} need {} chips; {} has {}{}", replicas,
            pool.empty() ? "" : std::string(pool) + " ", plan.tp, plan.pp, per_replica * replicas,
            system.name, system.chipCount(),
            chips_used > 0 ? fmt::format(" ({} taken by the prefill pool)", chips_used) : ""));
  }
  layout = map::explicitLayout(scenario, system);
  PoolContext c;
  c.system = system.name;
  c.plan = layout.describe();
  c.kv = kvCapacity(system, scenario, layout, largest_pass_tokens);
  c.kv_blocks = c.kv.tokens / scheduler.block_tokens;
  if (c.kv_blocks == 0) {
    throw ConfigError(plan.location, key,
                      fmt::format("{} on {} leaves no room for a KV block of {} tokens in {} "
                                  "(weights and activations take it all); use more chips per "
                                  "replica",
                                  scenario.model.name, c.plan, scheduler.block_tokens, c.kv.level));
  }
  return c;
}

std::uint64_t chipsOf(const spec::ScenarioSpec& scenario, std::uint32_t replicas) {
  return std::uint64_t{scenario.parallel.tp} * scenario.parallel.pp * replicas;
}

/// The link between the pools: the serving file's values, else those of the lowest level of the
/// shared system whose groups hold both pools' chips.
KvLinkContext kvLink(const spec::SystemSpec& system, const ServingSpec& spec) {
  const DisaggregationSpec& d = *spec.disaggregation;
  const KvLinkSpec& given = d.link;
  KvLinkContext k;
  double per_chip = 0;
  if (!d.prefill_system && !d.decode.system) {
    const std::uint64_t chips =
        chipsOf(spec.scenario, spec.replicas) + chipsOf(d.decode.scenario, d.decode.replicas);
    std::uint64_t group = 1;
    for (const spec::LevelSpec& level : system.levels) {
      group *= level.size;
      if (group < chips) continue;
      k.via = fmt::format("{} level of {}", level.name, system.name);
      per_chip = level.link.bytesPerSecondPerDirection() * level.link.achievable_fraction;
      k.latency_ps =
          level.link.latency_ps + (level.switch_spec ? level.switch_spec->latency_ps : 0);
      k.energy_j_per_byte = level.link.energy_j_per_byte;
      break;
    }
    if (k.via.empty() && !given.bytes_per_s_per_chip) {
      throw ConfigError(given.location, "disaggregation",
                        fmt::format("{} has no level joining the pools' chips; give "
                                    "disaggregation.link",
                                    system.name));
    }
  }
  if (given.bytes_per_s_per_chip || given.latency_ps || given.energy_j_per_byte)
    k.via = "link given in the serving file";
  if (given.bytes_per_s_per_chip) per_chip = *given.bytes_per_s_per_chip;
  if (given.latency_ps) k.latency_ps = *given.latency_ps;
  if (given.energy_j_per_byte) k.energy_j_per_byte = *given.energy_j_per_byte;
  k.prefill_port_bytes_per_s = per_chip * static_cast<double>(chipsOf(spec.scenario, 1));
  k.decode_port_bytes_per_s = per_chip * static_cast<double>(chipsOf(d.decode.scenario, 1));
  k.bytes_per_token = graph::kvBytesPerToken(spec.scenario.model, spec.scenario.dtypes.kv);
  return k;
}

PoolOptions poolOptions(const SchedulerSpec& scheduler, std::uint32_t replicas, RouterKind router,
                        const PoolContext& c) {
  PoolOptions o;
  o.scheduler = scheduler;
  o.replicas = replicas;
  o.router = router;
  o.kv_blocks = c.kv_blocks;
  o.kv_bytes_per_token = c.kv.bytes_per_token;
  return o;
}

}  // namespace

ServeOutcome serveOnSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact) {
  if (spec.scheduler.max_batched_tokens == 0 &&
      spec.scheduler.policy == SchedulerPolicy::kContinuous) {
    spec.scheduler.max_batched_tokens = largestPassTokens(spec);
  }
  ServeOutcome o;
  ServeContext& c = o.context;
  c.exact = exact;
  if (!spec.disaggregation) {
    map::ParallelLayout layout;
    static_cast<PoolContext&>(c) = setUpPool(system, spec.scenario, spec.scheduler, spec.replicas,
                                             largestPassTokens(spec), 0, "", layout);
    EngineOptions engine;
    static_cast<PoolOptions&>(engine) = poolOptions(spec.scheduler, spec.replicas, spec.router, c);
    SimulatedPassTimer timer(system, spec.scenario, layout, exact);
    o.result = runEngine(spec.requests, engine, timer);
    c.timing = timer.stats();
    o.metrics = computeServeMetrics(spec, o.result, c);
    return o;
  }
  // Disaggregated: the prefill pool takes the first chips of its system, the decode pool the next
  // ones (or its own system's).
  DisaggregationSpec& d = spec.disaggregation.value();
  PoolSpec& dp = d.decode;
  if (dp.scheduler.max_batched_tokens == 0 && dp.scheduler.policy == SchedulerPolicy::kContinuous)
    dp.scheduler.max_batched_tokens = largestPassTokens(spec);
  const spec::SystemSpec& prefill_system = d.prefill_system ? *d.prefill_system : system;
  const spec::SystemSpec& decode_system = dp.system ? *dp.system : system;
  map::ParallelLayout prefill_layout, decode_layout;
  static_cast<PoolContext&>(c) =
      setUpPool(prefill_system, spec.scenario, spec.scheduler, spec.replicas,
                spec.scheduler.max_batched_tokens, 0, "prefill", prefill_layout);
  const bool shared = !d.prefill_system && !dp.system;
  c.decode = setUpPool(decode_system, dp.scenario, dp.scheduler, dp.replicas,
                       dp.scheduler.max_batched_tokens,
                       shared ? chipsOf(spec.scenario, spec.replicas) : 0, "decode", decode_layout);
  c.link = kvLink(system, spec);
  EngineOptions engine;
  static_cast<PoolOptions&>(engine) = poolOptions(spec.scheduler, spec.replicas, spec.router, c);
  engine.decode = poolOptions(dp.scheduler, dp.replicas, dp.router, *c.decode);
  engine.kv_link.prefill_port_bytes_per_s = c.link->prefill_port_bytes_per_s;
  engine.kv_link.decode_port_bytes_per_s = c.link->decode_port_bytes_per_s;
  engine.kv_link.latency_ps = c.link->latency_ps;
  engine.kv_link.bytes_per_token = c.link->bytes_per_token;
  engine.kv_link.energy_j_per_byte = c.link->energy_j_per_byte;
  SimulatedPassTimer prefill_timer(prefill_system, spec.scenario, prefill_layout, exact);
  SimulatedPassTimer decode_timer(decode_system, dp.scenario, decode_layout, exact);
  o.result = runEngine(spec.requests, engine, prefill_timer, &decode_timer);
  c.timing = prefill_timer.stats();
  c.decode->timing = decode_timer.stats();
  o.metrics = computeServeMetrics(spec, o.result, c);
  return o;
}

}  // namespace archsim::serve
