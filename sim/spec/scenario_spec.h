// ScenarioSpec: what to run — a model, a phase, batch and lengths, number formats, the attention
// implementation, the fusion level and the parallel plan.
//
// Phases: `prefill` processes prompt_tokens per sequence; `decode` is one step whose new token
// attends to kv_length keys (the cache after appending it); `generate` is one prefill that yields
// the first output token, then output_tokens - 1 decode steps at kv_length prompt + 1 ... prompt +
// output - 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/checked.h"
#include "sim/core/error.h"
#include "sim/spec/model_spec.h"
#include "sim/spec/names.h"
#include "sim/spec/tensor_format.h"

namespace archsim::spec {

enum class Phase { kPrefill, kDecode, kGenerate };
enum class AttentionImpl { kMaterialized, kFused };
enum class FusionLevel { kNone, kElementwise };
/// How a stack's decode attention kernel serves the query heads that share a KV head (GQA/MQA):
/// one pass over the KV head's cache for the whole group (FlashDecoding, TensorRT-LLM's XQA), or
/// one pass per query head, each reading the cache itself (masked multi-head attention kernels).
enum class DecodeAttention { kGrouped, kPerHead };
/// Which units a stack's decode attention kernel computes on: the matrix units (tensor-core
/// kernels: FlashAttention/FlashInfer decode, TensorRT-LLM's XQA) or the vector units (the masked
/// multi-head attention kernels of TensorRT-LLM before XQA and vLLM's paged attention v1/v2:
/// FP32 FMAs on CUDA cores, each KV element converted to FP32 as it is used).
enum class DecodeAttentionUnits { kMatrix, kVector };
/// Where a stack computes a gated MLP's activation (SiLU(gate) x up): in the epilogue of the
/// gate/up GEMM, which then writes only the activated half (a fused GEMM-SwiGLU kernel), or as a
/// kernel of its own that reads the GEMM's whole gate/up output back from memory (vLLM's and
/// SGLang's SiluAndMul, TensorRT-LLM's default). Only gated MLPs have the choice.
enum class GatedActivation { kFused, kSeparate };
/// How a stack runs a mixture-of-experts layer's expert GEMMs: one kernel for all experts' GEMMs
/// of a kind (a grouped GEMM: TensorRT-LLM's MoE plugin, vLLM's and SGLang's fused_moe), so the
/// layer launches its gate/up, activation and down once each; or a kernel per expert (a loop over
/// the experts, as Hugging Face transformers runs Mixtral eagerly).
enum class MoeKernels { kGrouped, kPerExpert };

inline constexpr NameTable<Phase, 3> kPhaseNames{
    {{"prefill", Phase::kPrefill}, {"decode", Phase::kDecode}, {"generate", Phase::kGenerate}}};
inline constexpr NameTable<AttentionImpl, 2> kAttentionNames{
    {{"fused", AttentionImpl::kFused}, {"materialized", AttentionImpl::kMaterialized}}};
inline constexpr NameTable<FusionLevel, 2> kFusionNames{
    {{"none", FusionLevel::kNone}, {"elementwise", FusionLevel::kElementwise}}};
inline constexpr NameTable<DecodeAttention, 2> kDecodeAttentionNames{
    {{"grouped", DecodeAttention::kGrouped}, {"per_head", DecodeAttention::kPerHead}}};
inline constexpr NameTable<DecodeAttentionUnits, 2> kDecodeAttentionUnitsNames{
    {{"matrix", DecodeAttentionUnits::kMatrix}, {"vector", DecodeAttentionUnits::kVector}}};
inline constexpr NameTable<GatedActivation, 2> kGatedActivationNames{
    {{"fused", GatedActivation::kFused}, {"separate", GatedActivation::kSeparate}}};
inline constexpr NameTable<MoeKernels, 2> kMoeKernelsNames{
    {{"grouped", MoeKernels::kGrouped}, {"per_expert", MoeKernels::kPerExpert}}};

std::string_view phaseName(Phase p);
std::string_view attentionName(AttentionImpl a);
std::string_view fusionName(FusionLevel f);

struct ScenarioDTypes {
  TensorFormat weights;
  TensorFormat activations;
  TensorFormat kv;
  DType compute = DType::kBf16;  // the matrix units' input format (weights dequantize to it)
};

/// What `parallel: auto` optimizes: the run's time (TTFT, time per token or per request), the
/// tokens per second each chip delivers, or the number of chips.
enum class PlanObjective { kLatency, kThroughput, kChips };
inline constexpr NameTable<PlanObjective, 3> kPlanObjectiveNames{
    {{"latency", PlanObjective::kLatency},
     {"throughput", PlanObjective::kThroughput},
     {"chips", PlanObjective::kChips}}};
inline std::string_view objectiveName(PlanObjective o) {
  return nameOf(kPlanObjectiveNames, o);
}

/// Carried here; the mapping layer splits the graph by it.
struct ParallelPlan {
  std::uint32_t tp = 1;
  std::uint32_t pp = 1;
  std::uint32_t ep = 1;
  std::uint32_t dp = 1;
  std::uint32_t microbatches = 1;
  bool sequence_parallel = false;
  /// `parallel: auto` (or no `parallel` at all): the plan is searched (run/plan_search.h).
  bool automatic = false;
  /// What the search optimizes; unset: latency at batch 1, throughput per chip above.
  std::optional<PlanObjective> objective;
  std::uint64_t max_chips = 0;  // the search's limit (0: the system's chips)
  bool pp_auto = false;  // `pp: auto`: the fewest pipeline stages that hold the model at this tp
  /// Where the plan was written (the `parallel` value, or the scenario when absent): plan errors
  /// found against a system point here.
  Location location;

