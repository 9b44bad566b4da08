// Integration tests of OpenAI's Responses API (POST /v1/responses and the stored-response
// routes) relayed to openai/ and azure/ deployments and answered by the mock: a real gateway
// on its own thread, a real SQLite file, two fake providers speaking the Responses API and a
// blocking client over real loopback HTTP.
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

// USD per token; each a whole number of nano-dollars, so the spend is exact.
constexpr double InputPrice = 0.000001;       // 1000 nano
constexpr double CacheReadPrice = 0.0000001;  // 100 nano
constexpr double OutputPrice = 0.000002;      // 2000 nano
// The cheap model of the hidden-context case: 10 nano a token either way.
constexpr double CheapPrice = 0.00000001;

// One event of a Responses stream: its `event:` name and parsed data.
struct StreamEvent
{
    QByteArray name;
    QJsonObject data;
};

QList<StreamEvent> streamEvents(const QByteArray &body)
{
    QList<StreamEvent> events;
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith("event: "))
            events.append({line.mid(7).trimmed(), {}});
        else if (line.startsWith("data: ") && !events.isEmpty())
            events.last().data = QJsonDocument::fromJson(line.mid(6)).object();
    }
    return events;
}

QString outputTextOf(const QJsonObject &response)
{
    QString text;
    for (const QJsonValue &item : response.value(u"output"_s).toArray()) {
        for (const QJsonValue &part : item.toObject().value(u"content"_s).toArray()) {
            if (part.toObject().value(u"type"_s).toString() == u"output_text"_s)
                text += part.toObject().value(u"text"_s).toString();
        }
    }
    return text;
}

Deployment openAiDeployment(const QString &group, const QString &id, const FakeProvider &fake, const QString &key)
{
    Deployment d;
    d.modelName = group;
    d.id = id;
    d.provider = Provider::OpenAI;
    d.providerName = u"openai"_s;
    d.upstreamModel = u"gpt-upstream"_s;
    d.apiBase = QString::fromLatin1(fake.baseUrl()) + u"/v1"_s;
    d.apiKey = key;
    d.inputCostPerToken = InputPrice;
    d.outputCostPerToken = OutputPrice;
    d.cacheReadCostPerToken = CacheReadPrice;
    d.timeoutSeconds = 30;
    return d;
}

} // namespace

class TestDialectResponses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void passThroughToOpenAI();
    void azureUsesItsV1Surface();
    void streamIsRelayedInOrder();
    void cutStreamIsChargedAndFails_data();
    void cutStreamIsChargedAndFails();
    void clientLeavingMidStreamIsCharged();
    void mockAnswersAResponse();
    void mockStreamsAResponse();
    void followUpGoesToTheCreatingDeployment();
    void unknownOrForeignPreviousIdIs404();
    void hiddenContextBoundsAdmission();
    void hiddenContextIsChargedWithoutUsage();
    void storedResponseRoutesGoToTheCreator();
    void backgroundIsRefused();
    void anthropicDeploymentIsRefused();
    void rateLimitRefusalInOpenAIsShape();
    void budgetRefusalInOpenAIsShape();
    void sessionIsRecordedAndFilterable();

private:
    HttpClient::Response create(const QJsonObject &body, const QByteArray &key = GatewayFixture::MasterKey,
                                const RawHeaders &headers = {});
    HttpClient::Response createRaw(const QByteArray &body, const QByteArray &key = GatewayFixture::MasterKey);
    HttpClient::Response call(const QByteArray &method, const QByteArray &path,
                              const QByteArray &key = GatewayFixture::MasterKey);
    QJsonObject spendRow(const QByteArray &callId);
    QByteArray generateKey(const QJsonObject &fields);

    FakeProvider m_fakeA;
    FakeProvider m_fakeB;
    std::unique_ptr<GatewayFixture> m_gateway;
};

