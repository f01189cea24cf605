// Request-reply and idempotency keys in the engine: opening (the internal topics __requests and
// __idempotency, rebuilt at open), closing, and the Engine's request calls
// (include/sluice/requests.h). The state lives in engine/request_book.h and
// engine/idempotency_keys.h; their records go through engine/journal.h.
#include "engine/engine_impl.h"
#include "engine/idempotency_keys.h"
#include "engine/internal_topic.h"
#include "engine/journal.h"
#include "engine/producer_impl.h"
#include "engine/request_book.h"
#include "engine/request_record.h"

#include "io/assert.h"
#include "io/logger.h"

#include <future>

namespace sluice {
namespace {

using Done = std::function<void(Result<RequestState>)>;

// Records are kept this long past the retention of what they describe, so that retention of
// the internal topic (whole segments, by their newest record) never drops a live record.
constexpr std::chrono::milliseconds kRecordRetentionMargin{3600 * 1000};
constexpr int64_t kInternalSegmentMs = 3600 * 1000;
// Bytes of the kRequestIdHeader header a submitted event gains: key, 32 digits, framing.
constexpr uint64_t kRequestHeaderBytes = 10 + kRequestIdHeader.size() + engine::kRequestIdChars;

TopicConfig internal_topic_config(std::chrono::milliseconds retention, uint32_t max_event_bytes) {
  TopicConfig config;
  config.partitions = 1;  // one partition: every record of a key stays in order
  config.segment_bytes = 64ull << 20;
  // Segments roll at least hourly, so that retention can delete the old ones.
  config.segment_ms = kInternalSegmentMs;
  config.retention_ms = (retention + kRecordRetentionMargin).count();
  config.max_event_bytes = max_event_bytes;
  return config;
}

// Runs an asynchronous call and waits for its one answer.
template <typename T, typename Start>
Result<T> wait_for(Start&& start) {
  // Shared: the answering thread may still be inside set_value when get() returns.
  auto promise = std::make_shared<std::promise<Result<T>>>();
  std::future<Result<T>> future = promise->get_future();
  start([promise](Result<T> result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace

// ---- Opening and closing ----

Result<void> Engine::Impl::open_requests() {
  if (options.request_retention.count() <= 0 || options.idempotency_retention.count() <= 0) {
    return Error(Errc::invalid_argument,
                 "EngineOptions.request_retention and idempotency_retention must be above 0");
  }
  const std::pair<std::string_view, TopicConfig> internal[] = {
      {engine::kRequestsTopic,
       internal_topic_config(options.request_retention, 2u << 20)},  // 1 MiB outcomes
      {engine::kIdempotencyTopic, internal_topic_config(options.idempotency_retention, 1u << 20)},
  };
  for (const auto& [name, config] : internal) {
    if (!catalog->contains(name)) {
      SLUICE_TRY(create_topic(name, config, engine::TopicAccess::internal));
    }
  }
  journal = std::make_unique<engine::Journal>(*this);
  requests = std::make_unique<engine::RequestBook>(*journal, options.request_retention);
  idempotency = std::make_unique<engine::IdempotencyKeys>(*journal, options.idempotency_retention);
  SLUICE_TRY(engine::scan_internal_topic(*this, engine::kRequestsTopic, [&](const Record& record) {
    Result<RequestState> state =
        engine::decode_request_record(record.key.value_or(""), record.value.value_or(""));
    if (!state.ok()) return Result<void>(std::move(state).error());
    requests->restore(*state);
    return Result<void>();
  }));
  SLUICE_TRY(engine::scan_internal_topic(
      *this, engine::kIdempotencyTopic,
      [&](const Record& record) { return idempotency->restore(record.value.value_or("")); }));
  requests->start();
  idempotency->start();
  return {};
}

void Engine::Impl::close_requests() {
  // The timer goes first; the journal then sends what is queued and runs the callbacks, which
  // still find the book and the keys; waiters left after that are told the engine closes.
  if (requests) requests->stop_timer();
  journal.reset();
  requests.reset();
  idempotency.reset();
}

void Engine::Impl::request_dead_lettered(std::string_view id, std::string_view reason) {
  if (!requests || !engine::valid_request_id(id)) return;
  std::string outcome(reason.substr(0, engine::kMaxRequestOutcomeBytes));
  requests->finish(
      id, RequestStatus::dead_lettered, std::move(outcome),
      [id = std::string(id)](Result<RequestState> ended) {
        // Unknown, expired or already ended: nothing to do.
        if (ended.ok() || ended.code() == Errc::not_found || ended.code() == Errc::conflict) {
          return;
        }
        log_line(LogLevel::warning, "request " + id + ": dead-lettered, but not recorded: " +
                                        ended.error().to_string());
      });
}

// ---- The Engine's calls ----

void Engine::submit_request_async(std::string_view topic, Event event, Done done) {
  SLUICE_ASSERT(done != nullptr);
  // What Producer::send would refuse is refused before anything is recorded.
  Result<std::shared_ptr<engine::Topic>> found = impl_->find_topic(topic);
  if (!found.ok()) return done(std::move(found).error());
  const engine::Topic& t = **found;
  if (t.internal) {
    return done(Error(Errc::invalid_argument, "topic " + t.name + " is internal to sluice"));
  }
  if (event.partition < -1 || event.partition >= t.config.partitions) {
    return done(Error(Errc::invalid_argument,
                      "partition " + std::to_string(event.partition) + " of topic " + t.name +
                          " does not exist (it has " + std::to_string(t.config.partitions) + ")"));
  }
  const uint64_t size = Producer::Impl::event_bytes(event) + kRequestHeaderBytes;
  if (size > t.config.max_event_bytes) {
    return done(Error(Errc::too_large, "event of " + std::to_string(size) +
                                           " bytes (with its request id) is above the " +
                                           std::to_string(t.config.max_event_bytes) +
                                           "-byte maximum of topic " + t.name));
  }
  impl_->requests->submit(t.name, std::move(event), std::move(done));
}

void Engine::complete_request_async(std::string_view id, std::string result, Done done) {
  SLUICE_ASSERT(done != nullptr);
  impl_->requests->finish(id, RequestStatus::completed, std::move(result), std::move(done));
}

void Engine::fail_request_async(std::string_view id, std::string error, Done done) {
  SLUICE_ASSERT(done != nullptr);
  impl_->requests->finish(id, RequestStatus::failed, std::move(error), std::move(done));
}

void Engine::wait_request_async(std::string_view id, std::chrono::milliseconds timeout,
                                Done done) const {
  SLUICE_ASSERT(done != nullptr);
  impl_->requests->wait(id, timeout, std::move(done));
}

Result<RequestState> Engine::submit_request(std::string_view topic, Event event) {
  SLUICE_ASSERT_MSG(!impl_->journal->on_journal_thread(), "a blocking request call in a callback");
  return wait_for<RequestState>(
      [&](Done done) { submit_request_async(topic, std::move(event), std::move(done)); });
}

Result<RequestState> Engine::complete_request(std::string_view id, std::string result) {
  SLUICE_ASSERT_MSG(!impl_->journal->on_journal_thread(), "a blocking request call in a callback");
  return wait_for<RequestState>(
      [&](Done done) { complete_request_async(id, std::move(result), std::move(done)); });
}

Result<RequestState> Engine::fail_request(std::string_view id, std::string error) {
  SLUICE_ASSERT_MSG(!impl_->journal->on_journal_thread(), "a blocking request call in a callback");
  return wait_for<RequestState>(
      [&](Done done) { fail_request_async(id, std::move(error), std::move(done)); });
}

Result<RequestState> Engine::request(std::string_view id) const {
  return impl_->requests->get(id);
}

Result<RequestState> Engine::wait_request(std::string_view id,
                                          std::chrono::milliseconds timeout) const {
  SLUICE_ASSERT_MSG(!impl_->journal->on_journal_thread(), "a blocking request call in a callback");
  return wait_for<RequestState>(
      [&](Done done) { wait_request_async(id, timeout, std::move(done)); });
}

}  // namespace sluice
