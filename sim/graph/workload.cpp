#include "sim/graph/workload.h"

#include <algorithm>

namespace archsim::graph {
namespace {
/// sum of min(L, window) for L = first..last (window 0: no cap).
std::uint64_t sumCapped(std::uint64_t first, std::uint64_t last, std::uint64_t window) {
  auto arithmetic = [](std::uint64_t a, std::uint64_t b) {
    return a > b ? 0 : (a + b) * (b - a + 1) / 2;
  };
  if (window == 0 || last <= window) return arithmetic(first, last);
  if (first >= window) return window * (last - first + 1);
  return arithmetic(first, window) + window * (last - window);
}
}  // namespace

Workload::Workload(const spec::ScenarioSpec& scenario) : Workload(wholeModel(scenario)) {}

Workload::Workload(Shard shard) : shard_(std::move(shard)) {
  const Shard& s = shard_;
  if (s.phase != spec::Phase::kDecode) prefill_.emplace(buildGraph(s, GraphPhase::kPrefill));
  const bool needs_decode =
      s.phase == spec::Phase::kDecode || (s.phase == spec::Phase::kGenerate && s.output_tokens > 1);
  if (needs_decode) decode_.emplace(buildGraph(s, GraphPhase::kDecode));
  if (prefill_)
    runs_.push_back({GraphPhase::kPrefill, &*prefill_, s.prompt_tokens, s.prompt_tokens});
  if (s.phase == spec::Phase::kDecode)
    runs_.push_back({GraphPhase::kDecode, &*decode_, s.kv_length, s.kv_length});
  if (s.phase == spec::Phase::kGenerate && decode_) {
    runs_.push_back({GraphPhase::kDecode, &*decode_, s.prompt_tokens + 1,
                     s.prompt_tokens + s.output_tokens - 1});
  }
}

Workload::Workload(Shard shard, Graph graph) : shard_(std::move(shard)) {
  prefill_.emplace(std::move(graph));
  runs_.push_back({GraphPhase::kPrefill, &*prefill_, shard_.prompt_tokens, shard_.prompt_tokens});
}

std::uint64_t Workload::outputTokensPerSequence() const {
  if (shard_.model.isEncoder()) return 0;
  return shard_.phase == spec::Phase::kGenerate ? shard_.output_tokens : 1;
}

std::uint64_t Workload::finalKvLength() const {
  if (shard_.model.isEncoder()) return 0;
  switch (shard_.phase) {
    case spec::Phase::kPrefill:
      return shard_.prompt_tokens;
    case spec::Phase::kDecode:
      return shard_.chunk_sequences > 0
                 ? std::max(shard_.kv_length, shard_.chunk_prior_kv + shard_.chunk_tokens)
                 : shard_.kv_length;
    case spec::Phase::kGenerate:
      return shard_.prompt_tokens + shard_.output_tokens - 1;
  }
  return 0;
}

std::pair<std::uint64_t, std::uint64_t> Workload::kvEntries() const {
  const Shard& s = shard_;
  if (s.phase != spec::Phase::kDecode || s.chunk_sequences == 0) return {1, 1};
  const std::uint64_t held =
      s.kv_sequences * s.kv_length + s.chunk_sequences * (s.chunk_prior_kv + s.chunk_tokens);
  return {held, (s.kv_sequences + s.chunk_sequences) * finalKvLength()};
}

std::uint64_t sumOverSteps(const Graph& g, Extent e, std::uint64_t first, std::uint64_t last) {
  return e.fixed * (last - first + 1) + e.per_kv * sumCapped(first, last, g.kvWindow());
}

std::uint64_t sumOverRun(const Run& run, Extent e) {
  return sumOverSteps(*run.graph, e, run.kv_first, run.kv_last);
}

std::uint64_t kvBytesPerToken(const spec::ModelSpec& model, const spec::TensorFormat& kv_format) {
  if (model.isEncoder()) return 0;
  return 2 * model.layers * kv_format.bytes(model.kvDim());
}

}  // namespace archsim::graph
