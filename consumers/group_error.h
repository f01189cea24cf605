// Errors of the group coordinator. Each one mirrors the Kafka error code that a group client
// expects (named beside it), so that the Kafka server maps them one to one; the engine turns
// them into sluice Errors with to_error(). GroupResult<T> is a value or a GroupFailure (a
// GroupError and a message), shaped like sluice::Result.
//
// Thread-safety: plain values; group_error_name is safe from any thread.
#pragma once

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sluice::consumers {

enum class GroupError : uint8_t {
  none = 0,
  invalid_group_id,         // INVALID_GROUP_ID (24): empty or longer than kGroupIdBytesMax
  invalid_session_timeout,  // INVALID_SESSION_TIMEOUT (26): outside the coordinator's bounds
  inconsistent_protocol,    // INCONSISTENT_GROUP_PROTOCOL (23): a strategy unlike the group's
  unknown_member,           // UNKNOWN_MEMBER_ID (25): not a member (never was, left, removed)
  illegal_generation,       // ILLEGAL_GENERATION (22): a generation that is not the group's
  rebalance_in_progress,    // REBALANCE_IN_PROGRESS (27): rejoin to get the new assignment
  group_not_found,          // GROUP_ID_NOT_FOUND (69)
  non_empty_group,          // NON_EMPTY_GROUP (68): the group still has members
  group_max_size_reached,   // GROUP_MAX_SIZE_REACHED (81)
  coordinator_full,         // COORDINATOR_NOT_AVAILABLE (15, retriable): too many groups
  invalid_argument,         // INVALID_REQUEST (42): any other malformed field
  // FENCED_INSTANCE_ID (82): a static member's instance id now belongs to another member id.
  fenced_instance_id,
};

// "unknown_member", "illegal_generation", ...
std::string_view group_error_name(GroupError error);

struct GroupFailure {
  GroupError error = GroupError::none;
  std::string message;
};

// The sluice Errc for a group error, for callers of the public API: invalid_* and
// inconsistent_protocol -> invalid_argument; group_not_found -> not_found; the fencing errors
// (unknown_member, illegal_generation, rebalance_in_progress, fenced_instance_id), non_empty_group,
// group_max_size_reached and coordinator_full -> busy (a state that refuses the call).
Errc to_errc(GroupError error);
// An Error whose message starts with the group error's name.
Error to_error(const GroupFailure& failure);

template <typename T>
class [[nodiscard]] GroupResult {
 public:
  GroupResult(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  GroupResult(GroupFailure failure)                                             // NOLINT
      : storage_(std::in_place_index<1>, std::move(failure)) {}
  GroupResult(GroupError error, std::string message)
      : storage_(std::in_place_index<1>, GroupFailure{error, std::move(message)}) {}

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(storage_); }
  const T& value() const& { return std::get<0>(storage_); }
  T&& value() && { return std::get<0>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const GroupFailure& failure() const { return std::get<1>(storage_); }
  // GroupError::none when ok.
  GroupError error() const { return ok() ? GroupError::none : failure().error; }

 private:
  std::variant<T, GroupFailure> storage_;
};

template <>
class [[nodiscard]] GroupResult<void> {
 public:
  GroupResult() = default;
  GroupResult(GroupFailure failure) : failure_(std::move(failure)) {}  // NOLINT: implicit
  GroupResult(GroupError error, std::string message) : failure_{error, std::move(message)} {}

  bool ok() const { return failure_.error == GroupError::none; }
  explicit operator bool() const { return ok(); }
  const GroupFailure& failure() const { return failure_; }
  GroupError error() const { return failure_.error; }

 private:
  GroupFailure failure_;
};

}  // namespace sluice::consumers
