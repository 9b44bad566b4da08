// Shared by tst_ledger and tst_ledger_limits.
#pragma once

#include "models/ledger.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace LedgerTestSupport {

inline QDateTime utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::UTC);
}

inline const QDateTime kStart = utc(2025, 3, 10, 12);
constexpr NanoUsd kCent = NanosPerUsd / 100;
constexpr NanoUsd kDollar = NanosPerUsd;

inline const LedgerScope kKey = LedgerScope::key(u"hash-of-key-1"_s);
inline const LedgerScope kUser = LedgerScope::user(u"alice"_s);
inline const LedgerScope kEndUser = LedgerScope::endUser(u"customer-7"_s);
inline const LedgerScope kGlobal = LedgerScope::global();
inline const LedgerScope kKeyModel = LedgerScope::keyModel(u"hash-of-key-1"_s, u"gpt-4o"_s);

inline Duration duration(const QString &text)
{
    const auto parsed = Duration::parse(text);
    return parsed.ok() ? *parsed : Duration{};
}

inline BudgetConfig maxOf(NanoUsd max, std::optional<NanoUsd> soft = std::nullopt)
{
    BudgetConfig config;
    config.max = max;
    config.soft = soft;
    return config;
}

inline BudgetConfig windowOf(const QString &period, std::optional<NanoUsd> max = std::nullopt,
                             NanoUsd spend = 0, const QDateTime &resetAt = {})
{
    BudgetConfig config;
    config.max = max;
    config.duration = duration(period);
    config.spend = spend;
    config.resetAt = resetAt;
    return config;
}

inline RateLimits rateLimits(std::optional<qint64> rpm, std::optional<qint64> tpm,
                             std::optional<qint64> parallel)
{
    return RateLimits{rpm, tpm, parallel};
}

// The request the gateway builds for a call by kKey (owned by kUser, for kEndUser, on gpt-4o).
inline AdmissionRequest call(NanoUsd cost = kCent, qint64 tokens = 0)
{
    AdmissionRequest request;
    request.budgets = {kKey, kUser, kEndUser, kGlobal, kKeyModel};
    request.limits = {kKey, kUser, kEndUser};
    request.estimatedCost = cost;
    request.upperBoundCost = cost;
    request.estimatedTokens = tokens;
    return request;
}

// Advances a ManualClock by milliseconds (ManualClock::advance takes seconds).
inline void advanceMs(ManualClock &clock, qint64 ms)
{
    clock.set(clock.now().addMSecs(ms));
}


} // namespace LedgerTestSupport
