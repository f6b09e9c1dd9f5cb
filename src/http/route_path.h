#pragma once

#include <string_view>

namespace lp::http {

/// Whether a request path matches a route's path. A route path is matched segment by segment:
/// a `*` segment matches any one non-empty segment (`/*/_bulk` matches `/logs-app/_bulk`), and a
/// final `**` segment matches whatever follows, even nothing (`/_nodes/**` matches `/_nodes` and
/// `/_nodes/http/stats`); every other segment matches itself only. Paths of protocols that name
/// things in the path (an index, a template) need this; most routes are exact.
[[nodiscard]] bool RoutePathMatches(std::string_view pattern, std::string_view path);

}  // namespace lp::http
