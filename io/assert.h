// SLUICE_ASSERT: invariants that stay on in release builds. A failed assertion is a
// programmer error: it prints the condition and where, then aborts. Operating errors are
// Result values, never assertions.
#pragma once

namespace sluice::detail {
[[noreturn]] void assert_failed(const char* condition, const char* file, int line,
                                const char* message);
}  // namespace sluice::detail

#define SLUICE_ASSERT(condition)                                                    \
  do {                                                                              \
    if (__builtin_expect(!(condition), 0)) {                                        \
      ::sluice::detail::assert_failed(#condition, __FILE__, __LINE__, nullptr);     \
    }                                                                               \
  } while (false)

#define SLUICE_ASSERT_MSG(condition, message)                                       \
  do {                                                                              \
    if (__builtin_expect(!(condition), 0)) {                                        \
      ::sluice::detail::assert_failed(#condition, __FILE__, __LINE__, (message));   \
    }                                                                               \
  } while (false)

#define SLUICE_UNREACHABLE(message) \
  ::sluice::detail::assert_failed("unreachable", __FILE__, __LINE__, (message))
