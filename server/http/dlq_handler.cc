// The dead-letter topic of a topic (include/sluice/queue.h) over HTTP:
//   GET /v1/topics/{topic}/dlq?partition=&from=&limit=
//     -> 200 {"events": [{partition, offset, timestamp, key, value, headers, "source":
//             {topic, partition, offset, group, delivery_count, reason, time}}], "next": offset}
//        (the events of one DLQ partition, 0 unless asked, from `from` (the earliest when
//        absent), at most `limit` (100; up to 1000))
//   POST /v1/topics/{topic}/dlq/replay {"group"?, "from"?, "to"?, "key"?}
//     -> 200 {"replayed": n, "already_replayed": m}
//
// Listing reads published events through the query path (never waits for a shard); replay
// waits for its records and runs on the worker thread.
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

namespace sluice::server::http {
namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;

const std::string* header_value(const Record& record, std::string_view name) {
  for (const Header& header : record.headers) {
    if (header.key == name && header.value) return &*header.value;
  }
  return nullptr;
}

void write_source(JsonWriter& json, const Record& record) {
  json.key("source");
  json.begin_object();
  const std::pair<std::string_view, std::string_view> text_fields[] = {
      {"topic", kDlqHeaderTopic}, {"group", kDlqHeaderGroup}, {"reason", kDlqHeaderReason}};
  for (const auto& [name, header] : text_fields) {
    if (const std::string* value = header_value(record, header)) {
      json.key(name);
      json.string_lossy(*value);
    }
  }
  const std::pair<std::string_view, std::string_view> number_fields[] = {
      {"partition", kDlqHeaderPartition},
      {"offset", kDlqHeaderOffset},
      {"delivery_count", kDlqHeaderDeliveries},
      {"time", kDlqHeaderTime}};
  for (const auto& [name, header] : number_fields) {
    const std::string* value = header_value(record, header);
    uint64_t number = 0;
    if (value != nullptr && parse_decimal(*value, INT64_MAX, &number)) {
      json.field(name, static_cast<int64_t>(number));
    }
  }
  json.end_object();
}

}  // namespace

void get_dlq(HttpExchange& exchange) {
  uint64_t partition = 0;
  uint64_t limit = kDefaultLimit;
  std::optional<uint64_t> from;
  const std::pair<const char*, uint64_t> params[] = {
      {"partition", INT32_MAX}, {"from", INT64_MAX}, {"limit", kMaxLimit}};
  for (const auto& [name, max] : params) {
    std::string_view text;
    bool malformed = false;
    if (!exchange.query(name, &text, &malformed)) continue;
    uint64_t value = 0;
    if (malformed || !parse_decimal(text, max, &value)) {
      exchange.respond_error(
          400, "bad_request",
          std::string(name) + " must be an integer from 0 to " + std::to_string(max));
      return;
    }
    if (name == std::string_view("partition")) partition = value;
    if (name == std::string_view("from")) from = value;
    if (name == std::string_view("limit")) limit = value;
  }
  Engine& engine = exchange.ctx().engine();
  const std::string dlq = std::string(exchange.param(0)) + ".dlq";
  Result<PartitionState> state = engine.partition_state(dlq, static_cast<int32_t>(partition));
  if (!state.ok()) {
    respond_engine_error(exchange, state.error());
    return;
  }
  // Before the earliest offset (retention removed it) starts at the earliest.
  const int64_t start = std::max(from ? static_cast<int64_t>(*from) : 0, state->earliest_offset);
  std::vector<Record> records;
  if (limit > 0 && start < state->latest_offset) {
    Result<std::vector<Record>> read =
        engine.read(dlq, static_cast<int32_t>(partition), start, static_cast<uint32_t>(limit));
    if (!read.ok()) {
      respond_engine_error(exchange, read.error());
      return;
    }
    records = std::move(*read);
  }
  const int64_t next = records.empty() ? start : records.back().offset + 1;
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    json.begin_object();
    json.key("events");
    json.begin_array();
    for (const Record& record : records) {
      json.begin_object();
      write_record_fields(json, record);
      write_source(json, record);
      json.end_object();
    }
    json.end_array();
    json.field("next", next);
    json.end_object();
  });
}

void post_dlq_replay(HttpExchange& exchange) {
  const std::string_view text = exchange.request().body;
  nlohmann::json doc =
      text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    exchange.respond_error(400, "bad_request", "the body must be a JSON object");
    return;
  }
  ReplayFilter filter;
  for (const auto& [name, value] : doc.items()) {
    if (name == "group" || name == "key") {
      if (!value.is_string()) {
        exchange.respond_error(400, "bad_request", name + " must be a string");
        return;
      }
      (name == "group" ? filter.group : filter.key) = value.get<std::string>();
    } else if (name == "from" || name == "to") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0) {
        exchange.respond_error(400, "bad_request", name + " must be a non-negative DLQ offset");
        return;
      }
      (name == "from" ? filter.from : filter.to) = value.get<int64_t>();
    } else {
      exchange.respond_error(400, "bad_request", "unknown field " + name);
      return;
    }
  }
  if (filter.from && filter.to && *filter.from > *filter.to) {
    exchange.respond_error(400, "bad_request", "from is after to");
    return;
  }
  struct Outcome {
    std::string topic;
    ReplayFilter filter;
    std::optional<Result<ReplayResult>> result;
  };
  auto outcome = std::make_shared<Outcome>();
  outcome->topic = std::string(exchange.param(0));
  outcome->filter = std::move(filter);
  Engine* engine = &exchange.ctx().engine();
  const Completion completion = exchange.defer();
  exchange.ctx().offload(
      [engine, outcome] {
        outcome->result.emplace(engine->replay_dlq(outcome->topic, outcome->filter));
      },
      [completion, outcome] {
        const Result<ReplayResult>& result = *outcome->result;
        if (!result.ok()) {
          respond_engine_error(completion, result.error());
          return;
        }
        completion.respond(200, kJsonType, [&](std::string& body) {
          JsonWriter json(body);
          json.begin_object();
          json.field("replayed", static_cast<int64_t>(result->replayed));
          json.field("already_replayed", static_cast<int64_t>(result->already_replayed));
          json.end_object();
        });
      });
}

}  // namespace sluice::server::http
