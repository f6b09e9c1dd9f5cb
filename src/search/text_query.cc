#include "search/text_query.h"

namespace lp::search {
namespace {

bool EndsWord(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '(' || c == ')';
}

void AppendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

Result<std::vector<TextQueryToken>> ParseTextQuery(std::string_view q) {
  using Kind = TextQueryToken::Kind;
  std::vector<TextQueryToken> tokens;
  size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      ++i;
    } else if (c == '(' || c == ')') {
      tokens.push_back({c == '(' ? Kind::kOpen : Kind::kClose});
      ++i;
    } else if (c == '"') {
      const auto close = q.find('"', i + 1);
      if (close == std::string_view::npos) {
        return Permanent("invalid query: the quote at character " + std::to_string(i + 1) +
                         " is never closed");
      }
      tokens.push_back({Kind::kPhrase, std::string(q.substr(i + 1, close - i - 1))});
      i = close + 1;
    } else {
      size_t end = i;
      while (end < q.size() && !EndsWord(q[end])) ++end;
      std::string_view word = q.substr(i, end - i);
      i = end;
      if (word == "AND" || word == "OR" || word == "NOT") {
        tokens.push_back({word == "AND" ? Kind::kAnd : word == "OR" ? Kind::kOr : Kind::kNot});
        continue;
      }
      const bool prefix = word.ends_with('*');
      if (prefix) word.remove_suffix(1);
      if (word.empty() || word.find('*') != std::string_view::npos) {
        return Permanent("invalid query: '*' may only end a word, as in pay*");
      }
      tokens.push_back({Kind::kWord, std::string(word), prefix});
    }
  }
  return tokens;
}

std::string ToFts5(const std::vector<TextQueryToken>& tokens) {
  using Kind = TextQueryToken::Kind;
  std::string out;
  for (const auto& token : tokens) {
    if (!out.empty()) out.push_back(' ');
    switch (token.kind) {
      case Kind::kWord:
      case Kind::kPhrase:
        AppendQuoted(out, token.text);
        if (token.prefix) out.push_back('*');
        break;
      case Kind::kAnd:
        out += "AND";
        break;
      case Kind::kOr:
        out += "OR";
        break;
      case Kind::kNot:
        out += "NOT";
        break;
      case Kind::kOpen:
        out += "(";
        break;
      case Kind::kClose:
        out += ")";
        break;
    }
  }
  return out;
}

}  // namespace lp::search
