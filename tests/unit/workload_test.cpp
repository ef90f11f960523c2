// Transformer graphs against closed forms: parameter counts, decode FLOPs, KV bytes, quantized
// weight bytes, fusion, attention implementations, and sums over generation steps.
#include "sim/graph/workload.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/graph/microbench.h"
#include "sim/graph/summary.h"
#include "sim/map/placement.h"
#include "support.h"

using namespace archsim;
using namespace archsim::graph;
using archsim::test::presetCatalog;

namespace {

spec::ScenarioSpec scenario(const std::string& ref, const std::vector<std::string>& sets = {}) {
  return spec::loadScenario(presetCatalog(), ref, sets).spec;
}

/// A scenario file's model replaced: any model preset or path, decode at `kv`.
spec::ScenarioSpec decodeOf(const std::string& model, std::uint64_t kv, std::uint64_t batch = 1,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> sets{"model=" + model, "kv_length=" + std::to_string(kv),
                                "batch=" + std::to_string(batch)};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return scenario("llama2-7b-decode", sets);
}

std::uint64_t matrixFlops(const Graph& g, std::uint64_t kv) {
  std::uint64_t total = 0;
  for (const Op& op : g.ops())
    total += op.matrix_flops.at(g.effectiveKv(kv));
  return total;
}

/// Elements of the weight matrices a decode step multiplies by (closed form from the model).
std::uint64_t matmulWeights(const spec::ModelSpec& m) {
  const std::uint64_t h = m.hidden;
  const std::uint64_t attn = h * (m.qDim() + 2 * m.kvDim()) + m.qDim() * h;
  const std::uint64_t per_expert = (m.gatedMlp() ? 3 : 2) * h * m.ffn;
  const std::uint64_t mlp = m.moe ? h * m.moe->experts + m.moe->top_k * per_expert : per_expert;
  return m.layers * (attn + mlp) + h * m.vocab;  // + the LM head (the embedding table when tied)
}

}  // namespace

