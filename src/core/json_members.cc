#include "core/json_members.h"

#include <cstring>

namespace lp {
namespace {

constexpr size_t kFailed = std::string_view::npos;

size_t SkipSpace(std::string_view text, size_t at) {
  while (at < text.size() &&
         (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) {
    ++at;
  }
  return at;
}

// `at` is on an opening quote; returns the index after the closing one.
size_t SkipString(std::string_view text, size_t at) {
  size_t from = at + 1;
  while (from < text.size()) {
    const void* found = std::memchr(text.data() + from, '"', text.size() - from);
    if (found == nullptr) return kFailed;
    const size_t quote = static_cast<size_t>(static_cast<const char*>(found) - text.data());
    size_t backslashes = 0;
    while (quote - backslashes > at + 1 && text[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote + 1;
    from = quote + 1;
  }
  return kFailed;
}

size_t SkipValue(std::string_view text, size_t at) {
  if (at >= text.size()) return kFailed;
  const char first = text[at];
  if (first == '"') return SkipString(text, at);
  if (first == '{' || first == '[') {
    size_t depth = 0;
    while (at < text.size()) {
      const char c = text[at];
      if (c == '"') {
        at = SkipString(text, at);
        if (at == kFailed) return kFailed;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return at + 1;
      ++at;
    }
    return kFailed;
  }
  while (at < text.size() && text[at] != ',' && text[at] != '}' && text[at] != ']' &&
         text[at] != ' ' && text[at] != '\t' && text[at] != '\n' && text[at] != '\r') {
    ++at;
  }
  return at;
}

}  // namespace

bool FindTopLevelMembers(std::string_view object, std::vector<std::string_view>& members) {
  members.clear();
  size_t at = SkipSpace(object, 0);
  if (at >= object.size() || object[at] != '{') return false;
  at = SkipSpace(object, at + 1);
  if (at < object.size() && object[at] == '}') return true;
  while (at < object.size()) {
    if (object[at] != '"') return false;
    const size_t start = at;
    at = SkipString(object, at);
    if (at == kFailed) return false;
    at = SkipSpace(object, at);
    if (at >= object.size() || object[at] != ':') return false;
    at = SkipValue(object, SkipSpace(object, at + 1));
    if (at == kFailed) return false;
    members.push_back(object.substr(start, at - start));
    at = SkipSpace(object, at);
    if (at >= object.size()) return false;
    if (object[at] == '}') return true;
    if (object[at] != ',') return false;
    at = SkipSpace(object, at + 1);
  }
  return false;
}

}  // namespace lp
