// Tests of sluiced's configuration: defaults, flags, SLUICE_* environment variables, a TOML
// file, their precedence (flags > environment > file > defaults), and the errors for unknown
// names and malformed values.
#include "tools/sluiced/config.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace sluice::sluiced {
namespace {

Result<Config> load(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return load_config(args, env);
}

std::string write_file(const testing::TempDir& dir, const std::string& text) {
  std::string path = dir.path() + "/sluiced.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(SluicedConfigTest, Defaults) {
  Result<Config> config = load({});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->engine.data_dir, "./data");
  EXPECT_EQ(config->server.kafka.host, "127.0.0.1");
  EXPECT_EQ(config->server.kafka.port, 9092);
  EXPECT_EQ(config->server.http.host, "127.0.0.1");
  EXPECT_EQ(config->server.http.port, 8080);
  EXPECT_TRUE(config->server.auto_create_topics);
  EXPECT_EQ(config->server.default_partitions, 1);
  EXPECT_EQ(config->engine.shards, 0u);  // one per core
  EXPECT_TRUE(config->engine.direct_io);
  EXPECT_EQ(config->engine.write_interval.count(), 0);
  EXPECT_EQ(config->engine.small_write_bytes, 64u * 1024);
  EXPECT_FALSE(config->help);
}

TEST(SluicedConfigTest, Flags) {
  Result<Config> config = load({"--data-dir",
                                "/tmp/x",
                                "--kafka-listen=0.0.0.0:19092",
                                "--http-listen",
                                "[::1]:0",
                                "--shards",
                                "3",
                                "--auto-create-topics",
                                "false",
                                "--default-partitions",
                                "8",
                                "--wait",
                                "spin",
                                "--kafka-max-request-bytes",
                                "1048576",
                                "--direct-io",
                                "false",
                                "--write-interval-us",
                                "500",
                                "--small-write-bytes",
                                "0"});
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->engine.data_dir, "/tmp/x");
  EXPECT_EQ(config->server.kafka.host, "0.0.0.0");
  EXPECT_EQ(config->server.kafka.port, 19092);
  EXPECT_EQ(config->server.http.host, "::1");
  EXPECT_EQ(config->server.http.port, 0);
  EXPECT_EQ(config->engine.shards, 3u);
  EXPECT_FALSE(config->server.auto_create_topics);
  EXPECT_EQ(config->server.default_partitions, 8);
  EXPECT_EQ(config->engine.wait, WaitStrategy::spin);
  EXPECT_EQ(config->server.kafka_limits.max_request_bytes, 1048576u);
  EXPECT_FALSE(config->engine.direct_io);
  EXPECT_EQ(config->engine.write_interval.count(), 500);
  EXPECT_EQ(config->engine.small_write_bytes, 0u);
}

TEST(SluicedConfigTest, FileEnvironmentAndFlagsInPrecedence) {
  testing::TempDir dir;
  std::string path = write_file(dir,
                                "data_dir = \"/from/file\"\n"
                                "shards = 2\n"
                                "default_partitions = 4\n"
                                "auto_create_topics = false\n");
  Result<Config> config = load({"--config", path, "--shards", "5"},
                               {{"SLUICE_SHARDS", "3"}, {"SLUICE_DEFAULT_PARTITIONS", "6"}});
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->engine.data_dir, "/from/file");  // only the file says
  EXPECT_EQ(config->server.default_partitions, 6);   // the environment beats the file
  EXPECT_EQ(config->engine.shards, 5u);              // the flag beats both
  EXPECT_FALSE(config->server.auto_create_topics);   // a TOML boolean
}

TEST(SluicedConfigTest, ConfigFileFromTheEnvironment) {
  testing::TempDir dir;
  std::string path = write_file(dir, "kafka_listen = \"127.0.0.1:1234\"\n");
  Result<Config> config = load({}, {{"SLUICE_CONFIG", path}});
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server.kafka.port, 1234);
}

TEST(SluicedConfigTest, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* mentions;
  };
  const std::vector<Case> cases = {
      {{"--nope", "1"}, {}, "--nope"},
      {{"--shards"}, {}, "needs a value"},
      {{"--shards", "many"}, {}, "--shards"},
      {{"--shards", "0"}, {}, "minimum"},
      {{"--kafka-listen", "9092"}, {}, "HOST:PORT"},
      {{"--kafka-listen", "host:99999"}, {}, "port"},
      {{"--auto-create-topics", "maybe"}, {}, "true or false"},
      {{"--wait", "sleep"}, {}, "spin or park"},
      {{"--direct-io", "maybe"}, {}, "true or false"},
      {{"--write-interval-us", "2000000"}, {}, "--write-interval-us"},
      {{"stray"}, {}, "stray"},
      {{}, {{"SLUICE_SHARDS", "-1"}}, "SLUICE_SHARDS"},
  };
  for (const Case& c : cases) {
    Result<Config> config = load(c.args, c.env);
    ASSERT_FALSE(config.ok()) << c.mentions;
    EXPECT_EQ(config.code(), Errc::invalid_argument);
    EXPECT_NE(config.error().message().find(c.mentions), std::string::npos)
        << config.error().message();
  }
}

TEST(SluicedConfigTest, FileErrors) {
  testing::TempDir dir;
  Result<Config> missing = load({"--config", dir.path() + "/absent.toml"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::not_found);

  std::string unknown = write_file(dir, "colour = \"blue\"\n");
  Result<Config> bad_key = load({"--config", unknown});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message().find("colour"), std::string::npos);

  std::string broken = write_file(dir, "shards = = 3\n");
  Result<Config> bad_syntax = load({"--config", broken});
  ASSERT_FALSE(bad_syntax.ok());
  EXPECT_EQ(bad_syntax.code(), Errc::invalid_argument);

  std::string wrong_type = write_file(dir, "shards = [1, 2]\n");
  Result<Config> bad_type = load({"--config", wrong_type});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.error().message().find("shards"), std::string::npos);
}

TEST(SluicedConfigTest, HelpAndUsage) {
  Result<Config> config = load({"--help"});
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->help);
  std::string text = usage();
  for (const char* option : {"--data-dir", "--kafka-listen", "--http-listen", "--shards",
                             "--config", "--auto-create-topics", "--default-partitions"}) {
    EXPECT_NE(text.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace sluice::sluiced
