// Router: maps a request's path and method to its API handler (server/http/handlers.h) by
// splitting the path at '/' and comparing segments (no regular expressions). Path parameters
// are percent-decoded after the split, so "%2F" stays inside its segment.
//
//   GET                 /v1/topics
//   GET PUT DELETE      /v1/topics/{topic}
//   POST                /v1/topics/{topic}/events
//   GET                 /v1/topics/{topic}/partitions/{partition}/events?from=&limit=
//   GET                 /v1/topics/{topic}/partitions/{partition}/events/{offset}
//   GET                 /v1/topics/{topic}/keys/{key}
//   GET                 /v1/groups
//   GET                 /v1/groups/{group}
//   GET                 /metrics, /healthz
//
// HEAD is answered wherever GET is. An unknown path is 404; a known path with another method is
// 405 with an Allow field; a malformed escape is 400.
//
// Thread-safety: stateless; called on the session's thread.
#pragma once

#include <string>

namespace sluice::server::http {

class HttpExchange;

class Router {
 public:
  // Answers the exchange (now, or later through a Completion). `scratch` holds room for the
  // decoded parameters (HttpExchange::kMaxParams strings).
  static void dispatch(HttpExchange& exchange, std::string* scratch);
};

}  // namespace sluice::server::http
