// Integration tests of the Anthropic side of the dialects, against a fake provider speaking
// Anthropic's Messages API over real loopback HTTP: /v1/messages passed through to an
// anthropic/ deployment (bytes, headers, events, exact spend with cache reads and writes),
// broken streams and provider errors, budgets and limits in Anthropic's envelope, strict
// budgets with cache writes, count_tokens forwarded, chat completions translated to
// Messages and back, and agent sessions in the spend log.
#include "models/money.h"
#include "models/tokencount.h"
#include "proxy/anthropic.h"
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QUuid>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// Prices in nano-dollars per token, so every expected spend is an exact integer.
constexpr NanoUsd InputNanos = 3000;
constexpr NanoUsd OutputNanos = 15000;
constexpr NanoUsd CacheReadNanos = 300;
constexpr NanoUsd CacheWrite5mNanos = 3750;
constexpr NanoUsd CacheWrite1hNanos = 6000;

const QByteArray DeploymentKey = "sk-ant-deployment-secret";
const QString Group = u"claude-sonnet"_s;
const QString Upstream = u"claude-sonnet-4-5"_s;

// Anthropic's input_tokens excludes the cache reads and writes.
NanoUsd expectedSpend(qint64 input, qint64 output, qint64 read, qint64 write5m, qint64 write1h)
{
    return input * InputNanos + output * OutputNanos + read * CacheReadNanos + write5m * CacheWrite5mNanos
           + write1h * CacheWrite1hNanos;
}

Deployment anthropicDeployment(const QByteArray &base)
{
    Deployment d;
    d.modelName = Group;
    d.id = u"anthropic-sonnet-1"_s;
    d.provider = Provider::Anthropic;
    d.providerName = u"anthropic"_s;
    d.upstreamModel = Upstream;
    d.apiBase = QString::fromLatin1(base);
    d.apiKey = QString::fromLatin1(DeploymentKey);
    d.inputCostPerToken = 0.000003;
    d.outputCostPerToken = 0.000015;
    d.cacheReadCostPerToken = 0.0000003;
    d.cacheWriteCostPerToken = 0.00000375;
    d.cacheWrite1hCostPerToken = 0.000006;
    d.timeoutSeconds = 30;
    return d;
}

struct StreamEvent
{
    QByteArray name;
    QByteArray rawData;
    QJsonObject data;
};

QList<StreamEvent> anthropicEvents(const QByteArray &body)
{
    QList<StreamEvent> events;
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith("event: ")) {
            events.append({line.mid(7).trimmed(), {}, {}});
        } else if (line.startsWith("data: ") && !events.isEmpty()) {
            events.last().rawData = line.mid(6);
            events.last().data = QJsonDocument::fromJson(line.mid(6)).object();
        }
    }
    return events;
}

QList<QByteArray> namesOf(const QList<StreamEvent> &events)
{
    QList<QByteArray> names;
    for (const StreamEvent &event : events)
        names.append(event.name);
    return names;
}

QJsonObject userText(const QString &text)
{
    return {{u"role"_s, u"user"_s}, {u"content"_s, text}};
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// The usage the fake reports (see FakeProvider::setAnthropicCache).
QJsonObject fakeUsage(qint64 input, qint64 output, qint64 read, qint64 write5m, qint64 write1h)
{
    return {{u"input_tokens"_s, input},
            {u"output_tokens"_s, output},
            {u"cache_read_input_tokens"_s, read},
            {u"cache_creation_input_tokens"_s, write5m + write1h},
            {u"cache_creation"_s, QJsonObject{{u"ephemeral_5m_input_tokens"_s, write5m},
                                              {u"ephemeral_1h_input_tokens"_s, write1h}}}};
}

} // namespace

class TestDialectMessages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void passThroughBytesHeadersAndExactSpend();
    void fastModeAndDataResidencyCostMore_data();
    void fastModeAndDataResidencyCostMore();
    void defaultVersionAndNoBetaWhenClientSendsNone();
    void endUserIsMetadataUserIdAsTheParserReadsIt();
    void streamRelayedUnchangedAndRecordedBeforeItEnds();
    void streamWithUnusableFinalUsageCountsTheOutput();
    void cutStreamIsChargedAndEndsWithAnError_data();
    void cutStreamIsChargedAndEndsWithAnError();
    void aCutStreamThatThoughtIsChargedItsHeldOutput_data();
    void aCutStreamThatThoughtIsChargedItsHeldOutput();
    void providerErrorPassesThroughFree_data();
    void providerErrorPassesThroughFree();
    void budgetRefusalInAnthropicsEnvelope();
    void rateLimitRefusalKeepsRetryAfter();
    void strictBudgetHoldsWithOneHourCacheWrites_data();
    void strictBudgetHoldsWithOneHourCacheWrites();
    void countTokensIsForwarded();
    void chatCompletionTranslatedToMessages();
    void chatStreamTranslatedWithUsage();
    void chatToolCallRoundTrip();
    void chatStreamedToolCall();
    void chatProviderErrorInOpenAIsEnvelope();
    void sessionIsRecordedAndFiltered();

private:
    HttpClient::Response messages(const QByteArray &body, const QByteArray &key = GatewayFixture::MasterKey,
                                  const RawHeaders &extra = {{"anthropic-version", "2023-06-01"}});
    QJsonObject spendRow(const QByteArray &callId);
    QByteArray generateKey(GatewayFixture &gateway, const QJsonObject &fields);

    FakeProvider m_fake;
    std::unique_ptr<GatewayFixture> m_gateway;
};

void TestDialectMessages::initTestCase()
{
    QVERIFY(m_fake.start() != 0);
    Config config = GatewayFixture::defaultConfig();
    config.models.append(anthropicDeployment(m_fake.baseUrl()));
    Deployment pinned = anthropicDeployment(m_fake.baseUrl());
    pinned.modelName = u"claude-pinned"_s;
    pinned.id = u"anthropic-pinned-1"_s;
    pinned.apiVersion = u"2024-02-02"_s;  // litellm_params.api_version
    config.models.append(pinned);
    m_gateway = std::make_unique<GatewayFixture>(config);
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->lastError()));
}

