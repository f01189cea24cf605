// QueueTable::apply: the rebuild of a table from the records of __queue_state, in log order
// (consumers/FORMAT.md says what each record means).
#include "consumers/queue_table.h"

#include "io/assert.h"

#include <string>
#include <type_traits>

namespace sluice::consumers {

namespace {

// Every position a record names (each must be a partition of the table).
std::vector<EventPosition> named_positions(const QueueRecordBody& body) {
  std::vector<EventPosition> named;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, DeliverRecord> || std::is_same_v<T, RetryRecord>) {
          for (const auto& e : r.entries)
            named.push_back({e.partition, e.offset});
        } else if constexpr (std::is_same_v<T, AckRecord> ||
                             std::is_same_v<T, DeadLetteredRecord>) {
          named = r.events;
        } else if constexpr (std::is_same_v<T, ReplayedRecord>) {
          for (const auto& e : r.entries)
            named.push_back(e.source);
        }
      },
      body);
  return named;
}

}  // namespace

Result<void> QueueTable::apply(const QueueRecordBody& body) {
  for (const EventPosition& position : named_positions(body)) {
    if (part(position.partition) == nullptr) {
      return Error(Errc::corruption, "queue state record names partition " +
                                         std::to_string(position.partition) + " of a topic with " +
                                         std::to_string(parts_.size()));
    }
  }

  if (const auto* deliver = std::get_if<DeliverRecord>(&body)) {
    for (const DeliverEntry& d : deliver->entries) {
      Part& p = parts_[static_cast<size_t>(d.partition)];
      auto it = p.pending.find(d.offset);
      uint32_t index;
      if (it != p.pending.end()) {
        index = it->second;
      } else {
        if (handled(d.partition, d.offset)) continue;  // handled before the table's start
        index = add_entry(p, d.partition, d.offset, d.has_key, d.key_hash);
        set_state(entries_[index], EntryState::blocked);
      }
      Entry& e = entries_[index];
      if (d.delivery_count > 1) ++redelivered_;
      e.delivery_count = d.delivery_count;
      e.token = d.token;
      e.reason.clear();
      if (e.first_delivered_ms == 0) e.first_delivered_ms = deliver->delivered_ms;
      start_timer(index, EntryState::locked, deliver->lock_expires_ms);
    }
    return {};
  }
  if (const auto* ack = std::get_if<AckRecord>(&body)) {
    for (const EventPosition& a : ack->events) {
      drop(a.partition, a.offset);
      ++acked_;
    }
    return {};
  }
  if (const auto* retry = std::get_if<RetryRecord>(&body)) {
    for (const RetryEntry& r : retry->entries) {
      Part& p = parts_[static_cast<size_t>(r.partition)];
      auto it = p.pending.find(r.offset);
      if (it == p.pending.end()) {
        if (handled(r.partition, r.offset)) continue;
        // Its deliver record is missing (it precedes the retry in the log, so this is not
        // expected): keep the event rather than lose it.
        const uint32_t index = add_entry(p, r.partition, r.offset, false, 0);
        set_state(entries_[index], EntryState::blocked);
        entries_[index].delivery_count = 1;
        it = p.pending.find(r.offset);
      }
      entries_[it->second].reason = retry->reason;
      start_timer(it->second, EntryState::waiting, r.due_ms);
    }
    return {};
  }
  if (const auto* dead = std::get_if<DeadLetteredRecord>(&body)) {
    for (const EventPosition& d : dead->events) {
      drop(d.partition, d.offset);
      ++dead_lettered_;
    }
    return {};
  }
  if (const auto* replayed = std::get_if<ReplayedRecord>(&body)) {
    for (const ReplayEntry& r : replayed->entries) {
      (void)claim_replay(r.dlq);
      record_replay(r.dlq);
      if (r.source.offset >= 0) {
        (void)reinstate(r.source.partition, r.source.offset, r.has_key, r.key_hash);
      }
    }
    return {};
  }
  return Error(Errc::invalid_argument,
               "start, forget and snapshot records make and drop tables: the "
               "owner of the tables applies them");
}

}  // namespace sluice::consumers
