// Queues (engine/queues.h): the registry, the rebuild from __queue_state, taking events, the
// record writer, and the timer and completion threads.
#include "engine/queues.h"

#include "engine/internal_topic.h"

#include "engine/producer_impl.h"
#include "engine/record_decoding.h"

#include "consumers/lock_token.h"
#include "consumers/queue_snapshot_parts.h"
#include "io/assert.h"
#include "io/logger.h"
#include "partitions/key_index.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace sluice::engine {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kCommitInterval{1000};
// The timer thread wakes at least this often (a wall-clock step must not strand a deadline).
constexpr std::chrono::milliseconds kTimerMaxSleep{1000};
constexpr std::chrono::milliseconds kRecordPoll{2};
constexpr uint64_t kReadBytesMin = 64 * 1024;
constexpr uint64_t kReadBytesMax = 4u << 20;
constexpr uint64_t kReadBytesPerEvent = 256;

uint64_t random_seed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device() ^
         static_cast<uint64_t>(Clock::now().time_since_epoch().count());
}

std::unique_ptr<Producer::Impl> internal_producer(Engine::Impl& engine, OnFull on_full) {
  ProducerOptions options;
  options.durability = Durability::synced;
  options.batch_bytes = 1u << 20;
  options.max_in_flight_bytes = 256ull << 20;
  options.on_full = on_full;
  return std::make_unique<Producer::Impl>(engine, options, true);
}

Clock::time_point steady_at(int64_t wall_deadline_ms, int64_t wall_now_ms) {
  const int64_t left =
      std::clamp<int64_t>(wall_deadline_ms - wall_now_ms, 0, kTimerMaxSleep.count());
  return Clock::now() + std::chrono::milliseconds(left);
}

}  // namespace

int64_t queue_wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

QueueState::QueueState(std::string group_in, std::shared_ptr<Topic> topic,
                       consumers::QueueTable table_in)
    : group(std::move(group_in)),
      source(std::move(topic)),
      record_key(consumers::encode_queue_key(group, source->name)),
      table(std::move(table_in)),
      committed(static_cast<size_t>(source->config.partitions), -1) {}

Queues::Queues(Engine::Impl& engine) : engine_(engine) {}

Queues::~Queues() {
  close();
}

// ---- Open, rebuild, close ----

Result<void> Queues::open() {
  if (!engine_.catalog->contains(kQueueStateTopic)) {
    TopicConfig config;
    config.partitions = 1;
    config.segment_bytes = 64ull << 20;
    config.max_event_bytes = 64u << 20;  // a deliver record of 10000 events is ~330 KB
    SLUICE_TRY(engine_.create_topic(kQueueStateTopic, config, TopicAccess::internal));
  }
  writer_ = internal_producer(engine_, OnFull::fail);
  dlq_writer_ = internal_producer(engine_, OnFull::wait);
  SLUICE_TRY(rebuild());
  timer_ = std::thread([this] { timer_loop(); });
  completer_ = std::thread([this] { completion_loop(); });
  return {};
}

