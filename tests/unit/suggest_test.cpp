#include "sim/spec/suggest.h"

#include <string>

#include <doctest/doctest.h>

#include "sim/core/error.h"
#include "sim/spec/loader.h"
#include "support.h"

using namespace archsim;
using namespace archsim::spec;

TEST_CASE("editDistance counts insertions, deletions, substitutions and adjacent swaps") {
  CHECK(editDistance("kitten", "sitting") == 3);
  CHECK(editDistance("channels", "chanels") == 1);
  CHECK(editDistance("channels", "chanenls") == 1);  // swap
  CHECK(editDistance("GiB", "gib") == 0);            // case-only differences are free
  CHECK(editDistance("", "abc") == 3);
}

TEST_CASE("suggest offers only plausible typos") {
  const std::vector<std::string> keys{"channels", "channel_bandwidth", "stacks", "size"};
  CHECK(suggest("chanels", keys) == std::optional<std::string>("channels"));
  CHECK(suggest("stack", keys) == std::optional<std::string>("stacks"));
  CHECK(suggest("frobnicate", keys) == std::nullopt);
  CHECK(didYouMean("sise", keys) == "; did you mean 'size'?");
  CHECK(didYouMean("zzzz", keys).empty());
  // Another ending of the same word: a long shared prefix.
  const std::vector<std::string> phases{"prefill", "decode", "generate"};
  CHECK(suggest("decoding", phases) == std::optional<std::string>("decode"));
  CHECK(suggest("gen", phases) == std::nullopt);
}

TEST_CASE("an unknown preset that begins a family's names suggests them") {
  try {
    (void)spec::loadSystem(archsim::test::presetCatalog(), "h100");
    FAIL("'h100' loaded");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("did you mean 'h100-sxm5'?") != std::string::npos);
  }
  try {
    (void)spec::loadSystem(archsim::test::presetCatalog(), "a100");  // two variants
    FAIL("'a100' loaded");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("did you mean 'a100-pcie' or 'a100-sxm4'?") !=
          std::string::npos);
  }
  try {
    (void)spec::loadSystem(archsim::test::presetCatalog(), "h100-sxm");  // a typo: one name
    FAIL("'h100-sxm' loaded");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("did you mean 'h100-sxm5'?") != std::string::npos);
  }
}

TEST_CASE("--set keys: a chip key points to chip., a shortened key to its full name") {
  std::vector<std::string> system, scenario;
  try {
    routeAssignments({"memory.hbm.size=96GB"}, system, scenario);
    FAIL("routed");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("write --set chip.memory.hbm.size=96GB") != std::string::npos);
  }
  try {
    routeAssignments({"kv_len=5"}, system, scenario);
    FAIL("routed");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("did you mean 'kv_length'?") != std::string::npos);
  }
}

TEST_CASE("--set that would create a memory level, a port or a system level is refused") {
  const Catalog& catalog = archsim::test::presetCatalog();
  auto message = [&](const char* system, const char* set) {
    try {
      (void)loadSystem(catalog, system, {set});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  const std::string groq = message("groqchip", "chip.memory.hbm.achievable_fraction=0.78");
  CHECK(groq.find("key 'chip.memory.hbm': chip GroqChip1 has no memory level 'hbm' (it has "
                  "sram)") != std::string::npos);
  CHECK(groq.find("write chip.memory.hbm.achievable_fraction?=0.78") != std::string::npos);
  CHECK(message("h100-sxm5", "chip.memory.hmb.size=1 GB").find("did you mean 'hbm'?") !=
        std::string::npos);
  CHECK(message("h100-sxm5", "chip.interconnect.ib.links=4")
            .find("has no port 'ib' (it has nvlink, pcie)") != std::string::npos);
  CHECK(message("dgx-h100", "levels.nod.size=4")
            .find("system DGX-H100 has no system level 'nod' (it has node); did you mean "
                  "'node'?") != std::string::npos);
  // A whole level given at once is a description, not an accident: it loads.
  CHECK(message("groqchip",
                "chip.memory.dram={kind: dram, technology: ddr5, size: 16 GB, channels: 4, "
                "channel_bandwidth: 25 GB/s, bandwidth: 100 GB/s, latency: 100 ns}") == "loaded");

  // The conditional form: applied where the level exists, skipped (and said) where it does not.
  const LoadedSystem h100 =
      loadSystem(catalog, "h100-sxm5", {"chip.memory.hbm.achievable_fraction?=0.78"});
  CHECK(h100.skipped.empty());
  const LoadedSystem groqchip =
      loadSystem(catalog, "groqchip", {"chip.memory.hbm.achievable_fraction?=0.78"});
  REQUIRE(groqchip.skipped.size() == 1);
  CHECK(groqchip.skipped[0] == "chip.memory.hbm.achievable_fraction?=0.78");
  CHECK(groqchip.resolved.findPath("chip.memory.hbm") == nullptr);
  REQUIRE_FALSE(groqchip.warnings.empty());
  CHECK(groqchip.warnings[0].message.find("skipped: there is no 'chip.memory.hbm' here") !=
        std::string::npos);
  // Routing reads the key before '?='.
  std::vector<std::string> system, scenario;
  routeAssignments({"batch?=4", "chip.clock?=1 GHz"}, system, scenario);
  CHECK(scenario == std::vector<std::string>{"batch?=4"});
  CHECK(system == std::vector<std::string>{"chip.clock?=1 GHz"});
}
