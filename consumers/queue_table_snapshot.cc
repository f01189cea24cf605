// QueueTable::snapshot and QueueTable::from_snapshot: a table's whole state as the snapshot
// records of __queue_state (consumers/FORMAT.md, type 8), and back.
#include "consumers/queue_table.h"

#include "io/assert.h"

#include <algorithm>
#include <string>
#include <tuple>

namespace sluice::consumers {
namespace {

static_assert(static_cast<uint8_t>(SnapshotEntryState::locked) ==
              static_cast<uint8_t>(EntryState::locked));
static_assert(static_cast<uint8_t>(SnapshotEntryState::waiting) ==
              static_cast<uint8_t>(EntryState::waiting));
static_assert(static_cast<uint8_t>(SnapshotEntryState::ready) ==
              static_cast<uint8_t>(EntryState::ready));
static_assert(static_cast<uint8_t>(SnapshotEntryState::blocked) ==
              static_cast<uint8_t>(EntryState::blocked));
static_assert(static_cast<uint8_t>(SnapshotEntryState::dead_lettering) ==
              static_cast<uint8_t>(EntryState::dead_lettering));

// Fills parts of at most `limit` body bytes: a new part starts when the next item would not fit
// (a part always takes at least one item).
class PartWriter {
 public:
  explicit PartWriter(size_t limit) : limit_(limit) { parts_.emplace_back(); }

  SnapshotRecord& room_for(size_t bytes) {
    SnapshotRecord* last = &parts_.back();
    const bool has_items = !last->floors.empty() || !last->handled.empty() ||
                           !last->entries.empty() || !last->replayed.empty();
    const bool full = last->handled.size() >= kQueueRecordEntriesMax ||
                      last->entries.size() >= kQueueRecordEntriesMax ||
                      last->replayed.size() >= kQueueRecordEntriesMax;
    if (has_items && (used_ + bytes > limit_ || full)) {
      parts_.emplace_back();
      used_ = kSnapshotPartHeaderBytes;
      last = &parts_.back();
    }
    used_ += bytes;
    return *last;
  }
  std::vector<SnapshotRecord> finish() {
    const auto parts = static_cast<uint32_t>(parts_.size());
    for (uint32_t i = 0; i < parts; ++i) {
      parts_[i].part = i;
      parts_[i].parts = parts;
    }
    return std::move(parts_);
  }
  void add_floors(std::vector<int64_t> floors) {
    used_ = kSnapshotPartHeaderBytes + 8 * floors.size();
    parts_.front().floors = std::move(floors);
  }

