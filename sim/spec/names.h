// Names of enumerations: one constexpr table per enum is the single source for both directions —
// the reader resolves a YAML value through it (MapReader::choice) and nameOf() prints the value.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace archsim::spec {

template <class E, std::size_t N>
using NameTable = std::array<std::pair<std::string_view, E>, N>;

/// The name of `value` in `table` ("?" when the table lacks it: a programming error).
template <class E, std::size_t N>
constexpr std::string_view nameOf(const NameTable<E, N>& table, E value) {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return "?";
}

/// The value `name` spells in `table` (exact match), or std::nullopt.
template <class E, std::size_t N>
constexpr std::optional<E> valueOf(const NameTable<E, N>& table, std::string_view name) {
  for (const auto& [n, value] : table) {
    if (n == name) return value;
  }
  return std::nullopt;
}

/// Every value of `table`, in the table's order.
template <class E, std::size_t N>
constexpr std::array<E, N> valuesOf(const NameTable<E, N>& table) {
  std::array<E, N> values{};
  for (std::size_t i = 0; i < N; ++i)
    values[i] = table[i].second;
  return values;
}

/// Every name of `table`, in the table's order (for did-you-mean suggestions).
template <class E, std::size_t N>
std::vector<std::string_view> namesOf(const NameTable<E, N>& table) {
  std::vector<std::string_view> names;
  names.reserve(N);
  for (const auto& [name, value] : table)
    names.push_back(name);
  return names;
}

}  // namespace archsim::spec
