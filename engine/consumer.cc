// Consumer (include/sluice/consumer.h): group membership driven from poll(), reads of the
// assigned partitions through their LogReaders, offsets committed through the engine.
#include "engine/consumer_impl.h"

#include "consumers/group_coordinator.h"
#include "engine/record_decoding.h"
#include "io/assert.h"

#include <thread>

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// How long a member waits between two joins while its group rebalances.
constexpr std::chrono::milliseconds kRejoinPause{2};
// Heartbeats go at least this often (more often than Kafka's 3 s: a heartbeat is a call into the
// coordinator, not a network round trip), so that members learn of a rebalance quickly.
constexpr std::chrono::milliseconds kMaxHeartbeatInterval{50};

}  // namespace

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Consumer::~Consumer() = default;
Consumer::Consumer(Consumer&&) noexcept = default;
Consumer& Consumer::operator=(Consumer&&) noexcept = default;

Result<std::vector<Record>> Consumer::poll(std::chrono::milliseconds timeout) {
  if (!impl_) return Error(Errc::closed, "consumer was moved from");
  return impl_->poll(timeout);
}
Result<void> Consumer::commit() {
  if (!impl_) return Error(Errc::closed, "consumer was moved from");
  return impl_->commit_positions();
}
Result<void> Consumer::commit(const TopicPartition& partition, int64_t offset) {
  if (!impl_) return Error(Errc::closed, "consumer was moved from");
  return impl_->commit_one(partition, offset);
}
Result<void> Consumer::seek(const TopicPartition& partition, SeekTarget target) {
  if (!impl_) return Error(Errc::closed, "consumer was moved from");
  return impl_->seek(partition, target);
}
std::vector<TopicPartition> Consumer::assignment() const {
  std::vector<TopicPartition> out;
  if (!impl_) return out;
  for (const auto& a : impl_->assigned)
    out.push_back(a.tp);
  return out;
}
Result<std::vector<PartitionLag>> Consumer::lag() const {
  if (!impl_) return Error(Errc::closed, "consumer was moved from");
  return impl_->lag();
}
const std::string& Consumer::member_id() const {
  static const std::string none;
  return impl_ ? impl_->member_id : none;
}
int32_t Consumer::generation() const {
  return impl_ ? impl_->generation : -1;
}
Result<void> Consumer::close() {
  if (!impl_) return Error(Errc::closed, "consumer was moved from");
  return impl_->close();
}

// ---- Impl ----

std::chrono::milliseconds Consumer::Impl::heartbeat_interval() const {
  return std::min<std::chrono::milliseconds>(options.session_timeout / 3, kMaxHeartbeatInterval);
}

Consumer::Impl::Impl(Engine::Impl& engine_in, const ConsumerOptions& options_in)
    : engine(engine_in), options(options_in) {
  next_auto_commit = Clock::now() + options.auto_commit_interval;
}

Consumer::Impl::~Impl() {
  (void)close();
}

Result<std::vector<Record>> Consumer::Impl::poll(std::chrono::milliseconds timeout) {
  if (closed) return Error(Errc::closed, "consumer is closed");
  const auto until = Clock::now() + timeout;
  std::vector<Record> out;
  while (true) {
    Result<bool> member = ensure_member(until);
    if (!member.ok()) return std::move(member).error();
    if (!*member) return out;  // still rebalancing at the deadline
    SLUICE_TRY(heartbeat_if_due());
    if (!stable) continue;  // the heartbeat revoked the assignment: rejoin
    SLUICE_TRY(maybe_auto_commit());
    if (callback_delivery()) {
      SLUICE_TRY(take_delivery_error());
    } else {
      SLUICE_TRY(fetch(out));
      if (!out.empty()) return out;
    }
    const auto now = Clock::now();
    if (now >= until) return out;
    // Wake for new data (or a delivery's error), or in time for the next heartbeat. With
    // callback delivery no event comes this way, so the thread parks whatever the strategy.
    const WaitStrategy wait = callback_delivery() ? WaitStrategy::park : engine.options.wait;
    bell.wait(wait, std::min(until, next_heartbeat), [this] { return data_ready(); });
  }
}

Result<bool> Consumer::Impl::ensure_member(Clock::time_point until) {
  while (!stable) {
    consumers::JoinRequest request;
    request.group = options.group;
    request.member_id = member_id;
    request.client_id = "sluice";
    request.topics = options.topics;
    request.strategy = options.strategy;
    request.session_timeout_ms = options.session_timeout.count();
    request.rebalance_timeout_ms = options.rebalance_timeout.count();
    consumers::GroupResult<consumers::JoinResult> joined = engine.groups->join(request);
    if (!joined.ok()) {
      if (joined.error() == consumers::GroupError::unknown_member && !member_id.empty()) {
        member_id.clear();  // removed meanwhile: join as a new member
        continue;
      }
      return consumers::to_error(joined.failure());
    }
    member_id = joined->member_id;
    if (joined->status == consumers::JoinStatus::stable) {
      generation = joined->generation;
      SLUICE_TRY(take_assignment(joined->assignment));
      stable = true;
      next_heartbeat = Clock::now() + heartbeat_interval();
      break;
    }
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(kRejoinPause);
  }
  return true;
}

