// HttpSession: one HTTP/1.1 connection's protocol state (server/session.h). It parses requests
// with RequestParser, routes them to the API handlers (server/http/router.h) and queues their
// answers in request order.
//
// Responses: a request answered at once while nothing is queued before it is written straight
// into the output buffer (one of two: the other is being sent). A request answered later (a produce
// waiting for its durability, a topic change on the worker thread) or one that arrives behind such
// a request takes a slot in a ring of HttpLimits::max_in_flight_requests; a slot's answer moves to
// the output once every slot before it has moved. Reading pauses while the ring is full or the
// output is backed up.
//
// Pipelining: requests are handled as they arrive, except that nothing is handled behind a
// request with an unsafe method (POST, PUT, DELETE, PATCH) that is still waiting for its
// answer (RFC 9112 section 9.3.2: only safe requests may be processed in parallel), so that a
// client's write is done before its next request is looked at.
//
// Closing: after an answer with "Connection: close" (the client asked, HTTP/1.0 without
// keep-alive, a malformed request, the server stopping) the session takes no more input and
// should_close() turns true once that answer is in the output.
//
// Thread-safety: the shard thread only (server/session.h). Held by std::shared_ptr: completions
// reach the session through a weak_ptr (Completion), so a completion that arrives after the
// connection closed does nothing.
#pragma once

#include "server/http/request.h"
#include "server/http/request_parser.h"
#include "server/http/response.h"
#include "server/session.h"
#include "server/shard_context.h"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::http {

class HttpSession;

// A request to be answered later, from the shard thread, exactly once. Copyable (it goes into
// std::function); answering through a copy answers the one request.
class Completion {
 public:
  Completion() = default;

  // Writes the answer: `write_body(std::string& body)` appends the body. Does nothing when the
  // session is gone.
  template <typename WriteBody>
  void respond(int status, std::string_view content_type, WriteBody&& write_body,
               std::string_view extra_fields = {}) const;
  void respond_error(int status, std::string_view code, std::string_view message) const;
  // False once the session is gone (its answer would go nowhere).
  bool alive() const { return !session_.expired(); }

 private:
  friend class HttpSession;
  Completion(std::weak_ptr<HttpSession> session, uint64_t slot)
      : session_(std::move(session)), slot_(slot) {}

  std::weak_ptr<HttpSession> session_;
  uint64_t slot_ = 0;
};

// What a handler sees of the request it answers: the request, the shard context, the path
// parameters the router decoded, and the two ways to answer.
class HttpExchange {
 public:
  static constexpr size_t kMaxParams = 3;

  const Request& request() const { return request_; }
  ShardContext& ctx() { return ctx_; }
  // Path parameter i, percent-decoded.
  std::string_view param(size_t i) const { return params_[i]; }
  // Query parameter `name`, percent-decoded ('+' is a space). Returns false when it is absent;
  // sets *malformed when its encoding is broken. A decoded value lives in a scratch buffer that
  // the next query() call reuses.
  bool query(std::string_view name, std::string_view* value, bool* malformed);

  // Answers now.
  template <typename WriteBody>
  void respond(int status, std::string_view content_type, WriteBody&& write_body,
               std::string_view extra_fields = {});
  void respond_error(int status, std::string_view code, std::string_view message,
                     std::string_view extra_fields = {});
  // Answers later: the handler must answer through the Completion exactly once.
  Completion defer();

 private:
  friend class HttpSession;
  friend class Router;
  HttpExchange(HttpSession& session, ShardContext& ctx, const Request& request)
      : session_(session), ctx_(ctx), request_(request) {}

  HttpSession& session_;
  ShardContext& ctx_;
  const Request& request_;
  std::string_view params_[kMaxParams];
};

class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  // Reading pauses while more than this many answer bytes wait to be sent.
  static constexpr size_t kMaxBufferedOutput = 1u << 20;

  explicit HttpSession(ShardContext& ctx);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  size_t on_input(std::span<const std::byte> input) override;
  size_t poll(int64_t now_ms) override;
  std::span<const std::byte> pending_output() override;
  void sent(size_t bytes) override;
  bool has_output() const override { return !sending_.empty() || !output_.empty(); }
  bool input_paused() const override;
  bool should_close() const override { return close_after_output_; }
  void input_closed() override { stop_input_ = true; }
  size_t in_flight() const override { return static_cast<size_t>(tail_ - head_); }

 private:
  friend class Completion;
  friend class HttpExchange;
  friend class Router;

  static constexpr uint64_t kNoSlot = UINT64_MAX;

  // A request whose answer is not in the output yet.
  struct Slot {
    bool done = false;
    bool unsafe = false;  // holds back the requests behind it until answered
    bool close = false;
    bool head_only = false;
    std::chrono::steady_clock::time_point start;
    std::string bytes;
  };
  // The request being handled inside on_input().
  struct Current {
    bool unsafe = false;
    bool close = false;
    bool head_only = false;
    bool answered = false;
    uint64_t slot = kNoSlot;
    std::chrono::steady_clock::time_point start;
  };

  void handle(const Request& request);
  void answer_parse_error();
  // The current request's answer: where it goes, and that it was written.
  std::string& current_target(ResponseHead* head, int status, std::string_view content_type,
                              std::string_view extra_fields);
  void current_answered(int status);
  Completion defer_current();
  // A deferred answer: nullptr when the slot is gone or already answered.
  std::string* slot_target(uint64_t slot, ResponseHead* head, int status,
                           std::string_view content_type, std::string_view extra_fields);
  void slot_answered(uint64_t slot, int status);

  uint64_t push_slot();
  Slot& slot(uint64_t id) { return slots_[id % slots_.size()]; }
  void flush_ready();
  void count(int status, std::chrono::steady_clock::time_point start);

  ShardContext& ctx_;
  RequestParser parser_;
  Request request_;
  Current current_;
  std::vector<Slot> slots_;  // a ring: ids head_ .. tail_-1 are queued
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  // Answers are appended to output_; pending_output() hands them over as sending_, which stays
  // unchanged until sent() (the connection sends from it while answers go on being written).
  std::string output_;
  std::string sending_;
  size_t unsafe_waiting_ = 0;  // slots with an unsafe request not answered yet
  bool stop_input_ = false;
  bool close_after_output_ = false;
  bool continue_sent_ = false;
  // Decoded path parameters and query values.
  std::string scratch_[HttpExchange::kMaxParams + 1];
};

// ---- Templates ----

template <typename WriteBody>
void HttpExchange::respond(int status, std::string_view content_type, WriteBody&& write_body,
                           std::string_view extra_fields) {
  ResponseHead head;
  std::string& out = session_.current_target(&head, status, content_type, extra_fields);
  ResponseWriter writer(out, head);
  write_body(writer.body());
  writer.finish();
  session_.current_answered(status);
}

template <typename WriteBody>
void Completion::respond(int status, std::string_view content_type, WriteBody&& write_body,
                         std::string_view extra_fields) const {
  const std::shared_ptr<HttpSession> session = session_.lock();
  if (session == nullptr) return;
  ResponseHead head;
  std::string* out = session->slot_target(slot_, &head, status, content_type, extra_fields);
  if (out == nullptr) return;
  ResponseWriter writer(*out, head);
  write_body(writer.body());
  writer.finish();
  session->slot_answered(slot_, status);
}

}  // namespace sluice::server::http
