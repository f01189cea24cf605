// Engine::replay_dlq: dead-lettered events back in front of the groups that gave them up, each
// DLQ offset at most once.
//
// The original event (topic, partition and offset from the DLQ headers) becomes a ready entry
// of the group's queue with delivery count 0: nothing is appended, so other groups of the topic
// see no duplicate. When the original is gone (retention), a copy of the DLQ event's key, value
// and own headers is appended to the source topic instead (every group of the topic sees it).
// Each replayed DLQ offset is recorded in __queue_state (synced) before the call returns.
#include "engine/dead_letter.h"
#include "engine/queues.h"
#include "engine/record_decoding.h"

#include "io/assert.h"
#include "partitions/key_index.h"

namespace sluice {
namespace {

using engine::QueueState;

enum class Replayed : uint8_t { now, before, skipped };

Result<Replayed> replay_one(engine::Queues& queues, const std::shared_ptr<QueueState>& state,
                            const Record& dlq_record, const engine::DlqOrigin& origin) {
  const consumers::EventPosition dlq{dlq_record.partition, dlq_record.offset};
  const engine::Topic& source = *state->source;
  if (origin.partition >= source.config.partitions) return Replayed::skipped;
  const partitions::LogReader& reader =
      *source.partitions[static_cast<size_t>(origin.partition)]->reader;
  consumers::ReplayEntry entry;
  entry.dlq = dlq;
  entry.source = {origin.partition, origin.offset};
  if (dlq_record.key) {
    entry.has_key = true;
    entry.key_hash = partitions::key_hash(std::string_view(*dlq_record.key));
  }
  const bool original_kept =
      origin.offset >= reader.start_offset() && origin.offset < reader.high_watermark();
  engine::PendingRecord record;
  {
    std::lock_guard lock(state->mutex);
    if (state->forgotten) return Replayed::skipped;
    if (state->table.replayed(dlq)) return Replayed::before;
    if (original_kept) {
      // Still being dead-lettered (its record not yet written): not replayable yet.
      if (state->table.find(origin.partition, origin.offset)) return Replayed::skipped;
      (void)state->table.claim_replay(dlq);
      const bool back =
          state->table.reinstate(origin.partition, origin.offset, entry.has_key, entry.key_hash);
      SLUICE_ASSERT(back);
      Result<engine::PendingRecord> written =
          queues.write(*state, consumers::ReplayedRecord{{entry}}, Durability::synced);
      if (!written.ok()) return std::move(written).error();
      // Its record is on its way, ahead of any snapshot of the table: snapshots include it.
      state->table.record_replay(dlq);
      record = std::move(*written);
    } else {
      (void)state->table.claim_replay(dlq);  // so that a concurrent replay does not copy too
    }
  }
  if (original_kept) {
    SLUICE_TRY(queues.wait(record));
    queues.kick();
    return Replayed::now;
  }
  Result<std::vector<Delivery>> copied = queues.append_user_events(
      source.name, {engine::replay_copy(dlq_record, origin.partition)}, Durability::synced);
  Result<engine::PendingRecord> written = [&]() -> Result<engine::PendingRecord> {
    std::lock_guard lock(state->mutex);
    if (!copied.ok()) {
      state->table.unclaim_replay(dlq);
      return copied.error();
    }
    entry.source.offset = -1;
    Result<engine::PendingRecord> sent =
        queues.write(*state, consumers::ReplayedRecord{{entry}}, Durability::synced);
    // A claim whose record is not written is left out of snapshots (QueueTable::record_replay).
    if (sent.ok()) state->table.record_replay(dlq);
    return sent;
  }();
  if (!written.ok()) return std::move(written).error();
  SLUICE_TRY(queues.wait(*written));
  return Replayed::now;
}

}  // namespace

Result<ReplayResult> Engine::replay_dlq(std::string_view topic, const ReplayFilter& filter) {
  if (filter.from && *filter.from < 0)
    return Error(Errc::invalid_argument, "replay: from is negative");
  if (filter.to && *filter.to < 0) return Error(Errc::invalid_argument, "replay: to is negative");
  if (filter.from && filter.to && *filter.from > *filter.to) {
    return Error(Errc::invalid_argument, "replay: from " + std::to_string(*filter.from) +
                                             " is after to " + std::to_string(*filter.to));
  }
  if (filter.group && filter.group->empty()) {
    return Error(Errc::invalid_argument, "replay: the group filter is empty");
  }
  Result<std::shared_ptr<engine::Topic>> source = impl_->find_topic(topic);
  if (!source.ok()) return std::move(source).error();
  const std::string dlq_name = engine::dlq_topic_name(topic);
  Result<std::shared_ptr<engine::Topic>> dlq = impl_->find_topic(dlq_name);
  if (!dlq.ok()) {
    return Error(Errc::not_found,
                 "topic " + std::string(topic) + " has no dead-letter topic " + dlq_name);
  }
  if (!impl_->queues || impl_->queues->closed())
    return Error(Errc::closed, "the engine is closing");
  engine::Queues& queues = *impl_->queues;
  ReplayResult result;
  std::vector<Record> records;
  for (const auto& slot : (*dlq)->partitions) {
    const partitions::LogReader& reader = *slot->reader;
    int64_t offset = std::max(reader.start_offset(), filter.from.value_or(0));
    const int64_t end =
        std::min(reader.high_watermark(), filter.to ? *filter.to + 1 : reader.high_watermark());
    while (offset < end) {
      Result<partitions::ReadResult> read = reader.read(offset, 1u << 20);
      if (!read.ok()) return std::move(read).error();
      if (read->batches == 0) break;
      records.clear();
      Result<engine::DecodeProgress> decoded =
          engine::decode_into(dlq_name, slot->partition, read->bytes, offset, UINT32_MAX, records);
      if (!decoded.ok()) return std::move(decoded).error();
      for (const Record& record : records) {
        if (record.offset >= end) break;
        std::optional<engine::DlqOrigin> origin = engine::dlq_origin(record);
        if (!origin || origin->topic != (*source)->name) continue;
        if (filter.group && *filter.group != origin->group) continue;
        if (filter.key && record.key != filter.key) continue;
        Result<std::shared_ptr<QueueState>> state = queues.state(origin->group, *source);
        if (!state.ok()) return std::move(state).error();
        Result<Replayed> replayed = replay_one(queues, *state, record, *origin);
        if (!replayed.ok()) return std::move(replayed).error();
        if (*replayed == Replayed::now) ++result.replayed;
        if (*replayed == Replayed::before) ++result.already_replayed;
      }
      offset = std::max(read->next_offset, offset + 1);
    }
  }
  return result;
}

}  // namespace sluice
