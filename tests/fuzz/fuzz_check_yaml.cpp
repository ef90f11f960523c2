// Every YAML document kind through `archsim check`: chip, system, model, scenario, run, sweep,
// regress, validation and calibration files (seeds: configs/, workloads/, tests/bad_inputs/).
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = archsim::fuzz::inputFile(".yaml");
  archsim::fuzz::checkFile(data, size, file);
  return 0;
}
