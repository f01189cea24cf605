// The HTTP API of queues, dead letters, request-reply and idempotency keys, end to end through
// HttpSession on a real Engine (tests/server/http/http_test_fixture.h).
#include "tests/server/http/http_test_fixture.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

namespace sluice::server::http::testing {
namespace {

using nlohmann::json;

class HttpQueueApi : public HttpApiTest {
 protected:
  json post_json(const std::string& target, const json& body, int expected_status,
                 const std::string& fields = "") {
    const Response response = call("POST", target, body.dump(), fields);
    EXPECT_EQ(response.status, expected_status) << target << ": " << response.body;
    return response.json();
  }

  void produce(const std::string& topic, const json& events) {
    post_json("/v1/topics/" + topic + "/events?acks=synced", events, 200);
  }

  json receive(const std::string& group, const std::string& topic, int max_events, int wait_ms,
               std::optional<int> lock_ms = std::nullopt) {
    json body = {{"max_events", max_events}, {"wait_ms", wait_ms}};
    if (lock_ms) body["lock_ms"] = *lock_ms;
    return post_json("/v1/groups/" + group + "/topics/" + topic + "/receive", body, 200)["events"];
  }

  static json refs(const json& events) {
    json out = json::array();
    for (const json& e : events) {
      out.push_back({{"partition", e["partition"]},
                     {"offset", e["offset"]},
                     {"lock_token", e["lock_token"]}});
    }
    return out;
  }

  // Closes the session, the server context and the engine, and opens them again on the same
  // directory.
  void restart() {
    on_shard([&] { session_.reset(); });
    offloader_.reset();
    ctx_.reset();
    engine_.reset();
    engine_ = sluice::testing::open_engine(sluice::testing::engine_options(dir_.path(), 2));
    ASSERT_NE(engine_, nullptr);
    offloader_ = std::make_unique<Offloader>();
    ctx_ = std::make_unique<ShardContext>(*engine_, shard(), *offloader_, metrics_, options_);
    new_session();
  }
};

TEST_F(HttpQueueApi, ReceiveAckAndNack) {
  create_topic("jobs", 2);
  produce("jobs", json::array({{{"key", "a"}, {"value", "one"}},
                               {{"key", "b"}, {"value", "two"}},
                               {{"key", "c"}, {"value", "three"}}}));
  json events = receive("workers", "jobs", 10, 1000);
  ASSERT_EQ(events.size(), 3u);
  std::set<std::string> values;
  for (const json& e : events) {
    values.insert(e["value"].get<std::string>());
    EXPECT_EQ(e["delivery_count"], 1);
    EXPECT_FALSE(e["lock_token"].get<std::string>().empty());
    EXPECT_GT(e["lock_expires"].get<int64_t>(), 0);
  }
  EXPECT_EQ(values, (std::set<std::string>{"one", "two", "three"}));
  // Everything is locked: nothing more to receive now.
  EXPECT_TRUE(receive("workers", "jobs", 10, 0).empty());

  // Ack two, nack one for immediate redelivery.
  json ack = json::array({refs(events)[0], refs(events)[1]});
  EXPECT_EQ(post_json("/v1/groups/workers/topics/jobs/ack", {{"events", ack}}, 200)["acked"], 2);
  json nack = {
      {"events", json::array({refs(events)[2]})}, {"reason", "flaky"}, {"retry_after_ms", 0}};
  EXPECT_EQ(post_json("/v1/groups/workers/topics/jobs/nack", nack, 200)["nacked"], 1);
  json again = receive("workers", "jobs", 10, 2000);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["offset"], events[2]["offset"]);
  EXPECT_EQ(again[0]["delivery_count"], 2);
  EXPECT_NE(again[0]["lock_token"], events[2]["lock_token"]);

