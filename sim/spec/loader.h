// Entry points that turn what a user names on the command line into validated specs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/spec/catalog.h"
#include "sim/spec/chip_spec.h"
#include "sim/spec/config_node.h"
#include "sim/spec/system_spec.h"

namespace archsim::spec {

struct LoadedSystem {
  SystemSpec spec;
  /// The system after bases, the chip reference and --set overrides: feeding it back reproduces it.
  ConfigNode resolved;
};

/// Loads a system from a system or chip file path, or a system or chip preset name (systems are
/// searched first). A chip on its own becomes a one-chip system named after it. `assignments` are
/// --set "path.to.key=value" overrides applied to the resolved system tree (a chip is under
/// `chip.`). Throws ConfigError with every problem found.
LoadedSystem loadSystem(const Catalog& catalog, std::string_view ref,
                        const std::vector<std::string>& assignments = {});

/// Same, for a file known to exist (a system or a chip description).
LoadedSystem loadSystemFile(const Catalog& catalog, const std::filesystem::path& file,
                            const std::vector<std::string>& assignments = {});

/// Validates one chip or system file (kind taken from its `kind:` key). Returns a one-line summary
/// ("chip H100-SXM5-80GB"); throws ConfigError with every problem found.
std::string checkFile(const Catalog& catalog, const std::string& path);

}  // namespace archsim::spec
