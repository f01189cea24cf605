// Queue (include/sluice/queue.h): the handle, Engine::queue and Engine::queue_stats.
#include "engine/queues.h"

#include "consumers/lock_token.h"
#include "consumers/names.h"
#include "io/assert.h"

#include <future>

namespace sluice {
namespace {

using engine::Queues;
using engine::QueueState;

constexpr uint32_t kRefsMax = engine::kQueueReceiveMax;

Error invalid(const std::string& message) {
  return Error(Errc::invalid_argument, message);
}

std::string where(const QueueState& state, int32_t partition, int64_t offset) {
  return state.source->name + "/" + std::to_string(partition) + "@" + std::to_string(offset);
}

Result<void> outcome(consumers::LockCheck check, const QueueState& state, const LockRef& ref) {
  switch (check) {
    case consumers::LockCheck::ok:
      return {};
    case consumers::LockCheck::lock_lost:
      return Error(Errc::lock_lost, "the lock on " + where(state, ref.partition, ref.offset) +
                                        " ran out or is not this token's");
    case consumers::LockCheck::not_found:
      return Error(Errc::not_found, where(state, ref.partition, ref.offset) +
                                        " is not locked (handled, or never delivered)");
    case consumers::LockCheck::bad_partition:
      return invalid("partition " + std::to_string(ref.partition) + " of topic " +
                     state.source->name + " does not exist");
  }
  SLUICE_UNREACHABLE("unknown lock check");
}

Result<void> check_refs(const std::vector<LockRef>& refs, const char* call) {
  if (refs.empty()) return invalid(std::string(call) + ": no events given");
  if (refs.size() > kRefsMax) {
    return invalid(std::string(call) + ": " + std::to_string(refs.size()) + " events, at most " +
                   std::to_string(kRefsMax) + " per call");
  }
  return {};
}

}  // namespace

struct Queue::Impl {
  Engine::Impl& engine;
  std::shared_ptr<QueueState> state;
  QueueOptions options;
  consumers::QueueSettings settings;

  Queues& queues() { return *engine.queues; }

  // Work begun under the state's lock; finish() waits for its records.
  struct Work {
    std::vector<LockOutcome> outcomes;
    engine::PendingRecord record;
    std::vector<consumers::DeadLetterDecision> dead;
  };

  Result<int64_t> lock_ms(std::optional<std::chrono::milliseconds> lock) const {
    if (!lock) return settings.lock_ms;
    if (lock->count() < 1 || lock->count() > consumers::kQueueLockMsMax) {
      return invalid("lock is " + std::to_string(lock->count()) + " ms (1 ms to 12 h)");
    }
    return lock->count();
  }

  Result<void> check_receive(uint32_t max_events, std::chrono::milliseconds wait) const {
    if (max_events < 1 || max_events > engine::kQueueReceiveMax) {
      return invalid("receive: max_events is " + std::to_string(max_events) + " (1 to " +
                     std::to_string(engine::kQueueReceiveMax) + ")");
    }
    if (wait.count() < 0) return invalid("receive: wait is negative");
    return {};
  }

  // With the state's mutex held: runs `check` on each ref with its parsed token and collects
  // the outcomes (a malformed token is invalid_argument without a check); not_found when the
  // topic was deleted.
  template <typename Check>
  Result<void> check_each(const std::vector<LockRef>& refs, Work& work, Check&& check) {
    if (state->forgotten)
      return Error(Errc::not_found, "topic " + state->source->name + " was deleted");
    work.outcomes.reserve(refs.size());
    for (const LockRef& ref : refs) {
      const std::optional<uint64_t> token = consumers::parse_lock_token(ref.lock_token);
      if (!token) {
        work.outcomes.push_back({ref, invalid("lock token '" + ref.lock_token + "' is malformed")});
        continue;
      }
      work.outcomes.push_back({ref, outcome(check(ref, *token), *state, ref)});
    }
    return {};
  }

