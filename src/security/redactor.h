#pragma once

#include <re2/re2.h>
#include <simdjson.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"

namespace lp::security {

enum class RedactionAction {
  kMask,       ///< `****` and the last 4 characters of what was found (`****1234`).
  kHash,       ///< `hmac:<hex HMAC-SHA-256>`, keyed by REDACTION_HASH_KEY_FILE: still correlates.
  kDropField,  ///< The field holding it goes.
  kDropEvent,  ///< The event goes (acknowledged, never queued).
};

struct RedactionOptions {
  std::filesystem::path rules_file;  ///< Empty: the built-in detectors with their defaults.
  std::string hash_key;              ///< Needed when a rule hashes.
};

/// One redaction a rule made (or would make, in a dry run).
struct RedactionHit {
  std::string rule;
  std::string path;  ///< `message`, `payload.user.email`, `labels.team`, ...
  RedactionAction action = RedactionAction::kMask;
};

[[nodiscard]] std::string_view ActionName(RedactionAction action);

/// Appends the JSON object of where `address` is (`geo`, DESIGN §4); false when unknown.
using AddressLocator = std::function<bool(std::string_view address, std::string& geo_json)>;

/// Per-call buffers; one per thread (the collector keeps one with each pooled decoder).
struct RedactionScratch {
  simdjson::ondemand::parser parser;
  std::string padded;
  std::string value;
  std::string address;  ///< payload.ip_address as it came.
  /// Set: when an event's `payload.ip_address` is redacted, its `geo` is made from the address
  /// as it came (replacing any `geo` the event brought), since nothing after the collector
  /// can locate a masked address.
  AddressLocator locate;
};

/// PII redaction of events in the collector, before the queue (docs/SECURITY.md): built-in
/// detectors and custom rules (a field path and/or an RE2 pattern) with an action each, over
/// `message`, `payload.*` and `labels.*`. Every redaction counts in
/// `redactions_total{rule}`. Immutable once created; Apply is thread-safe given a scratch per
/// thread.
class Redactor {
 public:
  /// Reads the rules file (TOML):
  ///
  ///     [builtin]                      # each detector's action, or "off"; ipv4/ipv6 are off
  ///     email = "hash"                 # unless named; the others mask by default
  ///     ipv4 = "mask"
  ///
  ///     [[rules]]
  ///     name = "passwords"             # the metric's label
  ///     field = "payload.password"     # a path, or "payload.*" / "labels.*"; none: everywhere
  ///     pattern = "(?i)secret-[a-z]+"  # RE2; none: the whole value
  ///     action = "drop_field"          # mask, hash, drop_field, drop_event
  ///
  /// Errors name the rule and the problem (a bad pattern, a hash without a key).
  [[nodiscard]] static Result<std::unique_ptr<Redactor>> Create(const RedactionOptions& options,
                                                                metrics::Registry& registry);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  enum class Outcome { kUnchanged, kRedacted, kDropped };
  /// Redacts one event (compact JSON, already validated); when kRedacted the new text is
  /// appended to `out`. With `hits` (a dry run) each redaction is listed there instead of
  /// counted in the metrics.
  [[nodiscard]] Outcome Apply(std::string_view event, RedactionScratch& scratch, std::string& out,
                              std::vector<RedactionHit>* hits = nullptr) const;

  struct Rule;

 private:
  Redactor(std::vector<Rule> rules, std::unique_ptr<re2::RE2::Set> any_pattern,
           std::string hash_key, metrics::Counter& dropped);
  [[nodiscard]] std::string Replacement(RedactionAction action, std::string_view found) const;
  /// False when no rule's pattern can match anywhere in `text`.
  [[nodiscard]] bool MayMatch(std::string_view text) const;
  class Walk;

  std::vector<Rule> rules_;
  std::unique_ptr<re2::RE2::Set> any_pattern_;  ///< Null: no rule has a pattern.
  bool whole_event_prefilter_;  ///< any_pattern_ may rule out a whole event at once.
  std::string hash_key_;
  metrics::Counter& dropped_events_;
};

}  // namespace lp::security
