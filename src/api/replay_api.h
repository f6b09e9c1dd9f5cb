#pragma once

#include "http/server.h"
#include "replay/replayer.h"

namespace lp::api {

/// POST /api/replay?from=DATE&to=DATE[&service=S] starts reading the archive of those days back
/// into the search store and answers 202 with the replay's id; GET /api/replay?id=ID tells how
/// far it got. Thread-safe.
class ReplayApi {
 public:
  explicit ReplayApi(replay::Replayer& replayer) : replayer_(replayer) {}

  void HandleStart(http::Request& request, http::Responder respond);
  void HandleStatus(http::Request& request, http::Responder respond);

 private:
  replay::Replayer& replayer_;
};

}  // namespace lp::api
