#include "core/offset_runs.h"

#include <charconv>

namespace lp {
namespace {

bool ReadOffset(std::string_view text, int64_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size() && out >= 0;
}

}  // namespace

std::string FormatOffsetRuns(const std::vector<OffsetRun>& runs) {
  std::string text;
  for (const auto& [first, last] : runs) {
    if (!text.empty()) text += ',';
    text += std::to_string(first);
    if (last != first) {
      text += '-';
      text += std::to_string(last);
    }
  }
  return text;
}

std::optional<std::vector<int64_t>> ParseOffsetRuns(std::string_view text, size_t max_offsets) {
  std::vector<int64_t> offsets;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view run = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    const size_t dash = run.find('-');
    int64_t first = 0;
    int64_t last = 0;
    if (!ReadOffset(run.substr(0, dash), first)) return std::nullopt;
    if (dash == std::string_view::npos) {
      last = first;
    } else if (!ReadOffset(run.substr(dash + 1), last) || last < first) {
      return std::nullopt;
    }
    if (!offsets.empty() && first <= offsets.back()) return std::nullopt;
    if (offsets.size() >= max_offsets ||
        static_cast<uint64_t>(last - first) >= max_offsets - offsets.size()) {
      return std::nullopt;
    }
    for (int64_t offset = first; offset <= last; ++offset) offsets.push_back(offset);
  }
  return offsets;
}

}  // namespace lp
