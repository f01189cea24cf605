// QueueSnapshotParts: gathers the parts of one table's snapshot (consumers/FORMAT.md, type 8)
// while __queue_state is replayed in log order, and hands them over once the last part came.
//
// The parts of a snapshot are written in a row under the table's lock, so in the log nothing
// of the same table comes between them. A part out of sequence, or another record of the table
// while parts are pending, means the snapshot was cut short (a crash while it was written): its
// parts are dropped, and the table stays what the records before it made it (the segments
// before a snapshot are deleted only once every part is synced, so those records are there).
//
// Thread-safety: none; one per table, used by the rebuild.
#pragma once

#include "consumers/queue_record.h"

#include <optional>
#include <vector>

namespace sluice::consumers {

class QueueSnapshotParts {
 public:
  // Adds a part: every part, in order, once the last one came; else nothing (the part waits,
  // or it did not fit the pending ones and the snapshot it belongs to is dropped).
  std::optional<std::vector<SnapshotRecord>> add(SnapshotRecord part) {
    if (part.part == 0) parts_.clear();
    if (part.part != parts_.size() || (!parts_.empty() && parts_.front().parts != part.parts)) {
      parts_.clear();  // a part of a snapshot whose beginning is missing
      return std::nullopt;
    }
    parts_.push_back(std::move(part));
    if (parts_.size() < parts_.front().parts) return std::nullopt;
    std::vector<SnapshotRecord> complete = std::move(parts_);
    parts_.clear();
    return complete;
  }
  // Another record of the table came: a pending snapshot was cut short. True when one was.
  bool abandon() {
    const bool had = !parts_.empty();
    parts_.clear();
    return had;
  }
  bool pending() const { return !parts_.empty(); }

 private:
  std::vector<SnapshotRecord> parts_;
};

}  // namespace sluice::consumers
