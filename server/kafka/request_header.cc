#include "server/kafka/request_header.h"

#include "server/kafka/api_keys.h"

namespace sluice::server::kafka {

RequestHeader read_request_header(Reader& in) {
  RequestHeader header;
  header.api_key = in.int16();
  header.api_version = in.int16();
  header.correlation_id = in.int32();
  header.client_id = in.nullable_string();
  if (!in.ok()) return header;
  std::optional<ApiRange> api = find_api(header.api_key);
  if (!api) return header;
  header.flexible = is_flexible(api->key, header.api_version);
  if (header.flexible) in.skip_tagged_fields();
  return header;
}

void write_response_header(Writer& out, int32_t correlation_id, bool flexible) {
  out.int32(correlation_id);
  if (flexible) out.empty_tagged_fields();
}

}  // namespace sluice::server::kafka
