// Catalog: finds presets by name and loads documents with `base:` inheritance resolved.
//
// A preset is <root>/<kind folder>/<name>.yaml under one of the catalog's roots (searched in
// order): configs/chips, configs/systems, configs/software, workloads/models, workloads/scenarios.
// A reference that contains '/' or ends in .yaml/.yml (or .json for models) is a file path instead,
// relative to the file that mentions it (or to the working directory on the command line).
// Documents name their kind at the top (`kind: chip`); a `base:` of the same kind is loaded first
// and the document merged over it. Cyclic bases are an error naming the cycle.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/spec/config_node.h"
#include "sim/spec/names.h"

namespace archsim::spec {

enum class DocKind { kChip, kSystem, kSoftware, kModel, kScenario };
/// The names are also the values of a document's `kind:` key.
inline constexpr NameTable<DocKind, 5> kDocKindNames{{{"chip", DocKind::kChip},
                                                      {"system", DocKind::kSystem},
                                                      {"software", DocKind::kSoftware},
                                                      {"model", DocKind::kModel},
                                                      {"scenario", DocKind::kScenario}}};
inline constexpr auto kAllDocKinds = valuesOf(kDocKindNames);
std::string_view docKindName(DocKind k);
/// The folder under a catalog root holding presets of this kind: "configs/chips", ...
std::string_view docKindFolder(DocKind k);
/// "chips", "systems", "software", "models", "scenarios" (`archsim list KIND`).
std::string docKindPlural(DocKind k);

class Catalog {
 public:
  /// roots: folders that contain configs/ and workloads/ (later roots are searched only when
  /// earlier ones lack a preset). Missing folders are skipped.
  explicit Catalog(std::vector<std::filesystem::path> roots);

  const std::vector<std::filesystem::path>& roots() const { return roots_; }
  std::optional<std::filesystem::path> findPreset(DocKind kind, std::string_view name) const;
  /// Sorted, de-duplicated preset names of a kind.
  std::vector<std::string> presetNames(DocKind kind) const;

  static bool looksLikePath(std::string_view ref);

  /// Resolves `ref` (preset name or path) to a file; ConfigError located at `where` when it does
  /// not exist (with a did-you-mean over preset names).
  std::filesystem::path resolve(DocKind kind, std::string_view ref, const Location& where,
                                const std::filesystem::path& relative_to) const;

  /// Loads the document `ref` refers to, checks its `kind:`, resolves its `base:` chain and returns
  /// the merged tree (without `base`).
  ConfigNode load(DocKind kind, std::string_view ref, const Location& where,
                  const std::filesystem::path& relative_to) const;
  /// Same, for a file already known to be of `kind`.
  ConfigNode loadFile(DocKind kind, const std::filesystem::path& file) const;
  /// Resolves the `base:` chain of an already parsed document of `kind` (file: where it came from).
  ConfigNode resolveBase(DocKind kind, ConfigNode document,
                         const std::filesystem::path& file) const;

 private:
  ConfigNode loadChained(DocKind kind, const std::filesystem::path& file,
                         std::vector<std::filesystem::path>& chain) const;
  ConfigNode resolveChained(DocKind kind, ConfigNode document, const std::filesystem::path& file,
                            std::vector<std::filesystem::path>& chain) const;

  std::vector<std::filesystem::path> roots_;
};

/// The `kind:` of a parsed document; ConfigError when missing or unknown.
DocKind documentKind(const ConfigNode& document);

}  // namespace archsim::spec
