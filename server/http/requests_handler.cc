// Asynchronous request-reply (include/sluice/requests.h) over HTTP:
//   POST /v1/topics/{topic}/requests  (the body is the event's value; ?key= its key)
//     -> 202 Accepted, Location: /v1/requests/{id}, {"id", "status": "pending", ...}
//        With `Prefer: wait=N`: 200 with the outcome when it exists within N seconds, else the
//        same 202: synchronous when the work is short, asynchronous when it is not.
//   GET /v1/requests/{id}  (`Prefer: wait=N` waits up to N seconds for an outcome)
//     -> 200 {"id", "status", "topic", "partition", "offset", "created", "updated",
//             "result" | "error"}; 404 for an unknown or expired id
//   POST /v1/requests/{id}/complete {"result": any JSON}, POST /v1/requests/{id}/fail
//     {"error": any JSON} -> 200 with the state; 409 when the request already has its outcome.
//
// Results and errors given over HTTP are kept as JSON text and written back as JSON; an outcome
// set through the library that is not JSON, and a dead-letter reason, are written as strings.
//
// The shard thread never waits: the engine's async forms answer through the shard's task queue.
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

#include "engine/shard.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace sluice::server::http {
namespace {

// The longest `Prefer: wait=N` honoured, in seconds; a larger N waits this long.
constexpr uint64_t kMaxPreferWaitSeconds = 120;

void write_state(JsonWriter& json, const RequestState& state) {
  json.begin_object();
  json.field("id", state.id);
  json.field("status", request_status_name(state.status));
  json.key("topic");
  json.string_lossy(state.topic);
  if (state.offset >= 0) {
    json.field("partition", int64_t{state.partition});
    json.field("offset", state.offset);
  }
  json.field("created", state.created_ms);
  json.field("updated", state.updated_ms);
  if (state.status != RequestStatus::pending) {
    json.key(state.status == RequestStatus::completed ? "result" : "error");
    // A dead-letter reason is text; a result or error given over HTTP is JSON.
    if (state.status != RequestStatus::dead_lettered && nlohmann::json::accept(state.outcome)) {
      json.raw(state.outcome);
    } else {
      json.string_lossy(state.outcome);
    }
  }
  json.end_object();
}

std::string location_of(const RequestState& state) {
  return "Location: /v1/requests/" + state.id + "\r\n";
}

void respond_state(const Completion& completion, int status, const RequestState& state) {
  const std::string location = status == 202 ? location_of(state) : std::string();
  completion.respond(
      status, kJsonType,
      [&](std::string& body) {
        JsonWriter json(body);
        write_state(json, state);
      },
      location);
}

// Answers with the request's state once it is final or `wait` ran out: 200, or 202 with the
// Location when `accepted` (the answer to the POST that made it) and it is still pending.
void answer_when_done(engine::Shard* shard, Engine& engine, const Completion& completion,
                      const std::string& id, std::chrono::milliseconds wait, bool accepted) {
  engine.wait_request_async(id, wait, [shard, completion, accepted](Result<RequestState> state) {
    auto shared = std::make_shared<Result<RequestState>>(std::move(state));
    shard->post([completion, shared, accepted] {
      if (!shared->ok()) {
        respond_engine_error(completion, shared->error());
        return;
      }
      const RequestState& s = **shared;
      respond_state(completion, accepted && s.status == RequestStatus::pending ? 202 : 200, s);
    });
  });
}

}  // namespace

void post_request(HttpExchange& exchange) {
  const std::optional<uint64_t> wait_s = prefer_wait(exchange.request(), kMaxPreferWaitSeconds);
  Event event;
  event.value = std::string(exchange.request().body);
  std::string_view key;
  bool malformed = false;
  if (exchange.query("key", &key, &malformed)) {
    if (malformed) {
      exchange.respond_error(400, "bad_request", "malformed percent-encoding in key");
      return;
    }
    event.key = std::string(key);
  }
  Engine* engine = &exchange.ctx().engine();
  engine::Shard* shard = &exchange.ctx().shard();
  const Completion completion = exchange.defer();
  engine->submit_request_async(exchange.param(0), std::move(event),
                               [engine, shard, completion, wait_s](Result<RequestState> state) {
                                 if (state.ok() && wait_s && *wait_s > 0) {
                                   answer_when_done(shard, *engine, completion, state->id,
                                                    std::chrono::seconds(*wait_s), true);
                                   return;
                                 }
                                 auto shared =
                                     std::make_shared<Result<RequestState>>(std::move(state));
                                 shard->post([completion, shared] {
                                   if (!shared->ok()) {
                                     respond_engine_error(completion, shared->error());
                                     return;
                                   }
                                   respond_state(completion, 202, **shared);
                                 });
                               });
}

void get_request(HttpExchange& exchange) {
  const std::optional<uint64_t> wait_s = prefer_wait(exchange.request(), kMaxPreferWaitSeconds);
  Engine& engine = exchange.ctx().engine();
  if (!wait_s || *wait_s == 0) {
    Result<RequestState> state = engine.request(exchange.param(0));
    if (!state.ok()) {
      respond_engine_error(exchange, state.error());
      return;
    }
    exchange.respond(200, kJsonType, [&](std::string& body) {
      JsonWriter json(body);
      write_state(json, *state);
    });
    return;
  }
  answer_when_done(&exchange.ctx().shard(), engine, exchange.defer(),
                   std::string(exchange.param(0)), std::chrono::seconds(*wait_s), false);
}

namespace {

void finish(HttpExchange& exchange, bool completed) {
  const char* member = completed ? "result" : "error";
  const nlohmann::json doc = nlohmann::json::parse(exchange.request().body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains(member) || doc.size() != 1) {
    exchange.respond_error(
        400, "bad_request",
        std::string("the body must be a JSON object {\"") + member + "\": any JSON value}");
    return;
  }
  std::string outcome = doc[member].dump();
  engine::Shard* shard = &exchange.ctx().shard();
  const Completion completion = exchange.defer();
  auto done = [shard, completion](Result<RequestState> state) {
    auto shared = std::make_shared<Result<RequestState>>(std::move(state));
    shard->post([completion, shared] {
      if (!shared->ok()) {
        respond_engine_error(completion, shared->error());
        return;
      }
      respond_state(completion, 200, **shared);
    });
  };
  Engine& engine = exchange.ctx().engine();
  if (completed) {
    engine.complete_request_async(exchange.param(0), std::move(outcome), std::move(done));
  } else {
    engine.fail_request_async(exchange.param(0), std::move(outcome), std::move(done));
  }
}

}  // namespace

void post_request_complete(HttpExchange& exchange) {
  finish(exchange, true);
}

void post_request_fail(HttpExchange& exchange) {
  finish(exchange, false);
}

}  // namespace sluice::server::http