void TestDialectMessages::init()
{
    m_fake.reset();
}

void TestDialectMessages::cleanupTestCase()
{
    m_gateway.reset();
}

HttpClient::Response TestDialectMessages::messages(const QByteArray &body, const QByteArray &key,
                                                   const RawHeaders &extra)
{
    HttpClient client(m_gateway->port());
    RawHeaders headers{{"x-api-key", key}};
    headers += extra;
    return client.post("/v1/messages", body, headers);
}

QJsonObject TestDialectMessages::spendRow(const QByteArray &callId)
{
    const auto response = m_gateway->get("/spend/logs?request_id=" + callId);
    const QJsonArray rows = QJsonDocument::fromJson(response.body).array();
    return rows.isEmpty() ? QJsonObject{} : rows.first().toObject();
}

QByteArray TestDialectMessages::generateKey(GatewayFixture &gateway, const QJsonObject &fields)
{
    const auto response = gateway.post("/key/generate", fields);
    if (response.status != 200)
        qWarning() << "key/generate:" << response.status << response.body;
    return response.json().value(u"key"_s).toString().toLatin1();
}

void TestDialectMessages::fastModeAndDataResidencyCostMore_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::addColumn<double>("factor");
    QTest::newRow("standard") << QByteArray() << 1.0;
    QTest::newRow("fast") << QByteArray(R"("speed":"fast",)") << 6.0;
    QTest::newRow("us only") << QByteArray(R"("inference_geo":"us",)") << 1.1;
    QTest::newRow("global") << QByteArray(R"("inference_geo":"global",)") << 1.0;
    QTest::newRow("fast in the us") << QByteArray(R"("speed":"fast","inference_geo":"us",)") << 6.6;
}

// Anthropic bills fast mode at 6x and a request kept in one region at 1.1x; they were billed
// (and bounded) at the standard rates.
void TestDialectMessages::fastModeAndDataResidencyCostMore()
{
    QFETCH(QByteArray, options);
    QFETCH(double, factor);
    m_fake.setUsage(100, 50);
    const QByteArray raw = R"({"model":"claude-sonnet","max_tokens":256,)" + options
                           + R"("messages":[{"role":"user","content":"Hello there"}]})";
    const auto response = messages(raw, GatewayFixture::MasterKey, {{"anthropic-version", "2023-06-01"}});
    QCOMPARE(response.status, 200);
    QCOMPARE(m_fake.requests().constLast().body.contains(options), true);   // passed through
    const double standard = nanosToUsd(expectedSpend(100, 50, 0, 0, 0));
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), usdToNanos(standard * factor));
}

void TestDialectMessages::passThroughBytesHeadersAndExactSpend()
{
    m_fake.setUsage(100, 50);
    m_fake.setAnthropicCache(1000, 200, 300);
    // Not in QJsonDocument's order, with a field the gateway does not know: only "model" may change.
    const QByteArray raw
        = R"({"model":"claude-sonnet","max_tokens":256,"system":[{"type":"text","text":"You are careful.",)"
          R"("cache_control":{"type":"ephemeral","ttl":"1h"}}],"messages":[{"role":"user","content":"Hello there"}],)"
          R"("metadata":{"user_id":"u-1"},"temperature":0.5,"x_future_field":{"b":1,"a":2}})";
    const auto response = messages(raw, GatewayFixture::MasterKey,
                                   {{"anthropic-version", "2023-01-01"},
                                    {"anthropic-beta", "prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11"}});
    QCOMPARE(response.status, 200);

    const auto requests = m_fake.requests();
    QCOMPARE(requests.size(), 1);
    const RecordedRequest &sent = requests.first();
    QCOMPARE(sent.path, QByteArray("/v1/messages"));
    QByteArray expectedBody = raw;
    expectedBody.replace(R"("model":"claude-sonnet")", R"("model":"claude-sonnet-4-5")");
    QCOMPARE(sent.body, expectedBody);
    QCOMPARE(sent.header("x-api-key"), DeploymentKey);
    QVERIFY(sent.header("authorization").isEmpty());
    QCOMPARE(sent.header("anthropic-version"), QByteArray("2023-01-01"));
    QCOMPARE(sent.header("anthropic-beta"), QByteArray("prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11"));

    // The fake's Message, unchanged.
    const QJsonObject expected{{u"id"_s, u"msg_fake_0"_s},
                               {u"type"_s, u"message"_s},
                               {u"role"_s, u"assistant"_s},
                               {u"model"_s, Upstream},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s},
                                                                     {u"text"_s, m_fake.content()}}}},
                               {u"stop_reason"_s, u"end_turn"_s},
                               {u"stop_sequence"_s, QJsonValue::Null},
                               {u"usage"_s, fakeUsage(100, 50, 1000, 200, 300)}};
    QCOMPARE(response.json(), expected);

    const NanoUsd spend = expectedSpend(100, 50, 1000, 200, 300);
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), spend);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY2(!row.isEmpty(), response.header("x-litellm-call-id").constData());
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), spend);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 100 + 1000 + 500);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), 50);
    QCOMPARE(row.value(u"cached_tokens"_s).toInteger(), 1000);
    QCOMPARE(row.value(u"cache_write_tokens"_s).toInteger(), 500);
    QCOMPARE(row.value(u"cache_write_1h_tokens"_s).toInteger(), 300);
    QCOMPARE(row.value(u"dialect"_s).toString(), u"messages"_s);
    QCOMPARE(row.value(u"call_type"_s).toString(), u"anthropic_messages"_s);
    QCOMPARE(row.value(u"model"_s).toString(), Upstream);
    QCOMPARE(row.value(u"model_group"_s).toString(), Group);
    QCOMPARE(row.value(u"cost_estimated"_s).toBool(), false);
    QCOMPARE(row.value(u"end_user"_s).toString(), u"u-1"_s);
}

