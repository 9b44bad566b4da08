// OpenAI's service_tier over real loopback HTTP: a call is billed at the tier that served it
// (the answer's service_tier, else the one asked for): priority at the configured priority
// rates, else at twice the standard ones; flex at the configured flex rates, else standard.
// Admission reserves a priority request at the priority rates, so strict budgets hold.
#include "models/money.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr double InputPrice = 0.000001;   // 1000 nano a token
constexpr double OutputPrice = 0.000002;  // 2000 nano
constexpr NanoUsd InputNanos = 1000;
constexpr NanoUsd OutputNanos = 2000;

Deployment deployment(const QString &group, const FakeProvider &fake)
{
    Deployment d;
    d.modelName = group;
    d.id = group + u"-1"_s;
    d.provider = Provider::OpenAI;
    d.providerName = u"openai"_s;
    d.upstreamModel = u"gpt-upstream"_s;
    d.apiBase = QString::fromLatin1(fake.baseUrl()) + u"/v1"_s;
    d.apiKey = u"sk-upstream"_s;
    d.inputCostPerToken = InputPrice;
    d.outputCostPerToken = OutputPrice;
    d.timeoutSeconds = 30;
    return d;
}

QJsonObject chatBody(const QString &model, const QJsonValue &tier, bool stream = false)
{
    QJsonObject body{{u"model"_s, model},
                     {u"max_tokens"_s, 1000},
                     {u"stream"_s, stream},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
    if (!tier.isUndefined())
        body.insert(u"service_tier"_s, tier);
    return body;
}

} // namespace

class TestServiceTier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void chatIsBilledAtTheTierThatServedIt_data();
    void chatIsBilledAtTheTierThatServedIt();
    void configuredTierRatesArePaid_data();
    void configuredTierRatesArePaid();
    void responsesAreBilledAtTheirTier();
    void tierMustBeAString_data();
    void tierMustBeAString();
    void strictBudgetReservesPriorityRates();
    void aProvidersDefaultTierIsReservedOnceAnswered();
    void modelInfoShowsTierPrices();

private:
    HttpClient::Response post(const QByteArray &path, const QJsonObject &body, const QByteArray &key);
    QJsonObject spendRow(const QByteArray &callId);

    FakeProvider m_fake;
    std::unique_ptr<GatewayFixture> m_gateway;
};

void TestServiceTier::initTestCase()
{
    QVERIFY(m_fake.start() != 0);
    Config config = GatewayFixture::defaultConfig();
    config.general.budgetEnforcement = BudgetEnforcement::Strict;
    config.models.append(deployment(u"gpt"_s, m_fake));
    // LiteLLM's per-tier fields: 3000 / 7000 nano priority, 400 / 900 nano flex.
    Deployment tiered = deployment(u"gpt-tiered"_s, m_fake);
    tiered.inputCostPerTokenPriority = 0.000003;
    tiered.outputCostPerTokenPriority = 0.000007;
    tiered.inputCostPerTokenFlex = 0.0000004;
    tiered.outputCostPerTokenFlex = 0.0000009;
    config.models.append(tiered);
    config.models.append(deployment(u"gpt-learns"_s, m_fake));
    m_gateway = std::make_unique<GatewayFixture>(config);
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->lastError()));
}

void TestServiceTier::init()
{
    m_fake.reset();
    m_fake.setStreamChunks(3, 1ms);
    m_fake.setUsage(100, 50);
}

void TestServiceTier::cleanupTestCase()
{
    m_gateway.reset();
}

HttpClient::Response TestServiceTier::post(const QByteArray &path, const QJsonObject &body, const QByteArray &key)
{
    HttpClient client(m_gateway->port());
    return client.post(path, QJsonDocument(body).toJson(QJsonDocument::Compact), {{"Authorization", "Bearer " + key}});
}

QJsonObject TestServiceTier::spendRow(const QByteArray &callId)
{
    for (int attempt = 0; attempt < 50; ++attempt) {
        const QJsonArray rows = QJsonDocument::fromJson(m_gateway->get("/spend/logs?request_id=" + callId).body).array();
        if (!rows.isEmpty())
            return rows.first().toObject();
        QTest::qWait(20);
    }
    return {};
}

void TestServiceTier::chatIsBilledAtTheTierThatServedIt_data()
{
    QTest::addColumn<QJsonValue>("requested");
    QTest::addColumn<QString>("answered");  // the answer's service_tier; empty: none
    QTest::addColumn<bool>("stream");
    QTest::addColumn<int>("factor");        // × the standard cost
    for (const bool stream : {false, true}) {
        const char *how = stream ? "streamed" : "whole";
        QTest::addRow("%s: priority, served so", how) << QJsonValue(u"priority"_s) << u"priority"_s << stream << 2;
        QTest::addRow("%s: priority, served as default", how) << QJsonValue(u"priority"_s) << u"default"_s << stream << 1;
        QTest::addRow("%s: priority, answer silent", how) << QJsonValue(u"priority"_s) << QString() << stream << 2;
        QTest::addRow("%s: auto, served at priority", how) << QJsonValue(u"auto"_s) << u"priority"_s << stream << 2;
        QTest::addRow("%s: none asked", how) << QJsonValue(QJsonValue::Undefined) << QString() << stream << 1;
        QTest::addRow("%s: unknown tier asked", how) << QJsonValue(u"turbo"_s) << QString() << stream << 2;
        QTest::addRow("%s: flex without flex prices", how) << QJsonValue(u"flex"_s) << u"flex"_s << stream << 1;
    }
}

