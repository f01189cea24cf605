// ProducerIds on the in-memory twin: blocks reserved before use, no id handed out twice across
// restarts and power losses (at any step of the rewrite), failed writes that hand out nothing,
// and a damaged counter file refused.
#include "engine/producer_ids.h"

#include "io/memory_file_system.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice::engine {
namespace {

constexpr const char* kDataDir = "/data";
constexpr const char* kFile = "/data/producer_ids";

class ProducerIdsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.create_directories(kDataDir).ok()); }

  // Allocates `count` ids, checking each is new.
  void take(ProducerIds& ids, int count) {
    for (int i = 0; i < count; ++i) {
      auto id = ids.allocate();
      ASSERT_TRUE(id.ok()) << id.error().to_string();
      EXPECT_EQ(id->epoch, 0);
      EXPECT_TRUE(seen_.insert(id->producer_id).second) << "id " << id->producer_id << " twice";
    }
  }

  io::MemoryFileSystem fs_;
  std::set<int64_t> seen_;
};

TEST_F(ProducerIdsTest, FileCodecRoundTripsAndRefusesDamage) {
  const std::string text = encode_producer_ids_file(3000);
  EXPECT_EQ(text.substr(0, 31), "sluice-producer-ids 1\nnext 3000");
  auto decoded = decode_producer_ids_file(text, kFile);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, 3000);
  for (size_t i = 0; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    auto result = decode_producer_ids_file(bad, kFile);
    // A flipped bit in the version digit reads as another version; anything else is damage.
    if (result.ok()) ADD_FAILURE() << "byte " << i << " flipped and still decoded";
  }
  for (size_t size = 0; size < text.size(); ++size)
    EXPECT_FALSE(decode_producer_ids_file(text.substr(0, size), kFile).ok()) << size;
  EXPECT_FALSE(decode_producer_ids_file(text + "x", kFile).ok());
  EXPECT_EQ(
      decode_producer_ids_file("sluice-producer-ids 2\nnext 1\ncrc32c 00000000\n", kFile).code(),
      Errc::unsupported);
}

TEST_F(ProducerIdsTest, ABlockIsDurableBeforeItsFirstIdIsHandedOut) {
  ProducerIds ids(fs_, kDataDir, 10);
  EXPECT_EQ(ids.reserved_end(), -1);
  auto present = fs_.exists(kFile);
  ASSERT_TRUE(present.ok());
  EXPECT_FALSE(*present);
  take(ids, 1);
  EXPECT_EQ(ids.reserved_end(), 10);
  take(ids, 9);
  EXPECT_EQ(ids.reserved_end(), 10);
  take(ids, 1);
  EXPECT_EQ(ids.reserved_end(), 20);
  // Power loss now: the reservation survives (written, synced, renamed, folder synced).
  fs_.crash();
  ProducerIds after(fs_, kDataDir, 10);
  take(after, 5);
  EXPECT_EQ(*seen_.begin(), 0);
  EXPECT_EQ(*seen_.rbegin(), 24);  // 11 to 19 were skipped, never reused
}

TEST_F(ProducerIdsTest, RestartsAndPowerLossesNeverRepeatAnId) {
  for (int round = 0; round < 20; ++round) {
    ProducerIds ids(fs_, kDataDir, 7);
    take(ids, 3 + round % 9);
    if (round % 2 == 0) fs_.crash(round % 4 == 0, static_cast<uint64_t>(round));
  }
}

TEST_F(ProducerIdsTest, AFailedReservationHandsOutNothingAndIsRetried) {
  ProducerIds ids(fs_, kDataDir, 4);
  take(ids, 4);
  fs_.fail_writes(Errc::io_error, 1, "producer_ids");
  auto failed = ids.allocate();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), Errc::io_error);
  fs_.fail_syncs(1);
  EXPECT_FALSE(ids.allocate().ok());
  take(ids, 6);
  fs_.crash();
  ProducerIds after(fs_, kDataDir, 4);
  take(after, 4);
}

TEST_F(ProducerIdsTest, ADamagedFileIsRefused) {
  {
    ProducerIds ids(fs_, kDataDir, 10);
    take(ids, 1);
  }
  ASSERT_TRUE(fs_.flip_byte(kFile, 27, 0x01).ok());  // "next 10" reads "next 00"
  ProducerIds ids(fs_, kDataDir, 10);
  auto refused = ids.allocate();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Errc::corruption);
  EXPECT_NE(refused.error().message().find(kFile), std::string::npos);
}

}  // namespace
}  // namespace sluice::engine