// A plain request is read without its prompt, metadata.user_id from the metadata's own text:
// the end user is what the parser reads there, escapes, repeated keys and all.
void TestDialectMessages::endUserIsMetadataUserIdAsTheParserReadsIt()
{
    for (const QByteArray &metadata : {QByteArray(R"({"user_id":"plain-1"})"),
                                      QByteArray(R"({"team":"a","user_id":"caf\u00e9 \"q\""})"),
                                      QByteArray(R"({"user_id":"first","user_id":"second"})"),
                                      QByteArray(R"({"user\u005fid":"escaped-key"})"),
                                      QByteArray(R"({"user_id":7})"), QByteArray(R"({})"), QByteArray(R"("x")")}) {
        const QByteArray raw = R"({"model":")" + Group.toUtf8() + R"(","max_tokens":16,"metadata":)" + metadata
                               + R"(,"messages":[{"role":"user","content":"Hi"}]})";
        const QJsonValue parsed = QJsonDocument::fromJson(raw).object().value(u"metadata"_s);
        QVERIFY2(!parsed.isUndefined(), raw.constData());
        const QString expected = parsed.toObject().value(u"user_id"_s).toString();
        const auto response = messages(raw, GatewayFixture::MasterKey, {});
        QVERIFY2(response.status == 200, raw.constData());
        QVERIFY2(spendRow(response.header("x-litellm-call-id")).value(u"end_user"_s).toString() == expected,
                 raw.constData());
    }
}

void TestDialectMessages::defaultVersionAndNoBetaWhenClientSendsNone()
{
    const QByteArray raw = compact({{u"model"_s, Group},
                                    {u"max_tokens"_s, 16},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    const auto response = messages(raw, GatewayFixture::MasterKey, {});
    QCOMPARE(response.status, 200);
    QCOMPARE(m_fake.requestCount(), 1);
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.header("anthropic-version"), QByteArray("2023-06-01"));
    QVERIFY(sent.header("anthropic-beta").isEmpty());
    QCOMPARE(sent.header("x-api-key"), DeploymentKey);

    // An empty header from the client is no version: the default still goes.
    m_fake.clearRecords();
    QCOMPARE(messages(raw, GatewayFixture::MasterKey, {{"anthropic-version", ""}}).status, 200);
    QCOMPARE(m_fake.requests().first().header("anthropic-version"), QByteArray("2023-06-01"));

    // A deployment's api_version is sent when the client names none, the client's wins otherwise.
    QByteArray pinnedBody = raw;
    pinnedBody.replace(R"("model":"claude-sonnet")", R"("model":"claude-pinned")");
    m_fake.clearRecords();
    QCOMPARE(messages(pinnedBody, GatewayFixture::MasterKey, {}).status, 200);
    QCOMPARE(m_fake.requests().first().header("anthropic-version"), QByteArray("2024-02-02"));
    m_fake.clearRecords();
    QCOMPARE(messages(pinnedBody, GatewayFixture::MasterKey, {{"anthropic-version", "2023-06-01"}}).status, 200);
    QCOMPARE(m_fake.requests().first().header("anthropic-version"), QByteArray("2023-06-01"));
}

void TestDialectMessages::streamWithUnusableFinalUsageCountsTheOutput()
{
    // message_start's usage is fine, message_delta's output count is not a count: the prompt
    // is message_start's, the output is counted from the text relayed (not message_start's 1).
    m_fake.setUsage(120, -33);
    m_fake.setStreamChunks(4, 5ms);
    const QByteArray raw = compact({{u"model"_s, Group},
                                    {u"max_tokens"_s, 100},
                                    {u"stream"_s, true},
                                    {u"messages"_s, QJsonArray{userText(u"Stream please"_s)}}});
    const auto response = messages(raw);
    QCOMPARE(response.status, 200);
    QVERIFY(response.complete);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY2(!row.isEmpty(), "no spend-log row when the stream ended");
    QVERIFY(row.value(u"cost_estimated"_s).toBool());
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 120);
    const qint64 output = countTextTokens(m_fake.content(), u"claude-sonnet-4-5"_s);
    QVERIFY(output > 1);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), output);
}

void TestDialectMessages::streamRelayedUnchangedAndRecordedBeforeItEnds()
{
    m_fake.setUsage(120, 33);
    m_fake.setAnthropicCache(500, 0, 64);
    m_fake.setStreamChunks(4, 5ms);
    const QByteArray raw = compact({{u"model"_s, Group},
                                    {u"max_tokens"_s, 100},
                                    {u"stream"_s, true},
                                    {u"messages"_s, QJsonArray{userText(u"Stream please"_s)}}});
    const auto response = messages(raw);
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("text/event-stream"));
    QVERIFY(response.complete);
    // The provider got the bytes as sent, model replaced, nothing added (no stream_options).
    QByteArray expectedBody = raw;
    expectedBody.replace(R"("model":"claude-sonnet")", R"("model":"claude-sonnet-4-5")");
    QCOMPARE(m_fake.requests().first().body, expectedBody);

    const QList<StreamEvent> events = anthropicEvents(response.body);
    const QList<QByteArray> names{"message_start", "content_block_start", "ping", "content_block_delta",
                                  "content_block_delta", "content_block_delta", "content_block_delta",
                                  "content_block_stop", "message_delta", "message_stop"};
    QCOMPARE(namesOf(events), names);
    // Every event went through as the provider wrote it: its data is the fake's compact JSON.
    for (const StreamEvent &event : events) {
        QCOMPARE(event.rawData, compact(event.data));
        QCOMPARE(event.data.value(u"type"_s).toString().toLatin1(), event.name);
    }
    QCOMPARE(events.first().data.value(u"message"_s).toObject().value(u"usage"_s).toObject(),
             fakeUsage(120, 1, 500, 0, 64));
    QString text;
    for (const StreamEvent &event : events) {
        if (event.name == "content_block_delta")
            text += event.data.value(u"delta"_s).toObject().value(u"text"_s).toString();
    }
    QCOMPARE(text, m_fake.content());
    QCOMPARE(events.at(8).data.value(u"usage"_s).toObject().value(u"output_tokens"_s).toInteger(), 33);

    // The row is there the moment the client has the whole stream (message_stop was held
    // back until it was recorded).
    QByteArray callId = response.header("x-litellm-call-id");
    QVERIFY(!callId.isEmpty());
    const QJsonObject row = spendRow(callId);
    QVERIFY2(!row.isEmpty(), "no spend-log row when the stream ended");
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expectedSpend(120, 33, 500, 0, 64));
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 120 + 500 + 64);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), 33);
    QCOMPARE(row.value(u"cached_tokens"_s).toInteger(), 500);
    QCOMPARE(row.value(u"cache_write_tokens"_s).toInteger(), 64);
    QCOMPARE(row.value(u"cache_write_1h_tokens"_s).toInteger(), 64);
    QCOMPARE(row.value(u"cost_estimated"_s).toBool(), false);
    QCOMPARE(row.value(u"dialect"_s).toString(), u"messages"_s);
    QCOMPARE(row.value(u"status"_s).toString(), u"success"_s);
}

