// InitProducerId: a new producer id (epoch 0) for an idempotent producer, unique across
// restarts (engine/producer_ids.h; it writes a file, so it runs on the offloader). sluice has
// no transactions: a transactional id is refused.
#include "engine/engine_impl.h"
#include "server/kafka/error_code.h"
#include "server/kafka/handlers.h"
#include "server/kafka/init_producer_id.h"
#include "server/shard_context.h"

namespace sluice::server::kafka {

Result<void> handle_init_producer_id(KafkaSession& session, const RequestHeader& header,
                                     Reader& body, const std::shared_ptr<Reply>& reply) {
  Result<InitProducerIdRequest> request = decode_init_producer_id_request(body, header.api_version);
  if (!request.ok()) return request.error();
  const int16_t version = header.api_version;
  if (request->transactional_id) {
    InitProducerIdResponse response;
    response.error_code = code(ErrorCode::transactional_id_authorization_failed);
    reply->error = true;
    Writer out = reply->writer();
    encode_init_producer_id_response(out, response, version);
    reply->complete();
    return {};
  }
  Engine::Impl* engine = &session.context().engine().impl();
  auto response = std::make_shared<InitProducerIdResponse>();
  session.context().offload(
      [engine, response] {
        Result<engine::ProducerIdAndEpoch> id = engine->init_producer_id();
        if (!id.ok()) {
          response->error_code = code(ErrorCode::kafka_storage_error);
          return;
        }
        response->producer_id = id->producer_id;
        response->producer_epoch = id->epoch;
      },
      [response, reply, version] {
        reply->error = response->error_code != 0;
        Writer out = reply->writer();
        encode_init_producer_id_response(out, *response, version);
        reply->complete();
      });
  return {};
}

}  // namespace sluice::server::kafka
