#include <doctest/doctest.h>

#include "sim/hw/roofline.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;
using spec::DType;

TEST_CASE("A minimal chip validates, derives what it can, and has closed-form knees") {
  const ChipResult r = readChipText(kTinyChip);
  REQUIRE_MESSAGE(r.errors.empty(), dump(r.errors));
  const spec::ChipSpec& c = r.chip;
  CHECK(c.clock_hz == 1e9);
  CHECK(c.matrix.macsPerCyclePerUnit(DType::kBf16, c.clock_hz) == doctest::Approx(1000.0));
  REQUIRE(c.mainMemory() != nullptr);
  CHECK(c.mainMemory()->bandwidth_bytes_per_s == doctest::Approx(800e9));  // 8 x 100 GB/s
  CHECK(c.mainMemory()->dram->interleave_bytes == 256);                    // documented default
  CHECK(c.memory[0].latency_ps == 5000);
  CHECK(c.execution.launch_overhead_ps == 2'000'000);
  const auto knees = hw::rooflineKnees(c);
  REQUIRE(knees.size() == 2);
  CHECK(knees[0].ops_per_byte == doctest::Approx(8e12 / 10e12));
  CHECK(knees[1].ops_per_byte == doctest::Approx(8e12 / 800e9));
  CHECK(hw::rooflineSeconds(c, DType::kBf16, 8e12, "dram", 1.6e12) == doctest::Approx(2.0));
}

TEST_CASE("macs_per_cycle is an alternative to peak and must agree with it within 1%") {
  const std::string base = kTinyChip;
  const ChipResult ok = readChipText(base + "");
  REQUIRE(ok.errors.empty());
  std::string alt = base;
  alt.replace(alt.find("peak: {bf16: 8 TFLOPS}"), 22, "macs_per_cycle: {bf16: 1000, fp8: 2000}");
  const ChipResult derived = readChipText(alt);
  REQUIRE_MESSAGE(derived.errors.empty(), dump(derived.errors));
  CHECK(derived.chip.matrix.peak(DType::kBf16) == doctest::Approx(8e12));
  CHECK(derived.chip.matrix.peak(DType::kFp8) == doctest::Approx(16e12));
  std::string both = base;
  both.replace(both.find("peak: {bf16: 8 TFLOPS}"), 22,
               "peak: {bf16: 8 TFLOPS}, macs_per_cycle: {bf16: 1100}");
  CHECK(hasError(readChipText(both).errors, "compute.matrix.macs_per_cycle.bf16",
                 "disagrees with peak.bf16"));
}

TEST_CASE("Every error in a file is collected, each with file, line and full key path") {
  const std::string yaml = std::string(kTinyChip) +
                           "area: 10 GB\n"     // wrong dimension
                           "cost_usd: lots\n"  // wrong type
                           "sourcez: {}\n";    // unknown key
  const ChipResult r = readChipText(yaml);
  CHECK(r.errors.size() == 3);
  CHECK(hasError(r.errors, "area", "is a size, expected an area"));
  CHECK(hasError(r.errors, "cost_usd", "not a finite number"));
  CHECK(hasError(r.errors, "sourcez", "unknown key; did you mean 'sources'?"));
  for (const auto& d : r.errors) {
    CHECK(d.location.file == "t.yaml");
    CHECK(d.location.line >= 12);
  }
}

TEST_CASE("Unknown nested keys name the whole path and suggest the known key") {
  std::string yaml = kTinyChip;
  yaml.replace(yaml.find("channels: 8"), 11, "chanels: 8");
  const ChipResult r = readChipText(yaml);
  CHECK(hasError(r.errors, "memory.dram.chanels", "unknown key; did you mean 'channels'?"));
  CHECK(hasError(r.errors, "memory.dram.channels", "required key is missing"));
}

TEST_CASE(
    "Cross-field checks: totals agree with their parts, power, ordering and kind-specific keys") {
  const std::string base = kTinyChip;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string y = base;
    REQUIRE(y.find(from) != std::string::npos);
    y.replace(y.find(from), from.size(), to);
    return readChipText(y).errors;
  };
  CHECK(hasError(
      with("channel_bandwidth: 100 GB/s", "channel_bandwidth: 100 GB/s, bandwidth: 900 GB/s"),
      "memory.dram.bandwidth", "disagrees with channels x channel_bandwidth"));
  CHECK(with("channel_bandwidth: 100 GB/s", "channel_bandwidth: 100 GB/s, bandwidth: 805 GB/s")
            .empty());  // < 1 %
  CHECK(hasError(with("channels: 8", "channels: 8, stacks: 3"), "memory.dram.channels",
                 "do not divide evenly"));
  CHECK(hasError(with("channel_bandwidth: 100 GB/s",
                      "channel_bandwidth: 100 GB/s, pins_per_channel: 64, pin_rate: 6.4 Gb/s"),
                 "memory.dram.channel_bandwidth", "disagrees with pins_per_channel x pin_rate"));
  CHECK(with("channel_bandwidth: 100 GB/s", "pins_per_channel: 125, pin_rate: 6.4 Gb/s").empty());
  CHECK(hasError(with("static: 10 W", "static: 150 W"), "power.static", "exceeds the TDP"));
  CHECK(hasError(with("power: {tdp: 100 W, static: 10 W}",
                      "power: {tdp: 100 W, static: 10 W, energy_per_op: {int8: 1 pJ/OP}}"),
                 "power.energy_per_op", "does not compute in"));
  CHECK(hasError(with("sram: {kind: sram,", "sram: {kind: sram, line: 64 B,"), "memory.sram.line",
                 "applies only to memory levels of kind cache"));
  CHECK(hasError(
      with("{style: kernel, launch_overhead: 2 us}", "{style: dataflow, launch_overhead: 2 us}"),
      "execution.launch_overhead", "applies only to style 'kernel'"));
  CHECK(hasError(with("{style: kernel, launch_overhead: 2 us}", "{style: kernel}"),
                 "execution.launch_overhead", "required key is missing"));
  CHECK(hasError(with("{kind: sram, size: 64 MiB", "{kind: sram, size: 0 B"), "memory.sram.size",
                 "greater than 0"));
  CHECK(hasError(with("latency: 5 ns", "latency: 5 ns, achievable_fraction: 1.5"),
                 "memory.sram.achievable_fraction", "out of range"));
}

