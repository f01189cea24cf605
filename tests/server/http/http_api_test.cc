// The HTTP API end to end through HttpSession::on_input / pending_output, on a real Engine.
#include "tests/server/http/http_test_fixture.h"

#include "server/http/base64.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

namespace sluice::server::http::testing {
namespace {

using nlohmann::json;

class HttpApi : public HttpApiTest {
 protected:
  json produce(const std::string& topic, const std::string& events,
               const std::string& acks = "written", int expected_status = 200) {
    const Response response = call("POST", "/v1/topics/" + topic + "/events?acks=" + acks, events);
    EXPECT_EQ(response.status, expected_status) << response.body;
    return response.json();
  }
};

TEST_F(HttpApi, Health) {
  const Response response = call("GET", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.json()["status"], "ok");
  EXPECT_EQ(response.field("content-type"), "application/json");
  const Response head = call("HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.field("content-length"), "15");
  EXPECT_FALSE(should_close());
}

TEST_F(HttpApi, TopicLifecycle) {
  Response created = call("PUT", "/v1/topics/orders",
                          R"({"partitions": 3, "retention_ms": 86400000, "keyed_index": true})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.field("location"), "/v1/topics/orders");
  json topic = created.json();
  EXPECT_EQ(topic["name"], "orders");
  ASSERT_EQ(topic["partitions"].size(), 3u);
  EXPECT_EQ(topic["retention_ms"], 86400000);
  EXPECT_EQ(topic["keyed_index"], true);

  // PUT is idempotent; another configuration is a conflict.
  EXPECT_EQ(call("PUT", "/v1/topics/orders",
                 R"({"partitions": 3, "retention_ms": 86400000, "keyed_index": true})")
                .status,
            200);
  const Response conflict = call("PUT", "/v1/topics/orders", R"({"partitions": 4})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.json()["error"], "already_exists");

  const Response described = call("GET", "/v1/topics/orders");
  ASSERT_EQ(described.status, 200);
  topic = described.json();
  for (int p = 0; p < 3; ++p) {
    const json& partition = topic["partitions"][p];
    EXPECT_EQ(partition["partition"], p);
    EXPECT_EQ(partition["earliest_offset"], 0);
    EXPECT_EQ(partition["latest_offset"], 0);
    EXPECT_TRUE(partition["last_append_time"].is_null());
  }
  EXPECT_EQ(topic["segment_bytes"], uint64_t{1} << 30);
  EXPECT_EQ(topic["max_event_bytes"], 1 << 20);

  const json listed = call("GET", "/v1/topics").json();
  EXPECT_NE(std::find(listed["topics"].begin(), listed["topics"].end(), "orders"),
            listed["topics"].end());

  const Response deleted = call("DELETE", "/v1/topics/orders");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.json()["deleted"], true);
  EXPECT_EQ(call("GET", "/v1/topics/orders").status, 404);
  EXPECT_EQ(call("DELETE", "/v1/topics/orders").json()["error"], "not_found");
}

TEST_F(HttpApi, TopicConfigErrors) {
  for (const char* body :
       {"{", "[1]", R"({"partitions": 0})", R"({"partitions": "3"})", R"({"keyed_index": 1})",
        R"({"colour": "blue"})", R"({"retention_ms": -2})", R"({"max_event_bytes": 5000000000})"}) {
    const Response response = call("PUT", "/v1/topics/t", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.json()["error"], "bad_request") << body;
  }
  // The engine's own checks: a bad name, an internal topic.
  EXPECT_EQ(call("PUT", "/v1/topics/bad%20name", "{}").status, 400);
  EXPECT_EQ(call("PUT", "/v1/topics/__internal", "{}").status, 400);
  // An empty body takes the defaults.
  const Response created = call("PUT", "/v1/topics/defaults", "");
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.json()["partitions"].size(), 1u);
}

TEST_F(HttpApi, ProduceWithEachAcksAndReadBack) {
  create_topic("events", 2);
  int64_t expected_offset = 0;
  for (const std::string acks : {"none", "written", "synced"}) {
    const json answer = produce("events",
                                R"([{"key": "k-)" + acks + R"(", "value": "v-)" + acks +
                                    R"(", "headers": {"h": "x", "n": null}, "partition": 1,
                                      "timestamp": 1700000000000}])",
                                acks);
    ASSERT_EQ(answer["offsets"].size(), 1u) << answer.dump();
    EXPECT_EQ(answer["offsets"][0]["partition"], 1);
    EXPECT_EQ(answer["offsets"][0]["offset"], expected_offset);

