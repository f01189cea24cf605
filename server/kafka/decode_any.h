// decode_any_request: runs the request decoder of any API and version sluiced answers and
// discards the decoded value. For the request fuzzer (tests/fuzz/kafka_request_fuzz.cc) and for
// checks that a frame is well formed; the server itself calls each API's decoder directly.
//
// Each codec adds its APIs' cases to the switch in decode_any.cc.
//
// Thread-safety: a pure function.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>

namespace sluice::server::kafka {

// The outcome of decoding `body` (what follows the request header) as a request of `api_key`
// at `version`: invalid_argument for malformed bytes or a version outside the advertised
// range, unsupported for an API without a decoder here.
Result<void> decode_any_request(int16_t api_key, int16_t version, Reader& body);

}  // namespace sluice::server::kafka