void TestDialectResponses::initTestCase()
{
    QVERIFY(m_fakeA.start() != 0);
    QVERIFY(m_fakeB.start() != 0);
    Config config = GatewayFixture::defaultConfig();  // mock gpt-a at 1000 / 2000 nano a token
    // Strict budgets: a call is admitted only if its worst case fits the budget.
    config.general.budgetEnforcement = BudgetEnforcement::Strict;
    config.models.append(openAiDeployment(u"gpt-resp"_s, u"resp-1"_s, m_fakeA, u"sk-deployment-a"_s));
    // One group, two providers.
    config.models.append(openAiDeployment(u"gpt-pair"_s, u"pair-a"_s, m_fakeA, u"sk-pair-a"_s));
    config.models.append(openAiDeployment(u"gpt-pair"_s, u"pair-b"_s, m_fakeB, u"sk-pair-b"_s));
    Deployment cheap = openAiDeployment(u"gpt-cheap"_s, u"cheap-1"_s, m_fakeA, u"sk-cheap"_s);
    cheap.inputCostPerToken = CheapPrice;
    cheap.outputCostPerToken = CheapPrice;
    cheap.cacheReadCostPerToken.reset();
    config.models.append(cheap);

    Deployment azure = openAiDeployment(u"gpt-azure"_s, u"azure-1"_s, m_fakeB, u"azure-secret"_s);
    azure.provider = Provider::Azure;
    azure.providerName = u"azure"_s;
    azure.upstreamModel = u"my-gpt-deployment"_s;
    azure.apiBase = QString::fromLatin1(m_fakeB.baseUrl());
    azure.apiVersion = u"2025-04-01-preview"_s;
    config.models.append(azure);

    Deployment claude;
    claude.modelName = u"claude-x"_s;
    claude.id = u"claude-1"_s;
    claude.provider = Provider::Anthropic;
    claude.providerName = u"anthropic"_s;
    claude.upstreamModel = u"claude-sonnet-4-5"_s;
    claude.apiBase = u"http://127.0.0.1:9"_s;  // never reached
    claude.apiKey = u"sk-ant"_s;
    claude.inputCostPerToken = 0.000003;
    claude.outputCostPerToken = 0.000015;
    config.models.append(claude);

    m_gateway = std::make_unique<GatewayFixture>(config);
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->lastError()));
}

void TestDialectResponses::init()
{
    m_fakeA.reset();
    m_fakeB.reset();
    m_fakeA.setStreamChunks(5, 1ms);
    m_fakeB.setStreamChunks(5, 1ms);
}

void TestDialectResponses::cleanupTestCase()
{
    m_gateway.reset();
}

HttpClient::Response TestDialectResponses::create(const QJsonObject &body, const QByteArray &key,
                                                  const RawHeaders &headers)
{
    HttpClient client(m_gateway->port());
    RawHeaders all{{"Authorization", "Bearer " + key}};
    all += headers;
    return client.post("/v1/responses", QJsonDocument(body).toJson(QJsonDocument::Compact), all);
}

HttpClient::Response TestDialectResponses::createRaw(const QByteArray &body, const QByteArray &key)
{
    HttpClient client(m_gateway->port());
    return client.post("/v1/responses", body, {{"Authorization", "Bearer " + key}});
}

HttpClient::Response TestDialectResponses::call(const QByteArray &method, const QByteArray &path, const QByteArray &key)
{
    // As the OpenAI SDKs send them: no body, not even for POST …/cancel.
    HttpClient client(m_gateway->port());
    return client.request(method, path, {{"Authorization", "Bearer " + key}});
}

QJsonObject TestDialectResponses::spendRow(const QByteArray &callId)
{
    // The row is written before the answer's end reaches the client, but give the store a moment.
    for (int attempt = 0; attempt < 50; ++attempt) {
        const auto response = m_gateway->get("/spend/logs?request_id=" + callId);
        const QJsonArray rows = QJsonDocument::fromJson(response.body).array();
        if (!rows.isEmpty())
            return rows.first().toObject();
        QTest::qWait(20);
    }
    return {};
}

QByteArray TestDialectResponses::generateKey(const QJsonObject &fields)
{
    const auto response = m_gateway->post("/key/generate", fields);
    return response.json().value(u"key"_s).toString().toLatin1();
}

