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
