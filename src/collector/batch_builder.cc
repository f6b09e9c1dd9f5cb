#include "collector/batch_builder.h"

#include <cstring>

#include "core/event_tenant.h"

namespace lp::collector {
namespace {

bool IsParseError(std::string_view message) {
  return message.starts_with("invalid JSON") || message.starts_with("invalid UTF-8");
}

}  // namespace

void DecodedBatch::Clear() {
  json.clear();
  keys.clear();
  events.clear();
  errors.clear();
  rejected = 0;
}

BatchBuilder::BatchBuilder(const DecodeOptions& options)
    : options_(options), validator_(options.event_limits) {}

void BatchBuilder::Reject(size_t index, std::string message, DecodedBatch& out) const {
  ++out.rejected;
  if (out.errors.size() < options_.max_listed_errors) {
    out.errors.push_back(EventError{index, std::move(message)});
  }
}

void BatchBuilder::AddWritten(std::string& json, size_t index, DecodedBatch& out) {
  json.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  Add(json, index, 0, out);
}

void BatchBuilder::Add(std::string_view raw, size_t index, size_t byte_offset, DecodedBatch& out) {
  const size_t max_bytes = options_.event_limits.max_event_bytes;
  if (raw.size() > max_bytes) {
    return Reject(index,
                  "event is " + std::to_string(raw.size()) + " bytes, over the " +
                      std::to_string(max_bytes) + "-byte limit",
                  out);
  }
  // An event goes to the queue as received, on one line: only line breaks between tokens (a
  // pretty-printed event) are worth a copy to remove. `raw` lies inside the padded body, so it
  // can be parsed in place.
  std::string_view compact = raw;
  // Two memchr scans: std::string_view::find_first_of tests each byte against the set in turn.
  if (std::memchr(raw.data(), '\n', raw.size()) != nullptr ||
      std::memchr(raw.data(), '\r', raw.size()) != nullptr) {
    scratch_.resize(raw.size() + simdjson::SIMDJSON_PADDING);
    size_t compact_length = 0;
    if (simdjson::minify(raw.data(), raw.size(), scratch_.data(), compact_length) !=
        simdjson::SUCCESS) {
      return Reject(index,
                    "invalid JSON (event starts at byte " + std::to_string(byte_offset) + ")", out);
    }
    compact = std::string_view(scratch_.data(), compact_length);
  }
  auto event = validator_.ValidatePadded(compact);
  if (!event) {
    std::string message = std::move(event.error().message);
    if (IsParseError(message)) {
      message += " (event starts at byte " + std::to_string(byte_offset) + ")";
    }
    return Reject(index, std::move(message), out);
  }
  AcceptedEvent accepted;
  accepted.index = index;
  accepted.json_offset = static_cast<uint32_t>(out.json.size());
  if (!AppendWithTenant(compact, event->root, tenant_, members_, out.json)) {
    return Reject(index, "invalid JSON (event starts at byte " + std::to_string(byte_offset) + ")",
                  out);
  }
  accepted.json_length = static_cast<uint32_t>(out.json.size() - accepted.json_offset);
  accepted.key_offset = static_cast<uint32_t>(out.keys.size());
  accepted.key_length = static_cast<uint32_t>(event->service.size());
  out.keys.append(event->service);
  out.events.push_back(accepted);
}

}  // namespace lp::collector
