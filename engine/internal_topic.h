// Reading back the engine's own records: every record of partition 0 of an internal topic
// (__consumer_offsets, __queue_state, __requests, __idempotency), in log order, as the engine
// rebuilds its state from them when it opens. Private to engine/.
//
// Thread-safety: reads published data through the partition's LogReader (any thread).
#pragma once

#include "engine/engine_impl.h"

#include <sluice/event.h>
#include <sluice/result.h>

#include <cstdint>
#include <functional>
#include <string_view>

namespace sluice::engine {

// Compaction of an internal topic whose records restate a table (__consumer_offsets,
// __queue_state; consumers/FORMAT.md): roll, write a snapshot of the table ordered with its
// records, wait until it is synced, delete the segments before the roll. The bookkeeping of
// each topic is an InternalCompaction (engine_stats.h).

// Whether the bytes appended since the last compaction passed max(min_bytes, ratio x the last
// snapshot's bytes) (options.internal_compaction_*). Never when min_bytes is 0 (off).
bool compaction_due(Engine::Impl& engine, std::string_view topic,
                    const InternalCompaction& compaction);
// Rolls partition 0 of the topic (on its shard) and returns the offset where the new active
// segment starts: every record below it is in segments delete_internal_segments_before(it) may
// delete once they are sealed.
Result<int64_t> roll_internal_topic(Engine::Impl& engine, std::string_view topic);
// PartitionLog::delete_segments_before(cut) on the topic's shard; then the bookkeeping: the cut
// is kept as pending while segments below it remain (not sealed yet).
Result<void> delete_internal_segments_before(Engine::Impl& engine, std::string_view topic,
                                             int64_t cut, InternalCompaction& compaction);
// Tries again a cut whose segments were not all deleted.
void retry_pending_cut(Engine::Impl& engine, std::string_view topic,
                       InternalCompaction& compaction);

// Calls `apply` with each record from the log start to the high watermark. An error of
// `apply` stops the scan and comes back with the topic and the record's offset in its message;
// so do read and decode errors.
Result<void> scan_internal_topic(Engine::Impl& engine, std::string_view topic,
                                 const std::function<Result<void>(const Record&)>& apply);

}  // namespace sluice::engine
