#include "engine/internal_topic.h"

#include "engine/record_decoding.h"
#include "io/assert.h"

#include <string>
#include <vector>

namespace sluice::engine {

Result<void> scan_internal_topic(Engine::Impl& engine, std::string_view topic,
                                 const std::function<Result<void>(const Record&)>& apply) {
  Result<std::shared_ptr<PartitionSlot>> slot = engine.find_partition(topic, 0);
  if (!slot.ok()) return std::move(slot).error();
  const partitions::LogReader& reader = *(*slot)->reader;
  std::vector<Record> records;
  int64_t offset = reader.start_offset();
  const int64_t end = reader.high_watermark();
  while (offset < end) {
    Result<partitions::ReadResult> read = reader.read(offset, 4u << 20);
    if (!read.ok()) return std::move(read).error();
    records.clear();
    Result<DecodeProgress> decoded =
        decode_into(topic, 0, read->bytes, offset, UINT32_MAX, records);
    if (!decoded.ok()) return std::move(decoded).error();
    for (const Record& record : records) {
      Result<void> applied = apply(record);
      if (!applied.ok()) {
        return Error(applied.code(), std::string(topic) + " offset " +
                                         std::to_string(record.offset) + ": " +
                                         applied.error().message());
      }
    }
    SLUICE_ASSERT(read->next_offset > offset);
    offset = read->next_offset;
  }
  return {};
}

}  // namespace sluice::engine
