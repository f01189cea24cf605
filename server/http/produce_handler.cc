// POST /v1/topics/{topic}/events?acks=none|written|synced: REST ingestion. The body is a JSON
// array of events {"key", "value" | "value_b64", "headers": {name: value}, "partition",
// "timestamp"}; each goes to the shard's producer for the durability asked for, and the answer
// waits until every event's completion ran (ShardContext::poll_producers):
//   200 {"offsets": [{"partition": p, "offset": o}, ...]}
// When an event fails, the answer has the status of the first failure and says, per event, what
// was stored and what was not: {"error", "message", "offsets": [... {"error", "message"} ...]}.
// A full producer is 503 would_block (the shard thread never waits for room).
#include "server/http/api_support.h"
#include "server/http/base64.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

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

// One request's events on their way. It owns itself: the guard and each sent event hold one
// reference, and the last to go answers and deletes it, so that it outlives the session if it
// must (the answer then goes nowhere).
class ProduceState {
 public:
  ProduceState(Completion completion, Metrics& metrics, size_t events)
      : completion_(std::move(completion)), metrics_(metrics), outcomes_(events) {}

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
    for (const Outcome& outcome : outcomes_) {
      if (outcome.offset < 0) {
        failed = &outcome;
        break;
      }
    }
    const int status = failed == nullptr ? 200
                       : failed->error   ? engine_error_status(failed->error->code())
                                         : 500;
    completion_.respond(status, kJsonType, [&](std::string& body) {
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
    });
  }

  Completion completion_;
  Metrics& metrics_;
  std::vector<Outcome> outcomes_;
  size_t references_ = 1;  // the guard, released once every event was offered
};

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
  Producer& producer = exchange.ctx().producer(durability);
  auto* state = new ProduceState(exchange.defer(), exchange.ctx().metrics(), events.size());
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