  // With the state's mutex held: appends the record of the changes (when there are any).
  template <typename Body>
  Result<void> write_changes(const Body& body, bool any, Work& work) {
    if (!any) return {};
    Result<engine::PendingRecord> record = queues().write(*state, body, options.durability);
    if (!record.ok()) return std::move(record).error();
    work.record = std::move(*record);
    return {};
  }

  Result<Work> begin_ack(const std::vector<LockRef>& refs) {
    SLUICE_TRY(check_refs(refs, "ack"));
    Work work;
    consumers::AckRecord body;
    const int64_t now = engine::queue_wall_ms();
    std::lock_guard lock(state->mutex);
    SLUICE_TRY(check_each(refs, work, [&](const LockRef& ref, uint64_t token) {
      const consumers::LockCheck check = state->table.ack(ref.partition, ref.offset, token, now);
      if (check == consumers::LockCheck::ok) body.events.push_back({ref.partition, ref.offset});
      return check;
    }));
    SLUICE_TRY(write_changes(body, !body.events.empty(), work));
    return work;
  }

  Result<Work> begin_nack(const std::vector<LockRef>& refs, const NackOptions& nack) {
    SLUICE_TRY(check_refs(refs, "nack"));
    if (nack.reason.size() > consumers::kQueueReasonBytesMax) {
      return invalid("nack: reason of " + std::to_string(nack.reason.size()) + " bytes, at most " +
                     std::to_string(consumers::kQueueReasonBytesMax));
    }
    std::optional<int64_t> retry_after;
    if (nack.retry_after) {
      if (nack.retry_after->count() < 0 ||
          nack.retry_after->count() > consumers::kQueueRetryMsMax) {
        return invalid("nack: retry_after is " + std::to_string(nack.retry_after->count()) +
                       " ms (0 to 24 h)");
      }
      retry_after = nack.retry_after->count();
    }
    Work work;
    consumers::RetryRecord body;
    body.reason = nack.reason;
    bool ready_now = false;
    int64_t earliest_due = INT64_MAX;
    const int64_t now = engine::queue_wall_ms();
    std::lock_guard lock(state->mutex);
    SLUICE_TRY(check_each(refs, work, [&](const LockRef& ref, uint64_t token) {
      int64_t due = 0;
      const consumers::LockCheck check =
          state->table.nack(ref.partition, ref.offset, token, now, settings, nack.reason,
                            retry_after, &due, work.dead);
      if (check == consumers::LockCheck::ok && due >= 0) {
        body.entries.push_back({ref.partition, ref.offset, due});
        ready_now = ready_now || due <= now;
        earliest_due = std::min(earliest_due, due);
      }
      return check;
    }));
    SLUICE_TRY(write_changes(body, !body.entries.empty(), work));
    if (ready_now) {
      queues().kick();  // a waiting receive can have them at once
    } else if (earliest_due != INT64_MAX) {
      queues().note_deadline(earliest_due);
    }
    return work;
  }

  // Blocks: waits for the records, and dead-letters what reached max_deliveries.
  Result<std::vector<LockOutcome>> finish(Work& work) {
    SLUICE_TRY(queues().wait(work.record));
    if (!work.dead.empty()) {
      std::vector<Result<void>> moved = queues().dead_letter(state, work.dead, options.durability);
      for (size_t i = 0; i < work.dead.size(); ++i) {
        if (moved[i].ok()) continue;
        for (LockOutcome& out : work.outcomes) {
          if (out.ref.partition == work.dead[i].partition &&
              out.ref.offset == work.dead[i].offset) {
            out.result = moved[i];
          }
        }
      }
    }
    return std::move(work.outcomes);
  }

