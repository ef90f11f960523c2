#include "sim/app/describe.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/hw/roofline.h"
#include "sim/spec/units.h"

namespace archsim::app {
namespace {
using spec::Dimension;
using spec::formatQuantity;

std::string ops(double value, spec::DType t) {
  return spec::formatOpsPerSecond(value, !spec::isIntegerDType(t));
}

void describeCompute(const char* title, const spec::ComputeSpec& c, double clock_hz,
                     std::ostream& out) {
  out << fmt::format("  {} units: {}", title, c.units);
  if (c.array_rows > 0) {
    out << fmt::format(" ({}x{} arrays", c.array_rows, c.array_cols);
    if (c.array_cell > 1) out << fmt::format(" of {}x{} cells", c.array_cell, c.array_cell);
    out << ")";
  }
  if (c.weight_feed_bytes_per_s > 0) {
    out << ", weight feed " << formatQuantity(c.weight_feed_bytes_per_s, Dimension::kBandwidth);
  }
  if (c.sparsity_speedup > 1.0)
    out << fmt::format(", structured sparsity x{:g}", c.sparsity_speedup);
  out << '\n';
  for (const auto& [t, peak] : c.peak_ops_per_s) {
    out << fmt::format("    {:<5} {:>14}   {:>8.4g} MAC/cycle/unit   {:.0f}% achievable\n",
                       spec::dtypeName(t), ops(peak, t), c.macsPerCyclePerUnit(t, clock_hz),
                       100.0 * c.achievable(t));
  }
  for (const auto& [t, sparse] : c.sparse_peak_ops_per_s) {
    out << fmt::format("    {:<5} {:>14}   quoted peak counting sparsity (not used)\n",
                       spec::dtypeName(t), ops(sparse, t));
  }
}

void describeChip(const spec::ChipSpec& chip, std::ostream& out) {
  out << fmt::format("chip {}", chip.name);
  if (!chip.description.empty()) out << " — " << chip.description;
  out << '\n';
  out << fmt::format("  clock {}, execution {}",
                     formatQuantity(chip.clock_hz, Dimension::kFrequency),
                     spec::executionStyleName(chip.execution.style));
  if (chip.execution.style == spec::ExecutionStyle::kKernel) {
    out << fmt::format(
        " (launch overhead {})",
        formatQuantity(ticksToSeconds(chip.execution.launch_overhead_ps), Dimension::kTime));
  }
  if (chip.execution.mapping == spec::Mapping::kSpatial) {
    out << fmt::format(
        ", spatial mapping (fabric: {} a hop, {} a link)",
        formatQuantity(ticksToSeconds(chip.execution.fabric.hop_ps), Dimension::kTime),
        formatQuantity(chip.execution.fabric.link_bytes_per_s, Dimension::kBandwidth));
  }
  if (chip.execution.operand_transit_cycles > 0)
    out << fmt::format(", {} cycles of operand transit an op",
                       chip.execution.operand_transit_cycles);
  out << '\n';
  describeCompute("matrix", chip.matrix, chip.clock_hz, out);
  describeCompute("vector", chip.vector, chip.clock_hz, out);

  out << "  memory levels, near -> far:\n";
  out << fmt::format("    {:<8} {:<6} {:>11} {:>12} {:>11} {:>10}  {}\n", "level", "kind", "size",
                     "bandwidth", "achievable", "latency", "detail");
  for (const auto& m : chip.memory) {
    std::string detail;
    if (m.instances > 1) {
      detail += fmt::format(
          "{} x {}", m.instances,
          formatQuantity(static_cast<double>(m.size_bytes) / m.instances, Dimension::kSize));
    }
    if (m.cache) {
      detail +=
          fmt::format("{}{} lines, {}", detail.empty() ? "" : "; ",
                      formatQuantity(static_cast<double>(m.cache->line_bytes), Dimension::kSize),
                      spec::policyName(m.cache->policy));
    }
    if (m.dram) {
      detail += fmt::format("{} {} channels x {}", m.dram->technology, m.dram->channels,
                            formatQuantity(m.dram->channel_bytes_per_s, Dimension::kBandwidth));
      if (m.dram->stacks > 0) detail += fmt::format(" ({} stacks)", m.dram->stacks);
      if (m.dram->ecc == spec::Ecc::kInline) detail += ", inline ECC (15/16 of it data)";
    }
    out << fmt::format("    {:<8} {:<6} {:>11} {:>12} {:>10.1f}% {:>10}  {}\n", m.name,
                       spec::memoryKindName(m.kind),
                       formatQuantity(static_cast<double>(m.size_bytes), Dimension::kSize),
                       formatQuantity(m.bandwidth_bytes_per_s, Dimension::kBandwidth),
                       100.0 * m.achievable_fraction,
                       formatQuantity(ticksToSeconds(m.latency_ps), Dimension::kTime), detail);
  }
  if (chip.mainMemory() == nullptr) out << "    (no HBM/DRAM level: everything lives on chip)\n";
  if (const spec::MemoryLevelSpec* main = chip.mainMemory();
      main != nullptr && chip.matrix.bytes_in_flight > 0 && main->latency_ps > 0) {
    // Little's law: what a unit keeps outstanding, over the time each byte is outstanding.
    const double per_unit =
        static_cast<double>(chip.matrix.bytes_in_flight) / ticksToSeconds(main->latency_ps);
    out << fmt::format(
        "  memory-level parallelism: {} in flight a matrix unit = {} a unit from {}, {} over all "
        "{}\n",
        formatQuantity(static_cast<double>(chip.matrix.bytes_in_flight), Dimension::kSize),
        formatQuantity(per_unit, Dimension::kBandwidth), main->name,
        formatQuantity(per_unit * chip.matrix.units, Dimension::kBandwidth), chip.matrix.units);
  }

  out << "  roofline knee, FLOP/B (OP/B for integer types) at peak [achievable] bandwidth:\n";
  out << fmt::format("    {:<5}", "dtype");
  for (const auto& m : chip.memory)
    out << fmt::format(" {:>18}", m.name);
  out << '\n';
  const auto knees = hw::rooflineKnees(chip);
  for (std::size_t i = 0; i < knees.size(); i += chip.memory.size()) {
    out << fmt::format("    {:<5}", spec::dtypeName(knees[i].dtype));
    for (std::size_t j = 0; j < chip.memory.size(); ++j) {
      const auto& k = knees[i + j];
      out << fmt::format(" {:>18}",
                         fmt::format("{:.4g} [{:.4g}]", k.ops_per_byte, k.ops_per_byte_achievable));
    }
    out << '\n';
  }

  if (!chip.ports.empty()) out << "  interconnect ports:\n";
  for (const auto& p : chip.ports) {
    out << fmt::format(
        "    {:<10} {:<15} {:>3} link{} x {} per direction = {} per direction, latency {}\n",
        p.name, spec::portKindName(p.kind), p.links, p.links == 1 ? " " : "s",
        formatQuantity(p.link_bytes_per_s, Dimension::kBandwidth),
        formatQuantity(p.bytesPerSecondPerDirection(), Dimension::kBandwidth),
        formatQuantity(ticksToSeconds(p.latency_ps), Dimension::kTime));
  }
  out << fmt::format("  power: TDP {}, static {}",
                     formatQuantity(chip.power.tdp_w, Dimension::kPower),
                     formatQuantity(chip.power.static_w, Dimension::kPower));
  if (chip.power.unit_active_w > 0) {
    out << fmt::format(", {} per unit holding a tile",
                       formatQuantity(chip.power.unit_active_w, Dimension::kPower));
  }
  out << "\n";
}

nlohmann::ordered_json computeJson(const spec::ComputeSpec& c, double clock_hz) {
  nlohmann::ordered_json j;
  j["units"] = c.units;
  for (const auto& [t, peak] : c.peak_ops_per_s) {
    j["peak_ops_per_s"][std::string(spec::dtypeName(t))] = peak;
    j["macs_per_cycle_per_unit"][std::string(spec::dtypeName(t))] =
        c.macsPerCyclePerUnit(t, clock_hz);
    j["achievable_fraction"][std::string(spec::dtypeName(t))] = c.achievable(t);
  }
  for (const auto& [t, sparse] : c.sparse_peak_ops_per_s)
    j["sparse_peak_ops_per_s"][std::string(spec::dtypeName(t))] = sparse;
  if (c.array_rows > 0) {
    j["array"] = {{"rows", c.array_rows}, {"cols", c.array_cols}, {"cell", c.array_cell}};
  }
  j["weight_feed_bytes_per_s"] = c.weight_feed_bytes_per_s;
  j["bytes_in_flight"] = c.bytes_in_flight;
  return j;
}

}  // namespace

void describeText(const spec::SystemSpec& system, std::ostream& out) {
  const std::uint64_t n = system.chipCount();
  out << fmt::format("system {}: {} x {}", system.name, n, system.chip.name);
  if (!system.description.empty()) out << " — " << system.description;
  out << "\n\n";
  describeChip(system.chip, out);
  out << '\n';
  if (!system.levels.empty()) out << "system levels, innermost first:\n";
  for (const auto& l : system.levels) {
    out << fmt::format("  {:<8} {:>4} members, {}", l.name, l.size, spec::topologyName(l.topology));
    if (!l.dims.empty()) {
      std::string dims;
      for (auto d : l.dims) {
        if (!dims.empty()) dims += 'x';
        dims += std::to_string(d);
      }
      out << " " << dims;
    }
    out << fmt::format("; per chip {} x {} {} = {} per direction, latency {}, achievable {:.0f}%",
                       l.link.links_per_chip,
                       formatQuantity(l.link.link_bytes_per_s, Dimension::kBandwidth),
                       spec::portKindName(l.link.kind),
                       formatQuantity(l.link.bytesPerSecondPerDirection(), Dimension::kBandwidth),
                       formatQuantity(ticksToSeconds(l.link.latency_ps), Dimension::kTime),
                       100.0 * l.link.achievable_fraction);
    if (l.switch_spec && l.switch_spec->bytes_per_s > 0) {
      out << fmt::format("; switch {}",
                         formatQuantity(l.switch_spec->bytes_per_s, Dimension::kBandwidth));
    }
    out << '\n';
  }
  const double chips = static_cast<double>(n);
  out << fmt::format("system totals ({} chip{}):\n", n, n == 1 ? "" : "s");
  for (const auto& [t, peak] : system.chip.matrix.peak_ops_per_s) {
    out << fmt::format("  peak {:<5} {}\n", spec::dtypeName(t), ops(peak * chips, t));
  }
  for (const auto& m : system.chip.memory) {
    out << fmt::format("  {:<10} {:>11} at {}\n", m.name,
                       formatQuantity(static_cast<double>(m.size_bytes) * chips, Dimension::kSize),
                       formatQuantity(m.bandwidth_bytes_per_s * chips, Dimension::kBandwidth));
  }
  out << fmt::format("  TDP        {:>11}\n",
                     formatQuantity(system.chip.power.tdp_w * chips, Dimension::kPower));
}

nlohmann::ordered_json describeJson(const spec::SystemSpec& system) {
  const spec::ChipSpec& chip = system.chip;
  nlohmann::ordered_json j;
  j["system"] = system.name;
  j["chips"] = system.chipCount();
  nlohmann::ordered_json& c = j["chip"];
  c["name"] = chip.name;
  c["clock_hz"] = chip.clock_hz;
  c["execution"] = spec::executionStyleName(chip.execution.style);
  c["launch_overhead_s"] = ticksToSeconds(chip.execution.launch_overhead_ps);
  c["mapping"] = spec::nameOf(spec::kMappingNames, chip.execution.mapping);
  if (chip.execution.mapping == spec::Mapping::kSpatial) {
    c["fabric"] = {{"hop_latency_s", ticksToSeconds(chip.execution.fabric.hop_ps)},
                   {"link_bytes_per_s", chip.execution.fabric.link_bytes_per_s}};
  }
  c["operand_transit_cycles"] = chip.execution.operand_transit_cycles;
  c["matrix"] = computeJson(chip.matrix, chip.clock_hz);
  c["vector"] = computeJson(chip.vector, chip.clock_hz);
  c["memory"] = nlohmann::ordered_json::array();
  for (const auto& m : chip.memory) {
    c["memory"].push_back({{"name", m.name},
                           {"kind", spec::memoryKindName(m.kind)},
                           {"size_bytes", m.size_bytes},
                           {"bandwidth_bytes_per_s", m.bandwidth_bytes_per_s},
                           {"achievable_fraction", m.achievable_fraction},
                           {"latency_s", ticksToSeconds(m.latency_ps)}});
  }
  c["knees"] = nlohmann::ordered_json::array();
  for (const auto& k : hw::rooflineKnees(chip)) {
    c["knees"].push_back({{"dtype", spec::dtypeName(k.dtype)},
                          {"level", k.level},
                          {"ops_per_byte", k.ops_per_byte},
                          {"ops_per_byte_achievable", k.ops_per_byte_achievable}});
  }
  c["ports"] = nlohmann::ordered_json::array();
  for (const auto& p : chip.ports) {
    c["ports"].push_back({{"name", p.name},
                          {"kind", spec::portKindName(p.kind)},
                          {"links", p.links},
                          {"link_bytes_per_s", p.link_bytes_per_s},
                          {"latency_s", ticksToSeconds(p.latency_ps)}});
  }
  c["tdp_w"] = chip.power.tdp_w;
  c["static_w"] = chip.power.static_w;
  c["unit_active_w"] = chip.power.unit_active_w;
  j["levels"] = nlohmann::ordered_json::array();
  for (const auto& l : system.levels) {
    j["levels"].push_back({{"name", l.name},
                           {"size", l.size},
                           {"topology", spec::topologyName(l.topology)},
                           {"links_per_chip", l.link.links_per_chip},
                           {"link_bytes_per_s", l.link.link_bytes_per_s},
                           {"latency_s", ticksToSeconds(l.link.latency_ps)}});
  }
  return j;
}

}  // namespace archsim::app
