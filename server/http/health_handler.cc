// GET /healthz (200 {"status": "ok"} while the server runs; every request gets 503 once it is
// stopping) and GET /metrics (Prometheus text, server/metrics.h).
#include "server/http/handlers.h"
#include "server/http/http_session.h"
#include "server/metrics.h"

namespace sluice::server::http {

void get_health(HttpExchange& exchange) {
  exchange.respond(200, kJsonType, [](std::string& body) { body.append("{\"status\":\"ok\"}"); });
}

void get_metrics(HttpExchange& exchange) {
  const std::string text = exchange.ctx().metrics().render_prometheus(exchange.ctx().engine());
  exchange.respond(200, kPrometheusType, [&](std::string& body) { body.append(text); });
}

}  // namespace sluice::server::http
