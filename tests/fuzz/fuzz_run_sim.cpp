// Chip and system files as far as a simulation: the input, written as a YAML file, is the system
// of `archsim run FILE tiny-llama-decode` (seeds: configs/chips, configs/systems and the chip and
// system cases of tests/bad_inputs). `check` validates a document; this target also builds the
// simulated machine from it (stat names, topology routes, memory levels, tiling) and runs a decode
// step, where an input the readers let through could still reach an internal error.
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  static const fs::path file = archsim::fuzz::inputFile(".yaml");
  const fs::path out = file.parent_path() / "run";
  std::error_code ec;
  fs::remove_all(out, ec);  // this harness's own record, under its private directory
  archsim::fuzz::writeFile(file, std::string_view(reinterpret_cast<const char*>(data), size));
  archsim::fuzz::runArchsim(
      {"archsim", "run", file.string(), "tiny-llama-decode", "--quiet", "--out", out.string()});
  return 0;
}
