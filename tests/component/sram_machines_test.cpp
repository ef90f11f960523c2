// SRAM-only and wafer-scale mechanisms on idle, hand-checkable chips: the weight feed into the
// matrix units, weight format conversion on the vector units, a systolic array's fill and drain,
// operand transit, and spatial mapping with its fabric broadcast and reduction. Each lands on
// its formula tick; each has a direction check.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/exec/chip_run.h"
#include "sim/graph/microbench.h"
#include "sim/map/op_tiling.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

/// A dataflow chip at 1 GHz whose weights sit in an SRAM of 1000 TB/s and 1 ns latency.
std::string sramChip(const std::string& matrix, const std::string& vector,
                     const std::string& execution = "{style: dataflow}") {
  return fmt::format(R"(kind: chip
name: Test
clock: 1 GHz
compute:
  matrix: {}
  vector: {}
memory:
  sram: {{kind: sram, size: 256 MiB, bandwidth: 1000 TB/s, latency: 1 ns}}
execution: {}
power: {{tdp: 100 W, static: 10 W}}
)",
                     matrix, vector, execution);
}

/// A one-op GEMM C[m, n] = A[m, k] B[k, n], every tensor stored as `stored`, computed in
/// `compute`.
struct Gemm {
  std::uint64_t m = 1, n = 32, k = 4096;
  spec::DType stored = spec::DType::kFp16;
  spec::DType compute = spec::DType::kFp16;
};

spec::ScenarioSpec scenarioFor(const Gemm& g) {
  spec::ScenarioSpec s = spec::loadScenario(presetCatalog(), "llama2-7b-prefill").spec;
  s.batch = 1;
  s.prompt_tokens = 1;
  s.dtypes.weights.dtype = s.dtypes.activations.dtype = g.stored;
  s.dtypes.compute = g.compute;
  return s;
}

std::unique_ptr<graph::Workload> workloadFor(const Gemm& g) {
  const spec::ScenarioSpec s = scenarioFor(g);
  return std::make_unique<graph::Workload>(graph::wholeModel(s),
                                           graph::gemmGraph(g.m, g.n, g.k, s.dtypes.weights));
}

Tick gemmTicks(const spec::SystemSpec& sys, const Gemm& g) {
  exec::ChipRun run(sys, workloadFor(g));
  return run.result().measured_end - run.result().measured_start;
}

/// The SRAM port's reads of one tile issued at 0: A then B back to back, then the latency.
Tick fetchTicks(std::uint64_t a_bytes, std::uint64_t b_bytes) {
  const std::uint64_t bw = 1'000'000'000'000'000ULL;
  return transferTicks(a_bytes, bw) + transferTicks(b_bytes, bw) + 1000;
}

}  // namespace

TEST_CASE(
    "Weights enter a matrix unit at its share of the weight feed: the tile's stages pipeline") {
  // GEMV 1 x 32 x 4096 in fp16 on one unit: one tile of 16 padded rows, 64 K chunks. Stages:
  // fetch (A 8 KiB, B 256 KiB from the SRAM), feed 256 KiB at 64 GB/s = 4.096 us, compute
  // 16 x 32 x 4096 MACs / 1024 a cycle = 2.048 us. Done at the slowest stage plus one chunk of
  // each other: 4,096,000 + (fetch + 2,048,000) / 64.
  const Gemm g;
  const spec::SystemSpec fed =
      inlineSystem(sramChip("{units: 1, macs_per_cycle: {fp16: 1024}, weight_feed: 64 GB/s}",
                            "{units: 1, peak: {fp16: 2 TFLOPS}}"));
  const Tick fetch = fetchTicks(8192, 262144);
  CHECK(gemmTicks(fed, g) == 4'096'000 + (fetch + 2'048'000) / 64);
  // Without a separate feed the tile is compute-bound: the feed was the binding stage.
  const spec::SystemSpec unfed = inlineSystem(
      sramChip("{units: 1, macs_per_cycle: {fp16: 1024}}", "{units: 1, peak: {fp16: 2 TFLOPS}}"));
  CHECK(gemmTicks(unfed, g) == 2'048'000 + fetch / 64);
  // Direction: a wider feed is never slower, and at 4x it is no longer what binds.
  const spec::SystemSpec wide =
      inlineSystem(sramChip("{units: 1, macs_per_cycle: {fp16: 1024}, weight_feed: 256 GB/s}",
                            "{units: 1, peak: {fp16: 2 TFLOPS}}"));
  CHECK(gemmTicks(wide, g) == 2'048'000 + (fetch + 1'024'000) / 64);
}