  // The old token of a redelivered event no longer holds the lock; an acked event is not
  // locked by anyone.
  json stale = post_json("/v1/groups/workers/topics/jobs/ack",
                         {{"events", json::array({refs(events)[2]})}}, 409);
  EXPECT_EQ(stale["acked"], 0);
  ASSERT_EQ(stale["failed"].size(), 1u);
  EXPECT_EQ(stale["failed"][0]["error"], "lock_lost");
  json twice = post_json("/v1/groups/workers/topics/jobs/ack",
                         {{"events", json::array({refs(events)[0]})}}, 409);
  EXPECT_EQ(twice["failed"][0]["offset"], events[0]["offset"]);
  EXPECT_EQ(
      post_json("/v1/groups/workers/topics/jobs/ack", {{"events", refs(again)}}, 200)["acked"], 1);
}

TEST_F(HttpQueueApi, LongPollWakesOnProduce) {
  create_topic("later", 1);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Result<Producer> made = engine_->producer({});
    ASSERT_TRUE(made.ok());
    Event event;
    event.value = "late";
    ASSERT_TRUE(made->send_future("later", std::move(event)).get().ok());
  });
  const auto start = std::chrono::steady_clock::now();
  json events = receive("g", "later", 5, 10000);
  const auto waited = std::chrono::steady_clock::now() - start;
  producer.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["value"], "late");
  EXPECT_LT(waited, std::chrono::seconds(5));  // woken by the append, not by the timeout
}

TEST_F(HttpQueueApi, BadInput) {
  create_topic("jobs", 1);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/receive", "{\"max_events\": 0}").status, 400);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/receive", "{\"max_events\": 10001}").status,
            400);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/receive", "{\"wait\": 1}").status, 400);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/receive", "[1]").status, 400);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/ack", "{}").status, 400);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/ack",
                 R"({"events": [{"partition": 0, "offset": -1, "lock_token": "x"}]})")
                .status,
            400);
  EXPECT_EQ(call("POST", "/v1/groups/g/topics/jobs/nack",
                 R"({"events": [{"partition": 0, "offset": 1, "lock_token": "x"}], "reason": 5})")
                .status,
            400);
  EXPECT_EQ(call("GET", "/v1/groups/g/topics/jobs/receive").status, 405);
  const Response missing = call("POST", "/v1/groups/g/topics/nope/receive", "{}");
  EXPECT_EQ(missing.status, 404) << missing.body;
  // The server goes on.
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(HttpQueueApi, DeadLetterListAndReplay) {
  const Response created =
      call("PUT", "/v1/topics/pay",
           R"({"partitions": 1, "queue": {"max_deliveries": 2, "retry": {"initial_ms": 1}}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["queue"]["max_deliveries"], 2);
  produce("pay", json::array({{{"key", "k1"}, {"value", "charge"}}}));
  for (int delivery = 1; delivery <= 2; ++delivery) {
    json events = receive("billing", "pay", 1, 3000);
    ASSERT_EQ(events.size(), 1u) << "delivery " << delivery;
    EXPECT_EQ(events[0]["delivery_count"], delivery);
    post_json("/v1/groups/billing/topics/pay/nack",
              {{"events", refs(events)}, {"reason", "card declined"}, {"retry_after_ms", 0}}, 200);
  }
  EXPECT_TRUE(receive("billing", "pay", 1, 300).empty());

  json listed = call("GET", "/v1/topics/pay/dlq").json();
  ASSERT_EQ(listed["events"].size(), 1u) << listed.dump();
  const json& dead = listed["events"][0];
  EXPECT_EQ(dead["value"], "charge");
  EXPECT_EQ(dead["key"], "k1");
  EXPECT_EQ(dead["source"]["topic"], "pay");
  EXPECT_EQ(dead["source"]["partition"], 0);
  EXPECT_EQ(dead["source"]["offset"], 0);
  EXPECT_EQ(dead["source"]["group"], "billing");
  EXPECT_EQ(dead["source"]["delivery_count"], 2);
  EXPECT_EQ(dead["source"]["reason"], "card declined");
  EXPECT_GT(dead["source"]["time"].get<int64_t>(), 0);
  EXPECT_EQ(listed["next"], 1);

  json replayed = post_json("/v1/topics/pay/dlq/replay", {{"group", "billing"}}, 200);
  EXPECT_EQ(replayed["replayed"], 1);
  json back = receive("billing", "pay", 5, 3000);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0]["value"], "charge");
  EXPECT_EQ(back[0]["offset"], 0);
  // Once per DLQ offset.
  json again = post_json("/v1/topics/pay/dlq/replay", json::object(), 200);
  EXPECT_EQ(again["replayed"], 0);
  EXPECT_EQ(again["already_replayed"], 1);
  post_json("/v1/groups/billing/topics/pay/ack", {{"events", refs(back)}}, 200);
  EXPECT_TRUE(receive("billing", "pay", 5, 200).empty());

  EXPECT_EQ(call("POST", "/v1/topics/pay/dlq/replay", R"({"from": -1})").status, 400);
  EXPECT_EQ(call("POST", "/v1/topics/pay/dlq/replay", R"({"color": "red"})").status, 400);
  EXPECT_EQ(call("GET", "/v1/topics/none/dlq").status, 404);
}

