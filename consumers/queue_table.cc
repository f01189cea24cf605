#include "consumers/queue_table.h"

#include "io/assert.h"

#include <algorithm>
#include <climits>
#include <functional>

namespace sluice::consumers {
namespace {

constexpr uint64_t kPendingSlack = 1024;
constexpr size_t kTimerSlack = 4096;

}  // namespace

QueueTable::QueueTable(std::vector<int64_t> start_offsets, const QueueSettings& settings,
                       uint64_t seed)
    : settings_(settings), random_(seed) {
  SLUICE_ASSERT(!start_offsets.empty());
  parts_.resize(start_offsets.size());
  for (size_t p = 0; p < start_offsets.size(); ++p) {
    SLUICE_ASSERT(start_offsets[p] >= 0);
    parts_[p].floor = start_offsets[p];
    parts_[p].cursor = start_offsets[p];
  }
}

void QueueTable::set_settings(const QueueSettings& settings) {
  const bool rekey = settings.key_order != settings_.key_order;
  settings_ = settings;
  if (rekey) rebuild_keys();
}

// ---- Entries ----

QueueTable::Part* QueueTable::part(int32_t partition) {
  if (partition < 0 || static_cast<size_t>(partition) >= parts_.size()) return nullptr;
  return &parts_[static_cast<size_t>(partition)];
}

const QueueTable::Part* QueueTable::part(int32_t partition) const {
  if (partition < 0 || static_cast<size_t>(partition) >= parts_.size()) return nullptr;
  return &parts_[static_cast<size_t>(partition)];
}

QueueTable::Entry* QueueTable::pending_entry(int32_t partition, int64_t offset) {
  Part* p = part(partition);
  if (p == nullptr) return nullptr;
  auto it = p->pending.find(offset);
  return it == p->pending.end() ? nullptr : &entries_[it->second];
}

uint32_t QueueTable::add_entry(Part& p, int32_t partition, int64_t offset, bool has_key,
                               uint64_t key_hash) {
  uint32_t index;
  if (free_entries_.empty()) {
    index = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  } else {
    index = free_entries_.back();
    free_entries_.pop_back();
  }
  Entry& e = entries_[index];
  SLUICE_ASSERT(e.state == EntryState::free);
  e.offset = offset;
  e.partition = partition;
  e.delivery_count = 0;
  e.has_key = has_key;
  e.key_hash = has_key ? key_hash : 0;
  e.token = 0;
  e.deadline_ms = 0;
  e.first_delivered_ms = 0;
  e.reason.clear();
  const bool inserted = p.pending.emplace(offset, index).second;
  SLUICE_ASSERT(inserted);
  ++pending_;
  if (key_tracked(e)) p.keys[e.key_hash].offsets.insert(offset);
  // Ready or blocked: set by the caller through set_state (counted from free).
  return index;
}

void QueueTable::free_entry(uint32_t index) {
  Entry& e = entries_[index];
  SLUICE_ASSERT(e.state != EntryState::free);
  set_state(e, EntryState::free);
  Part& p = parts_[static_cast<size_t>(e.partition)];
  p.pending.erase(e.offset);
  --pending_;
  if (key_tracked(e)) {
    auto line = p.keys.find(e.key_hash);
    SLUICE_ASSERT(line != p.keys.end());
    line->second.offsets.erase(e.offset);
    promote(e.partition, e.key_hash);
  }
  e.reason.clear();
  free_entries_.push_back(index);
}

// Every state change goes through here: the counts and the keys' active counts follow.
void QueueTable::set_state(Entry& e, EntryState state) {
  const EntryState old = e.state;
  if (old == state) return;
  if (old != EntryState::free) --counts_[static_cast<size_t>(old)];
  if (state != EntryState::free) ++counts_[static_cast<size_t>(state)];
  e.state = state;
  ++e.generation;
  if (key_tracked(e) && active(old) != active(state)) {
    KeyLine& line = parts_[static_cast<size_t>(e.partition)].keys[e.key_hash];
    if (active(state)) {
      ++line.active;
    } else {
      SLUICE_ASSERT(line.active > 0);
      --line.active;
    }
  }
}

bool QueueTable::deliverable(const Entry& e) const {
  if (!key_tracked(e)) return true;
  const Part& p = parts_[static_cast<size_t>(e.partition)];
  auto line = p.keys.find(e.key_hash);
  SLUICE_ASSERT(line != p.keys.end() && !line->second.offsets.empty());
  return line->second.active == 0 && *line->second.offsets.begin() == e.offset;
}

// The key's earliest pending event may go when none of the key is active.
void QueueTable::promote(int32_t partition, uint64_t key_hash) {
  Part& p = parts_[static_cast<size_t>(partition)];
  auto line = p.keys.find(key_hash);
  if (line == p.keys.end()) return;
  if (line->second.offsets.empty()) {
    if (line->second.active == 0) p.keys.erase(line);
    return;
  }
  if (line->second.active != 0) return;
  const uint32_t head = p.pending.at(*line->second.offsets.begin());
  if (entries_[head].state == EntryState::blocked) make_ready(head);
}

void QueueTable::rebuild_keys() {
  for (Part& p : parts_)
    p.keys.clear();
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.state == EntryState::free || !key_tracked(e)) continue;
    KeyLine& line = parts_[static_cast<size_t>(e.partition)].keys[e.key_hash];
    line.offsets.insert(e.offset);
    if (active(e.state)) ++line.active;
  }
  // Ready entries that are not their key's turn wait; blocked ones whose turn it is go.
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (e.state == EntryState::blocked && deliverable(e)) make_ready(i);
    if (e.state == EntryState::ready && !deliverable(e)) set_state(e, EntryState::blocked);
  }
}

