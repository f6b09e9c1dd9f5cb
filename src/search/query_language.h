#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lp::search {

/// How the values of a field match; decided by the field's name alone.
enum class FieldKind {
  /// `message`: full text. A word matches the words of the message case-insensitively; a word
  /// with punctuation (`req-42`, `10.0.0.1`) is the phrase of the words it splits into; a phrase
  /// matches those words next to each other in order; `pay*` matches any word starting so.
  kText,
  /// `service`, `level`, `host`, `trace_id`, `request_id`, `tenant`, `labels.<name>`,
  /// `geo.<name>`: the whole string value, case-sensitively (`level` values are normalized to
  /// upper case by the parser); `prefix*` matches values starting with the prefix. No ranges.
  kKeyword,
  /// `payload.<path>` (dots go into nested objects): the leaf there. A term or phrase matches a
  /// string leaf equal to it, a number leaf numerically equal to it (`payload.status:500`
  /// matches 500 and 500.0, and the string "500"), a boolean leaf named by it (`true`/`false`).
  /// A prefix matches string leaves starting with it, and number and boolean leaves whose JSON
  /// text does. Comparisons and ranges compare number leaves with number bounds only.
  kPayload,
  /// `timestamp`: ranges and comparisons only, bounds in RFC 3339.
  kTimestamp,
};

/// The field a name refers to, or nullopt when the language has no such field. Accepts
/// `message`, `timestamp`, `service`, `level`, `host`, `trace_id`, `request_id`, `tenant`, and
/// `labels.*`, `payload.*`, `geo.*` with a non-empty rest made of letters, digits, `_`, `-`,
/// `@` and dots (no empty segment).
[[nodiscard]] std::optional<FieldKind> ClassifyField(std::string_view name);

/// One node of a parsed query (the AST every store translates; stores never see `q`'s text).
///
/// Semantics, identical on every store:
/// - kAll matches every document (an empty `q`).
/// - kAnd / kOr: all / any of `children` (at least two). kNot: not the one child (a document
///   without the field does not match the child, so it matches the kNot).
/// - kMatch: `field` (kind `field_kind`) against `value` as described by FieldKind, with `match`:
///   kTerm (a bare word), kPhrase (a quoted string: for kText the words in order; for keyword and
///   payload fields the whole value, spaces included), kPrefix (`value` is what precedes `*`).
/// - kRange: `field` is `timestamp` or `payload.*`; a document matches when its value is within
///   the bounds present (`lower`/`upper`, each inclusive or not). Payload bounds are numbers
///   (`number` set); timestamp bounds are times (`time_ms` set). A string leaf never matches.
///   A document without the field never matches; with neither bound, a payload range matches
///   documents with a number there and a timestamp range every document.
struct QueryNode {
  enum class Kind { kAll, kAnd, kOr, kNot, kMatch, kRange };
  enum class Match { kTerm, kPhrase, kPrefix };
  struct Bound {
    std::string text{};                ///< As written, for messages and for stores that want it.
    std::optional<double> number{};    ///< Set for payload bounds.
    std::optional<int64_t> time_ms{};  ///< Set for timestamp bounds (milliseconds since epoch).
    bool inclusive = true;

    friend bool operator==(const Bound&, const Bound&) = default;
  };

  Kind kind = Kind::kAll;
  std::vector<QueryNode> children{};  ///< kAnd, kOr (two or more), kNot (exactly one).
  std::string field{};                ///< kMatch, kRange: "message", "service", "payload.status"...
  FieldKind field_kind = FieldKind::kText;
  Match match = Match::kTerm;  ///< kMatch.
  std::string value{};         ///< kMatch: the word, the phrase's contents, or the prefix.
  std::optional<Bound> lower{};
  std::optional<Bound> upper{};

  friend bool operator==(const QueryNode&, const QueryNode&) = default;
};

/// Parses the query language (docs/QUERY_LANGUAGE.md):
///   query   := or
///   or      := and ("OR" and)*
///   and     := unary (["AND"] unary)*            (juxtaposition is AND)
///   unary   := ("NOT" | "-") unary | "(" or ")" | clause
///   clause  := WORD | "PHRASE" | WORD* | FIELD ":" value | FIELD op VALUE | FIELD ":" range
///   value   := WORD | "PHRASE" | WORD*
///   op      := ">=" | ">" | "<=" | "<"
///   range   := ("[" | "{") (VALUE | "*") "TO" (VALUE | "*") ("]" | "}")   ([ ] inclusive)
/// Operators are upper case (lower-case `and` is a word). A WORD runs to whitespace, a quote or a
/// parenthesis; inside a phrase `\"` and `\\` escape. A `FIELD:` prefix is recognized only for
/// the fields ClassifyField knows; `message:x` is the free word x.
/// Errors are Permanent: "invalid query at character N: <what>" (N counts bytes from 1).
/// An empty or blank `q` is kAll. Nested depth is capped at 64.
[[nodiscard]] Result<QueryNode> ParseQuery(std::string_view q);

/// The conjunction of two queries, flattening kAll away (for adding the API's `service=` and
/// `level=` filters to `q`).
[[nodiscard]] QueryNode AndQuery(QueryNode left, QueryNode right);

/// A kMatch node for one keyword field, as `field:"value"` would parse (level normalized).
[[nodiscard]] QueryNode FieldEquals(std::string field, std::string value);

}  // namespace lp::search