void TestDialectResponses::passThroughToOpenAI()
{
    m_fakeA.setUsage(1200, 345);
    m_fakeA.setCachedTokens(1000);
    // Odd spacing, key order and an unknown field: the provider must get exactly these bytes.
    const QByteArray sent
        = R"({"input":[{"role":"user","content":[{"type":"input_text","text":"Hi there"}]}],  "model" : "gpt-resp",)"
          R"("instructions":"Be brief.","max_output_tokens":640,"reasoning":{"effort":"low"},"x_future_field":[1,2]})";
    const QByteArray key = generateKey({});
    QVERIFY(!key.isEmpty());
    const auto response = createRaw(sent, key);
    QCOMPARE(response.status, 200);

    QCOMPARE(m_fakeA.requestCount(), 1);
    const RecordedRequest upstream = m_fakeA.requests().first();
    QCOMPARE(upstream.method, QByteArray("POST"));
    QCOMPARE(upstream.path, QByteArray("/v1/responses"));
    QCOMPARE(upstream.header("authorization"), QByteArray("Bearer sk-deployment-a"));
    QVERIFY(!upstream.body.contains(key));
    QByteArray expected = sent;
    expected.replace("\"gpt-resp\"", "\"gpt-upstream\"");
    QCOMPARE(upstream.body, expected);

    // The client gets the provider's Response as it was.
    const QJsonObject answer = response.json();
    const QString id = answer.value(u"id"_s).toString();
    QVERIFY(id.startsWith(u"resp_"_s));
    QCOMPARE(answer, *m_fakeA.storedResponse(id));
    QCOMPARE(outputTextOf(answer), m_fakeA.content());

    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"dialect"_s).toString(), u"responses"_s);
    QCOMPARE(row.value(u"call_type"_s).toString(), u"aresponses"_s);
    QCOMPARE(row.value(u"model_group"_s).toString(), u"gpt-resp"_s);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 1200);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), 345);
    QCOMPARE(row.value(u"cached_tokens"_s).toInteger(), 1000);
    QCOMPARE(row.value(u"status"_s).toString(), u"success"_s);
    QVERIFY(!row.value(u"cost_estimated"_s).toBool());
    // 200 plain input × 1000 + 1000 cached × 100 + 345 output × 2000 nano.
    const NanoUsd cost = 200 * 1000 + 1000 * 100 + 345 * 2000;
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), cost);
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), cost);
}

void TestDialectResponses::azureUsesItsV1Surface()
{
    const auto response = create({{u"model"_s, u"gpt-azure"_s}, {u"input"_s, u"Hello"_s}});
    QCOMPARE(response.status, 200);
    QCOMPARE(m_fakeA.requestCount(), 0);
    QCOMPARE(m_fakeB.requestCount(), 1);
    const RecordedRequest upstream = m_fakeB.requests().first();
    QCOMPARE(upstream.path, QByteArray("/openai/v1/responses"));
    QCOMPARE(upstream.header("api-key"), QByteArray("azure-secret"));
    QVERIFY(upstream.header("authorization").isEmpty());
    QCOMPARE(upstream.json().value(u"model"_s).toString(), u"my-gpt-deployment"_s);
    QCOMPARE(outputTextOf(response.json()), m_fakeB.content());

    // Its stored response is read through Azure's surface too.
    const QString id = response.json().value(u"id"_s).toString();
    const auto stored = call("GET", "/v1/responses/" + id.toUtf8());
    QCOMPARE(stored.status, 200);
    QCOMPARE(m_fakeB.requests().last().path, "/openai/v1/responses/" + id.toUtf8());
    QCOMPARE(m_fakeB.requests().last().header("api-key"), QByteArray("azure-secret"));
}

