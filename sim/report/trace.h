// trace.json: the run in Chrome trace event format (opens in Perfetto, ui.perfetto.dev, or
// chrome://tracing).
//
// One process per simulated chip ("stage 3: chip24 (GroqChip)"); in it, op executions as complete
// ("X") slices on lanes of the unit kind that ran them (matrix ops, vector ops, collectives; an op
// overlapping another starts a new lane, so slices nest properly), with the op's figures as args;
// and counter tracks of what each resource had in use over time: compute units busy (%), each
// memory level's and each of the chip's links' bandwidth (GB/s). Times are microseconds from the
// start of the chip's measured window. At most kMaxSlices op slices are written: beyond that the
// trace keeps the earliest ones and says so in otherData (counters always cover the whole window).
#pragma once

#include <cstddef>
#include <string>

#include "sim/report/breakdown.h"
#include "sim/run/system_run.h"

namespace archsim::report {

inline constexpr std::size_t kMaxSlices = 50000;

std::string traceJson(const run::SystemRun& run, const Breakdown& breakdown,
                      std::size_t max_slices = kMaxSlices);

}  // namespace archsim::report
