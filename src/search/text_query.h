#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lp::search {

/// One piece of the full-text language of `q`, the same on every store: words, "phrases",
/// AND / OR / NOT (upper case), parentheses, and `prefix*` on a word. A word runs until a space,
/// quote or parenthesis, so `req-42`, `10.0.0.1` or `user@example.com` are single words; a store
/// matches the tokens it splits them into as a phrase.
struct TextQueryToken {
  enum class Kind { kWord, kPhrase, kAnd, kOr, kNot, kOpen, kClose };
  Kind kind = Kind::kWord;
  std::string text{};   ///< The word or the phrase's contents.
  bool prefix = false;  ///< A word ending in '*'.
};

/// Splits `q` into tokens; errors start with "invalid query:" and say what is wrong.
[[nodiscard]] Result<std::vector<TextQueryToken>> ParseTextQuery(std::string_view q);

/// The query in SQLite FTS5's syntax, every word and phrase quoted so that punctuation in them
/// is never taken for FTS5 syntax.
[[nodiscard]] std::string ToFts5(const std::vector<TextQueryToken>& tokens);

}  // namespace lp::search
