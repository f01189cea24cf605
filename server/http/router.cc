#include "server/http/router.h"

#include "server/http/handlers.h"
#include "server/http/http_session.h"
#include "server/http/uri.h"

#include <array>

namespace sluice::server::http {
namespace {

enum class Route : uint8_t {
  none,
  topics,
  topic,
  topic_events,
  partition_events,
  partition_event,
  key,
  groups,
  group,
  queue_receive,
  queue_ack,
  queue_nack,
  dlq,
  dlq_replay,
  topic_requests,
  request,
  request_complete,
  request_fail,
  metrics,
  health,
};

struct Match {
  Route route = Route::none;
  std::string_view raw[HttpExchange::kMaxParams];
};

constexpr size_t kMaxSegments = 7;

// Splits "/v1/a/b" after "/v1/" into its segments; false when there are too many or one is
// empty.
bool split(std::string_view rest, std::array<std::string_view, kMaxSegments>& segments,
           size_t* count) {
  *count = 0;
  while (true) {
    if (*count == kMaxSegments) return false;
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty()) return false;
    segments[(*count)++] = segment;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

Match match(std::string_view path) {
  Match m;
  if (path == "/metrics") {
    m.route = Route::metrics;
    return m;
  }
  if (path == "/healthz") {
    m.route = Route::health;
    return m;
  }
  if (path.substr(0, 4) != "/v1/") return m;
  std::array<std::string_view, kMaxSegments> s;
  size_t n = 0;
  if (!split(path.substr(4), s, &n)) return m;
  if (s[0] == "groups") {
    if (n == 1) m.route = Route::groups;
    if (n >= 2) m.raw[0] = s[1];
    if (n == 2) m.route = Route::group;
    if (n == 5 && s[2] == "topics") {
      m.raw[1] = s[3];
      if (s[4] == "receive") m.route = Route::queue_receive;
      if (s[4] == "ack") m.route = Route::queue_ack;
      if (s[4] == "nack") m.route = Route::queue_nack;
    }
    return m;
  }
  if (s[0] == "requests") {
    if (n >= 2) m.raw[0] = s[1];
    if (n == 2) m.route = Route::request;
    if (n == 3 && s[2] == "complete") m.route = Route::request_complete;
    if (n == 3 && s[2] == "fail") m.route = Route::request_fail;
    return m;
  }
  if (s[0] != "topics") return m;
  if (n == 1) {
    m.route = Route::topics;
    return m;
  }
  m.raw[0] = s[1];
  if (n == 2) {
    m.route = Route::topic;
  } else if (n == 3 && s[2] == "events") {
    m.route = Route::topic_events;
  } else if (n == 3 && s[2] == "requests") {
    m.route = Route::topic_requests;
  } else if (n == 3 && s[2] == "dlq") {
    m.route = Route::dlq;
  } else if (n == 4 && s[2] == "dlq" && s[3] == "replay") {
    m.route = Route::dlq_replay;
  } else if (n == 4 && s[2] == "keys") {
    m.route = Route::key;
    m.raw[1] = s[3];
  } else if ((n == 5 || n == 6) && s[2] == "partitions" && s[4] == "events") {
    m.route = n == 5 ? Route::partition_events : Route::partition_event;
    m.raw[1] = s[3];
    if (n == 6) m.raw[2] = s[5];
  }
  return m;
}

constexpr std::string_view kAllowGet = "Allow: GET, HEAD\r\n";
constexpr std::string_view kAllowTopic = "Allow: GET, HEAD, PUT, DELETE\r\n";
constexpr std::string_view kAllowPost = "Allow: POST\r\n";

}  // namespace

void Router::dispatch(HttpExchange& exchange, std::string* scratch) {
  const Request& request = exchange.request();
  const Match m = match(request.path);
  if (m.route == Route::none) {
    exchange.respond_error(404, "not_found", "no such resource");
    return;
  }
  const Method method = request.method;
  const bool get = method == Method::get || method == Method::head;
  std::string_view allow = kAllowGet;
  void (*handler)(HttpExchange&) = nullptr;
  switch (m.route) {
    case Route::topics:
      if (get) handler = list_topics;
      break;
    case Route::topic:
      allow = kAllowTopic;
      if (get) handler = get_topic;
      if (method == Method::put) handler = put_topic;
      if (method == Method::delete_) handler = delete_topic;
      break;
    case Route::topic_events:
      allow = kAllowPost;
      if (method == Method::post) handler = post_events;
      break;
    case Route::partition_events:
      if (get) handler = get_events;
      break;
    case Route::partition_event:
      if (get) handler = get_event;
      break;
    case Route::key:
      if (get) handler = get_key;
      break;
    case Route::groups:
      if (get) handler = list_groups;
      break;
    case Route::group:
      if (get) handler = get_group;
      break;
    case Route::queue_receive:
      allow = kAllowPost;
      if (method == Method::post) handler = post_receive;
      break;
    case Route::queue_ack:
      allow = kAllowPost;
      if (method == Method::post) handler = post_ack;
      break;
    case Route::queue_nack:
      allow = kAllowPost;
      if (method == Method::post) handler = post_nack;
      break;
    case Route::dlq:
      if (get) handler = get_dlq;
      break;
    case Route::dlq_replay:
      allow = kAllowPost;
      if (method == Method::post) handler = post_dlq_replay;
      break;
    case Route::topic_requests:
      allow = kAllowPost;
      if (method == Method::post) handler = post_request;
      break;
    case Route::request:
      if (get) handler = get_request;
      break;
    case Route::request_complete:
      allow = kAllowPost;
      if (method == Method::post) handler = post_request_complete;
      break;
    case Route::request_fail:
      allow = kAllowPost;
      if (method == Method::post) handler = post_request_fail;
      break;
    case Route::metrics:
      if (get) handler = get_metrics;
      break;
    case Route::health:
      if (get) handler = get_health;
      break;
    case Route::none:
      break;
  }
  if (handler == nullptr) {
    exchange.respond_error(405, "method_not_allowed",
                           std::string(method_name(method)) + " is not allowed here", allow);
    return;
  }
  for (size_t i = 0; i < HttpExchange::kMaxParams; ++i) {
    if (m.raw[i].empty()) continue;
    bool ok = true;
    exchange.params_[i] = decoded(m.raw[i], false, scratch[i], &ok);
    if (!ok) {
      exchange.respond_error(400, "bad_request", "malformed percent-encoding in the path");
      return;
    }
  }
  handler(exchange);
}

}  // namespace sluice::server::http
