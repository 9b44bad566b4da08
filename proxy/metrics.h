#pragma once

#include "../models/money.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <array>

namespace Tollgate {

struct GatewayServices;
struct SpendLogRow;

// GET /metrics: counters of the calls since the gateway started (LiteLLM's metric names where
// it has one) and gauges read at scrape time (remaining budgets, calls in flight), in the
// Prometheus text format. Counting costs one hash update per settled call.
class Metrics
{
public:
    // A settled call (served, failed or client gone), and the gateway's own time on it.
    void recordCall(const SpendLogRow &row, double overheadSeconds);
    // A call refused before any provider was asked (counted even when its row is not logged).
    void recordRefusal(int httpStatus);

    [[nodiscard]] QByteArray render(const GatewayServices &services, int inFlight) const;

    // The overhead histogram's upper bounds, in seconds (+Inf implied).
    static constexpr std::array<double, 11> OverheadBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   0.5,   1.0};

private:
    struct Labels
    {
        QString apiKey;   // token
        QString model;    // model group
        QString user;
        QString endUser;
        friend bool operator==(const Labels &, const Labels &) = default;
        friend size_t qHash(const Labels &labels, size_t seed = 0)
        {
            return qHashMulti(seed, labels.apiKey, labels.model, labels.user, labels.endUser);
        }
    };
    struct Counts
    {
        NanoUsd spend = 0;
        qint64 requests = 0;
        qint64 failed = 0;
        qint64 inputTokens = 0;
        qint64 outputTokens = 0;
    };

    QHash<Labels, Counts> m_calls;
    // The series of the last call: the next call of the same key, model, user and end user
    // (most calls) compares four strings instead of hashing them. Reset by every insertion
    // into m_calls, which may move its values.
    Labels m_lastLabels;
    Counts *m_lastCounts = nullptr;
    QHash<int, qint64> m_refusals;           // http status → count
    std::array<qint64, OverheadBuckets.size() + 1> m_overhead{};
    double m_overheadSum = 0;
    qint64 m_overheadCount = 0;
};

} // namespace Tollgate