void TestDialectMessages::cutStreamIsChargedAndEndsWithAnError_data()
{
    QTest::addColumn<bool>("withErrorEvent");
    QTest::newRow("error event") << true;
    QTest::newRow("connection reset") << false;
}

void TestDialectMessages::cutStreamIsChargedAndEndsWithAnError()
{
    QFETCH(bool, withErrorEvent);
    m_fake.setUsage(80, 40);
    m_fake.setStreamChunks(6, 5ms);
    m_fake.setStreamBreak(2, withErrorEvent);
    const auto response = messages(compact({{u"model"_s, Group},
                                            {u"max_tokens"_s, 100},
                                            {u"stream"_s, true},
                                            {u"messages"_s, QJsonArray{userText(u"Hello"_s)}}}));
    QCOMPARE(response.status, 200);
    const QList<StreamEvent> events = anthropicEvents(response.body);
    QVERIFY2(!events.isEmpty(), response.body.constData());
    QCOMPARE(std::count_if(events.begin(), events.end(), [](const StreamEvent &e) { return e.name == "content_block_delta"; }),
             2);
    QCOMPARE(events.last().name, QByteArray("error"));
    QCOMPARE(events.last().data.value(u"type"_s).toString(), u"error"_s);
    QVERIFY(!events.last().data.value(u"error"_s).toObject().value(u"type"_s).toString().isEmpty());
    QVERIFY(!namesOf(events).contains("message_stop"));

    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(!row.isEmpty());
    QCOMPARE(row.value(u"cost_estimated"_s).toBool(), true);
    QVERIFY(usdToNanos(row.value(u"spend"_s).toDouble()) > 0);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 80);  // message_start's exact count
    QVERIFY(row.value(u"completion_tokens"_s).toInteger() > 0);
    QCOMPARE(row.value(u"status"_s).toString(), u"failure"_s);
}

// Claude 4 streams a summary of its thinking and bills all of it: a stream cut (or left) before
// its final usage was charged the summary. With thinking asked for, it is charged the output held
// for it (max_tokens); without, or disabled, what it relayed.
void TestDialectMessages::aCutStreamThatThoughtIsChargedItsHeldOutput_data()
{
    QTest::addColumn<QJsonValue>("thinking");
    QTest::addColumn<bool>("chargedTheHold");
    QTest::newRow("thinking enabled") << QJsonValue(QJsonObject{{u"type"_s, u"enabled"_s}, {u"budget_tokens"_s, 1024}})
                                      << true;
    QTest::newRow("thinking disabled") << QJsonValue(QJsonObject{{u"type"_s, u"disabled"_s}}) << false;
    QTest::newRow("no thinking") << QJsonValue() << false;
}

void TestDialectMessages::aCutStreamThatThoughtIsChargedItsHeldOutput()
{
    QFETCH(QJsonValue, thinking);
    QFETCH(bool, chargedTheHold);
    m_fake.setUsage(80, 40);
    m_fake.setStreamChunks(6, 5ms);
    m_fake.setStreamBreak(2, false);
    QJsonObject request{{u"model"_s, Group},
                        {u"max_tokens"_s, 2000},
                        {u"stream"_s, true},
                        {u"messages"_s, QJsonArray{userText(u"Hello"_s)}}};
    if (!thinking.isUndefined())
        request.insert(u"thinking"_s, thinking);
    const auto response = messages(compact(request));
    QCOMPARE(response.status, 200);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(!row.isEmpty());
    QCOMPARE(row.value(u"cost_estimated"_s).toBool(), true);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 80);  // message_start's exact count
    const qint64 output = row.value(u"completion_tokens"_s).toInteger();
    if (chargedTheHold)
        QCOMPARE(output, 2000);
    else
        QVERIFY2(output > 0 && output < 100, qPrintable(QString::number(output)));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expectedSpend(80, output, 0, 0, 0));
}

void TestDialectMessages::providerErrorPassesThroughFree_data()
{
    QTest::addColumn<bool>("stream");
    QTest::newRow("non-stream") << false;
    QTest::newRow("stream") << true;
}

