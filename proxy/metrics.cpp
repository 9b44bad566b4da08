#include "metrics.h"

#include "../models/identityregistry.h"
#include "../models/store/spendlog.h"
#include "accounting.h"
#include "services.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// A label value as Prometheus reads it: backslash, quote and newline escaped.
QByteArray labelValue(const QString &value)
{
    QByteArray out = value.toUtf8();
    out.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return out;
}

QByteArray number(double value)
{
    return QByteArray::number(value, 'g', 15);
}

class Writer
{
public:
    void family(const char *name, const char *type, const char *help)
    {
        m_out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
    }
    void sample(const QByteArray &name, const QList<std::pair<const char *, QString>> &labels, double value)
    {
        m_out += name;
        if (!labels.isEmpty()) {
            m_out += '{';
            for (qsizetype i = 0; i < labels.size(); ++i) {
                if (i > 0)
                    m_out += ',';
                m_out += QByteArray(labels.at(i).first) + "=\"" + labelValue(labels.at(i).second) + '"';
            }
            m_out += '}';
        }
        m_out += ' ' + number(value) + '\n';
    }
    [[nodiscard]] QByteArray text() const { return m_out; }

private:
    QByteArray m_out;
};

} // namespace

void Metrics::recordCall(const SpendLogRow &row, double overheadSeconds)
{
    if (!m_lastCounts || m_lastLabels.apiKey != row.apiKey || m_lastLabels.model != row.modelGroup
        || m_lastLabels.user != row.userId || m_lastLabels.endUser != row.endUser) {
        m_lastLabels = Labels{row.apiKey, row.modelGroup, row.userId, row.endUser};
        m_lastCounts = &m_calls[m_lastLabels];
    }
    Counts &counts = *m_lastCounts;
    counts.spend = addSaturated(counts.spend, row.spend);
    ++counts.requests;
    if (row.status == u"failure")
        ++counts.failed;
    counts.inputTokens += row.promptTokens;
    counts.outputTokens += row.completionTokens;
    const auto bucket = std::lower_bound(OverheadBuckets.begin(), OverheadBuckets.end(), overheadSeconds);
    ++m_overhead[size_t(bucket - OverheadBuckets.begin())];
    m_overheadSum += overheadSeconds;
    ++m_overheadCount;
}

void Metrics::recordRefusal(int httpStatus)
{
    ++m_refusals[httpStatus];
}

