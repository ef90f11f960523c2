// The archsim executable: everything lives in archsim::app::run.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "sim/app/app.h"

int main(int argc, char** argv) {
  archsim::app::Context context;
  std::error_code ec;
  context.executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) context.executable = argv[0];
  if (const char* env = std::getenv("ARCHSIM_PRESETS")) context.presets_env = env;
  return archsim::app::run(argc, argv, std::cout, std::cerr, context);
}
