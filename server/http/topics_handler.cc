// Topics: GET /v1/topics, and GET, PUT and DELETE /v1/topics/{topic}. Describing reads the
// engine's metadata at once; creating and deleting wait for the shards, so they run on the
// server's worker thread (ShardContext::offload) and answer later.
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace sluice::server::http {
namespace {

// An integer member of a JSON object within [min, max].
bool json_integer(const nlohmann::json& value, int64_t min, int64_t max, int64_t* out) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(max)) return false;
    *out = static_cast<int64_t>(v);
    return static_cast<int64_t>(v) >= min;
  }
  if (!value.is_number_integer()) return false;
  const auto v = value.get<int64_t>();
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

// {"max_deliveries", "lock_ms", "retry": {"initial_ms", "multiplier", "max_ms", "jitter"}}: the
// topic's queue policy (include/sluice/topic.h). Returns an error message, or nullopt.
std::optional<std::string> parse_queue_policy(const nlohmann::json& doc, QueuePolicy* policy) {
  if (!doc.is_object()) return "queue must be an object";
  for (const auto& [name, value] : doc.items()) {
    int64_t n = 0;
    if (name == "max_deliveries") {
      if (!json_integer(value, 1, 1000, &n)) return "queue.max_deliveries must be 1 to 1000";
      policy->max_deliveries = static_cast<uint32_t>(n);
    } else if (name == "lock_ms") {
      if (!json_integer(value, 1, 12 * 3600000ll, &n)) return "queue.lock_ms must be 1 to 43200000";
      policy->lock_duration = std::chrono::milliseconds(n);
    } else if (name == "retry") {
      if (!value.is_object()) return "queue.retry must be an object";
      for (const auto& [field, v] : value.items()) {
        if (field == "initial_ms" || field == "max_ms") {
          if (!json_integer(v, 0, 12 * 3600000ll, &n)) {
            return "queue.retry." + field + " must be 0 to 43200000";
          }
          (field == "initial_ms" ? policy->retry.initial : policy->retry.maximum) =
              std::chrono::milliseconds(n);
        } else if (field == "multiplier" || field == "jitter") {
          if (!v.is_number()) return "queue.retry." + field + " must be a number";
          (field == "multiplier" ? policy->retry.multiplier : policy->retry.jitter) =
              v.get<double>();
        } else {
          return "unknown field queue.retry." + field;
        }
      }
    } else {
      return "unknown field queue." + name;
    }
  }
  return std::nullopt;
}

// The body of PUT /v1/topics/{topic}: {"partitions": N, "retention_ms": ..., ...}; an empty body
// takes the defaults. Returns an error message, or nullopt with *config filled.
std::optional<std::string> parse_topic_config(std::string_view body, int32_t default_partitions,
                                              TopicConfig* config) {
  config->partitions = default_partitions;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::nullopt;
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return "the body is not valid JSON";
  if (!doc.is_object()) return "the body must be a JSON object";
  for (const auto& [name, value] : doc.items()) {
    int64_t n = 0;
    if (name == "partitions") {
      if (!json_integer(value, 1, INT32_MAX, &n)) return "partitions must be a positive integer";
      config->partitions = static_cast<int32_t>(n);
    } else if (name == "retention_ms" || name == "retention_bytes" || name == "segment_ms") {
      if (!json_integer(value, -1, INT64_MAX, &n)) return name + " must be an integer >= -1";
      (name == "retention_ms"      ? config->retention_ms
       : name == "retention_bytes" ? config->retention_bytes
                                   : config->segment_ms) = n;
    } else if (name == "segment_bytes") {
      if (!json_integer(value, 1, INT64_MAX, &n)) return "segment_bytes must be a positive integer";
      config->segment_bytes = static_cast<uint64_t>(n);
    } else if (name == "max_event_bytes") {
      if (!json_integer(value, 1, UINT32_MAX, &n)) {
        return "max_event_bytes must be a positive integer";
      }
      config->max_event_bytes = static_cast<uint32_t>(n);
    } else if (name == "queue") {
      if (std::optional<std::string> bad = parse_queue_policy(value, &config->queue)) return bad;
    } else if (name == "keyed_index") {
      if (!value.is_boolean()) return "keyed_index must be true or false";
      config->keyed_index = value.get<bool>();
    } else {
      return "unknown field " + name;
    }
  }
  return std::nullopt;
}

