// report.html: one self-contained page per run (inline SVG charts, no scripts, nothing fetched):
// the headline metrics and plan, the roofline of each simulated chip with every op plotted at its
// arithmetic intensity and achieved FLOP/s, time by op kind and by bound, resource utilization,
// memory traffic by level and tensor role, utilization over time, energy by component, top ops.
#pragma once

#include <string>

#include "sim/report/breakdown.h"
#include "sim/run/system_run.h"

namespace archsim::report {

/// Every chart is one <svg> inside a <figure class="chart">.
std::string reportHtml(const run::SystemRun& run, const Breakdown& breakdown,
                       const run::MetricIntervals* intervals = nullptr);

/// The page frame shared by run reports and comparison pages: a complete HTML document.
std::string htmlPage(const std::string& title, const std::string& body);

/// A time axis for a set of values in seconds: ("ms", 1e3), ("us", 1e6) or ("s", 1).
std::pair<std::string, double> timeUnit(double most_seconds);

}  // namespace archsim::report
