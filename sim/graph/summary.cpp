#include "sim/graph/summary.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/spec/units.h"

namespace archsim::graph {
namespace {

std::string bytesText(double b) {
  return spec::formatQuantity(b, spec::Dimension::kSize);
}
std::string flopsText(double f) {
  return spec::formatSi(f, "FLOP");
}
std::string count(double n) {
  if (n >= 1e9) return fmt::format("{:.2f} B", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f} M", n / 1e6);
  return fmt::format("{:.0f}", n);
}

}  // namespace

double WorkloadSummary::flopsPerOutputToken() const {
  return output_tokens == 0
             ? 0.0
             : static_cast<double>(total.matrix_flops + total.vector_flops) / output_tokens;
}

WorkloadSummary summarize(const Workload& workload) {
  const Shard& s = workload.shard();
  WorkloadSummary sum;
  const Graph& any = workload.runs().front().graph[0];
  std::uint64_t expert_params = 0;
  for (const Tensor& t : any.tensors()) {
    if (t.role != TensorRole::kWeight) continue;
    sum.params += t.elements.fixed;
    sum.weight_bytes += t.bytes.fixed;
    if (t.expert >= 0) expert_params += t.elements.fixed;
  }
  sum.active_params = sum.params - expert_params;
  if (s.model.moe) sum.active_params += expert_params * s.model.moe->top_k / s.model.moe->experts;

  sum.kv_bytes_per_token = kvBytesPerToken(s.model, s.dtypes.kv);
  sum.kv_tokens = workload.finalKvLength();
  if (s.model.sliding_window > 0) sum.kv_tokens = std::min(sum.kv_tokens, s.model.sliding_window);
  sum.kv_bytes = sum.kv_bytes_per_token * sum.kv_tokens * s.sequences;
  sum.output_tokens = workload.outputTokensPerSequence() * s.sequences;

  for (const Run& run : workload.runs()) {
    sum.steps += run.steps();
    const Graph& g = *run.graph;
    for (const Op& op : g.ops()) {
      KindTotals t;
      t.ops = run.steps();
      t.matrix_flops = sumOverRun(run, op.matrix_flops);
      t.vector_flops = sumOverRun(run, op.vector_flops);
      for (const auto* uses : {&op.reads, &op.writes}) {
        for (const TensorUse& u : *uses) {
          const std::uint64_t b = sumOverRun(run, u.bytes);
          t.bytes += b;
          sum.bytes_by_role[g.tensor(u.tensor).role] += b;
        }
      }
      for (KindTotals* into : {&sum.total, &sum.by_kind[op.kind]}) {
        into->ops += t.ops;
        into->matrix_flops += t.matrix_flops;
        into->vector_flops += t.vector_flops;
        into->bytes += t.bytes;
      }
      if (isWeightMatmulKind(op.kind)) {
        sum.weight_matmuls.ops += t.ops;
        sum.weight_matmuls.matrix_flops += t.matrix_flops;
        sum.weight_matmuls.vector_flops += t.vector_flops;
        sum.weight_matmuls.bytes += t.bytes;
      }
    }
  }
  return sum;
}

void printSummary(const Workload& workload, const WorkloadSummary& sum, std::ostream& out) {
  const Shard& s = workload.shard();
  out << fmt::format("scenario {}: {} {}, batch {}", s.name, s.model.name, spec::phaseName(s.phase),
                     s.sequences);
  if (s.phase != spec::Phase::kDecode) out << fmt::format(", prompt {}", s.prompt_tokens);
  if (s.phase == spec::Phase::kGenerate) out << fmt::format(", output {}", s.output_tokens);
  if (s.phase == spec::Phase::kDecode) out << fmt::format(", KV length {}", s.kv_length);
  out << fmt::format("\n  weights {}, activations {}, KV {}, compute {}; attention {}, fusion {}\n",
                     s.dtypes.weights.str(), s.dtypes.activations.str(), s.dtypes.kv.str(),
                     spec::dtypeName(s.dtypes.compute), spec::attentionName(s.attention),
                     spec::fusionName(s.fusion));
  out << fmt::format("parameters    {} ({} params), {} active per token\n",
                     count(static_cast<double>(sum.params)), sum.params,
                     count(static_cast<double>(sum.active_params)));
  out << fmt::format("weights       {} ({} B)\n", bytesText(static_cast<double>(sum.weight_bytes)),
                     sum.weight_bytes);
  if (!s.model.isEncoder()) {
    out << fmt::format("KV cache      {} B per token ({}); {} for {} x {} tokens\n",
                       sum.kv_bytes_per_token,
                       bytesText(static_cast<double>(sum.kv_bytes_per_token)),
                       bytesText(static_cast<double>(sum.kv_bytes)), s.sequences, sum.kv_tokens);
  }
  for (const Run& run : workload.runs()) {
    out << fmt::format("graph         {}: {} ops, {} tensors, {} step{}", graphPhaseName(run.phase),
                       run.graph->ops().size(), run.graph->tensors().size(), run.steps(),
                       run.steps() == 1 ? "" : "s");
    if (run.phase == GraphPhase::kDecode) {
      out << (run.steps() == 1 ? fmt::format(" at KV length {}", run.kv_first)
                               : fmt::format(" at KV lengths {}..{}", run.kv_first, run.kv_last));
    }
    out << '\n';
  }
  const double flops = static_cast<double>(sum.total.matrix_flops + sum.total.vector_flops);
  out << fmt::format("FLOPs         {} ({} on matrix units)", flopsText(flops),
                     flopsText(static_cast<double>(sum.total.matrix_flops)));
  if (sum.output_tokens > 0)
    out << fmt::format("; {} per output token", flopsText(sum.flopsPerOutputToken()));
  out << "\nbytes moved   ";
  bool first = true;
  for (const auto& [role, b] : sum.bytes_by_role) {
    out << fmt::format("{}{} {}", first ? "" : ", ", roleName(role),
                       bytesText(static_cast<double>(b)));
    first = false;
  }
  out << fmt::format("; total {}\n", bytesText(static_cast<double>(sum.total.bytes)));
  out << "arithmetic intensity by op kind (FLOP/B):\n";
  out << fmt::format("  {:<18} {:>8} {:>14} {:>12} {:>10}\n", "kind", "ops", "FLOPs", "bytes",
                     "FLOP/B");
  for (const auto& [kind, t] : sum.by_kind) {
    out << fmt::format("  {:<18} {:>8} {:>14} {:>12} {:>10.3g}\n", opKindName(kind), t.ops,
                       flopsText(static_cast<double>(t.matrix_flops + t.vector_flops)),
                       bytesText(static_cast<double>(t.bytes)), t.intensity());
  }
  out << fmt::format(
      "  {:<18} {:>8} {:>14} {:>12} {:>10.3g}\n", "weight matmuls", sum.weight_matmuls.ops,
      flopsText(
          static_cast<double>(sum.weight_matmuls.matrix_flops + sum.weight_matmuls.vector_flops)),
      bytesText(static_cast<double>(sum.weight_matmuls.bytes)), sum.weight_matmuls.intensity());
  out << fmt::format("  {:<18} {:>8} {:>14} {:>12} {:>10.3g}\n", "overall", sum.total.ops,
                     flopsText(flops), bytesText(static_cast<double>(sum.total.bytes)),
                     sum.total.intensity());
}

nlohmann::ordered_json summaryJson(const Workload& workload, const WorkloadSummary& sum) {
  const Shard& s = workload.shard();
  auto kindJson = [](const KindTotals& t) {
    return nlohmann::ordered_json{{"ops", t.ops},
                                  {"matrix_flops", t.matrix_flops},
                                  {"vector_flops", t.vector_flops},
                                  {"bytes", t.bytes},
                                  {"flops_per_byte", t.intensity()}};
  };
  nlohmann::ordered_json j;
  j["scenario"] = s.name;
  j["model"] = s.model.name;
  j["phase"] = spec::phaseName(s.phase);
  j["batch"] = s.sequences;
  j["params"] = sum.params;
  j["active_params"] = sum.active_params;
  j["weight_bytes"] = sum.weight_bytes;
  j["kv_bytes_per_token"] = sum.kv_bytes_per_token;
  j["kv_tokens"] = sum.kv_tokens;
  j["kv_bytes"] = sum.kv_bytes;
  j["output_tokens"] = sum.output_tokens;
  j["steps"] = sum.steps;
  j["graphs"] = nlohmann::ordered_json::array();
  for (const Run& run : workload.runs()) {
    j["graphs"].push_back({{"phase", graphPhaseName(run.phase)},
                           {"ops", run.graph->ops().size()},
                           {"tensors", run.graph->tensors().size()},
                           {"kv_first", run.kv_first},
                           {"kv_last", run.kv_last}});
  }
  j["flops"] = sum.total.matrix_flops + sum.total.vector_flops;
  j["matrix_flops"] = sum.total.matrix_flops;
  j["vector_flops"] = sum.total.vector_flops;
  j["flops_per_output_token"] = sum.flopsPerOutputToken();
  for (const auto& [role, b] : sum.bytes_by_role)
    j["bytes_by_role"][std::string(roleName(role))] = b;
  j["bytes"] = sum.total.bytes;
  for (const auto& [kind, t] : sum.by_kind)
    j["by_kind"][std::string(opKindName(kind))] = kindJson(t);
  j["weight_matmuls"] = kindJson(sum.weight_matmuls);
  j["flops_per_byte"] = sum.total.intensity();
  return j;
}

}  // namespace archsim::graph
