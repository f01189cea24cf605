#include "partitions/key_index.h"

#include "io/assert.h"
#include "partitions/record_batch.h"

#include <xxhash.h>

#include <bit>

namespace sluice::partitions {
namespace {

constexpr size_t kMinCapacity = 16;
// 2^64 / golden ratio: multiplying by it spreads any hash's bits into the top bits, so that
// hashes differing only in their high bits (as crafted in tests) still land apart.
constexpr uint64_t kFibonacci = 0x9E3779B97F4A7C15ull;

// A table is grown before an insert would fill more than 3/4 of it, so every probe meets an
// empty slot within a short run.
bool over_load_limit(size_t used, size_t capacity) {
  return (used + 1) * 4 > capacity * 3;
}

}  // namespace

uint64_t key_hash(std::span<const std::byte> key) {
  return XXH3_64bits(key.data(), key.size());
}

uint64_t key_hash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

KeyIndex::Table::Table(size_t capacity_slots)
    : capacity(capacity_slots),
      shift(static_cast<uint32_t>(64 - std::countr_zero(capacity_slots))),
      slots(new Slot[capacity_slots]) {
  SLUICE_ASSERT(std::has_single_bit(capacity_slots));
  SLUICE_ASSERT(capacity_slots >= kMinCapacity);
}

size_t KeyIndex::Table::home(uint64_t hash) const {
  return static_cast<size_t>((hash * kFibonacci) >> shift);
}

KeyIndex::KeyIndex(size_t initial_capacity) {
  size_t capacity = std::bit_ceil(std::max(initial_capacity, kMinCapacity));
  tables_.push_back(std::make_unique<Table>(capacity));
  table_slots_.store(capacity, std::memory_order_relaxed);
  // Relaxed is enough here: whoever gets a reference to the index synchronizes with its
  // construction through that hand-over.
  table_.store(tables_.back().get(), std::memory_order_relaxed);
}

KeyIndex::~KeyIndex() = default;

KeyIndex::Slot& KeyIndex::probe(const Table& table, uint64_t hash) {
  SLUICE_ASSERT(hash != 0);
  size_t mask = table.capacity - 1;
  size_t at = table.home(hash);
  // The load limit keeps empty slots in every table, so the loop ends well before wrapping;
  // the bound guards against a broken invariant.
  for (size_t step = 0; step < table.capacity; ++step) {
    Slot& slot = table.slots[at];
    // Acquire: pairs with the owner's release store of the hash, so that the slot's offset
    // is visible once its hash is.
    uint64_t found = slot.hash.load(std::memory_order_acquire);
    if (found == hash || found == 0) return slot;
    at = (at + 1) & mask;
  }
  SLUICE_UNREACHABLE("key index table without an empty slot");
}

void KeyIndex::put(uint64_t hash, int64_t offset) {
  SLUICE_ASSERT(offset >= 0);
  if (hash == 0) {
    // Relaxed: only the owner writes it; the value is all it publishes.
    int64_t old = zero_hash_offset_.load(std::memory_order_relaxed);
    if (old < 0) size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (offset > old) zero_hash_offset_.store(offset, std::memory_order_relaxed);
    return;
  }
  Table* table = table_.load(std::memory_order_relaxed);  // the owner wrote it
  Slot* slot = &probe(*table, hash);
  if (slot->hash.load(std::memory_order_relaxed) == hash) {
    if (offset > slot->offset.load(std::memory_order_relaxed)) {
      slot->offset.store(offset, std::memory_order_relaxed);
    }
    return;
  }
  if (over_load_limit(used_slots_, table->capacity)) {
    grow();
    table = table_.load(std::memory_order_relaxed);
    slot = &probe(*table, hash);
    SLUICE_ASSERT(slot->hash.load(std::memory_order_relaxed) == 0);
  }
  slot->offset.store(offset, std::memory_order_relaxed);
  // Release: publishes the offset stored just above to readers that acquire the hash.
  slot->hash.store(hash, std::memory_order_release);
  ++used_slots_;
  size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void KeyIndex::grow() {
  const Table& old = *table_.load(std::memory_order_relaxed);
  auto bigger = std::make_unique<Table>(old.capacity * 2);
  size_t copied = 0;
  for (size_t i = 0; i < old.capacity; ++i) {
    uint64_t hash = old.slots[i].hash.load(std::memory_order_relaxed);
    if (hash == 0) continue;
    Slot& slot = probe(*bigger, hash);
    SLUICE_ASSERT(slot.hash.load(std::memory_order_relaxed) == 0);
    slot.offset.store(old.slots[i].offset.load(std::memory_order_relaxed),
                      std::memory_order_relaxed);
    slot.hash.store(hash, std::memory_order_relaxed);  // published by the table_ store below
    ++copied;
  }
  SLUICE_ASSERT(copied == used_slots_);
  table_slots_.store(table_slots_.load(std::memory_order_relaxed) + bigger->capacity,
                     std::memory_order_relaxed);
  tables_.push_back(std::move(bigger));
  // Release: publishes every slot copied above to readers that acquire table_. The old table
  // stays in tables_ (and is never written again) for readers still probing it.
  table_.store(tables_.back().get(), std::memory_order_release);
}

std::optional<int64_t> KeyIndex::get(uint64_t hash) const {
  if (hash == 0) {
    int64_t offset = zero_hash_offset_.load(std::memory_order_relaxed);
    if (offset < 0) return std::nullopt;
    return offset;
  }
  // Acquire: pairs with the release in grow(), making the copied slots visible.
  const Table& table = *table_.load(std::memory_order_acquire);
  const Slot& slot = probe(table, hash);
  if (slot.hash.load(std::memory_order_relaxed) != hash) return std::nullopt;
  // Relaxed: the acquire of the hash in probe() already ordered this after the first offset
  // stored for it; later offsets need no ordering beyond the slot's own modification order.
  return slot.offset.load(std::memory_order_relaxed);
}

size_t KeyIndex::size() const {
  return size_.load(std::memory_order_relaxed);
}

size_t KeyIndex::memory_bytes() const {
  return table_slots_.load(std::memory_order_relaxed) * sizeof(Slot);
}

size_t KeyIndex::capacity() const {
  return table_.load(std::memory_order_relaxed)->capacity;
}

Result<BatchKeys> index_batch_keys(std::span<const std::byte> batch, KeyIndex& index,
                                   std::vector<std::byte>& scratch) {
  auto header = decode_batch_header(batch);
  if (!header.ok()) return std::move(header).error();
  BatchKeys out;
  if (header->control()) return out;
  out.compressed = header->compression() != Compression::none;
  auto records = decode_records(batch, scratch);
  if (!records.ok()) return std::move(records).error();
  for (const RecordView& record : *records) {
    if (!record.key) continue;
    index.put(key_hash(*record.key), record.offset);
    ++out.keyed_records;
  }
  return out;
}

}  // namespace sluice::partitions