void QueueTable::make_ready(uint32_t index) {
  Entry& e = entries_[index];
  set_state(e, EntryState::ready);
  ready_.push_back({index, e.generation});
}

void QueueTable::start_timer(uint32_t index, EntryState state, int64_t at_ms) {
  Entry& e = entries_[index];
  set_state(e, state);
  ++e.generation;  // a new deadline even when the state stays
  e.deadline_ms = at_ms;
  timers_.push_back({at_ms, index, e.generation});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
  compact_timers();
}

// Items of entries that changed since stay in the heap until their time; when they outnumber
// the live ones, the heap is rebuilt from the entries.
void QueueTable::compact_timers() {
  const uint64_t live = count(EntryState::locked) + count(EntryState::waiting);
  if (timers_.size() <= 2 * live + kTimerSlack) return;
  timers_.clear();
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.state == EntryState::locked || e.state == EntryState::waiting) {
      timers_.push_back({e.deadline_ms, i, e.generation});
    }
  }
  std::make_heap(timers_.begin(), timers_.end(), std::greater<>());
}

void QueueTable::lock(uint32_t index, int64_t now_ms, int64_t lock_ms,
                      std::vector<QueueDelivery>& out) {
  Entry& e = entries_[index];
  ++e.delivery_count;
  if (e.delivery_count > 1) ++redelivered_;
  if (e.first_delivered_ms == 0) e.first_delivered_ms = now_ms;
  do {
    e.token = random_.next();
  } while (e.token == 0);
  e.reason.clear();
  start_timer(index, EntryState::locked, now_ms + lock_ms);
  out.push_back(
      {e.partition, e.offset, e.delivery_count, e.token, e.deadline_ms, e.has_key, e.key_hash});
}

uint64_t QueueTable::pending_limit() const {
  return std::max<uint64_t>(2ull * settings_.max_in_flight,
                            uint64_t{settings_.max_in_flight} + kPendingSlack);
}

// ---- Receive ----