QByteArray Metrics::render(const GatewayServices &services, int inFlight) const
{
    const IdentityRegistry *identities = services.identities;
    const auto aliasOf = [identities](const QString &token) {
        const VirtualKey *key = identities && !token.isEmpty() ? identities->keyByToken(token) : nullptr;
        return key ? key->keyAlias : QString();
    };
    // Sorted, so that scrapes list the series in one order.
    QList<Labels> series = m_calls.keys();
    std::sort(series.begin(), series.end(), [](const Labels &a, const Labels &b) {
        return std::tie(a.apiKey, a.model, a.user, a.endUser) < std::tie(b.apiKey, b.model, b.user, b.endUser);
    });
    const auto labelsOf = [&aliasOf](const Labels &labels) {
        return QList<std::pair<const char *, QString>>{{"end_user", labels.endUser},
                                                       {"hashed_api_key", labels.apiKey},
                                                       {"api_key_alias", aliasOf(labels.apiKey)},
                                                       {"model", labels.model},
                                                       {"user", labels.user}};
    };

    Writer w;
    const auto counter = [&](const char *name, const char *help, auto value) {
        w.family(name, "counter", help);
        for (const Labels &labels : series)
            w.sample(QByteArray(name) + "_total", labelsOf(labels), value(m_calls.value(labels)));
    };
    counter("litellm_spend_metric", "Spend in USD of the calls since the gateway started",
            [](const Counts &c) { return nanosToUsd(c.spend); });
    counter("litellm_requests_metric", "Calls relayed to a provider (or the mock) since the gateway started",
            [](const Counts &c) { return double(c.requests); });
    counter("litellm_total_tokens_metric", "Prompt and completion tokens of the calls",
            [](const Counts &c) { return double(c.inputTokens + c.outputTokens); });
    counter("litellm_input_tokens_metric", "Prompt tokens of the calls", [](const Counts &c) { return double(c.inputTokens); });
    counter("litellm_output_tokens_metric", "Completion tokens of the calls",
            [](const Counts &c) { return double(c.outputTokens); });
    counter("litellm_deployment_failure_responses", "Calls that failed at the provider",
            [](const Counts &c) { return double(c.failed); });

    w.family("litellm_proxy_failed_requests_metric", "counter",
             "Calls the gateway refused before any provider was asked, by HTTP status");
    QList<int> statuses = m_refusals.keys();
    std::sort(statuses.begin(), statuses.end());
    for (const int status : statuses)
        w.sample("litellm_proxy_failed_requests_metric_total", {{"status_code", QString::number(status)}},
                 double(m_refusals.value(status)));

    w.family("litellm_in_flight_requests", "gauge", "Model calls being served now");
    w.sample("litellm_in_flight_requests", {}, inFlight);

    w.family("litellm_overhead_latency_metric", "histogram", "Time the gateway itself spent on a call, in seconds");
    qint64 cumulative = 0;
    for (size_t i = 0; i < OverheadBuckets.size(); ++i) {
        cumulative += m_overhead[i];
        w.sample("litellm_overhead_latency_metric_bucket", {{"le", QString::number(OverheadBuckets[i], 'g', 6)}},
                 double(cumulative));
    }
    w.sample("litellm_overhead_latency_metric_bucket", {{"le", u"+Inf"_s}}, double(m_overheadCount));
    w.sample("litellm_overhead_latency_metric_sum", {}, m_overheadSum);
    w.sample("litellm_overhead_latency_metric_count", {}, double(m_overheadCount));

    // Budgets as they stand now: what is left of each maximum (never below 0).
    const auto remaining = [](const Budget &budget) { return nanosToUsd(std::max<NanoUsd>(0, *budget.maxBudget - budget.spend)); };
    if (identities) {
        w.family("litellm_remaining_api_key_budget_metric", "gauge", "USD left of each key's max_budget");
        for (const VirtualKey *key : identities->keys()) {
            if (key->budget.maxBudget)
                w.sample("litellm_remaining_api_key_budget_metric",
                         {{"hashed_api_key", key->token}, {"api_key_alias", key->keyAlias}}, remaining(key->budget));
        }
        w.family("litellm_remaining_user_budget_metric", "gauge", "USD left of each user's max_budget");
        for (const User *user : identities->users()) {
            if (user->budget.maxBudget)
                w.sample("litellm_remaining_user_budget_metric", {{"user", user->userId}}, remaining(user->budget));
        }
        w.family("tollgate_remaining_end_user_budget_metric", "gauge", "USD left of each end user's max_budget");
        for (const EndUser *endUser : identities->endUsers()) {
            if (endUser->budget.maxBudget)
                w.sample("tollgate_remaining_end_user_budget_metric", {{"end_user", endUser->userId}},
                         remaining(endUser->budget));
        }
    }
    if (services.accounting) {
        if (const auto global = services.accounting->globalBudget()) {
            w.family("tollgate_global_spend_metric", "gauge", "USD spent in the global budget's current period");
            w.sample("tollgate_global_spend_metric", {}, nanosToUsd(global->spend));
            if (global->max) {
                w.family("tollgate_remaining_global_budget_metric", "gauge", "USD left of the global budget");
                w.sample("tollgate_remaining_global_budget_metric", {},
                         nanosToUsd(std::max<NanoUsd>(0, *global->max - global->spend)));
            }
        }
    }
    return w.text();
}

} // namespace Tollgate
