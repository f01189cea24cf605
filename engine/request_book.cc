// RequestBook: request statuses, their records in __requests, waiters and the timer thread.
// See request_book.h for the contract.
#include "engine/request_book.h"

#include "engine/request_record.h"
#include "io/assert.h"
#include "io/logger.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

namespace sluice::engine {

// A submission on its way: the pending record, the event, the location record.
struct RequestBook::Submit {
  RequestState state;
  Event event;
  Done done;
};

namespace {

Event record_event(const RequestState& state) {
  EncodedRequestRecord encoded = encode_request_record(state);
  Event event;
  event.key = std::move(encoded.key);
  event.value = std::move(encoded.value);
  event.partition = 0;  // one partition: a request's records stay in order
  return event;
}

}  // namespace

RequestBook::RequestBook(Journal& journal, std::chrono::milliseconds retention)
    : journal_(journal), retention_(retention) {
  SLUICE_ASSERT(retention.count() > 0);
}

RequestBook::~RequestBook() {
  stop_timer();
  std::unordered_map<std::string, std::vector<Waiter>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(waiters_);
    deadlines_.clear();
  }
  for (auto& [id, waiters] : left) {
    for (Waiter& waiter : waiters)
      waiter.done(Error(Errc::closed, "the engine is closing"));
  }
}

int64_t RequestBook::wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 128 bits straight from std::random_device (the kernel's generator on Linux): an id is as good
// as a capability (who knows it may complete the request), so it must not be guessable from
// earlier ids, which a seeded pseudo-random generator would allow.
std::string RequestBook::new_id() {
  static std::mutex device_mutex;
  static std::random_device device;
  uint32_t words[4];
  {
    std::lock_guard lock(device_mutex);
    for (uint32_t& word : words)
      word = device();
  }
  char hex[kRequestIdChars + 1];
  std::snprintf(hex, sizeof hex, "%08x%08x%08x%08x", words[0], words[1], words[2], words[3]);
  std::string id(hex, kRequestIdChars);
  SLUICE_ASSERT(valid_request_id(id));
  return id;
}

Error RequestBook::not_found(std::string_view id) const {
  // An id from outside may be anything: at most its first 64 bytes go into the message.
  return Error(Errc::not_found,
               "request '" + std::string(id.substr(0, 64)) + "' is unknown or expired");
}

int64_t RequestBook::expires_ms(const RequestState& state) const {
  return state.updated_ms + retention_.count();
}

const RequestBook::Entry* RequestBook::find_live(std::string_view id, int64_t now_ms) const {
  auto it = entries_.find(std::string(id));
  if (it == entries_.end() || expires_ms(it->second.state) <= now_ms) return nullptr;
  return &it->second;
}

RequestBook::Entry* RequestBook::find_live(std::string_view id, int64_t now_ms) {
  return const_cast<Entry*>(std::as_const(*this).find_live(id, now_ms));
}

void RequestBook::index_expiry(const RequestState& state, int64_t old_updated_ms) {
  if (old_updated_ms >= 0) expiry_.erase({old_updated_ms + retention_.count(), state.id});
  const int64_t at = expires_ms(state);
  const bool earliest = expiry_.empty() || at < expiry_.begin()->first;
  expiry_.emplace(at, state.id);
  if (earliest) {
    const int64_t in_ms = std::max<int64_t>(0, at - wall_ms());
    poke_timer(std::chrono::steady_clock::now() + std::chrono::milliseconds(in_ms));
  }
}

std::vector<RequestBook::Waiter> RequestBook::take_waiters(const std::string& id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return {};
  std::vector<Waiter> taken = std::move(it->second);
  waiters_.erase(it);
  for (const Waiter& waiter : taken) {
    auto [first, last] = deadlines_.equal_range(waiter.deadline);
    for (auto d = first; d != last; ++d) {
      if (d->second.second == waiter.ticket) {
        deadlines_.erase(d);
        break;
      }
    }
  }
  return taken;
}

void RequestBook::poke_timer(SteadyTime at) {
  if (at < timer_until_) {
    timer_until_ = at;
    timer_wake_.notify_one();
  }
}

void RequestBook::record(const RequestState& state, Journal::Done done) {
  journal_.append(std::string(kRequestsTopic), record_event(state), std::move(done));
}

// ---- Opening ----

void RequestBook::restore(const RequestState& record) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(record.id);
  if (inserted) {
    it->second.state = record;
  } else {
    merge_request_record(it->second.state, record);
  }
}

void RequestBook::start() {
  std::lock_guard lock(mutex_);
  const int64_t now = wall_ms();
  std::erase_if(entries_, [&](const auto& entry) { return expires_ms(entry.second.state) <= now; });
  for (const auto& [id, entry] : entries_)
    expiry_.emplace(expires_ms(entry.state), id);
  timer_until_ = SteadyTime::min();  // the timer computes its first deadline itself
  timer_thread_ = std::thread([this] { timer(); });
}

