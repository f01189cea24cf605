// The records of __queue_state: every type round-trips, the worked examples of
// consumers/FORMAT.md hold byte for byte, and damaged or rule-breaking bytes are refused.
#include "consumers/queue_record.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::consumers {
namespace {

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// consumers/FORMAT.md, the snapshot's worked example: partitions 0 and 1 of t, handled below
// 42 and 0; 43 and 44 handled; 42 waiting after its second delivery; DLQ 0@5 replayed.
SnapshotRecord worked_snapshot() {
  SnapshotRecord snapshot;
  snapshot.part = 0;
  snapshot.parts = 1;
  snapshot.floors = {42, 0};
  snapshot.handled.push_back({0, 43, 45});
  snapshot.entries.push_back({0, 42, SnapshotEntryState::waiting, 2, 0x0102030405060708ull,
                              1700000030000, 1700000000000, true, 0x1122334455667788ull, "no"});
  snapshot.replayed.push_back({0, 5});
  return snapshot;
}

std::vector<QueueRecord> samples() {
  std::vector<QueueRecord> out;
  out.push_back({"g", "t", StartRecord{{0, 5, 1000}}});
  DeliverRecord deliver;
  deliver.delivered_ms = 1700000000000;
  deliver.lock_expires_ms = 1700000030000;
  deliver.entries.push_back({0, 7, 1, 0x0102030405060708ull, true, 0x1122334455667788ull});
  deliver.entries.push_back({2, 9, 3, UINT64_MAX, false, 0});
  out.push_back({"group-1", "orders", deliver});
  out.push_back({"g", "t", AckRecord{{{1, 42}, {0, 0}}}});
  out.push_back({"g", "t", RetryRecord{"timeout talking to the bank", {{1, 42, 1700000001000}}}});
  out.push_back({"g", "t", RetryRecord{"", {{0, 1, 0}}}});
  out.push_back({"g", "t", DeadLetteredRecord{{{3, 123456789012}}}});
  ReplayedRecord replayed;
  replayed.entries.push_back({{0, 4}, {0, 17}, true, 99});
  replayed.entries.push_back({{1, 5}, {1, -1}, false, 0});
  out.push_back({"g", "t", replayed});
  out.push_back({"g", "t.dlq", ForgetRecord{}});
  out.push_back({"g", "t", worked_snapshot()});
  SnapshotRecord later;  // a later part: no floors, any list may be empty
  later.part = 2;
  later.parts = 3;
  later.entries.push_back({1, 9, SnapshotEntryState::locked, 1, 77, 5, 4, false, 0, ""});
  later.entries.push_back({0, 3, SnapshotEntryState::dead_lettering, 10, 78, 5, 4, false, 0, "x"});
  later.entries.push_back({0, 4, SnapshotEntryState::blocked, 0, 0, 0, 0, true, 3, ""});
  out.push_back({"g", "t", later});
  return out;
}

TEST(QueueRecordTest, EveryTypeRoundTrips) {
  for (const QueueRecord& record : samples()) {
    Result<EncodedQueueRecord> encoded = encode_queue_record(record);
    ASSERT_TRUE(encoded.ok()) << encoded.error().to_string();
    Result<QueueRecord> decoded = decode_queue_record(encoded->key, encoded->value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, record);
    EXPECT_EQ(encoded->key, encode_queue_key(record.group, record.topic));
    Result<std::string> value = encode_queue_value(record.body);
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(*value, encoded->value);
  }
}

// consumers/FORMAT.md, "Queue state records", worked example.
TEST(QueueRecordTest, WorkedExamplesOfTheFormatDocument) {
  Result<EncodedQueueRecord> ack = encode_queue_record({"g", "t", AckRecord{{{1, 42}}}});
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(hex(ack->key), "00 01 00 01 67 00 01 74");
  EXPECT_EQ(hex(ack->value), "00 01 03 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 2a");

  DeliverRecord deliver;
  deliver.delivered_ms = 1700000000000;
  deliver.lock_expires_ms = 1700000030000;
  deliver.entries.push_back({0, 7, 1, 0x0102030405060708ull, true, 0x1122334455667788ull});
  Result<std::string> value = encode_queue_value(deliver);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(hex(*value),
            "00 01 02 "
            "00 00 01 8b cf e5 68 00 "
            "00 00 01 8b cf e5 dd 30 "
            "00 00 00 01 "
            "00 00 00 00 00 00 00 00 00 00 00 07 00 00 00 01 "
            "01 02 03 04 05 06 07 08 01 11 22 33 44 55 66 77 88");

  value = encode_queue_value(worked_snapshot());
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(hex(*value),
            "00 01 08 "
            "00 00 00 00 00 00 00 01 "
            "00 00 00 02 00 00 00 00 00 00 00 2a 00 00 00 00 00 00 00 00 "
            "00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 2b 00 00 00 00 00 00 00 2d "
            "00 00 00 01 "
            "00 00 00 00 00 00 00 00 00 00 00 2a 02 00 00 00 02 01 02 03 04 05 06 07 08 "
            "00 00 01 8b cf e5 dd 30 00 00 01 8b cf e5 68 00 01 11 22 33 44 55 66 77 88 "
            "00 02 6e 6f "
            "00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05");
  EXPECT_EQ(value->size(), 3 + snapshot_body_bytes(worked_snapshot()));
}

TEST(QueueRecordTest, SnapshotRulesAreChecked) {
  auto refused = [](const SnapshotRecord& r) {
    Result<std::string> value = encode_queue_value(r);
    return !value.ok() && value.code() == Errc::invalid_argument;
  };
  SnapshotRecord good = worked_snapshot();
  EXPECT_FALSE(refused(good));
  SnapshotRecord r = good;
  r.part = 1;  // part 1 of 1
  EXPECT_TRUE(refused(r));
  r = good;
  r.floors.clear();  // part 0 without floors
  EXPECT_TRUE(refused(r));
  r = good;
  r.parts = 2;
  r.part = 1;  // a later part with floors
  EXPECT_TRUE(refused(r));
  r = good;
  r.handled[0].end = 43;  // an empty range
  EXPECT_TRUE(refused(r));
  r = good;
  r.entries[0].state = static_cast<SnapshotEntryState>(0);  // free is never written
  EXPECT_TRUE(refused(r));
  r = good;
  r.entries[0].state = SnapshotEntryState::locked;
  r.entries[0].delivery_count = 0;
  EXPECT_TRUE(refused(r));
  r = good;
  r.entries[0].reason = std::string(5000, 'x');
  EXPECT_TRUE(refused(r));
  r = good;
  r.replayed[0].offset = -1;
  EXPECT_TRUE(refused(r));
  // The decoder refuses an unknown entry state in the bytes too.
  Result<std::string> value = encode_queue_value(good);
  ASSERT_TRUE(value.ok());
  std::string bytes = *value;
  bytes[3 + 8 + 4 + 16 + 4 + 20 + 4 + 12] = 6;  // the entry's state byte
  Result<QueueRecord> decoded = decode_queue_record(encode_queue_key("g", "t"), bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::corruption);
}

TEST(QueueRecordTest, EveryCutAndEveryExtraByteIsCorruption) {
  for (const QueueRecord& record : samples()) {
    Result<EncodedQueueRecord> encoded = encode_queue_record(record);
    ASSERT_TRUE(encoded.ok());
    for (size_t cut = 0; cut < encoded->value.size(); ++cut) {
      Result<QueueRecord> decoded =
          decode_queue_record(encoded->key, std::string_view(encoded->value).substr(0, cut));
      ASSERT_FALSE(decoded.ok()) << cut;
      EXPECT_EQ(decoded.code(), Errc::corruption);
    }
    for (size_t cut = 0; cut < encoded->key.size(); ++cut) {
      EXPECT_FALSE(
          decode_queue_record(std::string_view(encoded->key).substr(0, cut), encoded->value).ok());
    }
    EXPECT_FALSE(decode_queue_record(encoded->key, encoded->value + '\0').ok());
    EXPECT_FALSE(decode_queue_record(encoded->key + '\0', encoded->value).ok());
  }
}

TEST(QueueRecordTest, UnknownVersionsTypesAndBrokenRulesAreRefused) {
  Result<EncodedQueueRecord> ack = encode_queue_record({"g", "t", AckRecord{{{1, 42}}}});
  ASSERT_TRUE(ack.ok());
  std::string value = ack->value;
  value[1] = 2;  // value_version 2
  EXPECT_EQ(decode_queue_record(ack->key, value).code(), Errc::corruption);
  value = ack->value;
  value[2] = 9;  // type 9
  EXPECT_EQ(decode_queue_record(ack->key, value).code(), Errc::corruption);
  value = ack->value;
  value[7] = static_cast<char>(0xff);  // partition -1
  EXPECT_EQ(decode_queue_record(ack->key, value).code(), Errc::corruption);
  value = ack->value;
  value[6] = 0;  // count 0
  EXPECT_EQ(decode_queue_record(ack->key, value.substr(0, 7)).code(), Errc::corruption);
  value = ack->value;
  value[3] = 0x7f;  // a count far beyond the bytes: refused before anything is allocated
  EXPECT_EQ(decode_queue_record(ack->key, value).code(), Errc::corruption);
  std::string key = ack->key;
  key[1] = 3;  // key_version 3
  EXPECT_EQ(decode_queue_record(key, ack->value).code(), Errc::corruption);

  // The encoder refuses what the decoder would.
  EXPECT_EQ(encode_queue_record({"", "t", AckRecord{{{1, 42}}}}).code(), Errc::invalid_argument);
  EXPECT_EQ(encode_queue_record({"g", "bad/name", AckRecord{{{1, 42}}}}).code(),
            Errc::invalid_argument);
  EXPECT_EQ(encode_queue_record({"g", "t", AckRecord{}}).code(), Errc::invalid_argument);
  EXPECT_EQ(encode_queue_record({"g", "t", AckRecord{{{0, -1}}}}).code(), Errc::invalid_argument);
  EXPECT_EQ(
      encode_queue_record({"g", "t", RetryRecord{std::string(5000, 'x'), {{0, 1, 5}}}}).code(),
      Errc::invalid_argument);
  DeliverRecord no_count;
  no_count.entries.push_back({0, 1, 0, 1, false, 0});
  EXPECT_EQ(encode_queue_value(no_count).code(), Errc::invalid_argument);
  DeliverRecord hash_without_key;
  hash_without_key.entries.push_back({0, 1, 1, 1, false, 5});
  EXPECT_EQ(encode_queue_value(hash_without_key).code(), Errc::invalid_argument);
  EXPECT_EQ(encode_queue_value(StartRecord{{0, -3}}).code(), Errc::invalid_argument);
}

TEST(QueueRecordTest, RandomBytesNeverCrashTheDecoder) {
  std::mt19937_64 random(1);
  const std::string key = encode_queue_key("g", "t");
  for (const QueueRecord& record : samples()) {
    Result<EncodedQueueRecord> encoded = encode_queue_record(record);
    ASSERT_TRUE(encoded.ok());
    for (int i = 0; i < 2000; ++i) {
      std::string value = encoded->value;
      value[random() % value.size()] = static_cast<char>(random());
      Result<QueueRecord> decoded = decode_queue_record(key, value);
      if (decoded.ok()) {
        // Whatever decodes encodes back to the same bytes (the format is canonical).
        Result<std::string> again = encode_queue_value(decoded->body);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, value);
      }
    }
  }
}

}  // namespace
}  // namespace sluice::consumers
