// GET /metrics: Prometheus text with LiteLLM's names — spend, calls and tokens per key/model/
// user/end user, refusals by status, remaining budgets, the overhead histogram; admin only
// unless general_settings.metrics_public. A real gateway over loopback HTTP.
#include "models/money.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

// The value of the one sample of `name` whose labels contain every `needle`; nullopt if none.
std::optional<double> sample(const QByteArray &text, const QByteArray &name, const QList<QByteArray> &needles = {})
{
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith(QByteArray(name + "{")) && !line.startsWith(QByteArray(name + " ")))
            continue;
        if (std::all_of(needles.cbegin(), needles.cend(), [&line](const QByteArray &n) { return line.contains(n); }))
            return line.mid(line.lastIndexOf(' ') + 1).toDouble();
    }
    return std::nullopt;
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countsSpendCallsRefusalsAndBudgets();
    void adminOnlyUnlessPublic();
};

void TestMetrics::countsSpendCallsRefusalsAndBudgets()
{
    GatewayFixture gateway;
    QVERIFY2(gateway.start(), qPrintable(gateway.lastError()));
    const QJsonObject created = gateway.post("/key/generate", {{u"key_alias"_s, u"ci \"runner\""_s}, {u"max_budget"_s, 1.0}}).json();
    const QByteArray key = created.value(u"key"_s).toString().toLatin1();
    const QByteArray token = created.value(u"token"_s).toString().toLatin1();
    const QJsonObject chat{{u"model"_s, u"gpt-a"_s}, {u"user"_s, u"bob"_s},
                           {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}}}};
    QCOMPARE(gateway.post("/v1/chat/completions", chat, key).status, 200);
    // Other series between this one's calls: each counts in its own.
    QJsonObject carol = chat;
    carol.insert(u"user"_s, u"carol"_s);
    QCOMPARE(gateway.post("/v1/chat/completions", carol, key).status, 200);
    QCOMPARE(gateway.post("/v1/chat/completions", chat).status, 200);  // the master key
    QCOMPARE(gateway.post("/v1/chat/completions", chat, key).status, 200);
    QCOMPARE(gateway.post("/v1/chat/completions", chat, "sk-wrong").status, 401);
    QJsonObject unknown = chat;
    unknown.insert(u"model"_s, u"nope"_s);
    QCOMPARE(gateway.post("/v1/chat/completions", unknown, key).status, 400);

    const auto response = gateway.get("/metrics");
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("text/plain; version=0.0.4"));
    const QByteArray text = response.body;
    QVERIFY(text.contains("# TYPE litellm_spend_metric counter"));

    // The spend log is the truth the counters must match.
    double logged = 0;     // the key's calls for bob
    double keyLogged = 0;  // all of the key's calls
    qint64 tokens = 0;
    for (const QJsonValue row : QJsonDocument::fromJson(gateway.get("/spend/logs?status=success").body).array()) {
        if (row.toObject().value(u"api_key"_s).toString() != QString::fromLatin1(token))
            continue;
        keyLogged += row.toObject().value(u"spend"_s).toDouble();
        if (row.toObject().value(u"end_user"_s).toString() != u"bob"_s)
            continue;
        logged += row.toObject().value(u"spend"_s).toDouble();
        tokens += row.toObject().value(u"total_tokens"_s).toInteger();
    }
    QVERIFY(logged > 0);
    const QList<QByteArray> labels{"hashed_api_key=\"" + token + '"', "api_key_alias=\"ci \\\"runner\\\"\"",
                                   "model=\"gpt-a\"", "end_user=\"bob\""};
    QCOMPARE(usdToNanos(sample(text, "litellm_spend_metric_total", labels).value_or(-1)), usdToNanos(logged));
    QCOMPARE(sample(text, "litellm_requests_metric_total", labels), std::optional<double>(2));
    QCOMPARE(sample(text, "litellm_requests_metric_total", {"hashed_api_key=\"" + token + '"', "end_user=\"carol\""}),
             std::optional<double>(1));
    QCOMPARE(sample(text, "litellm_requests_metric_total", {"api_key_alias=\"\"", "end_user=\"bob\""}),
             std::optional<double>(1));
    QCOMPARE(sample(text, "litellm_total_tokens_metric_total", labels), std::optional<double>(double(tokens)));
    QCOMPARE(sample(text, "litellm_proxy_failed_requests_metric_total", {"status_code=\"401\""}), std::optional<double>(1));
    QCOMPARE(sample(text, "litellm_proxy_failed_requests_metric_total", {"status_code=\"400\""}), std::optional<double>(1));
    QCOMPARE(usdToNanos(sample(text, "litellm_remaining_api_key_budget_metric", {"hashed_api_key=\"" + token + '"'}).value_or(-1)),
             usdToNanos(1.0) - usdToNanos(keyLogged));
    QCOMPARE(sample(text, "litellm_overhead_latency_metric_count"), std::optional<double>(4));
    QCOMPARE(sample(text, "litellm_overhead_latency_metric_bucket", {"le=\"+Inf\""}), std::optional<double>(4));
    QCOMPARE(sample(text, "litellm_in_flight_requests"), std::optional<double>(0));
    QVERIFY(sample(text, "tollgate_global_spend_metric").has_value());
}

void TestMetrics::adminOnlyUnlessPublic()
{
    {
        GatewayFixture gateway;
        QVERIFY2(gateway.start(), qPrintable(gateway.lastError()));
        const QByteArray key = gateway.post("/key/generate", {}).json().value(u"key"_s).toString().toLatin1();
        QCOMPARE(gateway.get("/metrics", key).status, 403);
        QCOMPARE(gateway.get("/metrics", {}).status, 401);
    }
    Config config = GatewayFixture::defaultConfig();
    config.general.metricsPublic = true;
    GatewayFixture open(config);
    QVERIFY2(open.start(), qPrintable(open.lastError()));
    QCOMPARE(open.get("/metrics", {}).status, 200);
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
