// The executor on an idle, hand-checkable chip: tiles land on the exact formula ticks.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/exec/chip_run.h"
#include "sim/exec/memory_system.h"
#include "sim/graph/microbench.h"
#include "sim/map/op_tiling.h"
#include "sim/map/placement.h"
#include "sim/map/tiling.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

/// One matrix unit of 1024 bf16 MACs/cycle at 1 GHz; memory as given; `unit_keys` ("key: value, ")
/// added to both kinds of unit.
std::string testChip(const std::string& memory,
                     const std::string& style = "{style: kernel, launch_overhead: 1 us}",
                     int units = 1, const std::string& unit_keys = "") {
  return fmt::format(R"(kind: chip
name: Test
clock: 1 GHz
compute:
  matrix: {{{4}units: {0}, macs_per_cycle: {{bf16: 1024}}}}
  vector: {{{4}units: {0}, peak: {{bf16: {1} TFLOPS}}}}
memory:
{2}
execution: {3}
power: {{tdp: 100 W, static: 10 W}}
)",
                     units, units, memory, style, unit_keys);
}

const char* kOneChannelDram =
    "  dram: {kind: dram, technology: hbm3, size: 1 GB, channels: 1, channel_bandwidth: 1 TB/s, "
    "interleave: 256 B, "
    "latency: 100 ns}";

spec::ScenarioSpec gemmScenario() {
  spec::ScenarioSpec s = spec::loadScenario(presetCatalog(), "llama2-7b-prefill").spec;
  s.batch = 1;
  s.prompt_tokens = 1;
  return s;
}

double gemmSeconds(const spec::SystemSpec& sys, std::uint64_t m, std::uint64_t n, std::uint64_t k) {
  const spec::ScenarioSpec s = gemmScenario();
  exec::ChipRun run(sys, std::make_unique<graph::Workload>(
                             graph::wholeModel(s), graph::gemmGraph(m, n, k, s.dtypes.weights)));
  return run.windowSeconds();
}

}  // namespace

TEST_CASE("One GEMM tile on one idle unit ends at exactly the formula tick") {
  // C[16,32] = A[16,64] B[64,32], bf16, one tile. Launch at 1 us; A (2048 B) and B (4096 B) stream
  // back to back from one 1 B/ps DRAM channel with 100 ns latency: B is in at 1e6 + 6144 + 1e5 ps.
  // Compute: 16*32*64 MACs / 1024 per cycle = 32 cycles = 32 ns, after the fetch (one K chunk).
  const spec::SystemSpec sys = inlineSystem(testChip(kOneChannelDram));
  const Tick launch = 1'000'000, fetch = 6144 + 100'000, compute = 32'000;
  CHECK(gemmSeconds(sys, 16, 32, 64) ==
        doctest::Approx(ticksToSeconds(launch + fetch + compute)).epsilon(1e-12));
}

