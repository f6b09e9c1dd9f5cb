#include "collector/protocols/syslog.h"

#include <charconv>
#include <cstring>

namespace lp::collector {
namespace {

constexpr std::string_view kSeverities[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};
constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr EpochMillis kDayMs = 24 * 3600 * 1000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `<PRI>`: 0 to 191 (facility * 8 + severity), consumed from `rest`.
std::optional<int> ReadPri(std::string_view& rest) {
  if (rest.size() < 3 || rest[0] != '<') return std::nullopt;
  const size_t close = rest.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) return std::nullopt;
  int pri = 0;
  for (size_t i = 1; i < close; ++i) {
    if (!IsDigit(rest[i])) return std::nullopt;  // from_chars would take a sign
    pri = pri * 10 + (rest[i] - '0');
  }
  if (pri > 191) return std::nullopt;
  rest.remove_prefix(close + 1);
  return pri;
}

// The next space-separated token of an RFC 5424 header, consumed with its space.
std::optional<std::string_view> ReadToken(std::string_view& rest) {
  const size_t space = rest.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  const auto token = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return token;
}

std::string_view NilAsEmpty(std::string_view value) { return value == "-" ? "" : value; }

}  // namespace

SyslogDecoder::SyslogDecoder(DecodeOptions options) : options_(options), builder_(options_) {}

void SyslogDecoder::RejectTooLong(size_t bytes, DecodedBatch& out) {
  builder_.Reject(out.events.size() + out.rejected,
                  "message is " + std::to_string(bytes) + " bytes, over the " +
                      std::to_string(options_.event_limits.max_event_bytes) + "-byte limit",
                  out);
}

bool SyslogDecoder::ParseStructuredData(std::string_view& rest) {
  if (rest.starts_with('-')) {
    rest.remove_prefix(1);
    return true;
  }
  if (!rest.starts_with('[')) return false;
  while (rest.starts_with('[')) {
    rest.remove_prefix(1);
    const size_t id_end = rest.find_first_of(" ]");
    if (id_end == 0 || id_end == std::string_view::npos) return false;
    const auto id = rest.substr(0, id_end);
    rest.remove_prefix(id_end);
    sd_params_.Clear();
    while (rest.starts_with(' ')) {
      rest.remove_prefix(1);
      const size_t equals = rest.find("=\"");
      if (equals == 0 || equals == std::string_view::npos) return false;
      const auto name = rest.substr(0, equals);
      rest.remove_prefix(equals + 2);
      sd_value_.clear();
      while (true) {
        if (rest.empty()) return false;
        const char c = rest.front();
        rest.remove_prefix(1);
        if (c == '"') break;
        if (c == '\\' && !rest.empty() &&
            (rest.front() == '"' || rest.front() == '\\' || rest.front() == ']')) {
          sd_value_ += rest.front();
          rest.remove_prefix(1);
          continue;
        }
        sd_value_ += c;
      }
      sd_params_.AddString(name, sd_value_);
    }
    if (!rest.starts_with(']')) return false;
    rest.remove_prefix(1);
    fields_.payload.AddRaw(id, "{" + sd_params_.text() + "}");
  }
  return true;
}

bool SyslogDecoder::ParseRfc5424(std::string_view rest) {
  const auto time = ReadToken(rest);
  const auto host = time ? ReadToken(rest) : std::nullopt;
  const auto app = host ? ReadToken(rest) : std::nullopt;
  const auto procid = app ? ReadToken(rest) : std::nullopt;
  const auto msgid = procid ? ReadToken(rest) : std::nullopt;
  if (!msgid) return false;
  if (*time != "-") {
    const auto millis = ParseRfc3339(*time);
    if (!millis) return false;
    fields_.timestamp_ms = millis;
  }
  fields_.host = NilAsEmpty(*host);
  fields_.service = NilAsEmpty(*app);
  if (!NilAsEmpty(*procid).empty()) fields_.labels.AddString("procid", *procid);
  if (!NilAsEmpty(*msgid).empty()) fields_.labels.AddString("msgid", *msgid);
  if (!ParseStructuredData(rest)) return false;
  if (!rest.empty()) {
    if (rest.front() != ' ') return false;
    rest.remove_prefix(1);
    if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);  // the UTF-8 BOM RFC 5424 allows
  }
  fields_.message = rest;
  return true;
}

