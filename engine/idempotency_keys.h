// IdempotencyKeys: the first answer to a call made with an idempotency key, so that a repeat
// of the call (a client retrying after a timeout) gets that answer again and changes nothing.
// The HTTP API's produce with an `Idempotency-Key` header uses it (scope: the topic).
//
// A key lives in a scope (a topic, ...). begin() claims a key for a first use, or says that
// the key's first use is still running, or returns its recorded answer; finish() records the
// answer durably (the internal topic __idempotency, synced) and releases the claim; abandon()
// releases a claim whose call failed, so a repeat runs the call again. A key is forgotten
// `retention` after its answer was recorded. Keys and answers are rebuilt from __idempotency
// when the engine opens.
//
// A repeat must be the same call: begin() takes a fingerprint of the request (a hash of what
// it asks), and a key used again with another fingerprint is refused (Claim::mismatch).
//
// Memory: one entry per key within its retention (the key, the fingerprint, the answer).
//
// Thread-safety: every member from any thread. finish() blocks until the record is synced;
// finish_async() never blocks.
#pragma once

#include "engine/journal.h"

#include <sluice/result.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sluice::engine {

inline constexpr std::string_view kIdempotencyTopic = "__idempotency";

class IdempotencyKeys {
 public:
  enum class Claim : uint8_t {
    first,        // the caller runs the call, then finish() or abandon()
    in_progress,  // another caller holds the key's first use: try again later
    done,         // answered before: `answer` holds it
    mismatch,     // the key was used with another fingerprint
  };
  struct Begin {
    Claim claim = Claim::first;
    std::string answer;  // Claim::done only
  };

  // Records go through `journal` (which must outlive this object) to __idempotency.
  IdempotencyKeys(Journal& journal, std::chrono::milliseconds retention);
  IdempotencyKeys(const IdempotencyKeys&) = delete;
  IdempotencyKeys& operator=(const IdempotencyKeys&) = delete;

  // ---- Opening (before any other call) ----
  // Folds one record of __idempotency (in log order; a later record of a key wins). Errors:
  // corruption (not a record), unsupported (a newer version).
  Result<void> restore(std::string_view record_value);
  // Forgets the answers that expired while the engine was closed.
  void start();

  Begin begin(std::string_view scope, std::string_view key, uint64_t fingerprint);
  // Records the answer of the claim begin() gave (Claim::first) and releases it. Errors:
  // invalid_argument (no such claim, a scope or key too long, an answer above
  // kMaxAnswerBytes), the I/O errors of the record. When the record fails, the answer is kept
  // in memory all the same (the call did happen): repeats get it until the engine closes.
  Result<void> finish(std::string_view scope, std::string_view key, std::string answer);
  // The same without blocking: `done` runs once, inside the call or on the journal's thread
  // (it must not block on the engine).
  void finish_async(std::string_view scope, std::string_view key, std::string answer,
                    std::function<void(Result<void>)> done);
  // Releases a claim whose call failed (nothing happens without one).
  void abandon(std::string_view scope, std::string_view key);

  // Keys held, claims included (for tests and metrics).
  size_t size() const;

  // Keys longer than this are refused by the callers (HTTP: 400).
  static constexpr size_t kMaxKeyBytes = 255;
  // Scopes are topic names (at most 249 bytes) or the like.
  static constexpr size_t kMaxScopeBytes = 255;
  static constexpr size_t kMaxAnswerBytes = 64u << 10;

 private:
  struct Entry {
    uint64_t fingerprint = 0;
    bool done = false;         // false: a claim in progress (memory only)
    int64_t recorded_ms = -1;  // done: when the answer was recorded (wall clock)
    std::string answer;
  };
  static int64_t wall_ms();
  // One map key for (scope, key): the scope's length, a colon, the scope, the key.
  static std::string map_key(std::string_view scope, std::string_view key);
  bool expired(const Entry& entry, int64_t now_ms) const;
  // Forgets expired answers from the front of the expiry order. Under mutex_.
  void sweep(int64_t now_ms);
  // Marks the claim done with `answer`; returns the record to write, or the refusal.
  Result<Event> settle(std::string_view scope, std::string_view key, std::string answer);

  Journal& journal_;
  const std::chrono::milliseconds retention_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  // (recorded_ms, map key) in the order answers were recorded; an item whose entry was
  // recorded again later (or removed) is skipped by sweep().
  std::deque<std::pair<int64_t, std::string>> expiry_;
};

}  // namespace sluice::engine
