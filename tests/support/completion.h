// Completion: what one asynchronous operation's callback saw, for tests of the I/O seam, and
// the order in which callbacks ran (counted across all completions of the test program).
#pragma once

#include "io/file_system.h"

#include <optional>
#include <utility>

namespace sluice::testing {

struct Completion {
  std::optional<Result<uint64_t>> result;
  int order = 0;  // 1 for the first callback that ran in this program, 2 for the next, ...
};

inline int& completion_counter() {
  static int count = 0;
  return count;
}

inline void record_completion(io::IoOp& op, Result<uint64_t> result) {
  auto* completion = static_cast<Completion*>(op.context);
  completion->result.emplace(std::move(result));
  completion->order = ++completion_counter();
}

// Makes op report into `completion`.
inline void bind(io::IoOp& op, Completion& completion) {
  op.callback = record_completion;
  op.context = &completion;
}

}  // namespace sluice::testing
