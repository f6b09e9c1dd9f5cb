#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::search::logstore {

/// One `message` clause of the query language (a word, a "phrase" or a prefix*) compiled for the
/// log store: the tokens tokens.h splits it into must follow one another in the message's tokens;
/// with a prefix, the last one need only start so. A block whose bloom filter lacks one of the
/// whole tokens holds no match and is never decompressed.
class TextTerm {
 public:
  TextTerm(std::string_view value, bool prefix);

  enum class Verdict { kNo, kYes, kAskTokens };
  /// Decides from the message's bytes alone when it can (a one-word term is found as a whole
  /// token ignoring ASCII case, without splitting the message; a longer one is ruled out when
  /// its first word is absent): most rows never get split into tokens.
  [[nodiscard]] Verdict Scan(std::string_view message) const;
  /// `tokens`: the message's tokens as ForEachToken gives them.
  [[nodiscard]] bool Matches(std::span<const std::string> tokens) const;
  [[nodiscard]] bool MayMatch(std::string_view bloom) const;

 private:
  std::vector<std::string> tokens_;
  std::vector<uint64_t> hashes_;  ///< Of the tokens a bloom filter can check (not a prefix).
  bool prefix_ = false;
};

}  // namespace lp::search::logstore