void TestDialectMessages::providerErrorPassesThroughFree()
{
    QFETCH(bool, stream);
    const QByteArray error = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";
    m_fake.setErrorResponse(529, error);
    QJsonObject body{{u"model"_s, Group}, {u"max_tokens"_s, 10}, {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    if (stream)
        body.insert(u"stream"_s, true);
    const auto response = messages(compact(body));
    QCOMPARE(response.status, 529);
    QCOMPARE(response.body, error);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(!row.isEmpty());
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(0));
    QCOMPARE(row.value(u"status"_s).toString(), u"failure"_s);
    QCOMPARE(row.value(u"dialect"_s).toString(), u"messages"_s);
}

void TestDialectMessages::budgetRefusalInAnthropicsEnvelope()
{
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.01}});
    QVERIFY(!key.isEmpty());
    // The first call is admitted and costs $3: the budget is spent.
    m_fake.setUsage(1'000'000, 0);
    const QByteArray raw = compact({{u"model"_s, Group},
                                    {u"max_tokens"_s, 10},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(messages(raw, key).status, 200);
    const int before = m_fake.requestCount();
    const auto refused = messages(raw, key);
    QCOMPARE(refused.status, 429);
    const QJsonObject json = refused.json();
    QCOMPARE(json.value(u"type"_s).toString(), u"error"_s);
    const QJsonObject error = json.value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"rate_limit_error"_s);
    const QString message = error.value(u"message"_s).toString();
    QVERIFY2(message.contains(u"budget"_s, Qt::CaseInsensitive), qPrintable(message));
    QVERIFY2(message.contains(u"key"_s, Qt::CaseInsensitive), qPrintable(message));
    QCOMPARE(m_fake.requestCount(), before);  // never reached the provider
}

void TestDialectMessages::rateLimitRefusalKeepsRetryAfter()
{
    const QByteArray key = generateKey(*m_gateway, {{u"rpm_limit"_s, 1}});
    const QByteArray raw = compact({{u"model"_s, Group},
                                    {u"max_tokens"_s, 10},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(messages(raw, key).status, 200);
    const auto refused = messages(raw, key);
    QCOMPARE(refused.status, 429);
    QCOMPARE(refused.json().value(u"type"_s).toString(), u"error"_s);
    QCOMPARE(refused.json().value(u"error"_s).toObject().value(u"type"_s).toString(), u"rate_limit_error"_s);
    const int retryAfter = refused.header("retry-after").toInt();
    QVERIFY2(retryAfter >= 1 && retryAfter <= 60, refused.header("retry-after").constData());
    QCOMPARE(m_fake.requestCount(), 1);
}

// Both routes to an anthropic/ deployment: a chat request's content parts keep their
// cache_control in the translation, and its writes were bounded at the input rate (a strict $0.50
// key spent $0.72).
void TestDialectMessages::strictBudgetHoldsWithOneHourCacheWrites_data()
{
    QTest::addColumn<bool>("chat");
    QTest::newRow("messages") << false;
    QTest::newRow("chat completions") << true;
}

void TestDialectMessages::strictBudgetHoldsWithOneHourCacheWrites()
{
    QFETCH(bool, chat);
    Config config = GatewayFixture::defaultConfig();
    config.models.append(anthropicDeployment(m_fake.baseUrl()));
    config.general.budgetEnforcement = BudgetEnforcement::Strict;
    GatewayFixture gateway(config);
    QVERIFY2(gateway.start(), qPrintable(gateway.lastError()));

    // A long prompt marked for the 1-hour cache and a short answer: the cache write is most of
    // the cost, so a reservation priced at the input rate would admit about twice the calls.
    QString system;
    for (int i = 0; i < 150; ++i)
        system += u"Rule %1: answer plainly and check every figure twice. "_s.arg(i);
    const qint64 maxTokens = 10;
    const QJsonObject cached{{u"type"_s, u"text"_s},
                             {u"text"_s, system},
                             {u"cache_control"_s, QJsonObject{{u"type"_s, u"ephemeral"_s}, {u"ttl"_s, u"1h"_s}}}};
    const QJsonObject body = chat
        ? QJsonObject{{u"model"_s, Group},
                      {u"max_tokens"_s, maxTokens},
                      {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, QJsonArray{cached}}},
                                                 QJsonObject{{u"role"_s, u"user"_s},
                                                             {u"content"_s, u"What is the rule count?"_s}}}}}
        : QJsonObject{{u"model"_s, Group},
                      {u"max_tokens"_s, maxTokens},
                      {u"system"_s, QJsonArray{cached}},
                      {u"messages"_s, QJsonArray{userText(u"What is the rule count?"_s)}}};
    const QByteArray path = chat ? "/v1/chat/completions" : "/v1/messages";
    // The whole prompt billed as 1-hour cache writes, as many tokens as it has bytes (Claude's
    // tokenizer is not public: the strict bound is the bytes, what a tokenizer could bill at
    // most); the whole output limit used.
    const qint64 prompt = compact(body).size();
    QVERIFY(prompt > 1000);
    m_fake.setUsage(0, maxTokens);
    m_fake.setAnthropicCache(0, 0, prompt);
    const NanoUsd callCost = expectedSpend(0, maxTokens, 0, 0, prompt);
    // Worth 3.9 calls: after three, what is left covers a fourth priced at the input rate
    // (which would overshoot), not one priced as the 1-hour writes it is billed as.
    const NanoUsd max = callCost * 39 / 10;
    const QByteArray key = generateKey(gateway, {{u"max_budget"_s, nanosToUsd(max)}});
    QVERIFY(!key.isEmpty());

    m_fake.setLatency(200ms);
    const QList<QPair<QByteArray, QByteArray>> headers{{"x-api-key", key}, {"anthropic-version", "2023-06-01"}};
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 30; ++i)
        calls.push_back(std::make_unique<AsyncCall>(gateway.port(), compact(body), headers, path));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 30000);
    int served = 0;
    for (const auto &c : calls) {
        if (c->status() == 200) {
            ++served;
        } else {
            QCOMPARE(c->status(), 429);
            const QJsonObject error = QJsonDocument::fromJson(c->body()).object();
            QVERIFY(chat ? error.value(u"error"_s).isObject() : error.value(u"type"_s).toString() == u"error"_s);
        }
    }
    m_fake.setLatency(0ms);
    HttpClient client(gateway.port());
    for (int i = 0; i < 10; ++i) {
        if (client.post(path, compact(body), {{"x-api-key", key}}).status == 200)
            ++served;
    }
    const NanoUsd spend = usdToNanos(
        gateway.get("/key/info", key).json().value(u"info"_s).toObject().value(u"spend"_s).toDouble(-1));
    qInfo("strict budget %lld nano-USD (%lld a call): %d calls served, %lld spent", max, callCost, served, spend);
    QVERIFY(served >= 1);
    QCOMPARE(spend, served * callCost);
    QVERIFY2(spend <= max, qPrintable(u"spent %1 of %2"_s.arg(spend).arg(max)));
}

