// Consumer groups in the engine: the coordinator, the committed offsets (kept in the internal
// topic __consumer_offsets and rebuilt from it at open), the housekeeping thread that expires
// silent members, and Engine::list_groups / describe_group.
#include "engine/engine_impl.h"
#include "engine/groups_state.h"
#include "engine/producer_impl.h"

#include "consumers/group_coordinator.h"
#include "engine/internal_topic.h"
#include "io/assert.h"

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
  while (!groups_state->stopping) {
    groups_state->stop.wait_for(lock, kHousekeepingInterval);
    groups->expire();
  }
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
  SLUICE_TRY(write_offset_records(records));
  for (const consumers::OffsetCommit& commit : commits)
    groups_state->offsets.apply(commit);
  return {};
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
  return {};
}

Result<void> Engine::Impl::forget_topic_offsets(std::string_view topic) {
  std::vector<consumers::OffsetRecord> tombstones;
  for (const std::string& group : groups_state->offsets.groups_of_topic(topic)) {
    tombstones.push_back(consumers::OffsetTombstone{group, std::string(topic), -1});
  }
  if (tombstones.empty()) return {};
  SLUICE_TRY(write_offset_records(tombstones));
  for (const auto& tombstone : tombstones)
    groups_state->offsets.apply(tombstone);
  return {};
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
