#include "search/query_language.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "core/level.h"
#include "core/timestamp.h"

namespace lp::search {
namespace {

constexpr int kMaxDepth = 64;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool EndsWord(char c) { return IsSpace(c) || c == '"' || c == '(' || c == ')'; }
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '@' ||
         c == '.';
}

bool ValidPath(std::string_view rest) {
  if (rest.empty() || rest.front() == '.' || rest.back() == '.') return false;
  if (rest.find("..") != std::string_view::npos) return false;
  for (const char c : rest) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string NormalizedLevel(std::string_view value) {
  if (const auto level = ParseLevel(value)) return std::string(LevelName(*level));
  std::string upper(value);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

class Parser {
 public:
  explicit Parser(std::string_view q) : q_(q) {}

  Result<QueryNode> Parse() {
    SkipSpace();
    if (i_ == q_.size()) return QueryNode{};
    auto query = Or();
    if (!query) return query;
    SkipSpace();
    if (i_ < q_.size()) return Fail(i_, "unexpected \")\"");
    return query;
  }

 private:
  tl::unexpected<Error> Fail(size_t at, std::string_view what) const {
    return Permanent("invalid query at character " + std::to_string(at + 1) + ": " +
                     std::string(what));
  }

  void SkipSpace() {
    while (i_ < q_.size() && IsSpace(q_[i_])) ++i_;
  }

  // The operator word (AND, OR, NOT) at the current position, or empty.
  [[nodiscard]] std::string_view OperatorHere() const {
    for (const std::string_view word : {"AND", "OR", "NOT"}) {
      if (q_.substr(i_).starts_with(word) &&
          (i_ + word.size() == q_.size() || EndsWord(q_[i_ + word.size()]))) {
        return word;
      }
    }
    return {};
  }

  static QueryNode Combine(QueryNode::Kind kind, std::vector<QueryNode> parts) {
    if (parts.size() == 1) return std::move(parts.front());
    QueryNode node{.kind = kind};
    for (auto& part : parts) {
      if (part.kind == kind) {
        for (auto& child : part.children) node.children.push_back(std::move(child));
      } else {
        node.children.push_back(std::move(part));
      }
    }
    return node;
  }

  Result<QueryNode> Or() {
    std::vector<QueryNode> any;
    while (true) {
      auto part = And();
      if (!part) return part;
      any.push_back(std::move(*part));
      SkipSpace();
      if (OperatorHere() != "OR") break;
      i_ += 2;
    }
    return Combine(QueryNode::Kind::kOr, std::move(any));
  }

  Result<QueryNode> And() {
    std::vector<QueryNode> all;
    auto first = Unary();
    if (!first) return first;
    all.push_back(std::move(*first));
    while (true) {
      SkipSpace();
      if (i_ == q_.size() || q_[i_] == ')' || OperatorHere() == "OR") break;
      if (OperatorHere() == "AND") i_ += 3;
      auto part = Unary();
      if (!part) return part;
      all.push_back(std::move(*part));
    }
    return Combine(QueryNode::Kind::kAnd, std::move(all));
  }

  Result<QueryNode> Unary() {
    SkipSpace();
    if (i_ == q_.size()) return Fail(i_, "the query ends where a search term is needed");
    if (++depth_ > kMaxDepth) return Fail(i_, "nested more than 64 deep");
    auto node = UnaryInner();
    --depth_;
    return node;
  }

  Result<QueryNode> UnaryInner() {
    const size_t start = i_;
    const auto word = OperatorHere();
    if (word == "NOT" || (q_[i_] == '-' && i_ + 1 < q_.size() && !IsSpace(q_[i_ + 1]))) {
      i_ += word == "NOT" ? 3 : 1;
      auto child = Unary();
      if (!child) return child;
      return QueryNode{.kind = QueryNode::Kind::kNot, .children = {std::move(*child)}};
    }
    if (!word.empty()) {
      return Fail(start, std::string(word) + " where a search term is needed");
    }
    if (q_[i_] == '-') return Fail(start, "\"-\" must be followed by what to leave out");
    if (q_[i_] == ')') return Fail(start, "unexpected \")\"");
    if (q_[i_] == '(') {
      ++i_;
      auto inner = Or();
      if (!inner) return inner;
      SkipSpace();
      if (i_ == q_.size() || q_[i_] != ')') {
        return Fail(start, "the parenthesis is never closed");
      }
      ++i_;
      return inner;
    }
    return Clause();
  }

  // A quoted phrase starting at i_ (on the quote); its contents unescaped.
  Result<std::string> Phrase() {
    const size_t start = i_++;
    std::string text;
    while (i_ < q_.size() && q_[i_] != '"') {
      if (q_[i_] == '\\' && i_ + 1 < q_.size() && (q_[i_ + 1] == '"' || q_[i_ + 1] == '\\')) ++i_;
      text.push_back(q_[i_++]);
    }
    if (i_ == q_.size()) return Fail(start, "the quote is never closed");
    ++i_;
    return text;
  }

  // A bare word from i_ up to whitespace, a quote or a parenthesis (and, in ranges, a bracket).
  std::string_view Word(bool in_range = false) {
    const size_t start = i_;
    while (i_ < q_.size() && !EndsWord(q_[i_]) && !(in_range && (q_[i_] == ']' || q_[i_] == '}'))) {
      ++i_;
    }
    return q_.substr(start, i_ - start);
  }

  Result<QueryNode> Clause() {
    const size_t start = i_;
    // A field name, if what follows it is ':' or a comparison.
    size_t end = i_;
    while (end < q_.size() && IsNameChar(q_[end])) ++end;
    if (end > i_ && end < q_.size() && (q_[end] == ':' || q_[end] == '<' || q_[end] == '>')) {
      const std::string_view name = q_.substr(i_, end - i_);
      const auto kind = ClassifyField(name);
      if (!kind) {
        return Fail(start, "unknown field \"" + std::string(name) +
                               "\" (fields: message, timestamp, service, level, host, trace_id, "
                               "request_id, labels.*, payload.*, geo.*; quote text that has a "
                               "colon)");
      }
      i_ = end;
      return FieldClause(start, std::string(name), *kind);
    }
    if (q_[i_] == '"') {
      auto phrase = Phrase();
      if (!phrase) return tl::unexpected(phrase.error());
      return TextMatch(start, "message", FieldKind::kText, QueryNode::Match::kPhrase,
                       std::move(*phrase));
    }
    return ValueMatch(start, "message", FieldKind::kText, Word());
  }

  Result<QueryNode> TextMatch(size_t at, std::string field, FieldKind kind, QueryNode::Match match,
                              std::string value) {
    if (kind == FieldKind::kTimestamp) {
      return Fail(at,
                  "timestamp takes a comparison or a range, e.g. timestamp>=2025-10-30T00:00:00Z");
    }
    if (field == "level") value = NormalizedLevel(value);
    if (value.empty() && match != QueryNode::Match::kPhrase) {
      return Fail(at, "a value is needed after \"" + field + ":\"");
    }
    return QueryNode{.kind = QueryNode::Kind::kMatch,
                     .field = std::move(field),
                     .field_kind = kind,
                     .match = match,
                     .value = std::move(value)};
  }

  // A bare word as the value of `field`: a term, or a prefix when it ends in '*'.
  Result<QueryNode> ValueMatch(size_t at, std::string field, FieldKind kind,
                               std::string_view word) {
    auto match = QueryNode::Match::kTerm;
    if (word.ends_with('*')) {
      match = QueryNode::Match::kPrefix;
      word.remove_suffix(1);
      if (word.empty()) return Fail(at, "\"*\" must end a word, as in pay*");
    }
    if (word.find('*') != std::string_view::npos) {
      return Fail(at, "\"*\" may only end a word, as in pay*");
    }
    return TextMatch(at, std::move(field), kind, match, std::string(word));
  }

  Result<QueryNode> FieldClause(size_t at, std::string field, FieldKind kind) {
    if (q_[i_] == ':') {
      ++i_;
      if (i_ == q_.size() || IsSpace(q_[i_]) || q_[i_] == ')' || q_[i_] == '(') {
        return Fail(at, "a value is needed after \"" + field + ":\"");
      }
      if (q_[i_] == '"') {
        auto phrase = Phrase();
        if (!phrase) return tl::unexpected(phrase.error());
        return TextMatch(at, std::move(field), kind, QueryNode::Match::kPhrase, std::move(*phrase));
      }
      if (q_[i_] == '[' || q_[i_] == '{') return Range(at, std::move(field), kind);
      return ValueMatch(at, std::move(field), kind, Word());
    }
    // A comparison: >=, >, <=, <.
    const bool greater = q_[i_] == '>';
    ++i_;
    const bool inclusive = i_ < q_.size() && q_[i_] == '=';
    if (inclusive) ++i_;
    const size_t value_at = i_;
    const std::string_view text = Word();
    if (text.empty()) return Fail(value_at, "a value is needed after the comparison");
    auto bound = MakeBound(value_at, field, kind, text, inclusive);
    if (!bound) return tl::unexpected(bound.error());
    QueryNode node{.kind = QueryNode::Kind::kRange, .field = std::move(field), .field_kind = kind};
    (greater ? node.lower : node.upper) = std::move(*bound);
    return node;
  }

  Result<QueryNode::Bound> MakeBound(size_t at, const std::string& field, FieldKind kind,
                                     std::string_view text, bool inclusive) {
    QueryNode::Bound bound{.text = std::string(text), .inclusive = inclusive};
    if (kind == FieldKind::kPayload) {
      bound.number = ParseNumber(text);
      if (!bound.number) {
        return Fail(at, field + " compares numbers: \"" + std::string(text) + "\" is not one");
      }
    } else if (kind == FieldKind::kTimestamp) {
      bound.time_ms = ParseRfc3339(text);
      if (!bound.time_ms) {
        return Fail(at, "timestamp compares RFC 3339 times such as 2025-10-30T12:00:00Z, not \"" +
                            std::string(text) + "\"");
      }
    } else {
      return Fail(at, field +
                          " cannot be compared or ranged; only payload.* numbers and "
                          "timestamp can");
    }
    return bound;
  }

  Result<QueryNode> Range(size_t at, std::string field, FieldKind kind) {
    const bool lower_inclusive = q_[i_] == '[';
    ++i_;
    SkipSpace();
    const size_t lower_at = i_;
    const std::string_view lower = Word(true);
    SkipSpace();
    if (!q_.substr(i_).starts_with("TO") || i_ + 2 >= q_.size() || !IsSpace(q_[i_ + 2])) {
      return Fail(i_, "a range is written [LOW TO HIGH], with * for an open end");
    }
    i_ += 2;
    SkipSpace();
    const size_t upper_at = i_;
    const std::string_view upper = Word(true);
    SkipSpace();
    if (i_ == q_.size() || (q_[i_] != ']' && q_[i_] != '}')) {
      return Fail(at, "the range is never closed with ] or }");
    }
    const bool upper_inclusive = q_[i_] == ']';
    ++i_;
    if (lower.empty() || upper.empty()) {
      return Fail(at, "a range is written [LOW TO HIGH], with * for an open end");
    }
    QueryNode node{.kind = QueryNode::Kind::kRange, .field = field, .field_kind = kind};
    if (lower != "*") {
      auto bound = MakeBound(lower_at, field, kind, lower, lower_inclusive);
      if (!bound) return tl::unexpected(bound.error());
      node.lower = std::move(*bound);
    }
    if (upper != "*") {
      auto bound = MakeBound(upper_at, field, kind, upper, upper_inclusive);
      if (!bound) return tl::unexpected(bound.error());
      node.upper = std::move(*bound);
    }
    return node;
  }

  std::string_view q_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

std::optional<FieldKind> ClassifyField(std::string_view name) {
  if (name == "message") return FieldKind::kText;
  if (name == "timestamp") return FieldKind::kTimestamp;
  for (const std::string_view keyword :
       {"service", "level", "host", "trace_id", "request_id", "tenant"}) {
    if (name == keyword) return FieldKind::kKeyword;
  }
  for (const auto& [prefix, kind] : {std::pair{std::string_view("labels."), FieldKind::kKeyword},
                                     {std::string_view("geo."), FieldKind::kKeyword},
                                     {std::string_view("payload."), FieldKind::kPayload}}) {
    if (name.starts_with(prefix) && ValidPath(name.substr(prefix.size()))) return kind;
  }
  return std::nullopt;
}

Result<QueryNode> ParseQuery(std::string_view q) { return Parser(q).Parse(); }

QueryNode AndQuery(QueryNode left, QueryNode right) {
  if (left.kind == QueryNode::Kind::kAll) return right;
  if (right.kind == QueryNode::Kind::kAll) return left;
  QueryNode node{.kind = QueryNode::Kind::kAnd};
  for (auto* part : {&left, &right}) {
    if (part->kind == QueryNode::Kind::kAnd) {
      for (auto& child : part->children) node.children.push_back(std::move(child));
    } else {
      node.children.push_back(std::move(*part));
    }
  }
  return node;
}

QueryNode FieldEquals(std::string field, std::string value) {
  if (field == "level") value = NormalizedLevel(value);
  const auto kind = ClassifyField(field).value_or(FieldKind::kKeyword);
  return QueryNode{.kind = QueryNode::Kind::kMatch,
                   .field = std::move(field),
                   .field_kind = kind,
                   .match = QueryNode::Match::kPhrase,
                   .value = std::move(value)};
}

}  // namespace lp::search
