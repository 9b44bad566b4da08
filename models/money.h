#pragma once

#include <QtGlobal>

#include <cmath>

namespace Tollgate {

// Money is counted in integer nano-dollars (1e-9 USD) so that sums never drift:
// 10^6 calls of $1e-7 add up to exactly $0.10. int64 holds up to ~$9.2 billion.
using NanoUsd = qint64;

constexpr NanoUsd NanosPerUsd = 1'000'000'000;

inline NanoUsd usdToNanos(double usd)
{
    return NanoUsd(std::llround(usd * double(NanosPerUsd)));
}

inline double nanosToUsd(NanoUsd nanos)
{
    return double(nanos) / double(NanosPerUsd);
}

// Price of `tokens` at `usdPerToken`, rounded once to the nearest nano-dollar.
inline NanoUsd tokenCost(qint64 tokens, double usdPerToken)
{
    return NanoUsd(std::llround(static_cast<long double>(tokens) * static_cast<long double>(usdPerToken)
                                * static_cast<long double>(NanosPerUsd)));
}

} // namespace Tollgate
