#include "server/http/http_session.h"

#include "server/http/router.h"
#include "server/http/uri.h"

#include "io/assert.h"

#include <algorithm>

namespace sluice::server::http {
namespace {

// An emptied output buffer keeps at most this much memory between answers.
constexpr size_t kKeptOutputCapacity = 256u << 10;

}  // namespace

// ---- HttpExchange and Completion ----

bool HttpExchange::query(std::string_view name, std::string_view* value, bool* malformed) {
  *malformed = false;
  std::string_view raw;
  if (!find_query_param(request_.query, name, &raw)) return false;
  bool ok = true;
  *value = decoded(raw, true, session_.scratch_[kMaxParams], &ok);
  *malformed = !ok;
  return true;
}

void HttpExchange::respond_error(int status, std::string_view code, std::string_view message,
                                 std::string_view extra_fields) {
  ResponseHead head;
  std::string& out = session_.current_target(&head, status, kJsonType, extra_fields);
  write_error(out, head, code, message);
  session_.current_answered(status);
}

Completion HttpExchange::defer() {
  return session_.defer_current();
}

void Completion::respond_error(int status, std::string_view code, std::string_view message) const {
  const std::shared_ptr<HttpSession> session = session_.lock();
  if (session == nullptr) return;
  ResponseHead head;
  std::string* out = session->slot_target(slot_, &head, status, kJsonType, {});
  if (out == nullptr) return;
  write_error(*out, head, code, message);
  session->slot_answered(slot_, status);
}

// ---- HttpSession ----

HttpSession::HttpSession(ShardContext& ctx)
    : ctx_(ctx),
      parser_(ctx.options().http_limits),
      slots_(std::max<uint32_t>(1, ctx.options().http_limits.max_in_flight_requests)) {}

HttpSession::~HttpSession() = default;

size_t HttpSession::on_input(std::span<const std::byte> input) {
  const std::string_view all(reinterpret_cast<const char*>(input.data()), input.size());
  size_t used = 0;
  while (!stop_input_ && used < all.size() && in_flight() < slots_.size() && unsafe_waiting_ == 0) {
    const ParseStatus status = parser_.parse(all.substr(used), request_);
    if (status == ParseStatus::incomplete) {
      // "Expect: 100-continue": the interim answer may only go out when nothing is before it.
      if (!continue_sent_ && in_flight() == 0 && parser_.awaiting_body_after_continue()) {
        output_.append(kContinueResponse);
        continue_sent_ = true;
      }
      break;
    }
    if (status == ParseStatus::error) {
      answer_parse_error();
      break;
    }
    used += parser_.consumed();
    handle(request_);
    parser_.reset();
    continue_sent_ = false;
  }
  // Once the session takes no more input, what is left is dropped.
  return stop_input_ ? all.size() : used;
}

void HttpSession::handle(const Request& request) {
  current_ = Current{};
  current_.start = std::chrono::steady_clock::now();
  current_.head_only = request.method == Method::head;
  current_.close = !request.keep_alive;
  current_.unsafe = request.method != Method::get && request.method != Method::head &&
                    request.method != Method::options && request.method != Method::trace;
  HttpExchange exchange(*this, ctx_, request);
  if (ctx_.stopping()) {
    current_.close = true;
    exchange.respond_error(503, "shutting_down", "the server is shutting down");
  } else {
    Router::dispatch(exchange, scratch_);
  }
  SLUICE_ASSERT(current_.answered || current_.slot != kNoSlot);
  if (current_.close) stop_input_ = true;
}

void HttpSession::answer_parse_error() {
  current_ = Current{};
  current_.start = std::chrono::steady_clock::now();
  current_.close = true;
  ResponseHead head;
  const int status = parser_.error_status();
  std::string& out = current_target(&head, status, kJsonType, {});
  write_error(out, head, error_code_for_status(status), parser_.error_message());
  current_answered(status);
  stop_input_ = true;
}

std::string& HttpSession::current_target(ResponseHead* head, int status,
                                         std::string_view content_type,
                                         std::string_view extra_fields) {
  SLUICE_ASSERT(!current_.answered);
  head->status = status;
  head->content_type = content_type;
  head->close = current_.close;
  head->head_only = current_.head_only;
  head->extra_fields = extra_fields;
  if (current_.slot == kNoSlot && in_flight() == 0) return output_;
  if (current_.slot == kNoSlot) current_.slot = push_slot();
  return slot(current_.slot).bytes;
}

void HttpSession::current_answered(int status) {
  current_.answered = true;
  if (current_.slot == kNoSlot) {
    count(status, current_.start);
    if (current_.close) close_after_output_ = true;
    return;
  }
  slot_answered(current_.slot, status);
}

Completion HttpSession::defer_current() {
  SLUICE_ASSERT(!current_.answered);
  if (current_.slot == kNoSlot) current_.slot = push_slot();
  return Completion(weak_from_this(), current_.slot);
}

uint64_t HttpSession::push_slot() {
  SLUICE_ASSERT(in_flight() < slots_.size());
  const uint64_t id = tail_++;
  Slot& s = slot(id);
  s.done = false;
  s.unsafe = current_.unsafe;
  if (s.unsafe) ++unsafe_waiting_;
  s.close = current_.close;
  s.head_only = current_.head_only;
  s.start = current_.start;
  s.bytes.clear();
  return id;
}

std::string* HttpSession::slot_target(uint64_t id, ResponseHead* head, int status,
                                      std::string_view content_type,
                                      std::string_view extra_fields) {
  if (id < head_ || id >= tail_ || slot(id).done) return nullptr;
  Slot& s = slot(id);
  head->status = status;
  head->content_type = content_type;
  head->close = s.close;
  head->head_only = s.head_only;
  head->extra_fields = extra_fields;
  return &s.bytes;
}

void HttpSession::slot_answered(uint64_t id, int status) {
  Slot& s = slot(id);
  SLUICE_ASSERT(id >= head_ && id < tail_ && !s.done);
  s.done = true;
  if (s.unsafe) --unsafe_waiting_;
  count(status, s.start);
  flush_ready();
}

// Moves the answers at the front of the ring, in order, to the output.
void HttpSession::flush_ready() {
  while (head_ < tail_ && slot(head_).done) {
    Slot& s = slot(head_);
    if (output_.empty() && s.bytes.capacity() <= kKeptOutputCapacity) {
      output_.swap(s.bytes);
    } else {
      output_.append(s.bytes);
    }
    if (s.bytes.capacity() > kKeptOutputCapacity) {
      std::string().swap(s.bytes);
    } else {
      s.bytes.clear();
    }
    if (s.close) close_after_output_ = true;
    ++head_;
  }
}

void HttpSession::count(int status, std::chrono::steady_clock::time_point start) {
  Metrics& metrics = ctx_.metrics();
  metrics.http_requests.add();
  if (status >= 400) metrics.http_request_errors.add();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  metrics.http_request_latency.observe_us(static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count())));
}

size_t HttpSession::poll(int64_t /*now_ms*/) {
  // Produce completions run in the shard's producers' poll (any session's answers may be
  // among them); only a session that waits for something asks.
  if (in_flight() == 0) return 0;
  return ctx_.poll_producers();
}

std::span<const std::byte> HttpSession::pending_output() {
  if (sending_.empty()) sending_.swap(output_);
  return std::as_bytes(std::span(sending_.data(), sending_.size()));
}

void HttpSession::sent(size_t bytes) {
  SLUICE_ASSERT(bytes == sending_.size());
  if (sending_.capacity() > kKeptOutputCapacity) {
    std::string().swap(sending_);
  } else {
    sending_.clear();
  }
}

bool HttpSession::input_paused() const {
  return in_flight() >= slots_.size() || unsafe_waiting_ > 0 ||
         output_.size() + sending_.size() > kMaxBufferedOutput;
}

}  // namespace sluice::server::http
