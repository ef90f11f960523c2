#include "sim/app/progress.h"

#include <algorithm>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/spec/units.h"

namespace archsim::app {

ProgressBar::ProgressBar(std::ostream& err, bool quiet)
    : err_(err),
      enabled_(!quiet && &err == &std::cerr && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressBar::update(const exec::Progress& p) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(100))
    return;
  last_ = now;
  const double wall = std::chrono::duration<double>(now - start_).count();
  const double fraction =
      p.ops_total == 0
          ? 0.0
          : std::min(1.0, static_cast<double>(p.ops_done) / static_cast<double>(p.ops_total));
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  err_ << fmt::format("\r[{}{}] chip {}/{}  ops {}/{}  simulated {}  {:.3g} M events/s ",
                      std::string(filled, '#'), std::string(kWidth - filled, '.'), p.chip + 1,
                      p.chips, p.ops_done, p.ops_total,
                      spec::formatQuantity(ticksToSeconds(p.now), spec::Dimension::kTime),
                      static_cast<double>(p.events) / wall / 1e6)
       << std::flush;
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace archsim::app
