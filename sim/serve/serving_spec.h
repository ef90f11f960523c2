// ServingSpec: a `kind: serving` description (workloads/serving/) — what every forward pass
// computes (model, number formats, software stack, the plan of one replica), how passes are formed
// (scheduler), how many replicas serve and how requests reach them (router), the request stream
// and the latency targets.
//
//   kind: serving
//   name: llama2-7b-chat
//   model: llama2-7b                      # as in a scenario: model, dtypes, attention, fusion,
//   software: vllm                        #   software, parallel {tp, pp, ep, dp,
//   sequence_parallel}, parallel: {tp: 1, dp: 1}              #   placement; dp is the number of
//   replicas scheduler: {policy: continuous, max_sequences: 256, max_batched_tokens: 8192,
//               block_tokens: 16, preemption: recompute, swap_bandwidth: 64 GB/s}
//   router: least_tokens                  # round_robin | least_tokens | kv_aware
//   requests:
//     arrivals: poisson                   # poisson | gamma (with cv) | fixed
//     rate: 4 requests/s
//     prompt: {distribution: lognormal, median: 512, sigma: 0.6}
//     output: {distribution: uniform, min: 64, max: 512}
//     count: 1000                         # and/or duration: 10 min
//     seed: 1
//     # or: trace: traces/azure-code.csv  (arrival_s, prompt_tokens, output_tokens)
//   slo: {ttft: 2 s, tpot: 100 ms, percentile: 90}
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/serve/engine.h"
#include "sim/serve/requests.h"
#include "sim/spec/catalog.h"
#include "sim/spec/config_node.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::serve {

/// Latency targets a request meets at the given percentile of all requests (goodput counts the
/// requests that meet every target given).
struct SloSpec {
  std::optional<Tick> ttft_ps;
  std::optional<Tick> tpot_ps;
  std::optional<Tick> e2e_ps;
  double percentile = 0.0;  // (0, 100]; required with any target
  bool any() const { return ttft_ps || tpot_ps || e2e_ps; }
};

struct ServingSpec {
  std::string name;
  std::string description;
  /// What one pass computes: phase decode, batch and lengths set per pass by the engine; the plan
  /// is one replica's (dp 1); `replicas` is the file's dp.
  spec::ScenarioSpec scenario;
  SchedulerSpec scheduler;
  RouterKind router = RouterKind::kRoundRobin;
  std::uint32_t replicas = 1;
  StreamSpec stream;
  std::optional<std::filesystem::path> trace;
  std::vector<Request> requests;  // generated or read, in arrival order
  SloSpec slo;
};

struct LoadedServing {
  ServingSpec spec;
  spec::ConfigNode resolved;  // the document after --set
  std::vector<Diagnostic> warnings;
};

/// Loads a serving file. `assignments` (--set) address its keys: `model=`/`model.…`,
/// `software…`, `parallel.…`, `dtypes.…` as in a scenario; `scheduler.…`, `requests.…`, `slo.…`,
/// `router=`. Throws ConfigError with every problem found, located (a request longer than the
/// model's context names the request's trace line or the length key).
LoadedServing loadServing(const spec::Catalog& catalog, const std::filesystem::path& file,
                          const std::vector<std::string>& assignments = {});

/// Whether `file` is a serving description (`kind: serving`).
bool isServingFile(const std::filesystem::path& file);

}  // namespace archsim::serve
