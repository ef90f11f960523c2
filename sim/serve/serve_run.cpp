#include "sim/serve/serve_run.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

/// Lays out one pool's replica on `system` and sizes its KV cache; a scheduler without
/// passes_in_flight gets the replica's pipeline stages. `chips_used`: chips other pools took on
/// the same system.
PoolContext setUpPool(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                      SchedulerSpec& scheduler, std::uint32_t replicas,
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
  if (scheduler.passes_in_flight == 0)
    scheduler.passes_in_flight = static_cast<std::uint32_t>(layout.stages.size());
  PoolContext c;
  c.system = system.name;
  c.plan = layout.describe();
  c.kv = kvCapacity(system, scenario, layout, largest_pass_tokens);
  // The blocks keep a margin of two tokens a sequence: a pass's stand-in lengths (the decode
  // tokens' mean KV length and the chunks' mean length, each rounded up) may hold up to that many
  // more KV entries than its sequences do, and the pass must still fit where the KV cache lives.
  const std::uint64_t margin = 2 * scheduler.max_sequences;
  c.kv_blocks = c.kv.tokens > margin ? (c.kv.tokens - margin) / scheduler.block_tokens : 0;
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

ServingSystem::ServingSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact)
    : spec_(spec) {
  if (spec.scheduler.max_batched_tokens == 0 &&
      spec.scheduler.policy == SchedulerPolicy::kContinuous) {
    spec.scheduler.max_batched_tokens = largestPassTokens(spec);
  }
  ServeContext& c = context_;
  c.exact = exact;
  if (!spec.disaggregation) {
    map::ParallelLayout layout;
    static_cast<PoolContext&>(c) = setUpPool(system, spec.scenario, spec.scheduler, spec.replicas,
                                             largestPassTokens(spec), 0, "", layout);
    static_cast<PoolOptions&>(engine_) = poolOptions(spec.scheduler, spec.replicas, spec.router, c);
    prefill_timer_ = std::make_unique<SimulatedPassTimer>(system, spec.scenario, layout, exact);
    return;
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
  static_cast<PoolOptions&>(engine_) = poolOptions(spec.scheduler, spec.replicas, spec.router, c);
  engine_.decode = poolOptions(dp.scheduler, dp.replicas, dp.router, *c.decode);
  engine_.kv_link.prefill_port_bytes_per_s = c.link->prefill_port_bytes_per_s;
  engine_.kv_link.decode_port_bytes_per_s = c.link->decode_port_bytes_per_s;
  engine_.kv_link.latency_ps = c.link->latency_ps;
  engine_.kv_link.bytes_per_token = c.link->bytes_per_token;
  engine_.kv_link.energy_j_per_byte = c.link->energy_j_per_byte;
  prefill_timer_ =
      std::make_unique<SimulatedPassTimer>(prefill_system, spec.scenario, prefill_layout, exact);
  decode_timer_ =
      std::make_unique<SimulatedPassTimer>(decode_system, dp.scenario, decode_layout, exact);
}

ServingSystem::~ServingSystem() = default;

namespace {

/// This run's share of a timer's counts (the memo, and so the errors seen, span every run).
SimulatedPassTimer::Stats since(const SimulatedPassTimer::Stats& before,
                                SimulatedPassTimer::Stats after) {
  after.passes -= before.passes;
  after.simulated -= before.simulated;
  after.probes -= before.probes;
  after.exact_cells -= before.exact_cells;
  return after;
}

}  // namespace

ServeOutcome ServingSystem::run(const std::vector<Request>& requests) {
  ServeOutcome o;
  o.context = context_;
  const SimulatedPassTimer::Stats p0 = prefill_timer_->stats();
  const SimulatedPassTimer::Stats d0 = decode_timer_ ? decode_timer_->stats() : p0;
  o.result = runEngine(requests, engine_, *prefill_timer_, decode_timer_.get());
  o.context.timing = since(p0, prefill_timer_->stats());
  if (decode_timer_) o.context.decode->timing = since(d0, decode_timer_->stats());
  o.metrics = computeServeMetrics(spec_, o.result, o.context);
  return o;
}

ServeOutcome serveOnSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact) {
  ServingSystem s(system, spec, exact);
  return s.run(spec.requests);
}

