#include "collector/body_decoding.h"

#include <simdjson.h>

#include <algorithm>

#include "core/decompress.h"

namespace lp::collector {

std::string_view TrimSpace(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string MediaTypeOf(std::string_view content_type) {
  return LowerAscii(TrimSpace(content_type.substr(0, content_type.find(';'))));
}

std::optional<WireEncoding> WireEncodingOf(std::string_view content_type) {
  const std::string media = MediaTypeOf(content_type);
  if (media == "application/x-protobuf" || media == "application/protobuf") {
    return WireEncoding::kProtobuf;
  }
  if (media == "application/json") return WireEncoding::kJson;
  return std::nullopt;
}

tl::expected<PaddedBody, RequestFailure> DecodeBody(std::string_view content_encoding,
                                                    const std::string& body, size_t max_bytes,
                                                    std::string& scratch) {
  PaddedBody decoded{body, body.capacity()};
  const std::string encoding = LowerAscii(TrimSpace(content_encoding));
  if (!encoding.empty() && encoding != "identity") {
    ContentEncoding decoded_from;
    if (encoding == "gzip" || encoding == "x-gzip") {
      decoded_from = ContentEncoding::kGzip;
    } else if (encoding == "zstd") {
      decoded_from = ContentEncoding::kZstd;
    } else {
      return tl::unexpected(RequestFailure{415, "unsupported Content-Encoding \"" +
                                                    std::string(content_encoding) +
                                                    "\": use gzip, zstd or none"});
    }
    auto decompressed =
        Decompress(decoded_from, body, max_bytes, simdjson::SIMDJSON_PADDING, scratch);
    if (!decompressed) {
      const bool too_large = decompressed.error().failure == DecompressFailure::kTooLarge;
      return tl::unexpected(RequestFailure{too_large ? 413u : 400u, decompressed.error().message});
    }
    decoded = PaddedBody{scratch, scratch.capacity()};
  }
  if (decoded.capacity < decoded.text.size() + simdjson::SIMDJSON_PADDING) {
    // Callers that could not pad (tests, fuzzers) pay for one copy.
    scratch.assign(decoded.text);
    scratch.reserve(decoded.text.size() + simdjson::SIMDJSON_PADDING);
    decoded = PaddedBody{scratch, scratch.capacity()};
  }
  return decoded;
}

}  // namespace lp::collector
