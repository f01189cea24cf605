#include "bench/sluice_bench/http_topic.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>

namespace sluice::bench {
namespace {

// sluiced takes at most 512 events per POST (server/http/produce_handler.cc).
constexpr uint64_t kFillEventsPerRequest = 500;

// One POST body: `count` events of letters, to the partitions in turn from `first`.
std::string fill_body(const RemoteOptions& o, uint64_t first, uint64_t count,
                      const std::string& value) {
  std::string body = "[";
  for (uint64_t i = first; i < first + count; ++i) {
    if (i > first) body += ',';
    body += "{\"partition\":" + std::to_string(i % o.partitions) + ",\"value\":\"" + value + "\"}";
  }
  body += ']';
  return body;
}

}  // namespace

Error http_error(const std::string& what, const tools::HttpResponse& response) {
  return Error(Errc::io_error, what + ": HTTP " + std::to_string(response.status) + " " +
                                   response.body.substr(0, 200));
}

Result<tools::HttpClient> connect_sluiced(const std::string& address) {
  tools::HttpClientOptions options;
  options.server_name = "sluiced";
  options.timeout = std::chrono::seconds(60);
  return tools::HttpClient::connect(address, options);
}

Result<void> create_topic(tools::HttpClient& http, const RemoteOptions& o, const std::string& topic,
                          std::string_view extra_fields) {
  std::string body = "{\"partitions\": " + std::to_string(o.partitions);
  if (!extra_fields.empty()) body.append(", ").append(extra_fields);
  body += "}";
  const std::string path = "/v1/topics/" + tools::percent_encode(topic);
  Result<tools::HttpResponse> response = http.request("PUT", path, body);
  if (!response.ok()) return std::move(response).error();
  if (response->status != 200 && response->status != 201) {
    return http_error("PUT " + path, *response);
  }
  return {};
}

Result<void> fill_topic(tools::HttpClient& http, const RemoteOptions& o, const std::string& topic) {
  std::mt19937_64 rng(42);
  std::string value(o.event_bytes, 'a');
  for (char& c : value)
    c = static_cast<char>('a' + rng() % 26);
  const std::string path = "/v1/topics/" + tools::percent_encode(topic) + "/events";
  for (uint64_t first = 0; first < o.fill_events; first += kFillEventsPerRequest) {
    const uint64_t count = std::min(kFillEventsPerRequest, o.fill_events - first);
    Result<tools::HttpResponse> response = http.post(path, fill_body(o, first, count, value));
    if (!response.ok()) return std::move(response).error();
    if (response->status != 200) return http_error("POST " + path, *response);
  }
  return {};
}

Result<std::vector<PartitionRange>> filled_ranges(tools::HttpClient& http,
                                                  const std::string& topic) {
  const std::string path = "/v1/topics/" + tools::percent_encode(topic);
  Result<tools::HttpResponse> response = http.get(path);
  if (!response.ok()) return std::move(response).error();
  if (response->status != 200) return http_error("GET " + path, *response);
  const nlohmann::json description = nlohmann::json::parse(response->body, nullptr, false);
  const Error not_a_description(Errc::invalid_argument,
                                "GET " + path + ": not a topic description");
  if (!description.is_object()) return not_a_description;
  const auto partitions = description.find("partitions");
  if (partitions == description.end() || !partitions->is_array()) return not_a_description;
  std::vector<PartitionRange> ranges;
  for (const auto& p : *partitions) {
    if (!p.is_object()) continue;
    PartitionRange range;
    const auto field = [&](const char* name) -> int64_t {
      const auto it = p.find(name);
      return it != p.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
    };
    range.partition = static_cast<int32_t>(field("partition"));
    range.earliest = field("earliest_offset");
    range.latest = field("latest_offset");
    if (range.latest > range.earliest) ranges.push_back(range);
  }
  if (ranges.empty()) return Error(Errc::not_found, "the fill left every partition empty");
  return ranges;
}

}  // namespace sluice::bench