void RequestBook::stop_timer() {
  {
    std::lock_guard lock(mutex_);
    timer_stopping_ = true;
  }
  timer_wake_.notify_one();
  if (timer_thread_.joinable()) timer_thread_.join();
}

// ---- Submitting ----

void RequestBook::submit(std::string topic, Event event, Done done) {
  auto submit = std::make_shared<Submit>();
  submit->state.id = new_id();
  submit->state.topic = std::move(topic);
  submit->state.status = RequestStatus::pending;
  submit->state.created_ms = wall_ms();
  submit->state.updated_ms = submit->state.created_ms;
  std::erase_if(event.headers, [](const Header& h) { return h.key == kRequestIdHeader; });
  event.headers.push_back(Header{std::string(kRequestIdHeader), submit->state.id});
  submit->event = std::move(event);
  submit->done = std::move(done);
  record(submit->state,
         [this, submit](Result<Delivery> recorded) { on_pending_recorded(submit, recorded); });
}

void RequestBook::on_pending_recorded(const std::shared_ptr<Submit>& submit,
                                      Result<Delivery> recorded) {
  if (!recorded.ok()) {
    submit->done(Error(recorded.code(), "request not recorded: " + recorded.error().message()));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(submit->state.id, Entry{submit->state, false});
    SLUICE_ASSERT_MSG(inserted, "a request id was handed out twice");
    index_expiry(it->second.state, -1);
  }
  // The event goes only now: whoever sees it finds the request.
  std::string topic = submit->state.topic;
  journal_.append(std::move(topic), std::move(submit->event),
                  [this, submit](Result<Delivery> stored) { on_event_stored(submit, stored); });
}

void RequestBook::on_event_stored(const std::shared_ptr<Submit>& submit, Result<Delivery> stored) {
  const std::string& id = submit->state.id;
  if (!stored.ok()) {
    // Nobody knows the id: the request ends failed (and expires), the caller gets the error.
    finish(id, RequestStatus::failed,
           "the request's event was not stored: " + stored.error().message(),
           [](const Result<RequestState>&) {});
    submit->done(std::move(stored).error());
    return;
  }
  RequestState located;
  {
    std::lock_guard lock(mutex_);
    Entry* entry = find_live(id, wall_ms());
    if (entry == nullptr) {
      // Expired already (a retention shorter than the append): the location is not recorded.
      located = submit->state;
      located.partition = stored->partition;
      located.offset = stored->offset;
    } else {
      const int64_t old_updated = entry->state.updated_ms;
      entry->state.partition = stored->partition;
      entry->state.offset = stored->offset;
      entry->state.updated_ms = std::max(old_updated, wall_ms());
      index_expiry(entry->state, old_updated);
      located = entry->state;
    }
  }
  record(located, [submit, located](Result<Delivery> recorded) {
    // The request and its event are stored: it stands. Without this record, a restart loses
    // only where its event is.
    if (!recorded.ok()) {
      log_line(LogLevel::warning, "request " + located.id + ": the location of its event (" +
                                      located.topic + "/" + std::to_string(located.partition) +
                                      " offset " + std::to_string(located.offset) +
                                      ") was not recorded: " + recorded.error().to_string());
    }
    submit->done(located);
  });
}

// ---- Ending ----

void RequestBook::finish(std::string_view id, RequestStatus status, std::string outcome,
                         Done done) {
  SLUICE_ASSERT(status != RequestStatus::pending);
  if (outcome.size() > kMaxRequestOutcomeBytes) {
    done(Error(Errc::too_large,
               "a request's " +
                   std::string(status == RequestStatus::completed ? "result" : "error") + " of " +
                   std::to_string(outcome.size()) + " bytes is above the maximum of " +
                   std::to_string(kMaxRequestOutcomeBytes)));
    return;
  }
  RequestState next;
  std::optional<Error> refused;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = wall_ms();
    Entry* entry = find_live(id, now);
    if (entry == nullptr) {
      refused = not_found(id);
    } else if (entry->state.status != RequestStatus::pending || entry->finishing) {
      const std::string current =
          entry->finishing ? "being ended" : std::string(request_status_name(entry->state.status));
      refused = Error(Errc::conflict, "request " + std::string(id) + " is " + current + " already");
    } else {
      entry->finishing = true;
      next = entry->state;
      next.status = status;
      next.outcome = std::move(outcome);
      next.updated_ms = std::max(next.updated_ms, now);
    }
  }
  if (refused) {
    done(std::move(*refused));
    return;
  }
  const RequestState to_record = next;
  record(to_record,
         [this, next = std::move(next), done = std::move(done)](Result<Delivery> recorded) mutable {
           on_outcome_recorded(std::move(next), std::move(done), std::move(recorded));
         });
}

