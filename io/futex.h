// Futex waits and wake-ups on a 32-bit atomic: how sluice's threads park when they run out of
// work and how others wake them (the wait strategy, include/sluice/wait_strategy.h).
//
// Thread-safety: any thread. A waiter returns when the word no longer holds `expected`, when
// woken, when the timeout passes, or spuriously: callers re-check their condition in a loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sluice::io {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// Sleeps while word == expected, at most `timeout`.
void futex_wait(const std::atomic<uint32_t>& word, uint32_t expected,
                std::chrono::nanoseconds timeout);
// Wakes every thread sleeping in futex_wait on `word`.
void futex_wake_all(const std::atomic<uint32_t>& word);

}  // namespace sluice::io