  bool must_wait(const Work& work) const { return work.record.future || !work.dead.empty(); }
};

Queue::Queue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Queue::~Queue() = default;
Queue::Queue(Queue&&) noexcept = default;
Queue& Queue::operator=(Queue&&) noexcept = default;

Result<std::vector<QueuedEvent>> Queue::receive(uint32_t max_events, std::chrono::milliseconds wait,
                                                std::optional<std::chrono::milliseconds> lock) {
  if (!impl_) return Error(Errc::closed, "queue was moved from");
  SLUICE_TRY(impl_->check_receive(max_events, wait));
  Result<int64_t> lock_ms = impl_->lock_ms(lock);
  if (!lock_ms.ok()) return std::move(lock_ms).error();
  Result<std::vector<QueuedEvent>> taken =
      impl_->queues().take(*impl_->state, max_events, *lock_ms);
  if (!taken.ok() || !taken->empty() || wait.count() == 0) return taken;
  auto promise = std::make_shared<std::promise<Result<std::vector<QueuedEvent>>>>();
  auto future = promise->get_future();
  impl_->queues().wait_for_events(impl_->state, max_events, *lock_ms,
                                  std::chrono::steady_clock::now() + wait,
                                  [promise](Result<std::vector<QueuedEvent>> events) {
                                    promise->set_value(std::move(events));
                                  });
  return future.get();
}

void Queue::receive_async(uint32_t max_events, std::chrono::milliseconds wait,
                          std::optional<std::chrono::milliseconds> lock,
                          std::function<void(Result<std::vector<QueuedEvent>>)> done) {
  if (!impl_) return done(Error(Errc::closed, "queue was moved from"));
  if (Result<void> ok = impl_->check_receive(max_events, wait); !ok.ok()) return done(ok.error());
  Result<int64_t> lock_ms = impl_->lock_ms(lock);
  if (!lock_ms.ok()) return done(std::move(lock_ms).error());
  Result<std::vector<QueuedEvent>> taken =
      impl_->queues().take(*impl_->state, max_events, *lock_ms);
  if (!taken.ok() || !taken->empty() || wait.count() == 0) return done(std::move(taken));
  impl_->queues().wait_for_events(impl_->state, max_events, *lock_ms,
                                  std::chrono::steady_clock::now() + wait, std::move(done));
}

Result<std::vector<LockOutcome>> Queue::ack(const std::vector<LockRef>& refs) {
  if (!impl_) return Error(Errc::closed, "queue was moved from");
  Result<Impl::Work> work = impl_->begin_ack(refs);
  if (!work.ok()) return std::move(work).error();
  return impl_->finish(*work);
}

Result<std::vector<LockOutcome>> Queue::nack(const std::vector<LockRef>& refs,
                                             const NackOptions& options) {
  if (!impl_) return Error(Errc::closed, "queue was moved from");
  Result<Impl::Work> work = impl_->begin_nack(refs, options);
  if (!work.ok()) return std::move(work).error();
  return impl_->finish(*work);
}

void Queue::ack_async(std::vector<LockRef> refs,
                      std::function<void(Result<std::vector<LockOutcome>>)> done) {
  if (!impl_) return done(Error(Errc::closed, "queue was moved from"));
  Result<Impl::Work> work = impl_->begin_ack(refs);
  if (!work.ok()) return done(std::move(work).error());
  if (!impl_->must_wait(*work)) return done(std::move(work->outcomes));
  auto shared = std::make_shared<Impl::Work>(std::move(*work));
  Impl* impl = impl_.get();
  // The handle may go before the job runs; the state and the engine stay.
  auto keep = std::make_shared<Impl>(*impl);
  impl->queues().later([keep, shared, done = std::move(done)] { done(keep->finish(*shared)); });
}

void Queue::nack_async(std::vector<LockRef> refs, NackOptions options,
                       std::function<void(Result<std::vector<LockOutcome>>)> done) {
  if (!impl_) return done(Error(Errc::closed, "queue was moved from"));
  Result<Impl::Work> work = impl_->begin_nack(refs, options);
  if (!work.ok()) return done(std::move(work).error());
  if (!impl_->must_wait(*work)) return done(std::move(work->outcomes));
  auto shared = std::make_shared<Impl::Work>(std::move(*work));
  auto keep = std::make_shared<Impl>(*impl_);
  impl_->queues().later([keep, shared, done = std::move(done)] { done(keep->finish(*shared)); });
}

namespace {

QueueStats stats_of(QueueState& state) {
  QueueStats out;
  out.group = state.group;
  out.topic = state.source->name;
  const int64_t now = engine::queue_wall_ms();
  std::lock_guard lock(state.mutex);
  const consumers::QueueTableStats s = state.table.stats();
  out.in_flight = s.locked;
  out.waiting_retry = s.waiting;
  out.redelivered = s.redelivered;
  out.dead_lettered = s.dead_lettered;
  out.replayed = s.replayed;
  out.acked = s.acked;
  out.oldest_unacked_age_ms =
      s.oldest_delivered_ms > 0 ? std::max<int64_t>(0, now - s.oldest_delivered_ms) : 0;
  for (int32_t p = 0; p < state.table.partitions(); ++p) {
    const partitions::LogReader& reader = *state.source->partitions[static_cast<size_t>(p)]->reader;
    const int64_t cursor = std::max(state.table.cursor(p), reader.start_offset());
    out.backlog += std::max<int64_t>(0, reader.high_watermark() - cursor);
  }
  return out;
}

}  // namespace

QueueStats Queue::stats() const {
  if (!impl_) return {};
  return stats_of(*impl_->state);
}

const std::string& Queue::group() const {
  static const std::string none;
  return impl_ ? impl_->state->group : none;
}

const std::string& Queue::topic() const {
  static const std::string none;
  return impl_ ? impl_->state->source->name : none;
}

// ---- Engine ----

Result<Queue> Engine::queue(const QueueOptions& options) {
  if (options.group.empty() || !consumers::valid_group_id(options.group)) {
    return invalid("QueueOptions.group must be 1 to " +
                   std::to_string(consumers::kGroupIdBytesMax) + " bytes");
  }
  if (options.topic.empty()) return invalid("QueueOptions.topic is empty");
  Result<std::shared_ptr<engine::Topic>> topic = impl_->find_topic(options.topic);
  if (!topic.ok()) return std::move(topic).error();
  if ((*topic)->internal) return invalid("topic " + options.topic + " is internal to sluice");
  if (options.topic.size() + engine::kDlqSuffix.size() > consumers::kTopicNameBytesMax) {
    return invalid("topic " + options.topic + " is too long to have a dead-letter topic (" +
                   std::to_string(consumers::kTopicNameBytesMax - engine::kDlqSuffix.size()) +
                   " characters at most)");
  }
  consumers::QueueSettings settings = consumers::settings_from_policy((*topic)->config.queue);
  if (options.max_deliveries) settings.max_deliveries = *options.max_deliveries;
  if (options.retry) settings.retry = *options.retry;
  if (options.lock_duration) settings.lock_ms = options.lock_duration->count();
  settings.key_order = options.key_order;
  settings.max_in_flight = options.max_in_flight;
  SLUICE_TRY(consumers::validate_queue_settings(settings, "QueueOptions"));
  if (options.durability > Durability::synced) return invalid("QueueOptions.durability is unknown");
  if (!impl_->queues) return Error(Errc::closed, "the engine is closing");
  Result<std::shared_ptr<QueueState>> state = impl_->queues->state(options.group, *topic);
  if (!state.ok()) return std::move(state).error();
  {
    std::lock_guard lock((*state)->mutex);
    (*state)->table.set_settings(settings);  // the last handle's, for lock expiries
    (*state)->durability = options.durability;
  }
  auto impl = std::unique_ptr<Queue::Impl>(new Queue::Impl{*impl_, *state, options, settings});
  return Queue(std::move(impl));
}

std::vector<QueueStats> Engine::queue_stats() const {
  std::vector<QueueStats> out;
  if (!impl_->queues) return out;
  for (const auto& state : impl_->queues->states())
    out.push_back(stats_of(*state));
  return out;
}

// ---- Engine::Impl ----

Result<void> Engine::Impl::open_queues() {
  queues = std::make_unique<engine::Queues>(*this);
  SLUICE_TRY(queues->open());
  std::lock_guard lock(compaction_mutex);
  queues_open = true;  // the housekeeping thread may compact __queue_state from now on
  return {};
}

void Engine::Impl::close_queues() {
  {
    // Waits for a compaction of __queue_state in progress.
    std::lock_guard lock(compaction_mutex);
    queues_open = false;
  }
  if (queues) queues->close();
}

}  // namespace sluice