TEST_CASE("Parameter counts match the published figures within 0.5%") {
  struct Case {
    const char* model;
    double published;
  };
  for (const Case& c :
       {Case{"llama2-7b", 6.74e9}, Case{"llama2-13b", 13.0e9}, Case{"llama2-70b", 69.0e9},
        Case{"llama3-8b", 8.03e9}, Case{"llama3-70b", 70.6e9}, Case{"mixtral-8x7b", 46.7e9},
        Case{"gpt2", 124e6}, Case{"gpt3-175b", 175e9}, Case{"gpt-j-6b", 6.05e9},
        Case{"opt-13b", 12.85e9}, Case{"llama3.1-405b", 405.9e9}}) {
    CAPTURE(std::string(c.model));
    const Workload w(decodeOf(c.model, 16));
    CHECK(static_cast<double>(summarize(w).params) == doctest::Approx(c.published).epsilon(0.005));
  }
  const Workload bert(scenario("bert-large-prefill"));
  CHECK(static_cast<double>(summarize(bert).params) == doctest::Approx(335e6).epsilon(0.005));
  // Exact counts, as the Hugging Face implementations report them.
  CHECK(summarize(Workload(decodeOf("llama2-7b", 16))).params == 6'738'415'616ULL);
  CHECK(summarize(Workload(decodeOf("gpt2", 16))).params == 124'439'808ULL);
  CHECK(summarize(bert).params == 335'141'888ULL);
  const WorkloadSummary mixtral = summarize(Workload(decodeOf("mixtral-8x7b", 16)));
  CHECK(static_cast<double>(mixtral.active_params) == doctest::Approx(12.9e9).epsilon(0.005));
}

TEST_CASE(
    "Decode FLOPs per token = 2 x matmul parameters + 4 x layers x context x heads x head_dim, "
    "exactly") {
  for (const char* model :
       {"llama2-7b", "llama2-70b", "mixtral-8x7b", "gpt2", "gpt-j-6b", "opt-13b"}) {
    CAPTURE(std::string(model));
    const std::uint64_t ctx = 2048;
    const Workload w(decodeOf(model, ctx));
    const spec::ModelSpec& m = w.model();
    const std::uint64_t expected = 2 * matmulWeights(m) + 4 * m.layers * ctx * m.heads * m.head_dim;
    CHECK(matrixFlops(*w.decodeGraph(), ctx) == expected);
    CHECK(summarize(w).total.matrix_flops == expected);
  }
}

TEST_CASE(
    "KV bytes per token = 2 x layers x kv_heads x head_dim x bytes(KV dtype): 320 KiB for "
    "llama2-70b") {
  const Workload w(scenario("llama2-70b-decode"));
  const WorkloadSummary s = summarize(w);
  CHECK(s.kv_bytes_per_token == 327'680);
  CHECK(s.kv_bytes == 327'680ULL * 2048);
  // The decode graph's caches grow by exactly that per token.
  std::uint64_t per_token = 0;
  for (const Tensor& t : w.decodeGraph()->tensors()) {
    if (t.role == TensorRole::kKv) per_token += t.bytes.per_kv;
  }
  CHECK(per_token == 327'680);
  CHECK(
      summarize(Workload(decodeOf("llama2-70b", 2048, 1, {"dtypes.kv=fp8"}))).kv_bytes_per_token ==
      163'840);
}

TEST_CASE("int4 weights are half the int8 bytes plus the block scales") {
  const WorkloadSummary int8 =
      summarize(Workload(decodeOf("llama2-7b", 16, 1, {"dtypes.weights=int8"})));
  const WorkloadSummary int4 = summarize(Workload(decodeOf(
      "llama2-7b", 16, 1, {"dtypes.weights={dtype: int4, group_size: 128, scale: fp16}"})));
  // Matrices are quantized; norm weights stay in the activation format (bf16) in both.
  const Workload w(decodeOf("llama2-7b", 16));
  std::uint64_t matrix_elements = 0;
  std::uint64_t vector_bytes = 0;
  for (const Tensor& t : w.decodeGraph()->tensors()) {
    if (t.role != TensorRole::kWeight) continue;
    if (t.shape.size() == 2) {
      matrix_elements += t.elements.fixed;
    } else {
      vector_bytes += t.bytes.fixed;
    }
  }
  CHECK(int8.weight_bytes == matrix_elements + vector_bytes);
  CHECK(int4.weight_bytes == matrix_elements / 2 + matrix_elements / 128 * 2 + vector_bytes);
}

TEST_CASE("Batch raises weight-matmul intensity ~linearly: about 64x from batch 1 to 64") {
  const WorkloadSummary b1 = summarize(Workload(scenario("llama2-70b-decode")));
  const WorkloadSummary b64 = summarize(Workload(scenario("llama2-70b-decode", {"batch=64"})));
  CHECK(b1.weight_matmuls.intensity() == doctest::Approx(1.0).epsilon(0.01));
  const double ratio = b64.weight_matmuls.intensity() / b1.weight_matmuls.intensity();
  CHECK(ratio > 60.0);
  CHECK(ratio <= 64.0);
  CHECK(b1.total.intensity() == doctest::Approx(1.0).epsilon(0.05));
}

TEST_CASE(
    "A decode graph is built once; KV length only moves attention, by 4 x layers x dL x heads x "
    "head_dim") {
  const Workload w(decodeOf("llama2-70b", 2048));
  const spec::ModelSpec& m = w.model();
  const Graph& g = *w.decodeGraph();
  CHECK(matrixFlops(g, 3000) - matrixFlops(g, 2000) == 4 * m.layers * 1000 * m.heads * m.head_dim);
}

TEST_CASE("Sliding window caps the attended span and the cache") {
  const std::string mistral = (test::sourceDir() / "tests/data/hf/mistral-7b.config.json").string();
  const Workload at4k(decodeOf(mistral, 4096));
  const Workload at8k(decodeOf(mistral, 8192));
  CHECK(matrixFlops(*at4k.decodeGraph(), 4096) == matrixFlops(*at8k.decodeGraph(), 8192));
  CHECK(summarize(at8k).kv_tokens == 4096);
}

TEST_CASE(
    "Generation totals are the exact sum over prefill and every decode step, window included") {
  const std::string mistral = (test::sourceDir() / "tests/data/hf/mistral-7b.config.json").string();
  const auto s = scenario("llama3-8b-generate",
                          {"model=" + mistral, "prompt_tokens=4000", "output_tokens=200"});
  const Workload w(s);
  REQUIRE(w.runs().size() == 2);
  CHECK(w.runs()[1].kv_first == 4001);
  CHECK(w.runs()[1].kv_last == 4199);  // 1 token from prefill + 199 decode steps
  std::uint64_t explicit_sum = matrixFlops(*w.prefillGraph(), 4000);
  for (std::uint64_t L = 4001; L <= 4199; ++L)
    explicit_sum += matrixFlops(*w.decodeGraph(), L);
  const WorkloadSummary sum = summarize(w);
  CHECK(sum.total.matrix_flops == explicit_sum);
  CHECK(sum.output_tokens == 200);
  CHECK(sum.steps == 200);
}

TEST_CASE("Prefill attention counts causal (query, key) pairs: S(S+1)/2 per head") {
  const Workload w(scenario("llama2-7b-prefill", {"fusion=none"}));
  const spec::ModelSpec& m = w.model();
  const std::uint64_t S = 2048;
  std::uint64_t attention = 0;
  for (const Op& op : w.prefillGraph()->ops()) {
    if (op.kind == OpKind::kAttention) attention += op.matrix_flops.fixed;
  }
  CHECK(attention == m.layers * 4 * m.heads * m.head_dim * (S * (S + 1) / 2));
}

TEST_CASE("Elementwise fusion keeps FLOPs, removes ops and the intermediates' traffic") {
  const WorkloadSummary fused = summarize(Workload(scenario("llama2-7b-decode")));
  const WorkloadSummary plain = summarize(Workload(scenario("llama2-7b-decode", {"fusion=none"})));
  CHECK(fused.total.matrix_flops == plain.total.matrix_flops);
  CHECK(fused.total.vector_flops == plain.total.vector_flops);
  CHECK(fused.total.ops < plain.total.ops);
  CHECK(fused.total.bytes < plain.total.bytes);
  CHECK(fused.by_kind.count(OpKind::kRope) == 0);
  CHECK(plain.by_kind.at(OpKind::kRope).ops == 32);
  // Weight and KV traffic is the same; only activations shrink.
  CHECK(fused.bytes_by_role.at(TensorRole::kWeight) == plain.bytes_by_role.at(TensorRole::kWeight));
  CHECK(fused.bytes_by_role.at(TensorRole::kActivation) <
        plain.bytes_by_role.at(TensorRole::kActivation));
}

TEST_CASE("A stack that runs the gated activation on its own reads the gate/up output back") {
  // Llama-2-7B decode at batch 64 in bf16: with the activation in the gate/up GEMM's epilogue the
  // GEMM writes only SiLU(gate) x up ([64, 11008]); run separately, the GEMM writes [64, 2 x 11008]
  // and the activation kernel reads all of it back: 4 x 11008 x 64 x 2 B more per layer.
  const std::vector<std::string> batch{"batch=64"};
  std::vector<std::string> separate_sets = batch;
  separate_sets.push_back("software.gated_activation=separate");
  const Workload fused_w(scenario("llama2-7b-decode", batch));
  const Workload separate_w(scenario("llama2-7b-decode", separate_sets));
  const WorkloadSummary fused = summarize(fused_w);
  const WorkloadSummary separate = summarize(separate_w);
  CHECK(fused.by_kind.count(OpKind::kActivation) == 0);
  CHECK(separate.by_kind.at(OpKind::kActivation).ops == 32);
  CHECK(separate.total.ops == fused.total.ops + 32);
  CHECK(separate.total.matrix_flops == fused.total.matrix_flops);
  CHECK(separate.total.vector_flops == fused.total.vector_flops);
  const std::uint64_t per_layer = 4ull * 11008 * 64 * 2;
  CHECK(separate.bytes_by_role.at(TensorRole::kActivation) ==
        fused.bytes_by_role.at(TensorRole::kActivation) + 32 * per_layer);
  CHECK(separate.bytes_by_role.at(TensorRole::kWeight) ==
        fused.bytes_by_role.at(TensorRole::kWeight));
  // The other elementwise ops still fuse (no RoPE or residual-add kernels), and a model without a
  // gated MLP (GELU) has no choice to make.
  CHECK(separate.by_kind.count(OpKind::kRope) == 0);
  CHECK(separate.by_kind.count(OpKind::kElementwise) == 0);
  std::vector<std::string> gelu = separate_sets;
  gelu.push_back("model=gpt2");
  CHECK(
      summarize(Workload(scenario("llama2-7b-decode", gelu))).by_kind.count(OpKind::kActivation) ==
      0);
}

TEST_CASE(
    "Activation memory is the peak live in program order; a token budget bounds a prefill's") {
  // One GEMM C[m, n] = A[m, k] B[k, n]: A and C are live together while it runs, and nothing else.
  const spec::ScenarioSpec s = scenario("llama2-7b-prefill");
  const Workload gemm(wholeModel(s), gemmGraph(64, 128, 256, s.dtypes.weights));
  std::uint64_t a_and_c = 0;
  for (const Tensor& t : gemm.runs().front().graph->tensors()) {
    if (t.role == TensorRole::kActivation) a_and_c += t.bytes.at(0);
  }
  CHECK(a_and_c == (64 * 256 + 64 * 128) * 2);            // bf16
  CHECK(map::measure(gemm).activation_bytes == a_and_c);  // a multiple of the 4 KiB alignment

  // Llama-2-7B prefill of 4 x 2048 tokens: a stack that takes 2048 tokens a pass holds a quarter
  // of the whole prefill's activations (to the 4 KiB alignment); one that takes more holds it all.
  const std::uint64_t whole =
      map::measure(Workload(scenario("llama2-7b-prefill", {"batch=4"}))).activation_bytes;
  const std::uint64_t budget =
      map::measure(
          Workload(scenario("llama2-7b-prefill", {"batch=4", "software.max_tokens_per_pass=2048"})))
          .activation_bytes;
  CHECK(budget >= whole / 4 - 4096);
  CHECK(budget <= whole / 4 + 4096);
  CHECK(map::measure(Workload(scenario("llama2-7b-prefill",
                                       {"batch=4", "software.max_tokens_per_pass=8192"})))
            .activation_bytes == whole);
}

TEST_CASE("Materialized attention writes and reads the score matrix; fused attention does not") {
  const WorkloadSummary fused = summarize(Workload(scenario("llama2-7b-prefill")));
  const WorkloadSummary mat =
      summarize(Workload(scenario("llama2-7b-prefill", {"attention=materialized"})));
  const spec::ModelSpec m = scenario("llama2-7b-prefill").model;
  const std::uint64_t S = 2048;
  const std::uint64_t score_bytes = m.heads * S * S * 2;  // bf16, batch 1, per layer
  // scores written + read, probs written + read, per layer
  CHECK(mat.bytes_by_role.at(TensorRole::kActivation) -
            fused.bytes_by_role.at(TensorRole::kActivation) ==
        m.layers * 4 * score_bytes);
  CHECK(mat.by_kind.count(OpKind::kSoftmax) == 1);
  CHECK(mat.total.matrix_flops > fused.total.matrix_flops);  // the masked half is computed too
}

TEST_CASE(
    "A graph built from a Hugging Face config.json equals the one built from the matching preset") {
  struct Case {
    const char* preset;
    const char* json;
    const char* scenario;
  };
  for (const Case& c :
       {Case{"llama2-7b", "llama2-7b", "llama2-7b-decode"},
        Case{"llama2-70b", "llama2-70b", "llama2-70b-decode"},
        Case{"mixtral-8x7b", "mixtral-8x7b", "mixtral-8x7b-decode"},
        Case{"gpt2", "gpt2", "gpt2-decode"}, Case{"gpt-j-6b", "gpt-j-6b", "llama2-7b-decode"},
        Case{"opt-13b", "opt-13b", "llama2-7b-decode"},
        Case{"bert-large", "bert-large", "bert-large-prefill"}}) {
    CAPTURE(std::string(c.preset));
    const std::string json =
        (test::sourceDir() / "tests/data/hf" / (std::string(c.json) + ".config.json")).string();
    const Workload from_preset(scenario(c.scenario, {std::string("model=") + c.preset}));
    const Workload from_json(scenario(c.scenario, {"model=" + json}));
    auto a = summaryJson(from_preset, summarize(from_preset));
    auto b = summaryJson(from_json, summarize(from_json));
    a.erase("model");
    b.erase("model");
    CHECK(a.dump() == b.dump());
    const Graph& ga = *from_preset.runs().back().graph;
    const Graph& gb = *from_json.runs().back().graph;
    REQUIRE(ga.ops().size() == gb.ops().size());
    for (std::size_t i = 0; i < ga.ops().size(); ++i) {
      CHECK(ga.ops()[i].name == gb.ops()[i].name);
      CHECK(ga.ops()[i].matrix_flops == gb.ops()[i].matrix_flops);
      CHECK(ga.ops()[i].bytesRead() == gb.ops()[i].bytesRead());
    }
  }
}

TEST_CASE("Graphs are deterministic, acyclic and topologically ordered") {
  const Workload a(scenario("mixtral-8x7b-decode", {"batch=5"}));
  const Workload b(scenario("mixtral-8x7b-decode", {"batch=5"}));
  CHECK(summaryJson(a, summarize(a)).dump() == summaryJson(b, summarize(b)).dump());
  const Graph& g = *a.decodeGraph();
  std::vector<std::size_t> position(g.ops().size());
  for (std::size_t i = 0; i < g.topologicalOrder().size(); ++i)
    position[g.topologicalOrder()[i]] = i;
  for (auto [it, end] = boost::edges(g.dag()); it != end; ++it) {
    CHECK(position[boost::source(*it, g.dag())] < position[boost::target(*it, g.dag())]);
  }
  // Balanced routing: 5 tokens x top-2 over 8 experts -> 10 assignments: experts 0,1 get 2, the
  // rest 1.
  CHECK(balancedExpertTokens(5, 2, 8, 0) == 2);
  CHECK(balancedExpertTokens(5, 2, 8, 1) == 2);
  CHECK(balancedExpertTokens(5, 2, 8, 7) == 1);
  // Every expert's weights exist even when no token reaches it.
  const Workload one(scenario("mixtral-8x7b-decode"));
  std::uint64_t expert_up = 0;
  for (const Tensor& t : one.decodeGraph()->tensors())
    expert_up += t.layer == 0 && t.name.find("w_gate_up") != std::string::npos;
  CHECK(expert_up == 8);
}

TEST_CASE("An encoder runs one prefill pass: no KV cache, no output tokens, a pooler") {
  const Workload w(scenario("bert-large-prefill"));
  const WorkloadSummary s = summarize(w);
  CHECK(w.decodeGraph() == nullptr);
  CHECK(s.kv_bytes_per_token == 0);
  CHECK(s.output_tokens == 0);
  CHECK(s.bytes_by_role.count(TensorRole::kKv) == 0);
  // Bidirectional attention: S x S pairs per head.
  const spec::ModelSpec& m = w.model();
  std::uint64_t attention = 0;
  for (const Op& op : w.prefillGraph()->ops()) {
    if (op.kind == OpKind::kAttention) attention += op.matrix_flops.fixed;
  }
  CHECK(attention == m.layers * 4 * 8 * m.heads * m.head_dim * 512 * 512);
}