TEST_F(HttpQueueApi, RequestReplyCompletes) {
  create_topic("commands", 1);
  const Response accepted = call("POST", "/v1/topics/commands/requests?key=order-7", "{\"n\": 1}");
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = accepted.json()["id"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(accepted.field("location"), "/v1/requests/" + id);
  EXPECT_EQ(accepted.json()["status"], "pending");

  json pending = call("GET", "/v1/requests/" + id).json();
  EXPECT_EQ(pending["status"], "pending");

  // The event carries the id; a worker on the queue completes it.
  json events = receive("workers", "commands", 1, 2000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["headers"]["request-id"], id);
  EXPECT_EQ(events[0]["key"], "order-7");
  EXPECT_EQ(events[0]["value"], "{\"n\": 1}");
  json done = post_json("/v1/requests/" + id + "/complete", {{"result", {{"total", 42}}}}, 200);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["result"]["total"], 42);
  json got = call("GET", "/v1/requests/" + id).json();
  EXPECT_EQ(got["status"], "completed");
  EXPECT_EQ(got["result"], json({{"total", 42}}));
  // An outcome is final.
  post_json("/v1/requests/" + id + "/fail", {{"error", "late"}}, 409);
  EXPECT_EQ(call("GET", "/v1/requests/0123456789abcdef0123456789abcdef").status, 404);
  EXPECT_EQ(call("POST", "/v1/requests/" + id + "/complete", "{\"answer\": 1}").status, 400);

  // Statuses survive a restart.
  restart();
  json after = call("GET", "/v1/requests/" + id).json();
  EXPECT_EQ(after["status"], "completed");
  EXPECT_EQ(after["result"]["total"], 42);
}

TEST_F(HttpQueueApi, PreferWaitAnswersAsSoonAsTheOutcomeExists) {
  create_topic("commands", 1);
  // A worker that fails every request 100 ms after it arrives.
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    QueueOptions options;
    options.group = "workers";
    options.topic = "commands";
    Result<Queue> queue = engine_->queue(options);
    ASSERT_TRUE(queue.ok()) << queue.error().to_string();
    while (!stop.load()) {
      Result<std::vector<QueuedEvent>> events = queue->receive(10, std::chrono::milliseconds(50));
      ASSERT_TRUE(events.ok());
      for (const QueuedEvent& event : *events) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        for (const Header& header : event.record.headers) {
          if (header.key == kRequestIdHeader) {
            ASSERT_TRUE(engine_->fail_request(*header.value, "\"no stock\"").ok());
          }
        }
        ASSERT_TRUE(
            queue->ack({{event.record.partition, event.record.offset, event.lock_token}}).ok());
      }
    }
  });
  const auto start = std::chrono::steady_clock::now();
  const Response answered =
      call("POST", "/v1/topics/commands/requests", "x", "Prefer: wait=10\r\n");
  const auto took = std::chrono::steady_clock::now() - start;
  stop = true;
  worker.join();
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.json()["status"], "failed");
  EXPECT_EQ(answered.json()["error"], "no stock");
  EXPECT_LT(took, std::chrono::seconds(5));

  // No worker now: the wait runs out and the answer is 202 with the Location.
  const auto start2 = std::chrono::steady_clock::now();
  const Response later = call("POST", "/v1/topics/commands/requests", "y", "Prefer: wait=1\r\n");
  EXPECT_GE(std::chrono::steady_clock::now() - start2, std::chrono::milliseconds(900));
  ASSERT_EQ(later.status, 202) << later.body;
  const std::string id = later.json()["id"];
  EXPECT_EQ(later.field("location"), "/v1/requests/" + id);

  // GET with a wait returns when another thread completes it.
  std::thread completer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_TRUE(engine_->complete_request(id, "[1,2]").ok());
  });
  const auto start3 = std::chrono::steady_clock::now();
  const Response waited =
      call("GET", "/v1/requests/" + id, "", "Prefer: respond-async, wait=20\r\n");
  completer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start3, std::chrono::seconds(10));
  EXPECT_EQ(waited.status, 200);
  EXPECT_EQ(waited.json()["status"], "completed");
  EXPECT_EQ(waited.json()["result"], json::array({1, 2}));
}

