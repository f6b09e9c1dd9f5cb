#include "core/json_escape.h"

#include <cstdint>
#include <cstring>

namespace lp {

void AppendJsonEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Most text needs no escaping: append it in one piece. The plain prefix is found eight bytes
  // at a time (a quote, a backslash or a control byte sets that byte's high bit in `special`),
  // as protocol decoders escape every field of every event they write.
  size_t plain = 0;
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  for (; plain + 8 <= text.size(); plain += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + plain, 8);
    const uint64_t quotes = word ^ (kOnes * '"');
    const uint64_t backslashes = word ^ (kOnes * '\\');
    const uint64_t special =
        ((word - kOnes * 0x20) | (quotes - kOnes) | (backslashes - kOnes)) & ~word & kHighs;
    if (special != 0) break;
  }
  while (plain < text.size()) {
    const auto c = static_cast<unsigned char>(text[plain]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++plain;
  }
  out.append(text.data(), plain);
  text.remove_prefix(plain);
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
}

}  // namespace lp