void respond_topic(HttpExchange& exchange, const TopicDescription& topic) {
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    write_topic(json, topic);
  });
}

}  // namespace

void list_topics(HttpExchange& exchange) {
  const std::vector<std::string> names = exchange.ctx().engine().list_topics();
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    json.begin_object();
    json.key("topics");
    json.begin_array();
    for (const std::string& name : names)
      json.string_lossy(name);
    json.end_array();
    json.end_object();
  });
}

void get_topic(HttpExchange& exchange) {
  Result<TopicDescription> topic = exchange.ctx().engine().describe_topic(exchange.param(0));
  if (!topic.ok()) {
    respond_engine_error(exchange, topic.error());
    return;
  }
  respond_topic(exchange, *topic);
}

void put_topic(HttpExchange& exchange) {
  TopicConfig config;
  if (std::optional<std::string> bad = parse_topic_config(
          exchange.request().body, exchange.ctx().options().default_partitions, &config)) {
    exchange.respond_error(400, "bad_request", *bad);
    return;
  }
  struct Outcome {
    std::string name;
    TopicConfig config;
    bool created = false;
    std::optional<Error> error;
    TopicDescription description;
  };
  auto outcome = std::make_shared<Outcome>();
  outcome->name = std::string(exchange.param(0));
  outcome->config = config;
  Engine* engine = &exchange.ctx().engine();
  const Completion completion = exchange.defer();
  exchange.ctx().offload(
      [engine, outcome] {
        Result<void> created = engine->create_topic(outcome->name, outcome->config);
        outcome->created = created.ok();
        if (!created.ok() && created.code() != Errc::already_exists) {
          outcome->error = created.error();
          return;
        }
        Result<TopicDescription> described = engine->describe_topic(outcome->name);
        if (!described.ok()) {
          outcome->error = described.error();
          return;
        }
        outcome->description = std::move(*described);
        // PUT is idempotent: the same topic again is fine, a different one is a conflict.
        if (!outcome->created && outcome->description.config != outcome->config) {
          outcome->error = Error(Errc::already_exists,
                                 "topic " + outcome->name + " exists with another configuration");
        }
      },
      [completion, outcome] {
        if (outcome->error) {
          respond_engine_error(completion, *outcome->error);
          return;
        }
        const std::string location = "Location: /v1/topics/" + outcome->name + "\r\n";
        completion.respond(
            outcome->created ? 201 : 200, kJsonType,
            [&](std::string& body) {
              JsonWriter json(body);
              write_topic(json, outcome->description);
            },
            outcome->created ? std::string_view(location) : std::string_view());
      });
}

void delete_topic(HttpExchange& exchange) {
  struct Outcome {
    std::string name;
    std::optional<Error> error;
  };
  auto outcome = std::make_shared<Outcome>();
  outcome->name = std::string(exchange.param(0));
  Engine* engine = &exchange.ctx().engine();
  const Completion completion = exchange.defer();
  exchange.ctx().offload(
      [engine, outcome] {
        Result<void> deleted = engine->delete_topic(outcome->name);
        if (!deleted.ok()) outcome->error = deleted.error();
      },
      [completion, outcome] {
        if (outcome->error) {
          respond_engine_error(completion, *outcome->error);
          return;
        }
        completion.respond(200, kJsonType, [&](std::string& body) {
          JsonWriter json(body);
          json.begin_object();
          json.field("name", outcome->name);
          json.key("deleted");
          json.boolean(true);
          json.end_object();
        });
      });
}

}  // namespace sluice::server::http