bool SyslogDecoder::ParseRfc3164(std::string_view rest, EpochMillis now_ms) {
  // "Mmm dd hh:mm:ss ", the day padded with a space; no year and no zone: the current year (the
  // last one for a date more than a day ahead), and UTC.
  if (rest.size() < 16 || rest[3] != ' ' || rest[6] != ' ' || rest[9] != ':' || rest[12] != ':' ||
      rest[15] != ' ') {
    return false;
  }
  int month = 0;
  while (month < 12 && rest.substr(0, 3) != kMonths[month]) ++month;
  if (month == 12) return false;
  const char day_tens = rest[4] == ' ' ? '0' : rest[4];
  for (const char c :
       {day_tens, rest[5], rest[7], rest[8], rest[10], rest[11], rest[13], rest[14]}) {
    if (!IsDigit(c)) return false;
  }
  const std::string year = FormatRfc3339Millis(now_ms).substr(0, 4);
  timestamp_ = year + "-" + (month < 9 ? "0" : "") + std::to_string(month + 1) + "-" + day_tens +
               rest[5] + "T" + std::string(rest.substr(7, 8)) + "Z";
  auto millis = ParseRfc3339(timestamp_);
  if (!millis) return false;
  if (*millis > now_ms + kDayMs) {
    timestamp_.replace(0, 4, std::to_string(std::stoi(year) - 1));
    millis = ParseRfc3339(timestamp_);
    if (!millis) return false;
  }
  fields_.timestamp_ms = millis;
  rest.remove_prefix(16);

  // HOSTNAME, then TAG ("app[pid]:" or "app:"); a first word that is already a tag has no host.
  const size_t first_end = rest.find(' ');
  const auto first = rest.substr(0, first_end);
  const bool first_is_tag = first.ends_with(':') || first.find('[') != std::string_view::npos;
  if (!first_is_tag && first_end != std::string_view::npos) {
    fields_.host = first;
    rest.remove_prefix(first_end + 1);
  }
  const size_t tag_end = rest.find_first_of("[: ");
  if (tag_end != std::string_view::npos && tag_end > 0 && rest[tag_end] != ' ') {
    const auto tag = rest.substr(0, tag_end);
    std::string_view after = rest.substr(tag_end);
    if (after.front() == '[') {
      const size_t close = after.find(']');
      if (close != std::string_view::npos) {
        fields_.labels.AddString("procid", after.substr(1, close - 1));
        after.remove_prefix(close + 1);
      }
    }
    if (after.starts_with(':')) {
      fields_.service = tag;
      after.remove_prefix(1);
      if (after.starts_with(' ')) after.remove_prefix(1);
      rest = after;
    }
  }
  fields_.message = rest;
  return true;
}

void SyslogDecoder::Add(std::string_view message, EpochMillis now_ms, DecodedBatch& out) {
  while (!message.empty() &&
         (message.back() == '\n' || message.back() == '\r' || message.back() == '\0')) {
    message.remove_suffix(1);
  }
  fields_.Clear();
  std::string_view rest = message;
  const auto pri = ReadPri(rest);
  const auto start = [&] {
    fields_.Clear();
    if (!pri) return;
    fields_.level = kSeverities[*pri % 8];
    fields_.labels.AddString("facility", kFacilities[*pri / 8]);
  };
  start();
  const bool parsed =
      pri && (rest.starts_with("1 ") ? ParseRfc5424(rest.substr(2)) : ParseRfc3164(rest, now_ms));
  if (!parsed) {
    // Neither form: the message as sent (after its PRI) is kept whole.
    start();
    fields_.message = rest;
  }
  WriteEvent(fields_, event_json_);
  builder_.AddWritten(event_json_, out.events.size() + out.rejected, out);
}

SyslogFramer::SyslogFramer(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

char* SyslogFramer::Prepare(size_t size) {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < end_ + size) buffer_.resize(end_ + size);
  return buffer_.data() + end_;
}

void SyslogFramer::Commit(size_t received) { end_ += received; }

std::string_view SyslogFramer::Rest() {
  if (skip_ > 0 || skip_line_) return {};
  std::string_view rest(buffer_.data() + begin_, end_ - begin_);
  begin_ = end_;
  if (rest.ends_with('\r')) rest.remove_suffix(1);
  return rest;
}

std::optional<SyslogFramer::Frame> SyslogFramer::Next() {
  while (true) {
    if (skip_ > 0) {
      const size_t dropped = std::min(skip_, end_ - begin_);
      begin_ += dropped;
      skip_ -= dropped;
      if (skip_ > 0) return std::nullopt;
    }
    const std::string_view unread(buffer_.data() + begin_, end_ - begin_);
    if (skip_line_) {
      const size_t line_end = unread.find('\n');
      begin_ = line_end == std::string_view::npos ? end_ : begin_ + line_end + 1;
      if (line_end == std::string_view::npos) return std::nullopt;
      skip_line_ = false;
      continue;
    }
    if (unread.empty()) return std::nullopt;
    if (IsDigit(unread.front())) {
      // Octet counting: "<length> <message>".
      size_t digits = 0;
      while (digits < unread.size() && digits < 10 && IsDigit(unread[digits])) ++digits;
      if (digits == unread.size()) return std::nullopt;  // the length is still arriving
      if (unread[digits] == ' ') {
        size_t length = 0;
        std::from_chars(unread.data(), unread.data() + digits, length);
        const size_t header = digits + 1;
        if (length > max_message_bytes_) {
          begin_ += header;
          skip_ = length;
          return Frame{{}, length};
        }
        if (unread.size() - header < length) return std::nullopt;
        begin_ += header + length;
        return Frame{unread.substr(header, length), 0};
      }
    }
    const size_t line_end = unread.find('\n');
    if (line_end == std::string_view::npos) {
      if (unread.size() <= max_message_bytes_) return std::nullopt;
      skip_line_ = true;
      begin_ = end_;
      return Frame{{}, unread.size()};
    }
    begin_ += line_end + 1;
    std::string_view line = unread.substr(0, line_end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > max_message_bytes_) return Frame{{}, line.size()};
    return Frame{line, 0};
  }
}

}  // namespace lp::collector