Result<void> Queues::rebuild() {
  std::map<std::pair<std::string, std::string>, std::unique_ptr<consumers::QueueTable>> tables;
  std::map<std::pair<std::string, std::string>, consumers::QueueSnapshotParts> snapshots;
  SLUICE_TRY(scan_internal_topic(engine_, kQueueStateTopic, [&](const Record& stored) {
    Result<consumers::QueueRecord> record =
        consumers::decode_queue_record(stored.key.value_or(""), stored.value.value_or(""));
    if (!record.ok()) return Result<void>(Errc::corruption, record.error().message());
    const auto key = std::make_pair(record->group, record->topic);
    if (auto* part = std::get_if<consumers::SnapshotRecord>(&record->body)) {
      std::optional<std::vector<consumers::SnapshotRecord>> parts =
          snapshots[key].add(std::move(*part));
      if (!parts) return Result<void>();
      // Every part came: the snapshot replaces the table, as a start record would.
      Result<std::shared_ptr<Topic>> topic = engine_.find_topic(record->topic);
      if (!topic.ok() ||
          static_cast<size_t>((*topic)->config.partitions) != parts->front().floors.size()) {
        tables.erase(key);  // a table of a topic that is gone
        return Result<void>();
      }
      Result<consumers::QueueTable> restored = consumers::QueueTable::from_snapshot(
          *parts, consumers::settings_from_policy((*topic)->config.queue), random_seed());
      if (!restored.ok()) return Result<void>(Errc::corruption, restored.error().message());
      tables[key] = std::make_unique<consumers::QueueTable>(std::move(*restored));
      return Result<void>();
    }
    if (auto pending = snapshots.find(key);
        pending != snapshots.end() && pending->second.abandon()) {
      log_line(LogLevel::warning, "queue " + record->group + " on " + record->topic +
                                      ": a snapshot in " + std::string(kQueueStateTopic) +
                                      " was cut short (a crash while it was written); the "
                                      "records before it stand");
    }
    if (const auto* start = std::get_if<consumers::StartRecord>(&record->body)) {
      Result<std::shared_ptr<Topic>> topic = engine_.find_topic(record->topic);
      if (topic.ok() && static_cast<size_t>((*topic)->config.partitions) == start->offsets.size()) {
        tables[key] = std::make_unique<consumers::QueueTable>(
            start->offsets, consumers::settings_from_policy((*topic)->config.queue), random_seed());
      } else {
        tables.erase(key);  // a table of a topic that is gone
      }
      return Result<void>();
    }
    if (std::holds_alternative<consumers::ForgetRecord>(record->body)) {
      tables.erase(key);
      return Result<void>();
    }
    auto it = tables.find(key);
    if (it == tables.end()) return Result<void>();  // its topic is gone
    Result<void> applied = it->second->apply(record->body);
    if (!applied.ok()) return Result<void>(Errc::corruption, applied.error().message());
    return applied;
  }));
  for (auto& [key, table] : tables) {
    Result<std::shared_ptr<Topic>> topic = engine_.find_topic(key.second);
    SLUICE_ASSERT(topic.ok());
    table->reset_counters();
    // Moves to the DLQ that a snapshot caught in progress are carried out again (by the
    // completion thread, once it runs).
    std::vector<consumers::DeadLetterDecision> resumed = table->dead_lettering();
    Result<std::shared_ptr<QueueState>> made = make_state(key.first, *topic, std::move(*table));
    if (!made.ok()) return std::move(made).error();
    if (!resumed.empty()) {
      later([this, state = *made, resumed = std::move(resumed)]() mutable {
        (void)dead_letter(state, std::move(resumed), Durability::synced);
      });
    }
  }
  return {};
}

Result<std::shared_ptr<QueueState>> Queues::make_state(const std::string& group,
                                                       const std::shared_ptr<Topic>& topic,
                                                       consumers::QueueTable table) {
  auto state = std::make_shared<QueueState>(group, topic, std::move(table));
  subscribe(*state);
  std::lock_guard lock(mutex_);
  states_[{group, topic->name}] = state;
  return state;
}

void Queues::subscribe(QueueState& state) {
  for (const auto& slot : state.source->partitions) {
    auto subscription = std::make_unique<Subscription>(&bell_);
    PartitionSlot* raw_slot = slot.get();
    Subscription* raw = subscription.get();
    engine_.shard(raw_slot->shard).run([raw_slot, raw] { raw_slot->subscriptions.push_back(raw); });
    state.subscriptions.push_back(std::move(subscription));
  }
}

void Queues::unsubscribe(QueueState& state) {
  for (size_t p = 0; p < state.subscriptions.size(); ++p) {
    PartitionSlot* raw_slot = state.source->partitions[p].get();
    Subscription* raw = state.subscriptions[p].get();
    engine_.shard(raw_slot->shard).run([raw_slot, raw] {
      std::erase(raw_slot->subscriptions, raw);
    });
  }
}

