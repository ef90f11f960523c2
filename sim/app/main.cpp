// The archsim executable: everything lives in archsim::app::run.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <signal.h>
#include <unistd.h>

#include "sim/app/app.h"

namespace {

/// Ctrl-C (SIGINT) or SIGTERM: say so on a fresh line, then die of the signal as the shell expects
/// (exit status 128 + signal). Records are written only after a run ends, each folder swapped in
/// with one atomic rename (core/atomic_file.h), so an interrupted run leaves no partial record and
/// an earlier record at the same place whole.
extern "C" void onInterrupt(int signal_number) {
  static constexpr char kMessage[] =
      "\narchsim: interrupted; what was in progress is not written (finished records stay whole)\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

int main(int argc, char** argv) {
  for (int s : {SIGINT, SIGTERM}) {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(s, &action, nullptr);
  }
  archsim::app::Context context;
  std::error_code ec;
  context.executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) context.executable = argv[0];
  if (const char* env = std::getenv("ARCHSIM_PRESETS")) context.presets_env = env;
  return archsim::app::run(argc, argv, std::cout, std::cerr, context);
}
