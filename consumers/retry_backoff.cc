#include "consumers/retry_backoff.h"

#include "io/assert.h"

#include <algorithm>
#include <cmath>

namespace sluice::consumers {

int64_t backoff_delay_ms(const RetryBackoff& backoff, uint32_t retry, double unit) {
  SLUICE_ASSERT(retry >= 1);
  SLUICE_ASSERT(unit >= 0.0 && unit < 1.0);
  const double maximum = static_cast<double>(backoff.maximum.count());
  // multiplier^(n-1) overflows to infinity for large n, which min() then caps.
  const double exponential = static_cast<double>(backoff.initial.count()) *
                             std::pow(backoff.multiplier, static_cast<double>(retry - 1));
  const double base = std::min(maximum, exponential);
  const double factor = 1.0 + backoff.jitter * (2.0 * unit - 1.0);
  const double delay = std::max(0.0, base * factor);
  return static_cast<int64_t>(std::llround(delay));
}

}  // namespace sluice::consumers
