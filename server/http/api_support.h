// What the API handlers share: engine errors as HTTP answers, numbers from paths and queries,
// and events and topics as JSON.
//
// Thread-safety: pure functions, and writers over a caller's buffer.
#pragma once

#include "server/http/json_writer.h"

#include <sluice/event.h>
#include <sluice/result.h>
#include <sluice/topic.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::server::http {

class HttpExchange;
class Completion;
struct Request;

// The HTTP status of an engine error: not_found and offset_out_of_range 404, invalid_argument
// 400, already_exists 409, too_large 413, would_block, closed, busy and timed_out 503, no_space
// 507, anything else 500. The JSON error code is the Errc's name.
int engine_error_status(Errc code);
void respond_engine_error(HttpExchange& exchange, const Error& error);
void respond_engine_error(const Completion& completion, const Error& error);

// Decimal digits only (no sign, no space), at most `max`. False otherwise.
bool parse_decimal(std::string_view text, uint64_t max, uint64_t* out);

// The N of a `Prefer: wait=N` header field (RFC 7240: seconds), at most `max`; nullopt when
// there is none. A malformed preference is ignored, as RFC 7240 asks.
std::optional<uint64_t> prefer_wait(const Request& request, uint64_t max);

// One event: {"partition", "offset", "timestamp", "key", "value", "headers": {name: value}}.
// A key, value or header value that is not UTF-8 is written base64-encoded as "key_b64",
// "value_b64" or inside "headers_b64"; a null one is null.
void write_record(JsonWriter& json, const Record& record);
// The same members without the braces, for objects that add their own.
void write_record_fields(JsonWriter& json, const Record& record);
// Payload bytes of a record (key, value and header values), for the fetched_bytes metric.
uint64_t record_bytes(const Record& record);

// {"name", "partitions": [{"partition", "earliest_offset", "latest_offset", "last_append_time",
// "size_bytes"}], and the config's fields}.
void write_topic(JsonWriter& json, const TopicDescription& topic);

}  // namespace sluice::server::http
