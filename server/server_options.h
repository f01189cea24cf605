// ServerOptions: what sluiced is told (flags, a TOML file, SLUICE_* environment variables; see
// tools/sluiced/), as the server layer needs it.
//
// Thread-safety: a plain value, read-only once the server starts.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::server {

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (tests), reported by Server::kafka_port()/http_port()
};

struct KafkaLimits {
  uint32_t max_request_bytes = 100u << 20;  // a frame above this closes the connection
  uint32_t max_in_flight_requests = 64;     // per connection; reading pauses beyond it
};

struct HttpLimits {
  uint32_t max_header_bytes = 16u << 10;  // request line and headers: 431 above this
  uint32_t max_body_bytes = 8u << 20;     // 413 above this
  uint32_t max_in_flight_requests = 16;   // pipelined requests per connection
};

struct ServerOptions {
  Endpoint kafka{"127.0.0.1", 9092};
  Endpoint http{"127.0.0.1", 8080};
  bool kafka_enabled = true;
  bool http_enabled = true;
  // Metadata names this host and port as the broker; empty: the Kafka listener's (a wildcard
  // listener advertises 127.0.0.1).
  std::string advertised_host;
  uint16_t advertised_port = 0;
  uint32_t max_connections = 10000;
  KafkaLimits kafka_limits;
  HttpLimits http_limits;
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
};

}  // namespace sluice::server