void TestDialectResponses::streamIsRelayedInOrder()
{
    m_fakeA.setUsage(500, 40);
    m_fakeA.setCachedTokens(100);
    m_fakeA.setStreamChunks(6, 5ms);
    const auto response = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Stream please"_s}, {u"stream"_s, true}});
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("text/event-stream"));
    const QList<StreamEvent> events = streamEvents(response.body);
    QList<QByteArray> names;
    for (const StreamEvent &e : events)
        names.append(e.name);
    QList<QByteArray> expected{"response.created", "response.in_progress", "response.output_item.added",
                               "response.content_part.added"};
    for (int i = 0; i < 6; ++i)
        expected.append("response.output_text.delta");
    expected += QList<QByteArray>{"response.output_text.done", "response.content_part.done",
                                  "response.output_item.done", "response.completed"};
    QCOMPARE(names, expected);
    QString text;
    for (int i = 0; i < events.size(); ++i) {
        QCOMPARE(events.at(i).data.value(u"sequence_number"_s).toInt(), i);
        QCOMPARE(events.at(i).data.value(u"type"_s).toString().toLatin1(), events.at(i).name);
        if (events.at(i).name == "response.output_text.delta")
            text += events.at(i).data.value(u"delta"_s).toString();
    }
    QCOMPARE(text, m_fakeA.content());
    QVERIFY(!response.body.contains("[DONE]"));

    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"dialect"_s).toString(), u"responses"_s);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 500);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), 40);
    QCOMPARE(row.value(u"cached_tokens"_s).toInteger(), 100);
    QVERIFY(!row.value(u"cost_estimated"_s).toBool());
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(400 * 1000 + 100 * 100 + 40 * 2000));

    // The provider got the stream request as sent: nothing added for chat's usage reporting.
    const QJsonObject sent = m_fakeA.requests().first().json();
    QVERIFY(sent.value(u"stream"_s).toBool());
    QVERIFY(!sent.contains(u"stream_options"_s));
    // A streamed response is known by the id its events carried: stored, and continued.
    const QString id = events.first().data.value(u"response"_s).toObject().value(u"id"_s).toString();
    QVERIFY(id.startsWith(u"resp_"_s));
    QCOMPARE(call("GET", "/v1/responses/" + id.toUtf8()).status, 200);
    const auto next = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"More"_s}, {u"previous_response_id"_s, id},
                              {u"stream"_s, true}});
    QCOMPARE(next.status, 200);
    QCOMPARE(streamEvents(next.body).last().name, QByteArray("response.completed"));
    QCOMPARE(m_fakeA.requests().last().json().value(u"previous_response_id"_s).toString(), id);
}

void TestDialectResponses::cutStreamIsChargedAndFails_data()
{
    QTest::addColumn<bool>("withErrorEvent");
    QTest::newRow("connection reset") << false;
    QTest::newRow("error event") << true;
}

void TestDialectResponses::cutStreamIsChargedAndFails()
{
    QFETCH(bool, withErrorEvent);
    m_fakeA.setUsage(500, 40);
    m_fakeA.setStreamChunks(6, 5ms);
    m_fakeA.setStreamBreak(3, withErrorEvent);
    const auto response = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Stream please"_s}, {u"stream"_s, true}});
    QCOMPARE(response.status, 200);
    const QList<StreamEvent> events = streamEvents(response.body);
    QVERIFY(!events.isEmpty());
    int deltas = 0;
    for (const StreamEvent &e : events)
        deltas += e.name == "response.output_text.delta" ? 1 : 0;
    QCOMPARE(deltas, 3);
    QCOMPARE(events.last().name, QByteArray("response.failed"));
    QCOMPARE(events.last().data.value(u"response"_s).toObject().value(u"status"_s).toString(), u"failed"_s);
    for (const StreamEvent &e : events)
        QVERIFY(e.name != "response.completed");

    // Charged for what was delivered, estimated (the provider sent no usage).
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"status"_s).toString(), u"failure"_s);
    QVERIFY(row.value(u"cost_estimated"_s).toBool());
    QVERIFY(row.value(u"completion_tokens"_s).toInteger() > 0);
    QVERIFY(row.value(u"prompt_tokens"_s).toInteger() > 0);
    QVERIFY(usdToNanos(row.value(u"spend"_s).toDouble()) > 0);
}

void TestDialectResponses::clientLeavingMidStreamIsCharged()
{
    m_fakeA.setStreamChunks(20, 30ms);
    HttpClient client(m_gateway->port());
    const QByteArray body = R"({"model":"gpt-resp","input":"Tell me a long story","stream":true})";
    const auto partial = client.requestAndAbort("POST", "/v1/responses",
                                                {{"Authorization", QByteArray("Bearer ") + GatewayFixture::MasterKey},
                                                 {"Content-Type", "application/json"}},
                                                body, 6);
    QCOMPARE(partial.status, 200);
    const QByteArray callId = partial.header("x-litellm-call-id");
    QJsonObject row;
    QTRY_VERIFY_WITH_TIMEOUT(!(row = spendRow(callId)).isEmpty(), 5000);
    QCOMPARE(row.value(u"status"_s).toString(), u"client_disconnected"_s);
    QVERIFY(row.value(u"cost_estimated"_s).toBool());
    QVERIFY(row.value(u"completion_tokens"_s).toInteger() > 0);
    QVERIFY(usdToNanos(row.value(u"spend"_s).toDouble()) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_fakeA.clientDisconnects(), 1, 5000);  // the provider's stream was cancelled
}

