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

#include <sluice/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sluice::engine {

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

  // (constructor, open/rebuild and private members: engine/idempotency_keys.cc)

  Begin begin(std::string_view scope, std::string_view key, uint64_t fingerprint);
  Result<void> finish(std::string_view scope, std::string_view key,
                              std::string answer);
  void finish_async(std::string_view scope, std::string_view key, std::string answer,
                            std::function<void(Result<void>)> done);
  void abandon(std::string_view scope, std::string_view key);

  // Keys longer than this are refused by the callers (HTTP: 400).
  static constexpr size_t kMaxKeyBytes = 255;
};

}  // namespace sluice::engine