Result<void> Consumer::Impl::heartbeat_if_due() {
  if (Clock::now() < next_heartbeat) return {};
  consumers::GroupResult<void> beat =
      engine.groups->heartbeat(options.group, member_id, generation);
  next_heartbeat = Clock::now() + heartbeat_interval();
  if (beat.ok()) return {};
  switch (beat.error()) {
    case consumers::GroupError::rebalance_in_progress:
    case consumers::GroupError::illegal_generation:
      revoke();
      return {};
    case consumers::GroupError::unknown_member:
      revoke();
      member_id.clear();
      return {};
    default:
      return consumers::to_error(beat.failure());
  }
}

void Consumer::Impl::revoke() {
  Result<void> committed = unsubscribe_all(options.auto_commit && stable);
  (void)committed;  // a fenced commit is expected here: the group moved on
  stable = false;
  generation = -1;
}

Result<void> Consumer::Impl::unsubscribe_all(bool commit) {
  for (Assigned& a : assigned) {
    engine::PartitionSlot* slot = a.slot.get();
    engine::Subscription* subscription = a.subscription.get();
    engine::CallbackDelivery* delivery = a.delivery.get();
    engine.shard(slot->shard).run([slot, subscription, delivery] {
      std::erase(slot->subscriptions, subscription);
      if (delivery != nullptr) delivery->stop();
    });
  }
  // Every delivery has stopped: the positions are final.
  Result<void> committed;
  if (commit) committed = commit_positions();
  assigned.clear();
  return committed;
}

Result<void> Consumer::Impl::take_delivery_error() {
  for (Assigned& a : assigned) {
    if (!a.delivery || !a.delivery->error_pending()) continue;
    if (std::optional<Error> error = a.delivery->take_error()) return std::move(*error);
  }
  return {};
}

Result<void> Consumer::Impl::take_assignment(const std::vector<TopicPartition>& partitions) {
  SLUICE_ASSERT(assigned.empty());
  for (const TopicPartition& tp : partitions) {
    Result<std::shared_ptr<engine::PartitionSlot>> slot =
        engine.find_partition(tp.topic, tp.partition);
    if (!slot.ok()) continue;  // deleted since: the group rebalances
    Assigned a;
    a.tp = tp;
    a.slot = std::move(*slot);
    const std::optional<int64_t> committed = engine.committed_offset(options.group, tp);
    if (committed) {
      a.position = *committed;
      a.committed = *committed;
    } else {
      Result<int64_t> start =
          resolve(*a.slot, options.reset == OffsetReset::earliest ? SeekTarget::earliest()
                                                                  : SeekTarget::latest());
      if (!start.ok()) return std::move(start).error();
      a.position = *start;
    }
    engine::Shard& owner = engine.shard(a.slot->shard);
    if (callback_delivery()) {
      engine::CallbackDelivery::Plan plan;
      plan.slot = a.slot;
      plan.shard = &owner;
      plan.on_events = &options.on_events;
      plan.bell = &bell;
      plan.reset = options.reset;
      plan.max_events = options.max_poll_events;
      plan.max_bytes = options.max_partition_bytes;
      plan.position = a.position;
      a.delivery = std::make_shared<engine::CallbackDelivery>(std::move(plan));
      a.subscription = std::make_unique<engine::Subscription>(a.delivery.get());
    } else {
      a.subscription = std::make_unique<engine::Subscription>(&bell);
    }
    engine::PartitionSlot* raw_slot = a.slot.get();
    engine::Subscription* subscription = a.subscription.get();
    engine::CallbackDelivery* delivery = a.delivery.get();
    owner.run([raw_slot, subscription, delivery] {
      raw_slot->subscriptions.push_back(subscription);
      if (delivery != nullptr) delivery->start();
    });
    assigned.push_back(std::move(a));
  }
  next_partition = 0;
  return {};
}

Result<int64_t> Consumer::Impl::resolve(const engine::PartitionSlot& slot,
                                        SeekTarget target) const {
  const partitions::LogReader& reader = *slot.reader;
  switch (target.kind) {
    case SeekTarget::Kind::earliest:
      return reader.start_offset();
    case SeekTarget::Kind::latest:
      return reader.high_watermark();
    case SeekTarget::Kind::offset:
      if (target.value < 0) {
        return Error(Errc::invalid_argument,
                     "seek to negative offset " + std::to_string(target.value));
      }
      return std::min(target.value, reader.high_watermark());
    case SeekTarget::Kind::timestamp: {
      engine::Shard& owner = engine.shard(slot.shard);
      const engine::PartitionSlot* raw = &slot;
      return owner.run([raw, ts = target.value]() -> Result<int64_t> {
        if (!raw->log) return Error(Errc::not_found, "topic " + raw->topic + " was deleted");
        return raw->log->offset_for_timestamp(ts);
      });
    }
  }
  SLUICE_UNREACHABLE("unknown seek target");
}

