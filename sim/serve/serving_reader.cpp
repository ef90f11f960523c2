#include <algorithm>

#include <fmt/format.h>

#include "sim/serve/serving_spec.h"
#include "sim/spec/loader.h"
#include "sim/spec/reader.h"
#include "sim/spec/suggest.h"

namespace archsim::serve {
namespace {

namespace fs = std::filesystem;
using spec::Diagnostics;
using spec::MapReader;
using spec::Need;

// What a pass computes: read as a scenario (spec/scenario_reader.h) from these keys.
const std::vector<std::string> kScenarioKeys{"model",    "dtypes",    "attention", "fusion",
                                             "parallel", "placement", "software"};
const std::vector<std::string> kServingKeys{"scheduler", "router", "requests", "slo",
                                            "disaggregation"};

constexpr std::int64_t kMaxTokens = std::int64_t{1} << 30;

inline constexpr spec::NameTable<ArrivalKind, 3> kArrivalNames{{{"poisson", ArrivalKind::kPoisson},
                                                                {"gamma", ArrivalKind::kGamma},
                                                                {"fixed", ArrivalKind::kFixed}}};
inline constexpr spec::NameTable<LengthKind, 3> kLengthNames{
    {{"fixed", LengthKind::kFixed},
     {"uniform", LengthKind::kUniform},
     {"lognormal", LengthKind::kLognormal}}};

/// A length: a plain token count (fixed), or {distribution: fixed, tokens} / {uniform, min, max}
/// / {lognormal, median, sigma, max (optional cap)}.
LengthSpec readLength(MapReader& parent, std::string_view key) {
  LengthSpec l;
  const spec::ConfigNode* node = parent.node(key, Need::kRequired);
  if (node == nullptr) return l;
  if (node->isScalar()) {
    l.value =
        static_cast<std::uint64_t>(parent.integer(key, Need::kRequired, 1, kMaxTokens).value_or(1));
    return l;
  }
  auto r = parent.child(key, Need::kRequired);
  if (!r) return l;
  l.kind = r->choice<LengthKind>("distribution", kLengthNames, Need::kRequired)
               .value_or(LengthKind::kFixed);
  switch (l.kind) {
    case LengthKind::kFixed:
      l.value = static_cast<std::uint64_t>(
          r->integer("tokens", Need::kRequired, 1, kMaxTokens).value_or(1));
      break;
    case LengthKind::kUniform:
      l.min =
          static_cast<std::uint64_t>(r->integer("min", Need::kRequired, 1, kMaxTokens).value_or(1));
      l.max =
          static_cast<std::uint64_t>(r->integer("max", Need::kRequired, 1, kMaxTokens).value_or(1));
      if (l.max < l.min) r->error("max", fmt::format("below min ({})", l.min));
      break;
    case LengthKind::kLognormal:
      l.median =
          r->number("median", Need::kRequired, 1.0, static_cast<double>(kMaxTokens)).value_or(1.0);
      l.sigma = r->number("sigma", Need::kRequired, 0.0, 5.0).value_or(0.0);
      l.max =
          static_cast<std::uint64_t>(r->integer("max", Need::kOptional, 1, kMaxTokens).value_or(1));
      break;
  }
  r->finish();
  return l;
}

void readScheduler(MapReader& top, SchedulerSpec& s) {
  auto r = top.child("scheduler", Need::kOptional);
  if (!r) return;
  s = SchedulerSpec{};
  s.policy = r->choice<SchedulerPolicy>("policy", kSchedulerNames, Need::kOptional)
                 .value_or(SchedulerPolicy::kContinuous);
  s.max_sequences = static_cast<std::uint64_t>(
      r->integer("max_sequences", Need::kOptional, 1, 1 << 20).value_or(256));
  s.max_batched_tokens = static_cast<std::uint64_t>(
      r->integer("max_batched_tokens", Need::kOptional, 1, kMaxTokens).value_or(0));
  s.block_tokens = static_cast<std::uint64_t>(
      r->integer("block_tokens", Need::kOptional, 1, 1 << 16).value_or(16));
  s.preemption = r->choice<Preemption>("preemption", kPreemptionNames, Need::kOptional)
                     .value_or(Preemption::kRecompute);
  s.swap_bytes_per_s =
      r->quantity("swap_bandwidth", spec::Dimension::kBandwidth, Need::kOptional).value_or(0.0);
  s.passes_in_flight = static_cast<std::uint32_t>(
      r->integer("passes_in_flight", Need::kOptional, 1, 1 << 16).value_or(0));
  if (s.policy == SchedulerPolicy::kChunked && s.max_batched_tokens == 0)
    r->error("max_batched_tokens", "the chunked scheduler needs a token budget per pass");
  if (s.preemption == Preemption::kSwap && s.swap_bytes_per_s <= 0)
    r->error("swap_bandwidth", "swap preemption needs the host link's bandwidth (e.g. 64 GB/s)");
  r->finish();
}

void readRequests(MapReader& top, const fs::path& dir, ServingSpec& s) {
  auto r = top.child("requests", Need::kRequired);
  if (!r) return;
  if (r->has("trace")) {
    const auto path = r->text("trace", Need::kRequired);
    for (std::string_view k : {"arrivals", "rate", "cv", "prompt", "output", "count", "duration"}) {
      if (r->has(k)) r->error(k, "a trace gives arrivals and lengths; drop this key or the trace");
    }
    if (path) s.trace = fs::path(*path).is_absolute() ? fs::path(*path) : dir / *path;
    r->finish();
    return;
  }
  StreamSpec& st = s.stream;
  st.arrivals.kind = r->choice<ArrivalKind>("arrivals", kArrivalNames, Need::kRequired)
                         .value_or(ArrivalKind::kPoisson);
  st.arrivals.rate_per_s =
      r->quantity("rate", spec::Dimension::kRate, Need::kRequired).value_or(1.0);
  if (st.arrivals.kind == ArrivalKind::kGamma) {
    st.arrivals.cv = r->number("cv", Need::kRequired, 1e-3, 100.0).value_or(1.0);
  } else if (r->has("cv")) {
    r->error("cv", "applies only to gamma arrivals");
  }
  st.prompt = readLength(*r, "prompt");
  st.output = readLength(*r, "output");
  st.count =
      static_cast<std::uint64_t>(r->integer("count", Need::kOptional, 1, 100'000'000).value_or(0));
  st.duration_ps = r->ticks("duration", Need::kOptional).value_or(0);
  if (st.count == 0 && st.duration_ps == 0) r->error("count", "give a request count or a duration");
  st.seed = static_cast<std::uint64_t>(r->integer("seed", Need::kOptional, 0).value_or(0));
  r->finish();
}

void readSlo(MapReader& top, SloSpec& slo) {
  auto r = top.child("slo", Need::kOptional);
  if (!r) return;
  slo.ttft_ps = r->ticks("ttft", Need::kOptional);
  slo.tpot_ps = r->ticks("tpot", Need::kOptional);
  slo.e2e_ps = r->ticks("e2e", Need::kOptional);
  if (!slo.any()) r->error("", "give at least one target: ttft, tpot or e2e");
  slo.percentile =
      r->number("percentile", slo.any() ? Need::kRequired : Need::kOptional, 1e-6, 100.0)
          .value_or(0.0);
  r->finish();
}

/// The plan's replicas (its dp; the pass's scenario was read without it) after the checks a
/// serving plan needs; errors at `key` of `r`.
std::uint32_t servingReplicas(MapReader& r, std::string_view key,
                              const spec::ScenarioSpec& scenario) {
  if (scenario.parallel.automatic) {
    r.error(key,
            "a serving run needs one replica's plan {tp, pp, dp} (a searched plan would change "
            "with every pass)");
  }
  if (scenario.parallel.microbatches != 1)
    r.error(key, "a serving replica runs one microbatch per pass (microbatches: 1)");
  std::uint32_t replicas = 1;
  const spec::ConfigNode* plan = r.node(key, Need::kOptional);
  if (plan != nullptr && plan->isMap() && plan->find("dp") != nullptr) {
    if (auto p = r.child(key, Need::kOptional))
      replicas =
          static_cast<std::uint32_t>(p->integer("dp", Need::kOptional, 1, 1 << 16).value_or(1));
  }
  return replicas;
}

/// A pool's own system: a preset name, or a file (relative to the serving file).
std::optional<spec::SystemSpec> readPoolSystem(const spec::Catalog& catalog, MapReader& pool,
                                               const fs::path& dir,
                                               std::vector<Diagnostic>& warnings) {
  const auto ref = pool.text("system", Need::kOptional);
  if (!ref) return std::nullopt;
  std::error_code ec;
  const fs::path local = dir / *ref;
  spec::LoadedSystem sys = fs::is_regular_file(local, ec) ? spec::loadSystemFile(catalog, local)
                                                          : spec::loadSystem(catalog, *ref);
  warnings.insert(warnings.end(), sys.warnings.begin(), sys.warnings.end());
  return std::move(sys.spec);
}

/// Requests longer than the model's context are errors at the key (or trace) that made them.
void checkLengths(const ServingSpec& s, const spec::ConfigNode& doc) {
  const std::uint64_t context = s.scenario.model.max_positions;
  if (context == 0) return;
  for (const Request& q : s.requests) {
    if (q.prompt_tokens + q.output_tokens <= context) continue;
    const std::string what =
        fmt::format("request {} has {} prompt + {} output tokens, beyond {}'s context of {} tokens",
                    q.id, q.prompt_tokens, q.output_tokens, s.scenario.model.name, context);
    if (s.trace) throw ConfigError(Location{s.trace->string(), 0, 0}, "requests.trace", what);
    const spec::ConfigNode* req = doc.find("requests");
    const spec::ConfigNode* out = req ? req->find("output") : nullptr;
    throw ConfigError(out ? out->location() : doc.location(), "requests.output",
                      what + " (bound the length distributions by the context)");
  }
}

}  // namespace

void splitServingAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                             std::vector<std::string>& serving) {
  for (const std::string& set : sets) {
    if (set.rfind("system.", 0) == 0)
      system.push_back(set.substr(7));
    else if (spec::isSystemKey(set.substr(0, set.find_first_of(".="))))
      system.push_back(set);
    else
      serving.push_back(set.rfind("serving.", 0) == 0 ? set.substr(8) : set);
  }
}

