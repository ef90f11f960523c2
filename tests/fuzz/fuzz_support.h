// Shared by the fuzz targets: run `archsim check` on the input written to a file, and treat
// anything but exit 0 (valid) or 2 (a located input error) as a finding.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "sim/app/app.h"

namespace archsim::fuzz {

/// A private folder for this process's input file (removed by the OS's tmp cleaning, never
/// anything else: the fuzzer only ever writes one file in it).
inline std::filesystem::path inputFile(const char* extension) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("archsim-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / (std::string("input") + extension);
}

inline void writeFile(const std::filesystem::path& file, std::string_view content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

/// Runs archsim with `args` (args[0] is "archsim"). Exit codes other than 0 and 2 abort, so
/// libFuzzer records the input as a crash.
inline void runArchsim(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = app::run(static_cast<int>(argv.size()), argv.data(), out, err, app::Context{});
  if (code != 0 && code != 2) {
    std::fprintf(stderr, "archsim %s exited %d:\n%s\n", args.at(1).c_str(), code,
                 err.str().c_str());
    std::abort();
  }
}

/// `archsim check` on the input written to `file`.
inline void checkFile(const std::uint8_t* data, std::size_t size,
                      const std::filesystem::path& file) {
  writeFile(file, std::string_view(reinterpret_cast<const char*>(data), size));
  runArchsim({"archsim", "check", file.string()});
}

}  // namespace archsim::fuzz
