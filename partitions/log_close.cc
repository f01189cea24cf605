// PartitionLog: closing for readers. Readers that start after close() get Errc::closed; those in
// progress finish first, as the tail memory and the files' FileSystem must outlive them: each
// holds at most one chunk for one copy, or one segment set for one file read.
#include "io/assert.h"
#include "partitions/partition_log_impl.h"

#include <thread>

namespace sluice::partitions {

void PartitionLog::Impl::close() {
  // Seq_cst: before the segment set and the chunks go.
  shared->closed.store(true, std::memory_order_seq_cst);
  shared->segments.close();
  for (auto& segment : segments) {
    close_segment_files(*segment);
    segment->view.reset();
    segment->chunks.clear();
  }
  pool.close();
  // Acquire: pairs with the release in ~SegmentFile; at zero, no reader uses fs any more.
  while (shared->open_files.load(std::memory_order_acquire) > 0)
    std::this_thread::yield();
}

}  // namespace sluice::partitions