    const Response read =
        call("GET", "/v1/topics/events/partitions/1/events/" + std::to_string(expected_offset));
    ASSERT_EQ(read.status, 200) << read.body;
    const json event = read.json();
    EXPECT_EQ(event["partition"], 1);
    EXPECT_EQ(event["offset"], expected_offset);
    EXPECT_EQ(event["timestamp"], 1700000000000);
    EXPECT_EQ(event["key"], "k-" + acks);
    EXPECT_EQ(event["value"], "v-" + acks);
    EXPECT_EQ(event["headers"], (json{{"h", "x"}, {"n", nullptr}}));
    ++expected_offset;
  }
  EXPECT_EQ(metrics_.produced_events.value(), 3u);
  EXPECT_GE(metrics_.fetched_events.value(), 3u);

  const json topic = call("GET", "/v1/topics/events").json();
  EXPECT_EQ(topic["partitions"][1]["latest_offset"], 3);
  EXPECT_TRUE(topic["partitions"][1]["last_append_time"].is_number());
}

TEST_F(HttpApi, ValuesThatAreNotUtf8GoAsBase64) {
  create_topic("bin", 1);
  std::string binary("\xff\x00\xfe\x80 raw", 8);
  std::string encoded;
  base64_encode(binary, encoded);
  produce("bin", R"([{"value_b64": ")" + encoded + R"("}, {"value": {"nested": [1, 2]}},
                     {"key": null, "value": "caf\u00e9"}])");
  const json first = call("GET", "/v1/topics/bin/partitions/0/events/0").json();
  EXPECT_EQ(first["value_b64"], encoded);
  EXPECT_FALSE(first.contains("value"));
  EXPECT_TRUE(first["key"].is_null());
  EXPECT_EQ(call("GET", "/v1/topics/bin/partitions/0/events/1").json()["value"],
            R"({"nested":[1,2]})");
  EXPECT_EQ(call("GET", "/v1/topics/bin/partitions/0/events/2").json()["value"], "caf\xc3\xa9");
}

TEST_F(HttpApi, ReadPages) {
  create_topic("paged", 1);
  std::string events = "[";
  for (int i = 0; i < 25; ++i)
    events += std::string(i ? "," : "") + R"({"value": "e)" + std::to_string(i) + "\"}";
  produce("paged", events + "]");

  json page = call("GET", "/v1/topics/paged/partitions/0/events?from=5&limit=10").json();
  ASSERT_EQ(page["events"].size(), 10u);
  EXPECT_EQ(page["events"][0]["offset"], 5);
  EXPECT_EQ(page["events"][9]["value"], "e14");
  EXPECT_EQ(page["next_offset"], 15);
  EXPECT_EQ(page["partition"], 0);

  page = call("GET", "/v1/topics/paged/partitions/0/events").json();  // from earliest, 100
  EXPECT_EQ(page["events"].size(), 25u);
  EXPECT_EQ(page["next_offset"], 25);
  page = call("GET", "/v1/topics/paged/partitions/0/events?from=25").json();  // caught up
  EXPECT_TRUE(page["events"].empty());
  EXPECT_EQ(page["next_offset"], 25);

  EXPECT_EQ(call("GET", "/v1/topics/paged/partitions/0/events?from=26").status, 404);
  for (const char* query :
       {"limit=0", "limit=1001", "limit=x", "from=-1", "from=1e3", "limit=%zz"}) {
    EXPECT_EQ(call("GET", std::string("/v1/topics/paged/partitions/0/events?") + query).status, 400)
        << query;
  }
  EXPECT_EQ(call("GET", "/v1/topics/paged/partitions/0/events?limit=%31&from=2%34")
                .json()["events"][0]["offset"],
            24);
}

