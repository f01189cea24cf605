// ProducerStateTable: the sequence rules, the LRU bound and the snapshot codec. See
// producer_state.h for the rules and FORMAT.md (section 9) for the snapshot's bytes.
#include "partitions/producer_state.h"

#include "io/assert.h"
#include "partitions/crc32c.h"
#include "partitions/endian.h"

#include <limits>
#include <string>
#include <unordered_set>

namespace sluice::partitions {
namespace {

constexpr uint32_t kSnapshotMagic = 0x534C5053;  // "SLPS"
constexpr uint16_t kSnapshotVersion = 1;
constexpr size_t kSnapshotHeaderBytes = 24;
constexpr size_t kSnapshotCrcAt = 4;
constexpr size_t kSnapshotCrcFrom = 8;  // the CRC covers every byte after itself
constexpr size_t kEntryHeaderBytes = 12;
constexpr size_t kEntryBatchBytes = 32;
// Sequences live in [0, 2^31): Kafka's int32 sequence wraps from INT32_MAX to 0.
constexpr int64_t kSequenceSpan = int64_t{std::numeric_limits<int32_t>::max()} + 1;

}  // namespace

int32_t last_sequence_of(int32_t base_sequence, int32_t record_count) {
  SLUICE_ASSERT(base_sequence >= 0 && record_count >= 1);
  return static_cast<int32_t>((int64_t{base_sequence} + record_count - 1) % kSequenceSpan);
}

int32_t next_sequence_after(int32_t sequence) {
  return sequence == std::numeric_limits<int32_t>::max() ? 0 : sequence + 1;
}

ProducerStateTable::ProducerStateTable(size_t max_producers)
    : max_producers_(max_producers == 0 ? 1 : max_producers) {}
ProducerStateTable::ProducerStateTable(ProducerStateTable&&) noexcept = default;
ProducerStateTable& ProducerStateTable::operator=(ProducerStateTable&&) noexcept = default;
ProducerStateTable::~ProducerStateTable() = default;

SequenceCheck ProducerStateTable::check(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                                        int32_t record_count) const {
  SequenceCheck result;
  auto it = entries_.find(producer_id);
  if (it == entries_.end()) {
    // A producer seen for the first time (or evicted) starts at 0; anything else means this
    // partition lost track of it.
    result.verdict =
        base_sequence == 0 ? SequenceVerdict::accept : SequenceVerdict::unknown_producer_id;
    return result;
  }
  const Entry& entry = it->second;
  SLUICE_ASSERT(entry.count > 0);
  result.current_epoch = entry.epoch;
  if (epoch < entry.epoch) {
    result.verdict = SequenceVerdict::invalid_producer_epoch;
    return result;
  }
  if (epoch > entry.epoch) {
    result.expected_sequence = 0;
    result.verdict =
        base_sequence == 0 ? SequenceVerdict::accept : SequenceVerdict::out_of_order_sequence;
    return result;
  }
  const int32_t last = last_sequence_of(base_sequence, record_count);
  for (uint8_t i = 0; i < entry.count; ++i) {
    const ProducerBatch& kept = entry.batches[i];
    if (kept.first_sequence == base_sequence && kept.last_sequence == last) {
      result.verdict = SequenceVerdict::duplicate;
      result.original = kept;
      return result;
    }
  }
  result.expected_sequence = next_sequence_after(entry.batches[entry.count - 1].last_sequence);
  result.verdict = base_sequence == result.expected_sequence
                       ? SequenceVerdict::accept
                       : SequenceVerdict::out_of_order_sequence;
  return result;
}

void ProducerStateTable::touch(Entry& entry) {
  lru_.splice(lru_.end(), lru_, entry.lru);
}

void ProducerStateTable::evict_if_full() {
  while (entries_.size() >= max_producers_) {
    SLUICE_ASSERT(!lru_.empty());
    entries_.erase(lru_.front());
    lru_.pop_front();
  }
}

void ProducerStateTable::record(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                                int32_t record_count, int64_t base_offset, int64_t last_offset,
                                int64_t timestamp_ms) {
  SLUICE_ASSERT(producer_id >= 0 && base_offset <= last_offset);
  auto it = entries_.find(producer_id);
  if (it == entries_.end()) {
    evict_if_full();
    it = entries_.emplace(producer_id, Entry{}).first;
    it->second.lru = lru_.insert(lru_.end(), producer_id);
  } else {
    touch(it->second);
  }
  Entry& entry = it->second;
  if (entry.epoch != epoch) {
    entry.epoch = epoch;
    entry.count = 0;
  }
  if (entry.count == kProducerBatchesKept) {
    for (size_t i = 1; i < kProducerBatchesKept; ++i)
      entry.batches[i - 1] = entry.batches[i];
    --entry.count;
  }
  entry.batches[entry.count++] =
      ProducerBatch{base_sequence, last_sequence_of(base_sequence, record_count), base_offset,
                    last_offset, timestamp_ms};
}

void ProducerStateTable::truncate(int64_t offset) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    // Batches are kept in offset order: the dropped ones are a suffix.
    while (entry.count > 0 && entry.batches[entry.count - 1].last_offset >= offset)
      --entry.count;
    if (entry.count == 0) {
      lru_.erase(entry.lru);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void ProducerStateTable::clear() {
  entries_.clear();
  lru_.clear();
}

std::optional<ProducerEntry> ProducerStateTable::find(int64_t producer_id) const {
  auto it = entries_.find(producer_id);
  if (it == entries_.end()) return std::nullopt;
  ProducerEntry out;
  out.producer_id = producer_id;
  out.epoch = it->second.epoch;
  out.batches.assign(it->second.batches.begin(), it->second.batches.begin() + it->second.count);
  return out;
}

std::vector<ProducerEntry> ProducerStateTable::entries() const {
  std::vector<ProducerEntry> out;
  out.reserve(entries_.size());
  for (int64_t id : lru_)
    out.push_back(*find(id));
  return out;
}

// ---- Snapshot ----

std::vector<std::byte> ProducerStateTable::encode(int64_t next_offset) const {
  size_t bytes = kSnapshotHeaderBytes;
  for (const auto& [id, entry] : entries_)
    bytes += kEntryHeaderBytes + entry.count * kEntryBatchBytes;
  std::vector<std::byte> out(bytes);
  std::byte* p = out.data();
  store_be<uint32_t>(p, kSnapshotMagic);
  store_be<uint16_t>(p + 8, kSnapshotVersion);
  store_be<uint16_t>(p + 10, 0);
  store_be<int64_t>(p + 12, next_offset);
  store_be<uint32_t>(p + 20, static_cast<uint32_t>(entries_.size()));
  size_t at = kSnapshotHeaderBytes;
  for (int64_t id : lru_) {
    const Entry& entry = entries_.at(id);
    store_be<int64_t>(p + at, id);
    store_be<int16_t>(p + at + 8, entry.epoch);
    p[at + 10] = static_cast<std::byte>(entry.count);
    p[at + 11] = std::byte{0};
    at += kEntryHeaderBytes;
    for (uint8_t i = 0; i < entry.count; ++i) {
      const ProducerBatch& b = entry.batches[i];
      store_be<int32_t>(p + at, b.first_sequence);
      store_be<int32_t>(p + at + 4, b.last_sequence);
      store_be<int64_t>(p + at + 8, b.base_offset);
      store_be<int64_t>(p + at + 16, b.last_offset);
      store_be<int64_t>(p + at + 24, b.timestamp_ms);
      at += kEntryBatchBytes;
    }
  }
  SLUICE_ASSERT(at == bytes);
  store_be<uint32_t>(p + kSnapshotCrcAt,
                     crc32c(std::span<const std::byte>(out).subspan(kSnapshotCrcFrom)));
  return out;
}

Result<ProducerStateTable::Snapshot> ProducerStateTable::decode(std::span<const std::byte> bytes,
                                                                size_t max_producers) {
  auto corrupt = [](const std::string& why) {
    return Error(Errc::corruption, "producer state snapshot: " + why);
  };
  if (bytes.size() < kSnapshotHeaderBytes) {
    return corrupt(std::to_string(bytes.size()) + " bytes, shorter than its header");
  }
  const std::byte* p = bytes.data();
  if (load_be<uint32_t>(p) != kSnapshotMagic) return corrupt("bad magic");
  const uint32_t stored_crc = load_be<uint32_t>(p + kSnapshotCrcAt);
  if (stored_crc != crc32c(bytes.subspan(kSnapshotCrcFrom))) return corrupt("CRC mismatch");
  const uint16_t version = load_be<uint16_t>(p + 8);
  if (version != kSnapshotVersion) {
    return Error(Errc::unsupported, "producer state snapshot: version " + std::to_string(version) +
                                        " (this sluice reads " + std::to_string(kSnapshotVersion) +
                                        ")");
  }
  if (load_be<uint16_t>(p + 10) != 0) return corrupt("reserved bytes are not zero");
  Snapshot snapshot{ProducerStateTable(max_producers), load_be<int64_t>(p + 12)};
  if (snapshot.next_offset < 0) return corrupt("negative next_offset");
  const uint32_t count = load_be<uint32_t>(p + 20);
  std::unordered_set<int64_t> seen;
  size_t at = kSnapshotHeaderBytes;
  for (uint32_t n = 0; n < count; ++n) {
    const std::string which = "producer entry " + std::to_string(n);
    if (bytes.size() - at < kEntryHeaderBytes) return corrupt(which + " runs past the end");
    const int64_t id = load_be<int64_t>(p + at);
    const int16_t epoch = load_be<int16_t>(p + at + 8);
    const auto batches = static_cast<uint8_t>(p[at + 10]);
    if (id < 0 || !seen.insert(id).second) return corrupt(which + ": bad or repeated producer id");
    if (epoch < 0) return corrupt(which + ": negative epoch");
    if (batches == 0 || batches > kProducerBatchesKept || p[at + 11] != std::byte{0}) {
      return corrupt(which + ": bad batch count");
    }
    at += kEntryHeaderBytes;
    if (bytes.size() - at < size_t{batches} * kEntryBatchBytes) {
      return corrupt(which + " runs past the end");
    }
    int64_t previous_last = -1;
    for (uint8_t i = 0; i < batches; ++i) {
      ProducerBatch b{load_be<int32_t>(p + at), load_be<int32_t>(p + at + 4),
                      load_be<int64_t>(p + at + 8), load_be<int64_t>(p + at + 16),
                      load_be<int64_t>(p + at + 24)};
      at += kEntryBatchBytes;
      if (b.first_sequence < 0 || b.last_sequence < 0 || b.base_offset <= previous_last ||
          b.last_offset < b.base_offset || b.last_offset >= snapshot.next_offset) {
        return corrupt(which + ": batch " + std::to_string(i) + " has bad sequences or offsets");
      }
      previous_last = b.last_offset;
      // The record count that gives this last sequence: record() stores the same batch back.
      const int64_t span =
          (int64_t{b.last_sequence} - b.first_sequence + kSequenceSpan) % kSequenceSpan + 1;
      if (span > std::numeric_limits<int32_t>::max()) {
        return corrupt(which + ": batch " + std::to_string(i) + " spans too many sequences");
      }
      snapshot.table.record(id, epoch, b.first_sequence, static_cast<int32_t>(span), b.base_offset,
                            b.last_offset, b.timestamp_ms);
    }
  }
  if (at != bytes.size()) return corrupt("bytes after the last producer entry");
  return snapshot;
}

}  // namespace sluice::partitions