void TestServiceTier::chatIsBilledAtTheTierThatServedIt()
{
    QFETCH(QJsonValue, requested);
    QFETCH(QString, answered);
    QFETCH(bool, stream);
    QFETCH(int, factor);
    m_fake.setServiceTier(answered);
    const auto response = post("/v1/chat/completions", chatBody(u"gpt"_s, requested, stream), GatewayFixture::MasterKey);
    QCOMPARE(response.status, 200);
    // Forwarded as it was asked.
    QCOMPARE(m_fake.requests().constFirst().json().value(u"service_tier"_s).toString(), requested.toString());
    const NanoUsd expected = factor * (100 * InputNanos + 50 * OutputNanos);
    QCOMPARE(usdToNanos(spendRow(response.header("x-litellm-call-id")).value(u"spend"_s).toDouble()), expected);
    if (!stream)
        QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), expected);
}

void TestServiceTier::configuredTierRatesArePaid_data()
{
    QTest::addColumn<QString>("tier");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("priority") << u"priority"_s << qint64(100 * 3000 + 50 * 7000);
    QTest::newRow("flex") << u"flex"_s << qint64(100 * 400 + 50 * 900);
    QTest::newRow("default") << u"default"_s << qint64(100 * InputNanos + 50 * OutputNanos);
}

void TestServiceTier::configuredTierRatesArePaid()
{
    QFETCH(QString, tier);
    QFETCH(qint64, expected);
    m_fake.setServiceTier(tier);
    const auto response = post("/v1/chat/completions", chatBody(u"gpt-tiered"_s, tier), GatewayFixture::MasterKey);
    QCOMPARE(response.status, 200);
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), NanoUsd(expected));
}

void TestServiceTier::responsesAreBilledAtTheirTier()
{
    for (const bool stream : {false, true}) {
        m_fake.reset();
        m_fake.setUsage(100, 50);
        m_fake.setServiceTier(u"priority"_s);
        const auto response = post("/v1/responses",
                                   {{u"model"_s, u"gpt"_s}, {u"input"_s, u"Hi"_s}, {u"max_output_tokens"_s, 1000},
                                    {u"stream"_s, stream}, {u"service_tier"_s, u"priority"_s}},
                                   GatewayFixture::MasterKey);
        QCOMPARE(response.status, 200);
        QCOMPARE(usdToNanos(spendRow(response.header("x-litellm-call-id")).value(u"spend"_s).toDouble()),
                 2 * (100 * InputNanos + 50 * OutputNanos));
    }
}

void TestServiceTier::tierMustBeAString_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QJsonObject>("body");
    QTest::newRow("chat") << QByteArray("/v1/chat/completions") << chatBody(u"gpt"_s, 2);
    QTest::newRow("responses") << QByteArray("/v1/responses")
                               << QJsonObject{{u"model"_s, u"gpt"_s}, {u"input"_s, u"Hi"_s},
                                              {u"service_tier"_s, QJsonObject{}}};
}

void TestServiceTier::tierMustBeAString()
{
    QFETCH(QByteArray, path);
    QFETCH(QJsonObject, body);
    const auto response = post(path, body, GatewayFixture::MasterKey);
    QCOMPARE(response.status, 400);
    QCOMPARE(response.json().value(u"error"_s).toObject().value(u"param"_s).toString(), u"service_tier"_s);
    QCOMPARE(m_fake.requestCount(), 0);
}

void TestServiceTier::strictBudgetReservesPriorityRates()
{
    // A call's strict bound: its prompt and 1000 output tokens (2,000,000 nano) at standard rates,
    // twice that at priority. $0.003 holds the first, not the second.
    const auto generated = m_gateway->post("/key/generate", {{u"max_budget"_s, 0.003}});
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    QVERIFY(!key.isEmpty());
    const auto priority = post("/v1/chat/completions", chatBody(u"gpt"_s, u"priority"_s), key);
    QCOMPARE(priority.status, 429);
    QCOMPARE(m_fake.requestCount(), 0);
    const auto standard = post("/v1/chat/completions", chatBody(u"gpt"_s, u"default"_s), key);
    QCOMPARE(standard.status, 200);
    QCOMPARE(m_fake.requestCount(), 1);
}

