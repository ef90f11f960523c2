// Entry points that turn what a user names on the command line into validated specs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/spec/catalog.h"
#include "sim/spec/chip_spec.h"
#include "sim/spec/config_node.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::spec {

struct LoadedSystem {
  SystemSpec spec;
  /// The system after bases, the chip reference and --set overrides: feeding it back reproduces it.
  ConfigNode resolved;
  std::vector<Diagnostic> warnings;
  std::vector<std::string> skipped;  // conditional --set (path?=value) with no such key here
};

struct LoadedScenario {
  ScenarioSpec spec;
  /// The scenario after bases, the model reference and --set overrides.
  ConfigNode resolved;
  std::vector<Diagnostic> warnings;
  std::vector<std::string> skipped;  // conditional --set (path?=value) with no such key here
};

/// Loads a system from a system or chip file path, or a system or chip preset name (systems are
/// searched first). A chip on its own becomes a one-chip system named after it. `assignments` are
/// --set "path.to.key=value" overrides applied to the resolved system tree (a chip is under
/// `chip.`); one that would create a memory level, a port or a system level key by key is an
/// error naming the chip, and "path.to.key?=value" applies only where the key's parent exists
/// (skipped, with a warning, elsewhere). Throws ConfigError with every problem found.
LoadedSystem loadSystem(const Catalog& catalog, std::string_view ref,
                        const std::vector<std::string>& assignments = {});
/// Same, for a file known to exist (a system or a chip description).
LoadedSystem loadSystemFile(const Catalog& catalog, const std::filesystem::path& file,
                            const std::vector<std::string>& assignments = {});

/// Loads a scenario from a preset name or a file. Its `model:` (a model preset, a YAML or
/// Hugging Face config.json path, or an inline mapping with optional `base:`) and its `software:`
/// (a software preset, a path or an inline mapping) are inlined, then `assignments` apply (the
/// model is under `model.`, the software stack under `software.`; `model=` and `software=` swap
/// the reference before it is inlined).
LoadedScenario loadScenario(const Catalog& catalog, std::string_view ref,
                            const std::vector<std::string>& assignments = {});

/// Loads a scenario from a parsed document (`file`: where it was written, for relative paths and
/// messages), as loadScenario() does for a file.
LoadedScenario loadScenarioDocument(const Catalog& catalog, ConfigNode document,
                                    const std::filesystem::path& file,
                                    const std::vector<std::string>& assignments = {});

struct LoadedRun {
  LoadedSystem system;
  LoadedScenario scenario;
};
/// Whether `file` is a run file (`kind: run`): a system and a scenario in one, as a run record's
/// config.resolved.yaml.
bool isRunFile(const std::filesystem::path& file);
/// Loads a run file: its `system:` and `scenario:` mappings (full descriptions; `base:` allowed),
/// with --set assignments for each.
LoadedRun loadRunFile(const Catalog& catalog, const std::filesystem::path& file,
                      const std::vector<std::string>& system_assignments,
                      const std::vector<std::string>& scenario_assignments);
/// The run file of a loaded system and scenario (what config.resolved.yaml holds).
std::string runFileYaml(const LoadedSystem& system, const LoadedScenario& scenario);

/// Whether a --set path's first key (`chip`, `levels`, `chips`, `collectives`) belongs to a system.
bool isSystemKey(std::string_view key);
/// Splits --set assignments between a run's system and scenario by their first key (`chip.`,
/// `levels.`, `collectives.` go to the system; `batch`, `model.` ... to the scenario); `system.`
/// and `scenario.` prefixes say it explicitly. Throws ConfigError for a key that fits neither.
void routeAssignments(const std::vector<std::string>& sets, std::vector<std::string>& system,
                      std::vector<std::string>& scenario);

struct CheckResult {
  std::string summary;  // "chip H100-SXM5-80GB"
  std::vector<Diagnostic> warnings;
};

/// Validates one chip, system, software, model or scenario file (kind from its `kind:` key; a .json
/// file is a Hugging Face model config). Throws ConfigError with every problem found.
CheckResult checkFile(const Catalog& catalog, const std::string& path);

}  // namespace archsim::spec
