#pragma once

#include <vector>

#include "http/server.h"

namespace lp::api {

/// The web UI's routes: GET / answers the page to requests that accept text/html and hands the
/// others to `non_html_root` (where the Elasticsearch probe answer belongs, DESIGN §3); each
/// hashed asset is served with a year-long immutable cache lifetime.
[[nodiscard]] std::vector<http::Route> WebUiRoutes(http::Handler non_html_root);

/// The answer to GET / for clients that do not want the page, until the Elasticsearch probe
/// answer replaces it: the 404 every unknown path gets.
void AnswerNoPage(http::Request& request, http::Responder respond);

}  // namespace lp::api
