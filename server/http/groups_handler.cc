// GET /v1/groups and GET /v1/groups/{group}: members, their assignment, the committed offsets
// and the lag of each partition (latest offset minus committed offset), and the total lag.
// Engine::describe_group reads the coordinator's state under its lock and never waits for a
// shard, so it is answered at once.
#include "server/http/api_support.h"
#include "server/http/handlers.h"
#include "server/http/http_session.h"

namespace sluice::server::http {

void list_groups(HttpExchange& exchange) {
  const std::vector<std::string> names = exchange.ctx().engine().list_groups();
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    json.begin_object();
    json.key("groups");
    json.begin_array();
    for (const std::string& name : names)
      json.string_lossy(name);
    json.end_array();
    json.end_object();
  });
}

void get_group(HttpExchange& exchange) {
  Result<Engine::GroupDescription> group =
      exchange.ctx().engine().describe_group(exchange.param(0));
  if (!group.ok()) {
    respond_engine_error(exchange, group.error());
    return;
  }
  exchange.respond(200, kJsonType, [&](std::string& body) {
    JsonWriter json(body);
    json.begin_object();
    json.key("group");
    json.string_lossy(group->group);
    json.field("state", group->state);
    json.field("generation", int64_t{group->generation});
    json.key("members");
    json.begin_array();
    for (const Engine::GroupMember& member : group->members) {
      json.begin_object();
      json.key("member_id");
      json.string_lossy(member.member_id);
      json.key("assignment");
      json.begin_array();
      for (const TopicPartition& tp : member.assignment) {
        json.begin_object();
        json.key("topic");
        json.string_lossy(tp.topic);
        json.field("partition", int64_t{tp.partition});
        json.end_object();
      }
      json.end_array();
      json.end_object();
    }
    json.end_array();
    int64_t total = 0;
    json.key("offsets");
    json.begin_array();
    for (const PartitionLag& lag : group->offsets) {
      json.begin_object();
      json.key("topic");
      json.string_lossy(lag.partition.topic);
      json.field("partition", int64_t{lag.partition.partition});
      json.field("committed", lag.committed);
      json.field("latest", lag.latest);
      json.field("lag", lag.lag);
      json.end_object();
      total += lag.lag;
    }
    json.end_array();
    json.field("lag", total);
    json.end_object();
  });
}

}  // namespace sluice::server::http
