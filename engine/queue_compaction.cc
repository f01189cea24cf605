// Queues::compact: the compaction of __queue_state (consumers/FORMAT.md, "Compaction"), run by
// the engine's housekeeping thread (engine_impl.h says why there).
//
// Why the snapshot is never applied after a change it lacks. Every record of a table is sent
// by Queues::write while the table's mutex is held, through the one producer `writer_`, to
// partition 0; a producer's batches to a partition are stored in the order it sent them
// (linger 0: each send is a batch handed over at once, in order, on one ring to the shard). A
// table's snapshot is taken and its parts sent under the same mutex. So in the log:
// - every record of the table before the snapshot's first part was sent before the snapshot was
//   taken, after its change was made to the table (changes and their records are made under
//   one hold of the mutex): the snapshot holds that change;
// - every record after the last part was sent after the snapshot was taken: a newer change;
// - nothing of the table comes between the parts.
// The changes of a record and of the table can be made under two holds of the mutex (a replay
// whose copy is appended between its claim and its record); such a claim is left out of the
// snapshot until its record is sent (QueueTable::record_replay), as a rebuild without
// compaction would also not know it.
//
// Why deleting the segments before the roll loses nothing. The roll happens first, while
// making_mutex_ is held, and the tables are listed under it too: every table listed gets a
// snapshot, which lies after the roll and restates all its records before the roll; a table
// made later writes its start record after the roll; a table forgotten before the listing has
// nothing left to restate (its forget record, wherever it is, drops it). Segments are deleted
// only once every part of every snapshot is synced; a crash before that rebuilds from the old
// records, plus the snapshots (whole or cut short) that restate them.
#include "engine/internal_topic.h"
#include "engine/queues.h"

#include "io/assert.h"
#include "io/logger.h"

namespace sluice::engine {

Result<void> Queues::compact() {
  if (closed()) return Error(Errc::closed, "the engine is closing");
  InternalCompaction& stats = engine_.stats.queue_state_compaction;
  int64_t cut = 0;
  std::vector<std::shared_ptr<QueueState>> all;
  {
    std::lock_guard make_lock(making_mutex_);
    Result<int64_t> rolled = roll_internal_topic(engine_, kQueueStateTopic);
    if (!rolled.ok()) return std::move(rolled).error();
    cut = *rolled;
    all = states();
  }
  uint64_t bytes = 0;
  uint64_t parts = 0;
  std::vector<PendingRecord> pending;
  for (const auto& state : all) {
    std::lock_guard lock(state->mutex);
    if (state->forgotten) continue;
    for (const consumers::SnapshotRecord& part : state->table.snapshot()) {
      bytes += state->record_key.size() + 3 + consumers::snapshot_body_bytes(part);
      ++parts;
      Result<PendingRecord> sent = write(*state, part, Durability::synced);
      if (!sent.ok()) return std::move(sent).error();
      pending.push_back(std::move(*sent));
    }
  }
  // Outside every table's mutex: receives and acks go on while the parts are synced.
  for (PendingRecord& record : pending)
    SLUICE_TRY(wait(record));
  SLUICE_TRY(delete_internal_segments_before(engine_, kQueueStateTopic, cut, stats));
  Result<std::shared_ptr<PartitionSlot>> slot = engine_.find_partition(kQueueStateTopic, 0);
  if (slot.ok()) stats.bytes_after = (*slot)->reader->size_bytes();
  stats.last_snapshot_bytes.store(bytes, std::memory_order_relaxed);
  stats.compactions.fetch_add(1, std::memory_order_relaxed);
  log_line(LogLevel::info, std::string(kQueueStateTopic) + ": compacted to " +
                               std::to_string(all.size()) + " tables in " + std::to_string(parts) +
                               " snapshot records (" + std::to_string(bytes) +
                               " bytes) from offset " + std::to_string(cut));
  return {};
}

}  // namespace sluice::engine
