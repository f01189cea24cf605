#include "consumers/protocol_choice.h"

#include <gtest/gtest.h>

namespace sluice::consumers {
namespace {

std::vector<KafkaProtocol> listing(std::initializer_list<const char*> names) {
  std::vector<KafkaProtocol> out;
  for (const char* name : names)
    out.push_back({name, std::string("meta-") + name});
  return out;
}

std::string choose(const std::vector<std::vector<KafkaProtocol>>& members) {
  std::vector<const std::vector<KafkaProtocol>*> pointers;
  for (const auto& protocols : members)
    pointers.push_back(&protocols);
  return choose_protocol(pointers);
}

TEST(ProtocolChoice, OneMemberGetsItsFirstChoice) {
  EXPECT_EQ(choose({listing({"range", "roundrobin"})}), "range");
}

TEST(ProtocolChoice, OnlyProtocolsEveryMemberListsAreCandidates) {
  // Everybody prefers range, but the third member does not support it.
  EXPECT_EQ(choose({listing({"range", "roundrobin"}), listing({"range", "roundrobin"}),
                    listing({"roundrobin"})}),
            "roundrobin");
}

TEST(ProtocolChoice, MostVotesWin) {
  EXPECT_EQ(choose({listing({"range", "roundrobin"}), listing({"roundrobin", "range"}),
                    listing({"roundrobin", "range"})}),
            "roundrobin");
}

TEST(ProtocolChoice, TieGoesToTheLeadersPreference) {
  EXPECT_EQ(choose({listing({"range", "roundrobin"}), listing({"roundrobin", "range"})}), "range");
  EXPECT_EQ(choose({listing({"roundrobin", "range"}), listing({"range", "roundrobin"})}),
            "roundrobin");
}

TEST(ProtocolChoice, VoteGoesToTheFirstCandidateNotTheFirstListed) {
  // The second member's first choice (sticky) is no candidate: it votes for roundrobin.
  EXPECT_EQ(choose({listing({"range", "roundrobin"}), listing({"sticky", "roundrobin", "range"}),
                    listing({"roundrobin", "range"})}),
            "roundrobin");
}

TEST(ProtocolChoice, NothingInCommonOrNobody) {
  EXPECT_EQ(choose({listing({"range"}), listing({"roundrobin"})}), "");
  EXPECT_EQ(choose({}), "");
}

TEST(ProtocolChoice, SharesProtocol) {
  const auto a = listing({"range", "roundrobin"});
  const auto b = listing({"roundrobin"});
  const std::vector<const std::vector<KafkaProtocol>*> others{&a, &b};
  EXPECT_TRUE(shares_protocol(others, listing({"sticky", "roundrobin"})));
  EXPECT_FALSE(shares_protocol(others, listing({"range"})));  // b lacks it
  EXPECT_TRUE(shares_protocol({}, listing({"anything"})));
}

TEST(ProtocolChoice, MetadataFor) {
  const auto protocols = listing({"range", "roundrobin"});
  EXPECT_EQ(metadata_for(protocols, "roundrobin"), "meta-roundrobin");
  EXPECT_EQ(metadata_for(protocols, "sticky"), "");
}

}  // namespace
}  // namespace sluice::consumers
