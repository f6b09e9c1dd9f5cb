#include "core/decompress.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

namespace lp {
namespace {

std::string Gzip(std::string_view input) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, input.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string Zstd(std::string_view input) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  const size_t size = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
  out.resize(size);
  return out;
}

TEST(DecompressTest, RoundTripsGzipAndZstdWithPadding) {
  const std::string body(100'000, 'x');
  for (const auto& [encoding, encoded] : {std::pair{ContentEncoding::kGzip, Gzip(body)},
                                          std::pair{ContentEncoding::kZstd, Zstd(body)}}) {
    std::string output;
    ASSERT_TRUE(Decompress(encoding, encoded, 1 << 20, 64, output).has_value());
    EXPECT_EQ(output, body);
    EXPECT_GE(output.capacity(), output.size() + 64);
  }
}

TEST(DecompressTest, AcceptsConcatenatedGzipMembers) {
  std::string output;
  ASSERT_TRUE(Decompress(ContentEncoding::kGzip, Gzip("ab") + Gzip("cd"), 100, 0, output));
  EXPECT_EQ(output, "abcd");
}

TEST(DecompressTest, RefusesBombsPastTheLimit) {
  const std::string body(5'000'000, 'a');
  for (const auto& encoded : {Gzip(body), Zstd(body)}) {
    const auto encoding = encoded == Gzip(body) ? ContentEncoding::kGzip : ContentEncoding::kZstd;
    std::string output;
    const auto result = Decompress(encoding, encoded, 1'000'000, 0, output);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().failure, DecompressFailure::kTooLarge);
    EXPECT_LE(output.capacity(), 2'000'000u);
  }
}

TEST(DecompressTest, ReportsCorruptAndTruncatedStreams) {
  const std::string gzip = Gzip("hello world, hello world");
  const std::string zstd = Zstd("hello world, hello world");
  const std::vector<std::pair<ContentEncoding, std::string>> bad{
      {ContentEncoding::kGzip, "not gzip at all"},
      {ContentEncoding::kGzip, gzip.substr(0, gzip.size() - 6)},
      {ContentEncoding::kGzip, ""},
      {ContentEncoding::kZstd, "not zstd"},
      {ContentEncoding::kZstd, zstd.substr(0, zstd.size() - 3)},
  };
  for (const auto& [encoding, input] : bad) {
    std::string output;
    const auto result = Decompress(encoding, input, 1 << 20, 0, output);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().failure, DecompressFailure::kCorrupt);
    EXPECT_NE(result.error().message.find("corrupt"), std::string::npos);
  }
}

TEST(DecompressTest, IdentityHonoursTheLimit) {
  std::string output;
  EXPECT_TRUE(Decompress(ContentEncoding::kIdentity, "12345", 5, 0, output));
  EXPECT_FALSE(Decompress(ContentEncoding::kIdentity, "123456", 5, 0, output));
}

}  // namespace
}  // namespace lp