void QueueTable::take_ready(int64_t now_ms, int64_t lock_ms, uint32_t max,
                            std::vector<QueueDelivery>& out) {
  SLUICE_ASSERT(lock_ms > 0);
  while (out.size() < max && count(EntryState::locked) < settings_.max_in_flight &&
         !ready_.empty()) {
    const Queued item = ready_.front();
    ready_.pop_front();
    Entry& e = entries_[item.index];
    if (e.generation != item.generation || e.state != EntryState::ready) continue;
    if (!deliverable(e)) {
      // A replay put an earlier event of its key back: that one goes first (it may be blocked
      // itself, waiting for this one, which was active when it came back).
      set_state(e, EntryState::blocked);
      promote(e.partition, e.key_hash);
      continue;
    }
    lock(item.index, now_ms, lock_ms, out);
  }
}

bool QueueTable::can_take_new() const {
  return count(EntryState::locked) < settings_.max_in_flight && pending_ < pending_limit();
}

int64_t QueueTable::cursor(int32_t partition) const {
  const Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  return p->cursor;
}

size_t QueueTable::offer(int32_t partition, std::span<const NewEvent> events, int64_t now_ms,
                         int64_t lock_ms, uint32_t max, std::vector<QueueDelivery>& out) {
  Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  SLUICE_ASSERT(lock_ms > 0);
  size_t consumed = 0;
  for (const NewEvent& event : events) {
    if (out.size() >= max || !can_take_new()) break;
    SLUICE_ASSERT_MSG(event.offset >= p->cursor, "events offered below the cursor");
    p->cursor = event.offset + 1;
    ++consumed;
    if (p->pending.contains(event.offset) || handled(partition, event.offset)) continue;
    const uint32_t index = add_entry(*p, partition, event.offset, event.has_key, event.key_hash);
    Entry& e = entries_[index];
    set_state(e, EntryState::blocked);
    if (deliverable(e)) lock(index, now_ms, lock_ms, out);
  }
  return consumed;
}

void QueueTable::advance_cursor(int32_t partition, int64_t offset) {
  Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  p->cursor = std::max(p->cursor, offset);
}

void QueueTable::skip_gone(int32_t partition, int64_t start_offset) {
  Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  p->cursor = std::max(p->cursor, start_offset);
  if (p->floor >= start_offset) return;
  p->floor = start_offset;
  // Ranges below the new floor say nothing any more; one that reaches past it carries on.
  while (!p->handled.empty() && p->handled.begin()->first <= p->floor) {
    p->floor = std::max(p->floor, p->handled.begin()->second);
    p->handled.erase(p->handled.begin());
  }
  p->cursor = std::max(p->cursor, p->floor);
}

// ---- Handled offsets ----

bool QueueTable::handled(int32_t partition, int64_t offset) const {
  const Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  if (p->pending.contains(offset)) return false;
  if (offset < p->floor) return true;
  auto it = p->handled.upper_bound(offset);
  if (it == p->handled.begin()) return false;
  --it;
  return offset < it->second;
}

void QueueTable::mark_handled(Part& p, int64_t offset) {
  if (offset < p.floor) return;  // a replayed event below the floor
  if (offset == p.floor) {
    ++p.floor;
    while (!p.handled.empty() && p.handled.begin()->first <= p.floor) {
      p.floor = std::max(p.floor, p.handled.begin()->second);
      p.handled.erase(p.handled.begin());
    }
    p.cursor = std::max(p.cursor, p.floor);
    return;
  }
  auto next = p.handled.upper_bound(offset);  // first range starting after offset
  if (next != p.handled.begin()) {
    auto prev = std::prev(next);
    if (offset < prev->second) return;  // already handled
    if (prev->second == offset) {
      prev->second = offset + 1;
      if (next != p.handled.end() && next->first == prev->second) {
        prev->second = next->second;
        p.handled.erase(next);
      }
      return;
    }
  }
  if (next != p.handled.end() && next->first == offset + 1) {
    const int64_t end = next->second;
    p.handled.erase(next);
    p.handled.emplace(offset, end);
    return;
  }
  p.handled.emplace(offset, offset + 1);
}

