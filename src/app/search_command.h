#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "app/server_flags.h"

namespace lp::app {

struct SearchCommandOptions {
  std::string query;
  std::optional<std::string> service;
  std::optional<std::string> level;
  std::optional<std::string> since;  ///< A duration back from now, such as 15m.
  std::optional<std::string> from;
  std::optional<std::string> to;
  size_t limit = 100;
  bool json = false;
  ServerFlags server;
  unsigned timeout_seconds = 30;  ///< Bounds each request, connecting included.
};

/// `logpipe search`: asks a running instance's /api/search, following cursors up to `limit`
/// events, newest first. Prints one readable line per event, or the documents as JSON lines.
/// The total goes to stderr so that stdout stays pipeable.
int Search(const SearchCommandOptions& options);

struct TailCommandOptions {
  std::string query;
  size_t lines = 10;
  bool follow = false;
  bool json = false;
  ServerFlags server;
  unsigned timeout_seconds = 30;  ///< Bounds the request without -f, connecting included.
};

/// `logpipe tail [QUERY] [-f]`: the newest `lines` matching events, oldest first; with `follow`,
/// then every new matching event as it becomes searchable (GET /api/tail, Server-Sent Events),
/// until interrupted.
int Tail(const TailCommandOptions& options);

}  // namespace lp::app