TEST_F(HttpApi, NotFound) {
  create_topic("t", 2);
  produce("t", R"([{"value": "a", "partition": 0}])");
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/topics/nope/partitions/0/events/0", "not_found"},
      {"/v1/topics/t/partitions/2/events/0", "not_found"},
      {"/v1/topics/t/partitions/0/events/1", "offset_out_of_range"},
      {"/v1/topics/t/partitions/0/events/999", "offset_out_of_range"},
      {"/v1/topics/nope", "not_found"},
      {"/v1/nothing", "not_found"},
      {"/v1/topics/t/", "not_found"},
      {"/v1/topics/t/partitions/0/events/0/extra", "not_found"},
      {"/", "not_found"},
      {"/v1/groups/nobody", "not_found"},
  };
  for (const auto& [target, code] : cases) {
    const Response response = call("GET", target);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.json()["error"], code) << target;
    EXPECT_TRUE(response.json()["message"].is_string());
  }
  EXPECT_EQ(call("GET", "/v1/topics/t/partitions/x/events/0").status, 400);
  EXPECT_EQ(call("GET", "/v1/topics/t/partitions/0/events/-1").status, 400);
  EXPECT_EQ(call("GET", "/v1/topics/t%zz").status, 400);
  EXPECT_FALSE(should_close());  // errors in answers keep the connection
}

TEST_F(HttpApi, MethodNotAllowed) {
  create_topic("t", 1);
  const std::tuple<const char*, const char*, const char*> cases[] = {
      {"DELETE", "/v1/topics/t/events", "POST"},
      {"GET", "/v1/topics/t/events", "POST"},
      {"POST", "/v1/topics/t", "GET, HEAD, PUT, DELETE"},
      {"POST", "/healthz", "GET, HEAD"},
      {"PUT", "/metrics", "GET, HEAD"},
      {"PATCH", "/v1/topics/t/partitions/0/events/0", "GET, HEAD"},
      {"OPTIONS", "/v1/groups", "GET, HEAD"},
  };
  for (const auto& [method, target, allow] : cases) {
    const Response response = call(method, target);
    EXPECT_EQ(response.status, 405) << method << " " << target;
    EXPECT_EQ(response.field("allow"), allow);
    EXPECT_EQ(response.json()["error"], "method_not_allowed");
  }
}

TEST_F(HttpApi, Keys) {
  create_topic("users", 4, true);
  create_topic("plain", 1);
  produce("users", R"([{"key": "alice", "value": "v1"}, {"key": "bob", "value": "b"},
                       {"key": "alice", "value": "v2"}, {"key": "a/b c", "value": "slash"}])");
  Response latest = call("GET", "/v1/topics/users/keys/alice");
  ASSERT_EQ(latest.status, 200) << latest.body;
  EXPECT_EQ(latest.json()["value"], "v2");
  EXPECT_EQ(latest.json()["key"], "alice");
  EXPECT_EQ(call("GET", "/v1/topics/users/keys/a%2Fb%20c").json()["value"], "slash");
  EXPECT_EQ(call("GET", "/v1/topics/users/keys/carol").status, 404);
  EXPECT_EQ(call("GET", "/v1/topics/nope/keys/alice").status, 404);
  const Response unkeyed = call("GET", "/v1/topics/plain/keys/alice");
  EXPECT_EQ(unkeyed.status, 400);
  EXPECT_EQ(unkeyed.json()["error"], "invalid_argument");
}