TEST_CASE("Weights stored in a format the matrix units lack are converted on the vector units") {
  // int8 weights, fp16 compute, an fp16-only matrix unit: 4096 x 32 weights converted at the
  // vector rate beside the unit (0.05 TFLOPS over 1 matrix unit): 2,621,440 ps, the binding
  // stage over compute (2,048,000). Fetch: A 4 KiB, B 128 KiB of int8.
  const Gemm g{.stored = spec::DType::kInt8, .compute = spec::DType::kFp16};
  const std::string vector = "{units: 1, peak: {fp16: 0.05 TFLOPS}}";
  const spec::SystemSpec fp16_only =
      inlineSystem(sramChip("{units: 1, macs_per_cycle: {fp16: 1024}}", vector));
  const Tick fetch = fetchTicks(4096, 131072);
  CHECK(gemmTicks(fp16_only, g) == 2'621'440 + (fetch + 2'048'000) / 64);
  exec::ChipRun run(fp16_only, workloadFor(g));
  CHECK(run.result().totals.convert_busy_ps == 2'621'440);
  // Direction: the same int8 weights computed in int8 (a unit that takes them) convert nothing.
  const Gemm native{.stored = spec::DType::kInt8, .compute = spec::DType::kInt8};
  const spec::SystemSpec both =
      inlineSystem(sramChip("{units: 1, macs_per_cycle: {fp16: 1024, int8: 2048}}", vector));
  CHECK(gemmTicks(both, native) == 1'024'000 + fetch / 64);
  // ... and fp16 weights on the fp16 unit convert nothing either: only the format gap costs.
  CHECK(gemmTicks(fp16_only, Gemm{}) == 2'048'000 + fetchTicks(8192, 262144) / 64);
}

