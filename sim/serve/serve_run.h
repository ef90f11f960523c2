// One serving run on a system: the replica's layout and KV capacity, the engine with passes timed
// on the simulated chip, and the metrics — what `archsim serve` and the benchmarks run.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "sim/serve/serve_report.h"
#include "sim/spec/system_spec.h"

namespace archsim::serve {

struct ServeOutcome {
  EngineResult result;
  ServeMetrics metrics;
  ServeContext context;
};

/// The largest pass a replica runs, in tokens (what its activations must hold): the scheduler's
/// budget; without one, vLLM's default for a continuous scheduler (max(context, 2048)), or a
/// static batch of the longest prompts.
std::uint64_t largestPassTokens(const ServingSpec& spec);

/// A serving setup on a system: the pools laid out, their KV caches sized, their pass timers
/// ready. The timers' memo persists across runs, so runs of other request streams of the same
/// setup (a rate search, a sweep over rates) reuse the passes already timed.
class ServingSystem {
 public:
  /// Throws ConfigError as serveOnSystem does; `spec` gets its default token budgets and must
  /// outlive this object, as must `system`.
  ServingSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact);
  ~ServingSystem();
  ServingSystem(const ServingSystem&) = delete;
  ServingSystem& operator=(const ServingSystem&) = delete;
  /// Serves `requests` (in arrival order); the context's pass counts are this run's.
  ServeOutcome run(const std::vector<Request>& requests);

 private:
  const ServingSpec& spec_;
  ServeContext context_;
  EngineOptions engine_;
  std::unique_ptr<SimulatedPassTimer> prefill_timer_, decode_timer_;
};

/// Runs `spec` on `system` (a continuous scheduler without a token budget gets vLLM's default
/// one, written back into `spec`). Throws ConfigError when the replicas do not fit the system or
/// a replica has no room for a KV block.
ServeOutcome serveOnSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact);

/// The stream's own mean arrival rate: a generated stream's rate; a trace's requests over its
/// arrival span. Throws ConfigError for a trace of one request or no span.
double streamRate(const ServingSpec& spec);

/// The stream at another mean rate: a generated stream regenerated at `rate_per_s` (same seed:
/// the same lengths, every gap scaled), a trace's arrivals scaled in time about its first one.
std::vector<Request> requestsAtRate(const ServingSpec& spec, double rate_per_s);

/// `archsim serve --find-max-rate`: the highest arrival rate whose run meets the SLO. From the
/// stream's own rate it doubles (or halves) until the SLO flips, then bisects until the bracket is
/// within `tolerance` of its lower end. Every probe is a full run on the same ServingSystem (the
/// same seed, so the probes see the same requests, only closer together or further apart).
struct RateProbe {
  double rate_per_s = 0;
  ServeMetrics metrics;
};
struct MaxRateSearch {
  std::vector<RateProbe> probes;            // in the order run
  std::optional<double> max_rate_per_s;     // the highest rate that met the SLO (none: no rate did)
  std::optional<double> missed_rate_per_s;  // the lowest that missed (none: every rate met it)
  double tolerance = 0;
  ServeOutcome outcome;  // the run at max_rate_per_s (without one: at the lowest rate tried)
};
/// Throws ConfigError when the file has no SLO.
MaxRateSearch findMaxRate(const spec::SystemSpec& system, ServingSpec& spec, bool exact,
                          double tolerance = 0.02);

/// serve.json text with the search added as "max_rate_search" (rate, bracket, every probe's
/// latencies at the SLO's percentile).
std::string withRateSearch(const std::string& serve_json, const ServingSpec& spec,
                           const MaxRateSearch& search);
/// The search as terminal lines: the result, then one line a probe.
std::string rateSearchSummary(const ServingSpec& spec, const MaxRateSearch& search);

}  // namespace archsim::serve
