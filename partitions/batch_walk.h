// Walking the batches of one segment for a read: the header at a position, and the batch that
// holds an offset (from the segment's sparse index, then header by header).
//
// Thread-safety: as SegmentSource (one read, its own thread).
#pragma once

#include "partitions/record_batch.h"
#include "partitions/segment_source.h"

#include <sluice/result.h>

#include <cstdint>
#include <string>

namespace sluice::partitions {

Error corrupt_at(const SegmentView& view, uint64_t pos, const std::string& what);
// The header of the batch at `pos`, checked to lie inside the source's published bytes.
Result<BatchHeader> header_at(SegmentSource& source, uint64_t pos);
// The position of the batch that holds `offset` (which the segment holds).
Result<uint64_t> find_batch(SegmentSource& source, int64_t offset);

}  // namespace sluice::partitions
