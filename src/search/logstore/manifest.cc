#include "search/logstore/manifest.h"

#include <xxhash.h>

#include <charconv>
#include <sstream>

namespace lp::search::logstore {
namespace {

constexpr std::string_view kHeader = "logpipe-logstore-manifest";

std::string Hex(uint64_t value) {
  char buffer[17];
  const auto end = std::to_chars(buffer, buffer + 16, value, 16).ptr;
  return std::string(buffer, end);
}

}  // namespace

bool ParseOffsetId(std::string_view id, std::string_view& prefix, int64_t& offset) {
  const auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return false;
  const auto digits = id.substr(dash + 1);
  const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
  if (parsed.ec != std::errc{} || parsed.ptr != digits.data() + digits.size() || offset < 0) {
    return false;
  }
  prefix = id.substr(0, dash);
  return true;
}

// One line per fact, words separated by spaces (part names and id prefixes have none; an id
// prefix with a space counts as an "other" id instead), then a line with the checksum.
std::string EncodeManifest(const Manifest& manifest) {
  std::ostringstream out;
  out << kHeader << ' ' << kManifestFormatVersion << '\n';
  out << "next_part " << manifest.next_part << '\n';
  out << "next_seq " << manifest.next_seq << '\n';
  for (const auto& [partition, offset] : manifest.checkpoint) {
    out << "checkpoint " << partition << ' ' << offset << '\n';
  }
  for (const auto& part : manifest.parts) {
    out << "part " << part.name << ' ' << part.rows << ' ' << part.bytes << ' '
        << part.min_arrival_ms << ' ' << part.max_arrival_ms << ' ' << part.max_seq << ' '
        << (part.other_ids ? 1 : 0) << '\n';
    for (const auto& [partition, offset] : part.source_min_offsets) {
      out << " source " << partition << ' ' << offset << '\n';
    }
    for (const auto& [prefix, range] : part.id_ranges) {
      out << " ids " << prefix << ' ' << range.first << ' ' << range.second << '\n';
    }
    if (!part.deleted.empty()) {
      out << " deleted";
      for (const uint32_t row : part.deleted) out << ' ' << row;
      out << '\n';
    }
  }
  std::string text = out.str();
  text += "checksum " + Hex(XXH3_64bits(text.data(), text.size())) + "\n";
  return text;
}

Result<Manifest> DecodeManifest(std::string_view text) {
  const auto bad = [](std::string what) { return Permanent("corrupt MANIFEST: " + what); };
  const auto checksum_at = text.rfind("checksum ");
  if (checksum_at == std::string_view::npos || !text.ends_with('\n')) {
    return bad("truncated (no checksum line)");
  }
  const auto body = text.substr(0, checksum_at);
  const auto written = text.substr(checksum_at + 9, text.size() - checksum_at - 10);
  if (written != Hex(XXH3_64bits(body.data(), body.size()))) return bad("checksum mismatch");

  Manifest manifest;
  std::istringstream in{std::string(body)};
  std::string line;
  if (!std::getline(in, line)) return bad("empty");
  {
    std::istringstream header(line);
    std::string name;
    uint32_t version = 0;
    header >> name >> version;
    if (name != kHeader) return bad("not a manifest");
    if (version != kManifestFormatVersion) {
      return bad("format version " + std::to_string(version) + ", this build reads " +
                 std::to_string(kManifestFormatVersion));
    }
  }
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "next_part") {
      words >> manifest.next_part;
    } else if (kind == "next_seq") {
      words >> manifest.next_seq;
    } else if (kind == "checkpoint") {
      int32_t partition = 0;
      int64_t offset = 0;
      words >> partition >> offset;
      manifest.checkpoint[partition] = offset;
    } else if (kind == "part") {
      PartEntry part;
      int other = 0;
      words >> part.name >> part.rows >> part.bytes >> part.min_arrival_ms >> part.max_arrival_ms >>
          part.max_seq >> other;
      part.other_ids = other != 0;
      manifest.parts.push_back(std::move(part));
    } else if (manifest.parts.empty()) {
      return bad("a part's detail before any part");
    } else if (kind == "source") {
      int32_t partition = 0;
      int64_t offset = 0;
      words >> partition >> offset;
      manifest.parts.back().source_min_offsets[partition] = offset;
    } else if (kind == "ids") {
      std::string prefix;
      int64_t low = 0;
      int64_t high = 0;
      words >> prefix >> low >> high;
      manifest.parts.back().id_ranges[prefix] = {low, high};
    } else if (kind == "deleted") {
      uint32_t row = 0;
      while (words >> row) manifest.parts.back().deleted.push_back(row);
      words.clear(std::ios::eofbit);
    } else {
      return bad("unknown line \"" + line + "\"");
    }
    if (words.fail()) return bad("malformed line \"" + line + "\"");
  }
  return manifest;
}

}  // namespace lp::search::logstore
