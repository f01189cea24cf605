// Asynchronous request-reply: a command accepted at once, worked on later, whose outcome the
// caller polls or waits for.
//
// Engine::submit_request appends the command as an event of a topic, with the header
// `request-id` (kRequestIdHeader) holding a new id, and records the request as pending. Any
// consumer of the topic (a Consumer, a Queue, a Kafka client, an HTTP worker) does the work and
// ends it with complete_request (a result) or fail_request (an error); a request whose event a
// Queue dead-letters becomes dead_lettered. wait_request gives the synchronous face of this:
// it returns as soon as the outcome exists, or when its timeout runs out, still pending.
//
// Statuses are recorded in the internal topic __requests (synced before the calls return) and
// rebuilt when the engine opens; a request is forgotten `EngineOptions::request_retention`
// after its last change (not_found afterwards).
//
// Results and errors are bytes that sluice stores and returns as given (the HTTP API keeps
// JSON text there).
//
// Thread-safety: plain values; the Engine calls are safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

inline constexpr std::string_view kRequestIdHeader = "request-id";

enum class RequestStatus : uint8_t { pending, completed, failed, dead_lettered };

// "pending", "completed", "failed", "dead-lettered".
std::string_view request_status_name(RequestStatus status);

struct RequestState {
  std::string id;  // 32 lowercase hex digits
  std::string topic;
  int32_t partition = -1;  // where the request's event was stored
  int64_t offset = -1;
  RequestStatus status = RequestStatus::pending;
  std::string outcome;     // the result (completed) or the error (failed, dead-lettered)
  int64_t created_ms = 0;  // wall clock, milliseconds since the epoch
  int64_t updated_ms = 0;
};

}  // namespace sluice