// An OpenAI project may make priority its default tier: a call without service_tier (or with
// "auto") is then served and billed at priority. Once an answer says so, the deployment's next
// such calls are reserved at priority (10 parallel calls took a strict $0.05 key to $0.08).
void TestServiceTier::aProvidersDefaultTierIsReservedOnceAnswered()
{
    // A deployment of its own: what the other tests taught the gateway stays with theirs.
    m_fake.setServiceTier(u"priority"_s);
    const auto generated = m_gateway->post("/key/generate", {{u"max_budget"_s, 0.0035}});
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    QVERIFY(!key.isEmpty());
    // The first call is reserved at standard rates (~$0.002) and billed at priority.
    const auto first = post("/v1/chat/completions", chatBody(u"gpt-learns"_s, QJsonValue::Undefined), key);
    QCOMPARE(first.status, 200);
    QCOMPARE(usdToNanos(first.header("x-litellm-response-cost").toDouble()), 2 * (100 * InputNanos + 50 * OutputNanos));
    // $0.0032 left: enough at standard rates, not at priority ($0.004) — refused, whether the
    // tier is absent or "auto". An explicit standard tier still fits.
    for (const QJsonValue &tier : {QJsonValue(QJsonValue::Undefined), QJsonValue(u"auto"_s)}) {
        const auto refused = post("/v1/chat/completions", chatBody(u"gpt-learns"_s, tier), key);
        QCOMPARE(refused.status, 429);
    }
    QCOMPARE(m_fake.requestCount(), 1);
    m_fake.setServiceTier(u"default"_s);
    const auto standard = post("/v1/chat/completions", chatBody(u"gpt-learns"_s, u"default"_s), key);
    QCOMPARE(standard.status, 200);
}

void TestServiceTier::modelInfoShowsTierPrices()
{
    // A model added over the API keeps its tier and tool prices; /model/info shows what a call pays.
    const auto created = m_gateway->post(
        "/model/new",
        {{u"model_name"_s, u"gpt-added"_s},
         {u"litellm_params"_s, QJsonObject{{u"model"_s, u"openai/gpt-upstream"_s},
                                           {u"api_base"_s, QString(QString::fromLatin1(m_fake.baseUrl()) + u"/v1"_s)},
                                           {u"input_cost_per_token"_s, InputPrice},
                                           {u"output_cost_per_token"_s, OutputPrice},
                                           {u"output_cost_per_token_priority"_s, 0.000005},
                                           {u"file_search_cost_per_1k_calls"_s, 4.0},
                                           {u"input_cost_per_token_above_200k_tokens"_s, 0.000004}}}});
    QVERIFY2(created.status == 200, created.body.constData());
    QVERIFY(m_gateway->restart());  // what the store kept of it
    const auto info = m_gateway->get("/v1/model/info");
    QCOMPARE(info.status, 200);
    QJsonObject added;
    QJsonObject tiered;
    for (const QJsonValue &entry : info.json().value(u"data"_s).toArray()) {
        if (entry[u"model_name"_s].toString() == u"gpt-added"_s)
            added = entry[u"model_info"_s].toObject();
        if (entry[u"model_name"_s].toString() == u"gpt-tiered"_s)
            tiered = entry[u"model_info"_s].toObject();
    }
    QCOMPARE(added.value(u"input_cost_per_token_priority"_s).toDouble(), 2 * InputPrice);  // the default: 2 ×
    QCOMPARE(added.value(u"output_cost_per_token_priority"_s).toDouble(), 0.000005);
    QCOMPARE(added.value(u"input_cost_per_token_flex"_s).toDouble(), InputPrice);
    QCOMPARE(added.value(u"search_context_cost_per_query"_s).toDouble(), 0.01);
    QCOMPARE(added.value(u"file_search_cost_per_1k_calls"_s).toDouble(), 4.0);
    QCOMPARE(tiered.value(u"input_cost_per_token_priority"_s).toDouble(), 0.000003);
    QCOMPARE(tiered.value(u"output_cost_per_token_flex"_s).toDouble(), 0.0000009);

    // Its rate for long prompts (LiteLLM's name) is kept, shown, and paid by a prompt above 200k.
    QCOMPARE(added.value(u"input_cost_per_token_above_200k_tokens"_s).toDouble(), 0.000004);
    m_fake.setUsage(250'000, 10);
    const auto longPrompt = post("/v1/chat/completions", chatBody(u"gpt-added"_s, u"default"_s), GatewayFixture::MasterKey);
    QCOMPARE(longPrompt.status, 200);
    QCOMPARE(usdToNanos(longPrompt.header("x-litellm-response-cost").toDouble()),
             NanoUsd(250'000 * 4000 + 10 * OutputNanos));
    m_fake.setUsage(150'000, 10);
    const auto shorter = post("/v1/chat/completions", chatBody(u"gpt-added"_s, u"default"_s), GatewayFixture::MasterKey);
    QCOMPARE(usdToNanos(shorter.header("x-litellm-response-cost").toDouble()),
             NanoUsd(150'000 * InputNanos + 10 * OutputNanos));
}

QTEST_GUILESS_MAIN(TestServiceTier)
#include "tst_service_tier.moc"