TEST_F(HttpApi, BadProduceRequests) {
  create_topic("t", 2);
  const char* bodies[] = {
      "not json",
      "",
      R"({"value": "an object, not an array"})",
      "[]",
      "[1]",
      R"([{"key": "k"}])",
      R"([{"value": null}])",
      R"([{"value": "v", "colour": "red"}])",
      R"([{"value_b64": "not base64!"}])",
      R"([{"value": "v", "headers": ["x"]}])",
      R"([{"value": "v", "headers": {"h": 1}}])",
      R"([{"value": "v", "partition": -1}])",
      R"([{"value": "v", "timestamp": "now"}])",
      R"([{"value": "v", "key": 5}])",
  };
  for (const char* body : bodies) {
    const Response response = call("POST", "/v1/topics/t/events", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.json()["error"], "bad_request") << body;
  }
  EXPECT_EQ(call("POST", "/v1/topics/t/events?acks=all", R"([{"value": "v"}])").status, 400);
  // A partition the topic does not have, a topic that does not exist.
  EXPECT_EQ(call("POST", "/v1/topics/t/events", R"([{"value": "v", "partition": 2}])").status, 400);
  const Response missing = call("POST", "/v1/topics/nope/events", R"([{"value": "v"}])");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"], "not_found");
  EXPECT_EQ(missing.json()["offsets"][0]["error"], "not_found");
  // Nothing was stored.
  EXPECT_EQ(call("GET", "/v1/topics/t").json()["partitions"][0]["latest_offset"], 0);
  // At most 512 events per request (server/http/produce_handler.cc says why).
  std::string many = "[";
  for (int i = 0; i < 513; ++i)
    many += std::string(i ? "," : "") + R"({"value": "x"})";
  EXPECT_EQ(call("POST", "/v1/topics/t/events", many + "]").status, 400);
  // Deep nesting is just bad input.
  EXPECT_EQ(call("POST", "/v1/topics/t/events", std::string(100000, '[')).status, 400);
}

TEST_F(HttpApi, ProduceTooLargeEvent) {
  ASSERT_EQ(call("PUT", "/v1/topics/small", R"({"max_event_bytes": 100})").status, 201);
  const Response response = call("POST", "/v1/topics/small/events",
                                 R"([{"value": "ok"}, {"value": ")" + std::string(200, 'x') +
                                     R"("}, {"value": "never sent"}])");
  EXPECT_EQ(response.status, 413);
  const json body = response.json();
  EXPECT_EQ(body["error"], "too_large");
  EXPECT_EQ(body["offsets"][0]["offset"], 0);
  EXPECT_EQ(body["offsets"][1]["error"], "too_large");
  EXPECT_EQ(body["offsets"][2]["error"], "not_sent");
}

TEST_F(HttpApi, FullProducerIs503) {
  // A topic whose partition the session's own shard owns: while the test holds that shard's
  // thread, nothing sent to it completes, so the producer fills up for certain.
  std::string topic;
  for (int i = 0; topic.empty(); ++i) {
    const std::string name = "full" + std::to_string(i);
    if (engine_->impl().shard_of(name, 0) == shard().id()) topic = name;
  }
  create_topic(topic, 1);
  // Fill the shard's producer (64 MiB in flight), then produce through HTTP: the shard thread
  // does not wait for room, it answers 503.
  const Response response = on_shard([&] {
    Producer& producer = ctx_->producer(Durability::synced);
    Event big;
    big.value.assign((1u << 20) - 64, 'x');
    bool full = false;
    for (int i = 0; i < 100 && !full; ++i) {
      Result<void> sent = producer.send(topic, big, [](const Result<Delivery>&) {});
      full = !sent.ok() && sent.code() == Errc::would_block;
    }
    EXPECT_TRUE(full);
    // Less than one big event's room is left: a 10 kB event does not fit.
    const std::string text = request_text("POST", "/v1/topics/" + topic + "/events?acks=synced",
                                          R"([{"value": ")" + std::string(10000, 'y') + "\"}]");
    session_->on_input(std::as_bytes(std::span(text.data(), text.size())));
    std::string out;
    while (session_->has_output()) {
      const auto bytes = session_->pending_output();
      out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      session_->sent(bytes.size());
    }
    return take_response(out).value_or(Response{});
  });
  drain();
  EXPECT_EQ(response.status, 503);
  const json body = response.json();
  EXPECT_EQ(body["error"], "would_block");
  EXPECT_NE(body["message"].get<std::string>().find("retry later"), std::string::npos);
  EXPECT_EQ(body["offsets"][0]["error"], "would_block");
}