TEST_CASE("A systolic array's fill and drain and the operand transit end a dependent op late") {
  // 64 x 64 array of 4 x 4 cells; GEMV 1 x 64 x 64 fp16: one tile, one K chunk, 4 cycles of
  // MACs after its 1010 ps fetch. Then (64 + 64) / 4 = 32 cycles to drain and 10 cycles of
  // operand transit: the op ends at 5,010 + 42,000 ps.
  const Gemm g{.m = 1, .n = 64, .k = 64};
  const std::string matrix =
      "{units: 1, macs_per_cycle: {fp16: 1024}, array: {rows: 64, cols: 64, cell: 4}}";
  const std::string vector = "{units: 1, peak: {fp16: 2 TFLOPS}}";
  const spec::SystemSpec sys =
      inlineSystem(sramChip(matrix, vector, "{style: dataflow, operand_transit_cycles: 10}"));
  const Tick compute_done = fetchTicks(128, 8192) + 4'000;
  CHECK(gemmTicks(sys, g) == compute_done + 42'000);
  exec::ChipRun run(sys, workloadFor(g));
  CHECK(run.result().totals.pipeline_latency_ps == 42'000);
  // Direction: cells of one MAC (a classic systolic array) drain in 128 cycles, not 32.
  const spec::SystemSpec classic = inlineSystem(
      sramChip("{units: 1, macs_per_cycle: {fp16: 1024}, array: {rows: 64, cols: 64}}", vector));
  CHECK(gemmTicks(classic, g) == compute_done + 128'000);
}

TEST_CASE("A quoted sparse peak is shown, never used for dense work") {
  const Gemm g;
  const std::string vector = "{units: 1, peak: {fp16: 2 TFLOPS}}";
  const spec::SystemSpec dense =
      inlineSystem(sramChip("{units: 1, macs_per_cycle: {fp16: 1024}}", vector));
  const spec::SystemSpec quoted = inlineSystem(
      sramChip("{units: 1, macs_per_cycle: {fp16: 1024}, sparse_peak: {fp16: 16 TFLOPS}}", vector));
  CHECK(quoted.chip.matrix.sparse_peak_ops_per_s.at(spec::DType::kFp16) == 16e12);
  CHECK(gemmTicks(quoted, g) == gemmTicks(dense, g));
}

namespace {

std::string spatialChip(int cores) {
  return sramChip(fmt::format("{{units: {0}, macs_per_cycle: {{fp16: 8}}, weight_feed: {1} GB/s}}",
                              cores, 16 * cores),
                  fmt::format("{{units: {0}, peak: {{fp16: {1} GFLOPS}}}}", cores, 16 * cores),
                  "{style: dataflow, mapping: spatial, fabric: {hop_latency: 1 ns, "
                  "link_bandwidth: 4 GB/s}}");
}

}  // namespace

TEST_CASE("Spatial mapping: a GEMV runs on the cores that hold its weights, split over K and N") {
  // 64 cores; the only resident data is B (256 x 256 fp16 = 128 KiB), so each core holds 2 KiB:
  // the GEMV runs on all 64 as an 8 x 8 grid (K and N in blocks of 32), one tile per core, no row
  // padding. A core: 1024 MACs at 8 a cycle = 128 ns, 2 KiB fed at 16 GB/s = 128 ns, its 32 x 32
  // block streamed a row at a time (32 K chunks).
  // The SRAM port serves the 64 tiles' reads back to back (8 B of A, 2 KiB of B, 8 B of C a
  // tile: 1 + 3 + 1 ps), so the last tile's B arrives at 5 x 63 + 4 + 1000 ps.
  // Then the fabric: input slices to the 8 cores of a row (7 hops, 32 x 2 B at 4 GB/s) and
  // partial sums down the 8 cores of a column (7 hops, 32 x 4 B).
  const Gemm g{.m = 1, .n = 256, .k = 256};
  const spec::SystemSpec sys = inlineSystem(spatialChip(64));
  const Tick fetch = 5 * 63 + 4 + 1000;
  const Tick last_tile = 128'000 + (128'000 + fetch) / 32;
  const Tick fabric = 14 * 1000 + 16'000 + 32'000;
  CHECK(gemmTicks(sys, g) == last_tile + fabric);
  exec::ChipRun run(sys, workloadFor(g));
  CHECK(run.result().totals.tiles == 64);
  CHECK(run.result().totals.pipeline_latency_ps == fabric);

  // Direction: spread over a wider region (256 cores, 16 x 16), the GEMV computes 4x less per
  // core and crosses more hops reducing (15 + 15 instead of 7 + 7).
  const spec::SystemSpec wide = inlineSystem(spatialChip(256));
  graph::Workload w(graph::wholeModel(scenarioFor(g)),
                    graph::gemmGraph(g.m, g.n, g.k, scenarioFor(g).dtypes.weights));
  auto planFor = [&](const spec::SystemSpec& s) {
    const map::Placement placement = map::place(s.chip, w);
    const map::PlanContext ctx{s.chip, placement, *w.prefillGraph(), 1};
    const map::OpPlan plan(ctx, w.prefillGraph()->op(0));
    return std::pair{plan.tiles(), plan.fabricTicks()};
  };
  const auto [tiles64, fabric64] = planFor(sys);
  const auto [tiles256, fabric256] = planFor(wide);
  CHECK(tiles64 == 64);
  CHECK(tiles256 == 128);  // at most 128 tiles an op: here two cores in lockstep each
  CHECK(fabric64 == fabric);
  CHECK(fabric256 == 30 * 1000 + 8'000 + 16'000);  // 16-element slices and 16 partial sums
  CHECK(fabric256 - 24'000 > fabric64 - 48'000);   // more hops once serialization is set aside
}

TEST_CASE(
    "A chip without a cache stages DRAM weights in its SRAM: each column block crosses once") {
  // Four units, 128 KiB of VMEM, no cache; B = 256 x 512 fp16 (256 KiB) cannot stay on chip, so it
  // streams from HBM. Tiles of 64 x 64 (what fits a unit's 32 KiB of staging): 2 row blocks x 8
  // column blocks. The first row block of each column loads the 32 KiB weight block from HBM; the
  // second reads the copy in VMEM: HBM moves B once, VMEM serves it once more.
  const std::string memory =
      "  vmem: {kind: sram, size: 128 KiB, bandwidth: 20 TB/s, latency: 10 ns}\n"
      "  hbm: {kind: dram, technology: hbm2e, size: 1 GB, channels: 4, channel_bandwidth: 100 "
      "GB/s, latency: 500 ns}";
  const auto chipWith = [](const std::string& levels) {
    return fmt::format(R"(kind: chip
name: Test
clock: 1 GHz
compute:
  matrix: {{units: 4, macs_per_cycle: {{fp16: 1024}}}}
  vector: {{units: 4, peak: {{fp16: 2 TFLOPS}}}}
memory:
{}
execution: {{style: dataflow}}
power: {{tdp: 100 W, static: 10 W}}
)",
                       levels);
  };
  const Gemm g{.m = 128, .n = 512, .k = 256};
  const std::size_t weight = exec::roleIndex(graph::TensorRole::kWeight);
  exec::ChipRun staged(inlineSystem(chipWith(memory)), workloadFor(g));
  const auto& levels = staged.result().totals.level;
  CHECK(levels[1].by_role[weight] == 256 * 512 * 2);  // hbm: B once
  CHECK(levels[0].by_role[weight] == 256 * 512 * 2);  // vmem: the second row block's copies
  // Direction: one row block reads B from HBM just the same and needs no copy; doubling the rows
  // adds VMEM reads, not HBM ones.
  const Gemm half{.m = 64, .n = 512, .k = 256};
  exec::ChipRun one(inlineSystem(chipWith(memory)), workloadFor(half));
  CHECK(one.result().totals.level[1].by_role[weight] == 256 * 512 * 2);
  CHECK(one.result().totals.level[0].by_role[weight] == 0);
}