void TestDialectResponses::mockAnswersAResponse()
{
    const auto response = create({{u"model"_s, u"gpt-a"_s}, {u"input"_s, u"Hello mock"_s}});
    QCOMPARE(response.status, 200);
    const QJsonObject answer = response.json();
    QVERIFY(answer.value(u"id"_s).toString().startsWith(u"resp_"_s));
    QCOMPARE(answer.value(u"object"_s).toString(), u"response"_s);
    QCOMPARE(answer.value(u"status"_s).toString(), u"completed"_s);
    QVERIFY(!outputTextOf(answer).isEmpty());
    const QJsonObject usage = answer.value(u"usage"_s).toObject();
    const qint64 input = usage.value(u"input_tokens"_s).toInteger();
    const qint64 output = usage.value(u"output_tokens"_s).toInteger();
    QVERIFY(input > 0 && output > 0);
    QCOMPARE(m_fakeA.requestCount() + m_fakeB.requestCount(), 0);

    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"dialect"_s).toString(), u"responses"_s);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), input);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), output);
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(input * 1000 + output * 2000));

    // A conversation with the mock goes on by previous_response_id; it stores nothing to read.
    const QString id = answer.value(u"id"_s).toString();
    const auto next = create({{u"model"_s, u"gpt-a"_s}, {u"input"_s, u"Again"_s}, {u"previous_response_id"_s, id}});
    QCOMPARE(next.status, 200);
    QCOMPARE(next.json().value(u"previous_response_id"_s).toString(), id);
    const auto stored = call("GET", "/v1/responses/" + id.toUtf8());
    QCOMPARE(stored.status, 404);
    QVERIFY(stored.json().value(u"error"_s).toObject().value(u"message"_s).toString().contains(u"mock"_s));
}

void TestDialectResponses::mockStreamsAResponse()
{
    const auto response = create({{u"model"_s, u"gpt-a"_s}, {u"input"_s, u"Hello mock"_s}, {u"stream"_s, true}});
    QCOMPARE(response.status, 200);
    const QList<StreamEvent> events = streamEvents(response.body);
    QVERIFY(events.size() >= 8);
    QCOMPARE(events.first().name, QByteArray("response.created"));
    QCOMPARE(events.last().name, QByteArray("response.completed"));
    QString text;
    for (int i = 0; i < events.size(); ++i) {
        QCOMPARE(events.at(i).data.value(u"sequence_number"_s).toInt(), i);
        if (events.at(i).name == "response.output_text.delta")
            text += events.at(i).data.value(u"delta"_s).toString();
    }
    const QJsonObject completed = events.last().data.value(u"response"_s).toObject();
    QVERIFY(!text.isEmpty());
    QCOMPARE(outputTextOf(completed), text);
    const qint64 output = completed.value(u"usage"_s).toObject().value(u"output_tokens"_s).toInteger();
    const qint64 input = completed.value(u"usage"_s).toObject().value(u"input_tokens"_s).toInteger();
    QVERIFY(output > 0);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"status"_s).toString(), u"success"_s);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), output);
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(input * 1000 + output * 2000));
}

void TestDialectResponses::followUpGoesToTheCreatingDeployment()
{
    const QByteArray key = generateKey({});
    QSet<QByteArray> firstHosts;
    for (int round = 0; round < 4; ++round) {
        m_fakeA.clearRecords();
        m_fakeB.clearRecords();
        const auto first = create({{u"model"_s, u"gpt-pair"_s}, {u"input"_s, u"Start"_s}}, key);
        QCOMPARE(first.status, 200);
        const QString id = first.json().value(u"id"_s).toString();
        FakeProvider &creator = m_fakeA.requestCount() == 1 ? m_fakeA : m_fakeB;
        FakeProvider &other = &creator == &m_fakeA ? m_fakeB : m_fakeA;
        QCOMPARE(creator.requestCount(), 1);
        QCOMPARE(other.requestCount(), 0);
        firstHosts.insert(&creator == &m_fakeA ? "a" : "b");
        const QByteArray creatorKey = &creator == &m_fakeA ? "Bearer sk-pair-a" : "Bearer sk-pair-b";
        // Several follow-ups: round robin would send some to the other provider.
        for (int i = 0; i < 3; ++i) {
            const auto next = create({{u"model"_s, u"gpt-pair"_s},
                                      {u"input"_s, u"And then?"_s},
                                      {u"previous_response_id"_s, id}},
                                     i == 2 ? QByteArray(GatewayFixture::MasterKey) : key);
            QCOMPARE(next.status, 200);
            QCOMPARE(creator.requestCount(), 2 + i);
            QCOMPARE(other.requestCount(), 0);
            const RecordedRequest upstream = creator.requests().last();
            QCOMPARE(upstream.header("authorization"), creatorKey);
            QCOMPARE(upstream.json().value(u"previous_response_id"_s).toString(), id);
        }
    }
    // Round robin spread the first calls over both providers, so both directions were tested.
    QCOMPARE(firstHosts.size(), 2);
}

