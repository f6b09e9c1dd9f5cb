#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "collector/batch_builder.h"
#include "collector/event_writer.h"
#include "core/timestamp.h"

namespace lp::collector {

/// Turns syslog messages, RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and RFC
/// 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`), into logpipe events: severity → level,
/// APP-NAME or TAG → service, HOSTNAME → host, facility, PROCID and MSGID → labels, structured
/// data → payload (`{"<SD-ID>":{"<name>":"<value>"}}`), MSG → message (docs/PROTOCOLS.md). A
/// message that is neither is kept whole as the message. Everything a sender can send is
/// answered by a result, never a crash (a fuzz target).
///
/// Not thread-safe: one per connection or socket.
class SyslogDecoder {
 public:
  explicit SyslogDecoder(DecodeOptions options = {});

  /// The tenant every event gets (SYSLOG_TENANT; empty: none). Must outlive the Adds.
  void SetTenant(std::string_view tenant) { builder_.SetTenant(tenant); }
  /// Adds one message (a frame or a datagram, without its framing) to `out`, as its next event.
  /// `now_ms` dates an RFC 3164 timestamp (which has no year) and a message without one.
  void Add(std::string_view message, EpochMillis now_ms, DecodedBatch& out);
  /// Files a message that could not be read whole (over the size limit) as rejected.
  void RejectTooLong(size_t bytes, DecodedBatch& out);

 private:
  bool ParseRfc5424(std::string_view rest);
  bool ParseRfc3164(std::string_view rest, EpochMillis now_ms);
  bool ParseStructuredData(std::string_view& rest);

  DecodeOptions options_;
  BatchBuilder builder_;
  EventFields fields_;
  std::string timestamp_;
  std::string sd_value_;
  JsonMembers sd_params_;
  std::string event_json_;
  size_t index_ = 0;
};

/// Splits a syslog TCP stream into messages (RFC 6587): octet counting (`<length> <message>`)
/// when a frame starts with a digit, else non-transparent framing, each message ending at a line
/// feed (a carriage return before it is dropped). A message over `max_message_bytes` is reported
/// as too long and skipped.
///
/// Not thread-safe: one per connection.
class SyslogFramer {
 public:
  explicit SyslogFramer(size_t max_message_bytes);

  /// Where the next received bytes go: at most `size` of them, then Commit(received).
  [[nodiscard]] char* Prepare(size_t size);
  void Commit(size_t received);

  struct Frame {
    std::string_view message;   ///< Empty when too long.
    size_t too_long_bytes = 0;  ///< The length of a message over the limit.
  };
  /// The next complete frame, valid until the next Prepare; none until more bytes come.
  [[nodiscard]] std::optional<Frame> Next();
  /// At the end of the stream, once Next found nothing: what is left of a last line that had
  /// no line feed (empty when there is none, or when it was over the limit), then nothing.
  [[nodiscard]] std::string_view Rest();

 private:
  const size_t max_message_bytes_;
  std::string buffer_;
  size_t begin_ = 0;        ///< Where the unread bytes start.
  size_t end_ = 0;          ///< Where they end.
  size_t skip_ = 0;         ///< Bytes still to drop of an octet-counted message over the limit.
  bool skip_line_ = false;  ///< Dropping the rest of a line over the limit.
};

}  // namespace lp::collector