void Queues::close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  stopping_.store(true, std::memory_order_release);
  kick();
  if (timer_.joinable()) timer_.join();
  std::deque<Waiter> waiting;
  {
    std::lock_guard lock(waiters_mutex_);
    waiting.swap(waiters_);
  }
  for (Waiter& waiter : waiting)
    waiter.done(Error(Errc::closed, "the engine is closing"));
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_stopping_ = true;
  }
  jobs_cv_.notify_all();
  if (completer_.joinable()) completer_.join();
  for (const auto& state : states())
    unsubscribe(*state);
  writer_.reset();
  dlq_writer_.reset();
}

// ---- The registry ----

Result<std::shared_ptr<QueueState>> Queues::state(const std::string& group,
                                                  const std::shared_ptr<Topic>& topic) {
  if (closed()) return Error(Errc::closed, "the engine is closing");
  {
    std::lock_guard lock(mutex_);
    auto it = states_.find({group, topic->name});
    if (it != states_.end() && it->second->source == topic) return it->second;
  }
  // Made once: the registry lock is not held across the start record, so two callers may race
  // here; the second one finds the first one's state below.
  std::lock_guard make_lock(making_mutex_);
  {
    std::lock_guard lock(mutex_);
    auto it = states_.find({group, topic->name});
    if (it != states_.end() && it->second->source == topic) return it->second;
  }
  std::vector<int64_t> starts;
  for (int32_t p = 0; p < topic->config.partitions; ++p) {
    const partitions::LogReader& reader = *topic->partitions[static_cast<size_t>(p)]->reader;
    int64_t start = reader.start_offset();
    if (std::optional<int64_t> committed = engine_.committed_offset(group, {topic->name, p})) {
      start = std::clamp(*committed, start, reader.high_watermark());
    }
    starts.push_back(start);
  }
  consumers::QueueTable table(starts, consumers::settings_from_policy(topic->config.queue),
                              random_seed());
  auto made = std::make_shared<QueueState>(group, topic, std::move(table));
  Result<PendingRecord> record = [&] {
    std::lock_guard lock(made->mutex);
    return write(*made, consumers::StartRecord{starts}, Durability::synced);
  }();
  if (!record.ok()) return std::move(record).error();
  SLUICE_TRY(wait(*record));
  subscribe(*made);
  std::lock_guard lock(mutex_);
  states_[{group, topic->name}] = made;
  return made;
}

std::vector<std::shared_ptr<QueueState>> Queues::states() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<QueueState>> out;
  out.reserve(states_.size());
  for (const auto& [key, state] : states_)
    out.push_back(state);
  return out;
}

