#include "server/http/api_support.h"

#include "server/http/http_session.h"
#include "server/http/request.h"

#include <algorithm>
#include <cstdio>

namespace sluice::server::http {

int engine_error_status(Errc code) {
  switch (code) {
    case Errc::not_found:
    case Errc::offset_out_of_range:
      return 404;
    case Errc::invalid_argument:
    case Errc::empty_batch:
      return 400;
    case Errc::already_exists:
    case Errc::conflict:
    case Errc::lock_lost:
      return 409;
    case Errc::too_large:
      return 413;
    case Errc::would_block:
    case Errc::closed:
    case Errc::busy:
    case Errc::timed_out:
      return 503;
    case Errc::no_space:
      return 507;
    default:
      return 500;
  }
}

void respond_engine_error(HttpExchange& exchange, const Error& error) {
  exchange.respond_error(engine_error_status(error.code()), errc_name(error.code()),
                         error.message());
}

void respond_engine_error(const Completion& completion, const Error& error) {
  completion.respond_error(engine_error_status(error.code()), errc_name(error.code()),
                           error.message());
}

bool parse_decimal(std::string_view text, uint64_t max, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

std::optional<uint64_t> prefer_wait(const Request& request, uint64_t max) {
  auto trim = [](std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
      text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
      text.remove_suffix(1);
    return text;
  };
  for (const HeaderField& field : request.headers) {
    if (!equals_ignore_case(field.name, "prefer")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view preference = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      preference = trim(preference.substr(0, preference.find(';')));  // parameters do not apply
      const size_t equals = preference.find('=');
      if (equals == std::string_view::npos) continue;
      if (!equals_ignore_case(trim(preference.substr(0, equals)), "wait")) continue;
      std::string_view value = trim(preference.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      uint64_t seconds = 0;
      if (!parse_decimal(value, UINT64_MAX, &seconds)) continue;
      return std::min(seconds, max);
    }
  }
  return std::nullopt;
}

void write_record(JsonWriter& json, const Record& record) {
  json.begin_object();
  write_record_fields(json, record);
  json.end_object();
}

void write_record_fields(JsonWriter& json, const Record& record) {
  json.field("partition", int64_t{record.partition});
  json.field("offset", record.offset);
  json.field("timestamp", record.timestamp_ms);
  if (!record.key) {
    json.key("key");
    json.null();
  } else if (is_utf8(*record.key)) {
    json.field("key", *record.key);
  } else {
    json.key("key_b64");
    json.string_base64(*record.key);
  }
  if (!record.value) {
    json.key("value");
    json.null();
  } else if (is_utf8(*record.value)) {
    json.field("value", *record.value);
  } else {
    json.key("value_b64");
    json.string_base64(*record.value);
  }
  json.key("headers");
  json.begin_object();
  bool binary_headers = false;
  for (const Header& header : record.headers) {
    if (header.value && !is_utf8(*header.value)) {
      binary_headers = true;
      continue;
    }
    json.key_lossy(header.key);
    if (header.value) {
      json.string(*header.value);
    } else {
      json.null();
    }
  }
  json.end_object();
  if (binary_headers) {
    json.key("headers_b64");
    json.begin_object();
    for (const Header& header : record.headers) {
      if (!header.value || is_utf8(*header.value)) continue;
      json.key_lossy(header.key);
      json.string_base64(*header.value);
    }
    json.end_object();
  }
}

uint64_t record_bytes(const Record& record) {
  uint64_t bytes =
      (record.key ? record.key->size() : 0) + (record.value ? record.value->size() : 0);
  for (const Header& header : record.headers)
    bytes += header.key.size() + (header.value ? header.value->size() : 0);
  return bytes;
}

void write_topic(JsonWriter& json, const TopicDescription& topic) {
  json.begin_object();
  json.field("name", topic.name);
  json.key("partitions");
  json.begin_array();
  for (const PartitionState& p : topic.partitions) {
    json.begin_object();
    json.field("partition", int64_t{p.partition});
    json.field("earliest_offset", p.earliest_offset);
    json.field("latest_offset", p.latest_offset);
    json.key("last_append_time");
    if (p.last_append_time_ms < 0) {
      json.null();
    } else {
      json.number(p.last_append_time_ms);
    }
    json.key("size_bytes");
    json.number(p.size_bytes);
    json.end_object();
  }
  json.end_array();
  const TopicConfig& c = topic.config;
  json.field("retention_ms", c.retention_ms);
  json.field("retention_bytes", c.retention_bytes);
  json.key("segment_bytes");
  json.number(c.segment_bytes);
  json.field("segment_ms", c.segment_ms);
  json.key("keyed_index");
  json.boolean(c.keyed_index);
  json.key("max_event_bytes");
  json.number(c.max_event_bytes);
  json.key("queue");
  json.begin_object();
  json.key("max_deliveries");
  json.number(c.queue.max_deliveries);
  json.field("lock_ms", static_cast<int64_t>(c.queue.lock_duration.count()));
  json.key("retry");
  json.begin_object();
  json.field("initial_ms", static_cast<int64_t>(c.queue.retry.initial.count()));
  char number[32];
  json.key("multiplier");
  json.raw(std::string_view(number, static_cast<size_t>(std::snprintf(number, sizeof number, "%.6g",
                                                                      c.queue.retry.multiplier))));
  json.field("max_ms", static_cast<int64_t>(c.queue.retry.maximum.count()));
  json.key("jitter");
  json.raw(std::string_view(number, static_cast<size_t>(std::snprintf(number, sizeof number, "%.6g",
                                                                      c.queue.retry.jitter))));
  json.end_object();
  json.end_object();
  json.end_object();
}

}  // namespace sluice::server::http
