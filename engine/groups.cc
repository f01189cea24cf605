// Consumer groups in the engine: the coordinator, the committed offsets (kept in the internal
// topic __consumer_offsets and rebuilt from it at open), the housekeeping thread that expires
// silent members, and Engine::list_groups / describe_group.
#include "engine/engine_impl.h"
#include "engine/groups_state.h"
#include "engine/producer_impl.h"

#include "consumers/group_coordinator.h"
#include "engine/internal_topic.h"
#include "engine/queues.h"
#include "io/assert.h"
#include "io/logger.h"

#include <algorithm>

#include <chrono>

namespace sluice {
namespace {

constexpr std::string_view kOffsetsTopic = "__consumer_offsets";
constexpr std::chrono::milliseconds kHousekeepingInterval{100};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<void> Engine::Impl::open_groups() {
  consumers::CoordinatorOptions coordinator;
  coordinator.now_ms = steady_ms;
  groups = std::make_unique<consumers::GroupCoordinator>(coordinator);
  groups_state = std::make_unique<GroupsState>();

  if (!catalog->contains(kOffsetsTopic)) {
    TopicConfig config;
    config.partitions = 1;
    config.segment_bytes = 64ull << 20;
    SLUICE_TRY(create_topic(kOffsetsTopic, config, engine::TopicAccess::internal));
  }
  SLUICE_TRY(rebuild_offsets());
  {
    std::shared_lock lock(topics_mutex);
    for (const auto& [name, topic] : topics) {
      if (!topic->internal) groups->set_topic_partitions(name, topic->config.partitions);
    }
  }
  ProducerOptions committer;
  committer.durability = Durability::synced;
  groups_state->committer = std::make_unique<Producer::Impl>(*this, committer, true);
  groups_state->housekeeper = std::thread([this] { housekeeping(); });
  return {};
}

void Engine::Impl::close_groups() {
  if (groups_state == nullptr) return;
  {
    std::lock_guard lock(groups_state->stop_mutex);
    groups_state->stopping = true;
  }
  groups_state->stop.notify_all();
  if (groups_state->housekeeper.joinable()) groups_state->housekeeper.join();
  groups_state->committer.reset();
}

void Engine::Impl::housekeeping() {
  std::unique_lock lock(groups_state->stop_mutex);
  auto next_compaction_check = std::chrono::steady_clock::now();
  while (!groups_state->stopping) {
    groups_state->stop.wait_for(
        lock, std::min<std::chrono::milliseconds>(kHousekeepingInterval,
                                                  options.internal_compaction_check_interval));
    if (groups_state->stopping) break;
    groups->expire();
    if (std::chrono::steady_clock::now() >= next_compaction_check) {
      lock.unlock();  // close_groups must not wait for the lock behind a compaction
      compact_internal_topics();
      lock.lock();
      next_compaction_check =
          std::chrono::steady_clock::now() + options.internal_compaction_check_interval;
    }
  }
}

void Engine::Impl::compact_internal_topics() {
  engine::InternalCompaction& offsets = stats.offsets_compaction;
  engine::retry_pending_cut(*this, kOffsetsTopic, offsets);
  if (engine::compaction_due(*this, kOffsetsTopic, offsets)) {
    Result<void> compacted = compact_offsets();
    if (!compacted.ok()) {
      log_line(LogLevel::warning,
               std::string(kOffsetsTopic) +
                   ": compaction failed (tried again later): " + compacted.error().to_string());
    }
  }
  std::lock_guard lock(compaction_mutex);
  if (!queues_open) return;
  engine::InternalCompaction& queue_state = stats.queue_state_compaction;
  engine::retry_pending_cut(*this, engine::kQueueStateTopic, queue_state);
  if (engine::compaction_due(*this, engine::kQueueStateTopic, queue_state)) {
    Result<void> compacted = queues->compact();
    if (!compacted.ok()) {
      log_line(LogLevel::warning,
               std::string(engine::kQueueStateTopic) +
                   ": compaction failed (tried again later): " + compacted.error().to_string());
    }
  }
}

// The ordering argument (consumers/FORMAT.md, "Compaction of __consumer_offsets"): every
// record of __consumer_offsets is sent, synced and applied to the table under commit_mutex
// (write_offset_records). The roll and the snapshot happen under it too, so the table then
// holds every record stored before the roll (any stored but failed record is overruled by the
// snapshot, which comes after it), and every record stored after the snapshot's is a later
// change: they are sent by the same producer after it, to one partition, and a producer's
// batches to a partition are stored in the order it sent them.
Result<void> Engine::Impl::compact_offsets() {
  int64_t cut = 0;
  uint64_t bytes = 0;
  std::vector<std::future<Result<Delivery>>> written;
  {
    std::lock_guard lock(groups_state->commit_mutex);
    Result<int64_t> rolled = engine::roll_internal_topic(*this, kOffsetsTopic);
    if (!rolled.ok()) return std::move(rolled).error();
    cut = *rolled;
    for (const consumers::OffsetCommit& commit : groups_state->offsets.snapshot()) {
      Result<consumers::EncodedOffsetRecord> encoded = consumers::encode_offset_record(commit);
      SLUICE_ASSERT_MSG(encoded.ok(), "a committed offset its reader would refuse");
      bytes += encoded->key.size() + encoded->value.size();
      Event event;
      event.key = std::move(encoded->key);
      event.value = std::move(encoded->value);
      event.partition = 0;
      std::promise<Result<Delivery>> promise;
      written.push_back(promise.get_future());
      Result<void> sent =
          groups_state->committer->send(kOffsetsTopic, std::move(event), {}, &promise);
      if (!sent.ok()) {
        written.pop_back();
        (void)groups_state->committer->flush(std::chrono::hours(1));
        return sent;
      }
    }
    // Handed over now, not after the producer's linger.
    (void)groups_state->committer->flush(std::chrono::milliseconds(0));
  }
  // Synced outside the lock: commits go on meanwhile (the next one's flush covers these
  // records too), and the producer is polled under the lock while nobody else does.
  for (auto& future : written) {
    while (future.wait_for(std::chrono::milliseconds(2)) != std::future_status::ready) {
      std::lock_guard lock(groups_state->commit_mutex);
      (void)groups_state->committer->flush(std::chrono::milliseconds(0));
    }
    Result<Delivery> delivered = future.get();
    if (!delivered.ok()) return std::move(delivered).error();
  }
  // Every snapshot record is synced: the records before the roll say nothing it does not.
  SLUICE_TRY(
      engine::delete_internal_segments_before(*this, kOffsetsTopic, cut, stats.offsets_compaction));
  Result<std::shared_ptr<engine::PartitionSlot>> slot = find_partition(kOffsetsTopic, 0);
  if (slot.ok()) stats.offsets_compaction.bytes_after = (*slot)->reader->size_bytes();
  stats.offsets_compaction.last_snapshot_bytes.store(bytes, std::memory_order_relaxed);
  stats.offsets_compaction.compactions.fetch_add(1, std::memory_order_relaxed);
  log_line(LogLevel::info, std::string(kOffsetsTopic) + ": compacted to " +
                               std::to_string(written.size()) + " committed offsets (" +
                               std::to_string(bytes) + " bytes) from offset " +
                               std::to_string(cut));
  return {};
}

Result<void> Engine::Impl::rebuild_offsets() {
  return engine::scan_internal_topic(*this, kOffsetsTopic, [this](const Record& record) {
    Result<void> applied =
        groups_state->offsets.apply_encoded(record.key.value_or(""), record.value.value_or(""));
    if (!applied.ok()) return Result<void>(Errc::corruption, applied.error().message());
    return applied;
  });
}

std::optional<int64_t> Engine::Impl::committed_offset(std::string_view group,
                                                      const TopicPartition& tp) {
  std::optional<consumers::CommittedOffset> committed = groups_state->offsets.committed(group, tp);
  if (!committed) return std::nullopt;
  return committed->offset;
}

Result<void> Engine::Impl::commit_offsets(
    std::string_view group, std::string_view member_id, int32_t generation,
    const std::vector<std::pair<TopicPartition, int64_t>>& offsets) {
  consumers::GroupResult<void> fenced = groups->validate_commit(group, member_id, generation);
  if (!fenced.ok()) return consumers::to_error(fenced.failure());
  std::vector<consumers::OffsetCommit> commits;
  for (const auto& [tp, offset] : offsets) {
    if (offset < 0) return Error(Errc::invalid_argument, "negative offset to commit");
    consumers::OffsetCommit commit;
    commit.group = std::string(group);
    commit.partition = tp;
    commit.committed.offset = offset;
    commit.committed.commit_time_ms = wall_ms();
    commits.push_back(std::move(commit));
  }
  std::vector<consumers::OffsetRecord> records(commits.begin(), commits.end());
  return write_offset_records(records);
}

Result<void> Engine::Impl::write_offset_records(
    const std::vector<consumers::OffsetRecord>& records) {
  std::lock_guard lock(groups_state->commit_mutex);
  std::vector<std::future<Result<Delivery>>> written;
  std::optional<Error> failed;
  for (const consumers::OffsetRecord& record : records) {
    Result<consumers::EncodedOffsetRecord> encoded = consumers::encode_offset_record(record);
    if (!encoded.ok()) {
      failed = std::move(encoded).error();
      break;
    }
    Event event;
    event.key = std::move(encoded->key);
    event.value = std::move(encoded->value);
    event.partition = 0;  // one partition: a group's records stay in order
    std::promise<Result<Delivery>> promise;
    std::future<Result<Delivery>> future = promise.get_future();
    Result<void> sent =
        groups_state->committer->send(kOffsetsTopic, std::move(event), {}, &promise);
    if (!sent.ok()) {
      failed = std::move(sent).error();
      break;
    }
    written.push_back(std::move(future));
  }
  // Whatever was handed over completes before the futures are read.
  Result<void> flushed = groups_state->committer->flush(std::chrono::hours(1));
  if (failed) return *failed;
  SLUICE_TRY(flushed);
  for (auto& future : written) {
    Result<Delivery> delivered = future.get();
    if (!delivered.ok()) return std::move(delivered).error();
  }
  // Still under commit_mutex: the table follows the log's order, and a snapshot (taken under
  // the same lock) never misses a record written before it.
  for (const consumers::OffsetRecord& record : records)
    groups_state->offsets.apply(record);
  return {};
}

Result<void> Engine::Impl::forget_topic_offsets(std::string_view topic) {
  std::vector<consumers::OffsetRecord> tombstones;
  for (const std::string& group : groups_state->offsets.groups_of_topic(topic)) {
    tombstones.push_back(consumers::OffsetTombstone{group, std::string(topic), -1});
  }
  if (tombstones.empty()) return {};
  return write_offset_records(tombstones);
}

std::vector<std::string> Engine::list_groups() const {
  std::vector<std::string> names = impl_->groups->list();
  for (std::string& name : impl_->groups_state->offsets.groups())
    names.push_back(std::move(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<Engine::GroupDescription> Engine::describe_group(std::string_view group) const {
  GroupDescription out;
  out.group = std::string(group);
  out.state = "empty";
  consumers::GroupResult<consumers::GroupDescription> described = impl_->groups->describe(group);
  const auto committed = impl_->groups_state->offsets.committed(group);
  if (!described.ok()) {
    if (described.error() != consumers::GroupError::group_not_found || committed.empty()) {
      return consumers::to_error(described.failure());
    }
  } else {
    out.generation = described->generation;
    out.state = std::string(consumers::group_state_name(described->state));
    for (const auto& member : described->members) {
      out.members.push_back({member.member_id, member.assignment});
    }
  }
  for (const auto& [tp, offset] : committed) {
    PartitionLag lag;
    lag.partition = tp;
    lag.committed = offset.offset;
    lag.position = offset.offset;
    Result<std::shared_ptr<engine::PartitionSlot>> slot =
        impl_->find_partition(tp.topic, tp.partition);
    if (slot.ok()) {
      lag.latest = (*slot)->reader->high_watermark();
      lag.lag = std::max<int64_t>(0, lag.latest - lag.committed);
    }
    out.offsets.push_back(lag);
  }
  return out;
}

}  // namespace sluice
