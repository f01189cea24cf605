// ChunkPool and ChunkPin: chunks are allocated on first use, a pinned chunk is never changed or
// handed out again, a hidden chunk cannot be pinned.
#include "partitions/chunk_pool.h"

#include "partitions/chunk_pin.h"

#include <gtest/gtest.h>

#include <cstring>

namespace sluice::partitions {
namespace {

constexpr uint32_t kChunkBytes = 8192;

class ChunkPoolTest : public ::testing::Test {
 protected:
  std::shared_ptr<ChunkSlots> slots_ = std::make_shared<ChunkSlots>(4, kChunkBytes);
  ChunkPool pool_{slots_};
};

TEST_F(ChunkPoolTest, AllocatesChunksOnFirstUse) {
  EXPECT_EQ(pool_.allocated(), 0u);
  EXPECT_EQ(pool_.free_count(), 4u);
  auto a = pool_.acquire();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(pool_.allocated(), 1u);
  EXPECT_EQ(pool_.free_count(), 3u);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pool_.acquire().has_value());
  EXPECT_EQ(pool_.allocated(), 4u);
  EXPECT_FALSE(pool_.acquire().has_value());
  pool_.retire(*a);
  EXPECT_EQ(pool_.free_count(), 1u);
  EXPECT_EQ(pool_.allocated(), 4u);
}

TEST_F(ChunkPoolTest, APinnedChunkIsParkedUntilItsReaderLetsGo) {
  auto chunk = pool_.acquire();
  ASSERT_TRUE(chunk.has_value());
  chunk->file_pos = 4096;
  std::memset(chunk->data, 0x5a, kChunkBytes);
  pool_.publish(*chunk, 7);

  ChunkPin pin(*slots_);
  EXPECT_FALSE(pin.hold(7, 100));   // before the chunk
  EXPECT_FALSE(pin.hold(8, 5000));  // another segment
  ASSERT_TRUE(pin.hold(7, 4096 + 100));
  EXPECT_EQ(pin.file_pos(), 4096u);
  EXPECT_EQ(pin.next_chunk_after(7, 0), 4096u);

  pool_.retire(*chunk);
  EXPECT_EQ(pool_.free_count(), 3u);           // parked, not free
  EXPECT_EQ(pin.data()[10], std::byte{0x5a});  // not handed out under the pin
  ChunkPin late(*slots_);
  EXPECT_FALSE(late.hold(7, 4096 + 100));  // hidden
  pin.release();
  EXPECT_EQ(pool_.free_count(), 4u);
  auto again = pool_.acquire();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->data, chunk->data);  // the same memory, handed out again once unheld
}

TEST_F(ChunkPoolTest, HideAndRepublish) {
  auto chunk = pool_.acquire();
  ASSERT_TRUE(chunk.has_value());
  pool_.publish(*chunk, 3);
  {
    ChunkPin pin(*slots_);
    ASSERT_TRUE(pin.hold(3, 10));
    EXPECT_FALSE(pool_.hide(*chunk));  // held: its bytes must not change now
  }
  EXPECT_TRUE(pool_.hide(*chunk));
  ChunkPin pin(*slots_);
  EXPECT_FALSE(pin.hold(3, 10));
  pool_.republish(*chunk);
  EXPECT_TRUE(pin.hold(3, 10));
}

TEST_F(ChunkPoolTest, CloseFreesEverything) {
  for (int i = 0; i < 3; ++i) {
    auto chunk = pool_.acquire();
    ASSERT_TRUE(chunk.has_value());
    pool_.publish(*chunk, i);
  }
  pool_.close();
  EXPECT_EQ(pool_.allocated(), 0u);
  ChunkPin pin(*slots_);
  EXPECT_FALSE(pin.hold(0, 0));
}

}  // namespace
}  // namespace sluice::partitions
