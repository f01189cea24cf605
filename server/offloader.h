// Offloader: the server's worker thread for calls that block. A shard thread must never wait
// for a shard (itself, or one that may be waiting for it), so topic changes, offset commits
// and group calls that wait run here; their `done` goes back to the asking shard's task queue.
//
// Work runs one item at a time, in order, so a client's admin calls keep their order.
//
// Thread-safety: submit() from any thread. The destructor runs what is queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sluice::server {

class Offloader {
 public:
  Offloader();
  ~Offloader();
  Offloader(const Offloader&) = delete;
  Offloader& operator=(const Offloader&) = delete;

  // Runs `work` on the worker thread.
  void submit(std::function<void()> work);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::server
