#pragma once

#include "http/server.h"
#include "search/search_store.h"

namespace lp::api {

/// GET /api/search and GET /api/histogram over a search store (DESIGN §3). Bad parameters get a
/// 400 naming the parameter. Thread-safe.
class SearchApi {
 public:
  explicit SearchApi(search::SearchStore& store) : store_(store) {}

  void HandleSearch(http::Request& request, http::Responder respond);
  void HandleHistogram(http::Request& request, http::Responder respond);

 private:
  search::SearchStore& store_;
};

}  // namespace lp::api
