#include "tests/support/batches.h"

#include <gtest/gtest.h>

namespace sluice::testing {

std::vector<std::byte> make_batch(const std::string& prefix, int count, int64_t timestamp_ms,
                                  size_t value_bytes) {
  partitions::BatchBuilder builder;
  for (int i = 0; i < count; ++i) {
    std::string value = prefix + "-" + std::to_string(i);
    if (value.size() < value_bytes) value.resize(value_bytes, '.');
    builder.add("k" + std::to_string(i), value, timestamp_ms + i);
  }
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

namespace {

template <typename F>
void for_each_record(const partitions::ReadResult& read, F&& f) {
  std::span<const std::byte> rest(read.bytes);
  while (!rest.empty()) {
    auto header = partitions::decode_batch_header(rest);
    ASSERT_TRUE(header.ok()) << header.error().to_string();
    ASSERT_LE(header->total_bytes(), rest.size());
    auto batch = rest.first(header->total_bytes());
    ASSERT_TRUE(partitions::batch_crc_ok(batch));
    auto records = partitions::decode_records(batch);
    ASSERT_TRUE(records.ok()) << records.error().to_string();
    for (const auto& record : *records)
      f(record);
    rest = rest.subspan(header->total_bytes());
  }
}

}  // namespace

std::vector<std::string> values_of(const partitions::ReadResult& read) {
  std::vector<std::string> values;
  for_each_record(read, [&](const partitions::RecordView& record) {
    auto value = record.value.value_or(std::span<const std::byte>{});
    values.emplace_back(reinterpret_cast<const char*>(value.data()), value.size());
  });
  return values;
}

std::vector<int64_t> offsets_of(const partitions::ReadResult& read) {
  std::vector<int64_t> offsets;
  for_each_record(read,
                  [&](const partitions::RecordView& record) { offsets.push_back(record.offset); });
  return offsets;
}

}  // namespace sluice::testing
