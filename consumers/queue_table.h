// QueueTable: the delivery state of one group reading one topic as a queue
// (include/sluice/queue.h). Pure logic: no threads, no I/O, no clock (callers pass the wall
// clock in milliseconds), randomness from a seeded generator. The engine (engine/queues.h)
// holds one per (group, topic) under a mutex, reads the events it names, writes the records of
// its changes to __queue_state, and carries out the dead-letter decisions it returns.
//
// Per partition:
// - the cursor: offsets >= it were never offered (never delivered);
// - the handled floor: every offset below it is handled (acked or dead-lettered), except the
//   pending entries below it (events put back by a replay); handled offsets above the floor
//   are kept as ranges [start, end);
// - the pending entries, by offset: delivery count, lock token, lock expiry or retry due time,
//   state, key hash, last nack reason.
//
// An entry's state:
//   locked          delivered, lock runs until `deadline_ms`; ack frees it, nack makes it
//                   waiting (or ready, or dead-lettering), the lock's end makes it ready (or
//                   dead-lettering when its delivery count reached max_deliveries)
//   waiting         nacked, delivered again from `deadline_ms` on (then ready)
//   ready           due: take_ready() delivers it before any new event
//   blocked         key_order: an earlier event of its key is pending; ready when that is gone
//   dead_lettering  the caller is moving it to the DLQ (dead_lettered() or dead_letter_failed())
//
// Bounds: at most max_in_flight entries are locked, and new events are taken only while fewer
// than 2 * max_in_flight (at least max_in_flight + 1024) entries are pending, so memory stays
// bounded whatever the consumers do (nacked events wait in that allowance).
//
// Thread-safety: none; the owner serializes every call.
#pragma once

#include "consumers/queue_policy.h"
#include "consumers/queue_record.h"
#include "consumers/retry_backoff.h"

#include <sluice/result.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::consumers {

enum class EntryState : uint8_t { free, locked, waiting, ready, blocked, dead_lettering };
inline constexpr size_t kEntryStates = 6;

// One delivery made by take_ready() or offer().
struct QueueDelivery {
  int32_t partition = 0;
  int64_t offset = 0;
  uint32_t delivery_count = 0;
  uint64_t token = 0;
  int64_t lock_expires_ms = 0;
  bool has_key = false;
  uint64_t key_hash = 0;
};

// An event at the cursor, as the caller read it from the log.
struct NewEvent {
  int64_t offset = 0;
  bool has_key = false;
  uint64_t key_hash = 0;
};

// What ack and nack found.
enum class LockCheck : uint8_t {
  ok,
  lock_lost,      // the entry is pending but not under this lock (ran out, other token)
  not_found,      // the event is not pending (handled, or never delivered)
  bad_partition,  // no such partition
};

// Move this event to the DLQ, then call dead_lettered() (or dead_letter_failed()).
struct DeadLetterDecision {
  int32_t partition = 0;
  int64_t offset = 0;
  uint32_t delivery_count = 0;
  std::string reason;
};

// A pending entry as seen from outside (tests, the engine's reads of redeliveries).
struct EntryView {
  EntryState state = EntryState::free;
  uint32_t delivery_count = 0;
  uint64_t token = 0;
  int64_t deadline_ms = 0;
  std::string reason;
};

struct QueueTableStats {
  uint64_t locked = 0;
  uint64_t waiting = 0;
  uint64_t pending = 0;  // every state
  uint64_t redelivered = 0;
  uint64_t dead_lettered = 0;
  uint64_t replayed = 0;
  uint64_t acked = 0;
  int64_t oldest_delivered_ms = 0;  // first delivery of the oldest pending entry; 0: none
};

class QueueTable {
 public:
  // start_offsets: where each partition starts (floor and cursor); seed: tokens and jitter.
  QueueTable(std::vector<int64_t> start_offsets, const QueueSettings& settings, uint64_t seed);

  // The settings that lock expiries and the key order follow (a nack uses its caller's).
  // Switching key_order re-indexes the pending entries.
  void set_settings(const QueueSettings& settings);
  const QueueSettings& settings() const { return settings_; }
  int32_t partitions() const { return static_cast<int32_t>(parts_.size()); }

