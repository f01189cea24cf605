#include "consumers/lag.h"

#include "io/assert.h"

#include <algorithm>

namespace sluice::consumers {

int64_t offset_lag(std::optional<int64_t> committed, int64_t earliest_offset,
                   int64_t latest_offset) {
  SLUICE_ASSERT(earliest_offset >= 0);
  SLUICE_ASSERT(earliest_offset <= latest_offset);
  SLUICE_ASSERT(!committed || *committed >= 0);
  const int64_t from = committed.value_or(earliest_offset);
  return std::max<int64_t>(0, latest_offset - from);
}

PartitionLag partition_lag(const TopicPartition& partition, int64_t position,
                           std::optional<int64_t> committed, const PartitionState& state) {
  PartitionLag out;
  out.partition = partition;
  out.position = position;
  out.committed = committed.value_or(-1);
  out.latest = state.latest_offset;
  out.lag = offset_lag(committed, state.earliest_offset, state.latest_offset);
  return out;
}

}  // namespace sluice::consumers
