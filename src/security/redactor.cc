#include "security/redactor.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <optional>

#include "core/file_util.h"
#include "core/json_escape.h"
#include "security/detectors.h"

namespace lp::security {

namespace ondemand = simdjson::ondemand;

struct Redactor::Rule {
  std::string name;
  std::string field;  ///< Empty: every field in scope; `payload.*`: a prefix; else one path.
  std::unique_ptr<re2::RE2> pattern;  ///< Null: the whole value.
  bool (*valid)(std::string_view) = nullptr;
  RedactionAction action = RedactionAction::kMask;
  metrics::Counter* counter = nullptr;

  [[nodiscard]] bool AppliesTo(std::string_view path) const {
    if (field.empty()) return true;
    if (field.ends_with(".*"))
      return path.starts_with(std::string_view(field).substr(0, field.size() - 1));
    return path == field;
  }
};

namespace {

std::optional<RedactionAction> ParseAction(std::string_view name) {
  if (name == "mask") return RedactionAction::kMask;
  if (name == "hash") return RedactionAction::kHash;
  if (name == "drop_field") return RedactionAction::kDropField;
  if (name == "drop_event") return RedactionAction::kDropEvent;
  return std::nullopt;
}

}  // namespace

std::string_view ActionName(RedactionAction action) {
  switch (action) {
    case RedactionAction::kMask:
      return "mask";
    case RedactionAction::kHash:
      return "hash";
    case RedactionAction::kDropField:
      return "drop_field";
    case RedactionAction::kDropEvent:
      return "drop_event";
  }
  return "mask";
}

namespace {

bool ValidFieldPath(std::string_view field) {
  if (field == "message") return true;
  for (const std::string_view scope : {"payload.", "labels."}) {
    if (field.starts_with(scope) && field.size() > scope.size() && !field.ends_with(".") &&
        field.find("..") == std::string_view::npos &&
        (field.find('*') == std::string_view::npos ||
         (field.ends_with(".*") && field.find('*') == field.size() - 1))) {
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<re2::RE2>> Compile(std::string_view pattern, const std::string& where) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto compiled =
      std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!compiled->ok()) return Permanent(where + ": bad pattern: " + compiled->error());
  return compiled;
}

std::string Masked(std::string_view found) {
  return found.size() >= 8 ? "****" + std::string(found.substr(found.size() - 4)) : "****";
}

std::string_view TrimmedEnd(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

// One event's rewrite: the top-level members as they came, except message, payload and labels,
// whose values are walked and redacted.
class Redactor::Walk {
 public:
  Walk(const Redactor& redactor, RedactionScratch& scratch, std::string& out,
       std::vector<RedactionHit>* hits)
      : redactor_(redactor), scratch_(scratch), out_(out), hits_(hits) {}

  bool changed = false;
  bool drop_event = false;

  // Appends the event; false when it could not be read (it was validated, so never expected).
  bool Event(ondemand::object object) {
    const size_t start = out_.size();
    std::optional<std::pair<size_t, size_t>> geo;  // The event's own `geo` member in out_.
    const bool read = Object(object, [&](std::string_view key, ondemand::value& value, bool& keep) {
      if (key == "geo") {
        const size_t member = out_.size() - std::string_view("\"geo\":").size();
        if (!Raw(value)) return false;
        geo.emplace(member, out_.size());
        return true;
      }
      if (key != "message" && key != "payload" && key != "labels") return Raw(value);
      std::string path(key);
      return Value(value, path, keep);
    });
    if (!read) return false;
    if (address_redacted_) Locate(start, geo);
    return true;
  }

 private:
  // Appends `{`, each member through `member(key, value, keep)` after its key (a member whose
  // `keep` comes back false is left out), and `}`; false when the JSON could not be read.
  template <typename Member>
  bool Object(ondemand::object& object, const Member& member) {
    out_ += '{';
    bool first = true;
    for (auto field_result : object) {
      ondemand::field field;
      std::string_view key;
      if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return false;
      ondemand::value value = field.value();
      if (!Item(first, [&](bool& keep) {
            out_ += '"';
            AppendJsonEscaped(out_, key);
            out_ += "\":";
            return member(key, value, keep);
          })) {
        return false;
      }
    }
    out_ += '}';
    return true;
  }

  bool Array(ondemand::array& array, std::string& path) {
    out_ += '[';
    bool first = true;
    for (auto element_result : array) {
      ondemand::value element;
      if (std::move(element_result).get(element)) return false;
      if (!Item(first, [&](bool& keep) { return Value(element, path, keep); })) return false;
    }
    out_ += ']';
    return true;
  }

  // One member or element of a container: appended after a comma unless it is the `first`
  // kept, or taken back out when `append` says not to keep it.
  template <typename Append>
  bool Item(bool& first, const Append& append) {
    const size_t mark = out_.size();
    if (!first) out_ += ',';
    bool keep = true;
    if (!append(keep)) return false;
    if (keep) {
      first = false;
    } else {
      out_.resize(mark);
      changed = true;
    }
    return true;
  }

  bool Raw(ondemand::value& value) {
    ondemand::json_type type;
    if (value.type().get(type)) return false;
    std::string_view text;
    if (type == ondemand::json_type::object) {
      ondemand::object object;
      if (value.get_object().get(object) || object.raw_json().get(text)) return false;
    } else if (type == ondemand::json_type::array) {
      ondemand::array array;
      if (value.get_array().get(array) || array.raw_json().get(text)) return false;
    } else {
      text = value.raw_json_token();
    }
    out_.append(TrimmedEnd(text));
    return true;
  }

  // Puts `geo` from the address as it came in place of the event's own (at `geo` in out_).
  void Locate(size_t start, std::optional<std::pair<size_t, size_t>> geo) {
    scratch_.value.clear();
    if (!scratch_.locate(scratch_.address, scratch_.value)) return;
    changed = true;
    if (geo) {
      auto [begin, end] = *geo;
      if (out_[begin - 1] == ',') {
        --begin;
      } else if (out_[end] == ',') {
        ++end;
      }
      out_.erase(begin, end - begin);
    }
    out_.pop_back();  // The event's closing brace.
    if (out_.size() > start + 1) out_ += ',';
    out_ += "\"geo\":";
    out_ += scratch_.value;
    out_ += '}';
  }

  void Count(const Rule& rule, const std::string& path) {
    if (hits_ != nullptr) {
      hits_->push_back({rule.name, path, rule.action});
    } else {
      rule.counter->Increment();
    }
  }

  // Appends `value` (at `path`) redacted; `keep` false when its field is to be dropped.
  bool Value(ondemand::value& value, std::string& path, bool& keep) {
    ondemand::json_type type;
    if (value.type().get(type)) return false;
    const bool address =
        scratch_.locate && type == ondemand::json_type::string && path == "payload.ip_address";
    if (address) {
      std::string_view text;
      if (value.get_string().get(text)) return false;
      scratch_.address.assign(text);
    }
    for (const auto& rule : redactor_.rules_) {
      if (rule.pattern || !rule.AppliesTo(path)) continue;
      Count(rule, path);
      address_redacted_ |= address;
      return ApplyToWhole(rule, value, type, keep);
    }
    if (type == ondemand::json_type::object) {
      ondemand::object object;
      if (value.get_object().get(object)) return false;
      return Object(object, [&](std::string_view key, ondemand::value& child, bool& child_kept) {
        const size_t path_length = path.size();
        path += '.';
        path += key;
        const bool read = Value(child, path, child_kept);
        path.resize(path_length);
        return read;
      });
    }
    if (type == ondemand::json_type::array) {
      ondemand::array array;
      return !value.get_array().get(array) && Array(array, path);
    }
    // A string is searched in its text; a number or boolean in its JSON text (a card number
    // sent as a number is still a card number).
    const std::string_view raw = TrimmedEnd(value.raw_json_token());
    std::string_view text = raw;
    if (type == ondemand::json_type::string && value.get_string().get(text)) return false;
    if (!redactor_.MayMatch(text)) {
      out_.append(raw);
      return true;
    }
    scratch_.value.assign(text);
    bool found_any = false;
    for (const auto& rule : redactor_.rules_) {
      if (!rule.pattern || !rule.AppliesTo(path)) continue;
      switch (Search(rule, path, scratch_.value)) {
        case Found::kNothing:
          break;
        case Found::kReplaced:
          found_any = true;
          address_redacted_ |= address;
          break;
        case Found::kDropField:
          address_redacted_ |= address;
          keep = false;
          return true;
        case Found::kDropEvent:
          drop_event = true;
          keep = false;
          return true;
      }
    }
    if (!found_any) {
      out_.append(raw);
      return true;
    }
    changed = true;
    out_ += '"';
    AppendJsonEscaped(out_, scratch_.value);
    out_ += '"';
    return true;
  }

  bool ApplyToWhole(const Rule& rule, ondemand::value& value, ondemand::json_type type,
                    bool& keep) {
    changed = true;
    if (rule.action == RedactionAction::kDropField || rule.action == RedactionAction::kDropEvent) {
      drop_event |= rule.action == RedactionAction::kDropEvent;
      keep = false;
      return true;
    }
    const size_t start = out_.size();
    if (type == ondemand::json_type::string) {
      std::string_view text;
      if (value.get_string().get(text)) return false;
      scratch_.value.assign(text);
    } else {
      if (!Raw(value)) return false;
      scratch_.value.assign(out_, start);
      out_.resize(start);
    }
    out_ += '"';
    AppendJsonEscaped(out_, redactor_.Replacement(rule.action, scratch_.value));
    out_ += '"';
    return true;
  }

  enum class Found { kNothing, kReplaced, kDropField, kDropEvent };

  // Replaces each valid match of `rule` in `text`.
  Found Search(const Rule& rule, const std::string& path, std::string& text) {
    std::string result;
    size_t done = 0;
    size_t position = 0;
    bool found = false;
    re2::StringPiece match;
    const re2::StringPiece input(text);
    while (position <= text.size() &&
           rule.pattern->Match(input, position, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
      const size_t begin = static_cast<size_t>(match.data() - text.data());
      const size_t end = begin + match.size();
      const std::string_view found_text(match.data(), match.size());
      if (match.empty() || (rule.valid != nullptr && !rule.valid(found_text))) {
        position = begin + 1;
        continue;
      }
      Count(rule, path);
      if (rule.action == RedactionAction::kDropField) return Found::kDropField;
      if (rule.action == RedactionAction::kDropEvent) return Found::kDropEvent;
      result.append(text, done, begin - done);
      result += redactor_.Replacement(rule.action, found_text);
      done = end;
      position = end;
      found = true;
    }
    if (!found) return Found::kNothing;
    result.append(text, done);
    text = std::move(result);
    return Found::kReplaced;
  }

  const Redactor& redactor_;
  RedactionScratch& scratch_;
  std::string& out_;
  std::vector<RedactionHit>* hits_;
  bool address_redacted_ = false;  // payload.ip_address changed or dropped; scratch_.address.
};

Redactor::Redactor(std::vector<Rule> rules, std::unique_ptr<re2::RE2::Set> any_pattern,
                   std::string hash_key, metrics::Counter& dropped)
    : rules_(std::move(rules)),
      any_pattern_(std::move(any_pattern)),
      // A match inside a value is a match inside the event's text, unless the pattern holds
      // ^, $, \A or \z (which match at a value's ends, not inside the event); the test is
      // conservative (`[^x]` also turns the prefilter off).
      whole_event_prefilter_(std::none_of(rules_.begin(), rules_.end(),
                                          [](const Rule& rule) {
                                            if (!rule.pattern) return true;
                                            const std::string& text = rule.pattern->pattern();
                                            return text.find_first_of("^$") != std::string::npos ||
                                                   text.find("\\A") != std::string::npos ||
                                                   text.find("\\z") != std::string::npos;
                                          })),
      hash_key_(std::move(hash_key)),
      dropped_events_(dropped) {}

bool Redactor::MayMatch(std::string_view text) const {
  if (!any_pattern_) return false;
  // One pass over the text for every pattern: most values hold nothing to redact. When the
  // set cannot tell (its DFA out of memory), each rule looks for itself.
  re2::RE2::Set::ErrorInfo error;
  return any_pattern_->Match(re2::StringPiece(text.data(), text.size()), nullptr, &error) ||
         error.kind != re2::RE2::Set::kNoError;
}

Redactor::~Redactor() = default;

std::string Redactor::Replacement(RedactionAction action, std::string_view found) const {
  if (action != RedactionAction::kHash) return Masked(found);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), hash_key_.data(), static_cast<int>(hash_key_.size()),
           reinterpret_cast<const unsigned char*>(found.data()), found.size(), digest,
           &length) == nullptr) {
    return Masked(found);  // Never the value itself, even if OpenSSL fails.
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "hmac:";
  for (unsigned int i = 0; i < length; ++i) {
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 15];
  }
  return out;
}

Redactor::Outcome Redactor::Apply(std::string_view event, RedactionScratch& scratch,
                                  std::string& out, std::vector<RedactionHit>* hits) const {
  // Most events hold nothing to redact: one pass of every pattern over the event's text tells,
  // without walking it. Sound when a value's text is its JSON text (no escapes), and no rule
  // takes whole values or anchors its pattern to a value's ends (see Create).
  if (whole_event_prefilter_ && event.find('\\') == std::string_view::npos && !MayMatch(event)) {
    return Outcome::kUnchanged;
  }
  scratch.padded.assign(event);
  scratch.padded.append(simdjson::SIMDJSON_PADDING, '\0');
  const size_t start = out.size();
  Walk walk(*this, scratch, out, hits);
  ondemand::document document;
  ondemand::object object;
  const bool read =
      !scratch.parser.iterate(scratch.padded.data(), event.size(), scratch.padded.size())
           .get(document) &&
      !document.get_object().get(object) && walk.Event(object);
  // An event that cannot be walked is dropped rather than passed on unredacted.
  if (!read || walk.drop_event) {
    out.resize(start);
    if (hits == nullptr) dropped_events_.Increment();
    return Outcome::kDropped;
  }
  if (!walk.changed) {
    out.resize(start);
    return Outcome::kUnchanged;
  }
  return Outcome::kRedacted;
}

Result<std::unique_ptr<Redactor>> Redactor::Create(const RedactionOptions& options,
                                                   metrics::Registry& registry) {
  toml::table table;
  std::string source = "REDACTION_RULES_FILE";
  if (!options.rules_file.empty()) {
    source = options.rules_file.string();
    auto text = ReadWholeFile(options.rules_file);
    if (!text) return Permanent("REDACTION_RULES_FILE " + source + ": " + text.error().message);
    try {
      table = toml::parse(*text, source);
    } catch (const toml::parse_error& error) {
      return Permanent(source + ": " + std::string(error.description()) + " (line " +
                       std::to_string(error.source().begin.line) + ")");
    }
  }
  for (const auto& [key, value] : table) {
    if (key != "builtin" && key != "rules") {
      return Permanent(source + ": unknown table \"" + std::string(key.str()) +
                       "\" (known: builtin, rules)");
    }
  }
  auto& counters = registry.AddCounter(
      "redactions_total", "Values redacted (or fields and events dropped) by rule.", {"rule"});
  std::vector<Rule> rules;
  bool hashes = false;

  if (const auto* custom = table["rules"].as_array()) {
    for (size_t i = 0; i < custom->size(); ++i) {
      const auto* entry = (*custom)[i].as_table();
      std::string where = source + ": rules[" + std::to_string(i) + "]";
      if (entry == nullptr) return Permanent(where + " must be a table ([[rules]])");
      for (const auto& [key, value] : *entry) {
        if (key != "name" && key != "field" && key != "pattern" && key != "action") {
          return Permanent(where + ": unknown key \"" + std::string(key.str()) +
                           "\" (known: name, field, pattern, action)");
        }
      }
      Rule rule;
      rule.name = entry->get("name") ? (*entry)["name"].value_or(std::string()) : "";
      if (rule.name.empty()) return Permanent(where + ": name must be a non-empty string");
      where += " (\"" + rule.name + "\")";
      rule.field = (*entry)["field"].value_or(std::string());
      if (entry->contains("field") && !ValidFieldPath(rule.field)) {
        return Permanent(where +
                         ": field must be message, or a path under payload. or labels. "
                         "(ending in .* for every field below it)");
      }
      if (const auto pattern = (*entry)["pattern"].value<std::string>()) {
        auto compiled = Compile(*pattern, where);
        if (!compiled) return tl::unexpected(compiled.error());
        rule.pattern = std::move(*compiled);
      }
      if (!rule.pattern && rule.field.empty()) {
        return Permanent(where + ": needs a field, a pattern or both");
      }
      const auto action = ParseAction((*entry)["action"].value_or(std::string()));
      if (!action) {
        return Permanent(where + ": action must be mask, hash, drop_field or drop_event");
      }
      rule.action = *action;
      hashes |= rule.action == RedactionAction::kHash;
      rule.counter = &counters.WithLabels({rule.name});
      rules.push_back(std::move(rule));
    }
  } else if (table.contains("rules")) {
    return Permanent(source + ": rules must be an array of tables ([[rules]])");
  }

  std::map<std::string, std::string, std::less<>> builtin_actions;
  if (const auto* builtin = table.get("builtin")) {
    if (!builtin->is_table()) return Permanent(source + ": builtin must be a table");
    for (const auto& [key, value] : *builtin->as_table()) {
      const std::string name(key.str());
      const bool known = std::any_of(BuiltinDetectors().begin(), BuiltinDetectors().end(),
                                     [&](const Detector& d) { return d.name == name; });
      const auto action = value.value<std::string>();
      if (!known) return Permanent(source + ": builtin." + name + " is no detector");
      if (!action || (*action != "off" && !ParseAction(*action))) {
        return Permanent(source + ": builtin." + name +
                         " must be off, mask, hash, drop_field or drop_event");
      }
      builtin_actions.emplace(name, *action);
    }
  }
  for (const auto& detector : BuiltinDetectors()) {
    const auto chosen = builtin_actions.find(detector.name);
    std::string action = detector.on_by_default ? "mask" : "off";
    if (chosen != builtin_actions.end()) action = chosen->second;
    if (action == "off") continue;
    Rule rule;
    rule.name = std::string(detector.name);
    auto compiled = Compile(detector.pattern, "builtin." + rule.name);
    if (!compiled) return tl::unexpected(compiled.error());
    rule.pattern = std::move(*compiled);
    rule.valid = detector.valid;
    rule.action = *ParseAction(action);
    hashes |= rule.action == RedactionAction::kHash;
    rule.counter = &counters.WithLabels({rule.name});
    rules.push_back(std::move(rule));
  }
  if (hashes && options.hash_key.empty()) {
    return Permanent(source +
                     ": a rule hashes, so REDACTION_HASH_KEY_FILE must name a file holding the "
                     "secret key");
  }
  std::unique_ptr<re2::RE2::Set> any_pattern;
  for (const auto& rule : rules) {
    if (!rule.pattern) continue;
    if (!any_pattern) {
      any_pattern = std::make_unique<re2::RE2::Set>(rule.pattern->options(), re2::RE2::UNANCHORED);
    }
    std::string error;
    if (any_pattern->Add(rule.pattern->pattern(), &error) < 0) {
      return Permanent(source + ": rule " + rule.name + ": " + error);
    }
  }
  if (any_pattern && !any_pattern->Compile()) {
    return Permanent(source + ": the rules' patterns do not fit in one RE2 set");
  }
  auto& dropped = registry
                      .AddCounter("redaction_dropped_events_total",
                                  "Events dropped by a drop_event redaction rule (acknowledged, "
                                  "never queued).")
                      .WithLabels({});
  return std::unique_ptr<Redactor>(
      new Redactor(std::move(rules), std::move(any_pattern), options.hash_key, dropped));
}

}  // namespace lp::security