  // ---- Receive ----
  // Locks due redeliveries, oldest-ready first, until `out` holds `max` or max_in_flight
  // entries are locked.
  void take_ready(int64_t now_ms, int64_t lock_ms, uint32_t max, std::vector<QueueDelivery>& out);
  // Whether offer() may take any new event now (the in-flight and pending bounds).
  bool can_take_new() const;
  int64_t cursor(int32_t partition) const;
  // Offers the events of `partition` from its cursor on, in offset order (each >= the
  // cursor). Locks each one (or parks it: key order), skips those already pending or handled
  // (after a rebuild), and stops when `out` holds `max` or a bound is reached. Returns how many
  // it consumed: the cursor is past them.
  size_t offer(int32_t partition, std::span<const NewEvent> events, int64_t now_ms, int64_t lock_ms,
               uint32_t max, std::vector<QueueDelivery>& out);
  // Moves the cursor to `offset` over offsets that hold no event (control batches).
  void advance_cursor(int32_t partition, int64_t offset);
  // Retention removed everything below `start_offset`: events never delivered there are gone
  // (the cursor and the floor move up to it); pending entries below stay pending.
  void skip_gone(int32_t partition, int64_t start_offset);

  // ---- Ack and nack ----
  LockCheck check(int32_t partition, int64_t offset, uint64_t token, int64_t now_ms) const;
  // ok: the event is handled.
  LockCheck ack(int32_t partition, int64_t offset, uint64_t token, int64_t now_ms);
  // ok: the event waits until *due_ms (== now_ms: ready at once), or, when its delivery count
  // reached settings.max_deliveries, is dead-lettering (a decision appended to `dead`, and
  // *due_ms is -1). retry_after_ms: the nack's own delay, else the backoff of settings.retry.
  LockCheck nack(int32_t partition, int64_t offset, uint64_t token, int64_t now_ms,
                 const QueueSettings& settings, std::string_view reason,
                 std::optional<int64_t> retry_after_ms, int64_t* due_ms,
                 std::vector<DeadLetterDecision>& dead);

  // ---- Time ----
  // The earliest lock expiry or retry due time (INT64_MAX: none). May be early (an entry that
  // changed since), never late.
  int64_t next_deadline_ms();
  // Locks that ran out become ready (or dead-letter decisions, count >= max_deliveries);
  // retries that are due become ready.
  void expire(int64_t now_ms, std::vector<DeadLetterDecision>& dead);
  // Whether take_ready() would deliver something now (bounds aside).
  bool has_ready();

  // ---- Dead-lettering ----
  void dead_lettered(int32_t partition, int64_t offset);
  // The move failed: the entry is ready again (and will be dead-lettered at its next failure).
  void dead_letter_failed(int32_t partition, int64_t offset);
  // A pending event that cannot be read any more (retention): handled.
  void drop(int32_t partition, int64_t offset);

  // ---- Replay (each DLQ offset once) ----
  bool replayed(const EventPosition& dlq) const;
  // false when the DLQ offset was replayed (or claimed) before.
  bool claim_replay(const EventPosition& dlq);
  void unclaim_replay(const EventPosition& dlq);
  // Puts a handled event back as ready with delivery count 0. false when it is pending.
  bool reinstate(int32_t partition, int64_t offset, bool has_key, uint64_t key_hash);

  // ---- Positions and statistics ----
  // Everything below it is handled: the offset to commit for the partition.
  int64_t commit_position(int32_t partition) const;
  int64_t floor(int32_t partition) const;
  bool handled(int32_t partition, int64_t offset) const;
  std::optional<EntryView> find(int32_t partition, int64_t offset) const;
  QueueTableStats stats() const;
  void reset_counters();

  // ---- Rebuild (queue_table_apply.cc) ----
  // Applies one record of __queue_state, in log order. start and forget records are the
  // owner's (they make and drop tables): invalid_argument here. corruption when a record names
  // a partition the table lacks.
  Result<void> apply(const QueueRecordBody& body);

