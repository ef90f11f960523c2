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
//
// Prefill/decode disaggregation replaces `parallel` by two pools, each with its plan (dp: its
// replicas) and optionally its own system, scheduler and router (the top-level ones are the
// defaults), and the link the KV caches cross:
//   disaggregation:
//     prefill: {parallel: {tp: 4, dp: 1}}
//     decode: {parallel: {tp: 4, dp: 1}, system: hgx-h200}
//     link: {link_bandwidth: 50 GB/s, latency: 5 us, energy: 60 pJ/B}   # per chip, per direction
// Pools on the command's system take disjoint chips (prefill first) and the link is the
// system's own: the lowest level that joins them; a pool on a system of its own needs `link`.
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
#include "sim/spec/system_spec.h"

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

/// One pool of a disaggregated run.
struct PoolSpec {
  spec::ScenarioSpec scenario;  // the pool's plan, dp 1
  SchedulerSpec scheduler;
  RouterKind router = RouterKind::kRoundRobin;
  std::uint32_t replicas = 1;
  std::optional<spec::SystemSpec> system;  // a system of its own (else the command's)
};

/// The link between the pools, per chip and direction (each replica's port onto it has its chips'
/// bandwidth); unset values come from the system's level that joins the pools.
struct KvLinkSpec {
  std::optional<double> bytes_per_s_per_chip;
  std::optional<Tick> latency_ps;
  std::optional<double> energy_j_per_byte;
  Location location;
};

/// The prefill pool is the ServingSpec's own scenario, scheduler, router and replicas.
struct DisaggregationSpec {
  std::optional<spec::SystemSpec> prefill_system;  // a system of its own (else the command's)
  PoolSpec decode;
  KvLinkSpec link;
  Location location;
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
  std::optional<DisaggregationSpec> disaggregation;  // set: the fields above are the prefill pool
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

/// Splits --set assignments between the system (`system.` prefix or a system key: chip, levels,
/// chips, collectives) and the serving file (the rest; a `serving.` prefix is dropped).
void splitServingAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                             std::vector<std::string>& serving);

/// Whether `file` is a serving description (`kind: serving`).
bool isServingFile(const std::filesystem::path& file);

}  // namespace archsim::serve
