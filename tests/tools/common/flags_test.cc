// tools::Flags: positionals and options, values after a space or '=', typed getters that
// reject malformed values, switches that take no value, and unknown options reported.
#include "tools/common/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::tools {
namespace {

Flags parse(const std::vector<std::string>& words,
            std::initializer_list<std::string_view> switches = {}) {
  Result<Flags> flags = Flags::parse(words, switches);
  EXPECT_TRUE(flags.ok()) << flags.error().to_string();
  return std::move(*flags);
}

TEST(FlagsTest, PositionalsAndOptions) {
  Flags flags = parse({"list", "--limit", "5", "orders", "--from=7", "--rate", "2.5"});
  EXPECT_EQ(flags.positionals(), (std::vector<std::string>{"list", "orders"}));
  EXPECT_EQ(*flags.size("limit", 100), 5u);
  EXPECT_EQ(*flags.size("from", 0), 7u);
  EXPECT_DOUBLE_EQ(*flags.number("rate", 0), 2.5);
  EXPECT_EQ(*flags.size("partition", 3), 3u);  // absent: the fallback
  EXPECT_FALSE(flags.first_unknown());
}

TEST(FlagsTest, MalformedValuesAndUnknownOptions) {
  Flags flags = parse({"--limit", "5x", "--rate", "-1", "--json", "maybe", "--typo", "1"});
  EXPECT_EQ(flags.size("limit", 0).code(), Errc::invalid_argument);
  EXPECT_EQ(flags.number("rate", 0).code(), Errc::invalid_argument);
  EXPECT_EQ(flags.boolean("json", false).code(), Errc::invalid_argument);
  EXPECT_EQ(flags.first_unknown(), "--typo");
  EXPECT_EQ(Flags::parse(std::vector<std::string>{"--limit"}).code(), Errc::invalid_argument);
  EXPECT_EQ(Flags::parse(std::vector<std::string>{"--a", "1", "--a", "2"}).code(),
            Errc::invalid_argument);
}

TEST(FlagsTest, SwitchesTakeNoValue) {
  // A bare switch does not swallow the next word, wherever it stands.
  Flags flags = parse({"--json", "--limit", "5", "orders", "--verbose"}, {"json", "verbose"});
  EXPECT_TRUE(*flags.boolean("json", false));
  EXPECT_TRUE(*flags.boolean("verbose", false));
  EXPECT_EQ(*flags.size("limit", 0), 5u);
  EXPECT_EQ(flags.positionals(), std::vector<std::string>{"orders"});

  Flags off = parse({"--json=false"}, {"json"});
  EXPECT_FALSE(*off.boolean("json", true));
  // Without being named a switch, --json takes the next word as its value.
  Flags valued = parse({"--json", "out.json"});
  EXPECT_EQ(valued.text("json"), "out.json");
}

}  // namespace
}  // namespace sluice::tools
