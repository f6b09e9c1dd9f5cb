#pragma once

#include <span>
#include <string_view>

namespace lp::api {

/// A file of the web UI, compiled into the binary (web/CMakeLists.txt generates the table from
/// the esbuild bundle). The first is the page itself at "/"; the others have a content hash in
/// their path, so they can be cached forever.
struct WebAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

[[nodiscard]] std::span<const WebAsset> WebAssets();

}  // namespace lp::api
