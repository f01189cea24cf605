// Lag of a group on a partition: how many events it has still to read, by its committed
// offset. lag = latest - committed; latest - earliest when the group never committed one (it
// would start from the earliest offset still stored). Never negative: a committed offset past
// the latest (a partition recreated shorter) counts as no lag.
//
// Thread-safety: pure functions.
#pragma once

#include <sluice/consumer.h>
#include <sluice/topic.h>

#include <cstdint>
#include <optional>

namespace sluice::consumers {

int64_t offset_lag(std::optional<int64_t> committed, int64_t earliest_offset,
                   int64_t latest_offset);

// A PartitionLag (include/sluice/consumer.h) from the partition's state. `position` is the
// reader's next offset; the group description, which has no reader, passes the committed
// offset (or the earliest one).
PartitionLag partition_lag(const TopicPartition& partition, int64_t position,
                           std::optional<int64_t> committed, const PartitionState& state);

}  // namespace sluice::consumers
