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
const std::vector<std::string> kServingKeys{"scheduler", "router", "requests", "slo"};

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
      if (std::find(kScenarioKeys.begin(), kScenarioKeys.end(), key) != kScenarioKeys.end()) {
        scenario_sets.push_back(set);
        continue;
      }
      const Location at{"--set " + set, 0, 0};
      if (std::find(kServingKeys.begin(), kServingKeys.end(), key) == kServingKeys.end()) {
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
  if (doc.find("parallel") == nullptr) {  // one chip per replica unless a plan is given
    spec::ConfigNode plan = spec::ConfigNode::makeMap(where);
    plan.set("tp", spec::ConfigNode::makeScalar("1", where), where);
    sc.set("parallel", std::move(plan), where);
  }
  spec::LoadedScenario scenario = spec::loadScenarioDocument(catalog, sc, file, scenario_sets);

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
  if (s.scenario.parallel.automatic) {
    r.error("parallel",
            "a serving run needs one replica's plan {tp, pp, dp} (a searched plan would change "
            "with every pass)");
  }
  if (s.scenario.parallel.microbatches != 1)
    r.error("parallel", "a serving replica runs one microbatch per pass (microbatches: 1)");
  if (s.scenario.model.isEncoder())
    r.error("model", fmt::format("{} is an encoder: it generates no tokens to serve",
                                 s.scenario.model.name));
  r.finish();
  diags.throwIfAny();

  s.replicas = s.scenario.parallel.dp;
  s.scenario.parallel.dp = 1;
  s.requests = s.trace ? readTrace(s.trace->string()) : generate(s.stream);
  checkLengths(s, doc);
  out.resolved = std::move(doc);
  return out;
}

}  // namespace archsim::serve
