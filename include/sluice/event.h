// Events as producers send them and as consumers and queries receive them.
//
// Keys, values and header values are byte strings held in std::string (any bytes, not only
// UTF-8). A missing key (std::nullopt) differs from an empty one: an event without a key goes
// to a sticky partition, an event with a key to XXH3-64(key) mod partitions.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct Header {
  std::string key;
  std::optional<std::string> value;  // std::nullopt: a null value (Kafka allows one)
  friend bool operator==(const Header&, const Header&) = default;
};

// What Producer::send takes.
struct Event {
  std::optional<std::string> key;
  std::string value;
  std::vector<Header> headers;
  int64_t timestamp_ms = -1;  // -1: the time of send()
  int32_t partition = -1;     // >= 0: this partition; -1: chosen by key (or sticky)
};

// Where a sent event was stored.
struct Delivery {
  int32_t partition = -1;
  int64_t offset = -1;
};

// What a consumer or a query receives: one stored event with its position.
struct Record {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;  // std::nullopt: a null value (a Kafka tombstone)
  std::vector<Header> headers;
};

}  // namespace sluice
