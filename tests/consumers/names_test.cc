#include "consumers/names.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::consumers {
namespace {

TEST(Names, GroupIds) {
  EXPECT_TRUE(valid_group_id("g"));
  EXPECT_TRUE(valid_group_id("any bytes / even \xff"));
  EXPECT_TRUE(valid_group_id(std::string(kGroupIdBytesMax, 'g')));
  EXPECT_FALSE(valid_group_id(""));
  EXPECT_FALSE(valid_group_id(std::string(kGroupIdBytesMax + 1, 'g')));
}

TEST(Names, TopicNames) {
  EXPECT_TRUE(valid_topic_name("orders"));
  EXPECT_TRUE(valid_topic_name("Orders.v2_eu-west"));
  EXPECT_TRUE(valid_topic_name("__consumer_offsets"));
  EXPECT_TRUE(valid_topic_name("..."));
  EXPECT_TRUE(valid_topic_name(std::string(kTopicNameBytesMax, 't')));
  EXPECT_FALSE(valid_topic_name(""));
  EXPECT_FALSE(valid_topic_name("."));
  EXPECT_FALSE(valid_topic_name(".."));
  EXPECT_FALSE(valid_topic_name("a/b"));
  EXPECT_FALSE(valid_topic_name("a b"));
  EXPECT_FALSE(valid_topic_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_topic_name(std::string(kTopicNameBytesMax + 1, 't')));
}

}  // namespace
}  // namespace sluice::consumers
