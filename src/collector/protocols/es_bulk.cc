#include "collector/protocols/es_bulk.h"

#include "collector/body_decoding.h"

namespace lp::collector {
namespace {

// Elasticsearch's limit on a document id.
constexpr size_t kMaxIdBytes = 512;

}  // namespace

std::string_view IndexOfBulkPath(std::string_view path) {
  if (path.starts_with("/es/")) path.remove_prefix(3);
  if (!path.ends_with("/_bulk")) return {};
  path.remove_suffix(6);
  if (path.empty()) return {};
  return path.substr(1);
}

EsBulkDecoder::EsBulkDecoder(DecodeOptions options)
    : options_(options), builder_(options_), random_(std::random_device{}()) {}

void EsBulkDecoder::MakeId(std::string& id) {
  // 20 characters of the URL-safe base64 alphabet, like Elasticsearch's own ids: 120 random bits.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  id.clear();
  uint64_t bits = 0;
  for (int i = 0; i < 20; ++i) {
    if (i % 10 == 0) bits = random_();
    id += kAlphabet[bits & 63];
    bits >>= 6;
  }
}

bool EsBulkDecoder::ReadAction(std::string_view line, size_t capacity, BulkItem& item,
                               std::string& error) {
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  simdjson::ondemand::object metadata;
  if (auto code = action_parser_.iterate(line.data(), line.size(), capacity).get(document);
      code || (code = document.get_object().get(object))) {
    error = std::string("Malformed action/metadata line: ") + simdjson::error_message(code);
    return false;
  }
  size_t actions = 0;
  for (auto member : object) {
    std::string_view action;
    if (auto code = member.unescaped_key().get(action)) {
      error = std::string("Malformed action/metadata line: ") + simdjson::error_message(code);
      return false;
    }
    if (++actions > 1) {
      error = "Malformed action/metadata line: expected one action, found more";
      return false;
    }
    item.action = action;
    if (action != "index" && action != "create" && action != "update" && action != "delete") {
      error =
          "Malformed action/metadata line: expected one of [create, delete, index, update] "
          "but found [" +
          item.action + "]";
      return false;
    }
    if (auto code = member.value().get_object().get(metadata)) {
      error = std::string(
                  "Malformed action/metadata line: the action's value must be an "
                  "object: ") +
              simdjson::error_message(code);
      return false;
    }
    for (auto field : metadata) {
      std::string_view key;
      std::string_view text;
      if (auto code = field.unescaped_key().get(key)) {
        error = std::string("Malformed action/metadata line: ") + simdjson::error_message(code);
        return false;
      }
      if (key != "_index" && key != "_id") continue;
      if (field.value().get_string().get(text)) {
        error = "Malformed action/metadata line: [" + std::string(key) + "] must be a string";
        return false;
      }
      (key == "_index" ? item.index : item.id) = text;
    }
  }
  if (actions == 0) {
    error = "Malformed action/metadata line: expected an action, found an empty object";
    return false;
  }
  return true;
}

void EsBulkDecoder::AddSource(std::string_view line, BulkItem& item, BulkBatch& out) {
  const size_t index = out.items.size() - 1;
  const auto refuse = [&](unsigned status, std::string type, std::string reason) {
    item.status = status;
    item.error_type = std::move(type);
    item.error_reason = reason;
    builder_.Reject(index, std::move(reason), out.events);
  };
  if (item.action == "update") {
    return refuse(400, "illegal_argument_exception",
                  "logpipe stores logs: the update action is not supported, use index or create");
  }
  if (item.id.size() > kMaxIdBytes) {
    return refuse(400, "illegal_argument_exception",
                  "id [" + item.id.substr(0, 32) +
                      "...] is too long, must be no longer than 512 "
                      "bytes but was: " +
                      std::to_string(item.id.size()));
  }
  std::string error;
  if (!mapper_.Map(line, fields_, error)) {
    return refuse(400, "document_parsing_exception", std::move(error));
  }
  if (item.id.empty()) MakeId(item.id);
  fields_.id = item.id;
  if (fields_.service.empty()) fields_.service = item.index;
  WriteEvent(fields_, event_json_);
  const size_t accepted_before = out.events.events.size();
  builder_.AddWritten(event_json_, index, out.events);
  if (out.events.events.size() == accepted_before) {
    item.status = 400;
    item.error_type = "document_parsing_exception";
    item.error_reason = !out.events.errors.empty() && out.events.errors.back().index == index
                            ? out.events.errors.back().message
                            : "invalid event";
  }
}

tl::expected<void, RequestFailure> EsBulkDecoder::Decode(std::string_view path_index,
                                                         std::string_view content_encoding,
                                                         const std::string& body, BulkBatch& out,
                                                         std::string_view tenant) {
  out.events.Clear();
  builder_.SetTenant(tenant);
  out.items.clear();
  auto decoded = DecodeBody(content_encoding, body, options_.max_body_bytes, decompressed_);
  if (!decoded) return tl::unexpected(std::move(decoded.error()));
  const std::string_view text = decoded->text;

  bool expecting_source = false;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = TrimSpace(text.substr(start, end - start));
    const size_t capacity = decoded->capacity - static_cast<size_t>(line.data() - text.data());
    start = end + 1;
    ++line_number;
    if (line.empty()) continue;
    if (expecting_source) {
      expecting_source = false;
      AddSource(line, out.items.back(), out);
      continue;
    }
    BulkItem item;
    std::string error;
    if (!ReadAction(line, capacity, item, error)) {
      out.events.Clear();
      out.items.clear();
      return tl::unexpected(
          RequestFailure{400, error + " (line " + std::to_string(line_number) + ")"});
    }
    if (item.index.empty()) item.index = path_index;
    out.items.push_back(std::move(item));
    if (out.items.back().action == "delete") {
      BulkItem& refused = out.items.back();
      refused.status = 400;
      refused.error_type = "illegal_argument_exception";
      refused.error_reason = "logpipe stores logs: the delete action is not supported";
      builder_.Reject(out.items.size() - 1, refused.error_reason, out.events);
      continue;
    }
    expecting_source = true;
  }
  if (expecting_source) {
    out.events.Clear();
    out.items.clear();
    return tl::unexpected(RequestFailure{
        400,
        "The bulk request must be terminated by a newline [\\n]: the last action has no "
        "source"});
  }
  if (out.items.empty()) {
    return tl::unexpected(RequestFailure{400, "Validation Failed: 1: no requests added;"});
  }
  return {};
}

}  // namespace lp::collector