Result<void> Consumer::Impl::fetch(std::vector<Record>& out) {
  const size_t n = assigned.size();
  for (size_t k = 0; k < n && out.size() < options.max_poll_events; ++k) {
    Assigned& a = assigned[(next_partition + k) % n];
    a.subscription->drain();  // notices only wake us; the watermark is the truth
    const partitions::LogReader& reader = *a.slot->reader;
    if (a.position >= reader.high_watermark()) continue;
    Result<partitions::ReadInfo> read =
        reader.read_into(a.position, options.max_partition_bytes, a.buffer);
    if (!read.ok()) {
      if (read.code() == Errc::offset_out_of_range && a.position < reader.start_offset()) {
        // Retention removed what this member had not read yet: go on from `reset`.
        Result<int64_t> restart =
            resolve(*a.slot, options.reset == OffsetReset::earliest ? SeekTarget::earliest()
                                                                    : SeekTarget::latest());
        if (!restart.ok()) return std::move(restart).error();
        a.position = *restart;
        continue;
      }
      return std::move(read).error();
    }
    const uint32_t budget = options.max_poll_events - static_cast<uint32_t>(out.size());
    Result<engine::DecodeProgress> decoded =
        engine::decode_into(a.tp.topic, a.tp.partition, a.buffer, a.position, budget, out);
    if (!decoded.ok()) return std::move(decoded).error();
    a.position = decoded->records == budget && decoded->next_offset >= 0
                     ? decoded->next_offset
                     : std::max(read->next_offset, a.position);
  }
  if (n > 0) next_partition = (next_partition + 1) % n;
  return {};
}

bool Consumer::Impl::data_ready() const {
  for (const Assigned& a : assigned) {
    if (a.delivery) {
      if (a.delivery->error_pending()) return true;
      continue;
    }
    if (a.subscription->pending() || a.position < a.slot->reader->high_watermark()) return true;
  }
  return false;
}

Consumer::Impl::Assigned* Consumer::Impl::find(const TopicPartition& tp) {
  for (Assigned& a : assigned) {
    if (a.tp == tp) return &a;
  }
  return nullptr;
}

Result<void> Consumer::Impl::maybe_auto_commit() {
  if (!options.auto_commit || Clock::now() < next_auto_commit) return {};
  next_auto_commit = Clock::now() + options.auto_commit_interval;
  return commit_positions();
}

Result<void> Consumer::Impl::commit_positions() {
  if (closed) return Error(Errc::closed, "consumer is closed");
  std::vector<std::pair<TopicPartition, int64_t>> offsets;
  for (const Assigned& a : assigned) {
    if (a.current() != a.committed) offsets.emplace_back(a.tp, a.current());
  }
  if (offsets.empty()) return {};
  SLUICE_TRY(engine.commit_offsets(options.group, member_id, generation, offsets));
  for (const auto& [tp, offset] : offsets)
    find(tp)->committed = offset;
  return {};
}

Result<Consumer::Impl::Assigned*> Consumer::Impl::assigned_partition(const TopicPartition& tp) {
  if (closed) return Error(Errc::closed, "consumer is closed");
  Assigned* a = find(tp);
  if (a == nullptr) {
    return Error(Errc::invalid_argument,
                 tp.topic + "/" + std::to_string(tp.partition) + " is not assigned to this member");
  }
  return a;
}

Result<void> Consumer::Impl::commit_one(const TopicPartition& tp, int64_t offset) {
  Result<Assigned*> a = assigned_partition(tp);
  if (!a.ok()) return std::move(a).error();
  if (offset < 0) return Error(Errc::invalid_argument, "negative offset");
  SLUICE_TRY(engine.commit_offsets(options.group, member_id, generation, {{tp, offset}}));
  (*a)->committed = offset;
  return {};
}

Result<void> Consumer::Impl::seek(const TopicPartition& tp, SeekTarget target) {
  Result<Assigned*> a = assigned_partition(tp);
  if (!a.ok()) return std::move(a).error();
  Result<int64_t> position = resolve(*(*a)->slot, target);
  if (!position.ok()) return std::move(position).error();
  if (engine::CallbackDelivery* delivery = (*a)->delivery.get()) {
    engine.shard((*a)->slot->shard).run([delivery, to = *position] { delivery->seek(to); });
    return {};
  }
  (*a)->position = *position;
  return {};
}

Result<std::vector<PartitionLag>> Consumer::Impl::lag() const {
  std::vector<PartitionLag> out;
  for (const Assigned& a : assigned) {
    PartitionLag lag;
    lag.partition = a.tp;
    lag.position = a.current();
    lag.committed = engine.committed_offset(options.group, a.tp).value_or(-1);
    lag.latest = a.slot->reader->high_watermark();
    const int64_t base = lag.committed >= 0 ? lag.committed : a.slot->reader->start_offset();
    lag.lag = std::max<int64_t>(0, lag.latest - base);
    out.push_back(lag);
  }
  return out;
}

Result<void> Consumer::Impl::close() {
  if (closed) return {};
  const bool was_member = !member_id.empty();
  Result<void> committed = unsubscribe_all(options.auto_commit && stable);
  stable = false;
  if (was_member) (void)engine.groups->leave(options.group, member_id);
  closed = true;
  return committed;
}

}  // namespace sluice