Result<void> Queues::forget_topic(std::string_view topic) {
  std::vector<std::shared_ptr<QueueState>> gone;
  {
    std::lock_guard lock(mutex_);
    for (auto it = states_.begin(); it != states_.end();) {
      if (it->first.second == topic) {
        gone.push_back(it->second);
        it = states_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::optional<Error> failed;
  for (const auto& state : gone) {
    Result<PendingRecord> record = [&] {
      std::lock_guard lock(state->mutex);
      state->forgotten = true;
      return write(*state, consumers::ForgetRecord{}, Durability::synced);
    }();
    if (record.ok())
      record = [&]() -> Result<PendingRecord> {
        SLUICE_TRY(wait(*record));
        return PendingRecord{};
      }();
    if (!record.ok() && !failed) failed = record.error();
    unsubscribe(*state);
  }
  kick();  // waiting receives of those tables end (not_found)
  if (failed) return *failed;
  return {};
}

// ---- Records ----

Result<PendingRecord> Queues::write(QueueState& state, const consumers::QueueRecordBody& body,
                                    Durability durability) {
  Result<std::string> value = consumers::encode_queue_value(body);
  SLUICE_ASSERT_MSG(value.ok(), "the engine built a queue record its reader would refuse");
  Event event;
  event.key = state.record_key;
  event.value = std::move(*value);
  event.partition = 0;  // one partition: every table's records in the order of its changes
  PendingRecord pending;
  std::lock_guard lock(writer_mutex_);
  if (!writer_) return Error(Errc::closed, "the engine is closing");
  writer_->options.durability = durability;
  if (durability == Durability::none) {
    SLUICE_TRY(writer_->send(kQueueStateTopic, std::move(event), {}, nullptr));
    return pending;
  }
  std::promise<Result<Delivery>> promise;
  pending.future = promise.get_future();
  SLUICE_TRY(writer_->send(kQueueStateTopic, std::move(event), {}, &promise));
  return pending;
}

Result<void> Queues::wait(PendingRecord& record) {
  if (!record.future) return {};
  while (record.future->wait_for(kRecordPoll) != std::future_status::ready) {
    std::lock_guard lock(writer_mutex_);
    if (writer_) writer_->poll();
  }
  Result<Delivery> delivered = record.future->get();
  record.future.reset();
  if (!delivered.ok()) return std::move(delivered).error();
  return {};
}

// ---- Taking events ----

Result<std::vector<QueuedEvent>> Queues::take(QueueState& state, uint32_t max, int64_t lock_ms) {
  SLUICE_ASSERT(max >= 1 && max <= kQueueReceiveMax);
  if (closed()) return Error(Errc::closed, "the engine is closing");
  std::vector<QueuedEvent> out;
  const int64_t now = queue_wall_ms();
  std::lock_guard lock(state.mutex);
  if (state.forgotten) {
    return Error(Errc::not_found, "topic " + state.source->name + " was deleted");
  }
  state.deliveries.clear();
  state.table.take_ready(now, lock_ms, max, state.deliveries);
  std::optional<Error> failed;
  if (!state.deliveries.empty()) {
    out.reserve(state.deliveries.size());
    Result<void> read = read_redeliveries(state, 0, out);
    if (!read.ok()) failed = std::move(read).error();
  }
  const int32_t partitions = state.table.partitions();
  for (int32_t k = 0; k < partitions && !failed; ++k) {
    if (state.deliveries.size() >= max || !state.table.can_take_new()) break;
    const int32_t p = (state.next_partition + k) % partitions;
    Result<void> read = read_new(state, p, max, now, lock_ms, out);
    if (!read.ok()) failed = std::move(read).error();
  }
  state.next_partition = (state.next_partition + 1) % partitions;

  // The deliveries that reached `out` (an event gone meanwhile was dropped).
  consumers::DeliverRecord deliver{now, now + lock_ms, {}};
  consumers::AckRecord gone;
  size_t next = 0;
  for (const consumers::QueueDelivery& d : state.deliveries) {
    if (next < out.size() && out[next].record.partition == d.partition &&
        out[next].record.offset == d.offset) {
      deliver.entries.push_back(
          {d.partition, d.offset, d.delivery_count, d.token, d.has_key, d.key_hash});
      ++next;
    } else if (!state.table.find(d.partition, d.offset)) {
      gone.events.push_back({d.partition, d.offset});
    }
  }
  if (!deliver.entries.empty()) {
    (void)write(state, deliver, Durability::none);
    note_deadline(deliver.lock_expires_ms);
  }
  if (!gone.events.empty()) (void)write(state, gone, Durability::none);
  if (failed && out.empty()) return *failed;
  return out;
}

Result<void> Queues::read_redeliveries(QueueState& state, size_t first,
                                       std::vector<QueuedEvent>& out) {
  for (size_t i = first; i < state.deliveries.size(); ++i) {
    const consumers::QueueDelivery d = state.deliveries[i];
    const partitions::LogReader& reader =
        *state.source->partitions[static_cast<size_t>(d.partition)]->reader;
    Result<partitions::ReadInfo> read = reader.read_into(d.offset, 1, state.buffer);
    state.records.clear();
    if (read.ok()) {
      Result<DecodeProgress> decoded =
          decode_into(state.source->name, d.partition, state.buffer, d.offset, 1, state.records);
      if (!decoded.ok()) return std::move(decoded).error();
    } else if (read.code() != Errc::offset_out_of_range) {
      return std::move(read).error();
    }
    if (state.records.empty() || state.records.front().offset != d.offset) {
      // Retention removed it while it waited: it cannot be delivered, so it counts as handled.
      log_line(LogLevel::warning, "queue " + state.group + " on " + state.source->name + ": " +
                                      std::to_string(d.partition) + "@" + std::to_string(d.offset) +
                                      " was removed by retention before it was handled");
      state.table.drop(d.partition, d.offset);
      continue;
    }
    out.push_back({std::move(state.records.front()), d.delivery_count,
                   consumers::lock_token_text(d.token), d.lock_expires_ms});
  }
  return {};
}

Result<void> Queues::read_new(QueueState& state, int32_t partition, uint32_t max, int64_t now_ms,
                              int64_t lock_ms, std::vector<QueuedEvent>& out) {
  const partitions::LogReader& reader =
      *state.source->partitions[static_cast<size_t>(partition)]->reader;
  const int64_t start = reader.start_offset();
  if (state.table.cursor(partition) < start) state.table.skip_gone(partition, start);
  const int64_t cursor = state.table.cursor(partition);
  if (cursor >= reader.high_watermark()) return {};
  const uint64_t want = max - state.deliveries.size();
  const uint64_t bytes = std::clamp(want * kReadBytesPerEvent, kReadBytesMin, kReadBytesMax);
  Result<partitions::ReadInfo> read = reader.read_into(cursor, bytes, state.buffer);
  if (!read.ok()) {
    if (read.code() == Errc::offset_out_of_range) return {};  // retention raced: next time
    if (read.code() == Errc::closed) {
      return Error(Errc::not_found, "topic " + state.source->name + " was deleted");
    }
    return std::move(read).error();
  }
  state.records.clear();
  Result<DecodeProgress> decoded =
      decode_into(state.source->name, partition, state.buffer, cursor, UINT32_MAX, state.records);
  if (!decoded.ok()) return std::move(decoded).error();
  state.offered.clear();
  for (const Record& record : state.records) {
    consumers::NewEvent event;
    event.offset = record.offset;
    if (record.key) {
      event.has_key = true;
      event.key_hash = partitions::key_hash(std::string_view(*record.key));
    }
    state.offered.push_back(event);
  }
  const size_t first = state.deliveries.size();
  const size_t consumed =
      state.table.offer(partition, state.offered, now_ms, lock_ms, max, state.deliveries);
  if (consumed == state.records.size()) state.table.advance_cursor(partition, read->next_offset);
  size_t r = 0;
  for (size_t i = first; i < state.deliveries.size(); ++i) {
    const consumers::QueueDelivery& d = state.deliveries[i];
    while (state.records[r].offset != d.offset)
      ++r;
    out.push_back({std::move(state.records[r]), d.delivery_count,
                   consumers::lock_token_text(d.token), d.lock_expires_ms});
  }
  return {};
}

void Queues::wait_for_events(std::shared_ptr<QueueState> state, uint32_t max, int64_t lock_ms,
                             Clock::time_point until,
                             std::function<void(Result<std::vector<QueuedEvent>>)> done) {
  {
    std::lock_guard lock(waiters_mutex_);
    if (!closed()) {
      waiters_.push_back({std::move(state), max, lock_ms, until, std::move(done)});
      done = nullptr;
    }
  }
  if (done) {
    done(Error(Errc::closed, "the engine is closing"));
    return;
  }
  kick();
}

// ---- Threads ----

void Queues::kick() {
  kicked_.store(true, std::memory_order_release);
  bell_.ring();
}

void Queues::note_deadline(int64_t wall_ms) {
  if (wall_ms < planned_wake_ms_.load(std::memory_order_relaxed)) kick();
}

void Queues::later(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mutex_);
    if (!jobs_stopping_) {
      jobs_.push_back(std::move(job));
      job = nullptr;
    }
  }
  if (job) {
    job();  // closed: nobody else would run it
    return;
  }
  jobs_cv_.notify_one();
}

void Queues::completion_loop() {
  std::unique_lock lock(jobs_mutex_);
  while (true) {
    jobs_cv_.wait(lock, [this] { return jobs_stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything ran
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void Queues::timer_loop() {
  auto next_commit = Clock::now() + kCommitInterval;
  while (!stopping_.load(std::memory_order_acquire)) {
    const std::vector<std::shared_ptr<QueueState>> all = states();
    kicked_.store(false, std::memory_order_relaxed);
    for (const auto& state : all) {
      for (const auto& subscription : state->subscriptions)
        subscription->drain();
    }
    // Expiries first: what they make ready goes to the waiters now.
    const Clock::time_point expiries = expire_all(all);
    Clock::time_point until = std::min(expiries, serve_waiters());
    if (Clock::now() >= next_commit) {
      commit_positions(all);
      next_commit = Clock::now() + kCommitInterval;
    }
    until = std::min(until, next_commit);
    planned_wake_ms_.store(
        queue_wall_ms() +
            std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count(),
        std::memory_order_relaxed);
    bool have_waiters = false;
    {
      std::lock_guard lock(waiters_mutex_);
      have_waiters = !waiters_.empty();
    }
    // Acquire: a kick() after a change makes the change visible here.
    bell_.wait(WaitStrategy::park, until, [&] {
      if (kicked_.load(std::memory_order_acquire)) return true;
      if (!have_waiters) return false;
      for (const auto& state : all) {
        for (const auto& subscription : state->subscriptions) {
          if (subscription->pending()) return true;
        }
      }
      return false;
    });
  }
}

Clock::time_point Queues::expire_all(const std::vector<std::shared_ptr<QueueState>>& all) {
  const int64_t now = queue_wall_ms();
  Clock::time_point until = Clock::now() + kTimerMaxSleep;
  bool ready = false;
  for (const auto& state : all) {
    std::vector<consumers::DeadLetterDecision> dead;
    Durability durability;
    {
      std::lock_guard lock(state->mutex);
      if (state->forgotten) continue;
      state->table.expire(now, dead);
      until = std::min(until, steady_at(state->table.next_deadline_ms(), now));
      ready = ready || state->table.has_ready();
      durability = state->durability;
    }
    if (!dead.empty()) {
      later([this, state, dead = std::move(dead), durability]() mutable {
        (void)dead_letter(state, std::move(dead), durability);
      });
    }
  }
  (void)ready;
  return until;
}

Clock::time_point Queues::serve_waiters() {
  std::deque<Waiter> waiting;
  {
    std::lock_guard lock(waiters_mutex_);
    waiting.swap(waiters_);
  }
  Clock::time_point until = Clock::time_point::max();
  std::deque<Waiter> kept;
  for (Waiter& waiter : waiting) {
    Result<std::vector<QueuedEvent>> taken = take(*waiter.state, waiter.max, waiter.lock_ms);
    if (!taken.ok() || !taken->empty() || Clock::now() >= waiter.until) {
      waiter.done(std::move(taken));
      continue;
    }
    until = std::min(until, waiter.until);
    kept.push_back(std::move(waiter));
  }
  if (!kept.empty()) {
    std::lock_guard lock(waiters_mutex_);
    // Those that waited before go first.
    for (auto it = kept.rbegin(); it != kept.rend(); ++it)
      waiters_.push_front(std::move(*it));
  }
  return until;
}

void Queues::commit_positions(const std::vector<std::shared_ptr<QueueState>>& all) {
  if (all.empty() || commit_running_.exchange(true, std::memory_order_acq_rel)) return;
  later([this, all] {
    for (const auto& state : all) {
      std::vector<std::pair<TopicPartition, int64_t>> changed;
      {
        std::lock_guard lock(state->mutex);
        if (state->forgotten) continue;
        for (int32_t p = 0; p < state->table.partitions(); ++p) {
          const int64_t position = state->table.commit_position(p);
          if (position != state->committed[static_cast<size_t>(p)]) {
            changed.push_back({{state->source->name, p}, position});
          }
        }
      }
      if (changed.empty()) continue;
      // A group that is also a Consumer group with members refuses a commit from outside it:
      // its members' commits stand.
      if (engine_.commit_offsets(state->group, "", -1, changed).ok()) {
        for (const auto& [tp, position] : changed)
          state->committed[static_cast<size_t>(tp.partition)] = position;
      }
    }
    commit_running_.store(false, std::memory_order_release);
  });
}

}  // namespace sluice::engine
