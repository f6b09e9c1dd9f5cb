#include "collector/request_decoder.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

namespace lp::collector {
namespace {

constexpr std::string_view kEvent = R"({"service":"web","level":"INFO","message":"hi"})";

std::string Padded(std::string_view text) {
  std::string body(text);
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return body;
}

std::string Gzip(std::string_view input) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, input.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

class RequestDecoderTest : public testing::Test {
 protected:
  tl::expected<void, RequestFailure> Decode(std::string_view body,
                                            std::string_view content_type = "application/json",
                                            std::string_view encoding = "") {
    return decoder_.Decode(content_type, encoding, Padded(body), batch_);
  }

  RequestDecoder decoder_{DecodeOptions{.max_body_bytes = 1 << 20}};
  DecodedBatch batch_;
};

TEST_F(RequestDecoderTest, AcceptsASingleObject) {
  ASSERT_TRUE(Decode(kEvent));
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(batch_.Json(batch_.events[0]), kEvent);
  EXPECT_EQ(batch_.Key(batch_.events[0]), "web");
}

TEST_F(RequestDecoderTest, CompactsAPrettyPrintedObject) {
  ASSERT_TRUE(
      Decode("{\n  \"service\": \"web\",\n  \"level\": \"INFO\",\n  \"message\": \"a b\"\n}\n"));
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(batch_.Json(batch_.events[0]), R"({"service":"web","level":"INFO","message":"a b"})");
}

TEST_F(RequestDecoderTest, AcceptsAnArrayAndListsBadElementsByIndex) {
  ASSERT_TRUE(Decode(std::string("[") + std::string(kEvent) + R"(, 42, {"service":"x"}, )" +
                     std::string(kEvent) + "]"));
  EXPECT_EQ(batch_.events.size(), 2u);
  EXPECT_EQ(batch_.events[1].index, 3u);
  ASSERT_EQ(batch_.errors.size(), 2u);
  EXPECT_EQ(batch_.errors[0].index, 1u);
  EXPECT_EQ(batch_.errors[0].message, "event must be a JSON object, not a number");
  EXPECT_EQ(batch_.errors[1].index, 2u);
  EXPECT_EQ(batch_.errors[1].message, "missing required field \"level\"");
}

TEST_F(RequestDecoderTest, AcceptsNdjsonSkippingBlankLines) {
  const std::string body =
      std::string(kEvent) + "\r\n\n" + std::string(kEvent) + "\n{\"service\":1}\n";
  ASSERT_TRUE(Decode(body, "application/x-ndjson"));
  EXPECT_EQ(batch_.events.size(), 2u);
  ASSERT_EQ(batch_.errors.size(), 1u);
  EXPECT_EQ(batch_.errors[0].index, 2u);
}

TEST_F(RequestDecoderTest, TreatsLinesOfObjectsSentAsJsonAsNdjson) {
  ASSERT_TRUE(Decode(std::string(kEvent) + "\n" + std::string(kEvent) + "\n"));
  EXPECT_EQ(batch_.events.size(), 2u);
}

TEST_F(RequestDecoderTest, NamesTheByteOffsetOfABrokenLine) {
  ASSERT_TRUE(Decode(std::string(kEvent) + "\n{\"service\":\"a\",\"lev", "application/x-ndjson"));
  ASSERT_EQ(batch_.errors.size(), 1u);
  EXPECT_NE(batch_.errors[0].message.find("invalid JSON"), std::string::npos);
  EXPECT_NE(batch_.errors[0].message.find("byte " + std::to_string(kEvent.size() + 1)),
            std::string::npos);
}

TEST_F(RequestDecoderTest, DecodesGzipAndZstdBodies) {
  const std::string body = std::string(kEvent) + "\n" + std::string(kEvent);
  ASSERT_TRUE(Decode(Gzip(body), "application/x-ndjson", "gzip"));
  EXPECT_EQ(batch_.events.size(), 2u);
  std::string zstd(ZSTD_compressBound(body.size()), '\0');
  zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), body.data(), body.size(), 1));
  ASSERT_TRUE(Decode(zstd, "application/x-ndjson", "zstd"));
  EXPECT_EQ(batch_.events.size(), 2u);
}

