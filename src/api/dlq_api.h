#pragma once

#include "api/query_pool.h"
#include "http/server.h"
#include "processor/dead_letters.h"

namespace lp::api {

/// `GET /api/dlq?limit=N`: the newest dead letters not re-driven yet; `POST
/// /api/dlq/redrive?max=N`: produces pending dead letters into the input topic again (an
/// admin action). Both read the queue, so they run on the QueryPool, never on an IO thread.
class DlqApi {
 public:
  DlqApi(processor::DeadLetters& letters, QueryPool& pool, std::string topic)
      : letters_(letters), pool_(pool), topic_(std::move(topic)) {}

  void HandleNewest(http::Request& request, http::Responder respond);
  void HandleRedrive(http::Request& request, http::Responder respond);

 private:
  processor::DeadLetters& letters_;
  QueryPool& pool_;
  const std::string topic_;
};

}  // namespace lp::api