 private:
  size_t limit_;
  size_t used_ = kSnapshotPartHeaderBytes;
  std::vector<SnapshotRecord> parts_;
};

Error broken(const std::string& what) {
  return Error(Errc::corruption, "queue state snapshot: " + what);
}

}  // namespace

std::vector<SnapshotRecord> QueueTable::snapshot(size_t part_bytes_max) const {
  PartWriter writer(part_bytes_max);
  std::vector<int64_t> floors;
  floors.reserve(parts_.size());
  for (const Part& p : parts_)
    floors.push_back(p.floor);
  writer.add_floors(std::move(floors));
  for (size_t i = 0; i < parts_.size(); ++i) {
    for (const auto& [start, end] : parts_[i].handled) {
      writer.room_for(kSnapshotRangeBytes).handled.push_back({static_cast<int32_t>(i), start, end});
    }
  }
  for (size_t i = 0; i < parts_.size(); ++i) {
    std::vector<int64_t> offsets;
    offsets.reserve(parts_[i].pending.size());
    for (const auto& [offset, index] : parts_[i].pending)
      offsets.push_back(offset);
    std::sort(offsets.begin(), offsets.end());
    for (int64_t offset : offsets) {
      const Entry& e = entries_[parts_[i].pending.at(offset)];
      SLUICE_ASSERT(e.state != EntryState::free && e.offset == offset);
      // Ready and blocked are derived from the key order (a ready entry that is not its key's
      // turn is only found out when it is taken): written as they are due now, as the restore
      // derives them.
      EntryState state = e.state;
      if (state == EntryState::ready || state == EntryState::blocked) {
        state = deliverable(e) ? EntryState::ready : EntryState::blocked;
      }
      SnapshotEntry out{e.partition,
                        e.offset,
                        static_cast<SnapshotEntryState>(state),
                        e.delivery_count,
                        e.token,
                        e.deadline_ms,
                        e.first_delivered_ms,
                        e.has_key,
                        e.key_hash,
                        e.reason};
      writer.room_for(snapshot_entry_bytes(out)).entries.push_back(std::move(out));
    }
  }
  for (const auto& [partition, offset] : replayed_) {
    if (unrecorded_claims_.contains({partition, offset})) continue;
    writer.room_for(kSnapshotReplayedBytes).replayed.push_back({partition, offset});
  }
  return writer.finish();
}

Result<QueueTable> QueueTable::from_snapshot(std::span<const SnapshotRecord> parts,
                                             const QueueSettings& settings, uint64_t seed) {
  if (parts.empty() || parts.front().floors.empty()) return broken("no first part");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].part != i || parts[i].parts != parts.size()) {
      return broken("part " + std::to_string(parts[i].part) + " of " +
                    std::to_string(parts[i].parts) + " at position " + std::to_string(i));
    }
  }
  for (int64_t floor : parts.front().floors) {
    if (floor < 0) return broken("floor " + std::to_string(floor));
  }
  QueueTable table(parts.front().floors, settings, seed);
  for (const SnapshotRecord& part : parts) {
    for (const SnapshotRange& range : part.handled) {
      Part* p = table.part(range.partition);
      if (p == nullptr) return broken("partition " + std::to_string(range.partition));
      // Ranges come in offset order, above the floor, without overlaps.
      const bool below =
          p->handled.empty() ? range.start <= p->floor : range.start < p->handled.rbegin()->second;
      if (below || range.end <= range.start) {
        return broken("range [" + std::to_string(range.start) + ", " + std::to_string(range.end) +
                      ") of partition " + std::to_string(range.partition));
      }
      p->handled.emplace(range.start, range.end);
    }
  }
  for (const SnapshotRecord& part : parts) {
    for (const SnapshotEntry& s : part.entries) {
      Part* p = table.part(s.partition);
      if (p == nullptr) return broken("partition " + std::to_string(s.partition));
      if (p->pending.contains(s.offset)) {
        return broken("entry " + std::to_string(s.partition) + "@" + std::to_string(s.offset) +
                      " twice");
      }
      const uint32_t index = table.add_entry(*p, s.partition, s.offset, s.has_key, s.key_hash);
      Entry& e = table.entries_[index];
      e.delivery_count = s.delivery_count;
      e.token = s.token;
      e.first_delivered_ms = s.first_delivered_ms;
      e.reason = s.reason;
      e.deadline_ms = s.deadline_ms;  // kept by ready and blocked entries too (the last one)
      switch (s.state) {
        case SnapshotEntryState::locked:
          table.start_timer(index, EntryState::locked, s.deadline_ms);
          break;
        case SnapshotEntryState::waiting:
          table.start_timer(index, EntryState::waiting, s.deadline_ms);
          break;
        case SnapshotEntryState::ready:
          table.make_ready(index);
          break;
        case SnapshotEntryState::blocked:
          table.set_state(e, EntryState::blocked);
          break;
        case SnapshotEntryState::dead_lettering:
          table.set_state(e, EntryState::dead_lettering);
          break;
        default:
          return broken("entry state " + std::to_string(static_cast<int>(s.state)));
      }
    }
  }
  for (const SnapshotRecord& part : parts) {
    for (const EventPosition& dlq : part.replayed) {
      if (!table.claim_replay(dlq)) {
        return broken("DLQ position " + std::to_string(dlq.partition) + "@" +
                      std::to_string(dlq.offset) + " twice");
      }
      table.record_replay(dlq);
    }
  }
  // The key lines follow the entries; a blocked entry whose turn it is (or whose key is not
  // tracked with these settings) becomes ready.
  table.rebuild_keys();
  table.reset_counters();
  return table;
}

std::vector<DeadLetterDecision> QueueTable::dead_lettering() const {
  std::vector<DeadLetterDecision> out;
  for (const Entry& e : entries_) {
    if (e.state == EntryState::dead_lettering) {
      out.push_back({e.partition, e.offset, e.delivery_count, e.reason});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
}

}  // namespace sluice::consumers
