// POST /v1/topics/{topic}/events?acks=none|written|synced: REST ingestion. The body is a JSON
// array of events {"key", "value" | "value_b64", "headers": {name: value}, "partition",
// "timestamp"}; each goes to the shard's producer for the durability asked for, and the answer
// waits until every event's completion ran (ShardContext::poll_producers):
//   200 {"offsets": [{"partition": p, "offset": o}, ...]}
// When an event fails, the answer has the status of the first failure and says, per event, what
// was stored and what was not: {"error", "message", "offsets": [... {"error", "message"} ...]}.
// A full producer is 503 would_block (the shard thread never waits for room).
//
// With an `Idempotency-Key` header (1 to 255 characters), a repeat of the request within the
// key's retention (EngineOptions::idempotency_retention) gets the first answer again, with
// `Idempotent-Replayed: true`, and stores nothing: the answer is recorded (synced, in
// engine/idempotency_keys.h) before it is sent. A repeat while the first still runs is 409; the
// key used with another body or acks is 422. A first use that stored no event records nothing,
// so its repeat runs again. (A crash after the events were stored and before the answer was
// recorded leaves the key unknown: its repeat stores the events again.)
#include "server/http/api_support.h"
#include "server/http/base64.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

#include "engine/engine_impl.h"
#include "engine/idempotency_keys.h"
#include "engine/shard.h"

#include <xxhash.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sluice::server::http {
namespace {

// Events per request, at most: one request's events are answered together, so this bounds
// the work and memory one request holds. (The shard's producer never waits for room in its
// channels, engine/producer_impl.h Link::backlog, so the bound is not needed for safety.)
constexpr size_t kMaxEventsPerRequest = 512;

// One element of the body's array as an Event. Returns what is wrong with it, or nullopt.
std::optional<std::string> event_from_json(const nlohmann::json& item, Event* event) {
  if (!item.is_object()) return "is not a JSON object";
  bool has_value = false;
  for (const auto& [name, field] : item.items()) {
    if (name == "key") {
      if (field.is_null()) continue;
      if (!field.is_string()) return "key must be a string or null";
      event->key = field.get<std::string>();
    } else if (name == "key_b64") {
      if (!field.is_string()) return "key_b64 must be a base64 string";
      std::string key;
      if (!base64_decode(field.get_ref<const std::string&>(), key)) {
        return "key_b64 is not valid base64";
      }
      event->key = std::move(key);
    } else if (name == "value") {
      if (field.is_null()) return "value must not be null";
      // A JSON value other than a string is stored as its JSON text.
      event->value = field.is_string() ? field.get<std::string>() : field.dump();
      has_value = true;
    } else if (name == "value_b64") {
      if (!field.is_string()) return "value_b64 must be a base64 string";
      event->value.clear();
      if (!base64_decode(field.get_ref<const std::string&>(), event->value)) {
        return "value_b64 is not valid base64";
      }
      has_value = true;
    } else if (name == "headers") {
      if (!field.is_object()) return "headers must be an object of strings";
      for (const auto& [header, header_value] : field.items()) {
        if (header_value.is_null()) {
          event->headers.push_back({header, std::nullopt});
        } else if (header_value.is_string()) {
          event->headers.push_back({header, header_value.get<std::string>()});
        } else {
          return "header " + header + " must be a string or null";
        }
      }
    } else if (name == "partition") {
      if (!field.is_number_integer() || field.get<int64_t>() < 0 ||
          field.get<int64_t>() > INT32_MAX) {
        return "partition must be a non-negative integer";
      }
      event->partition = static_cast<int32_t>(field.get<int64_t>());
    } else if (name == "timestamp") {
      if (!field.is_number_integer() || field.get<int64_t>() < 0) {
        return "timestamp must be milliseconds since the epoch";
      }
      event->timestamp_ms = field.get<int64_t>();
    } else {
      return "unknown field " + name;
    }
  }
  if (!has_value) return "has no value (value or value_b64)";
  return std::nullopt;
}

uint64_t event_bytes(const Event& event) {
  uint64_t bytes = (event.key ? event.key->size() : 0) + event.value.size();
  for (const Header& header : event.headers)
    bytes += header.key.size() + (header.value ? header.value->size() : 0);
  return bytes;
}

// A produce made with an Idempotency-Key that holds the key's first use.
struct IdempotentCall {
  engine::IdempotencyKeys* keys = nullptr;
  engine::Shard* shard = nullptr;
  std::string scope;
  std::string key;
};

// An answer as "<status>\n<body>" (what IdempotencyKeys keeps), written as a response.
void respond_stored(const Completion& completion, int status, std::string_view body,
                    std::string_view extra_fields) {
  completion.respond(
      status, kJsonType, [&](std::string& out) { out.append(body); }, extra_fields);
}

// One request's events on their way. It owns itself: the guard and each sent event hold one
// reference, and the last to go answers and deletes it, so that it outlives the session if it
// must (the answer then goes nowhere).
class ProduceState {
 public:
  ProduceState(Completion completion, Metrics& metrics, size_t events,
               std::optional<IdempotentCall> idempotency)
      : completion_(std::move(completion)),
        metrics_(metrics),
        idempotency_(std::move(idempotency)),
        outcomes_(events) {}