void RequestBook::on_outcome_recorded(RequestState next, Done done, Result<Delivery> recorded) {
  std::vector<Waiter> waiters;
  RequestState out;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(next.id);
    if (it != entries_.end()) it->second.finishing = false;
    if (!recorded.ok()) {
      // Still pending; one that expired meanwhile goes now (the timer skipped it).
      if (it != entries_.end() && expires_ms(it->second.state) <= wall_ms()) {
        expiry_.erase({expires_ms(it->second.state), next.id});
        entries_.erase(it);
      }
    } else {
      if (it == entries_.end()) {
        // It expired while its record was written; the record brings it back for its retention.
        it = entries_.try_emplace(next.id, Entry{next, false}).first;
        index_expiry(it->second.state, -1);
      } else {
        RequestState& state = it->second.state;
        const int64_t old_updated = state.updated_ms;
        state.status = next.status;
        state.outcome = std::move(next.outcome);
        state.updated_ms = std::max(old_updated, next.updated_ms);
        index_expiry(state, old_updated);
      }
      out = it->second.state;
      waiters = take_waiters(out.id);
    }
  }
  if (!recorded.ok()) {
    done(Error(recorded.code(),
               "request " + next.id + ": outcome not recorded: " + recorded.error().message()));
    return;
  }
  for (Waiter& waiter : waiters)
    waiter.done(out);
  done(std::move(out));
}

// ---- Reading and waiting ----

Result<RequestState> RequestBook::get(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Entry* entry = find_live(id, wall_ms());
  if (entry == nullptr) return not_found(id);
  return entry->state;
}

void RequestBook::wait(std::string_view id, std::chrono::milliseconds timeout, Done done) {
  Result<RequestState> now_state = Error(Errc::not_found, "");
  {
    std::lock_guard lock(mutex_);
    const Entry* entry = find_live(id, wall_ms());
    if (entry == nullptr) {
      now_state = not_found(id);
    } else if (entry->state.status != RequestStatus::pending || timeout.count() <= 0) {
      now_state = entry->state;
    } else {
      Waiter waiter;
      waiter.ticket = next_ticket_++;
      waiter.deadline = std::chrono::steady_clock::now() + timeout;
      waiter.done = std::move(done);
      deadlines_.emplace(waiter.deadline, std::make_pair(entry->state.id, waiter.ticket));
      poke_timer(waiter.deadline);
      waiters_[entry->state.id].push_back(std::move(waiter));
      return;
    }
  }
  done(std::move(now_state));
}

size_t RequestBook::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

// ---- The timer thread ----

void RequestBook::timer() {
  std::unique_lock lock(mutex_);
  while (!timer_stopping_) {
    std::vector<std::pair<Done, Result<RequestState>>> answers;
    const SteadyTime now = std::chrono::steady_clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      // (Not a structured binding: the lambda below captures the ticket.)
      const std::string id = deadlines_.begin()->second.first;
      const auto ticket = deadlines_.begin()->second.second;
      deadlines_.erase(deadlines_.begin());
      auto w = waiters_.find(id);
      SLUICE_ASSERT(w != waiters_.end());
      auto it = std::find_if(w->second.begin(), w->second.end(),
                             [&](const Waiter& waiter) { return waiter.ticket == ticket; });
      SLUICE_ASSERT(it != w->second.end());
      Done done = std::move(it->done);
      w->second.erase(it);
      if (w->second.empty()) waiters_.erase(w);
      const auto entry = entries_.find(id);
      answers.emplace_back(std::move(done), entry != entries_.end()
                                                ? Result<RequestState>(entry->second.state)
                                                : Result<RequestState>(not_found(id)));
    }
    const int64_t wall_now = wall_ms();
    while (!expiry_.empty() && expiry_.begin()->first <= wall_now) {
      const std::string id = expiry_.begin()->second;
      expiry_.erase(expiry_.begin());
      auto entry = entries_.find(id);
      // An entry whose outcome is being recorded stays: its record brings it back anyway.
      if (entry != entries_.end() && !entry->second.finishing) entries_.erase(entry);
      for (Waiter& waiter : take_waiters(id))
        answers.emplace_back(std::move(waiter.done), not_found(id));
    }
    if (!answers.empty()) {
      lock.unlock();
      for (auto& [done, answer] : answers)
        done(std::move(answer));
      lock.lock();
      continue;
    }
    // Sleep until the earliest deadline or expiry; poke_timer() wakes it for an earlier one.
    SteadyTime until = SteadyTime::max();
    if (!deadlines_.empty()) until = deadlines_.begin()->first;
    if (!expiry_.empty()) {
      const auto in = std::chrono::milliseconds(expiry_.begin()->first - wall_now);
      until = std::min(until, now + in);
    }
    timer_until_ = until;
    if (until == SteadyTime::max()) {
      timer_wake_.wait(lock);
    } else {
      timer_wake_.wait_until(lock, until);
    }
    timer_until_ = SteadyTime::min();  // awake: nobody needs to poke
  }
}

}  // namespace sluice::engine