  // ---- Snapshot (queue_table_snapshot.cc): the compaction of __queue_state ----
  // The whole state as snapshot parts (consumers/FORMAT.md, type 8), each with at most
  // part_bytes_max bytes of body (an entry never splits; one larger than the limit gets a part
  // of its own): per partition the floor and the handled ranges above it, every pending entry
  // (in partition and offset order) with its state, and the DLQ positions replayed. Not in it:
  // what is derived (the cursor: the floor; the ready order: offset order; the counters) and
  // replay claims whose record is not written yet (see record_replay). Applied to a new table,
  // the parts give a table whose snapshot is the same.
  std::vector<SnapshotRecord> snapshot(size_t part_bytes_max = kQueueSnapshotPartBytes) const;
  // A table made from every part of a snapshot, in order (QueueSnapshotParts assembles them).
  // corruption when the parts do not form one snapshot or contradict each other (a range below
  // its floor or overlapping another, an entry twice, a partition out of range). Entries that
  // were dead_lettering stay so: the owner carries out their move again (dead_lettering()).
  static Result<QueueTable> from_snapshot(std::span<const SnapshotRecord> parts,
                                          const QueueSettings& settings, uint64_t seed);
  // The decisions of every entry being dead-lettered (after from_snapshot: moves to resume).
  std::vector<DeadLetterDecision> dead_lettering() const;
  // The replayed record of a claim was written (under the same lock as the claim, or later):
  // from now on snapshots include it. A claim not recorded yet is left out of snapshots, so a
  // crash before its record leaves the DLQ offset replayable, as without compaction.
  void record_replay(const EventPosition& dlq);

 private:
  struct KeyLine {
    std::set<int64_t> offsets;  // pending entries of the key, in offset order
    uint32_t active = 0;        // of them locked, waiting or dead-lettering
  };
  struct Part {
    int64_t floor = 0;
    int64_t cursor = 0;
    std::map<int64_t, int64_t> handled;             // [start, end), start > floor
    std::unordered_map<int64_t, uint32_t> pending;  // offset -> entry index
    std::unordered_map<uint64_t, KeyLine> keys;     // key_order only
  };
  struct Entry {
    int64_t offset = 0;
    int32_t partition = 0;
    uint32_t delivery_count = 0;
    EntryState state = EntryState::free;
    bool has_key = false;
    uint32_t generation = 0;  // bumped at each change, so that stale timer items are skipped
    uint64_t token = 0;
    int64_t deadline_ms = 0;  // lock expiry (locked) or retry due time (waiting)
    int64_t first_delivered_ms = 0;
    uint64_t key_hash = 0;
    std::string reason;
  };
  struct Timer {
    int64_t at_ms;
    uint32_t index;
    uint32_t generation;
    bool operator>(const Timer& other) const { return at_ms > other.at_ms; }
  };
  struct Queued {
    uint32_t index;
    uint32_t generation;
  };

  Part* part(int32_t partition);
  const Part* part(int32_t partition) const;
  Entry* pending_entry(int32_t partition, int64_t offset);
  uint32_t add_entry(Part& p, int32_t partition, int64_t offset, bool has_key, uint64_t key_hash);
  void free_entry(uint32_t index);
  void set_state(Entry& e, EntryState state);
  void lock(uint32_t index, int64_t now_ms, int64_t lock_ms, std::vector<QueueDelivery>& out);
  void make_ready(uint32_t index);
  void start_timer(uint32_t index, EntryState state, int64_t at_ms);
  void compact_timers();
  bool key_tracked(const Entry& e) const { return settings_.key_order && e.has_key; }
  bool deliverable(const Entry& e) const;
  void promote(int32_t partition, uint64_t key_hash);
  void rebuild_keys();
  void mark_handled(Part& p, int64_t offset);
  void unmark_handled(Part& p, int64_t offset);
  static bool active(EntryState state) {
    return state == EntryState::locked || state == EntryState::waiting ||
           state == EntryState::dead_lettering;
  }
  uint64_t pending_limit() const;
  uint64_t count(EntryState state) const { return counts_[static_cast<size_t>(state)]; }

  QueueSettings settings_;
  SplitMix64 random_;
  std::vector<Part> parts_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> free_entries_;
  std::vector<Timer> timers_;                       // a min-heap on at_ms
  std::deque<Queued> ready_;                        // FIFO of ready entries (stale items skipped)
  std::set<std::pair<int32_t, int64_t>> replayed_;  // DLQ positions replayed
  std::set<std::pair<int32_t, int64_t>> unrecorded_claims_;  // of replayed_: no record yet
  uint64_t counts_[kEntryStates] = {};
  uint64_t pending_ = 0;
  uint64_t redelivered_ = 0;
  uint64_t dead_lettered_ = 0;
  uint64_t replayed_count_ = 0;
  uint64_t acked_ = 0;
};

}  // namespace sluice::consumers