  std::uint64_t chips() const { return std::uint64_t{tp} * pp * dp; }
};

enum class WeightPlacement { kAuto, kResident, kStreamed };
enum class KvPlacement { kAuto, kOnChip, kOffChip };
inline constexpr NameTable<WeightPlacement, 3> kWeightPlacementNames{
    {{"auto", WeightPlacement::kAuto},
     {"resident", WeightPlacement::kResident},
     {"streamed", WeightPlacement::kStreamed}}};
inline constexpr NameTable<KvPlacement, 3> kKvPlacementNames{{{"auto", KvPlacement::kAuto},
                                                              {"on_chip", KvPlacement::kOnChip},
                                                              {"off_chip", KvPlacement::kOffChip}}};

/// Where tensors live; `auto` lets the mapping decide by capacity.
struct PlacementPolicy {
  WeightPlacement weights = WeightPlacement::kAuto;
  KvPlacement kv = KvPlacement::kAuto;
};

/// The software stack's own costs, separate from the chip's: a `kind: software` description
/// (configs/software/), named by the scenario's `software:` key. No `software:` is the ideal stack:
/// no host cost at all.
struct SoftwareSpec {
  std::string name = "ideal";
  std::string description;
  /// Host-side time per op before it can launch (eager framework dispatch and timing); 0 for
  /// compiled or graph-captured serving.
  std::uint64_t op_overhead_ps = 0;
  /// Host time per forward pass that the device waits for: the serving loop's scheduling, input
  /// preparation and sampling between one step's last kernel and the next step's first. One host
  /// thread per replica serves the passes of its microbatches in turn (exec/pipeline.h).
  std::uint64_t step_overhead_ps = 0;
  /// ... plus this much per sequence in the pass (per-request bookkeeping of the batch manager,
  /// detokenization and response handling grow with the batch).
  std::uint64_t step_overhead_per_sequence_ps = 0;
  /// Device memory the stack keeps from the model on each chip: the runtime's context (driver,
  /// loaded kernels), library workspaces and communication buffers. Off the main memory (HBM or
  /// DRAM) before weights, KV cache and activations are placed; the KV capacity follows.
  std::uint64_t memory_reserved_bytes = 0;
  /// The share of each chip's main memory the stack lets itself use (vLLM's
  /// gpu_memory_utilization); the reservation comes off that share.
  double memory_utilization = 1.0;
  /// The share of what weights, activations and the reservation leave of the main memory that
  /// the stack allocates as its KV pool (TensorRT-LLM's kv_cache_free_gpu_mem_fraction). It
  /// bounds the sequences the stack keeps at once: plan search and `batch: max` size for it; a
  /// given batch beyond it still runs, with a note in the placement decisions.
  double kv_cache_fraction = 1.0;
  DecodeAttention decode_attention = DecodeAttention::kGrouped;
  DecodeAttentionUnits decode_attention_units = DecodeAttentionUnits::kMatrix;
  /// With `fusion: elementwise`, whether the gated MLP's activation joins its GEMM's epilogue.
  GatedActivation gated_activation = GatedActivation::kFused;
  MoeKernels moe_kernels = MoeKernels::kGrouped;
  /// The most tokens the stack puts in one forward pass (TensorRT-LLM's max_num_tokens): its
  /// activation buffers are sized for that many, so a longer prefill runs in passes of at most
  /// this many tokens. archsim times a prefill as one pass (the same GEMM and attention work)
  /// and charges memory for the stack's buffers. 0: no bound.
  std::uint64_t max_tokens_per_pass = 0;
  /// The share of the chip's calibrated matrix rate (compute.matrix.achievable_fraction, fitted on
  /// library GEMM microbenchmarks) that the stack's kernels sustain in a serving run. Candidate
  /// causes, none measured apart: GEMM tactics picked once per engine for a range of token counts,
  /// fused epilogues, a board held at its power limit for minutes. Fitted per stack on the public
  /// suite (configs/calibration/software-overhead.yaml).
  double matrix_efficiency = 1.0;
  std::vector<std::pair<std::string, std::vector<std::string>>> sources;

