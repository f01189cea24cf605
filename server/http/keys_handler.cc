// GET /v1/topics/{topic}/keys/{key}: the latest event with this key, on a topic created with
// keyed_index (the engine's keyed index; never waits for a shard). 404 when the key has no
// event, 400 when the topic keeps no keyed index.
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

namespace sluice::server::http {

void get_key(HttpExchange& exchange) {
  Result<Record> record = exchange.ctx().engine().latest(exchange.param(0), exchange.param(1));
  if (!record.ok()) {
    respond_engine_error(exchange, record.error());
    return;
  }
  exchange.ctx().metrics().fetched_events.add();
  exchange.ctx().metrics().fetched_bytes.add(record_bytes(*record));
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    write_record(json, *record);
  });
}

}  // namespace sluice::server::http
