// The software stack's host costs (spec::SoftwareSpec): the host thread of the pipeline
// composition, the step time it adds, and a breakdown whose bounds add up to the step time; and
// the device memory it keeps (reservation, utilization, KV pool).
#include <algorithm>
#include <numeric>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/exec/pipeline.h"
#include "sim/map/parallel.h"
#include "sim/map/placement.h"
#include "sim/map/stage.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

run::SystemRun runOn(const std::string& system, const std::string& scenario,
                     const std::vector<std::string>& sets, bool exact = false) {
  const spec::Catalog catalog = presetCatalog();
  return run::SystemRun(spec::loadSystem(catalog, system).spec,
                        spec::loadScenario(catalog, scenario, sets).spec, nullptr,
                        run::RunOptions{exact});
}

double boundSum(const run::SystemRun& run) {
  double sum = 0;
  for (const auto& [bound, s] : run.timeByBound())
    sum += s;
  return sum;
}

double boundOf(const run::SystemRun& run, const std::string& name) {
  for (const auto& [bound, s] : run.timeByBound())
    if (bound == name) return s;
  return 0;
}

}  // namespace

TEST_CASE("Host step overhead: one stage and microbatch take n (h + t); microbatches overlap it") {
  const spec::SystemSpec ring = ringSystem(2);  // the pipeline uses chip 0 only
  constexpr Tick t = 1'000'000'000;             // 1 ms a step on the device
  constexpr std::uint64_t n = 5;                // steps
  for (const Tick h : {Tick{0}, Tick{300'000'000}, Tick{2'500'000'000}}) {
    CAPTURE(h);
    exec::PipelineInput in;
    in.stage_steps = {std::vector<Tick>(n, t)};
    in.stage_chips = {{0}};
    in.boundary_bytes.assign(n, 0);
    in.host_step = h;
    const exec::PipelineResult one = exec::runPipeline(ring, in);
    CHECK(one.end == n * (h + t));
    CHECK(one.host_busy == n * h);
    // Two microbatches: the host prepares one while the device runs the other. The device is
    // the bottleneck when h <= t (it idles only for the first host pass), the host when h > t
    // (the device runs only after the last one).
    in.microbatches = 2;
    const exec::PipelineResult two = exec::runPipeline(ring, in);
    CHECK(two.end == (h <= t ? h + 2 * n * t : 2 * n * h + t));
    CHECK(two.host_busy == 2 * n * h);
  }
}

TEST_CASE("A software stack's step overhead adds exactly h + sequences x per-sequence to a step") {
  const run::SystemRun ideal = runOn("h100-sxm5", "llama2-7b-decode", {"batch=4"});
  const run::SystemRun fixed =
      runOn("h100-sxm5", "llama2-7b-decode", {"batch=4", "software.step_overhead=250us"});
  const run::SystemRun per_seq = runOn(
      "h100-sxm5", "llama2-7b-decode",
      {"batch=4", "software.step_overhead=250us", "software.step_overhead_per_sequence=10us"});
  const double t = *ideal.metrics().tpot_s;
  CHECK(*fixed.metrics().tpot_s - t == doctest::Approx(250e-6).epsilon(1e-9));
  CHECK(*per_seq.metrics().tpot_s - t == doctest::Approx(290e-6).epsilon(1e-9));
  CHECK(boundOf(per_seq, "overhead") == doctest::Approx(290e-6).epsilon(1e-12));
  CHECK(boundOf(ideal, "overhead") == 0);

  // A preset stack by name, and the swap on the command line.
  const run::SystemRun vllm = runOn("h100-sxm5", "llama2-7b-decode", {"software=vllm"});
  const spec::ScenarioSpec s =
      spec::loadScenario(presetCatalog(), "llama2-7b-decode", {"software=vllm"}).spec;
  CHECK(s.software.name == "vllm");
  CHECK(s.software.step_overhead_ps > 0);
  // Against the ideal stack with vLLM's separate activation kernel, the difference is the step.
  const run::SystemRun separate =
      runOn("h100-sxm5", "llama2-7b-decode", {"software.gated_activation=separate"});
  CHECK(*vllm.metrics().tpot_s - *separate.metrics().tpot_s ==
        doctest::Approx(ticksToSeconds(s.software.step_overhead_ps)).epsilon(1e-9));
  // vLLM's 2024 engine is vLLM plus 210 us of host work per sequence: batch 4 pays 4 x 210 us more.
  const run::SystemRun v4 = runOn("h100-sxm5", "llama2-7b-decode", {"batch=4", "software=vllm"});
  const run::SystemRun v06 =
      runOn("h100-sxm5", "llama2-7b-decode", {"batch=4", "software=vllm-0.6"});
  CHECK(s.software.step_overhead_per_sequence_ps == 0);
  CHECK(*v06.metrics().tpot_s - *v4.metrics().tpot_s == doctest::Approx(840e-6).epsilon(1e-9));

  // A generation pays it once per step: the prefill pass and every decode step.
  const std::vector<std::string> gen = {"output_tokens=8"};
  std::vector<std::string> gen_sw = gen;
  gen_sw.push_back("software.step_overhead=1ms");
  const run::SystemRun g0 = runOn("h100-sxm5", "llama3-8b-generate", gen);
  const run::SystemRun g1 = runOn("h100-sxm5", "llama3-8b-generate", gen_sw);
  CHECK(g1.metrics().e2e_s - g0.metrics().e2e_s == doctest::Approx(8e-3).epsilon(1e-9));
  CHECK(*g1.metrics().ttft_s - *g0.metrics().ttft_s == doctest::Approx(1e-3).epsilon(1e-9));
}

TEST_CASE("A stack's matrix_efficiency slows compute-bound work and leaves memory-bound work") {
  // Direction: a 4096-token prefill on an H100 is bound by its GEMMs, so half the matrix rate
  // costs it most of a factor 2 (at most exactly 2: only matrix work stretches); a batch-1 decode
  // step is bound by streaming the weights and barely moves.
  const std::vector<std::string> prefill = {"prompt_tokens=4096"};
  std::vector<std::string> prefill_half = prefill;
  prefill_half.push_back("software.matrix_efficiency=0.5");
  const double p1 = *runOn("h100-sxm5", "llama2-7b-prefill", prefill).metrics().ttft_s;
  const double p2 = *runOn("h100-sxm5", "llama2-7b-prefill", prefill_half).metrics().ttft_s;
  CHECK(p2 / p1 > 1.6);
  CHECK(p2 / p1 <= 2.0 + 1e-9);
  const double d1 = *runOn("h100-sxm5", "llama2-7b-decode", {}).metrics().tpot_s;
  const double d2 =
      *runOn("h100-sxm5", "llama2-7b-decode", {"software.matrix_efficiency=0.5"}).metrics().tpot_s;
  CHECK(d2 >= d1);
  CHECK(d2 / d1 < 1.02);
}

TEST_CASE("The breakdown's bounds add up to the step time on every kernel-style chip preset") {
  // One chip, one stage, one microbatch: a step is its ops back to back, each after its launch
  // gap, after the host's step overhead. (Dataflow chips overlap their ops: there the op times
  // add up to more than the step.)
  const spec::Catalog catalog = presetCatalog();
  int checked = 0;
  for (const std::string& chip : catalog.presetNames(spec::DocKind::kChip)) {
    CAPTURE(chip);
    const spec::SystemSpec system = spec::loadSystem(catalog, chip).spec;
    if (system.chip.execution.style != spec::ExecutionStyle::kKernel) continue;
    const spec::ScenarioSpec scenario =
        spec::loadScenario(catalog, "tiny-llama-decode", {"software=tensorrt-llm"}).spec;
    const run::SystemRun run(system, scenario);
    const double tpot = *run.metrics().tpot_s;
    MESSAGE(fmt::format("{}: tpot {:.3f} us, bounds {:.3f} us, launch {:.3f} us", chip, tpot * 1e6,
                        boundSum(run) * 1e6, boundOf(run, "launch") * 1e6));
    CHECK(boundSum(run) == doctest::Approx(tpot).epsilon(1e-9));
    CHECK(boundOf(run, "launch") > 0);
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE(
    "The host dispatches a pass's ops ahead of the device: the step is the longer, to the tick") {
  // Decode on an H100 (launch latency L = 4 us), no step overhead. The host dispatches op i at
  // (i + 1) h; it starts at max(end of op i - 1, (i + 1) h) + L. With h = 1 ns, shorter than any
  // launch gap, the device never waits after the first op: the step is 1 ns longer. With h = 1 ms,
  // far longer than any op, every op waits for its dispatch: n h + L + the last op's time. The
  // breakdown still adds up, the waits in its launch bound. Tiny-Llama, and Llama-2-7B, whose 32
  // equal layers are simulated once and replayed (and, exact, all simulated).
  for (const std::string scenario : {"tiny-llama-decode", "llama2-7b-decode"}) {
    for (const bool exact : {false, true}) {
      CAPTURE(scenario);
      CAPTURE(exact);
      auto run = [&](const std::string& h) {
        return runOn("h100-sxm5", scenario, {"software=ideal", "software.op_overhead=" + h}, exact);
      };
      const run::SystemRun base = run("0 s");
      const std::vector<exec::OpRecord>& ops = base.chip(0).result().ops;
      const auto n = static_cast<double>(ops.size());
      const double last = ticksToSeconds(ops.back().busy);
      CHECK(*run("1 ns").metrics().tpot_s ==
            doctest::Approx(*base.metrics().tpot_s + 1e-9).epsilon(1e-12));
      const run::SystemRun slow = run("1 ms");
      CHECK(*slow.metrics().tpot_s == doctest::Approx(n * 1e-3 + 4e-6 + last).epsilon(1e-12));
      CHECK(boundSum(slow) == doctest::Approx(*slow.metrics().tpot_s).epsilon(1e-9));
      // The gaps are the step less the ops' own times, which are no longer than the base step.
      CHECK(boundOf(slow, "launch") >= n * 1e-3 - *base.metrics().tpot_s);
    }
  }
}

TEST_CASE("A grouped MoE kernel launches a layer's expert ops of a kind once, and nothing else") {
  // Mixtral-8x7B decode at batch 8 on one MI300X: 16 token slots over 8 experts, so every expert
  // runs its gate/up, activation and down in each of the 32 layers. Grouped (vLLM's fused_moe),
  // each kind launches once a layer: 7 x 3 launch gaps of 6 us fewer a layer, 32 x 21 x 6 us =
  // 4.032 ms a step in all, exactly; the ops themselves take the same time, and the breakdown
  // still adds up to the step.
  const std::vector<std::string> grouped = {"software=vllm", "batch=8"};
  std::vector<std::string> per_expert = grouped;
  per_expert.push_back("software.moe_kernels=per_expert");
  const run::SystemRun g = runOn("mi300x", "mixtral-8x7b-decode", grouped);
  const run::SystemRun e = runOn("mi300x", "mixtral-8x7b-decode", per_expert);
  CHECK(*e.metrics().tpot_s - *g.metrics().tpot_s == doctest::Approx(32 * 21 * 6e-6).epsilon(1e-9));
  CHECK(boundOf(e, "launch") - boundOf(g, "launch") ==
        doctest::Approx(32 * 21 * 6e-6).epsilon(1e-9));
  CHECK(boundSum(g) == doctest::Approx(*g.metrics().tpot_s).epsilon(1e-9));
  CHECK(boundSum(e) == doctest::Approx(*e.metrics().tpot_s).epsilon(1e-9));
  // A dense model has no expert ops: nothing changes.
  const double d1 = *runOn("h100-sxm5", "llama2-7b-decode", {"software=vllm"}).metrics().tpot_s;
  const double d2 =
      *runOn("h100-sxm5", "llama2-7b-decode", {"software=vllm", "software.moe_kernels=per_expert"})
           .metrics()
           .tpot_s;
  CHECK(d1 == d2);
}

TEST_CASE("Main memory as the software stack leaves it: size x utilization - reservation") {
  spec::SoftwareSpec sw;
  CHECK(sw.usableBytes(1000) == 1000);
  sw.memory_reserved_bytes = 100;
  CHECK(sw.usableBytes(1000) == 900);
  sw.memory_utilization = 0.5;
  CHECK(sw.usableBytes(1000) == 400);
  sw.memory_reserved_bytes = 600;
  CHECK(sw.usableBytes(1000) == 0);  // the stack keeps it all
  sw.kv_cache_fraction = 0.8;
  CHECK(sw.kvCharge(800) == 1000);  // 800 B of KV fit when the rest leaves 1000
  CHECK(sw.kvCharge(0) == 0);

  // On a chip: the placement fits exactly when the reservation leaves what the model needs.
  const spec::Catalog catalog = presetCatalog();
  const spec::SystemSpec h100 = spec::loadSystem(catalog, "h100-sxm5").spec;
  const spec::ScenarioSpec s = spec::loadScenario(catalog, "llama2-7b-decode", {"batch=8"}).spec;
  const map::StageShape shape = map::oneChipStage(s);
  const std::size_t hbm = *h100.chip.mainMemoryIndex();
  const std::uint64_t size = h100.chip.memory[hbm].size_bytes;
  CHECK(size == 81559ULL * 1024 * 1024);  // what an H100 reports, not 80e9 B
  const graph::Workload workload(shape.shard);
  const std::uint64_t need = map::place(h100.chip, workload).bytesPerLevel()[hbm];
  spec::SoftwareSpec tight;
  tight.name = "tight";
  tight.memory_reserved_bytes = size - need;
  const map::Placement fits = map::place(h100.chip, workload, {}, tight);
  CHECK(fits.bytesPerLevel()[hbm] == need);
  tight.memory_reserved_bytes += 1;
  try {
    map::place(h100.chip, workload, {}, tight);
    FAIL("one byte more reserved must not fit");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().message.find("software stack 'tight' leaves") !=
          std::string::npos);
  }
  // A KV pool smaller than the KV cache is noted, not an error (a serving stack would queue).
  spec::SoftwareSpec pool;
  pool.name = "pool";
  pool.kv_cache_fraction = 0.01;
  const std::vector<std::string> notes = map::place(h100.chip, workload, {}, pool).decisions();
  CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& d) {
    return d.find("pool software 'pool' would allocate") != std::string::npos;
  }));
  // Plan search and batch sizing see the same capacity: fit's level holds what is usable.
  spec::ScenarioSpec reserved = s;
  reserved.software.memory_reserved_bytes = 1ULL << 30;
  CHECK(map::fit(h100.chip, reserved, std::nullopt, 1, 1).level_bytes == size - (1ULL << 30));
}

