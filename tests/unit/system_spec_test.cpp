#include <fstream>
#include <unistd.h>

#include <doctest/doctest.h>

#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {
std::vector<Diagnostic> systemErrors(const std::string& yaml) {
  // One file per call and per process: ctest runs test cases in parallel processes.
  static int counter = 0;
  const std::filesystem::path dir = test::freshDir("archsim-system-test");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / ("sys" + std::to_string(counter++) + ".yaml");
  {
    std::ofstream out(file);
    out << yaml;
  }
  std::vector<Diagnostic> errors;
  try {
    spec::loadSystemFile(presetCatalog(), file);
  } catch (const ConfigError& e) {
    errors = e.diagnostics();
  }
  std::filesystem::remove_all(dir);
  return errors;
}

const char* kSystemHead = "kind: system\nname: S\nchip: h100-sxm5\n";
}  // namespace

TEST_CASE("System presets resolve their chip and multiply level sizes into a chip count") {
  const spec::Catalog catalog = presetCatalog();
  CHECK(spec::loadSystem(catalog, "dgx-h100").spec.chipCount() == 8);
  CHECK(spec::loadSystem(catalog, "groqrack").spec.chipCount() == 64);
  CHECK(spec::loadSystem(catalog, "groq-576").spec.chipCount() == 576);
  CHECK(spec::loadSystem(catalog, "cs3-4").spec.chipCount() == 4);
  const auto h200 = spec::loadSystem(catalog, "hgx-h200");  // base: dgx-h100 with another chip
  CHECK(h200.spec.chip.name == "H200-SXM-141GB");
  CHECK(h200.spec.levels.at(0).link.links_per_chip == 18);
  CHECK(h200.spec.levels.at(0).link.link_bytes_per_s ==
        doctest::Approx(25e9));  // from the chip port
}

TEST_CASE("A chip preset is a valid one-chip system, and --set reaches into it") {
  const auto one = spec::loadSystem(presetCatalog(), "groqchip");
  CHECK(one.spec.chipCount() == 1);
  CHECK(one.spec.levels.empty());
  CHECK(one.spec.chip.mainMemory() == nullptr);
  const auto half = spec::loadSystem(
      presetCatalog(), "dgx-h100",
      {"chip.memory.hbm.channels=40", "chip.memory.hbm.channel_bandwidth=83.75 GB/s"});
  CHECK(half.spec.chip.mainMemory()->dram->channels == 40);
  CHECK(half.resolved.findPath("chip.memory.hbm.channels")->scalar() == "40");
}

TEST_CASE("--set values get the same validation, located at the flag") {
  try {
    spec::loadSystem(presetCatalog(), "dgx-h100",
                     {"chip.memory.hbm.chanels=10", "chip.clock=fast"});
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(hasError(e.diagnostics(), "chip.memory.hbm.chanels", "did you mean 'channels'"));
    CHECK(hasError(e.diagnostics(), "chip.clock", "does not start with a number"));
    for (const auto& d : e.diagnostics())
      CHECK(d.location.file.rfind("--set ", 0) == 0);
  }
}

TEST_CASE("System cross-field checks") {
  const std::string head = kSystemHead;
  CHECK(hasError(
      systemErrors(head + "levels:\n  node: {size: 8, topology: switch, link: {port: nvlnk}}\n"),
      "levels.node.link.port", "has no port 'nvlnk'; did you mean 'nvlink'?"));
  CHECK(hasError(
      systemErrors(head +
                   "levels:\n  a: {size: 8, topology: switch, link: {port: nvlink, links: 10}}\n"
                   "  b: {size: 2, topology: ring, link: {port: nvlink, links: 10}}\n"),
      "levels.a", "use 20 'nvlink' links per chip, but the chip has only 18"));
  CHECK(hasError(
      systemErrors(
          head + "chips: 16\nlevels:\n  node: {size: 8, topology: switch, link: {port: nvlink}}\n"),
      "chips", "level sizes multiply to 8"));
  CHECK(hasError(
      systemErrors(
          head +
          "levels:\n  pod: {size: 16, topology: torus, dims: [4, 3], link: {port: nvlink}}\n"),
      "levels.pod.dims", "multiply to 12, but size is 16"));
  CHECK(hasError(
      systemErrors(head + "levels:\n  pod: {size: 16, topology: torus, link: {port: nvlink}}\n"),
      "levels.pod.dims", "required key is missing"));
  CHECK(hasError(
      systemErrors(head + "levels:\n  n: {size: 2, topology: ring, link: {kind: infiniband}}\n"),
      "levels.n.link.link_bandwidth", "required key is missing"));
  CHECK(hasError(systemErrors(head + "levels:\n  n: {size: 2, topology: ring, link: {port: "
                                     "nvlink}, switch: {latency: 1 us}}\n"),
                 "levels.n.switch", "applies only to the switch topology"));
  CHECK(systemErrors(head + "levels:\n  n: {size: 4, topology: ring, link: {kind: infiniband, "
                            "links: 1, link_bandwidth: 400 Gb/s, latency: 2 us}}\n")
            .empty());
}

TEST_CASE("An inline chip with base: and overrides") {
  const auto errors = systemErrors(
      "kind: system\nname: S\nchip:\n  base: h100-sxm5\n  name: H100-more-SRAM\n  memory:\n    l2: "
      "{size: 100 MB}\n");
  CHECK_MESSAGE(errors.empty(), dump(errors));
}

TEST_CASE("A disagreement caused by an override is blamed on the override, not on the preset") {
  try {
    // 16 pins x 8 Gb/s = 16 GB/s per channel against the preset's 41.875 GB/s.
    spec::loadSystem(presetCatalog(), "dgx-h100",
                     {"chip.memory.hbm.pin_rate=8Gb/s", "chip.memory.hbm.pins_per_channel=16"});
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    const Diagnostic& d = e.diagnostics()[0];
    CHECK(d.key_path == "chip.memory.hbm.pins_per_channel");
    CHECK(d.location.file == "--set chip.memory.hbm.pins_per_channel=16");
    CHECK(
        d.message.find("channel_bandwidth 41.88 GB/s disagrees with pins_per_channel x pin_rate") !=
        std::string::npos);
  }
}