TEST_CASE("Memory levels must be listed near -> far") {
  const std::string yaml = R"(kind: chip
name: Backwards
clock: 1 GHz
compute:
  matrix: {units: 1, peak: {bf16: 1 TFLOPS}}
  vector: {units: 1, peak: {fp32: 1 TFLOPS}}
memory:
  dram: {kind: dram, technology: hbm3, size: 16 GB, channels: 8, channel_bandwidth: 100 GB/s, latency: 100 ns}
  sram: {kind: sram, size: 64 MiB, bandwidth: 10 TB/s, latency: 5 ns}
execution: {style: dataflow}
power: {tdp: 100 W, static: 10 W}
)";
  const ChipResult r = readChipText(yaml);
  CHECK(hasError(r.errors, "memory.sram", "memory levels go near -> far"));
}

TEST_CASE("sources must name figures present in the description") {
  const std::string yaml = std::string(kTinyChip) +
                           "sources:\n  memory.dram.channel_bandwidth: [doc]\n  "
                           "memory.dram.chanels: [doc]\n  clock: []\n";
  const ChipResult r = readChipText(yaml);
  CHECK(hasError(r.errors, "sources.memory.dram.chanels",
                 "names no figure in this description; did you mean 'memory.dram.channels'?"));
  CHECK(hasError(r.errors, "sources.clock", "at least one source"));
  CHECK(r.errors.size() == 2);
}

TEST_CASE("base: inherits a preset and overrides only what the file changes") {
  const ChipResult r = readChipText(
      "kind: chip\nbase: h100-sxm5\nname: H100-half-HBM\nmemory:\n  hbm:\n    channels: 40\n    "
      "bandwidth: 1.675 TB/s\n");
  REQUIRE_MESSAGE(r.errors.empty(), dump(r.errors));
  CHECK(r.chip.name == "H100-half-HBM");
  CHECK(r.chip.clock_hz == doctest::Approx(1.83e9));  // inherited
  CHECK(r.chip.mainMemory()->dram->channels == 40);
  CHECK(r.chip.mainMemory()->size_bytes == 81559ULL * 1024 * 1024);  // inherited
  const ChipResult wrong = readChipText("kind: chip\nbase: h100-sxm\nname: x\n");
  REQUIRE(wrong.errors.size() == 1);
  CHECK(wrong.errors[0].message.find("unknown chip preset 'h100-sxm'; did you mean 'h100-sxm5'?") !=
        std::string::npos);
  CHECK(wrong.errors[0].location.str() == "t.yaml:2:7");
}

TEST_CASE("A bandwidth stated in one form derives the other; stated together they must agree") {
  const spec::Catalog& catalog = presetCatalog();
  auto hbm = [&](std::vector<std::string> sets) {
    return *spec::loadSystem(catalog, "h100-sxm5", std::move(sets)).spec.chip.mainMemory();
  };
  // The preset states 80 channels x 41.875 GB/s and 3.35 TB/s.
  const spec::MemoryLevelSpec faster = hbm({"chip.memory.hbm.bandwidth=4.8TB/s"});
  CHECK(faster.bandwidth_bytes_per_s == doctest::Approx(4.8e12));
  CHECK(faster.dram->channels == 80);
  CHECK(faster.dram->channel_bytes_per_s == doctest::Approx(4.8e12 / 80));
  const spec::MemoryLevelSpec half = hbm({"chip.memory.hbm.channels=40"});
  CHECK(half.bandwidth_bytes_per_s == doctest::Approx(40 * 41.875e9));
  CHECK(half.dram->channel_bytes_per_s == doctest::Approx(41.875e9));
  CHECK_THROWS_AS(hbm({"chip.memory.hbm.channels=40", "chip.memory.hbm.bandwidth=4TB/s"}),
                  ConfigError);
  // Links: 18 x 25 GB/s per direction; a new aggregate (both directions) sets the link rate.
  const spec::SystemSpec dgx =
      spec::loadSystem(catalog, "dgx-h100",
                       {"chip.interconnect.nvlink.aggregate_bandwidth=1800GB/s"})
          .spec;
  CHECK(dgx.chip.port("nvlink")->link_bytes_per_s == doctest::Approx(50e9));
}
