#include "search/logstore/text_term.h"

#include "search/logstore/tokens.h"

namespace lp::search::logstore {

TextTerm::TextTerm(std::string_view value, bool prefix) : tokens_(Tokenize(value)), prefix_(prefix) {
  const size_t whole = tokens_.size() - (prefix_ && !tokens_.empty() ? 1 : 0);
  for (size_t i = 0; i < whole; ++i) hashes_.push_back(HashToken(tokens_[i]));
}

bool TextTerm::Matches(std::span<const std::string> tokens) const {
  const size_t length = tokens_.size();
  // A word with no letters or digits (say "-") has no token to find: it matches nothing.
  if (length == 0 || length > tokens.size()) return false;
  for (size_t start = 0; start + length <= tokens.size(); ++start) {
    bool all = true;
    for (size_t i = 0; i < length && all; ++i) {
      const auto& want = tokens_[i];
      const auto& have = tokens[start + i];
      all = (prefix_ && i + 1 == length) ? have.starts_with(want) : have == want;
    }
    if (all) return true;
  }
  return false;
}

bool TextTerm::MayMatch(std::string_view bloom) const {
  if (tokens_.empty()) return false;
  for (const uint64_t hash : hashes_) {
    if (!BloomMayContain(bloom, hash)) return false;
  }
  return true;
}

}  // namespace lp::search::logstore