void QueueTable::unmark_handled(Part& p, int64_t offset) {
  if (offset < p.floor) return;
  auto it = p.handled.upper_bound(offset);
  if (it == p.handled.begin()) return;
  --it;
  if (offset >= it->second) return;
  const int64_t start = it->first;
  const int64_t end = it->second;
  p.handled.erase(it);
  if (start < offset) p.handled.emplace(start, offset);
  if (offset + 1 < end) p.handled.emplace(offset + 1, end);
}

// ---- Ack and nack ----

LockCheck QueueTable::check(int32_t partition, int64_t offset, uint64_t token,
                            int64_t now_ms) const {
  const Part* p = part(partition);
  if (p == nullptr) return LockCheck::bad_partition;
  auto it = p->pending.find(offset);
  if (it == p->pending.end()) return LockCheck::not_found;
  const Entry& e = entries_[it->second];
  if (e.state != EntryState::locked || e.token != token || now_ms >= e.deadline_ms) {
    return LockCheck::lock_lost;
  }
  return LockCheck::ok;
}

LockCheck QueueTable::ack(int32_t partition, int64_t offset, uint64_t token, int64_t now_ms) {
  const LockCheck checked = check(partition, offset, token, now_ms);
  if (checked != LockCheck::ok) return checked;
  Part& p = parts_[static_cast<size_t>(partition)];
  free_entry(p.pending.at(offset));
  mark_handled(p, offset);
  ++acked_;
  return LockCheck::ok;
}

LockCheck QueueTable::nack(int32_t partition, int64_t offset, uint64_t token, int64_t now_ms,
                           const QueueSettings& settings, std::string_view reason,
                           std::optional<int64_t> retry_after_ms, int64_t* due_ms,
                           std::vector<DeadLetterDecision>& dead) {
  const LockCheck checked = check(partition, offset, token, now_ms);
  if (checked != LockCheck::ok) return checked;
  const uint32_t index = parts_[static_cast<size_t>(partition)].pending.at(offset);
  Entry& e = entries_[index];
  e.reason.assign(reason);
  if (e.delivery_count >= settings.max_deliveries) {
    set_state(e, EntryState::dead_lettering);
    dead.push_back({partition, offset, e.delivery_count, e.reason});
    *due_ms = -1;
    return LockCheck::ok;
  }
  const int64_t delay = retry_after_ms
                            ? std::max<int64_t>(0, *retry_after_ms)
                            : backoff_delay_ms(settings.retry, e.delivery_count, random_.unit());
  *due_ms = now_ms + delay;
  if (delay == 0) {
    make_ready(index);
  } else {
    start_timer(index, EntryState::waiting, *due_ms);
  }
  return LockCheck::ok;
}

// ---- Time ----

int64_t QueueTable::next_deadline_ms() {
  while (!timers_.empty()) {
    const Timer& top = timers_.front();
    const Entry& e = entries_[top.index];
    if (e.generation == top.generation) return top.at_ms;
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
  }
  return INT64_MAX;
}

void QueueTable::expire(int64_t now_ms, std::vector<DeadLetterDecision>& dead) {
  while (!timers_.empty() && timers_.front().at_ms <= now_ms) {
    const Timer top = timers_.front();
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
    Entry& e = entries_[top.index];
    if (e.generation != top.generation) continue;
    if (e.state == EntryState::locked && e.delivery_count >= settings_.max_deliveries) {
      if (e.reason.empty()) e.reason = "lock expired";
      set_state(e, EntryState::dead_lettering);
      dead.push_back({e.partition, e.offset, e.delivery_count, e.reason});
      continue;
    }
    SLUICE_ASSERT(e.state == EntryState::locked || e.state == EntryState::waiting);
    make_ready(top.index);
    // A key's events wait while it is locked or waiting; ready, the next may not go before it,
    // and it is the key's head, so nothing to promote.
  }
}

bool QueueTable::has_ready() {
  while (!ready_.empty()) {
    const Queued item = ready_.front();
    const Entry& e = entries_[item.index];
    if (e.generation == item.generation && e.state == EntryState::ready) return true;
    ready_.pop_front();
  }
  return false;
}

// ---- Dead-lettering ----

