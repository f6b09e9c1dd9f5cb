#include "collector/protocols/syslog.h"

#include <gtest/gtest.h>

namespace lp::collector {
namespace {

// 2023-11-14T22:13:20Z.
constexpr EpochMillis kNow = 1700000000000;

class SyslogDecoderTest : public testing::Test {
 protected:
  std::string Decode(std::string_view message) {
    batch_.Clear();
    decoder_.Add(message, kNow, batch_);
    return batch_.events.empty() ? std::string() : std::string(batch_.Json(batch_.events[0]));
  }

  SyslogDecoder decoder_;
  DecodedBatch batch_;
};

TEST_F(SyslogDecoderTest, ReadsRfc5424WithStructuredData) {
  EXPECT_EQ(Decode(R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 )"
                   R"([exampleSDID@32473 iut="3" eventSource="Appli\"cation"][meta seq="1"] )"
                   "\xEF\xBB\xBF"
                   "An application event\n"),
            R"({"timestamp":"2003-10-11T22:14:15.003Z","service":"evntslog","level":"INFO",)"
            R"("message":"An application event","host":"mymachine.example.com","labels":)"
            R"({"facility":"local4","msgid":"ID47"},"payload":{"exampleSDID@32473":{"iut":"3",)"
            R"("eventSource":"Appli\"cation"},"meta":{"seq":"1"}}})");
  EXPECT_EQ(Decode("<11>1 - - - 42 - -"), R"({"service":"unknown","level":"ERROR","message":"",)"
                                          R"("labels":{"facility":"user","procid":"42"}})");
}

TEST_F(SyslogDecoderTest, ReadsRfc3164WithAndWithoutAHost) {
  EXPECT_EQ(Decode("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed on /dev/pts/8"),
            R"({"timestamp":"2023-10-11T22:14:15.000Z","service":"su","level":"FATAL",)"
            R"("message":"'su root' failed on /dev/pts/8","host":"mymachine",)"
            R"("labels":{"facility":"auth","procid":"230"}})");
  // December is more than a day ahead of 14 November: last year's.
  EXPECT_EQ(Decode("<13>Dec  2 10:00:00 cron: job done"),
            R"({"timestamp":"2022-12-02T10:00:00.000Z","service":"cron","level":"INFO",)"
            R"("message":"job done","labels":{"facility":"user"}})");
}

TEST_F(SyslogDecoderTest, KeepsWhatIsNeitherFormWhole) {
  EXPECT_EQ(Decode("no priority at all"),
            R"({"service":"unknown","level":"INFO","message":"no priority at all"})");
  EXPECT_EQ(Decode("<14>1 yesterday h app - - - m"),
            R"({"service":"unknown","level":"INFO","message":"1 yesterday h app - - - m",)"
            R"("labels":{"facility":"user"}})");
  EXPECT_EQ(Decode("<999>x"), R"({"service":"unknown","level":"INFO","message":"<999>x"})");
  EXPECT_EQ(Decode("<-4>x"), R"({"service":"unknown","level":"INFO","message":"<-4>x"})");
}

TEST(SyslogFramerTest, SplitsOctetCountedAndLineFramedMessagesAcrossReads) {
  SyslogFramer framer(16);
  const auto feed = [&](std::string_view bytes) {
    std::memcpy(framer.Prepare(bytes.size()), bytes.data(), bytes.size());
    framer.Commit(bytes.size());
  };
  std::vector<std::string> frames;
  std::vector<size_t> too_long;
  const auto drain = [&] {
    while (const auto frame = framer.Next()) {
      if (frame->too_long_bytes != 0) {
        too_long.push_back(frame->too_long_bytes);
      } else {
        frames.emplace_back(frame->message);
      }
    }
  };
  feed("5 hel");
  drain();
  EXPECT_TRUE(frames.empty());
  feed("lo3 abcline one\r\nline t");
  drain();
  feed("wo\n\n20 01234567890123456789this line is much too long for it\n1 x2 yzok\n");
  drain();
  EXPECT_EQ(frames,
            (std::vector<std::string>{"hello", "abc", "line one", "line two", "x", "yz", "ok"}));
  EXPECT_EQ(too_long, (std::vector<size_t>{20, 33}));
  feed("no line feed");
  drain();
  EXPECT_EQ(framer.Rest(), "no line feed");
  EXPECT_EQ(framer.Rest(), "");
}

}  // namespace
}  // namespace lp::collector