double streamRate(const ServingSpec& spec) {
  if (!spec.trace) return spec.stream.arrivals.rate_per_s;
  const std::vector<Request>& r = spec.requests;
  const Tick span = r.empty() ? 0 : r.back().arrival_ps - r.front().arrival_ps;
  if (r.size() < 2 || span == 0) {
    throw ConfigError(Location{spec.trace->string(), 0, 0}, "requests.trace",
                      "a trace needs two or more arrival times to have a rate to scale");
  }
  return static_cast<double>(r.size() - 1) / ticksToSeconds(span);
}

std::vector<Request> requestsAtRate(const ServingSpec& spec, double rate_per_s) {
  if (!spec.trace) {
    StreamSpec stream = spec.stream;
    stream.arrivals.rate_per_s = rate_per_s;
    return generate(stream);
  }
  const double stretch = streamRate(spec) / rate_per_s;
  std::vector<Request> out = spec.requests;
  const Tick first = out.front().arrival_ps;
  for (Request& q : out) {
    q.arrival_ps = first + static_cast<Tick>(
                               std::llround(static_cast<double>(q.arrival_ps - first) * stretch));
  }
  return out;
}

MaxRateSearch findMaxRate(const spec::SystemSpec& system, ServingSpec& spec, bool exact,
                          double tolerance) {
  if (!spec.slo.any()) {
    throw ConfigError(Location{"--find-max-rate", 0, 0}, "slo",
                      "the serving file sets no SLO (slo: {ttft, tpot or e2e, percentile}) to "
                      "meet");
  }
  constexpr int kMaxSteps = 20;  // doublings or halvings: a 10^6 range either way
  ServingSystem server(system, spec, exact);
  MaxRateSearch search;
  search.tolerance = tolerance;
  std::optional<ServeOutcome> best, lowest;
  double lowest_rate = 0;
  auto probe = [&](double rate) {
    ServeOutcome o = server.run(requestsAtRate(spec, rate));
    const bool met = o.metrics.slo_met.value_or(false);
    search.probes.push_back({rate, o.metrics});
    if (met && (!search.max_rate_per_s || rate > *search.max_rate_per_s)) {
      search.max_rate_per_s = rate;
      best = std::move(o);
    } else if (!met && (!search.missed_rate_per_s || rate < *search.missed_rate_per_s)) {
      search.missed_rate_per_s = rate;
      if (!lowest || rate < lowest_rate) {
        lowest_rate = rate;
        lowest = std::move(o);
      }
    }
    return met;
  };
  const double base = streamRate(spec);
  if (probe(base)) {
    for (int i = 1; i <= kMaxSteps && probe(base * std::ldexp(1.0, i)); ++i) {
    }
  } else {
    for (int i = 1; i <= kMaxSteps && !probe(base * std::ldexp(1.0, -i)); ++i) {
    }
  }
  while (search.max_rate_per_s && search.missed_rate_per_s &&
         *search.missed_rate_per_s - *search.max_rate_per_s > tolerance * *search.max_rate_per_s) {
    probe(0.5 * (*search.max_rate_per_s + *search.missed_rate_per_s));
  }
  search.outcome = best ? std::move(*best) : std::move(*lowest);
  return search;
}

