// Reads: GET /v1/topics/{topic}/partitions/{p}/events/{offset} (one event) and
// GET /v1/topics/{topic}/partitions/{p}/events?from=OFFSET&limit=N (a page). Both are the
// engine's synchronous query path: they never wait for a shard.
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

#include <string>

namespace sluice::server::http {
namespace {

constexpr uint32_t kDefaultPageEvents = 100;
constexpr uint32_t kMaxPageEvents = 1000;

bool parse_partition(HttpExchange& exchange, int32_t* partition) {
  uint64_t value = 0;
  if (!parse_decimal(exchange.param(1), INT32_MAX, &value)) {
    exchange.respond_error(400, "bad_request", "the partition must be a non-negative integer");
    return false;
  }
  *partition = static_cast<int32_t>(value);
  return true;
}

// An unknown partition is a 404 here, not the engine's invalid_argument.
void respond_read_error(HttpExchange& exchange, const Error& error) {
  if (error.code() == Errc::invalid_argument) {
    exchange.respond_error(404, "not_found", error.message());
    return;
  }
  respond_engine_error(exchange, error);
}

void count_fetched(HttpExchange& exchange, const std::vector<Record>& records) {
  uint64_t bytes = 0;
  for (const Record& record : records)
    bytes += record_bytes(record);
  exchange.ctx().metrics().fetched_events.add(records.size());
  exchange.ctx().metrics().fetched_bytes.add(bytes);
}

}  // namespace

void get_event(HttpExchange& exchange) {
  int32_t partition = 0;
  if (!parse_partition(exchange, &partition)) return;
  uint64_t offset = 0;
  if (!parse_decimal(exchange.param(2), INT64_MAX, &offset)) {
    exchange.respond_error(400, "bad_request", "the offset must be a non-negative integer");
    return;
  }
  Result<std::vector<Record>> records =
      exchange.ctx().engine().read(exchange.param(0), partition, static_cast<int64_t>(offset), 1);
  if (!records.ok()) {
    respond_read_error(exchange, records.error());
    return;
  }
  if (records->empty() || records->front().offset != static_cast<int64_t>(offset)) {
    exchange.respond_error(404, "offset_out_of_range",
                           "offset " + std::to_string(offset) + " holds no event yet");
    return;
  }
  count_fetched(exchange, *records);
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    write_record(json, records->front());
  });
}

void get_events(HttpExchange& exchange) {
  int32_t partition = 0;
  if (!parse_partition(exchange, &partition)) return;
  const std::string_view topic = exchange.param(0);
  std::string_view text;
  bool malformed = false;
  uint64_t limit = kDefaultPageEvents;
  if (exchange.query("limit", &text, &malformed) &&
      (malformed || !parse_decimal(text, kMaxPageEvents, &limit) || limit == 0)) {
    exchange.respond_error(400, "bad_request",
                           "limit must be 1 to " + std::to_string(kMaxPageEvents));
    return;
  }
  int64_t from = 0;
  if (exchange.query("from", &text, &malformed)) {
    uint64_t value = 0;
    if (malformed || !parse_decimal(text, INT64_MAX, &value)) {
      exchange.respond_error(400, "bad_request", "from must be a non-negative offset");
      return;
    }
    from = static_cast<int64_t>(value);
  } else {
    Result<PartitionState> state = exchange.ctx().engine().partition_state(topic, partition);
    if (!state.ok()) {
      respond_read_error(exchange, state.error());
      return;
    }
    from = state->earliest_offset;
  }
  Result<std::vector<Record>> records =
      exchange.ctx().engine().read(topic, partition, from, static_cast<uint32_t>(limit));
  if (!records.ok()) {
    respond_read_error(exchange, records.error());
    return;
  }
  count_fetched(exchange, *records);
  const int64_t next = records->empty() ? from : records->back().offset + 1;
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    json.begin_object();
    json.key("topic");
    json.string_lossy(topic);
    json.field("partition", int64_t{partition});
    json.key("events");
    json.begin_array();
    for (const Record& record : *records)
      write_record(json, record);
    json.end_array();
    json.field("next_offset", next);
    json.end_object();
  });
}

}  // namespace sluice::server::http
