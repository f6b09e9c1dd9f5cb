#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "collector/event_writer.h"

namespace lp::collector {

/// Maps a shipper's JSON document to a logpipe event: Elastic Common Schema fields
/// (`@timestamp`, `message`, `log.level`, `service.name`, `host.name`, `trace.id`, `span.id`,
/// `labels`), as nested objects or dotted keys, and logpipe's own field names, go to the event's
/// fields (docs/PROTOCOLS.md has the table); everything else goes to `payload` as sent. Used by
/// the Elasticsearch bulk API and the Splunk HEC `event` objects.
///
/// Not thread-safe: it owns a parser and scratch space. The fields it fills point into the
/// document and the parser, valid until the next Map.
class DocumentMapper {
 public:
  /// `json` must be followed by simdjson::SIMDJSON_PADDING readable bytes. False (with
  /// `error` set) when it is not a JSON object.
  [[nodiscard]] bool Map(std::string_view json, EventFields& fields, std::string& error);

 private:
  simdjson::ondemand::parser parser_;
  JsonMembers nested_rest_;
};

}  // namespace lp::collector
