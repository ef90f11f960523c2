// What a serving run measured and the record `archsim serve` writes:
//   serve.json    the deterministic record: configuration, latency percentiles (TTFT, TPOT, E2E,
//                 queueing), throughput, goodput under the SLO, batch and KV use, preemptions,
//                 energy, how passes were timed, and time series
//   requests.csv  one row per request
//   report.html   latency CDFs and time series (batch, queue, KV use, throughput)
//   trace.json    Chrome/Perfetto trace: each replica's passes, and counters
// Percentiles are nearest-rank over completed requests; TPOT is (finish - first token) / (output
// tokens - 1) over requests with two or more output tokens; goodput counts the requests that meet
// every SLO target given (DistServe's definition), per second of the run.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/serve/engine.h"
#include "sim/serve/pass_timer.h"
#include "sim/serve/serving_spec.h"

namespace archsim::serve {

struct Percentiles {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0;
  std::size_t count = 0;
};

/// Nearest-rank percentile p (0, 100] of `values` (sorted here).
double percentile(std::vector<double> values, double p);
Percentiles summarize(const std::vector<double>& values);

struct ServeMetrics {
  std::size_t requests = 0;
  double duration_s = 0;  // first arrival to last finish
  double requests_per_s = 0, output_tokens_per_s = 0, prompt_tokens_per_s = 0;
  Percentiles ttft_s, tpot_s, e2e_s, queue_s;
  double slo_attainment = 0;  // requests meeting every target / requests (1 without an SLO)
  double goodput_requests_per_s = 0;
  std::optional<bool> slo_met;   // each target's percentile within it (absent without an SLO)
  double mean_decode_batch = 0;  // time-weighted over passes
  std::uint64_t max_decode_batch = 0;
  double mean_kv_used = 0, max_kv_used = 0;  // fractions of the blocks, time-weighted / peak
  std::uint64_t preemptions = 0;
  double energy_j = 0, energy_per_output_token_j = 0;
  // Disaggregated: first token to KV arrival on the decode replica (waiting for its blocks and the
  // ports, then moving), and the ports' busy fraction over the run.
  Percentiles kv_transfer_s;
  double kv_transfer_bytes = 0;
  double kv_link_utilization = 0;  // mean over the prefill replicas' egress ports
};

/// The serving metrics a sweep row has (name, value), in column order; servingMetricNames() the
/// names alone.
std::vector<std::pair<std::string, double>> servingHeadline(const ServeMetrics& m);
std::vector<std::string> servingMetricNames();

/// One pool as it ran: where, one replica's plan, its KV capacity and how its passes were timed.
struct PoolContext {
  std::string system;
  std::string plan;  // one replica's layout
  KvCapacity kv;
  std::uint64_t kv_blocks = 0;
  SimulatedPassTimer::Stats timing;
};

/// A disaggregated run's link between the pools.
struct KvLinkContext {
  std::string via;  // the system level that joins the pools, or "serving file"
  double prefill_port_bytes_per_s = 0, decode_port_bytes_per_s = 0;  // a replica's, each way
  Tick latency_ps = 0;
  double energy_j_per_byte = 0;
  std::uint64_t bytes_per_token = 0;
};

/// Everything the record shows besides the engine's result: the (colocated or prefill) pool, and
/// the decode pool and the link when disaggregated.
struct ServeContext : PoolContext {
  bool exact = false;
  std::optional<PoolContext> decode;
  std::optional<KvLinkContext> link;
};

ServeMetrics computeServeMetrics(const ServingSpec& spec, const EngineResult& result,
                                 const ServeContext& context);

/// The record's files, in writing order.
std::vector<std::pair<std::string, std::string>> serveRecordFiles(const ServingSpec& spec,
                                                                  const EngineResult& result,
                                                                  const ServeMetrics& metrics,
                                                                  const ServeContext& context,
                                                                  const std::string& resolved_yaml);

/// The terminal summary.
std::string serveSummary(const ServingSpec& spec, const ServeMetrics& metrics,
                         const ServeContext& context);

}  // namespace archsim::serve
