// Tests of the futex helpers: a waiter sleeps until the word changes and it is woken, a wait on
// a word that already changed returns at once, and a timeout ends the wait.
#include "io/futex.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice::io {
namespace {

using namespace std::chrono_literals;

TEST(Futex, WaitReturnsAtOnceWhenTheWordDiffers) {
  std::atomic<uint32_t> word{1};
  const auto start = std::chrono::steady_clock::now();
  futex_wait(word, 0, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Futex, WaitEndsAtItsTimeout) {
  std::atomic<uint32_t> word{0};
  const auto start = std::chrono::steady_clock::now();
  futex_wait(word, 0, 20ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 15ms);
}

TEST(Futex, WakeEndsAWait) {
  std::atomic<uint32_t> word{0};
  std::thread waiter([&] {
    while (word.load(std::memory_order_acquire) == 0)
      futex_wait(word, 0, 10s);
  });
  std::this_thread::sleep_for(10ms);
  const auto start = std::chrono::steady_clock::now();
  word.store(1, std::memory_order_release);
  futex_wake_all(word);
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace sluice::io
