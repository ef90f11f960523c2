#include "sim/spec/chip_spec.h"

namespace archsim::spec {

double ComputeSpec::macsPerCyclePerUnit(DType t, double clock_hz) const {
  const auto p = peak(t);
  if (!p || units == 0 || clock_hz <= 0) return 0.0;
  return *p / (2.0 * units * clock_hz);
}

std::optional<double> ComputeSpec::peak(DType t) const {
  const auto it = peak_ops_per_s.find(t);
  return it == peak_ops_per_s.end() ? std::nullopt : std::optional(it->second);
}

double ComputeSpec::achievable(DType t) const {
  const auto it = achievable_by_dtype.find(t);
  return it == achievable_by_dtype.end() ? achievable_fraction : it->second;
}

std::string_view memoryKindName(MemoryKind k) {
  return nameOf(kMemoryKindNames, k);
}

std::string_view policyName(ReplacementPolicy p) {
  return nameOf(kReplacementPolicyNames, p);
}

std::string_view portKindName(PortKind k) {
  return nameOf(kPortKindNames, k);
}

std::string_view executionStyleName(ExecutionStyle s) {
  return nameOf(kExecutionStyleNames, s);
}

const MemoryLevelSpec* ChipSpec::level(std::string_view level_name) const {
  for (const auto& m : memory) {
    if (m.name == level_name) return &m;
  }
  return nullptr;
}

const MemoryLevelSpec* ChipSpec::mainMemory() const {
  const auto i = mainMemoryIndex();
  return i ? &memory[*i] : nullptr;
}

std::optional<std::size_t> ChipSpec::mainMemoryIndex() const {
  for (std::size_t i = 0; i < memory.size(); ++i) {
    if (memory[i].kind == MemoryKind::kDram) return i;
  }
  return std::nullopt;
}

const PortSpec* ChipSpec::port(std::string_view port_name) const {
  for (const auto& p : ports) {
    if (p.name == port_name) return &p;
  }
  return nullptr;
}

std::uint64_t ChipSpec::onChipBytes() const {
  std::uint64_t total = 0;
  for (const auto& m : memory) {
    if (m.onChip()) total += m.size_bytes;
  }
  return total;
}

}  // namespace archsim::spec
