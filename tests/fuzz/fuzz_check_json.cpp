// The Hugging Face config.json importer through `archsim check` (seeds: tests/bad_inputs/*.json,
// tests/data/hf/).
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = archsim::fuzz::inputFile(".json");
  archsim::fuzz::checkFile(data, size, file);
  return 0;
}
