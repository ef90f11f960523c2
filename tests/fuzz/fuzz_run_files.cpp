// Files archsim reads back from its own output folders, as a user may hand-edit or truncate them:
// a sweep shard's manifest.json and point file (`archsim merge`) and a run's stats.json
// (`archsim diff`). The input up to its first NUL byte is the manifest and the stats.json; the rest
// (or, without a NUL, the same text) is the point file. Seeds: a real shard folder's files.
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  static const fs::path dir = archsim::fuzz::inputFile(".json").parent_path();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string first = input.substr(0, nul);
  const std::string second = nul == std::string::npos ? input : input.substr(nul + 1);
  const fs::path shard = dir / "shard", merged = dir / "merged", stats = dir / "stats.json";
  std::error_code ec;
  fs::remove_all(merged, ec);  // this harness's own folders, under its private directory
  fs::create_directories(shard / "points");
  archsim::fuzz::writeFile(shard / "manifest.json", first);
  archsim::fuzz::writeFile(shard / "points" / "000000.json", second);
  archsim::fuzz::writeFile(stats, first);
  archsim::fuzz::runArchsim({"archsim", "merge", shard.string(), "--out", merged.string()});
  archsim::fuzz::runArchsim({"archsim", "diff", stats.string(), stats.string()});
  return 0;
}