  /// What of a main memory of `size_bytes` the model may use (0 when the stack keeps it all).
  std::uint64_t usableBytes(std::uint64_t size_bytes) const {
    const double share = static_cast<double>(size_bytes) * memory_utilization;
    const double usable = share - static_cast<double>(memory_reserved_bytes);
    return usable <= 0 ? 0 : static_cast<std::uint64_t>(usable);
  }
  /// What a KV cache of `kv_bytes` costs of that: kv_bytes / kv_cache_fraction, since the KV
  /// cache fits when it is at most its fraction of what the rest leaves.
  std::uint64_t kvCharge(std::uint64_t kv_bytes) const {
    return ceilToCount(static_cast<double>(kv_bytes) / kv_cache_fraction);
  }
};

struct ScenarioSpec {
  std::string name;
  std::string description;
  ModelSpec model;
  Phase phase = Phase::kDecode;
  std::uint64_t batch = 1;
  std::uint64_t prompt_tokens = 0;  // prefill, generate
  std::uint64_t output_tokens = 0;  // generate
  std::uint64_t kv_length = 0;      // decode
  /// Decode only, set by the serving engine (sim/serve), not read from scenario files: prefill
  /// chunks computed in the same forward pass as the batch's decode tokens (graph/shard.h). With
  /// chunks, `batch` may be 0 (a pass of prefill chunks alone).
  std::uint64_t chunk_sequences = 0;
  std::uint64_t chunk_tokens = 0;
  std::uint64_t chunk_prior_kv = 0;
  ScenarioDTypes dtypes;
  AttentionImpl attention = AttentionImpl::kFused;
  FusionLevel fusion = FusionLevel::kElementwise;
  ParallelPlan parallel;
  PlacementPolicy placement;
  SoftwareSpec software;
};

}  // namespace archsim::spec
