#include "core/json_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace lp {
namespace {

std::string Escaped(std::string_view text) {
  std::string out = "[";
  AppendJsonEscaped(out, text);
  return out;
}

TEST(JsonEscapeTest, PlainTextIsCopiedWhole) {
  EXPECT_EQ(Escaped("payment 4272388 updated by user-276714 ünïcödé"),
            "[payment 4272388 updated by user-276714 ünïcödé");
}

// The plain prefix is found eight bytes at a time: every character that needs escaping is
// found at every position of a word, after and before bytes of every value.
TEST(JsonEscapeTest, FindsEachSpecialCharacterAtEveryPosition) {
  const std::string specials[] = {"\"", "\\", "\n", "\r", "\t", std::string(1, '\0'), "\x1f"};
  const std::string escaped[] = {"\\\"", "\\\\", "\\n", "\\r", "\\t", "\\u0000", "\\u001f"};
  for (size_t special = 0; special < std::size(specials); ++special) {
    for (size_t position = 0; position < 20; ++position) {
      for (const char filler : {'a', ' ', '!', '#', '[', ']', '\x7f', '\x80', '\xff'}) {
        const std::string before(position, filler);
        const std::string after(5, filler);
        EXPECT_EQ(Escaped(before + specials[special] + after),
                  "[" + before + escaped[special] + after)
            << special << " at " << position << " among " << int(filler);
      }
    }
  }
}

}  // namespace
}  // namespace lp
