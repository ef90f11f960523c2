// Where a run's time, bytes and energy went: the figures stats.json, summary.md and report.html
// share, computed once from a SystemRun.
//
// Scope: op times are one microbatch on one tensor-parallel rank of each pipeline stage (what the
// simulated chips ran); bytes, cache figures and energy are totals over every chip of the plan;
// resource utilization is per simulated chip over its measured window.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/run/system_run.h"

namespace archsim::report {

struct ResourceUse {
  std::string group;  // "compute", "memory", "link"
  std::string name;
  std::string unit;  // of capacity: "units" or "B/s"
  double capacity = 0;
  std::uint64_t bytes = 0;
  double busy_s = 0;       // busy server-time / servers: time at full capacity
  double utilization = 0;  // busy_s / window_s
  bool own = true;         // the chip's own resource (see exec::ResourceTrack)
  const Activity* activity = nullptr;
};

struct ChipUse {
  std::size_t chip = 0;   // index of the simulated chip
  std::size_t stage = 0;  // the first pipeline stage it stands for
  std::string name;       // "chip0"
  Tick window_start = 0;  // its measured window, in its own simulation's ticks
  Tick window_end = 0;
  std::vector<ResourceUse> resources;
  double windowSeconds() const { return ticksToSeconds(window_end - window_start); }
};

struct EnergyPart {
  std::string component;
  double joules = 0;
};

struct Breakdown {
  std::vector<std::pair<std::string, double>> time_by_kind_s;   // by op kind, sorted by name
  std::vector<std::pair<std::string, double>> time_by_bound_s;  // by bound, sorted by name
  std::vector<ChipUse> chips;                                   // per simulated chip
  /// Totals per memory level (index order) and role (weight, activation, kv, output, writeback).
  std::vector<std::pair<std::string, std::array<std::uint64_t, exec::kRoles + 1>>>
      bytes_by_level_role;
  std::vector<EnergyPart> energy;  // compute, each memory level, links, static; sums to the total
};

Breakdown breakdown(const run::SystemRun& run);

/// An op among the longest of a run, with what it achieved.
struct TopOp {
  const exec::OpRecord* op;
  std::string label;  // "s3:decode:L12.qkv" ("s<stage>:" only for multi-stage plans)
  double time_s;
  double flops_per_s;
  double bytes_per_s;  // memory traffic, plus network bytes for collectives
};
/// The `n` ops with the most time, longest first (ties in record order).
std::vector<TopOp> topOps(const run::SystemRun& run, std::size_t n);

/// "weight", "activation", "kv", "output", "writeback" by index.
std::string roleColumnName(std::size_t role);

/// Arithmetic intensity of an op for the roofline: its FLOPs per byte moved at the chip's main
/// memory (DRAM, or the SRAM that holds weights on an SRAM-only chip); ops with no traffic there
/// use their farthest level with traffic. 0 when the op moved no bytes. `level` receives that
/// level.
double opIntensity(const exec::OpRecord& op, const spec::ChipSpec& chip,
                   std::string* level = nullptr);

}  // namespace archsim::report
