// Dead-letter events: what a dead-lettered event becomes in <topic>.dlq, and how a DLQ event
// says where it came from. Queues::dead_letter (dead_letter.cc) moves events there;
// Engine::replay_dlq (dlq_replay.cc) puts them back. Private to engine/.
//
// A DLQ event is the original's key, value and headers, with the kDlqHeader* headers of
// include/sluice/queue.h first, in the DLQ partition with the original's index.
//
// Thread-safety: pure functions.
#pragma once

#include <sluice/event.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::engine {

std::string dlq_topic_name(std::string_view topic);

struct DlqOrigin {
  std::string topic;
  std::string group;
  int32_t partition = -1;
  int64_t offset = -1;
};

// `original` is null when the event could not be read any more (retention): the DLQ event
// then carries the headers alone.
Event make_dlq_event(const Record* original, std::string_view topic, int32_t partition,
                     int64_t offset, std::string_view group, uint32_t deliveries,
                     std::string_view reason, int64_t now_ms);
// nullopt when the DLQ headers are missing or malformed (not an event sluice dead-lettered).
std::optional<DlqOrigin> dlq_origin(const Record& dlq_record);
// The event a replay appends when the original is gone: the DLQ event's key, value and
// headers without the kDlqHeader* ones, in the original partition.
Event replay_copy(const Record& dlq_record, int32_t partition);

}  // namespace sluice::engine
