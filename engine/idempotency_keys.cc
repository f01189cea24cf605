// IdempotencyKeys: claims in memory, answers in memory and in the internal topic
// __idempotency (bytes in FORMAT.md), expiry by the order answers were recorded. See
// idempotency_keys.h for the contract.
#include "engine/idempotency_keys.h"

#include "io/assert.h"
#include "partitions/byte_codec.h"

#include <future>

namespace sluice::engine {
namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr size_t kFixedBytes = 25;  // every field but the scope's, key's and answer's bytes

using partitions::append_be;
using partitions::read_be;

std::string encode_record(std::string_view scope, std::string_view key, uint64_t fingerprint,
                          int64_t recorded_ms, std::string_view answer) {
  std::string out;
  out.reserve(kFixedBytes + scope.size() + key.size() + answer.size());
  append_be<uint8_t>(out, kRecordVersion);
  append_be<uint64_t>(out, fingerprint);
  append_be<int64_t>(out, recorded_ms);
  append_be<uint16_t>(out, static_cast<uint16_t>(scope.size()));
  out += scope;
  append_be<uint16_t>(out, static_cast<uint16_t>(key.size()));
  out += key;
  append_be<uint32_t>(out, static_cast<uint32_t>(answer.size()));
  out += answer;
  return out;
}

}  // namespace

IdempotencyKeys::IdempotencyKeys(Journal& journal, std::chrono::milliseconds retention)
    : journal_(journal), retention_(retention) {
  SLUICE_ASSERT(retention.count() > 0);
}

int64_t IdempotencyKeys::wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IdempotencyKeys::map_key(std::string_view scope, std::string_view key) {
  std::string out = std::to_string(scope.size());
  out += ':';
  out += scope;
  out += key;
  return out;
}

bool IdempotencyKeys::expired(const Entry& entry, int64_t now_ms) const {
  return entry.done && entry.recorded_ms + retention_.count() <= now_ms;
}

void IdempotencyKeys::sweep(int64_t now_ms) {
  while (!expiry_.empty() && expiry_.front().first + retention_.count() <= now_ms) {
    auto it = entries_.find(expiry_.front().second);
    // Only the entry recorded at that time: a key claimed or recorded again since stays.
    if (it != entries_.end() && it->second.done &&
        it->second.recorded_ms == expiry_.front().first) {
      entries_.erase(it);
    }
    expiry_.pop_front();
  }
}

// ---- Opening ----

Result<void> IdempotencyKeys::restore(std::string_view value) {
  auto corrupt = [](const std::string& why) {
    return Error(Errc::corruption, std::string(kIdempotencyTopic) + " record: " + why);
  };
  if (value.size() < kFixedBytes) return corrupt("shorter than a record");
  const auto version = read_be<uint8_t>(value, 0);
  if (version != kRecordVersion) {
    return Error(Errc::unsupported, std::string(kIdempotencyTopic) + " record version " +
                                        std::to_string(version) + " (this sluice reads " +
                                        std::to_string(kRecordVersion) + ")");
  }
  Entry entry;
  entry.done = true;
  entry.fingerprint = read_be<uint64_t>(value, 1);
  entry.recorded_ms = read_be<int64_t>(value, 9);
  size_t at = 17;
  const size_t scope_bytes = read_be<uint16_t>(value, at);
  at += 2;
  if (scope_bytes > kMaxScopeBytes || value.size() < kFixedBytes + scope_bytes) {
    return corrupt("bad scope length");
  }
  const std::string_view scope = value.substr(at, scope_bytes);
  at += scope_bytes;
  const size_t key_bytes = read_be<uint16_t>(value, at);
  at += 2;
  if (key_bytes == 0 || key_bytes > kMaxKeyBytes ||
      value.size() < kFixedBytes + scope_bytes + key_bytes) {
    return corrupt("bad key length");
  }
  const std::string_view key = value.substr(at, key_bytes);
  at += key_bytes;
  const size_t answer_bytes = read_be<uint32_t>(value, at);
  at += 4;
  if (answer_bytes > kMaxAnswerBytes || value.size() != at + answer_bytes) {
    return corrupt("bad answer length");
  }
  entry.answer = std::string(value.substr(at));
  std::lock_guard lock(mutex_);
  std::string k = map_key(scope, key);
  expiry_.emplace_back(entry.recorded_ms, k);
  entries_[std::move(k)] = std::move(entry);
  return {};
}