TEST_CASE(
    "A per-head decode attention kernel reads each KV head once per query head of its group") {
  // tiny-llama with 2 KV heads for its 6 query heads (groups of 3), batch 4, a 128-token cache:
  // one KV split either way. The grouped kernel reads each (sequence, KV head)'s K and V once for
  // the group; the per-head one reads them once per query head, in 3x the tiles, with the same
  // MACs. The query rows are read once either way: 4 x 6 x 64 x 2 B = 3072 B per layer.
  const std::vector<std::string> sets = {"model.kv_heads=2", "batch=4", "kv_length=128"};
  auto attention = [&](const std::string& kernel) {
    std::vector<std::string> s = sets;
    s.push_back("software.decode_attention=" + kernel);
    const run::SystemRun run = runOn("h100-sxm5", "tiny-llama-decode", s);
    std::uint64_t read = 0, tiles = 0, ops = 0;
    for (const exec::OpRecord& op : run.result().ops) {
      if (op.kind != graph::OpKind::kAttention) continue;
      ++ops;
      tiles += op.counters.tiles;
      for (const exec::LevelTraffic& t : op.counters.level)
        read += t.read;
    }
    return std::array<std::uint64_t, 3>{read, tiles, ops};
  };
  const auto grouped = attention("grouped");
  const auto per_head = attention("per_head");
  REQUIRE(grouped[2] == 6);  // one attention op per layer
  const std::uint64_t query = 6 * 3072;
  const std::uint64_t kv = grouped[0] - query;
  CHECK(kv ==
        6 * 4 * 2 * 128 * 64 * 2 * 2);  // layers x sequences x KV heads x tokens x dim x B x K,V
  CHECK(per_head[0] == query + 3 * kv);
  CHECK(per_head[1] == 3 * grouped[1]);
}