struct FailureCase {
  const char* name;
  std::string body;
  std::string content_type;
  std::string encoding;
  unsigned status;
  const char* message;
};

class RequestFailureTest : public RequestDecoderTest,
                           public testing::WithParamInterface<FailureCase> {};

TEST_P(RequestFailureTest, RefusesTheWholeRequest) {
  const auto& param = GetParam();
  const auto result = Decode(param.body, param.content_type, param.encoding);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().status, param.status);
  EXPECT_NE(result.error().message.find(param.message), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(batch_.events.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RequestFailureTest,
    testing::Values(FailureCase{"EmptyBody", "  \n", "application/json", "", 400, "empty body"},
                    FailureCase{"EmptyArray", "[ ]", "application/json", "", 400, "empty array"},
                    FailureCase{"TruncatedArray", std::string("[") + std::string(kEvent) + ",",
                                "application/json", "", 400, "invalid JSON body"},
                    FailureCase{"ContentAfterArray", "[" + std::string(kEvent) + "] []",
                                "application/json", "", 400, "content after the array"},
                    FailureCase{"InvalidUtf8Array", "[{\"service\":\"\xff\"}]", "application/json",
                                "", 400, "invalid UTF-8"},
                    FailureCase{"UnsupportedType", std::string(kEvent), "text/xml", "", 415,
                                "unsupported Content-Type \"text/xml\""},
                    FailureCase{"UnsupportedEncoding", std::string(kEvent), "application/json",
                                "br", 415, "unsupported Content-Encoding \"br\""},
                    FailureCase{"CorruptGzip", "definitely not gzip", "application/json", "gzip",
                                400, "corrupt gzip body"},
                    FailureCase{"CorruptZstd", "definitely not zstd", "application/json", "zstd",
                                400, "corrupt zstd body"},
                    FailureCase{"GzipBomb", Gzip(std::string(2 << 20, ' ')), "application/json",
                                "gzip", 413, "exceeds the limit"}),
    [](const auto& info) { return info.param.name; });

TEST_F(RequestDecoderTest, ListsOnlyTheFirstErrorsButCountsAll) {
  RequestDecoder decoder(DecodeOptions{.max_listed_errors = 3});
  std::string body;
  for (int i = 0; i < 10; ++i) body += "{}\n";
  ASSERT_TRUE(decoder.Decode("application/x-ndjson", "", Padded(body), batch_));
  EXPECT_EQ(batch_.rejected, 10u);
  EXPECT_EQ(batch_.errors.size(), 3u);
}

TEST_F(RequestDecoderTest, WorksOnBodiesWithoutPadding) {
  const std::string body(kEvent);
  std::string unpadded = body;
  unpadded.shrink_to_fit();
  ASSERT_TRUE(decoder_.Decode("application/json", "", unpadded, batch_));
  EXPECT_EQ(batch_.events.size(), 1u);
}

TEST_F(RequestDecoderTest, SkipsAByteOrderMarkAtTheStartOfABodyOrLine) {
  const std::string bom = "\xEF\xBB\xBF";
  ASSERT_TRUE(Decode(bom + std::string(kEvent)).has_value());
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(batch_.Json(batch_.events[0]), kEvent);

  ASSERT_TRUE(
      Decode(bom + "[" + std::string(kEvent) + "," + std::string(kEvent) + "]").has_value());
  EXPECT_EQ(batch_.events.size(), 2u);
  EXPECT_EQ(batch_.rejected, 0u);

  const std::string lines = bom + std::string(kEvent) + "\n" + bom + std::string(kEvent) + "\n";
  ASSERT_TRUE(Decode(lines, "application/x-ndjson").has_value());
  ASSERT_EQ(batch_.events.size(), 2u);
  EXPECT_EQ(batch_.Json(batch_.events[1]), kEvent);
}

TEST_F(RequestDecoderTest, KeepsNumbersBeyondSixtyFourBitsAsSent) {
  const std::string event =
      R"({"service":"web","level":"INFO","message":"hi","payload":{"id":123456789012345678901234567890,"x":1e999}})";
  ASSERT_TRUE(Decode(event).has_value());
  ASSERT_EQ(batch_.events.size(), 1u);
  EXPECT_EQ(batch_.Json(batch_.events[0]), event);
}

}  // namespace
}  // namespace lp::collector