namespace {

/// A probe's latency at the SLO's percentile, in seconds (0 when there were none).
struct AtPercentile {
  double ttft = 0, tpot = 0, e2e = 0;
};

AtPercentile atPercentile(const ServeMetrics& m, double p) {
  // The metrics keep p50/p90/p99; the SLO's own percentile comes from them when it is one of
  // those, else from the nearest kept one above it.
  auto pick = [&](const Percentiles& x) { return p <= 50 ? x.p50 : p <= 90 ? x.p90 : x.p99; };
  return {pick(m.ttft_s), pick(m.tpot_s), pick(m.e2e_s)};
}

}  // namespace

std::string withRateSearch(const std::string& serve_json, const ServingSpec& spec,
                           const MaxRateSearch& search) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(serve_json);
  nlohmann::ordered_json probes = nlohmann::ordered_json::array();
  const std::string p = fmt::format("p{:g}", spec.slo.percentile <= 50   ? 50.0
                                             : spec.slo.percentile <= 90 ? 90.0
                                                                         : 99.0);
  for (const RateProbe& r : search.probes) {
    const AtPercentile a = atPercentile(r.metrics, spec.slo.percentile);
    probes.push_back({{"rate_requests_per_s", r.rate_per_s},
                      {"slo_met", r.metrics.slo_met.value_or(false)},
                      {"slo_attainment", r.metrics.slo_attainment},
                      {"ttft_" + p + "_s", a.ttft},
                      {"tpot_" + p + "_s", a.tpot},
                      {"e2e_" + p + "_s", a.e2e},
                      {"output_tokens_per_s", r.metrics.output_tokens_per_s},
                      {"goodput_requests_per_s", r.metrics.goodput_requests_per_s}});
  }
  auto orNull = [](const std::optional<double>& v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
  };
  doc["max_rate_search"] = {{"max_rate_requests_per_s", orNull(search.max_rate_per_s)},
                            {"missed_rate_requests_per_s", orNull(search.missed_rate_per_s)},
                            {"tolerance", search.tolerance},
                            {"probes", probes}};
  return doc.dump(2) + "\n";
}

std::string rateSearchSummary(const ServingSpec& spec, const MaxRateSearch& search) {
  std::string out;
  if (search.max_rate_per_s && search.missed_rate_per_s) {
    out = fmt::format(
        "max rate meeting the SLO: {:.4g} requests/s ({:.4g} misses it; bracket within {:g} "
        "%)\n",
        *search.max_rate_per_s, *search.missed_rate_per_s, search.tolerance * 100);
  } else if (search.max_rate_per_s) {
    out = fmt::format("the SLO is met at every rate tried, up to {:.4g} requests/s\n",
                      *search.max_rate_per_s);
  } else {
    out = fmt::format("the SLO is missed at every rate tried, down to {:.4g} requests/s\n",
                      *search.missed_rate_per_s);
  }
  const double pct = spec.slo.percentile <= 50 ? 50.0 : spec.slo.percentile <= 90 ? 90.0 : 99.0;
  out +=
      fmt::format("  {:>12}  {:>6}  {:>8}  {:>12}  {:>12}  {:>12}\n", "requests/s", "SLO", "meet %",
                  fmt::format("TTFT p{:g}", pct), fmt::format("TPOT p{:g}", pct), "tokens/s");
  std::vector<RateProbe> sorted = search.probes;
  std::sort(sorted.begin(), sorted.end(),
            [](const RateProbe& a, const RateProbe& b) { return a.rate_per_s < b.rate_per_s; });
  for (const RateProbe& r : sorted) {
    const AtPercentile a = atPercentile(r.metrics, spec.slo.percentile);
    out += fmt::format("  {:>12.4g}  {:>6}  {:>8.1f}  {:>9.2f} ms  {:>9.2f} ms  {:>12.1f}\n",
                       r.rate_per_s, r.metrics.slo_met.value_or(false) ? "met" : "missed",
                       r.metrics.slo_attainment * 100, a.ttft * 1e3, a.tpot * 1e3,
                       r.metrics.output_tokens_per_s);
  }
  out += "the record below is the run at the highest rate that met it\n";
  return out;
}

}  // namespace archsim::serve
