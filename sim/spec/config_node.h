// ConfigNode: a YAML document as a plain tree in which every node remembers where it came from.
//
// yaml-cpp stays private to config_node.cpp (STYLE.md rule 5). Files are parsed into this tree,
// trees are merged (`base:` inheritance, inline chip overrides) and patched (`--set`), and only
// then validated into *Spec structs. Because each node carries its own Location, an error in a
// merged document still names the file, line and column the offending value was written at.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.h"

namespace archsim::spec {

inline constexpr int kCommandLineLayer = 1'000'000;

class ConfigNode {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };

  static ConfigNode makeNull(Location location);
  static ConfigNode makeScalar(std::string value, Location location, bool quoted = false);
  static ConfigNode makeSequence(Location location);
  static ConfigNode makeMap(Location location);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::kNull; }
  bool isScalar() const { return kind_ == Kind::kScalar; }
  bool isSequence() const { return kind_ == Kind::kSequence; }
  bool isMap() const { return kind_ == Kind::kMap; }
  /// "a mapping", "a list", "a value", "nothing (null)" — for messages.
  std::string_view kindName() const;

  const Location& location() const { return location_; }
  const std::string& scalar() const { return scalar_; }
  /// True when the scalar was written in quotes (so 'true' is text, not a boolean).
  bool quoted() const { return quoted_; }

  /// Override layer the value came from: 0 for the deepest `base:`, higher for each file merged
  /// over it, kCommandLineLayer for --set. Cross-field errors are reported at the newest involved
  /// value.
  int layer() const { return layer_; }
  /// Sets the layer of this node and everything below it.
  void stampLayer(int layer);
  /// The highest layer in this subtree.
  int maxLayer() const;

  /// Map entries and sequence items, in document order. For map entries, key() and keyLocation()
  /// name the key.
  const std::vector<ConfigNode>& children() const { return children_; }
  std::vector<ConfigNode>& children() { return children_; }
  const std::string& key() const { return key_; }
  const Location& keyLocation() const { return key_location_; }

  /// Map lookup; nullptr when absent or when this is not a map.
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  /// Inserts or replaces a map entry (keeping its position when replacing).
  ConfigNode& set(std::string key, ConfigNode value, Location key_location);
  bool erase(std::string_view key);
  void append(ConfigNode item);
  /// Replaces this node's value (kind, scalar, children, location) but keeps its key.
  void assignValue(const ConfigNode& other);
  /// Descends a dotted path of map keys ("memory.hbm.channels"); nullptr when any step is missing.
  const ConfigNode* findPath(std::string_view dotted) const;

 private:
  Kind kind_ = Kind::kNull;
  Location location_;
  int layer_ = 0;
  std::string scalar_;
  bool quoted_ = false;
  std::string key_;
  Location key_location_;
  std::vector<ConfigNode> children_;
};

/// Input limits (README "Limits"): nesting depth of a document, nodes a document may expand to
/// (YAML aliases included) and the size of an input file.
inline constexpr int kMaxDepth = 64;
inline constexpr std::size_t kMaxNodes = 1'000'000;
inline constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{64} << 20;
/// Files in one `base:` chain (each link recurses once while resolving).
inline constexpr std::size_t kMaxBaseDepth = 64;

/// Parses YAML text. `file` is used in locations. Throws ConfigError for syntax errors, duplicate
/// keys, non-scalar keys, binary data, nesting deeper than kMaxDepth levels and documents that
/// expand past kMaxNodes nodes.
ConfigNode parseYaml(const std::string& text, const std::string& file);
/// The text of an input file: a regular file of at most kMaxInputFileBytes (devices, FIFOs and
/// sockets are refused, since reading them may never end). `what` names the expected content in
/// errors ("a YAML file"). Throws ConfigError.
std::string readInputFile(const std::filesystem::path& path, std::string_view what);
/// Reads and parses a file. Throws ConfigError when it cannot be read or is empty.
ConfigNode loadYamlFile(const std::filesystem::path& path);

/// Merges `overlay` into `base`: maps merge key by key (recursively), a null value deletes the key,
/// anything else replaces. Locations come from whichever side supplied the value.
void mergeInto(ConfigNode& base, const ConfigNode& overlay);

/// Applies one "a.b.c=value" assignment: the value is parsed as YAML (so "[1, 2]" is a list and
/// "40 GB" a string) and placed at the path, creating maps on the way. A conditional assignment,
/// "a.b.c?=value", applies only where the key's parent map (a.b) exists and creates nothing:
/// returns false, with the tree untouched, where it does not. Throws ConfigError, located at
/// `where`, for a malformed assignment or a path through a non-map.
bool applyAssignment(ConfigNode& root, std::string_view assignment, const Location& where);

/// The parts of an assignment: "a.b?=v" -> path "a.b", value "v", conditional.
struct AssignmentParts {
  std::string path;
  std::string value;
  bool conditional = false;
};
/// Splits "path=value" or "path?=value"; nullopt when there is no '=' or no path.
std::optional<AssignmentParts> splitAssignment(std::string_view assignment);

/// The first map on `path` ("a.b.c") that `root` lacks and an assignment to it would create, as
/// the path walked so far ("a.b"); nullopt when every map on the way exists (or the walk meets a
/// non-map, which applyAssignment reports).
std::optional<std::string> firstMissingMap(const ConfigNode& root, std::string_view path);

/// Serializes the tree back to YAML (block style, document order).
std::string toYaml(const ConfigNode& node);

}  // namespace archsim::spec