bool isServingFile(const fs::path& file) {
  std::error_code ec;
  if (file.extension() == ".json" || !fs::is_regular_file(file, ec)) return false;
  const spec::ConfigNode document = spec::loadYamlFile(file);
  const spec::ConfigNode* kind = document.isMap() ? document.find("kind") : nullptr;
  return kind != nullptr && kind->isScalar() && kind->scalar() == "serving";
}

LoadedServing loadServing(const spec::Catalog& catalog, const fs::path& file,
                          const std::vector<std::string>& assignments) {
  spec::ConfigNode doc = spec::loadYamlFile(file);
  const Location where = doc.location();
  if (!doc.isMap()) throw ConfigError(where, "", "a serving description is a mapping");

  // --set: scenario keys go to the pass's scenario (references swapped before inlining), the
  // others to this document.
  std::vector<std::string> scenario_sets;
  {
    Diagnostics diags;
    for (const std::string& set : assignments) {
      const std::string key = set.substr(0, set.find_first_of(".="));
      // (a plan is this document's: its dp is the replica count, the pass's plan has dp 1)
      if (key != "parallel" &&
          std::find(kScenarioKeys.begin(), kScenarioKeys.end(), key) != kScenarioKeys.end()) {
        scenario_sets.push_back(set);
        continue;
      }
      const Location at{"--set " + set, 0, 0};
      if (key != "parallel" &&
          std::find(kServingKeys.begin(), kServingKeys.end(), key) == kServingKeys.end()) {
        std::vector<std::string> all = kScenarioKeys;
        all.insert(all.end(), kServingKeys.begin(), kServingKeys.end());
        diags.error(
            at, key,
            fmt::format("not a key of a serving description{}", spec::didYouMean(key, all)));
        continue;
      }
      try {
        spec::applyAssignment(doc, set, at);
      } catch (const ConfigError& e) {
        diags.absorb(e);
      }
    }
    diags.throwIfAny();
  }

  // The pass's scenario: the scenario keys of this file, as a decode step (the engine sets the
  // batch, the lengths and the prompt chunks of every pass).
  spec::ConfigNode sc = spec::ConfigNode::makeMap(where);
  sc.set("kind", spec::ConfigNode::makeScalar("scenario", where), where);
  const spec::ConfigNode* name = doc.find("name");
  sc.set("name", name ? *name : spec::ConfigNode::makeScalar(file.stem().string(), where), where);
  sc.set("phase", spec::ConfigNode::makeScalar("decode", where), where);
  sc.set("batch", spec::ConfigNode::makeScalar("1", where), where);
  sc.set("kv_length", spec::ConfigNode::makeScalar("1", where), where);
  for (const std::string& key : kScenarioKeys) {
    if (const spec::ConfigNode* n = doc.find(key)) sc.set(key, *n, n->location());
  }
  // One chip per replica unless a plan is given; disaggregated, each pool's plan. The pass's plan
  // is one replica's: dp (the replica count) is read from this document.
  auto planOf = [&](const spec::ConfigNode* holder) {
    const spec::ConfigNode* plan = holder && holder->isMap() ? holder->find("parallel") : nullptr;
    if (plan != nullptr && plan->isMap()) {
      spec::ConfigNode one = *plan;
      one.erase("dp");
      return one;
    }
    if (plan != nullptr) return *plan;  // the scenario reader reports it
    spec::ConfigNode one = spec::ConfigNode::makeMap(where);
    one.set("tp", spec::ConfigNode::makeScalar("1", where), where);
    return one;
  };
  const spec::ConfigNode* split = doc.find("disaggregation");
  if (split != nullptr && !split->isMap()) split = nullptr;  // the reader reports it
  const spec::ConfigNode* prefill_node = split ? split->find("prefill") : &doc;
  sc.set("parallel", planOf(prefill_node), where);
  spec::LoadedScenario scenario = spec::loadScenarioDocument(catalog, sc, file, scenario_sets);
  std::optional<spec::LoadedScenario> decode_scenario;
  if (split != nullptr) {
    sc.set("parallel", planOf(split->find("decode")), where);
    decode_scenario = spec::loadScenarioDocument(catalog, sc, file, scenario_sets);
  }

  LoadedServing out;
  ServingSpec& s = out.spec;
  s.scenario = std::move(scenario.spec);
  out.warnings = std::move(scenario.warnings);

  Diagnostics diags;
  MapReader r(doc, "", diags);
  const spec::DocumentHeader header = spec::readHeader(r, "serving");
  s.name = header.name;
  s.description = header.description;
  for (const std::string& key : kScenarioKeys)
    r.has(key);  // read above, as the pass's scenario
  readScheduler(r, s.scheduler);
  s.router = r.choice<RouterKind>("router", kRouterNames, Need::kOptional)
                 .value_or(RouterKind::kRoundRobin);
  readRequests(r, file.parent_path(), s);
  readSlo(r, s.slo);
  if (auto d = r.child("disaggregation", Need::kOptional)) {
    DisaggregationSpec ds;
    ds.location = d->location();
    if (doc.find("parallel") != nullptr) {
      r.error("parallel",
              "a disaggregated run gives each pool its plan (disaggregation.prefill.parallel "
              "and disaggregation.decode.parallel)");
    }
    PoolSpec& dp = ds.decode;
    dp.scheduler = s.scheduler;  // the top-level scheduler and router are both pools' defaults
    dp.router = s.router;
    dp.scenario = std::move(decode_scenario->spec);
    out.warnings.insert(out.warnings.end(), decode_scenario->warnings.begin(),
                        decode_scenario->warnings.end());
    auto readPool = [&](std::string_view key, PoolSpec& pool) {
      auto pr = d->child(key, Need::kRequired);
      if (!pr) return;
      pr->has("parallel");
      readScheduler(*pr, pool.scheduler);
      pool.router =
          pr->choice<RouterKind>("router", kRouterNames, Need::kOptional).value_or(pool.router);
      pool.system = readPoolSystem(catalog, *pr, file.parent_path(), out.warnings);
      pool.replicas = servingReplicas(*pr, "parallel", pool.scenario);
      if (pool.scheduler.policy == SchedulerPolicy::kStatic)
        pr->error("scheduler",
                  "a disaggregated pool schedules continuously (continuous or chunked)");
      pr->finish();
    };
    PoolSpec pre;  // the prefill pool is the spec's own scenario, scheduler and router
    pre.scenario = std::move(s.scenario);
    pre.scheduler = s.scheduler;
    pre.router = s.router;
    readPool("prefill", pre);
    readPool("decode", dp);
    s.scenario = std::move(pre.scenario);
    s.scheduler = pre.scheduler;
    s.router = pre.router;
    s.replicas = pre.replicas;
    ds.prefill_system = std::move(pre.system);
    KvLinkSpec& link = ds.link;
    link.location = d->location();
    if (auto lr = d->child("link", Need::kOptional)) {
      link.location = lr->location();
      link.bytes_per_s_per_chip =
          lr->quantity("link_bandwidth", spec::Dimension::kBandwidth, Need::kOptional);
      link.latency_ps = lr->ticks("latency", Need::kOptional, spec::Bound::kNonNegative);
      link.energy_j_per_byte = lr->quantity("energy", spec::Dimension::kEnergyPerByte,
                                            Need::kOptional, spec::Bound::kNonNegative);
      lr->finish();
    }
    if ((ds.prefill_system || dp.system) && !link.bytes_per_s_per_chip) {
      d->error("link",
               "pools on systems of their own need the link between them: link: {link_bandwidth, "
               "latency} (per chip, per direction)");
    }
    d->finish();
    s.disaggregation = std::move(ds);
  } else {
    s.replicas = servingReplicas(r, "parallel", s.scenario);
  }
  if (s.scenario.model.isEncoder())
    r.error("model", fmt::format("{} is an encoder: it generates no tokens to serve",
                                 s.scenario.model.name));
  r.finish();
  diags.throwIfAny();

  s.requests = s.trace ? readTrace(s.trace->string()) : generate(s.stream);
  checkLengths(s, doc);
  out.resolved = std::move(doc);
  return out;
}

}  // namespace archsim::serve