TEST_CASE(
    "A stack's matrix_efficiency e stretches a tile's compute to exactly its MACs / (rate e)") {
  // The tile above with half the matrix rate (SoftwareSpec::matrix_efficiency 0.5, as a stack's
  // kernels sustain it): 16*32*64 MACs / (1024 x 0.5) per cycle = 64 cycles; fetch unchanged.
  const spec::SystemSpec sys = inlineSystem(testChip(kOneChannelDram));
  const spec::ScenarioSpec s = gemmScenario();
  const Tick launch = 1'000'000, fetch = 6144 + 100'000;
  for (const double e : {1.0, 0.5, 0.25}) {
    CAPTURE(e);
    exec::ChipRun run(sys,
                      std::make_unique<graph::Workload>(
                          graph::wholeModel(s), graph::gemmGraph(16, 32, 64, s.dtypes.weights)),
                      exec::ExecOptions{.matrix_efficiency = e});
    const Tick compute = static_cast<Tick>(32'000 / e);
    CHECK(run.windowSeconds() ==
          doctest::Approx(ticksToSeconds(launch + fetch + compute)).epsilon(1e-12));
  }
  // The key as a scenario's software states it (ChipRun hands it to the executor's options).
  const spec::ScenarioSpec half =
      spec::loadScenario(presetCatalog(), "llama2-7b-prefill", {"software.matrix_efficiency=0.5"})
          .spec;
  CHECK(half.software.matrix_efficiency == 0.5);
}

TEST_CASE(
    "A streamed weight tile's fetch ends at the channel group's formula tick; a cache hit is "
    "cheaper by the formula") {
  const std::string memory =
      "  l2: {kind: cache, size: 1 MiB, line: 128 B, bandwidth: 2 TB/s, latency: 50 ns}\n"
      "  hbm: {kind: dram, technology: hbm3, size: 1 GB, channels: 8, channel_bandwidth: 100 GB/s, "
      "interleave: 256 B, "
      "latency: 200 ns}";
  const spec::SystemSpec sys = inlineSystem(testChip(memory));
  const spec::ScenarioSpec s = gemmScenario();
  graph::Workload w(graph::wholeModel(s), graph::gemmGraph(16, 512, 128, s.dtypes.weights));
  const map::Placement placement = map::place(sys.chip, w);
  Simulation sim;
  hw::Chip chip(sim, sys.chip, sim.stats(), "chip0");
  exec::MemorySystem memory_system(chip, placement);
  const map::StableId weight =
      placement.stable(*w.prefillGraph(), 1);  // B: 128 x 512 bf16 = 128 KiB
  exec::OpCounters counters(chip.levels().size());
  // 64 KiB striped over 8 channels in 256 B granules: 8 KiB per channel at 100 GB/s.
  const Tick miss = memory_system.read(weight, 0, 65536, counters);
  CHECK(miss == 200'000 + transferTicks(8192, 100'000'000'000ULL));
  sim.run(1'000'000);  // idle again
  const Tick hit = memory_system.read(weight, 0, 65536, counters) - sim.now();
  CHECK(hit == 50'000 + transferTicks(65536, 2'000'000'000'000ULL));
  CHECK(counters.misses[exec::roleIndex(graph::TensorRole::kWeight)] == 1);
  CHECK(counters.hits[exec::roleIndex(graph::TensorRole::kWeight)] == 1);
  CHECK(counters.level[1].read == 65536);  // hbm
  CHECK(counters.level[0].read == 65536);  // l2
}

TEST_CASE("Wave quantization: a GEMM with units + 1 tiles takes two waves") {
  // Four units, weights resident in a fast SRAM, dataflow (no launch cost): compute-bound tiles.
  const std::string memory =
      "  sram: {kind: sram, size: 256 MiB, bandwidth: 1000 TB/s, latency: 1 ns}";
  const spec::SystemSpec sys = inlineSystem(testChip(memory, "{style: dataflow}", 4));
  // 16 x 32 is the smallest tile, so 16 x 160 cannot split below 5 tiles; K = 256 is too short
  // to split (a K slice is at least 4 chunks of 64).
  const double four = gemmSeconds(sys, 16, 4 * 32, 256);  // 4 tiles of 16 x 32: one wave
  const double five = gemmSeconds(sys, 16, 5 * 32, 256);  // 5 tiles: one waits for a free unit
  CHECK(five / four == doctest::Approx(2.0).epsilon(0.01));
  const double eight = gemmSeconds(sys, 16, 8 * 32, 256);  // 8 tiles: still two waves
  CHECK(eight / five == doctest::Approx(1.0).epsilon(0.01));
}

/// testChip's chip with `bytes_in_flight` on both kinds of unit.
std::string mlpChip(const std::string& memory, const std::string& in_flight, int units = 1) {
  return testChip(memory, "{style: kernel, launch_overhead: 1 us}", units,
                  "bytes_in_flight: " + in_flight + ", ");
}

TEST_CASE("Little's law: a unit with B bytes in flight reads DRAM at B / latency, to the tick") {
  // The one-tile GEMM above (A 2048 B + B 4096 B from a 1 B/ps channel, 100 ns latency: in at
  // 6144 + 1e5 ps), on a unit that keeps at most 1 KiB outstanding: 6144 B x 1e5 ps / 1024 B =
  // 600,000 ps before its operands are in, then the 32 ns of compute (one K chunk).
  const spec::SystemSpec sys = inlineSystem(mlpChip(kOneChannelDram, "1 KiB"));
  CHECK(sys.chip.matrix.bytes_in_flight == 1024);
  const Tick launch = 1'000'000, fetch = 6144 * 100'000 / 1024, compute = 32'000;
  CHECK(gemmSeconds(sys, 16, 32, 64) ==
        doctest::Approx(ticksToSeconds(launch + fetch + compute)).epsilon(1e-12));
  // 64 KiB in flight is more than the tile reads: the channel's time again.
  const spec::SystemSpec wide = inlineSystem(mlpChip(kOneChannelDram, "64 KiB"));
  CHECK(gemmSeconds(wide, 16, 32, 64) ==
        doctest::Approx(ticksToSeconds(launch + 6144 + 100'000 + compute)).epsilon(1e-12));
}

TEST_CASE("Little's law: more units in flight stream faster until the channels bind") {
  // A 4 MiB copy spread over U vector units (one tile each), each unit keeping 8 KiB outstanding
  // for 100 ns: its reads arrive no sooner than 4 MiB / U x 1e5 ps / 8 KiB = 51.2 us / U, while
  // the channel moves the reads and then the writes (8 MiB at 1 B/ps) by 8,388,608 + 1e5 ps. One,
  // two and four units are bound by what they keep in flight (the time halves as units double);
  // from eight on by the channel, exactly as without the limit.
  const std::uint64_t bytes = 4 << 20;
  const spec::ScenarioSpec s = gemmScenario();
  auto copyTicks = [&](const std::string& chip) {
    exec::ChipRun run(inlineSystem(chip), std::make_unique<graph::Workload>(
                                              graph::wholeModel(s), graph::copyGraph(bytes)));
    return roundTicks(run.windowSeconds() * 1e12) - 1'000'000;  // less the launch
  };
  CHECK(copyTicks(mlpChip(kOneChannelDram, "8 KiB", 1)) == 51'200'000);
  CHECK(copyTicks(mlpChip(kOneChannelDram, "8 KiB", 2)) == 25'600'000);
  CHECK(copyTicks(mlpChip(kOneChannelDram, "8 KiB", 4)) == 12'800'000);
  const Tick channel = 8'388'608 + 100'000;
  CHECK(copyTicks(mlpChip(kOneChannelDram, "8 KiB", 8)) == channel);
  CHECK(copyTicks(mlpChip(kOneChannelDram, "8 KiB", 16)) == channel);
  CHECK(copyTicks(testChip(kOneChannelDram, "{style: kernel, launch_overhead: 1 us}", 8)) ==
        channel);
}

TEST_CASE("Swizzle groups count every cache level: a memory-side cache holds a group's rows") {
  // C[512,1024] = A[512,256] B[256,1024], bf16, one unit, no SRAM (192 KiB of staging): 256 x 256
  // tiles, 2 row blocks x 4 column blocks; a row block of A is 256 x 256 x 2 B = 128 KiB. A group
  // takes as many row blocks as fit half the caches: with a 64 KiB cache alone, none (so one, and
  // tile 1 is row 0's second column block, reading A from offset 0); with a 1 MiB memory-side
  // cache behind it, (64 + 1024) / 2 / 128 = 4 (so both rows, and tile 1 is row 1's first block,
  // reading A from 128 KiB).
  const std::string near =
      "  l2: {kind: cache, size: 64 KiB, line: 128 B, bandwidth: 1 TB/s, latency: 10 ns}\n";
  const std::string far =
      "  llc: {kind: cache, size: 1 MiB, line: 128 B, bandwidth: 1 TB/s, latency: 50 ns}\n";
  const spec::ScenarioSpec s = gemmScenario();
  graph::Workload w(graph::wholeModel(s), graph::gemmGraph(512, 1024, 256, s.dtypes.weights));
  auto secondTileInputOffset = [&](const std::string& caches) {
    const spec::SystemSpec sys = inlineSystem(testChip(caches + kOneChannelDram));
    const map::Placement placement = map::place(sys.chip, w);
    const map::PlanContext ctx{sys.chip, placement, *w.prefillGraph(), 1};
    const graph::Op& op = w.prefillGraph()->op(0);
    const map::OpPlan plan(ctx, op);
    REQUIRE(plan.tiles() == 8);
    map::TileTask task;
    plan.tile(0, task);
    REQUIRE(task.reads.front().bytes == 128 * 1024);  // tile 0's A rows: one row block
    plan.tile(1, task);
    return task.reads.front().offset;
  };
  CHECK(secondTileInputOffset(near) == 0);
  CHECK(secondTileInputOffset(near + far) == 128 * 1024);
}

TEST_CASE("Split-K: one output tile over two idle units ends at exactly the formula tick") {
  // C[16,32] = A[16,2048] B[2048,32], bf16, on 2 units, operands in a 1 B/ps SRAM (1 ns latency),
  // dataflow (no launch). One output tile: unsplit it computes 16*32*2048 / 1024 = 1024 cycles on
  // one unit; split in two (serial split-K) each unit computes 512 cycles on its K half. Three or
  // more splits cost as much or more (waves), so the tiler takes two.
  const std::string memory =
      "  sram: {kind: sram, size: 256 MiB, bandwidth: 1 TB/s, latency: 1 ns}";
  const Tick latency = 1000;
  // Split 0 reads A[:, 0:1024] (32768 B) and B[0:1024, :] (65536 B), then writes C (1024 B);
  // split 1's reads queue behind them on the one port: its A and B halves and C (the partial
  // sums), in at 98304 + 1024 + 99328 + latency.
  const Tick ready1 = 98304 + 1024 + 99328 + latency;
  // Split 1 adds its 16 x 32 partial sums on the vector side (1 FLOP/ps per unit): 512 ps. Its
  // fetch streams in 1024 / 64 = 16 chunks under the compute. Then the serial fix-up (it ends
  // after split 0, which ended first): a round trip to the SRAM (no cache, no DRAM) to see split
  // 0's flag, 2 x 1 ns, and C's partial sums in and out, 2 x 1024 B, at one unit's share of the
  // port, 0.5 B/ps: 4096 ps.
  const Tick split = 512'000 + 512 + ready1 / 16 + 2 * latency + 4096;
  const spec::SystemSpec two = inlineSystem(testChip(memory, "{style: dataflow}", 2));
  CHECK(gemmSeconds(two, 16, 32, 2048) == doctest::Approx(ticksToSeconds(split)).epsilon(1e-12));
  // One unit: no split; A (65536 B) and B (131072 B) in 32 chunks under 1024 cycles.
  const spec::SystemSpec one = inlineSystem(testChip(memory, "{style: dataflow}", 1));
  const Tick whole = 1'024'000 + (196608 + latency) / 32;
  CHECK(gemmSeconds(one, 16, 32, 2048) == doctest::Approx(ticksToSeconds(whole)).epsilon(1e-12));
}

TEST_CASE("Split-K tiling of a 459-row decode GEMM on an H100: big tiles, K split, estimate") {
  // Llama-3.1-405B's qkv at batch 459 on one of 8 H100s (tp 8), FP8: m 459, n 2304, k 16384. The
  // rank rule would take 16-row tiles (29 row blocks, each re-reading the 37.7 MB of weights
  // from L2); the cost rule takes 256 x 128 tiles over 3 K slices: 2 x 18 x 3 = 108 tiles, one
  // wave (more slices would cut the port's bytes but add a serial fix-up each).
  const spec::ChipSpec chip = spec::loadSystem(presetCatalog(), "dgx-h100").spec.chip;
  map::MatmulCosts costs;
  costs.input_bytes = 1;
  costs.weight_bytes = 1;
  costs.output_bytes = 2;
  costs.unit_macs_per_s = 1978.9e12 * 0.84 / 2 / 132;
  costs.cache_bytes_per_s = 7.3e12;
  costs.main_bytes_per_s = 3.35e12 * 0.867;
  costs.latency_s = 500e-9;
  const map::MatmulTiling t = map::tileMatmul(chip, 459, 2304, 16384, 1, 2, &costs);
  CHECK(t.tm == 256);
  CHECK(t.tn == 128);
  CHECK(t.splits == 3);
  CHECK(t.tiles() == 108);
  // The estimate, by hand: one wave; compute 256 x 128 x 5462 MACs at the unit rate; the cache
  // port carries each tile's (256 + 128) x 5462 B of operands and 2 x 256 x 128 x 2 B of output;
  // main memory the unique bytes (A, B, and C written once and 2 more times read and written) at
  // 132 / 108 of the bandwidth. The port binds; one wave adds one HBM latency, and the two later
  // slices of a tile their fix-ups one after another: each a round trip to the L2 (150 ns) and
  // the tile's bf16 partial sums in and out (2 x 256 x 128 x 2 B) at a 132nd of 7.3 TB/s.
  const double slice = 5462;  // ceil(16384 / 3)
  const double compute = 256.0 * 128 * slice / costs.unit_macs_per_s;
  const double port = (384 * slice + 2.0 * 256 * 128 * 2) * 132 / 7.3e12;
  const double unique = 459.0 * 16384 + 16384.0 * 2304 + 459.0 * 2304 * 2 * 5;
  const double main = unique / costs.main_bytes_per_s * 132 / 108;
  const double fixup = 2 * 150e-9 + 2.0 * 256 * 128 * 2 * 132 / 7.3e12;
  CHECK(map::splitKFixupSeconds(chip, map::splitKFixupLevel(chip), 2.0 * 256 * 128 * 2) ==
        doctest::Approx(fixup).epsilon(1e-12));
  CHECK(map::estimateMatmulSeconds(chip, t, 459, 2304, 16384, 1, costs) ==
        doctest::Approx(std::max({compute, port, main}) + 500e-9 + 2 * fixup).epsilon(1e-12));
  CHECK(port > compute);
  // Without costs (systolic arrays, attention's batched matmuls): the rank rule, unsplit.
  const map::MatmulTiling rank = map::tileMatmul(chip, 459, 2304, 16384);
  CHECK(rank.splits == 1);
  CHECK(rank.tm == 16);
}

TEST_CASE("Simulation::resetStats starts a new window") {
  Simulation sim;
  BandwidthServer& port = sim.add<BandwidthServer>("port", sim.stats(), 1'000'000'000'000ULL, 0);
  port.reserve(1000);
  sim.run(2000);
  sim.resetStats();
  CHECK(sim.stats().findStat("port.bytes")->value() == 0.0);
  port.reserve(500);
  sim.run(3000);
  CHECK(sim.stats().findStat("port.bytes")->value() == 500.0);
  CHECK(sim.stats().findStat("port.utilization")->value() ==
        doctest::Approx(0.5));  // 500 of 1000 ps
}

TEST_CASE("The software op overhead and the launch overhead add exactly to an op's start") {
  const spec::SystemSpec sys = inlineSystem(testChip(kOneChannelDram));
  spec::ScenarioSpec s = gemmScenario();
  const double base = gemmSeconds(sys, 16, 32, 64);
  const exec::ExecOptions eager{7'000'000};  // 7 us of host time per op
  exec::ChipRun run(sys,
                    std::make_unique<graph::Workload>(
                        graph::wholeModel(s), graph::gemmGraph(16, 32, 64, s.dtypes.weights)),
                    eager);
  CHECK(run.windowSeconds() == doctest::Approx(base + 7e-6).epsilon(1e-12));
}

TEST_CASE("A unit's active power is charged for exactly the time a tile holds it") {
  // The one GEMM tile above holds its unit from its launch until its compute ends: the fetch
  // (6144 B at 1 B/ps plus 100 ns) and 32 ns of compute. With no energy per byte or per op, the
  // dynamic energy is 2 W over those 138,144 ps.
  std::string chip = testChip(kOneChannelDram);
  const std::string plain = "power: {tdp: 100 W, static: 10 W}";
  chip.replace(chip.find(plain), plain.size(),
               "power: {tdp: 100 W, static: 10 W, unit_active: 2 W}");
  const spec::SystemSpec sys = inlineSystem(chip);
  const spec::ScenarioSpec s = gemmScenario();
  exec::ChipRun run(sys, std::make_unique<graph::Workload>(
                             graph::wholeModel(s), graph::gemmGraph(16, 32, 64, s.dtypes.weights)));
  const Tick held = 6144 + 100'000 + 32'000;
  CHECK(run.result().dynamic_energy_j ==
        doctest::Approx(2.0 * ticksToSeconds(held)).epsilon(1e-12));
  CHECK(run.result().totals.compute_energy_j == run.result().dynamic_energy_j);
}

TEST_CASE("Inline ECC: a sixteenth of the channel's bytes are check bits, the copy 16/15 as long") {
  // The copy above on eight units (channel-bound): 8 MiB of reads and writes at 1 B/ps plus the
  // 100 ns latency. With the check bits inline, data moves at 15/16 B/ps: each unit's 512 KiB read
  // and its 512 KiB write take ceil(524,288 x 16 / 15) = 559,241 ps of the channel, 16 of them
  // one after another (8,947,848.5 ps unrounded).
  const std::uint64_t bytes = 4 << 20;
  const spec::ScenarioSpec s = gemmScenario();
  auto copyTicks = [&](const std::string& dram) {
    exec::ChipRun run(
        inlineSystem(mlpChip(dram, "8 KiB", 8)),
        std::make_unique<graph::Workload>(graph::wholeModel(s), graph::copyGraph(bytes)));
    return roundTicks(run.windowSeconds() * 1e12) - 1'000'000;  // less the launch
  };
  std::string inline_ecc = kOneChannelDram;
  inline_ecc.insert(inline_ecc.find("latency"), "ecc: inline, ");
  const spec::SystemSpec sys = inlineSystem(mlpChip(inline_ecc, "8 KiB", 8));
  CHECK(sys.chip.memory.back().achievableBandwidth() == doctest::Approx(1e12 * 15.0 / 16.0));
  CHECK(copyTicks(kOneChannelDram) == 8'388'608 + 100'000);
  CHECK(copyTicks(inline_ecc) == 16 * 559'241 + 100'000);
}