TEST_CASE(
    "A CUDA-core decode attention kernel: fp32 FMAs and a conversion of every KV element it "
    "reads, in the conversion pipe, exactly") {
  // tiny-llama (6 query heads of dim 64 in 2 groups of 3), batch 4, a 128-token bf16 cache, per
  // head on the vector units (TensorRT-LLM's masked MHA): 4 x 2 x 3 = 24 tiles a layer, one KV
  // split. Each tile converts its K and V rows once, 2 x 128 x 64 = 16,384 elements, at the H100's
  // 16 conversions a cycle a unit; its FMAs (2 x 128 x 64 MACs, 2 FLOP each, plus its share of
  // the softmax) at the fp32 rate take far less, so each tile holds its unit for exactly
  // ceil(16,384 / conversions a tick) ps, and no matrix unit works.
  const std::vector<std::string> sets = {"model.kv_heads=2", "batch=4", "kv_length=128",
                                         "software.decode_attention=per_head",
                                         "software.decode_attention_units=vector"};
  const spec::Catalog catalog = presetCatalog();
  const spec::SystemSpec h100 = spec::loadSystem(catalog, "h100-sxm5").spec;
  const run::SystemRun run(h100, spec::loadScenario(catalog, "tiny-llama-decode", sets).spec);
  const spec::ComputeSpec& v = h100.chip.vector;
  REQUIRE(v.conversions_per_cycle == 16);
  const double per_tick =
      v.conversions_per_cycle * h100.chip.clock_hz * v.achievable_fraction / kTicksPerSecond;
  const Tick tile = ceilTicks(16384 / per_tick);
  const double fp32_per_tick =
      *v.peak(spec::DType::kFp32) * v.achievable_fraction / v.units / kTicksPerSecond;
  CHECK(static_cast<double>(tile) > 2.0 * (2 * 2 * 128 * 64) / fp32_per_tick);  // FMAs hidden
  int layers = 0;
  for (const exec::OpRecord& op : run.result().ops) {
    if (op.kind != graph::OpKind::kAttention) continue;
    ++layers;
    CHECK(op.counters.tiles == 24);
    CHECK(op.counters.matrix_busy_ps == 0);
    CHECK(op.counters.vector_busy_ps == 24 * tile);
    CHECK(op.last_end - op.first_start >= tile);  // 24 tiles on 132 units: one wave
  }
  CHECK(layers == 6);
  // Without a conversion pipe (a chip that states none) a conversion is one fp32 FLOP in the FMA
  // pipe: 16,384 more FLOPs at 8x the rate, so the same tiles hold their units for less time.
  const run::SystemRun no_pipe(
      spec::loadSystem(catalog, "h100-sxm5", {"chip.compute.vector.conversions_per_cycle=0"}).spec,
      spec::loadScenario(catalog, "tiny-llama-decode", sets).spec);
  for (const exec::OpRecord& op : no_pipe.result().ops) {
    if (op.kind != graph::OpKind::kAttention) continue;
    CHECK(op.counters.vector_busy_ps < 24 * tile);
    CHECK(op.counters.vector_busy_ps >= 24 * ceilTicks(16384 / fp32_per_tick));
  }
}
