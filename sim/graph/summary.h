// WorkloadSummary: what `archsim graph` reports — parameters, weight and KV bytes, FLOPs, bytes
// moved by tensor role and arithmetic intensity by op kind, summed over every step of the scenario.
//
// Bytes are the graph's own traffic: every op reading its inputs and writing its outputs once, as a
// kernel-per-op execution with no cache reuse would. Caches and tiling (the execution layer) change
// what actually crosses each memory level; this is the hardware-independent baseline.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/graph/workload.h"

namespace archsim::graph {

struct KindTotals {
  std::uint64_t ops = 0;  // op executions over all steps
  std::uint64_t matrix_flops = 0;
  std::uint64_t vector_flops = 0;
  std::uint64_t bytes = 0;

  double intensity() const {
    return bytes == 0 ? 0.0 : static_cast<double>(matrix_flops + vector_flops) / bytes;
  }
};

struct WorkloadSummary {
  std::uint64_t params = 0;
  std::uint64_t active_params = 0;  // per token: experts count top_k / experts of their parameters
  std::uint64_t weight_bytes = 0;
  std::uint64_t kv_bytes_per_token = 0;  // per sequence
  std::uint64_t kv_tokens = 0;           // cached per sequence at the end (window-capped)
  std::uint64_t kv_bytes = 0;            // for the whole batch at the end
  std::uint64_t output_tokens = 0;       // over the whole batch
  std::uint64_t steps = 0;
  KindTotals total;
  std::map<TensorRole, std::uint64_t> bytes_by_role;
  std::map<OpKind, KindTotals> by_kind;
  KindTotals weight_matmuls;  // matmul, router, expert_matmul and lm_head ops

  double flopsPerOutputToken() const;
};

WorkloadSummary summarize(const Workload& workload);
void printSummary(const Workload& workload, const WorkloadSummary& summary, std::ostream& out);
nlohmann::ordered_json summaryJson(const Workload& workload, const WorkloadSummary& summary);

}  // namespace archsim::graph
