// `--set` parsing and application: each input line (up to 8) is one override of the H100 preset,
// resolved, checked and described by `archsim describe` (no simulation).
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args = {"archsim", "describe", "h100-sxm5"};
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  std::string line;
  for (int n = 0; n < 8 && std::getline(lines, line); ++n) {
    args.push_back("--set");
    args.push_back(line);
  }
  archsim::fuzz::runArchsim(args);
  return 0;
}
