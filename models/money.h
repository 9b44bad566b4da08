#pragma once

#include <QtGlobal>

#include <cmath>
#include <limits>

namespace Tollgate {

// Money is counted in integer nano-dollars (1e-9 USD) so that sums never drift:
// 10^6 calls of $1e-7 add up to exactly $0.10. int64 holds up to ~$9.2 billion.
using NanoUsd = qint64;

constexpr NanoUsd NanosPerUsd = 1'000'000'000;

constexpr NanoUsd MaxNanoUsd = std::numeric_limits<NanoUsd>::max();
constexpr NanoUsd MinNanoUsd = std::numeric_limits<NanoUsd>::min();

// Saturating arithmetic: a sum or product past int64 stays at its end instead of wrapping,
// so no amount in a request or a config can turn a reservation or a counter negative.
constexpr qint64 addSaturated(qint64 a, qint64 b)
{
    qint64 sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
        return b > 0 ? std::numeric_limits<qint64>::max() : std::numeric_limits<qint64>::min();
    return sum;
}

constexpr qint64 mulSaturated(qint64 a, qint64 b)
{
    qint64 product = 0;
    if (__builtin_mul_overflow(a, b, &product))
        return (a < 0) != (b < 0) ? std::numeric_limits<qint64>::min() : std::numeric_limits<qint64>::max();
    return product;
}

// Rounds to the nearest integer, saturating at int64's ends; NaN is 0 (no amount).
inline qint64 roundSaturated(long double value)
{
    if (std::isnan(value))
        return 0;
    if (value >= static_cast<long double>(std::numeric_limits<qint64>::max()))
        return std::numeric_limits<qint64>::max();
    if (value <= static_cast<long double>(std::numeric_limits<qint64>::min()))
        return std::numeric_limits<qint64>::min();
    return qint64(std::llroundl(value));
}

// 1e300 or +inf is the largest amount (never a negative one), NaN is 0.
inline NanoUsd usdToNanos(double usd)
{
    return roundSaturated(static_cast<long double>(usd) * static_cast<long double>(NanosPerUsd));
}

inline double nanosToUsd(NanoUsd nanos)
{
    return double(nanos) / double(NanosPerUsd);
}

// Price of `tokens` at `usdPerToken`, rounded once to the nearest nano-dollar.
// Saturates: a huge count (max_tokens = 1e18) is the largest amount, never a wrapped one.
inline NanoUsd tokenCost(qint64 tokens, double usdPerToken)
{
    // No tokens cost nothing at any rate (NaN and infinite ones too, as below): most calls have
    // no cached or cache-written tokens, and the long double rounding costs ~0.1k instructions.
    if (tokens == 0)
        return 0;
    return roundSaturated(static_cast<long double>(tokens) * static_cast<long double>(usdPerToken)
                          * static_cast<long double>(NanosPerUsd));
}

} // namespace Tollgate