void TestDialectMessages::countTokensIsForwarded()
{
    m_fake.setAnthropicCountTokens(1234);
    HttpClient client(m_gateway->port());
    const QJsonObject body{{u"model"_s, Group},
                           {u"system"_s, u"You are terse."_s},
                           {u"messages"_s, QJsonArray{userText(u"How many tokens is this?"_s)}}};
    const auto response = client.post("/v1/messages/count_tokens", compact(body),
                                      {{"x-api-key", GatewayFixture::MasterKey},
                                       {"anthropic-version", "2023-06-01"},
                                       {"anthropic-beta", "token-counting-2024-11-01"}});
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json(), (QJsonObject{{u"input_tokens"_s, 1234}}));
    QCOMPARE(m_fake.requestCount(), 1);
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.path, QByteArray("/v1/messages/count_tokens"));
    QCOMPARE(sent.header("x-api-key"), DeploymentKey);
    QCOMPARE(sent.header("anthropic-version"), QByteArray("2023-06-01"));
    QCOMPARE(sent.header("anthropic-beta"), QByteArray("token-counting-2024-11-01"));
    QCOMPARE(sent.json().value(u"model"_s).toString(), Upstream);
    QCOMPARE(sent.json().value(u"system"_s).toString(), u"You are terse."_s);
}

void TestDialectMessages::chatCompletionTranslatedToMessages()
{
    m_fake.setUsage(100, 50);
    m_fake.setAnthropicCache(1000, 200, 0);
    const auto client = m_gateway->client();
    const auto response = client->postJson(
        "/v1/chat/completions",
        {{u"model"_s, Group},
         {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, u"Be brief."_s}},
                                    userText(u"Hello there"_s)}}});
    QCOMPARE(response.status, 200);

    QCOMPARE(m_fake.requestCount(), 1);
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.path, QByteArray("/v1/messages"));
    QCOMPARE(sent.header("x-api-key"), DeploymentKey);
    QVERIFY(sent.header("authorization").isEmpty());
    QCOMPARE(sent.header("anthropic-version"), QByteArray("2023-06-01"));
    const QJsonObject upstream = sent.json();
    QCOMPARE(upstream.value(u"model"_s).toString(), Upstream);
    QVERIFY(upstream.value(u"max_tokens"_s).toInteger() > 0);
    // The system message moved to "system"; only user/assistant turns remain.
    const QJsonValue system = upstream.value(u"system"_s);
    QVERIFY2(compact(upstream).contains("Be brief."), sent.body.constData());
    QVERIFY(system.isString() || system.isArray());
    const QJsonArray turns = upstream.value(u"messages"_s).toArray();
    QCOMPARE(turns.size(), 1);
    QCOMPARE(turns.first().toObject().value(u"role"_s).toString(), u"user"_s);

    const QJsonObject chat = response.json();
    QCOMPARE(chat.value(u"object"_s).toString(), u"chat.completion"_s);
    QCOMPARE(chat.value(u"model"_s).toString(), Group);
    const QJsonObject choice = chat.value(u"choices"_s).toArray().first().toObject();
    QCOMPARE(choice.value(u"message"_s).toObject().value(u"content"_s).toString(), m_fake.content());
    QCOMPARE(choice.value(u"message"_s).toObject().value(u"role"_s).toString(), u"assistant"_s);
    QCOMPARE(choice.value(u"finish_reason"_s).toString(), u"stop"_s);
    const QJsonObject usage = chat.value(u"usage"_s).toObject();
    QCOMPARE(usage.value(u"prompt_tokens"_s).toInteger(), 100 + 1000 + 200);
    QCOMPARE(usage.value(u"completion_tokens"_s).toInteger(), 50);
    QCOMPARE(usage.value(u"total_tokens"_s).toInteger(), 1300 + 50);
    QCOMPARE(usage.value(u"prompt_tokens_details"_s).toObject().value(u"cached_tokens"_s).toInteger(), 1000);

    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(!row.isEmpty());
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expectedSpend(100, 50, 1000, 200, 0));
    QCOMPARE(row.value(u"dialect"_s).toString(), u"chat"_s);
    QCOMPARE(row.value(u"call_type"_s).toString(), u"acompletion"_s);
    QCOMPARE(row.value(u"cache_write_tokens"_s).toInteger(), 200);
    QCOMPARE(row.value(u"cached_tokens"_s).toInteger(), 1000);
}

