// A group reading a topic as a queue (include/sluice/queue.h) over HTTP:
//   POST /v1/groups/{group}/topics/{topic}/receive {"max_events", "wait_ms", "lock_ms"}
//     -> 200 {"events": [{partition, offset, timestamp, key, value, headers, delivery_count,
//                         lock_token, lock_expires}]}
//   POST .../ack  {"events": [{partition, offset, lock_token}]}
//   POST .../nack {"events": [...], "reason", "retry_after_ms"}
//     -> 200 {"acked" | "nacked": n} when every event's lock was held, else 409 with the same
//        count and "failed": [{partition, offset, error, message}] (lock_lost, not_found)
//
// The shard thread never waits: the queue's async forms answer through the shard's task queue
// (engine::Shard::post; the Shard outlives the server, and an answer checks that its session,
// and so this shard's context, still exists before it touches them), and the first use of a queue
// on this shard makes its handle on the worker thread (ShardContext::offload).
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

#include "engine/shard.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::server::http {
namespace {

constexpr uint64_t kMaxReceiveEvents = 10000;
constexpr uint64_t kMaxWaitMs = 120000;        // a long poll, at most
constexpr uint64_t kMaxLockMs = 12 * 3600000;  // QueuePolicy's bound
constexpr size_t kMaxRefs = 10000;

// Runs `use` with this shard's handle on the queue of the exchange's group and topic, making
// the handle first when there is none (on the worker thread). Answers the error itself when
// the handle cannot be made.
void with_queue(HttpExchange& exchange, std::function<void(Queue&, const Completion&)> use) {
  ShardContext& ctx = exchange.ctx();
  const std::string group(exchange.param(0));
  const std::string topic(exchange.param(1));
  const Completion completion = exchange.defer();
  if (Queue* queue = ctx.find_queue(group, topic)) {
    use(*queue, completion);
    return;
  }
  struct Made {
    std::optional<Result<Queue>> queue;
  };
  auto made = std::make_shared<Made>();
  Engine* engine = &ctx.engine();
  ctx.offload(
      [engine, made, group, topic] {
        QueueOptions options;
        options.group = group;
        options.topic = topic;
        made->queue.emplace(engine->queue(options));
      },
      [&ctx, made, completion, use = std::move(use)] {
        if (!completion.alive()) return;  // and this shard's context may be gone with it
        if (!made->queue->ok()) {
          respond_engine_error(completion, made->queue->error());
          return;
        }
        Queue* queue = ctx.keep_queue(std::move(**made->queue));
        use(*queue, completion);
      });
}

// A non-negative integer member of `body` no larger than `max`; `fallback` when absent.
std::optional<std::string> read_count(const nlohmann::json& body, const char* name, uint64_t max,
                                      std::optional<uint64_t>* out) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
      static_cast<uint64_t>(it->get<int64_t>()) > max) {
    return std::string(name) + " must be an integer from 0 to " + std::to_string(max);
  }
  *out = static_cast<uint64_t>(it->get<int64_t>());
  return std::nullopt;
}

// The body as a JSON object, or answers 400 and returns nullopt.
std::optional<nlohmann::json> object_body(HttpExchange& exchange, bool allow_empty) {
  const std::string_view text = exchange.request().body;
  if (text.empty() && allow_empty) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    exchange.respond_error(400, "bad_request", "the body must be a JSON object");
    return std::nullopt;
  }
  return doc;
}

// {"events": [{partition, offset, lock_token}]} as lock references.
std::optional<std::string> read_refs(const nlohmann::json& body, std::vector<LockRef>* refs) {
  const auto it = body.find("events");
  if (it == body.end() || !it->is_array() || it->empty()) {
    return "events must be a non-empty array of {partition, offset, lock_token}";
  }
  if (it->size() > kMaxRefs) return "at most " + std::to_string(kMaxRefs) + " events per call";
  refs->reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& item = (*it)[i];
    const std::string where = "events[" + std::to_string(i) + "]";
    if (!item.is_object()) return where + " is not an object";
    LockRef ref;
    const auto partition = item.find("partition");
    const auto offset = item.find("offset");
    const auto token = item.find("lock_token");
    if (partition == item.end() || !partition->is_number_integer() ||
        partition->get<int64_t>() < 0 || partition->get<int64_t>() > INT32_MAX) {
      return where + ".partition must be a non-negative integer";
    }
    if (offset == item.end() || !offset->is_number_integer() || offset->get<int64_t>() < 0) {
      return where + ".offset must be a non-negative integer";
    }
    if (token == item.end() || !token->is_string() ||
        token->get_ref<const std::string&>().empty()) {
      return where + ".lock_token must be the token receive gave";
    }
    ref.partition = static_cast<int32_t>(partition->get<int64_t>());
    ref.offset = offset->get<int64_t>();
    ref.lock_token = token->get<std::string>();
    refs->push_back(std::move(ref));
  }
  return std::nullopt;
}

void respond_outcomes(const Completion& completion, std::string_view verb,
                      const Result<std::vector<LockOutcome>>& outcomes) {
  if (!outcomes.ok()) {
    respond_engine_error(completion, outcomes.error());
    return;
  }
  size_t done = 0;
  const LockOutcome* first_failed = nullptr;
  for (const LockOutcome& outcome : *outcomes) {
    done += outcome.result.ok() ? 1 : 0;
    if (!outcome.result.ok() && first_failed == nullptr) first_failed = &outcome;
  }
  const bool all = first_failed == nullptr;
  completion.respond(all ? 200 : 409, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    json.begin_object();
    json.field(verb, static_cast<int64_t>(done));
    if (!all) {
      json.field("error", errc_name(first_failed->result.code()));
      json.field("message", "some events were not locked by the tokens given");
      json.key("failed");
      json.begin_array();
      for (const LockOutcome& outcome : *outcomes) {
        if (outcome.result.ok()) continue;
        json.begin_object();
        json.field("partition", int64_t{outcome.ref.partition});
        json.field("offset", outcome.ref.offset);
        json.field("error", errc_name(outcome.result.code()));
        json.key("message");
        json.string_lossy(outcome.result.error().message());
        json.end_object();
      }
      json.end_array();
    }
    json.end_object();
  });
}

}  // namespace

