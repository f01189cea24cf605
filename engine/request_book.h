// RequestBook: the statuses of request-reply requests (include/sluice/requests.h), the waiters
// for their outcomes, and the records that make both durable. Private to engine/.
//
// State: one entry per request within its retention, id -> RequestState, in memory; every
// change is first recorded in the internal topic __requests through the Journal (synced) and
// applied to memory once the record is synced, so that what a caller was told survives a crash.
// At open, restore() folds every record of __requests and start() drops what expired.
//
// Submitting: a new 128-bit id from std::random_device; the pending record; the event (with the
// id in its kRequestIdHeader header) appended to its topic; a record of where it was stored.
// The request is visible (request(), complete ...) from the pending record on, so a worker that
// sees the event always finds it.
//
// Ending: the first complete / fail / dead-letter of a pending request claims it (a second one,
// even while the first one's record is being written, is refused with Errc::conflict), and its
// waiters are answered once the record is synced.
//
// Retention: a request is forgotten `retention` after its last change (its updated_ms, wall
// clock): not_found from then on, and removed from memory by the timer thread.
//
// Waiting and the timer: wait() answers at once when the request is no longer pending, else it
// registers a waiter with a deadline. An outcome answers its waiters from the journal's thread.
// One timer thread sleeps on a condition variable until the earliest deadline or expiry (with
// neither, until one is added), then answers the waiters whose deadline passed (with the state,
// still pending) and forgets expired requests (their waiters get not_found).
//
// Callbacks (Done) run once: inside the call, on the journal's thread or on the timer thread;
// never under the book's lock. They must not block on the book (its threads run them).
//
// Thread-safety: every member from any thread, except restore() and start() (before any other
// call) and stop_timer() (at close).
#pragma once

#include "engine/journal.h"

#include <sluice/requests.h>
#include <sluice/result.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::engine {

class RequestBook {
 public:
  using Done = std::function<void(Result<RequestState>)>;

  RequestBook(Journal& journal, std::chrono::milliseconds retention);
  // Stops the timer (if stop_timer() did not) and answers the waiters left with Errc::closed.
  ~RequestBook();
  RequestBook(const RequestBook&) = delete;
  RequestBook& operator=(const RequestBook&) = delete;

  // ---- Opening ----
  // Folds one record of __requests (in log order).
  void restore(const RequestState& record);
  // Forgets what expired while the engine was closed and starts the timer thread.
  void start();
  // Stops the timer thread; waiters keep waiting for outcomes the journal still delivers.
  void stop_timer();

  // ---- Requests ----
  // Records a pending request for `topic`, appends `event` there with the id in its
  // kRequestIdHeader header, records where it went; `done` gets the state then. The caller
  // checked the topic (it exists and is not internal).
  void submit(std::string topic, Event event, Done done);
  // Ends a pending request with `status` (not pending) and `outcome`. Errors: not_found,
  // conflict, too_large (outcome above kMaxRequestOutcomeBytes), the record's I/O errors.
  void finish(std::string_view id, RequestStatus status, std::string outcome, Done done);
  // Errors: not_found (unknown, expired or malformed id).
  Result<RequestState> get(std::string_view id) const;
  // `done` gets the state once it is no longer pending, or after `timeout` (still pending).
  void wait(std::string_view id, std::chrono::milliseconds timeout, Done done);

  // Requests held (for tests and metrics).
  size_t size() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Entry {
    RequestState state;
    bool finishing = false;  // an outcome's record is being written
  };
  struct Waiter {
    uint64_t ticket = 0;
    SteadyTime deadline;
    Done done;
  };
  struct Submit;

  static int64_t wall_ms();
  static std::string new_id();
  Error not_found(std::string_view id) const;
  int64_t expires_ms(const RequestState& state) const;
  // The live entry of `id`, or null (unknown or expired). Under mutex_.
  const Entry* find_live(std::string_view id, int64_t now_ms) const;
  Entry* find_live(std::string_view id, int64_t now_ms);
  // Puts the entry in the expiry order under its (new) updated_ms. Under mutex_.
  void index_expiry(const RequestState& state, int64_t old_updated_ms);
  // Takes the waiters of `id` (and their deadlines). Under mutex_.
  std::vector<Waiter> take_waiters(const std::string& id);
  // Wakes the timer if `at` comes before the time it sleeps until. Under mutex_.
  void poke_timer(SteadyTime at);
  void record(const RequestState& state, Journal::Done done);
  void on_pending_recorded(const std::shared_ptr<Submit>& submit, Result<Delivery> recorded);
  void on_event_stored(const std::shared_ptr<Submit>& submit, Result<Delivery> stored);
  void on_outcome_recorded(RequestState next, Done done, Result<Delivery> recorded);
  void timer();

  Journal& journal_;
  const std::chrono::milliseconds retention_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::set<std::pair<int64_t, std::string>> expiry_;  // (updated_ms + retention, id)
  std::unordered_map<std::string, std::vector<Waiter>> waiters_;
  std::multimap<SteadyTime, std::pair<std::string, uint64_t>> deadlines_;  // -> (id, ticket)
  uint64_t next_ticket_ = 0;

  std::condition_variable timer_wake_;
  SteadyTime timer_until_ = SteadyTime::max();  // when the timer wakes next, under mutex_
  bool timer_stopping_ = false;                 // under mutex_
  std::thread timer_thread_;
};

}  // namespace sluice::engine
