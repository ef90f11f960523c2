// A validation suite (`kind: validation`): published measurements, each expressed as an archsim
// run (or a single-op microbenchmark) and the metric that was measured.
//
//   kind: validation
//   name: e2e-public
//   description: ...
//   cases:
//     - id: trtllm061-h100-llama-2-70b-bs96-tp2-2048-128   # the source record id
//       system: dgx-h100                                   # preset or file
//       scenario: {model: llama2-70b, phase: generate, batch: 96, prompt_tokens: 2048,
//                  output_tokens: 128, dtypes: {weights: fp8, activations: fp8, kv: fp8},
//                  parallel: {tp: 2}}                      # preset, file, or inline mapping
//       set: ["..."]                                       # --set overrides (optional)
//       software: tensorrt-llm                             # the stack (absent: ideal)
//       metric: output_tokens_per_s_per_chip
//       measured: 306 tokens/s
//       trust: vendor                                      # label (optional)
//       group: {hardware: H100, phase: generate}           # labels for summaries (optional)
//     - id: gemm-a100-8192                                  # a microbenchmark instead of a run
//       system: a100-sxm4
//       microbench: {op: gemm, m: 8192, n: 8192, k: 8192, dtype: fp16}
//       metric: achieved_flops_per_s
//       measured: 255 TFLOPS
//   left_out:                                               # rows not expressed, and why
//     - {id: mlperf41-..., reason: "input lengths are a dataset distribution"}
//
// `batch: max` in a case's scenario is the largest batch whose weights, KV cache and activations
// fit the plan's chips in what the case's software stack leaves of their memory (what a serving
// stack fed at an infinite request rate reaches), capped by
// `max_batch` (the serving stack's batch limit, a property of the software: default 256).
//
// `requests` (throughput metrics of a generate run) is the benchmark's request count, every request
// queued at t = 0 and all of the same lengths: the system holds `batch` of them at a time, so the
// run is floor(requests / batch) full waves and a last wave of the remainder, which runs at its own
// (smaller) batch. Throughput = requests x tokens / (full waves x e2e(batch) + e2e(remainder)).
//
// A run case's `software` names the software stack the measurement ran on (a preset of
// configs/software or a file, relative to the suite): it replaces the scenario's. On a
// microbenchmark it is only a label (the microbenchmark gives its own `op_overhead`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/error.h"
#include "sim/spec/config_node.h"
#include "sim/spec/reader.h"
#include "sim/spec/units.h"

namespace archsim::validate {

/// A single-op microbenchmark (graph/microbench.h, exec/collectives.h).
struct Microbench {
  std::string op;                     // gemm, copy, softmax, attention, all_reduce, send_recv
  std::uint64_t m = 0, n = 0, k = 0;  // gemm
  std::uint64_t bytes = 0;            // copy, all_reduce, send_recv
  std::uint64_t rows = 0, cols = 0;   // softmax
  std::uint64_t batch = 1, heads = 0, seq = 0;  // attention
  std::uint64_t head_dim = 0;                   // attention
  std::uint64_t chips = 0;                      // collectives: ranks (0: every chip)
  std::string dtype = "fp16";
  double op_overhead_s = 0.0;  // the software stack's per-op host cost (eager frameworks)
};

/// A metric a case can be measured by.
struct MetricKind {
  std::string key;
  spec::Dimension dimension;
  bool microbench;  // measured on a microbenchmark (else on a run)
  std::string description;
};
/// Every metric a case may name.
const std::vector<MetricKind>& metricKinds();
const MetricKind* findMetricKind(const std::string& key);

struct Case {
  std::string id;
  Location location;                         // where the case was written
  std::string system;                        // preset or path (relative to the suite's folder)
  std::optional<std::string> scenario_ref;   // preset or path
  std::optional<spec::ConfigNode> scenario;  // inline scenario mapping
  std::optional<Microbench> microbench;
  std::vector<std::string> sets;
  bool max_batch = false;  // scenario batch: max
  std::uint64_t batch_cap = 256;
  std::optional<std::uint64_t> requests;  // the benchmark's request count (throughput metrics)
  std::string software = "default";       // "default": none given
  Location software_location;
  std::string metric;
  double measured = 0.0;  // in the metric's base SI unit
  std::string measured_text;
  std::string trust;
  std::map<std::string, std::string> groups;  // label -> value (hardware, phase, ... added)
};

struct LeftOut {
  std::string id;
  std::string reason;
};

struct Suite {
  std::string name;
  std::string description;
  std::filesystem::path file;
  std::vector<Case> cases;
  std::vector<LeftOut> left_out;
};

/// The labels of the mapping at `key` of `r` (label: value), each value a scalar; absent: none.
std::map<std::string, std::string> readLabels(spec::MapReader& r, std::string_view key,
                                              spec::Diagnostics& diags);

/// Reads and checks a suite (every problem at once, located). Throws ConfigError: unknown metric,
/// a measured value whose unit does not fit the metric, an empty suite, duplicate ids.
Suite loadSuite(const std::filesystem::path& file);

}  // namespace archsim::validate
