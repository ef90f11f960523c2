#include "sim/spec/scenario_reader.h"

#include <cctype>

#include <fmt/format.h>

#include "sim/spec/chip_reader.h"
#include "sim/spec/model_reader.h"
#include "sim/spec/suggest.h"

namespace archsim::spec {
namespace {

constexpr std::int64_t kMaxTokens = 1LL << 30;
// Sequences in a batch: a run keeps per-sequence state (KV rows, attention tiles), about 0.5 KB per
// sequence per op; 2^20 sequences take ~20 s and ~0.6 GB on one chip (README "Limits").
constexpr std::int64_t kMaxBatch = 1LL << 20;
/// batch x context length: every KV-cache and activation byte count of the largest models stays far
/// inside 64 bits (2^36 tokens x ~0.5 MB of KV per token of a 405B model < 2^55 B).
constexpr std::uint64_t kMaxBatchTokens = 1ULL << 36;

}  // namespace

std::string_view phaseName(Phase p) {
  return nameOf(kPhaseNames, p);
}
std::string_view attentionName(AttentionImpl a) {
  return nameOf(kAttentionNames, a);
}
std::string_view fusionName(FusionLevel f) {
  return nameOf(kFusionNames, f);
}

std::optional<TensorFormat> readTensorFormat(MapReader& parent, std::string_view key, Need need) {
  const ConfigNode* node = parent.node(key, need);
  if (node == nullptr) return std::nullopt;
  if (node->isScalar()) {
    const auto t = readChoice<DType>(*node, parent.keyPath(key), kDTypeNames, parent.diagnostics());
    return t ? std::optional(TensorFormat{*t, 0, DType::kFp16}) : std::nullopt;
  }
  auto r = parent.child(key, need);
  if (!r) return std::nullopt;
  TensorFormat f;
  f.dtype = r->choice<DType>("dtype", kDTypeNames, Need::kRequired).value_or(DType::kBf16);
  f.group_size =
      static_cast<std::uint32_t>(r->integer("group_size", Need::kOptional, 1, 1 << 20).value_or(0));
  f.scale_dtype = r->choice<DType>("scale", kDTypeNames, Need::kOptional).value_or(DType::kFp16);
  if (r->has("scale") && f.group_size == 0) r->error("scale", "applies only with group_size");
  r->finish();
  return f;
}

/// The plan against the model and the batch (the system's chip count is checked when it is known).
void checkPlan(const ScenarioSpec& s, MapReader& p) {
  const ParallelPlan& plan = s.parallel;
  const ModelSpec& m = s.model;
  if (m.layers == 0 || m.heads == 0) return;  // the model itself is broken, and reported
  if (plan.tp > 1) {
    std::vector<std::string> why;
    if (m.heads % plan.tp != 0) why.push_back(fmt::format("{} attention heads", m.heads));
    if (m.kv_heads % plan.tp != 0 && plan.tp % m.kv_heads != 0) {
      why.push_back(fmt::format(
          "{} KV heads (tp must divide them, or be a multiple of them to replicate them)",
          m.kv_heads));
    }
    if (m.ffn % plan.tp != 0) why.push_back(fmt::format("an MLP width of {}", m.ffn));
    if (!why.empty()) {
      std::string list = why.front();
      for (std::size_t i = 1; i < why.size(); ++i)
        list += ", " + why[i];
      p.error("tp",
              fmt::format("tensor parallelism {} does not divide {}'s {}", plan.tp, m.name, list));
    }
  }
  if (plan.pp > m.layers) {
    p.error("pp",
            fmt::format("{} pipeline stages for {} layers: every stage needs at least one layer",
                        plan.pp, m.layers));
  }
  if (plan.ep > 1) {
    if (!m.moe) {
      p.error("ep",
              fmt::format("expert parallelism needs a mixture-of-experts model; {} has no experts",
                          m.name));
    } else if (plan.ep != plan.tp) {
      p.error("ep",
              fmt::format(
                  "expert parallelism spreads experts over the tensor-parallel group: ep must be 1 "
                  "or equal tp ({})",
                  plan.tp));
    } else if (m.moe->experts % plan.ep != 0) {
      p.error("ep",
              fmt::format("{} experts do not split evenly over {} chips", m.moe->experts, plan.ep));
    }
  }
  if (s.batch % plan.dp != 0) {
    p.error("dp", fmt::format("{} data-parallel replicas do not split a batch of {} evenly",
                              plan.dp, s.batch));
  } else if ((s.batch / plan.dp) % plan.microbatches != 0) {
    p.error("microbatches",
            fmt::format("{} microbatches do not split a replica's {} sequences evenly",
                        plan.microbatches, s.batch / plan.dp));
  }
}

SoftwareSpec readSoftware(const ConfigNode& node, const std::string& path, Diagnostics& diags) {
  SoftwareSpec sw;
  MapReader r(node, path, diags);
  // A software file names itself; an inline mapping in a scenario may go without a name.
  DocumentHeader header =
      readHeader(r, "software", path.empty() ? Need::kRequired : Need::kOptional);
  sw.name = header.name.empty() ? "custom" : std::move(header.name);
  sw.description = std::move(header.description);
  sw.op_overhead_ps = r.ticks("op_overhead", Need::kOptional, Bound::kNonNegative).value_or(0);
  sw.step_overhead_ps = r.ticks("step_overhead", Need::kOptional, Bound::kNonNegative).value_or(0);
  sw.step_overhead_per_sequence_ps =
      r.ticks("step_overhead_per_sequence", Need::kOptional, Bound::kNonNegative).value_or(0);
  sw.memory_reserved_bytes =
      r.bytes("memory_reserved", Need::kOptional, Bound::kNonNegative).value_or(0);
  sw.memory_utilization = r.fraction("memory_utilization", Need::kOptional).value_or(1.0);
  sw.kv_cache_fraction = r.fraction("kv_cache_fraction", Need::kOptional).value_or(1.0);
  sw.decode_attention =
      r.choice<DecodeAttention>("decode_attention", kDecodeAttentionNames, Need::kOptional)
          .value_or(DecodeAttention::kGrouped);
  sw.decode_attention_units =
      r.choice<DecodeAttentionUnits>("decode_attention_units", kDecodeAttentionUnitsNames,
                                     Need::kOptional)
          .value_or(DecodeAttentionUnits::kMatrix);
  sw.gated_activation =
      r.choice<GatedActivation>("gated_activation", kGatedActivationNames, Need::kOptional)
          .value_or(GatedActivation::kFused);
  sw.moe_kernels = r.choice<MoeKernels>("moe_kernels", kMoeKernelsNames, Need::kOptional)
                       .value_or(MoeKernels::kGrouped);
  sw.max_tokens_per_pass = static_cast<std::uint64_t>(
      r.integer("max_tokens_per_pass", Need::kOptional, 0, kMaxTokens).value_or(0));
  sw.matrix_efficiency = r.fraction("matrix_efficiency", Need::kOptional).value_or(1.0);
  sw.sources = readSources(r, node);
  r.finish();
  return sw;
}

ScenarioSpec readScenario(const ConfigNode& node, Diagnostics& diags) {
  ScenarioSpec s;
  MapReader r(node, "", diags);
  const DocumentHeader header = readHeader(r, "scenario");
  s.name = header.name;
  s.description = header.description;
  if (const ConfigNode* model = r.node("model", Need::kRequired))
    s.model = readModel(*model, "model", diags);

  const auto phase = r.choice<Phase>("phase", kPhaseNames, Need::kRequired);
  s.phase = phase.value_or(Phase::kDecode);
  const bool phase_ok = phase.has_value();  // lengths are only checked against a valid phase
  s.batch =
      static_cast<std::uint64_t>(r.integer("batch", Need::kRequired, 1, kMaxBatch).value_or(1));
  const bool needs_prompt = s.phase != Phase::kDecode;
  const bool needs_output = s.phase == Phase::kGenerate;
  const bool needs_kv = s.phase == Phase::kDecode;
  auto tokens = [&](std::string_view key, bool needed) -> std::uint64_t {
    if (!needed) {
      if (phase_ok && r.has(key)) {
        r.error(key, fmt::format("does not apply to phase '{}'", phaseName(s.phase)));
      }
      return 0;
    }
    return static_cast<std::uint64_t>(
        r.integer(key, phase_ok ? Need::kRequired : Need::kOptional, 1, kMaxTokens).value_or(1));
  };
  s.prompt_tokens = tokens("prompt_tokens", needs_prompt);
  s.output_tokens = tokens("output_tokens", needs_output);
  s.kv_length = tokens("kv_length", needs_kv);

  {
    const std::uint64_t context =
        s.phase == Phase::kDecode ? s.kv_length : s.prompt_tokens + s.output_tokens;
    if (s.batch * context > kMaxBatchTokens) {  // each factor is at most 2^31: no overflow
      r.error("batch", fmt::format("batch {} x {} tokens of context = {} tokens, more than the {} "
                                   "(2^36) a run can hold",
                                   s.batch, context, s.batch * context, kMaxBatchTokens));
    }
  }
  if (phase_ok && s.model.isEncoder() && s.phase != Phase::kPrefill) {
    r.error("phase", fmt::format("encoder model '{}' has no {} phase (use prefill)", s.model.name,
                                 phaseName(s.phase)));
  }
  // Learned position tables bound the sequence length; rotary embeddings do not. Exceeding it is a
  // warning, not an error: the cost is well defined, and published studies run such shapes
  // (LLMCompass's GPT-3 decode at 3072 tokens of context).
  if (s.model.positions == PositionKind::kLearned && s.model.max_positions > 0) {
    const std::uint64_t longest =
        s.phase == Phase::kDecode ? s.kv_length : s.prompt_tokens + s.output_tokens;
    if (longest > s.model.max_positions) {
      r.warn(s.phase == Phase::kDecode ? "kv_length" : "prompt_tokens",
             fmt::format(
                 "{} tokens exceed the model's {} learned positions; the cost is simulated as if "
                 "the position table were longer",
                 longest, s.model.max_positions));
    }
  }

  if (auto d = r.child("dtypes", Need::kOptional)) {
    s.dtypes.weights = readTensorFormat(*d, "weights", Need::kOptional).value_or(TensorFormat{});
    s.dtypes.activations =
        readTensorFormat(*d, "activations", Need::kOptional).value_or(TensorFormat{});
    s.dtypes.kv = readTensorFormat(*d, "kv", Need::kOptional).value_or(TensorFormat{});
    if (s.dtypes.activations.group_size > 0)
      d->error("activations", "activations take a plain dtype, not a block format");
    if (s.dtypes.activations.dtype == DType::kInt4 || s.dtypes.activations.dtype == DType::kTf32) {
      d->error("activations", "activations are stored as fp32, bf16, fp16, fp8 or int8");
    }
    // Weight-only quantization dequantizes into the activation format; W8A8 computes in int8/fp8.
    const DType default_compute = s.dtypes.activations.dtype;
    s.dtypes.compute =
        d->choice<DType>("compute", kDTypeNames, Need::kOptional).value_or(default_compute);
    d->finish();
  } else {
    s.dtypes.compute = s.dtypes.activations.dtype;
  }

  s.attention = r.choice<AttentionImpl>("attention", kAttentionNames, Need::kOptional)
                    .value_or(AttentionImpl::kFused);
  s.fusion = r.choice<FusionLevel>("fusion", kFusionNames, Need::kOptional)
                 .value_or(FusionLevel::kElementwise);

  if (const ConfigNode* plan = r.node("parallel", Need::kOptional)) {
    if (plan->isScalar() && plan->scalar() == "auto") {
      s.parallel.automatic = true;
    } else if (plan->isScalar()) {
      r.error("parallel",
              fmt::format("'{}' is neither 'auto' nor a plan {{tp, pp, ep, dp, microbatches, "
                          "sequence_parallel}} or {{auto: latency|throughput|chips, max_chips}}{}",
                          plan->scalar(),
                          didYouMean(plan->scalar(), std::vector<std::string>{"auto"})));
    } else if (auto p = r.child("parallel", Need::kOptional); p && p->has("auto")) {
      // A searched plan: what to optimize, and at most how many chips to use.
      s.parallel.automatic = true;
      s.parallel.objective = p->choice<PlanObjective>("auto", kPlanObjectiveNames, Need::kRequired);
      s.parallel.max_chips = static_cast<std::uint64_t>(
          p->integer("max_chips", Need::kOptional, 1, std::int64_t{1} << 40).value_or(0));
      for (std::string_view key : {"tp", "pp", "ep", "dp", "microbatches", "sequence_parallel"}) {
        if (p->has(key)) {
          p->error(key,
                   "a searched plan ('auto') takes no explicit degrees; give either auto "
                   "or the plan");
        }
      }
      p->finish();
    } else if (p) {
      auto degree = [&](std::string_view key) {
        return static_cast<std::uint32_t>(p->integer(key, Need::kOptional, 1, 1 << 20).value_or(1));
      };
      s.parallel.tp = degree("tp");
      const ConfigNode* pp = p->node("pp", Need::kOptional);
      if (pp != nullptr && pp->isScalar() && pp->scalar() == "auto") {
        s.parallel.pp_auto = true;  // pp stays 1 until the mapping knows the chip
      } else if (pp != nullptr && pp->isScalar() && !pp->scalar().empty() &&
                 !std::isdigit(static_cast<unsigned char>(pp->scalar()[0]))) {
        p->error("pp", fmt::format("'{}' is neither a pipeline depth nor 'auto'{}", pp->scalar(),
                                   didYouMean(pp->scalar(), std::vector<std::string>{"auto"})));
      } else {
        s.parallel.pp = degree("pp");
      }
      s.parallel.ep = degree("ep");
      s.parallel.dp = degree("dp");
      s.parallel.microbatches = degree("microbatches");
      s.parallel.sequence_parallel =
          p->boolean("sequence_parallel", Need::kOptional).value_or(false);
      checkPlan(s, *p);
      p->finish();
    }
  } else {
    s.parallel.automatic = true;  // no plan given: search one on the system the run gets
  }
  s.parallel.location = r.locationOf("parallel");
  if (auto p = r.child("placement", Need::kOptional)) {
    s.placement.weights =
        p->choice<WeightPlacement>("weights", kWeightPlacementNames, Need::kOptional)
            .value_or(WeightPlacement::kAuto);
    s.placement.kv = p->choice<KvPlacement>("kv", kKvPlacementNames, Need::kOptional)
                         .value_or(KvPlacement::kAuto);
    p->finish();
  }
  if (const ConfigNode* software = r.node("software", Need::kOptional))
    s.software = readSoftware(*software, "software", diags);
  r.finish();
  return s;
}

}  // namespace archsim::spec
