// ProducerStateTable: one partition's idempotence state. For each idempotent producer (a batch
// with producer_id >= 0) it keeps the producer's epoch and its last kProducerBatchesKept
// batches (first and last sequence, base and last offset, timestamp), so that the log can
// answer a retried batch with the offsets of the original instead of storing it twice, and
// refuse a batch that skips or rewinds the producer's sequence.
//
// The rules check() applies to a batch (producer id, epoch, base sequence, record count):
// - a producer the table does not know: sequence 0 is accepted (a new producer, or a new epoch
//   of one whose state was evicted); any other sequence is unknown_producer_id. (Not
//   out_of_order_sequence: a Kafka client such as librdkafka 2.0 takes OUT_OF_ORDER on its
//   oldest unacknowledged batch as a fatal desynchronization, but UNKNOWN_PRODUCER_ID on a
//   batch it never retried as "the broker lost my state": it bumps its epoch, restarts at
//   sequence 0 and goes on. A retried batch gets a fatal error either way, rightly: the
//   partition can no longer tell whether its first attempt was stored.)
// - an epoch older than the producer's: invalid_producer_epoch (a fenced, zombie producer);
// - a newer epoch: accepted only at sequence 0 (else out_of_order_sequence); it replaces the
//   old epoch and its batches;
// - the same epoch: a batch whose first and last sequence equal one of the kept batches is a
//   duplicate (answered with that batch); one that starts right after the last kept batch is
//   accepted; anything else is out_of_order_sequence.
// Sequences are int32 and wrap from INT32_MAX to 0, as Kafka's do: a batch of n records from
// base sequence s ends at (s + n - 1) mod 2^31.
//
// Bounded: at most max_producers producers; recording a batch of a new producer in a full
// table evicts the least recently used one (the one whose last batch is oldest), which then
// counts as unknown.
//
// The table survives restarts through a snapshot (encode/decode; bytes in FORMAT.md, section 9)
// and by replaying the batch headers that follow the snapshot (PartitionLog does both).
//
// Thread-safety: a plain value, owned by the partition's owner (its shard); no sharing.
#pragma once

#include <sluice/result.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace sluice::partitions {

// Kafka clients keep at most 5 requests in flight per partition when idempotent: any retry
// repeats one of the last 5 batches.
inline constexpr size_t kProducerBatchesKept = 5;
inline constexpr size_t kDefaultMaxProducers = 1024;

// One batch of an idempotent producer, as the log stored it.
struct ProducerBatch {
  int32_t first_sequence = 0;
  int32_t last_sequence = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t timestamp_ms = -1;  // the batch's max_timestamp
  friend bool operator==(const ProducerBatch&, const ProducerBatch&) = default;
};

// The last sequence of a batch of `record_count` (>= 1) records from `base_sequence`, wrapping
// past INT32_MAX to 0; and the sequence that follows `sequence`.
int32_t last_sequence_of(int32_t base_sequence, int32_t record_count);
int32_t next_sequence_after(int32_t sequence);

enum class SequenceVerdict : uint8_t {
  accept,
  duplicate,
  out_of_order_sequence,
  invalid_producer_epoch,
  unknown_producer_id,
};

struct SequenceCheck {
  SequenceVerdict verdict = SequenceVerdict::accept;
  ProducerBatch original;  // duplicate: the batch this one repeats
  // For messages: the producer's epoch and the sequence it should send next (-1: unknown).
  int16_t current_epoch = -1;
  int32_t expected_sequence = -1;
};

// What the table holds for one producer (for tests, tools and snapshots).
struct ProducerEntry {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  std::vector<ProducerBatch> batches;  // oldest first, 1 to kProducerBatchesKept
};

class ProducerStateTable {
 public:
  explicit ProducerStateTable(size_t max_producers = kDefaultMaxProducers);
  ProducerStateTable(const ProducerStateTable&) = delete;
  ProducerStateTable& operator=(const ProducerStateTable&) = delete;
  ProducerStateTable(ProducerStateTable&&) noexcept;
  ProducerStateTable& operator=(ProducerStateTable&&) noexcept;
  ~ProducerStateTable();

  // The verdict for a batch; changes nothing. producer_id >= 0, epoch >= 0, base_sequence >= 0
  // and record_count >= 1 (the caller checked).
  SequenceCheck check(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                      int32_t record_count) const;
  // Records a stored batch: after check() accepted it, or while replaying the log (then no
  // check is made: the log's history is what happened). A new epoch replaces the producer's
  // batches; the producer becomes the most recently used, evicting the least recently used
  // one when a new producer does not fit.
  void record(int64_t producer_id, int16_t epoch, int32_t base_sequence, int32_t record_count,
              int64_t base_offset, int64_t last_offset, int64_t timestamp_ms);
  // The log dropped every offset from `offset` on: forgets the batches there, and the producers
  // left with none.
  void truncate(int64_t offset);
  void clear();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_t max_producers() const { return max_producers_; }
  std::optional<ProducerEntry> find(int64_t producer_id) const;
  // Every producer, least recently used first.
  std::vector<ProducerEntry> entries() const;

  // The snapshot file's bytes (FORMAT.md, section 9) for a table that holds every idempotent
  // batch below `next_offset`.
  std::vector<std::byte> encode(int64_t next_offset) const;
  struct Snapshot;
  // Checks and decodes snapshot bytes: Errc::corruption (naming what failed) for a bad magic,
  // CRC, length or value; Errc::unsupported for another version. Producers beyond
  // max_producers are evicted as record() would (the least recently used go).
  static Result<Snapshot> decode(std::span<const std::byte> bytes, size_t max_producers);

 private:
  struct Entry {
    int16_t epoch = -1;
    uint8_t count = 0;  // batches kept, oldest first
    std::array<ProducerBatch, kProducerBatchesKept> batches;
    std::list<int64_t>::iterator lru;  // its place in lru_
  };
  void touch(Entry& entry);
  void evict_if_full();

  size_t max_producers_;
  std::unordered_map<int64_t, Entry> entries_;
  std::list<int64_t> lru_;  // producer ids, least recently used first
};

struct ProducerStateTable::Snapshot {
  ProducerStateTable table;
  int64_t next_offset = 0;  // the table covers every batch below this offset
};

}  // namespace sluice::partitions
