#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp {

/// Ascending offsets written as runs of consecutive ones: "7-9,12" is 7, 8, 9, 12. An archive
/// object's `line-offsets` metadata holds its lines' record offsets this way (the archiver
/// writes it, replay reads it).
using OffsetRun = std::pair<int64_t, int64_t>;  ///< First and last, inclusive.

[[nodiscard]] std::string FormatOffsetRuns(const std::vector<OffsetRun>& runs);

/// The offsets `text` lists, or nothing when it is malformed, not ascending, or lists more than
/// `max_offsets` (the caller knows how many to expect, so a hostile "0-9999999999" cannot make
/// it allocate without bound).
[[nodiscard]] std::optional<std::vector<int64_t>> ParseOffsetRuns(std::string_view text,
                                                                  size_t max_offsets);

}  // namespace lp
