#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "search/text_query.h"

namespace lp::search::logstore {

/// The full-text part of a query (text_query.h) compiled for the log store: FTS5's precedence
/// (NOT binds tightest, then AND, implied between neighbours, then OR), each word or phrase
/// being the sequence of tokens tokens.h splits it into, matched as a phrase, a `prefix*`
/// applying to its last token. `MayMatch` answers from a block's bloom filter whether any row of
/// it can match, so blocks that cannot are never decompressed. Immutable once compiled;
/// `Matches` needs a Scratch per thread.
class TextMatcher {
 public:
  struct Scratch {
    std::string token;
    std::vector<std::string> tokens;
  };

  /// An empty query compiles to a matcher that matches everything.
  [[nodiscard]] static Result<TextMatcher> Compile(std::string_view query);

  [[nodiscard]] bool empty() const { return root_ == nullptr; }
  [[nodiscard]] bool Matches(std::string_view message, Scratch& scratch) const;
  [[nodiscard]] bool MayMatch(std::string_view bloom) const;

  struct Node {
    enum class Kind { kTerm, kAnd, kOr };
    Kind kind = Kind::kTerm;
    std::vector<std::string> tokens{};  ///< kTerm
    std::vector<uint64_t> hashes{};     ///< kTerm: the tokens a bloom filter can check.
    bool prefix = false;                ///< kTerm
    std::vector<Node> children{};       ///< kAnd, kOr
    std::vector<Node> negated{};        ///< kAnd: must not match.
  };

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace lp::search::logstore
