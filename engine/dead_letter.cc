// Dead-lettering: the DLQ event, the DLQ topic made on first use, and Queues::dead_letter.
#include "engine/dead_letter.h"

#include "engine/producer_impl.h"
#include "engine/queues.h"
#include "engine/record_decoding.h"

#include "consumers/group_coordinator.h"
#include "io/assert.h"
#include "io/logger.h"

#include <sluice/queue.h>
#include <sluice/requests.h>

#include <charconv>

namespace sluice::engine {
namespace {

bool is_dlq_header(std::string_view key) {
  for (std::string_view name :
       {kDlqHeaderTopic, kDlqHeaderPartition, kDlqHeaderOffset, kDlqHeaderGroup,
        kDlqHeaderDeliveries, kDlqHeaderReason, kDlqHeaderTime}) {
    if (key == name) return true;
  }
  return false;
}

const std::string* header(const Record& record, std::string_view key) {
  for (const Header& h : record.headers) {
    if (h.key == key && h.value) return &*h.value;
  }
  return nullptr;
}

template <typename T>
bool parse_number(const std::string* text, T* out) {
  if (text == nullptr || text->empty()) return false;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *out);
  return ec == std::errc() && end == text->data() + text->size();
}

// The DLQ topic of `source`, made on first use as an ordinary topic with its partition count.
Result<std::shared_ptr<Topic>> ensure_dlq(Engine::Impl& engine, const Topic& source) {
  const std::string name = dlq_topic_name(source.name);
  Result<std::shared_ptr<Topic>> found = engine.find_topic(name);
  if (found.ok()) return found;
  TopicConfig config;
  config.partitions = source.config.partitions;
  config.max_event_bytes = std::min<uint32_t>(64u << 20, source.config.max_event_bytes + 65536);
  Result<void> made = engine.create_topic(name, config, TopicAccess::user);
  if (!made.ok() && made.code() != Errc::already_exists) return std::move(made).error();
  if (made.ok()) {
    engine.groups->set_topic_partitions(name, config.partitions);
    log_line(LogLevel::info, "queues: made the dead-letter topic " + name);
  }
  return engine.find_topic(name);
}

}  // namespace

std::string dlq_topic_name(std::string_view topic) {
  return std::string(topic) + std::string(kDlqSuffix);
}

Event make_dlq_event(const Record* original, std::string_view topic, int32_t partition,
                     int64_t offset, std::string_view group, uint32_t deliveries,
                     std::string_view reason, int64_t now_ms) {
  Event event;
  event.partition = partition;
  event.timestamp_ms = now_ms;
  auto add = [&](std::string_view key, std::string value) {
    event.headers.push_back({std::string(key), std::move(value)});
  };
  add(kDlqHeaderTopic, std::string(topic));
  add(kDlqHeaderPartition, std::to_string(partition));
  add(kDlqHeaderOffset, std::to_string(offset));
  add(kDlqHeaderGroup, std::string(group));
  add(kDlqHeaderDeliveries, std::to_string(deliveries));
  add(kDlqHeaderReason, std::string(reason));
  add(kDlqHeaderTime, std::to_string(now_ms));
  if (original != nullptr) {
    event.key = original->key;
    event.value = original->value.value_or("");
    for (const Header& h : original->headers) {
      if (!is_dlq_header(h.key)) event.headers.push_back(h);
    }
  }
  return event;
}

std::optional<DlqOrigin> dlq_origin(const Record& dlq_record) {
  DlqOrigin origin;
  const std::string* topic = header(dlq_record, kDlqHeaderTopic);
  const std::string* group = header(dlq_record, kDlqHeaderGroup);
  if (topic == nullptr || group == nullptr) return std::nullopt;
  if (!parse_number(header(dlq_record, kDlqHeaderPartition), &origin.partition) ||
      !parse_number(header(dlq_record, kDlqHeaderOffset), &origin.offset) || origin.partition < 0 ||
      origin.offset < 0) {
    return std::nullopt;
  }
  origin.topic = *topic;
  origin.group = *group;
  return origin;
}

Event replay_copy(const Record& dlq_record, int32_t partition) {
  Event event;
  event.partition = partition;
  event.key = dlq_record.key;
  event.value = dlq_record.value.value_or("");
  for (const Header& h : dlq_record.headers) {
    if (!is_dlq_header(h.key)) event.headers.push_back(h);
  }
  return event;
}

