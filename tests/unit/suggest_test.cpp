#include "sim/spec/suggest.h"

#include <doctest/doctest.h>

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