TEST_F(HttpQueueApi, DeadLetteredRequest) {
  const Response created =
      call("PUT", "/v1/topics/cmd", R"({"partitions": 1, "queue": {"max_deliveries": 1}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const Response accepted = call("POST", "/v1/topics/cmd/requests", "work");
  ASSERT_EQ(accepted.status, 202);
  const std::string id = accepted.json()["id"];
  json events = receive("w", "cmd", 1, 2000);
  ASSERT_EQ(events.size(), 1u);
  post_json("/v1/groups/w/topics/cmd/nack", {{"events", refs(events)}, {"reason", "bad input"}},
            200);
  json state = call("GET", "/v1/requests/" + id, "", "Prefer: wait=5\r\n").json();
  EXPECT_EQ(state["status"], "dead-lettered");
  EXPECT_NE(state["error"].get<std::string>().find("bad input"), std::string::npos);
}

TEST_F(HttpQueueApi, IdempotencyKeyRepeatsTheFirstAnswer) {
  create_topic("pay", 1);
  const std::string body = R"([{"value": "a"}, {"value": "b"}])";
  const Response first =
      call("POST", "/v1/topics/pay/events?acks=synced", body, "Idempotency-Key: k-1\r\n");
  ASSERT_EQ(first.status, 200) << first.body;
  const Response repeat =
      call("POST", "/v1/topics/pay/events?acks=synced", body, "Idempotency-Key: k-1\r\n");
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(repeat.json(), first.json());
  EXPECT_EQ(repeat.field("idempotent-replayed"), "true");
  // Nothing was appended twice.
  EXPECT_EQ(engine_->partition_state("pay", 0)->latest_offset, 2);
  // The key with another body is refused; a new key appends.
  EXPECT_EQ(call("POST", "/v1/topics/pay/events?acks=synced", R"([{"value": "c"}])",
                 "Idempotency-Key: k-1\r\n")
                .status,
            422);
  EXPECT_EQ(
      call("POST", "/v1/topics/pay/events?acks=synced", body, "Idempotency-Key: k-2\r\n").status,
      200);
  EXPECT_EQ(engine_->partition_state("pay", 0)->latest_offset, 4);
  EXPECT_EQ(call("POST", "/v1/topics/pay/events", body,
                 "Idempotency-Key: " + std::string(300, 'x') + "\r\n")
                .status,
            400);
  // The answer survives a restart.
  restart();
  const Response after =
      call("POST", "/v1/topics/pay/events?acks=synced", body, "Idempotency-Key: k-1\r\n");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.json(), first.json());
  EXPECT_EQ(engine_->partition_state("pay", 0)->latest_offset, 4);
}

TEST_F(HttpQueueApi, QueueMetrics) {
  create_topic("jobs", 1);
  produce("jobs", json::array({{{"value", "x"}}}));
  json events = receive("g", "jobs", 1, 1000);
  ASSERT_EQ(events.size(), 1u);
  const std::string text = call("GET", "/metrics").body;
  EXPECT_NE(text.find("sluice_queue_in_flight{group=\"g\",topic=\"jobs\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sluice_queue_dead_lettered_total"), std::string::npos);
  EXPECT_NE(text.find("sluice_queue_oldest_unacked_age_seconds"), std::string::npos);
}

}  // namespace
}  // namespace sluice::server::http::testing
