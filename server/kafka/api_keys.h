// The Kafka APIs sluiced answers, the versions it advertises, and where each API's flexible
// encoding (compact strings and arrays, tagged fields) begins.
//
// The ranges are chosen for the clients in ../shared/KAFKA_COMPAT.md: Produce includes v3 and
// Fetch v4 (record batches), the group APIs include v0, OffsetFetch stops before its flexible
// v6, and each maximum is one kafkajs can use as is (it takes min(its max, ours)).
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace sluice::server::kafka {

enum class ApiKey : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  init_producer_id = 22,
};

struct ApiRange {
  ApiKey key;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible;  // the first version with the flexible encoding (may be > max)
  const char* name;        // "Produce", as the protocol guide names it
};

// Every API sluiced answers, sorted by key.
std::span<const ApiRange> supported_apis();
// The API's range, or nullopt for an API sluiced does not answer.
std::optional<ApiRange> find_api(int16_t key);
// The name of any API key we know ("Produce"), or "Unknown".
const char* api_name(int16_t key);
// True when this version of the API uses the flexible encoding (request header v2, response
// header v1; ApiVersions' response header stays v0 at every version).
bool is_flexible(ApiKey key, int16_t version);

}  // namespace sluice::server::kafka