  // Before send(): the callback may run inside send() already.
  void expect(size_t i, uint64_t bytes) {
    ++references_;
    outcomes_[i].bytes = bytes;
  }
  void refused(size_t i, const Error& error) {
    outcomes_[i].error = error;
    release();
  }
  void delivered(size_t i, const Result<Delivery>& delivery) {
    Outcome& outcome = outcomes_[i];
    if (delivery.ok()) {
      outcome.partition = delivery->partition;
      outcome.offset = delivery->offset;
      metrics_.produced_events.add();
      metrics_.produced_bytes.add(outcome.bytes);
    } else {
      outcome.error = delivery.error();
    }
    release();
  }
  void release() {
    if (--references_ > 0) return;
    answer();
    delete this;
  }

 private:
  struct Outcome {
    int32_t partition = -1;
    int64_t offset = -1;
    uint64_t bytes = 0;
    std::optional<Error> error;
  };

  void answer() {
    const Outcome* failed = nullptr;
    bool stored_any = false;
    for (const Outcome& outcome : outcomes_) {
      if (outcome.offset >= 0) stored_any = true;
      if (outcome.offset < 0 && failed == nullptr) failed = &outcome;
    }
    const int status = failed == nullptr ? 200
                       : failed->error   ? engine_error_status(failed->error->code())
                                         : 500;
    std::string body;
    JsonWriter json(body);
    json.begin_object();
    if (failed != nullptr) {
      json.field("error", failed->error ? errc_name(failed->error->code()) : "not_sent");
      json.key("message");
      json.string_lossy(failed->error ? failed->error->message() : "not sent");
    }
    json.key("offsets");
    json.begin_array();
    for (const Outcome& outcome : outcomes_) {
      json.begin_object();
      if (outcome.offset >= 0) {
        json.field("partition", int64_t{outcome.partition});
        json.field("offset", outcome.offset);
      } else if (outcome.error) {
        json.field("error", errc_name(outcome.error->code()));
        json.key("message");
        json.string_lossy(outcome.error->message());
      } else {
        json.field("error", "not_sent");
        json.field("message", "not sent: an event before it was refused");
      }
      json.end_object();
    }
    json.end_array();
    json.end_object();
    if (!idempotency_) {
      respond_stored(completion_, status, body, {});
      return;
    }
    // The first use of an idempotency key: its answer is kept for the repeats once any event
    // was stored (a repeat must not store them again); when none was, a repeat runs again.
    IdempotentCall call = std::move(*idempotency_);
    if (!stored_any) {
      call.keys->abandon(call.scope, call.key);
      respond_stored(completion_, status, body, {});
      return;
    }
    std::string answer = std::to_string(status) + "\n" + body;
    call.keys->finish_async(call.scope, call.key, std::move(answer),
                            [shard = call.shard, completion = completion_, status,
                             body = std::move(body)](Result<void> recorded) mutable {
                              shard->post([completion, status, body = std::move(body), recorded] {
                                if (!recorded.ok()) {
                                  // The events are stored but a repeat would not know: say so.
                                  respond_engine_error(completion,
                                                       Error(recorded.code(),
                                                             "the events were stored, but the "
                                                             "answer for the idempotency key was "
                                                             "not recorded: " +
                                                                 recorded.error().message()));
                                  return;
                                }
                                respond_stored(completion, status, body, {});
                              });
                            });
  }

