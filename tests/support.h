// Shared helpers for tests: the preset catalog and inline-YAML validation.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/core/bandwidth_server.h"
#include "sim/core/error.h"
#include "sim/core/simulation.h"
#include "sim/spec/catalog.h"
#include "sim/spec/chip_reader.h"
#include "sim/spec/config_node.h"
#include "sim/spec/loader.h"
#include "sim/spec/reader.h"
#include "sim/spec/system_reader.h"

namespace archsim::test {

inline std::filesystem::path sourceDir() {
  return ARCHSIM_SOURCE_DIR;
}
inline spec::Catalog presetCatalog() {
  return spec::Catalog({sourceDir()});
}

/// A system and a scenario loaded from presets (or files) with --set assignments for the scenario.
struct Loaded {
  spec::LoadedSystem system;
  spec::LoadedScenario scenario;
};
inline Loaded load(const std::string& system, const std::string& scenario,
                   const std::vector<std::string>& sets = {}) {
  const spec::Catalog catalog = presetCatalog();
  return {spec::loadSystem(catalog, system), spec::loadScenario(catalog, scenario, sets)};
}

/// A file's bytes ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A new, empty directory of its own under the system temp directory (mkdtemp): a test never meets
/// the leftovers of an earlier run that had the same pid. The test removes it when done.
inline std::filesystem::path freshDir(const std::string& prefix) {
  std::string name = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  REQUIRE_MESSAGE(::mkdtemp(name.data()) != nullptr, "mkdtemp failed for " << name);
  return name;
}

/// A system written inline (its chip and bases come from the presets).
inline spec::SystemSpec systemFromYaml(const std::string& yaml) {
  const auto dir = freshDir("archsim-system");
  const auto file = dir / "system.yaml";
  std::ofstream(file) << yaml;
  spec::SystemSpec s = spec::loadSystemFile(presetCatalog(), file).spec;
  std::filesystem::remove_all(dir);
  return s;
}

/// A ring of `n` H100s: 2 links of 100 GB/s per chip, one to each neighbour (1 us latency).
inline spec::SystemSpec ringSystem(int n, const std::string& collectives = "") {
  return systemFromYaml(fmt::format(
      "kind: system\nname: ring\nchip: h100-sxm5\nlevels:\n  ring: {{size: {}, topology: ring, "
      "link: {{kind: c2c, links: {}, link_bandwidth: 100 GB/s, latency: 1 us}}}}\n{}",
      n, n > 2 ? 2 : 1, collectives));
}

/// Records (tick, arg) of every completion event it receives.
struct Recorder {
  Simulation& sim;
  std::vector<std::pair<Tick, std::uint64_t>> done;
  void on(std::uint64_t arg) { done.emplace_back(sim.now(), arg); }
};

/// A small valid chip; tests append or override keys to break one thing at a time.
inline const char* kTinyChip = R"(kind: chip
name: Tiny
clock: 1 GHz
compute:
  matrix: {units: 4, peak: {bf16: 8 TFLOPS}}
  vector: {units: 4, peak: {fp32: 1 TFLOPS}}
memory:
  sram: {kind: sram, size: 64 MiB, bandwidth: 10 TB/s, latency: 5 ns}
  dram: {kind: dram, technology: hbm3, size: 16 GB, channels: 8, channel_bandwidth: 100 GB/s, latency: 100 ns}
execution: {style: kernel, launch_overhead: 2 us}
power: {tdp: 100 W, static: 10 W}
)";

struct ChipResult {
  spec::ChipSpec chip;
  std::vector<Diagnostic> errors;
};

/// Parses, resolves `base:` against the presets, and validates a chip written inline.
inline ChipResult readChipText(const std::string& yaml) {
  ChipResult out;
  try {
    spec::ConfigNode node = presetCatalog().resolveBase(spec::DocKind::kChip,
                                                        spec::parseYaml(yaml, "t.yaml"), "t.yaml");
    spec::Diagnostics diags;
    out.chip = spec::readChip(node, "", diags);
    out.errors = diags.list();
  } catch (const ConfigError& e) {
    out.errors = e.diagnostics();
  }
  return out;
}

/// True when some diagnostic names `key_path` and contains `text`.
inline bool hasError(const std::vector<Diagnostic>& errors, const std::string& key_path,
                     const std::string& text) {
  for (const auto& d : errors) {
    if (d.key_path == key_path && d.message.find(text) != std::string::npos) return true;
  }
  return false;
}

inline std::string dump(const std::vector<Diagnostic>& errors) {
  std::string s;
  for (const auto& d : errors)
    s += d.str() + "\n";
  return s;
}

/// A one-chip system of a chip written inline (which must read without errors).
inline spec::SystemSpec inlineSystem(const std::string& chip_yaml) {
  const ChipResult c = readChipText(chip_yaml);
  REQUIRE_MESSAGE(c.errors.empty(), dump(c.errors));
  spec::SystemSpec s;
  s.name = "test";
  s.chip = c.chip;
  return s;
}

}  // namespace archsim::test