TEST_F(HttpApi, ChunkedProduceAndContinue) {
  create_topic("t", 1);
  const std::string body = R"([{"value": "chunked"}])";
  std::string text =
      "POST /v1/topics/t/events HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  text += "5\r\n" + body.substr(0, 5) + "\r\n";
  char size[8];
  std::snprintf(size, sizeof(size), "%zx", body.size() - 5);
  text += std::string(size) + "\r\n" + body.substr(5) + "\r\n0\r\n\r\n";
  feed(text);
  std::string out = drain();
  std::optional<Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;

  feed(
      "POST /v1/topics/t/events HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  out = drain();
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
  feed(body);
  out = drain();
  response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->json()["offsets"][0]["offset"], 1);
}

TEST_F(HttpApi, PipelinedAnswersKeepRequestOrder) {
  create_topic("t", 1);
  // A produce (answered later), then reads answered at once behind it, then another produce.
  std::string text;
  text += request_text("POST", "/v1/topics/t/events?acks=synced", R"([{"value": "a"}])");
  text += request_text("GET", "/healthz");
  text += request_text("GET", "/v1/topics/t/partitions/0/events/0");
  text += request_text("POST", "/v1/topics/t/events", R"([{"value": "b"}])");
  text += request_text("GET", "/v1/nothing");
  feed(text);
  std::string out = drain();
  std::vector<int> statuses;
  std::vector<json> bodies;
  while (std::optional<Response> response = take_response(out)) {
    statuses.push_back(response->status);
    bodies.push_back(response->json());
  }
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(statuses, (std::vector<int>{200, 200, 200, 200, 404}));
  EXPECT_EQ(bodies[0]["offsets"][0]["offset"], 0);
  EXPECT_EQ(bodies[1]["status"], "ok");
  EXPECT_EQ(bodies[2]["value"], "a");  // the read came after the produce completed
  EXPECT_EQ(bodies[3]["offsets"][0]["offset"], 1);
}

TEST_F(HttpApi, RequestsArrivingByteByByte) {
  create_topic("t", 1);
  std::string text;
  text += request_text("POST", "/v1/topics/t/events", R"([{"key": "k", "value": "v"}])");
  text += request_text("GET", "/v1/topics/t/partitions/0/events/0");
  text +=
      "PUT /v1/topics/u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n";
  text += request_text("HEAD", "/v1/topics/u");
  std::string out;
  for (char c : text) {
    feed(std::string_view(&c, 1));
    out += drain();
  }
  std::vector<int> statuses;
  std::optional<Response> response;
  while ((response = take_response(out, statuses.size() == 3)))
    statuses.push_back(response->status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 201, 200}));
  EXPECT_TRUE(out.empty()) << out;
}

