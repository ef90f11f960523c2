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
#include <unistd.h>

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

/// Exit codes other than 0 and 2 abort, so libFuzzer records the input as a crash.
inline void checkFile(const std::uint8_t* data, std::size_t size,
                      const std::filesystem::path& file) {
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const std::string path = file.string();
  const char* argv[] = {"archsim", "check", path.c_str()};
  std::ostringstream out, err;
  const int code = app::run(3, argv, out, err, app::Context{});
  if (code != 0 && code != 2) {
    std::fprintf(stderr, "archsim check exited %d:\n%s\n", code, err.str().c_str());
    std::abort();
  }
}

}  // namespace archsim::fuzz