void post_receive(HttpExchange& exchange) {
  std::optional<nlohmann::json> body = object_body(exchange, true);
  if (!body) return;
  std::optional<uint64_t> max_events;
  std::optional<uint64_t> wait_ms;
  std::optional<uint64_t> lock_ms;
  for (const auto& [name, value] : body->items()) {
    if (name != "max_events" && name != "wait_ms" && name != "lock_ms") {
      exchange.respond_error(400, "bad_request", "unknown field " + name);
      return;
    }
  }
  std::optional<std::string> bad = read_count(*body, "max_events", kMaxReceiveEvents, &max_events);
  if (!bad) bad = read_count(*body, "wait_ms", kMaxWaitMs, &wait_ms);
  if (!bad) bad = read_count(*body, "lock_ms", kMaxLockMs, &lock_ms);
  if (!bad && max_events && *max_events == 0) bad = "max_events must be at least 1";
  if (!bad && lock_ms && *lock_ms == 0) bad = "lock_ms must be at least 1";
  if (bad) {
    exchange.respond_error(400, "bad_request", *bad);
    return;
  }
  const auto count = static_cast<uint32_t>(max_events.value_or(1));
  const std::chrono::milliseconds wait(wait_ms.value_or(0));
  std::optional<std::chrono::milliseconds> lock;
  if (lock_ms) lock = std::chrono::milliseconds(*lock_ms);
  ShardContext* ctx = &exchange.ctx();
  engine::Shard* shard = &ctx->shard();
  with_queue(exchange, [ctx, shard, count, wait, lock](Queue& queue, const Completion& completion) {
    queue.receive_async(count, wait, lock,
                        [ctx, shard, completion, group = queue.group(),
                         topic = queue.topic()](Result<std::vector<QueuedEvent>> events) {
                          auto shared =
                              std::make_shared<Result<std::vector<QueuedEvent>>>(std::move(events));
                          shard->post([ctx, completion, shared, group, topic] {
                            if (!completion.alive())
                              return;  // the events' locks run out: delivered again
                            if (!shared->ok()) {
                              // The topic went away: a new topic of that name gets a new queue.
                              if (shared->code() == Errc::not_found) ctx->drop_queue(group, topic);
                              respond_engine_error(completion, shared->error());
                              return;
                            }
                            uint64_t bytes = 0;
                            completion.respond(200, kJsonType, [&](std::string& out) {
                              JsonWriter json(out);
                              json.begin_object();
                              json.key("events");
                              json.begin_array();
                              for (const QueuedEvent& event : **shared) {
                                json.begin_object();
                                write_record_fields(json, event.record);
                                json.field("delivery_count", int64_t{event.delivery_count});
                                json.field("lock_token", event.lock_token);
                                json.field("lock_expires", event.lock_expires_ms);
                                json.end_object();
                                bytes += record_bytes(event.record);
                              }
                              json.end_array();
                              json.end_object();
                            });
                            ctx->metrics().fetched_events.add((*shared)->size());
                            ctx->metrics().fetched_bytes.add(bytes);
                          });
                        });
  });
}

namespace {

void settle(HttpExchange& exchange, bool ack) {
  std::optional<nlohmann::json> body = object_body(exchange, false);
  if (!body) return;
  std::vector<LockRef> refs;
  NackOptions nack;
  std::optional<std::string> bad = read_refs(*body, &refs);
  for (const auto& [name, value] : body->items()) {
    if (bad) break;
    if (name == "events") continue;
    if (!ack && name == "reason") {
      if (!value.is_string()) {
        bad = "reason must be a string";
      } else {
        nack.reason = value.get<std::string>();
      }
    } else if (!ack && name == "retry_after_ms") {
      std::optional<uint64_t> ms;
      bad = read_count(*body, "retry_after_ms", kMaxLockMs, &ms);
      if (ms) nack.retry_after = std::chrono::milliseconds(*ms);
    } else {
      bad = "unknown field " + name;
    }
  }
  if (bad) {
    exchange.respond_error(400, "bad_request", *bad);
    return;
  }
  engine::Shard* shard = &exchange.ctx().shard();
  with_queue(exchange, [shard, ack, refs = std::move(refs), nack = std::move(nack)](
                           Queue& queue, const Completion& completion) mutable {
    auto done = [shard, completion, ack](Result<std::vector<LockOutcome>> outcomes) {
      auto shared = std::make_shared<Result<std::vector<LockOutcome>>>(std::move(outcomes));
      shard->post([completion, shared, ack] {
        respond_outcomes(completion, ack ? "acked" : "nacked", *shared);
      });
    };
    if (ack) {
      queue.ack_async(std::move(refs), std::move(done));
    } else {
      queue.nack_async(std::move(refs), std::move(nack), std::move(done));
    }
  });
}

}  // namespace

void post_ack(HttpExchange& exchange) {
  settle(exchange, true);
}

void post_nack(HttpExchange& exchange) {
  settle(exchange, false);
}

}  // namespace sluice::server::http
