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

std::string_view memoryKindName(MemoryKind k) {
  switch (k) {
    case MemoryKind::kSram:
      return "sram";
    case MemoryKind::kCache:
      return "cache";
    case MemoryKind::kDram:
      return "dram";
    case MemoryKind::kHost:
      return "host";
  }
  return "?";
}

std::string_view policyName(ReplacementPolicy p) {
  switch (p) {
    case ReplacementPolicy::kLru:
      return "lru";
    case ReplacementPolicy::kFifo:
      return "fifo";
    case ReplacementPolicy::kRandom:
      return "random";
  }
  return "?";
}

const std::vector<std::pair<std::string_view, PortKind>>& portKindTable() {
  static const std::vector<std::pair<std::string_view, PortKind>> table{
      {"nvlink", PortKind::kNvlink},
      {"infinity_fabric", PortKind::kInfinityFabric},
      {"c2c", PortKind::kC2c},
      {"ici", PortKind::kIci},
      {"pcie", PortKind::kPcie},
      {"ethernet", PortKind::kEthernet},
      {"infiniband", PortKind::kInfiniband},
      {"fabric", PortKind::kFabric},
  };
  return table;
}

std::string_view portKindName(PortKind k) {
  for (const auto& [name, kind] : portKindTable()) {
    if (kind == k) return name;
  }
  return "?";
}

std::string_view executionStyleName(ExecutionStyle s) {
  return s == ExecutionStyle::kKernel ? "kernel" : "dataflow";
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
