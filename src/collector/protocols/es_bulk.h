#pragma once

#include <simdjson.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "collector/batch_builder.h"
#include "collector/event_writer.h"
#include "collector/protocols/document_mapping.h"

namespace lp::collector {

/// One action of a bulk request, in the order sent: what its item of the answer says.
struct BulkItem {
  std::string action;  ///< "index", "create", or a refused one ("update", "delete").
  std::string index;   ///< `_index`, else the one the path names.
  std::string id;      ///< `_id` as sent, else one made up (as Elasticsearch does).
  unsigned status = 201;
  std::string error_type;  ///< Empty when the event was accepted.
  std::string error_reason;
};

/// A decoded bulk request: the events (event index = item index) and every item.
struct BulkBatch {
  DecodedBatch events;
  std::vector<BulkItem> items;
};

/// Turns an Elasticsearch `_bulk` body (NDJSON: an action line, then a source line for
/// `index` and `create`; identity, gzip or zstd) into logpipe events, item by item: each
/// source document is mapped by DocumentMapper, the index name standing in for a missing
/// service, and the action's `_id` becomes the event's `_id` (the document id), so a shipper's
/// retry overwrites instead of duplicating. `update` and `delete` are refused item by item.
/// Everything a client can send is answered by a result, never a crash (a fuzz target).
///
/// Not thread-safe: one per thread.
class EsBulkDecoder {
 public:
  explicit EsBulkDecoder(DecodeOptions options = {});

  /// `path_index`: the index of `/<index>/_bulk`, empty for `/_bulk`. Fills `out` (cleared
  /// first); every event gets the reserved `tenant` (BatchBuilder::SetTenant). A failure is the
  /// request's as a whole: a body that is no bulk request.
  [[nodiscard]] tl::expected<void, RequestFailure> Decode(std::string_view path_index,
                                                          std::string_view content_encoding,
                                                          const std::string& body, BulkBatch& out,
                                                          std::string_view tenant = {});

 private:
  /// Reads an action line into `item`; false when it is no action (a whole-request error).
  bool ReadAction(std::string_view line, size_t capacity, BulkItem& item, std::string& error);
  void AddSource(std::string_view line, BulkItem& item, BulkBatch& out);
  void MakeId(std::string& id);

  DecodeOptions options_;
  BatchBuilder builder_;
  DocumentMapper mapper_;
  simdjson::ondemand::parser action_parser_;
  EventFields fields_;
  std::string event_json_;
  std::string decompressed_;
  std::mt19937_64 random_;
};

/// The index a bulk path names: `<index>` of `/<index>/_bulk` or `/es/<index>/_bulk`, empty for
/// `/_bulk` and `/es/_bulk`.
[[nodiscard]] std::string_view IndexOfBulkPath(std::string_view path);

}  // namespace lp::collector
