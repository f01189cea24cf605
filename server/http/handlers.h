// The HTTP API's handlers, one file per resource: topics_handler.cc, produce_handler.cc,
// events_handler.cc (reads), keys_handler.cc, groups_handler.cc, queue_handler.cc,
// dlq_handler.cc, requests_handler.cc, health_handler.cc (health and metrics). Each answers its
// exchange now or defers it (server/http/http_session.h); path parameters are the exchange's
// param(0..2) in the order of the route (router.h).
//
// Thread-safety: called on the session's shard thread.
#pragma once

namespace sluice::server::http {

class HttpExchange;

// Topics: {topic} is param(0).
void list_topics(HttpExchange& exchange);
void get_topic(HttpExchange& exchange);
void put_topic(HttpExchange& exchange);
void delete_topic(HttpExchange& exchange);
// POST /v1/topics/{topic}/events
void post_events(HttpExchange& exchange);
// {topic}, {partition}, {offset}
void get_event(HttpExchange& exchange);
// {topic}, {partition}; ?from=&limit=
void get_events(HttpExchange& exchange);
// {topic}, {key}
void get_key(HttpExchange& exchange);
void list_groups(HttpExchange& exchange);
// {group}
void get_group(HttpExchange& exchange);
// Queues (queue_handler.cc): {group}, {topic}.
void post_receive(HttpExchange& exchange);
void post_ack(HttpExchange& exchange);
void post_nack(HttpExchange& exchange);
// Dead letters (dlq_handler.cc): {topic}.
void get_dlq(HttpExchange& exchange);
void post_dlq_replay(HttpExchange& exchange);
// Request-reply (requests_handler.cc): POST /v1/topics/{topic}/requests; {id}.
void post_request(HttpExchange& exchange);
void get_request(HttpExchange& exchange);
void post_request_complete(HttpExchange& exchange);
void post_request_fail(HttpExchange& exchange);
void get_metrics(HttpExchange& exchange);
void get_health(HttpExchange& exchange);

}  // namespace sluice::server::http
