// libFuzzer target: a Kafka request frame (what follows the int32 size), as sluiced reads it.
//
// The header is read with read_request_header; the body goes through decode_any_request for the
// header's API and version, which must fail cleanly or succeed, never crash. For the APIs whose
// codecs can encode requests and responses, the body is also decoded directly as a request and
// as a response of that API and version, and whatever decodes is encoded, decoded and encoded
// again: the two encodings must be the same bytes (decoder and encoder agree on every field),
// and the direct request decode must agree with decode_any_request.
//
// Build and run: see tests/fuzz/CMakeLists.txt.
#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/create_topics.h"
#include "server/kafka/decode_any.h"
#include "server/kafka/delete_topics.h"
#include "server/kafka/fetch.h"
#include "server/kafka/init_producer_id.h"
#include "server/kafka/list_offsets.h"
#include "server/kafka/metadata.h"
#include "server/kafka/produce.h"
#include "server/kafka/request_header.h"
#include "server/kafka/wire.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

namespace sluice::server::kafka {
namespace {

[[noreturn]] void fail(const char* what, int16_t api_key, int16_t version) {
  std::fprintf(stderr, "kafka_request_fuzz: %s (%s v%d)\n", what, api_name(api_key), version);
  std::abort();
}

// Decodes `body`; when that succeeds, encode -> decode -> encode must give the same bytes twice.
// Returns whether `body` decoded.
template <typename Decode, typename Encode>
bool round_trip(std::span<const std::byte> body, int16_t api_key, int16_t version, Decode decode,
                Encode encode) {
  Reader in(body);
  auto decoded = decode(in, version);
  if (!decoded.ok()) return false;
  std::vector<std::byte> once;
  Writer first(&once);
  encode(first, *decoded, version);
  Reader again_in(once);
  auto again = decode(again_in, version);
  if (!again.ok()) {
    std::fprintf(stderr, "%s\n", again.error().to_string().c_str());
    fail("a re-encoded message does not decode", api_key, version);
  }
  std::vector<std::byte> twice;
  Writer second(&twice);
  encode(second, *again, version);
  if (once != twice) fail("encode(decode(encode(x))) differs from encode(x)", api_key, version);
  return true;
}

// The request and response round trips for the APIs whose codecs encode both ways; returns
// whether the body decoded as a request (nullopt-like -1 for APIs not covered here).
int check_round_trips(std::span<const std::byte> body, int16_t key, int16_t v) {
  auto both = [&](auto decode_request, auto encode_request, auto decode_response,
                  auto encode_response) {
    round_trip(body, key, v, decode_response, encode_response);
    return round_trip(body, key, v, decode_request, encode_request) ? 1 : 0;
  };
  switch (static_cast<ApiKey>(key)) {
    case ApiKey::produce:
      return both(decode_produce_request, encode_produce_request, decode_produce_response,
                  encode_produce_response);
    case ApiKey::fetch:
      return both(decode_fetch_request, encode_fetch_request, decode_fetch_response,
                  encode_fetch_response);
    case ApiKey::list_offsets:
      return both(decode_list_offsets_request, encode_list_offsets_request,
                  decode_list_offsets_response, encode_list_offsets_response);
    case ApiKey::metadata:
      return both(decode_metadata_request, encode_metadata_request, decode_metadata_response,
                  encode_metadata_response);
    case ApiKey::api_versions:
      return both(decode_api_versions_request, encode_api_versions_request,
                  decode_api_versions_response, encode_api_versions_response);
    case ApiKey::create_topics:
      return both(decode_create_topics_request, encode_create_topics_request,
                  decode_create_topics_response, encode_create_topics_response);
    case ApiKey::delete_topics:
      return both(decode_delete_topics_request, encode_delete_topics_request,
                  decode_delete_topics_response, encode_delete_topics_response);
    case ApiKey::init_producer_id:
      return both(decode_init_producer_id_request, encode_init_producer_id_request,
                  decode_init_producer_id_response, encode_init_producer_id_response);
    default:
      return -1;
  }
}

}  // namespace
}  // namespace sluice::server::kafka

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::server::kafka;
  std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(data), size);
  Reader in(frame);
  RequestHeader header = read_request_header(in);
  if (!in.ok()) return 0;
  std::span<const std::byte> body = frame.subspan(in.position());
  const bool any_ok = decode_any_request(header.api_key, header.api_version, in).ok();
  const int direct = check_round_trips(body, header.api_key, header.api_version);
  if (direct >= 0 && (direct == 1) != any_ok) {
    fail("decode_any_request disagrees with the API's decoder", header.api_key, header.api_version);
  }
  return 0;
}