TEST_F(HttpApi, PipelinedWritesAreHandledOneAtATime) {
  options_.http_limits.max_in_flight_requests = 2;
  new_session();
  create_topic("t", 1);
  std::string text;
  for (int i = 0; i < 6; ++i)
    text += request_text("POST", "/v1/topics/t/events?acks=synced",
                         R"([{"value": ")" + std::to_string(i) + "\"}]");
  text += request_text("GET", "/v1/topics/t/partitions/0/events?from=0");
  const size_t used = feed(text);
  // Nothing is handled behind a write still waiting for its answer.
  EXPECT_LT(used, text.size());
  EXPECT_LE(in_flight(), 1u);
  if (in_flight() == 1) {
    EXPECT_TRUE(input_paused());
  }
  std::string out = drain();
  int expected = 0;
  for (; expected < 6; ++expected) {
    std::optional<Response> response = take_response(out);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    EXPECT_EQ(response->json()["offsets"][0]["offset"], expected);
  }
  std::optional<Response> page = take_response(out);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->json()["events"].size(), 6u);  // every write was done before the read
  EXPECT_FALSE(input_paused());
  EXPECT_EQ(in_flight(), 0u);
}

TEST_F(HttpApi, BodyOverTheLimitIs413AndCloses) {
  create_topic("t", 1);
  options_.http_limits.max_body_bytes = 64;
  new_session();
  feed(request_text("POST", "/v1/topics/t/events", std::string(65, 'x')) +
       request_text("GET", "/healthz"));
  std::string out = drain();
  std::optional<Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->json()["error"], "body_too_large");
  EXPECT_EQ(response->field("connection"), "close");
  EXPECT_TRUE(out.empty());  // nothing after it is answered
  EXPECT_TRUE(should_close());
}

TEST_F(HttpApi, HeadersOverTheLimitIs431AndCloses) {
  feed("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(17 << 10, 'h'));
  std::string out = drain();
  std::optional<Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->json()["error"], "headers_too_large");
  EXPECT_TRUE(should_close());
  // Whatever comes later is dropped.
  feed("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(unconsumed_.empty());
  EXPECT_TRUE(take_output().empty());
}

TEST_F(HttpApi, MalformedRequestsAnswerThenClose) {
  const std::pair<std::string, int> cases[] = {
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"GET / HTTP/1.1\r\n\r\n", 400},
      {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00", 8), 400},
  };
  for (const auto& [text, status] : cases) {
    new_session();
    feed(text);
    std::string out = drain();
    std::optional<Response> response = take_response(out);
    ASSERT_TRUE(response) << text;
    EXPECT_EQ(response->status, status) << text;
    EXPECT_EQ(response->field("connection"), "close");
    EXPECT_TRUE(should_close());
  }
}

TEST_F(HttpApi, ConnectionCloseAndHttp10) {
  feed(request_text("GET", "/healthz", "", "Connection: close\r\n") +
       request_text("GET", "/healthz"));
  std::string out = drain();
  std::optional<Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->field("connection"), "close");
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(should_close());

  new_session();
  feed("GET /healthz HTTP/1.0\r\n\r\n");
  out = drain();
  response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->field("connection"), "close");
  EXPECT_TRUE(should_close());

  new_session();
  feed("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  out = drain();
  response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->field("connection"), "keep-alive");
  EXPECT_FALSE(should_close());
}