void QueueTable::dead_lettered(int32_t partition, int64_t offset) {
  Entry* e = pending_entry(partition, offset);
  SLUICE_ASSERT(e != nullptr && e->state == EntryState::dead_lettering);
  Part& p = parts_[static_cast<size_t>(partition)];
  free_entry(p.pending.at(offset));
  mark_handled(p, offset);
  ++dead_lettered_;
}

void QueueTable::dead_letter_failed(int32_t partition, int64_t offset) {
  Entry* e = pending_entry(partition, offset);
  SLUICE_ASSERT(e != nullptr && e->state == EntryState::dead_lettering);
  make_ready(parts_[static_cast<size_t>(partition)].pending.at(offset));
}

void QueueTable::drop(int32_t partition, int64_t offset) {
  Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  auto it = p->pending.find(offset);
  if (it != p->pending.end()) free_entry(it->second);
  mark_handled(*p, offset);
}

// ---- Replay ----

bool QueueTable::replayed(const EventPosition& dlq) const {
  return replayed_.contains({dlq.partition, dlq.offset});
}

bool QueueTable::claim_replay(const EventPosition& dlq) {
  if (!replayed_.emplace(dlq.partition, dlq.offset).second) return false;
  unrecorded_claims_.emplace(dlq.partition, dlq.offset);
  ++replayed_count_;
  return true;
}

void QueueTable::unclaim_replay(const EventPosition& dlq) {
  unrecorded_claims_.erase({dlq.partition, dlq.offset});
  if (replayed_.erase({dlq.partition, dlq.offset}) > 0) --replayed_count_;
}

void QueueTable::record_replay(const EventPosition& dlq) {
  SLUICE_ASSERT(replayed_.contains({dlq.partition, dlq.offset}));
  unrecorded_claims_.erase({dlq.partition, dlq.offset});
}

bool QueueTable::reinstate(int32_t partition, int64_t offset, bool has_key, uint64_t key_hash) {
  Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  SLUICE_ASSERT(offset >= 0);
  if (p->pending.contains(offset)) return false;
  unmark_handled(*p, offset);
  const uint32_t index = add_entry(*p, partition, offset, has_key, key_hash);
  Entry& e = entries_[index];
  set_state(e, EntryState::blocked);
  if (deliverable(e)) make_ready(index);
  // An offset at or past the cursor is skipped when it is offered: it is pending now.
  return true;
}

// ---- Positions and statistics ----

int64_t QueueTable::commit_position(int32_t partition) const {
  const Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  int64_t position = p->floor;
  for (const auto& [offset, index] : p->pending)
    position = std::min(position, offset);
  return position;
}

int64_t QueueTable::floor(int32_t partition) const {
  const Part* p = part(partition);
  SLUICE_ASSERT(p != nullptr);
  return p->floor;
}

std::optional<EntryView> QueueTable::find(int32_t partition, int64_t offset) const {
  const Part* p = part(partition);
  if (p == nullptr) return std::nullopt;
  auto it = p->pending.find(offset);
  if (it == p->pending.end()) return std::nullopt;
  const Entry& e = entries_[it->second];
  return EntryView{e.state, e.delivery_count, e.token, e.deadline_ms, e.reason};
}

QueueTableStats QueueTable::stats() const {
  QueueTableStats s;
  s.locked = count(EntryState::locked);
  s.waiting = count(EntryState::waiting);
  s.pending = pending_;
  s.redelivered = redelivered_;
  s.dead_lettered = dead_lettered_;
  s.replayed = replayed_count_;
  s.acked = acked_;
  int64_t oldest = INT64_MAX;
  for (const Entry& e : entries_) {
    if (e.state != EntryState::free && e.first_delivered_ms > 0) {
      oldest = std::min(oldest, e.first_delivered_ms);
    }
  }
  s.oldest_delivered_ms = oldest == INT64_MAX ? 0 : oldest;
  return s;
}

void QueueTable::reset_counters() {
  redelivered_ = 0;
  dead_lettered_ = 0;
  replayed_count_ = 0;
  acked_ = 0;
}

}  // namespace sluice::consumers
