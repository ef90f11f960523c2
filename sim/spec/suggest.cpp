#include "sim/spec/suggest.h"

#include <algorithm>
#include <cctype>

namespace archsim::spec {
namespace {
bool sameIgnoringCase(char a, char b) {
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

template <class Candidates>
std::optional<std::string> closest(std::string_view word, const Candidates& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const std::string_view candidate(c);
    if (candidate == word) continue;
    const std::size_t d = editDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  if (best) return best;
  // A different ending of the same word ("decoding" for "decode"): a long shared prefix.
  for (const auto& c : candidates) {
    const std::string_view candidate(c);
    std::size_t common = 0;
    while (common < word.size() && common < candidate.size() && word[common] == candidate[common])
      ++common;
    if (common >= 4 && common + 2 >= candidate.size()) return std::string(candidate);
  }
  return best;
}
}  // namespace

std::size_t editDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = sameIgnoringCase(a[i - 1], b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

std::optional<std::string> suggest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  return closest(word, candidates);
}

std::optional<std::string> suggest(std::string_view word,
                                   const std::vector<std::string_view>& candidates) {
  return closest(word, candidates);
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto s = suggest(word, candidates);
  return s ? "; did you mean '" + *s + "'?" : std::string();
}

std::string didYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  const auto s = suggest(word, candidates);
  return s ? "; did you mean '" + *s + "'?" : std::string();
}

}  // namespace archsim::spec
