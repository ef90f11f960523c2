// One serving run on a system: the replica's layout and KV capacity, the engine with passes timed
// on the simulated chip, and the metrics — what `archsim serve` and the benchmarks run.
#pragma once

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

/// Runs `spec` on `system` (a continuous scheduler without a token budget gets vLLM's default
/// one, written back into `spec`). Throws ConfigError when the replicas do not fit the system or
/// a replica has no room for a KV block.
ServeOutcome serveOnSystem(const spec::SystemSpec& system, ServingSpec& spec, bool exact);

}  // namespace archsim::serve