void IdempotencyKeys::start() {
  std::lock_guard lock(mutex_);
  const int64_t now = wall_ms();
  std::erase_if(entries_, [&](const auto& item) { return expired(item.second, now); });
  sweep(now);
}

// ---- Claims ----

IdempotencyKeys::Begin IdempotencyKeys::begin(std::string_view scope, std::string_view key,
                                              uint64_t fingerprint) {
  std::lock_guard lock(mutex_);
  const int64_t now = wall_ms();
  sweep(now);
  auto [it, inserted] = entries_.try_emplace(map_key(scope, key));
  Entry& entry = it->second;
  if (!inserted && expired(entry, now)) {
    entry = Entry{};
    inserted = true;
  }
  if (inserted) {
    entry.fingerprint = fingerprint;
    return Begin{Claim::first, {}};
  }
  if (entry.fingerprint != fingerprint) return Begin{Claim::mismatch, {}};
  if (!entry.done) return Begin{Claim::in_progress, {}};
  return Begin{Claim::done, entry.answer};
}

Result<Event> IdempotencyKeys::settle(std::string_view scope, std::string_view key,
                                      std::string answer) {
  if (scope.size() > kMaxScopeBytes || key.empty() || key.size() > kMaxKeyBytes) {
    return Error(Errc::invalid_argument, "idempotency key or scope of a bad length");
  }
  if (answer.size() > kMaxAnswerBytes) {
    return Error(Errc::invalid_argument,
                 "an idempotent call's answer of " + std::to_string(answer.size()) +
                     " bytes is above the maximum of " + std::to_string(kMaxAnswerBytes));
  }
  std::lock_guard lock(mutex_);
  std::string k = map_key(scope, key);
  auto it = entries_.find(k);
  if (it == entries_.end() || it->second.done) {
    return Error(Errc::invalid_argument,
                 "idempotency key '" + std::string(key) + "' has no claim in progress");
  }
  Entry& entry = it->second;
  entry.done = true;
  entry.recorded_ms = wall_ms();
  entry.answer = std::move(answer);
  expiry_.emplace_back(entry.recorded_ms, std::move(k));
  Event event;
  event.key = std::string(key);
  event.value = encode_record(scope, key, entry.fingerprint, entry.recorded_ms, entry.answer);
  event.partition = 0;
  return event;
}

void IdempotencyKeys::finish_async(std::string_view scope, std::string_view key, std::string answer,
                                   std::function<void(Result<void>)> done) {
  SLUICE_ASSERT(done != nullptr);
  Result<Event> record = settle(scope, key, std::move(answer));
  if (!record.ok()) {
    done(std::move(record).error());
    return;
  }
  journal_.append(std::string(kIdempotencyTopic), std::move(*record),
                  [done = std::move(done)](Result<Delivery> written) {
                    if (!written.ok()) {
                      done(Error(written.code(), "idempotency key's answer not recorded: " +
                                                     written.error().message()));
                      return;
                    }
                    done(Result<void>());
                  });
}

Result<void> IdempotencyKeys::finish(std::string_view scope, std::string_view key,
                                     std::string answer) {
  SLUICE_ASSERT_MSG(!journal_.on_journal_thread(), "a blocking finish on the journal's thread");
  std::promise<Result<void>> promise;
  std::future<Result<void>> future = promise.get_future();
  finish_async(scope, key, std::move(answer),
               [&promise](Result<void> result) { promise.set_value(std::move(result)); });
  return future.get();
}

void IdempotencyKeys::abandon(std::string_view scope, std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(map_key(scope, key));
  if (it != entries_.end() && !it->second.done) entries_.erase(it);
}

size_t IdempotencyKeys::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace sluice::engine