void TestDialectMessages::chatStreamTranslatedWithUsage()
{
    m_fake.setUsage(90, 25);
    m_fake.setAnthropicCache(300, 0, 0);
    m_fake.setStreamChunks(3, 5ms);
    const auto client = m_gateway->client();
    const auto response = client->postJson("/v1/chat/completions",
                                           {{u"model"_s, Group},
                                            {u"stream"_s, true},
                                            {u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}},
                                            {u"messages"_s, QJsonArray{userText(u"Stream it"_s)}}});
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("text/event-stream"));
    QVERIFY(m_fake.requests().first().json().value(u"stream"_s).toBool());
    QVERIFY(!m_fake.requests().first().json().contains(u"stream_options"_s));  // not Anthropic's

    const QList<QByteArray> data = response.sseData();
    QVERIFY(data.size() >= 3);
    QCOMPARE(data.last(), QByteArray("[DONE]"));
    QString text;
    QString finish;
    QJsonObject usage;
    for (qsizetype i = 0; i + 1 < data.size(); ++i) {
        const QJsonObject chunk = QJsonDocument::fromJson(data.at(i)).object();
        QCOMPARE(chunk.value(u"object"_s).toString(), u"chat.completion.chunk"_s);
        const QJsonArray choices = chunk.value(u"choices"_s).toArray();
        if (!choices.isEmpty()) {
            const QJsonObject choice = choices.first().toObject();
            text += choice.value(u"delta"_s).toObject().value(u"content"_s).toString();
            if (choice.value(u"finish_reason"_s).isString())
                finish = choice.value(u"finish_reason"_s).toString();
        }
        if (chunk.value(u"usage"_s).isObject())
            usage = chunk.value(u"usage"_s).toObject();
    }
    QCOMPARE(text, m_fake.content());
    QCOMPARE(finish, u"stop"_s);
    QCOMPARE(usage.value(u"prompt_tokens"_s).toInteger(), 90 + 300);
    QCOMPARE(usage.value(u"completion_tokens"_s).toInteger(), 25);
    QCOMPARE(usage.value(u"prompt_tokens_details"_s).toObject().value(u"cached_tokens"_s).toInteger(), 300);
    // The usage chunk is the last before [DONE].
    QVERIFY(QJsonDocument::fromJson(data.at(data.size() - 2)).object().value(u"usage"_s).isObject());

    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY2(!row.isEmpty(), "no row when the chat stream ended");
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expectedSpend(90, 25, 300, 0, 0));
    QCOMPARE(row.value(u"dialect"_s).toString(), u"chat"_s);
    QCOMPARE(row.value(u"cost_estimated"_s).toBool(), false);

    // Without include_usage: no usage chunk, still [DONE].
    m_fake.clearRecords();
    const auto plain = client->postJson("/v1/chat/completions", {{u"model"_s, Group},
                                                                 {u"stream"_s, true},
                                                                 {u"messages"_s, QJsonArray{userText(u"Again"_s)}}});
    QCOMPARE(plain.status, 200);
    const QList<QByteArray> plainData = plain.sseData();
    QCOMPARE(plainData.last(), QByteArray("[DONE]"));
    for (qsizetype i = 0; i + 1 < plainData.size(); ++i) {
        const QJsonValue chunkUsage = QJsonDocument::fromJson(plainData.at(i)).object().value(u"usage"_s);
        QVERIFY2(!chunkUsage.isObject(), plainData.at(i).constData());
    }
}

void TestDialectMessages::chatToolCallRoundTrip()
{
    m_fake.setToolCall(u"get_weather"_s, uR"({"city":"Paris"})"_s);
    const QJsonObject tool{{u"type"_s, u"function"_s},
                           {u"function"_s, QJsonObject{{u"name"_s, u"get_weather"_s},
                                                       {u"description"_s, u"Current weather"_s},
                                                       {u"parameters"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}};
    const auto client = m_gateway->client();
    const QJsonObject question = userText(u"Weather in Paris?"_s);
    const auto first = client->postJson("/v1/chat/completions", {{u"model"_s, Group},
                                                                 {u"tools"_s, QJsonArray{tool}},
                                                                 {u"messages"_s, QJsonArray{question}}});
    QCOMPARE(first.status, 200);
    const QJsonArray tools = m_fake.requests().first().json().value(u"tools"_s).toArray();
    QCOMPARE(tools.size(), 1);
    QCOMPARE(tools.first().toObject().value(u"name"_s).toString(), u"get_weather"_s);
    QVERIFY(tools.first().toObject().value(u"input_schema"_s).isObject());

    const QJsonObject choice = first.json().value(u"choices"_s).toArray().first().toObject();
    QCOMPARE(choice.value(u"finish_reason"_s).toString(), u"tool_calls"_s);
    const QJsonObject assistant = choice.value(u"message"_s).toObject();
    const QJsonObject call = assistant.value(u"tool_calls"_s).toArray().first().toObject();
    QCOMPARE(call.value(u"id"_s).toString(), u"toolu_fake_1"_s);
    QCOMPARE(call.value(u"type"_s).toString(), u"function"_s);
    const QJsonObject function = call.value(u"function"_s).toObject();
    QCOMPARE(function.value(u"name"_s).toString(), u"get_weather"_s);
    QCOMPARE(QJsonDocument::fromJson(function.value(u"arguments"_s).toString().toUtf8()).object(),
             (QJsonObject{{u"city"_s, u"Paris"_s}}));

    // The tool's answer goes back: a tool_use block and its tool_result.
    m_fake.reset();
    const QJsonObject toolAnswer{{u"role"_s, u"tool"_s}, {u"tool_call_id"_s, u"toolu_fake_1"_s},
                                 {u"content"_s, u"18 degrees, sunny"_s}};
    const auto second = client->postJson("/v1/chat/completions",
                                         {{u"model"_s, Group},
                                          {u"tools"_s, QJsonArray{tool}},
                                          {u"messages"_s, QJsonArray{question, assistant, toolAnswer}}});
    QCOMPARE(second.status, 200);
    QCOMPARE(second.json().value(u"choices"_s).toArray().first().toObject().value(u"message"_s).toObject()
                 .value(u"content"_s).toString(),
             m_fake.content());
    const QJsonArray turns = m_fake.requests().first().json().value(u"messages"_s).toArray();
    QCOMPARE(turns.size(), 3);
    const QJsonObject toolUse = turns.at(1).toObject().value(u"content"_s).toArray().last().toObject();
    QCOMPARE(turns.at(1).toObject().value(u"role"_s).toString(), u"assistant"_s);
    QCOMPARE(toolUse.value(u"type"_s).toString(), u"tool_use"_s);
    QCOMPARE(toolUse.value(u"id"_s).toString(), u"toolu_fake_1"_s);
    QCOMPARE(toolUse.value(u"input"_s).toObject(), (QJsonObject{{u"city"_s, u"Paris"_s}}));
    QCOMPARE(turns.at(2).toObject().value(u"role"_s).toString(), u"user"_s);
    const QJsonObject result = turns.at(2).toObject().value(u"content"_s).toArray().first().toObject();
    QCOMPARE(result.value(u"type"_s).toString(), u"tool_result"_s);
    QCOMPARE(result.value(u"tool_use_id"_s).toString(), u"toolu_fake_1"_s);
    QVERIFY(compact(result).contains("18 degrees, sunny"));
}

void TestDialectMessages::chatStreamedToolCall()
{
    m_fake.setToolCall(u"get_weather"_s, uR"({"city":"Paris","unit":"celsius"})"_s);
    m_fake.setStreamChunks(3, 5ms);
    const auto client = m_gateway->client();
    const auto response = client->postJson(
        "/v1/chat/completions",
        {{u"model"_s, Group},
         {u"stream"_s, true},
         {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"function"_s},
                                             {u"function"_s, QJsonObject{{u"name"_s, u"get_weather"_s},
                                                                         {u"parameters"_s, QJsonObject{}}}}}}},
         {u"messages"_s, QJsonArray{userText(u"Weather?"_s)}}});
    QCOMPARE(response.status, 200);
    const QList<QByteArray> data = response.sseData();
    QCOMPARE(data.last(), QByteArray("[DONE]"));
    QString name;
    QString arguments;
    QString id;
    QString finish;
    for (qsizetype i = 0; i + 1 < data.size(); ++i) {
        const QJsonArray choices = QJsonDocument::fromJson(data.at(i)).object().value(u"choices"_s).toArray();
        if (choices.isEmpty())
            continue;
        const QJsonObject choice = choices.first().toObject();
        if (choice.value(u"finish_reason"_s).isString())
            finish = choice.value(u"finish_reason"_s).toString();
        for (const QJsonValue &call : choice.value(u"delta"_s).toObject().value(u"tool_calls"_s).toArray()) {
            const QJsonObject c = call.toObject();
            QCOMPARE(c.value(u"index"_s).toInt(-1), 0);
            if (c.contains(u"id"_s))
                id = c.value(u"id"_s).toString();
            const QJsonObject f = c.value(u"function"_s).toObject();
            name += f.value(u"name"_s).toString();
            arguments += f.value(u"arguments"_s).toString();
        }
    }
    QCOMPARE(id, u"toolu_fake_1"_s);
    QCOMPARE(name, u"get_weather"_s);
    QCOMPARE(arguments, uR"({"city":"Paris","unit":"celsius"})"_s);
    QCOMPARE(finish, u"tool_calls"_s);
}

