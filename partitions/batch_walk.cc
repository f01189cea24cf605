#include "partitions/batch_walk.h"

namespace sluice::partitions {

Error corrupt_at(const SegmentView& view, uint64_t pos, const std::string& what) {
  return Error(Errc::corruption,
               view.log_path + ": " + what + " at position " + std::to_string(pos));
}

Result<BatchHeader> header_at(SegmentSource& source, uint64_t pos) {
  if (pos > source.size() || source.size() - pos < kBatchHeaderBytes) {
    return corrupt_at(source.view(), pos, "truncated batch");
  }
  std::byte head[kBatchHeaderBytes];
  SLUICE_TRY(source.read(pos, head));
  auto header = decode_batch_header(head);
  if (!header.ok()) return corrupt_at(source.view(), pos, header.error().message());
  if (header->total_bytes() > source.size() - pos) {
    return corrupt_at(source.view(), pos, "batch runs past the end of the segment");
  }
  return header;
}

Result<uint64_t> find_batch(SegmentSource& source, int64_t offset) {
  uint64_t pos = source.walk_start(offset, source.view().lookup(offset).position);
  while (pos < source.size()) {
    auto header = header_at(source, pos);
    if (!header.ok()) return std::move(header).error();
    if (header->last_offset() >= offset) return pos;
    pos += header->total_bytes();
  }
  return corrupt_at(source.view(), pos, "offset " + std::to_string(offset) + " not found");
}

}  // namespace sluice::partitions