// ---- Queues: moving events to the DLQ ----

Result<std::vector<Delivery>> Queues::append_user_events(std::string_view topic,
                                                         std::vector<Event> events,
                                                         Durability durability) {
  std::vector<std::future<Result<Delivery>>> futures;
  {
    std::lock_guard lock(dlq_mutex_);
    if (!dlq_writer_) return Error(Errc::closed, "the engine is closing");
    dlq_writer_->options.durability = durability;
    for (Event& event : events) {
      std::promise<Result<Delivery>> promise;
      futures.push_back(promise.get_future());
      Result<void> sent = dlq_writer_->send(topic, std::move(event), {}, &promise);
      if (!sent.ok()) {
        futures.pop_back();
        (void)dlq_writer_->flush(std::chrono::hours(1));
        return std::move(sent).error();
      }
    }
    SLUICE_TRY(dlq_writer_->flush(std::chrono::hours(1)));
  }
  std::vector<Delivery> out;
  for (auto& future : futures) {
    Result<Delivery> delivered = future.get();
    if (!delivered.ok()) return std::move(delivered).error();
    out.push_back(*delivered);
  }
  return out;
}

std::vector<Result<void>> Queues::dead_letter(const std::shared_ptr<QueueState>& state,
                                              std::vector<consumers::DeadLetterDecision> decisions,
                                              Durability durability) {
  std::vector<Result<void>> results(decisions.size());
  auto give_back = [&](const Error& error) {
    {
      std::lock_guard lock(state->mutex);
      if (!state->forgotten) {
        for (const auto& d : decisions)
          state->table.dead_letter_failed(d.partition, d.offset);
      }
    }
    log_line(LogLevel::warning, "queue " + state->group + " on " + state->source->name +
                                    ": dead-lettering failed (the events will be delivered "
                                    "again): " +
                                    error.to_string());
    for (auto& result : results)
      result = error;
    kick();
    return results;
  };
  const Topic& source = *state->source;
  Result<std::shared_ptr<Topic>> dlq = ensure_dlq(engine_, source);
  if (!dlq.ok()) return give_back(dlq.error());
  const int32_t dlq_partitions = (*dlq)->config.partitions;
  const int64_t now = queue_wall_ms();
  std::vector<Event> events;
  std::vector<std::pair<std::string, std::string>> requests;  // id, reason
  std::vector<Record> read;
  for (const auto& d : decisions) {
    read.clear();
    const partitions::LogReader& reader =
        *source.partitions[static_cast<size_t>(d.partition)]->reader;
    Result<partitions::ReadResult> bytes = reader.read(d.offset, 1);
    if (bytes.ok()) {
      (void)decode_into(source.name, d.partition, bytes->bytes, d.offset, 1, read);
    }
    const Record* original =
        !read.empty() && read.front().offset == d.offset ? &read.front() : nullptr;
    Event event = make_dlq_event(original, source.name, d.partition, d.offset, state->group,
                                 d.delivery_count, d.reason, now);
    event.partition = d.partition % dlq_partitions;  // a DLQ made by hand may have fewer
    if (original != nullptr) {
      for (const Header& h : original->headers) {
        if (h.key == kRequestIdHeader && h.value) requests.emplace_back(*h.value, d.reason);
      }
    }
    events.push_back(std::move(event));
  }
  Result<std::vector<Delivery>> appended =
      append_user_events((*dlq)->name, std::move(events), durability);
  if (!appended.ok()) return give_back(appended.error());
  Result<PendingRecord> record = [&]() -> Result<PendingRecord> {
    std::lock_guard lock(state->mutex);
    if (state->forgotten) return PendingRecord{};
    consumers::DeadLetteredRecord body;
    for (const auto& d : decisions) {
      state->table.dead_lettered(d.partition, d.offset);
      body.events.push_back({d.partition, d.offset});
    }
    return write(*state, body, durability);
  }();
  if (record.ok())
    record = [&]() -> Result<PendingRecord> {
      SLUICE_TRY(wait(*record));
      return PendingRecord{};
    }();
  if (!record.ok()) {
    for (auto& result : results)
      result = record.error();
  }
  for (const auto& [id, reason] : requests)
    engine_.request_dead_lettered(id, reason);
  return results;
}

}  // namespace sluice::engine