void TestDialectMessages::chatProviderErrorInOpenAIsEnvelope()
{
    m_fake.setErrorResponse(400, R"({"type":"error","error":{"type":"invalid_request_error",)"
                                 R"("message":"messages: roles must alternate"}})");
    const auto client = m_gateway->client();
    const auto response = client->postJson("/v1/chat/completions",
                                           {{u"model"_s, Group}, {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(response.status, 400);
    const QJsonObject json = response.json();
    QVERIFY(!json.contains(u"type"_s));
    const QJsonObject error = json.value(u"error"_s).toObject();
    QCOMPARE(error.value(u"message"_s).toString(), u"messages: roles must alternate"_s);
    QCOMPARE(error.value(u"type"_s).toString(), u"invalid_request_error"_s);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(!row.isEmpty());
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(0));
    QCOMPARE(row.value(u"dialect"_s).toString(), u"chat"_s);

    // Streamed, the error comes before any chunk: the same envelope and status.
    const auto streamed = client->postJson("/v1/chat/completions", {{u"model"_s, Group},
                                                                    {u"stream"_s, true},
                                                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(streamed.status, 400);
    QCOMPARE(streamed.json().value(u"error"_s).toObject().value(u"message"_s).toString(),
             u"messages: roles must alternate"_s);
}

void TestDialectMessages::sessionIsRecordedAndFiltered()
{
    const QByteArray session = "sess-" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    const QByteArray raw = compact({{u"model"_s, Group},
                                    {u"max_tokens"_s, 10},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    const auto first = messages(raw, GatewayFixture::MasterKey,
                                {{"anthropic-version", "2023-06-01"}, {"X-Claude-Code-Session-Id", session}});
    QCOMPARE(first.status, 200);
    const auto other = messages(raw);  // no session
    QCOMPARE(other.status, 200);
    const auto second = messages(raw, GatewayFixture::MasterKey,
                                 {{"anthropic-version", "2023-06-01"}, {"X-Claude-Code-Session-Id", session}});
    QCOMPARE(second.status, 200);

    QCOMPARE(spendRow(first.header("x-litellm-call-id")).value(u"session_id"_s).toString(), QString::fromLatin1(session));
    QCOMPARE(spendRow(other.header("x-litellm-call-id")).value(u"session_id"_s).toString(), QString());
    const QJsonArray rows = QJsonDocument::fromJson(m_gateway->get("/spend/logs?session_id=" + session).body).array();
    QStringList ids;
    for (const QJsonValue &row : rows) {
        QCOMPARE(row.toObject().value(u"session_id"_s).toString(), QString::fromLatin1(session));
        ids.append(row.toObject().value(u"request_id"_s).toString());
    }
    ids.sort();
    QStringList expected{QString::fromLatin1(first.header("x-litellm-call-id")),
                         QString::fromLatin1(second.header("x-litellm-call-id"))};
    expected.sort();
    QCOMPARE(ids, expected);
}

QTEST_GUILESS_MAIN(TestDialectMessages)
#include "tst_dialect_messages.moc"
