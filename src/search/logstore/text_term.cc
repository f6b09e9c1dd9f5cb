#include "search/logstore/text_term.h"

#include <cstring>

#include "search/logstore/tokens.h"

namespace lp::search::logstore {

TextTerm::TextTerm(std::string_view value, bool prefix)
    : tokens_(Tokenize(value)), prefix_(prefix) {
  const size_t whole = tokens_.size() - (prefix_ && !tokens_.empty() ? 1 : 0);
  for (size_t i = 0; i < whole; ++i) hashes_.push_back(HashToken(tokens_[i]));
}

namespace {

bool IsTokenByte(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

unsigned char Lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c | 0x20 : c; }

// Whether `word` (a token: lower case) starts a token of `text`, ending it too unless `prefix`.
// Candidates are found with memchr for the first byte in either case (vectorized in glibc):
// most of a message is stepped over without a look at each byte.
bool ContainsToken(std::string_view text, std::string_view word, bool prefix) {
  const size_t length = word.size();
  if (length > text.size()) return false;
  const auto first = static_cast<unsigned char>(word.front());
  const auto upper =
      static_cast<unsigned char>(first >= 'a' && first <= 'z' ? first - ('a' - 'A') : first);
  const size_t starts = text.size() - length + 1;  // Positions a match can begin at.
  for (size_t i = 0; i < starts; ++i) {
    const char* from = text.data() + i;
    const auto* lower_hit = static_cast<const char*>(std::memchr(from, first, starts - i));
    const size_t lower_at =
        lower_hit != nullptr ? static_cast<size_t>(lower_hit - text.data()) : starts;
    const auto* upper_hit =
        upper != first ? static_cast<const char*>(std::memchr(from, upper, lower_at - i)) : nullptr;
    i = upper_hit != nullptr ? static_cast<size_t>(upper_hit - text.data()) : lower_at;
    if (i == starts) return false;
    if (i > 0 && IsTokenByte(static_cast<unsigned char>(text[i - 1]))) continue;
    size_t k = 1;
    while (k < length &&
           Lower(static_cast<unsigned char>(text[i + k])) == static_cast<unsigned char>(word[k])) {
      ++k;
    }
    if (k < length) continue;
    if (prefix || i + length == text.size() ||
        !IsTokenByte(static_cast<unsigned char>(text[i + length]))) {
      return true;
    }
  }
  return false;
}

}  // namespace

TextTerm::Verdict TextTerm::Scan(std::string_view message) const {
  if (tokens_.empty()) return Verdict::kNo;
  if (tokens_.size() == 1) {
    return ContainsToken(message, tokens_.front(), prefix_) ? Verdict::kYes : Verdict::kNo;
  }
  return ContainsToken(message, tokens_.front(), false) ? Verdict::kAskTokens : Verdict::kNo;
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
