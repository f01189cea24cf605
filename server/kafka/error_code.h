// Kafka's error codes, as the protocol guide numbers them: the ones sluiced answers with.
//
// Thread-safety: constants and pure functions.
#pragma once

#include <sluice/errc.h>

#include <cstdint>

namespace sluice::server::kafka {

enum class ErrorCode : int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  offset_metadata_too_large = 12,
  network_exception = 13,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  not_enough_replicas = 19,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  topic_authorization_failed = 29,
  group_authorization_failed = 30,
  cluster_authorization_failed = 31,
  invalid_timestamp = 32,
  unsupported_sasl_mechanism = 33,
  illegal_sasl_state = 34,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  not_controller = 41,
  invalid_request = 42,
  unsupported_for_message_format = 43,
  policy_violation = 44,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  invalid_producer_id_mapping = 49,
  invalid_transaction_timeout = 50,
  concurrent_transactions = 51,
  transactional_id_authorization_failed = 53,
  unknown_producer_id = 59,
  kafka_storage_error = 56,
  non_empty_group = 68,
  group_id_not_found = 69,
  fetch_session_id_not_found = 70,
  invalid_fetch_session_epoch = 71,
  member_id_required = 79,
  group_max_size_reached = 81,
  unsupported_compression_type = 76,
  fenced_instance_id = 82,
  producer_fenced = 90,
  throttling_quota_exceeded = 89,
};

inline int16_t code(ErrorCode e) {
  return static_cast<int16_t>(e);
}

// The Kafka error for an engine error on a partition-level operation (produce, fetch, list
// offsets): not_found -> unknown_topic_or_partition, too_large -> message_too_large,
// corruption -> corrupt_message, offset_out_of_range, I/O and space errors ->
// kafka_storage_error, would_block / closed -> request_timed_out / not_leader_or_follower, ...
ErrorCode partition_error(Errc errc);

}  // namespace sluice::server::kafka