  Completion completion_;
  Metrics& metrics_;
  std::optional<IdempotentCall> idempotency_;
  std::vector<Outcome> outcomes_;
  size_t references_ = 1;  // the guard, released once every event was offered
};

// Claims an Idempotency-Key for this produce (scope: the topic). True when the produce goes on
// (its first use: *call holds the claim); false when this answered already: the first use's
// answer again (a repeat), 409 (the first use still runs), 422 (the key came with another
// request), 400 (a malformed key).
bool claim_key(HttpExchange& exchange, std::string_view key, std::string_view acks,
               std::optional<IdempotentCall>* call) {
  if (key.empty() || key.size() > engine::IdempotencyKeys::kMaxKeyBytes) {
    exchange.respond_error(400, "bad_request",
                           "Idempotency-Key must have 1 to " +
                               std::to_string(engine::IdempotencyKeys::kMaxKeyBytes) +
                               " characters");
    return false;
  }
  engine::IdempotencyKeys* keys = exchange.ctx().engine().impl().idempotency.get();
  const std::string scope = "events:" + std::string(exchange.param(0));
  // The same request: the same body with the same durability.
  const std::string_view body = exchange.request().body;
  const uint64_t fingerprint =
      XXH3_64bits_withSeed(body.data(), body.size(), XXH3_64bits(acks.data(), acks.size()));
  const engine::IdempotencyKeys::Begin begun = keys->begin(scope, key, fingerprint);
  switch (begun.claim) {
    case engine::IdempotencyKeys::Claim::first:
      *call = IdempotentCall{keys, &exchange.ctx().shard(), scope, std::string(key)};
      return true;
    case engine::IdempotencyKeys::Claim::done: {
      const size_t newline = begun.answer.find('\n');
      uint64_t status = 0;
      if (newline == std::string::npos ||
          !parse_decimal(std::string_view(begun.answer).substr(0, newline), 599, &status)) {
        exchange.respond_error(500, "corruption", "the recorded answer for this key is damaged");
        return false;
      }
      exchange.respond(
          static_cast<int>(status), kJsonType,
          [&](std::string& out) { out.append(std::string_view(begun.answer).substr(newline + 1)); },
          "Idempotent-Replayed: true\r\n");
      return false;
    }
    case engine::IdempotencyKeys::Claim::in_progress:
      exchange.respond_error(409, "conflict",
                             "a request with this Idempotency-Key is still in progress: retry");
      return false;
    case engine::IdempotencyKeys::Claim::mismatch:
      exchange.respond_error(422, "idempotency_key_reused",
                             "this Idempotency-Key was used with another request");
      return false;
  }
  return false;
}

}  // namespace

void post_events(HttpExchange& exchange) {
  Durability durability = Durability::written;
  std::string_view acks;
  bool malformed = false;
  if (exchange.query("acks", &acks, &malformed) &&
      (malformed || !parse_durability(acks, &durability))) {
    exchange.respond_error(400, "bad_request", "acks must be none, written or synced");
    return;
  }
  const nlohmann::json doc = nlohmann::json::parse(exchange.request().body, nullptr, false);
  if (doc.is_discarded()) {
    exchange.respond_error(400, "bad_request", "the body is not valid JSON");
    return;
  }
  if (!doc.is_array() || doc.empty()) {
    exchange.respond_error(400, "bad_request", "the body must be a non-empty JSON array of events");
    return;
  }
  if (doc.size() > kMaxEventsPerRequest) {
    exchange.respond_error(
        400, "bad_request",
        "at most " + std::to_string(kMaxEventsPerRequest) + " events per request");
    return;
  }
  std::vector<Event> events(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    if (std::optional<std::string> bad = event_from_json(doc[i], &events[i])) {
      exchange.respond_error(400, "bad_request", "event " + std::to_string(i) + " " + *bad);
      return;
    }
  }

  const std::string_view topic = exchange.param(0);
  std::optional<IdempotentCall> idempotency;
  if (const HeaderField* key = exchange.request().find("idempotency-key")) {
    if (!claim_key(exchange, key->value, acks, &idempotency)) return;
  }
  Producer& producer = exchange.ctx().producer(durability);
  auto* state = new ProduceState(exchange.defer(), exchange.ctx().metrics(), events.size(),
                                 std::move(idempotency));
  for (size_t i = 0; i < events.size(); ++i) {
    state->expect(i, event_bytes(events[i]));
    Result<void> sent = producer.send(
        topic, std::move(events[i]),
        [state, i](const Result<Delivery>& delivery) { state->delivered(i, delivery); });
    if (!sent.ok()) {
      Error error = sent.code() == Errc::would_block
                        ? Error(Errc::would_block, "the server's producer is full: retry later (" +
                                                       sent.error().message() + ")")
                        : std::move(sent).error();
      state->refused(i, error);
      break;  // the events after it are not sent, so that none overtakes it
    }
  }
  state->release();
}

}  // namespace sluice::server::http
