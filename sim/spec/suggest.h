// Did-you-mean suggestions for misspelt keys, units, enum values and preset names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace archsim::spec {

/// Optimal-string-alignment edit distance (insert, delete, substitute, swap adjacent), where a
/// substitution that only changes letter case costs nothing.
std::size_t editDistance(std::string_view a, std::string_view b);

/// The closest candidate when it is close enough to be a plausible typo of `word`
/// (distance <= max(1, length / 3)); ties go to the earliest candidate.
std::optional<std::string> suggest(std::string_view word,
                                   const std::vector<std::string>& candidates);
std::optional<std::string> suggest(std::string_view word,
                                   const std::vector<std::string_view>& candidates);

/// "; did you mean 'x'?" or "" — for appending to messages.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);
std::string didYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace archsim::spec
