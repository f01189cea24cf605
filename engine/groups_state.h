// GroupsState: the engine's part of consumer groups beside the coordinator: committed offsets,
// the producer that appends commits to __consumer_offsets, and the housekeeping thread.
// Private to engine/.
//
// Thread-safety: `offsets` has its own lock; `committer` (a producer: one thread at a time) is
// guarded by commit_mutex; the rest belongs to open_groups / close_groups.
#pragma once

#include "consumers/offset_table.h"

#include <sluice/producer.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace sluice {

struct GroupsState {
  consumers::OffsetTable offsets;

  std::mutex commit_mutex;
  std::unique_ptr<Producer::Impl> committer;

  std::mutex stop_mutex;
  std::condition_variable stop;
  bool stopping = false;
  std::thread housekeeper;
};

}  // namespace sluice
