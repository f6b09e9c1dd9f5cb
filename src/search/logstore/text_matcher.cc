#include "search/logstore/text_matcher.h"

#include "search/logstore/tokens.h"

namespace lp::search::logstore {
namespace {

using Kind = TextQueryToken::Kind;
using Node = TextMatcher::Node;

// Recursive descent, the same grammar as the Elasticsearch translation (elastic_requests.cc).
struct Parser {
  const std::vector<TextQueryToken>& tokens;
  size_t next = 0;

  [[nodiscard]] bool At(Kind kind) const {
    return next < tokens.size() && tokens[next].kind == kind;
  }

  Result<Node> Or() {
    Node node{.kind = Node::Kind::kOr};
    do {
      auto part = And();
      if (!part) return part;
      node.children.push_back(std::move(*part));
    } while (At(Kind::kOr) && ++next);
    if (node.children.size() == 1) return std::move(node.children.front());
    return node;
  }

  Result<Node> And() {
    Node node{.kind = Node::Kind::kAnd};
    auto first = Unary();
    if (!first) return first;
    node.children.push_back(std::move(*first));
    while (next < tokens.size() && !At(Kind::kOr) && !At(Kind::kClose)) {
      const bool negated = At(Kind::kNot);
      if (negated || At(Kind::kAnd)) ++next;
      auto part = Unary();
      if (!part) return part;
      (negated ? node.negated : node.children).push_back(std::move(*part));
    }
    if (node.children.size() == 1 && node.negated.empty()) return std::move(node.children.front());
    return node;
  }

  Result<Node> Unary() {
    if (next >= tokens.size()) return Permanent("invalid query: it ends where a word is needed");
    const auto& token = tokens[next++];
    switch (token.kind) {
      case Kind::kWord:
      case Kind::kPhrase: {
        Node term{
            .kind = Node::Kind::kTerm, .tokens = Tokenize(token.text), .prefix = token.prefix};
        const size_t checked = term.tokens.size() - (term.prefix && !term.tokens.empty() ? 1 : 0);
        for (size_t i = 0; i < checked; ++i) term.hashes.push_back(HashToken(term.tokens[i]));
        return term;
      }
      case Kind::kOpen: {
        auto inner = Or();
        if (!inner) return inner;
        if (!At(Kind::kClose)) return Permanent("invalid query: a parenthesis is not closed");
        ++next;
        return inner;
      }
      default:
        return Permanent("invalid query: AND, OR, NOT or \")\" where a word is needed");
    }
  }
};

bool TermMatches(const Node& term, const std::vector<std::string>& tokens, size_t count) {
  const size_t length = term.tokens.size();
  // A word with no letters or digits (say "-") has no token to find: it matches nothing.
  if (length == 0 || length > count) return false;
  for (size_t start = 0; start + length <= count; ++start) {
    bool all = true;
    for (size_t i = 0; i < length && all; ++i) {
      const auto& want = term.tokens[i];
      const auto& have = tokens[start + i];
      all = (term.prefix && i + 1 == length) ? have.starts_with(want) : have == want;
    }
    if (all) return true;
  }
  return false;
}

bool Evaluate(const Node& node, const std::vector<std::string>& tokens, size_t count) {
  switch (node.kind) {
    case Node::Kind::kTerm:
      return TermMatches(node, tokens, count);
    case Node::Kind::kAnd:
      for (const auto& child : node.children) {
        if (!Evaluate(child, tokens, count)) return false;
      }
      for (const auto& child : node.negated) {
        if (Evaluate(child, tokens, count)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (Evaluate(child, tokens, count)) return true;
      }
      return false;
  }
  return false;
}

bool MayMatchNode(const Node& node, std::string_view bloom) {
  switch (node.kind) {
    case Node::Kind::kTerm:
      if (node.tokens.empty()) return false;
      for (const uint64_t hash : node.hashes) {
        if (!BloomMayContain(bloom, hash)) return false;
      }
      return true;
    case Node::Kind::kAnd:
      // A negated part can never rule a block out: some row may lack it.
      for (const auto& child : node.children) {
        if (!MayMatchNode(child, bloom)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (MayMatchNode(child, bloom)) return true;
      }
      return false;
  }
  return true;
}

}  // namespace

Result<TextMatcher> TextMatcher::Compile(std::string_view query) {
  auto tokens = ParseTextQuery(query);
  if (!tokens) return tl::unexpected(tokens.error());
  TextMatcher matcher;
  if (tokens->empty()) return matcher;
  Parser parser{*tokens};
  auto root = parser.Or();
  if (!root) return tl::unexpected(root.error());
  if (parser.next != tokens->size()) return Permanent("invalid query: unexpected \")\"");
  matcher.root_ = std::make_shared<const Node>(std::move(*root));
  return matcher;
}

bool TextMatcher::Matches(std::string_view message, Scratch& scratch) const {
  if (root_ == nullptr) return true;
  size_t count = 0;
  ForEachToken(message, scratch.token, [&](std::string_view token) {
    if (count == scratch.tokens.size()) scratch.tokens.emplace_back();
    scratch.tokens[count++].assign(token);
  });
  return Evaluate(*root_, scratch.tokens, count);
}

bool TextMatcher::MayMatch(std::string_view bloom) const {
  return root_ == nullptr || MayMatchNode(*root_, bloom);
}

}  // namespace lp::search::logstore