void TestDialectResponses::unknownOrForeignPreviousIdIs404()
{
    const QByteArray owner = generateKey({});
    const QByteArray stranger = generateKey({});
    const auto first = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Start"_s}}, owner);
    QCOMPARE(first.status, 200);
    const QString id = first.json().value(u"id"_s).toString();
    m_fakeA.clearRecords();

    const auto unknown = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"More"_s},
                                 {u"previous_response_id"_s, u"resp_does_not_exist"_s}}, owner);
    QCOMPARE(unknown.status, 404);
    const QJsonObject error = unknown.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"param"_s).toString(), u"previous_response_id"_s);
    QVERIFY(error.value(u"message"_s).toString().contains(u"resp_does_not_exist"_s));

    const auto foreign = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"More"_s},
                                 {u"previous_response_id"_s, id}}, stranger);
    QCOMPARE(foreign.status, 404);
    QCOMPARE(m_fakeA.requestCount(), 0);  // refused by the gateway, never sent

    const auto master = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"More"_s},
                                {u"previous_response_id"_s, id}});
    QCOMPARE(master.status, 200);
    const auto own = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"More"_s},
                             {u"previous_response_id"_s, id}}, owner);
    QCOMPARE(own.status, 200);
    QCOMPARE(m_fakeA.requestCount(), 2);
}

void TestDialectResponses::hiddenContextBoundsAdmission()
{
    // 1,000,000 input tokens at 10 nano = $0.01; the budget is $0.015: after the first call
    // about 500,000 tokens' worth is left, less than the previous response's context.
    const QByteArray key = generateKey({{u"max_budget"_s, 0.015}});
    QVERIFY(!key.isEmpty());
    m_fakeA.setUsage(1'000'000, 20);
    const QJsonObject base{{u"model"_s, u"gpt-cheap"_s}, {u"input"_s, u"Summarise the book."_s},
                           {u"max_output_tokens"_s, 50}};
    const auto first = create(base, key);
    QCOMPARE(first.status, 200);
    const QString id = first.json().value(u"id"_s).toString();
    const QJsonObject row = spendRow(first.header("x-litellm-call-id"));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(1'000'020 * 10));

    m_fakeA.setUsage(10, 20);
    m_fakeA.clearRecords();
    QJsonObject followUp = base;
    followUp.insert(u"previous_response_id"_s, id);
    const auto refused = create(followUp, key);
    QCOMPARE(refused.status, 429);
    const QJsonObject error = refused.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"budget_exceeded"_s);
    QCOMPARE(m_fakeA.requestCount(), 0);

    // The same request without the hidden context fits.
    const auto admitted = create(base, key);
    QCOMPARE(admitted.status, 200);
    QCOMPARE(m_fakeA.requestCount(), 1);
}

