// The set-up that the sluice-bench http workloads share, over sluiced's HTTP API: make a topic
// (PUT /v1/topics/{t}), fill it (POST /v1/topics/{t}/events, outside the measured time) and
// read back what each partition holds (GET /v1/topics/{t}).
//
// Thread-safety: plain functions on the caller's HttpClient.
#pragma once

#include "bench/sluice_bench/remote_bench.h"
#include "tools/common/http_client.h"

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

struct PartitionRange {
  int32_t partition = 0;
  int64_t earliest = 0;
  int64_t latest = 0;  // the next offset
};

// An answer that is not the one expected, as an error naming the request.
Error http_error(const std::string& what, const tools::HttpResponse& response);

// PUT /v1/topics/{topic} with o.partitions partitions and `extra_fields` (JSON members after a
// comma, such as "\"queue\": {...}", or empty).
Result<void> create_topic(tools::HttpClient& http, const RemoteOptions& o, const std::string& topic,
                          std::string_view extra_fields = {});
// o.fill_events events of o.event_bytes random letters, to the partitions in turn.
Result<void> fill_topic(tools::HttpClient& http, const RemoteOptions& o, const std::string& topic);
// The partitions that hold events, with their offsets.
Result<std::vector<PartitionRange>> filled_ranges(tools::HttpClient& http,
                                                  const std::string& topic);
// The server's HttpClient for a benchmark: "sluiced" in messages, a timeout past any wait the
// workloads ask for.
Result<tools::HttpClient> connect_sluiced(const std::string& address);

}  // namespace sluice::bench
