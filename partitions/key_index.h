// KeyIndex: the keyed index of one partition, from XXH3-64(key) to the latest offset of that
// key, for Engine::latest(topic, key).
//
// Thread-safety: single writer, many readers, lock-free. put() and the other mutators are
// called only by the partition's owner (its shard). get(), size() and memory_bytes() may be
// called from any thread at any time; they never block and never wait for the owner. A get()
// concurrent with a put() of the same key returns the old or the new offset; a get() that
// happens after a put() returned (through any synchronization) sees that put or a later one;
// one reader never sees a key's offset go backwards. The index must outlive its readers.
//
// Layout: open addressing with linear probing over an array of {key hash, offset} atomic
// slots whose capacity is a power of two. Hash 0 marks an empty slot, so the (one in 2^64) key
// whose hash is 0 is kept apart in its own atomic. Slots are never removed: a key's offset
// only moves forward, and a key of a partition stays indexed (its latest event may later be
// removed by retention; the reader then finds the offset out of range).
//
// Growth: before an insert would load a table past 3/4, the owner copies every slot into a
// table twice as large and publishes it through an atomic pointer (release); readers load it
// with acquire. A reader may still be probing an old table, so old tables are not freed until
// the index is destroyed. Memory bound: the retired tables have capacities c/2, c/4, ... of
// the current capacity c, so all of them together are smaller than the current table, and the
// index never holds more than 2 * 16 * c bytes; c <= 2 * keys / (3/4) rounded up to a power of
// two, so about 43 to 85 bytes per distinct key, plus the initial table.
#pragma once

#include <sluice/result.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::partitions {

// XXH3-64 with seed 0 of a key's bytes: the hash the index stores, and the one the producer
// uses to choose a key's partition.
uint64_t key_hash(std::span<const std::byte> key);
uint64_t key_hash(std::string_view key);

class KeyIndex {
 public:
  // `initial_capacity` slots (rounded up to a power of two, at least 16).
  explicit KeyIndex(size_t initial_capacity = 1024);
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // Owner thread only. Records `offset` (>= 0) as the latest offset of the key with this
  // hash, unless the index holds a larger offset for it already (replaying an older batch
  // changes nothing).
  void put(uint64_t key_hash, int64_t offset);

  // Any thread. The latest offset put for this hash; std::nullopt when none was.
  std::optional<int64_t> get(uint64_t key_hash) const;

  // Any thread: the number of distinct hashes indexed (exact on the owner thread, a recent
  // value on others).
  size_t size() const;
  // Any thread: the bytes of slot tables held (current and retired).
  size_t memory_bytes() const;
  // Owner thread: the current table's capacity in slots (for tests and metrics).
  size_t capacity() const;

 private:
  struct Slot {
    // 0: empty. Set once, by the owner, with release after `offset` (so a reader that
    // acquires a non-zero hash sees an offset that was put for it).
    std::atomic<uint64_t> hash{0};
    // Relaxed: the offset is the only thing it publishes, and it only grows.
    std::atomic<int64_t> offset{0};
  };
  struct Table {
    explicit Table(size_t capacity_slots);
    size_t capacity;  // a power of two
    uint32_t shift;   // 64 - log2(capacity): Fibonacci hashing keeps the top bits
    std::unique_ptr<Slot[]> slots;
    size_t home(uint64_t hash) const;
  };

  // The slot holding `hash` in `table`, or the empty slot where it would go.
  static Slot& probe(const Table& table, uint64_t hash);
  void grow();

  // The current table. The owner stores with release after filling a new table; readers
  // load with acquire, so they see every slot the owner copied into it.
  std::atomic<Table*> table_;
  // Every table ever published, current last; only the owner touches the vector.
  std::vector<std::unique_ptr<Table>> tables_;
  // The offset of hash 0 (the empty marker's own key); -1 when none. Relaxed: it publishes
  // nothing else.
  std::atomic<int64_t> zero_hash_offset_{-1};
  // Relaxed counters, written by the owner only.
  std::atomic<size_t> size_{0};         // distinct hashes, including hash 0
  std::atomic<size_t> table_slots_{0};  // slots in tables_ (for memory_bytes)
  size_t used_slots_ = 0;               // filled slots of the current table (owner only)
};

// What index_batch_keys did with one batch.
struct BatchKeys {
  uint32_t keyed_records = 0;  // records with a key (null keys are not indexed)
  bool compressed = false;     // the batch was compressed (and decompressed to read its keys)
};

// Puts hash -> offset for every keyed record of a batch, in order, so the last record of a key
// wins. Owner thread of `index` only. The batch must carry its final base offset (call it after
// the log assigned offsets) and should have passed validate_batch.
//
// A compressed batch is decompressed into `scratch` (see decode_records; the log itself stores
// it compressed), so keys that arrived in compressed batches are found by latest() too. Control
// batches (transaction markers) carry no user keys and are skipped. Errc::corruption when the
// records (or the compressed stream) do not decode, too_large when the batch decompresses past
// kMaxDecompressedBatchBytes; the index is then unchanged (every record is decoded before the
// first put).
Result<BatchKeys> index_batch_keys(std::span<const std::byte> batch, KeyIndex& index,
                                   std::vector<std::byte>& scratch);

}  // namespace sluice::partitions