// A follow-up whose answer tells no usage (a stream broken off) is charged its prompt with the
// previous response's context, which the provider bills: it was charged the visible input alone
// (20 such follow-ups of a 12,000-token response spent $0.01 of what the provider billed $0.25).
void TestDialectResponses::hiddenContextIsChargedWithoutUsage()
{
    m_fakeA.setUsage(100'000, 20);
    const QJsonObject base{{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Summarise the book."_s},
                           {u"max_output_tokens"_s, 50}};
    const auto first = create(base);
    QCOMPARE(first.status, 200);
    const QString id = first.json().value(u"id"_s).toString();
    QVERIFY(!id.isEmpty());

    m_fakeA.setStreamChunks(6, 5ms);
    m_fakeA.setStreamBreak(2);
    QJsonObject followUp = base;
    followUp.insert(u"previous_response_id"_s, id);
    followUp.insert(u"stream"_s, true);
    const auto next = create(followUp);
    QCOMPARE(next.status, 200);
    const QJsonObject row = spendRow(next.header("x-litellm-call-id"));
    QVERIFY(row.value(u"cost_estimated"_s).toBool());
    QVERIFY2(row.value(u"prompt_tokens"_s).toInteger() > 100'020,
             qPrintable(QString::number(row.value(u"prompt_tokens"_s).toInteger())));
}

void TestDialectResponses::storedResponseRoutesGoToTheCreator()
{
    const QByteArray owner = generateKey({});
    const QByteArray stranger = generateKey({});
    const QJsonArray input{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Remember me"_s}}};
    const auto created = create({{u"model"_s, u"gpt-pair"_s}, {u"input"_s, input}}, owner);
    QCOMPARE(created.status, 200);
    const QByteArray id = created.json().value(u"id"_s).toString().toUtf8();
    FakeProvider &creator = m_fakeA.requestCount() == 1 ? m_fakeA : m_fakeB;
    FakeProvider &other = &creator == &m_fakeA ? m_fakeB : m_fakeA;
    const QByteArray creatorKey = &creator == &m_fakeA ? "Bearer sk-pair-a" : "Bearer sk-pair-b";
    creator.clearRecords();
    other.clearRecords();

    // Another key sees none of it, and nothing reaches a provider.
    for (const auto &[method, path] : QList<QPair<QByteArray, QByteArray>>{
             {"GET", "/v1/responses/" + id},
             {"GET", "/v1/responses/" + id + "/input_items"},
             {"POST", "/v1/responses/" + id + "/cancel"},
             {"DELETE", "/v1/responses/" + id}}) {
        const auto refused = call(method, path, stranger);
        QVERIFY2(refused.status == 404, QByteArray(method + ' ' + path + ' ' + QByteArray::number(refused.status) + refused.body).constData());
        QVERIFY(refused.json().value(u"error"_s).isObject());
    }
    QCOMPARE(creator.requestCount() + other.requestCount(), 0);

    const auto got = call("GET", "/v1/responses/" + id, owner);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.json(), created.json());
    const auto items = call("GET", "/v1/responses/" + id + "/input_items?limit=5", owner);
    QCOMPARE(items.status, 200);
    QCOMPARE(items.json().value(u"object"_s).toString(), u"list"_s);
    QCOMPARE(items.json().value(u"data"_s).toArray(), input);
    const auto cancelled = call("POST", "/v1/responses/" + id + "/cancel", owner);
    QCOMPARE(cancelled.status, 200);
    QCOMPARE(cancelled.json().value(u"status"_s).toString(), u"cancelled"_s);
    const auto deleted = call("DELETE", "/v1/responses/" + id, owner);
    QCOMPARE(deleted.status, 200);
    QCOMPARE(deleted.json().value(u"object"_s).toString(), u"response.deleted"_s);
    QVERIFY(deleted.json().value(u"deleted"_s).toBool());
    QVERIFY(!creator.storedResponse(QString::fromUtf8(id)));

    const QList<RecordedRequest> sent = creator.requests();
    QCOMPARE(other.requestCount(), 0);
    QCOMPARE(sent.size(), 4);
    const QList<QPair<QByteArray, QByteArray>> expected{{"GET", "/v1/responses/" + id},
                                                        {"GET", "/v1/responses/" + id + "/input_items"},
                                                        {"POST", "/v1/responses/" + id + "/cancel"},
                                                        {"DELETE", "/v1/responses/" + id}};
    for (int i = 0; i < sent.size(); ++i) {
        QCOMPARE(sent.at(i).method, expected.at(i).first);
        QCOMPARE(sent.at(i).path, expected.at(i).second);
        QCOMPARE(sent.at(i).header("authorization"), creatorKey);
    }
    QCOMPARE(sent.at(1).query, QByteArray("limit=5"));

    // Deleted: the gateway forgot it, so it answers itself.
    const auto gone = call("GET", "/v1/responses/" + id, owner);
    QCOMPARE(gone.status, 404);
    QCOMPARE(creator.requestCount(), 4);
    QCOMPARE(call("GET", "/v1/responses/resp_never_made", owner).status, 404);
    QCOMPARE(creator.requestCount() + other.requestCount(), 4);
}

void TestDialectResponses::backgroundIsRefused()
{
    const auto response = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Later"_s}, {u"background"_s, true}});
    QCOMPARE(response.status, 400);
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"param"_s).toString(), u"background"_s);
    QVERIFY(error.value(u"message"_s).toString().contains(u"background"_s));
    QCOMPARE(m_fakeA.requestCount(), 0);
}