TEST_F(HttpApi, ShuttingDownIs503) {
  create_topic("t", 1);
  on_shard([&] { ctx_->set_stopping(); });
  const Response response = call("GET", "/healthz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.json()["error"], "shutting_down");
  EXPECT_EQ(response.field("connection"), "close");
  EXPECT_TRUE(should_close());
}

TEST_F(HttpApi, ShouldCloseWaitsForEarlierAnswers) {
  create_topic("t", 1);
  // A deferred produce, then a request that closes: should_close turns true only once the
  // closing answer is in the output, behind the produce's.
  feed(request_text("POST", "/v1/topics/t/events?acks=synced", R"([{"value": "a"}])") +
       request_text("GET", "/healthz", "", "Connection: close\r\n"));
  if (in_flight() > 0) {
    EXPECT_FALSE(should_close());
  }
  std::string out = drain();
  EXPECT_TRUE(should_close());
  ASSERT_EQ(take_response(out)->status, 200);
  ASSERT_EQ(take_response(out)->field("connection"), "close");
}

TEST_F(HttpApi, AnswersAfterTheSessionIsGoneGoNowhere) {
  feed(request_text("PUT", "/v1/topics/later", "{}"));
  on_shard([&] { session_.reset(); });  // the connection closed
  // The worker creates the topic; its completion, on the shard thread, finds no session.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!engine_->describe_topic("later").ok() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  new_session();
  feed(request_text("POST", "/v1/topics/later/events?acks=synced", R"([{"value": "a"}])"));
  on_shard([&] { session_.reset(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  on_shard([&] { ctx_->poll_producers(); });  // the produce's callback finds no session
  new_session();
  EXPECT_EQ(call("GET", "/v1/topics/later").status, 200);
}

TEST_F(HttpApi, Groups) {
  create_topic("t", 2);
  produce("t", R"([{"value": "a", "partition": 0}, {"value": "b", "partition": 0},
                   {"value": "c", "partition": 1}])");
  {
    Result<Consumer> consumer =
        engine_->consumer(sluice::testing::consumer_options("readers", {"t"}));
    ASSERT_TRUE(consumer.ok()) << consumer.error().to_string();
    const std::vector<Record> records = sluice::testing::consume(*consumer, 3);
    ASSERT_EQ(records.size(), 3u);
    ASSERT_TRUE(consumer->commit(TopicPartition{"t", 0}, 1).ok());
    ASSERT_TRUE(consumer->commit(TopicPartition{"t", 1}, 1).ok());

    const Response response = call("GET", "/v1/groups/readers");
    ASSERT_EQ(response.status, 200) << response.body;
    const json group = response.json();
    EXPECT_EQ(group["group"], "readers");
    EXPECT_EQ(group["state"], "stable");
    ASSERT_EQ(group["members"].size(), 1u);
    EXPECT_EQ(group["members"][0]["member_id"], consumer->member_id());
    EXPECT_EQ(group["members"][0]["assignment"].size(), 2u);
    ASSERT_EQ(group["offsets"].size(), 2u);
    EXPECT_EQ(group["lag"], 1);  // partition 0: latest 2, committed 1
    for (const json& offset : group["offsets"]) {
      EXPECT_EQ(offset["topic"], "t");
      EXPECT_EQ(offset["committed"], 1);
      EXPECT_EQ(offset["lag"], offset["partition"] == 0 ? 1 : 0);
    }
    const json listed = call("GET", "/v1/groups").json();
    EXPECT_EQ(listed["groups"], json::array({"readers"}));
  }
  // The member left; the committed offsets stay.
  const json group = call("GET", "/v1/groups/readers").json();
  EXPECT_TRUE(group["members"].empty());
  EXPECT_EQ(group["offsets"].size(), 2u);
}

TEST_F(HttpApi, MetricsText) {
  create_topic("t", 1);
  produce("t", R"([{"value": "abc"}])");
  EXPECT_EQ(call("GET", "/v1/topics/t/partitions/0/events/0").status, 200);
  const Response response = call("GET", "/metrics");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.field("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("\nsluice_produced_events_total 1\n"), std::string::npos);
  EXPECT_NE(response.body.find("\nsluice_produced_bytes_total 3\n"), std::string::npos);
  EXPECT_NE(response.body.find("\nsluice_fetched_events_total 1\n"), std::string::npos);
  EXPECT_NE(response.body.find("sluice_http_request_duration_seconds_count "), std::string::npos);
  // Every sample line is "name[{labels}] value" under a # TYPE of its family.
  std::set<std::string> typed;
  std::istringstream lines(response.body);
  std::string line;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string name = line.substr(0, std::min(line.find('{'), space));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.substr(name.size() - s.size()) == s &&
          typed.count(name.substr(0, name.size() - s.size())) != 0) {
        name = name.substr(0, name.size() - s.size());
      }
    }
    EXPECT_EQ(typed.count(name), 1u) << line;
    EXPECT_NO_THROW((void)std::stod(line.substr(space + 1))) << line;
  }
}

}  // namespace
}  // namespace sluice::server::http::testing
