// MapReader: validates one YAML mapping into typed values, collecting every problem.
//
// Each accessor names a key the schema knows, reads and checks its value (type, unit, range) and
// returns std::nullopt when the key is absent or wrong; problems go to a shared Diagnostics list so
// a whole file is checked before anything is reported (STYLE.md rule 6). finish() reports every key
// that no accessor asked for as unknown, with the full key path and a did-you-mean over the known
// keys. Required vs optional is explicit at each call (Need).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/error.h"
#include "sim/core/time.h"
#include "sim/spec/config_node.h"
#include "sim/spec/names.h"
#include "sim/spec/suggest.h"
#include "sim/spec/units.h"

namespace archsim::spec {

enum class Need { kRequired, kOptional };
/// Whether zero is acceptable for a quantity (negative values are always rejected by the parser).
enum class Bound { kNonNegative, kPositive };

class Diagnostics {
 public:
  void error(Location location, std::string key_path, std::string message);
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  /// Adds the diagnostics of a caught ConfigError.
  void absorb(const ConfigError& error);
  /// Throws ConfigError with everything collected, if anything was.
  void throwIfAny() const;

  /// Something legal but suspicious (the run goes on; the command line prints it).
  void warn(Location location, std::string key_path, std::string message);
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

 private:
  std::vector<Diagnostic> list_;
  std::vector<Diagnostic> warnings_;
};

/// "a.b" + "c" -> "a.b.c"
std::string joinPath(std::string_view prefix, std::string_view key);

// Single-value readers (used by MapReader and for values of free-form maps such as per-dtype
// tables).
std::optional<double> readQuantity(const ConfigNode& node, const std::string& path,
                                   Dimension dimension, Diagnostics& diags);
std::optional<std::int64_t> readInteger(const ConfigNode& node, const std::string& path,
                                        std::int64_t min, std::int64_t max, Diagnostics& diags);
std::optional<double> readNumber(const ConfigNode& node, const std::string& path, double min,
                                 double max, Diagnostics& diags);
std::optional<std::string> readText(const ConfigNode& node, const std::string& path,
                                    Diagnostics& diags);

class MapReader {
 public:
  /// `node` must outlive the reader. A node that is not a map is reported (once) and reads as
  /// empty.
  MapReader(const ConfigNode& node, std::string path, Diagnostics& diags);

  const std::string& path() const { return path_; }
  std::string keyPath(std::string_view key) const { return joinPath(path_, key); }
  const Location& location() const { return node_->location(); }
  /// Where the key's value was written, or the map itself when the key is absent.
  Location locationOf(std::string_view key) const;
  /// Marks the key as known; true when present (and not null).
  bool has(std::string_view key);
  /// The raw node (marks the key as known; reports a missing required key).
  const ConfigNode* node(std::string_view key, Need need);

  std::optional<double> quantity(std::string_view key, Dimension dimension, Need need,
                                 Bound bound = Bound::kPositive);
  /// A size rounded to whole bytes.
  std::optional<std::uint64_t> bytes(std::string_view key, Need need,
                                     Bound bound = Bound::kPositive);
  /// A time rounded to whole picoseconds (kPositive: at least 1 ps).
  std::optional<Tick> ticks(std::string_view key, Need need, Bound bound = Bound::kPositive);
  std::optional<std::int64_t> integer(std::string_view key, Need need, std::int64_t min = 0,
                                      std::int64_t max = INT64_MAX);
  /// A plain number in [min, max].
  std::optional<double> number(std::string_view key, Need need, double min, double max);
  /// A plain number in (0, 1].
  std::optional<double> fraction(std::string_view key, Need need);
  std::optional<std::string> text(std::string_view key, Need need);
  std::optional<bool> boolean(std::string_view key, Need need);
  /// A list of non-empty strings.
  std::optional<std::vector<std::string>> textList(std::string_view key, Need need);
  /// One of a fixed set of names: a constexpr NameTable (spec/names.h) or a short list.
  template <class E, std::size_t N>
  std::optional<E> choice(std::string_view key, const NameTable<E, N>& table, Need need) {
    return choiceIn<E>(key, table, need);
  }
  template <class E>
  std::optional<E> choice(std::string_view key,
                          const std::vector<std::pair<std::string_view, E>>& table, Need need) {
    return choiceIn<E>(key, table, need);
  }
  /// A nested mapping (std::nullopt when absent or not a map).
  std::optional<MapReader> child(std::string_view key, Need need);

  /// The entries of a free-form mapping (keys chosen by the user: level names, dtypes); marks all
  /// of them as known.
  const std::vector<ConfigNode>& entries();
  /// Whether an entries() key is a component name (a letter, then letters, digits, '_' and '-';
  /// at most 64): such names become stat paths (chip0.memory.<name>.bytes) and trace tracks.
  /// Reports an error naming `what` ("memory level") when it is not.
  bool checkName(const ConfigNode& entry, std::string_view what);
  /// A reader for one entry returned by entries().
  MapReader entry(const ConfigNode& entry) {
    return MapReader(entry, keyPath(entry.key()), *diags_);
  }

  /// Reports a problem with `key`'s value.
  void error(std::string_view key, const std::string& message);
  /// Reports a warning about `key`'s value.
  void warn(std::string_view key, const std::string& message);
  /// Reports a disagreement between several keys at the one the user set last (highest override
  /// layer, so a --set or a derived file's change is blamed, not the preset it overrides).
  void crossError(std::initializer_list<std::string_view> keys, const std::string& message);
  /// The override layer the newest of `keys` came from (ConfigNode::layer), -1 when none is set.
  int newestLayer(std::initializer_list<std::string_view> keys) const;
  /// Reports every present key that no accessor asked about. Call once, after all accessors.
  void finish();

  Diagnostics& diagnostics() { return *diags_; }

 private:
  template <class E>
  std::optional<E> choiceIn(std::string_view key,
                            std::span<const std::pair<std::string_view, E>> table, Need need);

  const ConfigNode* node_;
  std::string path_;
  Diagnostics* diags_;
  std::vector<std::string> known_;
};

/// The keys every document has.
struct DocumentHeader {
  std::string name;
  std::string description;
};

/// Reads `kind` (optional here — the catalog requires it in files — and must equal `kind`),
/// `name` (required unless `name` says otherwise) and `description` (optional).
DocumentHeader readHeader(MapReader& r, std::string_view kind, Need name = Need::kRequired);

/// Resolves a name against a fixed table, reporting an unknown one with the choices and a
/// did-you-mean.
template <class E>
std::optional<E> readChoice(const ConfigNode& node, const std::string& path,
                            std::span<const std::pair<std::string_view, E>> table,
                            Diagnostics& diags) {
  const auto name = readText(node, path, diags);
  if (!name) return std::nullopt;
  std::vector<std::string_view> names;
  for (const auto& [n, value] : table) {
    if (n == *name) return value;
    names.push_back(n);
  }
  std::string choices;
  for (auto n : names) {
    if (!choices.empty()) choices += ", ";
    choices += n;
  }
  diags.error(node.location(), path,
              "unknown value '" + *name + "' (one of: " + choices + ")" + didYouMean(*name, names));
  return std::nullopt;
}

template <class E>
std::optional<E> MapReader::choiceIn(std::string_view key,
                                     std::span<const std::pair<std::string_view, E>> table,
                                     Need need) {
  const ConfigNode* n = node(key, need);
  return n ? readChoice<E>(*n, keyPath(key), table, *diags_) : std::nullopt;
}

}  // namespace archsim::spec