void TestDialectResponses::anthropicDeploymentIsRefused()
{
    const auto response = create({{u"model"_s, u"claude-x"_s}, {u"input"_s, u"Hi"_s}});
    QCOMPARE(response.status, 400);
    const QString message = response.json().value(u"error"_s).toObject().value(u"message"_s).toString();
    QVERIFY2(message.contains(u"Responses API"_s), qPrintable(message));
    QVERIFY2(message.contains(u"/v1/messages"_s), qPrintable(message));
}

void TestDialectResponses::rateLimitRefusalInOpenAIsShape()
{
    const QByteArray key = generateKey({{u"rpm_limit"_s, 1}});
    const QJsonObject body{{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Hi"_s}};
    QCOMPARE(create(body, key).status, 200);
    const auto refused = create(body, key);
    QCOMPARE(refused.status, 429);
    const QJsonObject error = refused.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"throttling_error"_s);
    QVERIFY(error.contains(u"message"_s) && error.contains(u"code"_s));
    QVERIFY(!refused.json().contains(u"type"_s));  // not Anthropic's envelope
    const int retryAfter = refused.header("retry-after").toInt();
    QVERIFY2(retryAfter >= 1 && retryAfter <= 60, refused.header("retry-after").constData());
    QCOMPARE(m_fakeA.requestCount(), 1);
}

void TestDialectResponses::budgetRefusalInOpenAIsShape()
{
    const QByteArray key = generateKey({{u"max_budget"_s, 0.0}});
    const auto refused = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Hi"_s}}, key);
    QCOMPARE(refused.status, 429);
    const QJsonObject error = refused.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"budget_exceeded"_s);
    QVERIFY(error.value(u"message"_s).toString().contains(u"udget"_s));
    QCOMPARE(m_fakeA.requestCount(), 0);
}

void TestDialectResponses::sessionIsRecordedAndFilterable()
{
    const QByteArray session = "codex-session-" + QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    const auto one = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"One"_s}}, GatewayFixture::MasterKey,
                            {{"session_id", session}});
    const auto two = create({{u"model"_s, u"gpt-a"_s}, {u"input"_s, u"Two"_s}, {u"stream"_s, true}},
                            GatewayFixture::MasterKey, {{"x-session-id", session}});
    const auto other = create({{u"model"_s, u"gpt-resp"_s}, {u"input"_s, u"Three"_s}}, GatewayFixture::MasterKey,
                              {{"session_id", "another-session"}});
    QCOMPARE(one.status, 200);
    QCOMPARE(two.status, 200);
    QCOMPARE(other.status, 200);
    QCOMPARE(spendRow(one.header("x-litellm-call-id")).value(u"session_id"_s).toString(), QString::fromLatin1(session));
    QCOMPARE(spendRow(two.header("x-litellm-call-id")).value(u"session_id"_s).toString(), QString::fromLatin1(session));

    const auto logs = m_gateway->get("/spend/logs?session_id=" + session);
    QCOMPARE(logs.status, 200);
    const QJsonArray rows = QJsonDocument::fromJson(logs.body).array();
    QSet<QString> ids;
    for (const QJsonValue &row : rows) {
        QCOMPARE(row.toObject().value(u"session_id"_s).toString(), QString::fromLatin1(session));
        ids.insert(row.toObject().value(u"request_id"_s).toString());
    }
    QCOMPARE(ids, (QSet<QString>{QString::fromLatin1(one.header("x-litellm-call-id")),
                                 QString::fromLatin1(two.header("x-litellm-call-id"))}));
}

QTEST_GUILESS_MAIN(TestDialectResponses)
#include "tst_dialect_responses.moc"
