// Integration tests of Anthropic's Messages API (POST /v1/messages, count_tokens, the
// Anthropic model list) served by mock and OpenAI-style deployments through translation:
// a real gateway on its own thread, a real SQLite file, a fake OpenAI provider and a
// blocking client over real loopback HTTP.
#include "models/money.h"
#include "models/tokencount.h"
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httpclient.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QUrlQuery>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr double InputPrice = 0.000001;       // USD per prompt token (gpt-fake)
constexpr double CacheReadPrice = 0.0000001;  // per cached prompt token
constexpr double OutputPrice = 0.000002;      // per completion token

const QByteArray Version = "2023-06-01";

// One event of an Anthropic stream: its `event:` name and parsed data.
struct StreamEvent
{
    QByteArray name;
    QJsonObject data;
};

QList<StreamEvent> anthropicEvents(const QByteArray &body)
{
    QList<StreamEvent> events;
    for (const QByteArray &block : body.split('\n')) {
        if (block.startsWith("event: "))
            events.append({block.mid(7).trimmed(), {}});
        else if (block.startsWith("data: ") && !events.isEmpty())
            events.last().data = QJsonDocument::fromJson(block.mid(6)).object();
    }
    return events;
}

QJsonObject userText(const QString &text)
{
    return {{u"role"_s, u"user"_s}, {u"content"_s, text}};
}

} // namespace

class TestAnthropic : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void mockAnswersAMessage();
    void mockStreamsAMessage();
    void translatesTheRequestForAnOpenAIDeployment();
    void openAIAnswerBecomesAMessageWithExactSpend();
    void openAIStreamBecomesAnthropicEvents();
    void brokenStreamEndsWithAnErrorEvent_data();
    void brokenStreamEndsWithAnErrorEvent();
    void toolUseRoundTrip();
    void streamedToolUse();
    void xApiKeyAndBetaQuery();
    void errorsUseAnthropicsEnvelope_data();
    void errorsUseAnthropicsEnvelope();
    void untranslatableRequestIs400_data();
    void untranslatableRequestIs400();
    void thinkingIsNotSentAndSaysSo();
    void budgetRefusalIs429WithItsBudget();
    void rateLimitRefusalKeepsRetryAfter();
    void providerErrorBecomesAnthropicError();
    void countTokensUsesTheTokenizer();
    void aLargeCountIsMadeWhileOtherCallsGoOn();
    void modelsListInAnthropicsShape();

private:
    HttpClient::Response messages(const QJsonObject &body, const QByteArray &key = GatewayFixture::MasterKey,
                                  const QByteArray &path = "/v1/messages");
    QJsonObject spendRow(const QByteArray &callId);
    QByteArray generateKey(const QJsonObject &fields);

    FakeProvider m_fake;
    std::unique_ptr<GatewayFixture> m_gateway;
};

void TestAnthropic::initTestCase()
{
    QVERIFY(m_fake.start() != 0);
    Config config = GatewayFixture::defaultConfig();
    Deployment claude;
    claude.modelName = u"claude-sonnet-4-5"_s;
    claude.id = u"mock-claude"_s;
    claude.provider = Provider::Mock;
    claude.providerName = u"mock"_s;
    claude.upstreamModel = u"claude-sonnet-4-5"_s;
    claude.inputCostPerToken = 0.000003;
    claude.outputCostPerToken = 0.000015;
    config.models.append(claude);

    Deployment gpt;
    gpt.modelName = u"gpt-fake"_s;
    gpt.id = u"gpt-fake-1"_s;
    gpt.provider = Provider::OpenAI;
    gpt.providerName = u"openai"_s;
    gpt.upstreamModel = u"gpt-upstream"_s;
    gpt.apiBase = QString::fromLatin1(m_fake.baseUrl()) + u"/v1"_s;
    gpt.apiKey = u"sk-provider-secret"_s;
    gpt.inputCostPerToken = InputPrice;
    gpt.outputCostPerToken = OutputPrice;
    gpt.cacheReadCostPerToken = CacheReadPrice;
    gpt.timeoutSeconds = 30;
    config.models.append(gpt);

    m_gateway = std::make_unique<GatewayFixture>(config);
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->lastError()));
}

void TestAnthropic::init()
{
    m_fake.reset();
}

void TestAnthropic::cleanupTestCase()
{
    m_gateway.reset();
}

HttpClient::Response TestAnthropic::messages(const QJsonObject &body, const QByteArray &key, const QByteArray &path)
{
    HttpClient client(m_gateway->port());
    return client.post(path, QJsonDocument(body).toJson(QJsonDocument::Compact),
                       {{"x-api-key", key}, {"anthropic-version", Version}});
}

QJsonObject TestAnthropic::spendRow(const QByteArray &callId)
{
    const auto response = m_gateway->get("/spend/logs?request_id=" + callId);
    const QJsonArray rows = QJsonDocument::fromJson(response.body).array();
    return rows.isEmpty() ? QJsonObject{} : rows.first().toObject();
}

QByteArray TestAnthropic::generateKey(const QJsonObject &fields)
{
    const auto response = m_gateway->post("/key/generate", fields);
    return response.json().value(u"key"_s).toString().toLatin1();
}

void TestAnthropic::mockAnswersAMessage()
{
    const auto response = messages({{u"model"_s, u"claude-sonnet-4-5"_s},
                                    {u"max_tokens"_s, 100},
                                    {u"system"_s, u"Be brief."_s},
                                    {u"messages"_s, QJsonArray{userText(u"Hello there"_s)}}});
    QCOMPARE(response.status, 200);
    const QJsonObject message = response.json();
    QVERIFY(message.value(u"id"_s).toString().startsWith(u"msg_"_s));
    QCOMPARE(message.value(u"type"_s).toString(), u"message"_s);
    QCOMPARE(message.value(u"role"_s).toString(), u"assistant"_s);
    QCOMPARE(message.value(u"model"_s).toString(), u"claude-sonnet-4-5"_s);
    QCOMPARE(message.value(u"stop_reason"_s).toString(), u"end_turn"_s);
    const QJsonArray content = message.value(u"content"_s).toArray();
    QCOMPARE(content.size(), 1);
    QCOMPARE(content.first().toObject().value(u"type"_s).toString(), u"text"_s);
    QVERIFY(!content.first().toObject().value(u"text"_s).toString().isEmpty());
    const QJsonObject usage = message.value(u"usage"_s).toObject();
    const qint64 input = usage.value(u"input_tokens"_s).toInteger();
    const qint64 output = usage.value(u"output_tokens"_s).toInteger();
    QVERIFY(input > 0 && output > 0);

    // The spend log has the call, priced from the usage the client saw.
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"call_type"_s).toString(), u"anthropic_messages"_s);
    QCOMPARE(row.value(u"model_group"_s).toString(), u"claude-sonnet-4-5"_s);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), input);
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), output);
    const NanoUsd expected = NanoUsd(input * 3000 + output * 15000);
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expected);
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), expected);
}

void TestAnthropic::mockStreamsAMessage()
{
    const auto response = messages({{u"model"_s, u"claude-sonnet-4-5"_s},
                                    {u"max_tokens"_s, 100},
                                    {u"stream"_s, true},
                                    {u"messages"_s, QJsonArray{userText(u"Hello there"_s)}}});
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("text/event-stream"));
    const QList<StreamEvent> events = anthropicEvents(response.body);
    QVERIFY(events.size() >= 6);
    QCOMPARE(events.first().name, QByteArray("message_start"));
    QCOMPARE(events.last().name, QByteArray("message_stop"));
    QString text;
    qint64 output = -1;
    for (const StreamEvent &e : events) {
        QCOMPARE(e.data.value(u"type"_s).toString().toLatin1(), e.name);
        if (e.name == "content_block_delta")
            text += e.data.value(u"delta"_s).toObject().value(u"text"_s).toString();
        if (e.name == "message_delta") {
            QCOMPARE(e.data.value(u"delta"_s).toObject().value(u"stop_reason"_s).toString(), u"end_turn"_s);
            output = e.data.value(u"usage"_s).toObject().value(u"output_tokens"_s).toInteger();
        }
    }
    QVERIFY(!text.isEmpty());
    QVERIFY(output > 0);
    QVERIFY(!response.body.contains("[DONE]"));
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"completion_tokens"_s).toInteger(), output);
    QCOMPARE(row.value(u"status"_s).toString(), u"success"_s);
}

void TestAnthropic::translatesTheRequestForAnOpenAIDeployment()
{
    const QJsonObject image{{u"type"_s, u"image"_s},
                            {u"source"_s, QJsonObject{{u"type"_s, u"base64"_s},
                                                      {u"media_type"_s, u"image/png"_s},
                                                      {u"data"_s, u"iVBORw0KGgo="_s}}}};
    const auto response = messages(
        {{u"model"_s, u"gpt-fake"_s},
         {u"max_tokens"_s, 256},
         {u"system"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"You are terse."_s}}}},
         {u"messages"_s,
          QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                 {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"What is this?"_s}},
                                                           image}}}}},
         {u"stop_sequences"_s, QJsonArray{u"END"_s}},
         {u"temperature"_s, 0.5},
         {u"top_p"_s, 0.9},
         {u"metadata"_s, QJsonObject{{u"user_id"_s, u"claude-user-1"_s}}}});
    QCOMPARE(response.status, 200);
    QCOMPARE(m_fake.requestCount(), 1);
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.path, QByteArray("/v1/chat/completions"));
    QCOMPARE(sent.header("authorization"), QByteArray("Bearer sk-provider-secret"));
    const QJsonObject body = sent.json();
    QCOMPARE(body.value(u"model"_s).toString(), u"gpt-upstream"_s);
    QCOMPARE(body.value(u"max_tokens"_s).toInt(), 256);
    QCOMPARE(body.value(u"stop"_s).toArray(), QJsonArray{u"END"_s});
    QCOMPARE(body.value(u"temperature"_s).toDouble(), 0.5);
    QCOMPARE(body.value(u"top_p"_s).toDouble(), 0.9);
    QCOMPARE(body.value(u"user"_s).toString(), u"claude-user-1"_s);
    const QJsonArray chat = body.value(u"messages"_s).toArray();
    QCOMPARE(chat.size(), 2);
    QCOMPARE(chat.at(0).toObject(), (QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, u"You are terse."_s}}));
    const QJsonArray parts = chat.at(1).toObject().value(u"content"_s).toArray();
    QCOMPARE(parts.size(), 2);
    QCOMPARE(parts.at(0).toObject().value(u"text"_s).toString(), u"What is this?"_s);
    QCOMPARE(parts.at(1).toObject().value(u"image_url"_s).toObject().value(u"url"_s).toString(),
             u"data:image/png;base64,iVBORw0KGgo="_s);
    // The end user came from metadata.user_id.
    QCOMPARE(spendRow(response.header("x-litellm-call-id")).value(u"end_user"_s).toString(), u"claude-user-1"_s);
}

void TestAnthropic::openAIAnswerBecomesAMessageWithExactSpend()
{
    m_fake.setUsage(1000, 50);
    m_fake.setCachedTokens(800);
    const QByteArray key = generateKey({});
    QVERIFY(!key.isEmpty());
    const auto response = messages({{u"model"_s, u"gpt-fake"_s},
                                    {u"max_tokens"_s, 100},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}},
                                   key);
    QCOMPARE(response.status, 200);
    const QJsonObject message = response.json();
    QCOMPARE(message.value(u"content"_s).toArray().first().toObject().value(u"text"_s).toString(), m_fake.content());
    QCOMPARE(message.value(u"stop_reason"_s).toString(), u"end_turn"_s);
    const QJsonObject usage = message.value(u"usage"_s).toObject();
    QCOMPARE(usage.value(u"input_tokens"_s).toInteger(), 200);  // Anthropic's input excludes cache reads
    QCOMPARE(usage.value(u"cache_read_input_tokens"_s).toInteger(), 800);
    QCOMPARE(usage.value(u"output_tokens"_s).toInteger(), 50);

    const NanoUsd expected = usdToNanos(200 * InputPrice) + usdToNanos(800 * CacheReadPrice)
                             + usdToNanos(50 * OutputPrice);
    QCOMPARE(expected, NanoUsd(380'000));
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), expected);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expected);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 1000);
    QCOMPARE(row.value(u"cached_tokens"_s).toInteger(), 800);
    QCOMPARE(row.value(u"api_key"_s).toString(), QString::fromLatin1(
        QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex()));
    const double keySpend = m_gateway->get("/key/info", key).json().value(u"info"_s).toObject()
                                .value(u"spend"_s).toDouble();
    QCOMPARE(usdToNanos(keySpend), expected);
}

void TestAnthropic::openAIStreamBecomesAnthropicEvents()
{
    m_fake.setUsage(1000, 50);
    m_fake.setCachedTokens(800);
    m_fake.setStreamChunks(4, 5ms);
    const auto response = messages({{u"model"_s, u"gpt-fake"_s},
                                    {u"max_tokens"_s, 100},
                                    {u"stream"_s, true},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(response.status, 200);
    QVERIFY(m_fake.requests().first().json().value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool());
    const QList<StreamEvent> events = anthropicEvents(response.body);
    QByteArrayList names;
    for (const StreamEvent &e : events)
        names.append(e.name);
    // message_start, ping, one text block with its deltas, message_delta, message_stop.
    QCOMPARE(names.first(), QByteArray("message_start"));
    QCOMPARE(names.at(1), QByteArray("ping"));
    QCOMPARE(names.at(2), QByteArray("content_block_start"));
    QCOMPARE(names.count("content_block_start"), 1);
    QCOMPARE(names.count("content_block_stop"), 1);
    QCOMPARE(names.count("content_block_delta"), 4);
    QCOMPARE(names.mid(names.size() - 3),
             (QByteArrayList{"content_block_stop", "message_delta", "message_stop"}));
    QString text;
    for (const StreamEvent &e : events) {
        if (e.name == "content_block_delta") {
            QCOMPARE(e.data.value(u"delta"_s).toObject().value(u"type"_s).toString(), u"text_delta"_s);
            text += e.data.value(u"delta"_s).toObject().value(u"text"_s).toString();
        }
    }
    QCOMPARE(text, m_fake.content());
    const QJsonObject usage = events.at(events.size() - 2).data.value(u"usage"_s).toObject();
    QCOMPARE(usage.value(u"input_tokens"_s).toInteger(), 200);
    QCOMPARE(usage.value(u"cache_read_input_tokens"_s).toInteger(), 800);
    QCOMPARE(usage.value(u"output_tokens"_s).toInteger(), 50);
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), NanoUsd(380'000));
}

void TestAnthropic::brokenStreamEndsWithAnErrorEvent_data()
{
    QTest::addColumn<bool>("withErrorEvent");
    QTest::newRow("provider's error event") << true;
    QTest::newRow("connection reset") << false;
}

void TestAnthropic::brokenStreamEndsWithAnErrorEvent()
{
    QFETCH(bool, withErrorEvent);
    m_fake.setStreamChunks(5, 5ms);
    m_fake.setStreamBreak(2, withErrorEvent);
    const auto response = messages({{u"model"_s, u"gpt-fake"_s},
                                    {u"max_tokens"_s, 100},
                                    {u"stream"_s, true},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(response.status, 200);
    const QList<StreamEvent> events = anthropicEvents(response.body);
    QVERIFY(!events.isEmpty());
    // What was delivered, then Anthropic's error event (SDKs raise on it); no message_stop.
    QCOMPARE(events.last().name, QByteArray("error"));
    QCOMPARE(events.last().data.value(u"type"_s).toString(), u"error"_s);
    QCOMPARE(events.last().data.value(u"error"_s).toObject().value(u"type"_s).toString(), u"api_error"_s);
    int deltas = 0;
    for (const StreamEvent &e : events) {
        QVERIFY(e.name != "message_stop");
        deltas += e.name == "content_block_delta" ? 1 : 0;
    }
    QCOMPARE(deltas, 2);
    // Charged for what was delivered, as on the chat route.
    const QJsonObject row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row.value(u"status"_s).toString(), u"failure"_s);
    QVERIFY(row.value(u"spend"_s).toDouble() > 0);
}

void TestAnthropic::toolUseRoundTrip()
{
    const QJsonObject tool{{u"name"_s, u"get_weather"_s},
                           {u"description"_s, u"Weather of a city"_s},
                           {u"input_schema"_s, QJsonObject{{u"type"_s, u"object"_s},
                                                           {u"properties"_s, QJsonObject{{u"city"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}}}};
    m_fake.setToolCall(u"get_weather"_s, u"{\"city\":\"Paris\"}"_s);
    const auto first = messages({{u"model"_s, u"gpt-fake"_s},
                                 {u"max_tokens"_s, 100},
                                 {u"tools"_s, QJsonArray{tool}},
                                 {u"tool_choice"_s, QJsonObject{{u"type"_s, u"any"_s}, {u"disable_parallel_tool_use"_s, true}}},
                                 {u"messages"_s, QJsonArray{userText(u"Weather in Paris?"_s)}}});
    QCOMPARE(first.status, 200);
    const QJsonObject sentFirst = m_fake.requests().first().json();
    const QJsonObject function = sentFirst.value(u"tools"_s).toArray().first().toObject().value(u"function"_s).toObject();
    QCOMPARE(function.value(u"name"_s).toString(), u"get_weather"_s);
    QCOMPARE(function.value(u"description"_s).toString(), u"Weather of a city"_s);
    QCOMPARE(function.value(u"parameters"_s).toObject(), tool.value(u"input_schema"_s).toObject());
    QCOMPARE(sentFirst.value(u"tool_choice"_s).toString(), u"required"_s);
    QCOMPARE(sentFirst.value(u"parallel_tool_calls"_s).toBool(true), false);

    const QJsonObject message = first.json();
    QCOMPARE(message.value(u"stop_reason"_s).toString(), u"tool_use"_s);
    const QJsonArray content = message.value(u"content"_s).toArray();
    QCOMPARE(content.size(), 1);
    const QJsonObject toolUse = content.first().toObject();
    QCOMPARE(toolUse.value(u"type"_s).toString(), u"tool_use"_s);
    QCOMPARE(toolUse.value(u"id"_s).toString(), u"call_fake_1"_s);
    QCOMPARE(toolUse.value(u"name"_s).toString(), u"get_weather"_s);
    QCOMPARE(toolUse.value(u"input"_s).toObject(), (QJsonObject{{u"city"_s, u"Paris"_s}}));

    // The client runs the tool and sends its result back.
    m_fake.setToolCall({}, {});
    const QJsonObject toolResult{{u"type"_s, u"tool_result"_s},
                                 {u"tool_use_id"_s, u"call_fake_1"_s},
                                 {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"18 C, sunny"_s}}}}};
    const auto second = messages(
        {{u"model"_s, u"gpt-fake"_s},
         {u"max_tokens"_s, 100},
         {u"tools"_s, QJsonArray{tool}},
         {u"messages"_s,
          QJsonArray{userText(u"Weather in Paris?"_s),
                     QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, content}},
                     QJsonObject{{u"role"_s, u"user"_s},
                                 {u"content"_s, QJsonArray{toolResult, QJsonObject{{u"type"_s, u"text"_s},
                                                                                   {u"text"_s, u"Thanks"_s}}}}}}}});
    QCOMPARE(second.status, 200);
    QCOMPARE(second.json().value(u"stop_reason"_s).toString(), u"end_turn"_s);
    const QJsonArray chat = m_fake.requests().last().json().value(u"messages"_s).toArray();
    QCOMPARE(chat.size(), 4);
    const QJsonObject assistant = chat.at(1).toObject();
    QCOMPARE(assistant.value(u"role"_s).toString(), u"assistant"_s);
    const QJsonObject call = assistant.value(u"tool_calls"_s).toArray().first().toObject();
    QCOMPARE(call.value(u"id"_s).toString(), u"call_fake_1"_s);
    QCOMPARE(call.value(u"function"_s).toObject().value(u"name"_s).toString(), u"get_weather"_s);
    QCOMPARE(QJsonDocument::fromJson(call.value(u"function"_s).toObject().value(u"arguments"_s).toString().toUtf8()).object(),
             (QJsonObject{{u"city"_s, u"Paris"_s}}));
    // The tool result directly after the call, then the user's text.
    QCOMPARE(chat.at(2).toObject(), (QJsonObject{{u"role"_s, u"tool"_s},
                                                 {u"tool_call_id"_s, u"call_fake_1"_s},
                                                 {u"content"_s, u"18 C, sunny"_s}}));
    QCOMPARE(chat.at(3).toObject().value(u"role"_s).toString(), u"user"_s);
}

void TestAnthropic::streamedToolUse()
{
    m_fake.setToolCall(u"get_weather"_s, u"{\"city\":\"Paris\",\"unit\":\"C\"}"_s);
    m_fake.setStreamChunks(3, 5ms);
    const auto response = messages({{u"model"_s, u"gpt-fake"_s},
                                    {u"max_tokens"_s, 100},
                                    {u"stream"_s, true},
                                    {u"tools"_s, QJsonArray{QJsonObject{{u"name"_s, u"get_weather"_s},
                                                                        {u"input_schema"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}},
                                    {u"messages"_s, QJsonArray{userText(u"Weather?"_s)}}});
    QCOMPARE(response.status, 200);
    QString json;
    bool started = false;
    QString stopReason;
    for (const StreamEvent &e : anthropicEvents(response.body)) {
        if (e.name == "content_block_start") {
            const QJsonObject block = e.data.value(u"content_block"_s).toObject();
            QCOMPARE(block.value(u"type"_s).toString(), u"tool_use"_s);
            QCOMPARE(block.value(u"id"_s).toString(), u"call_fake_1"_s);
            QCOMPARE(block.value(u"name"_s).toString(), u"get_weather"_s);
            started = true;
        } else if (e.name == "content_block_delta") {
            QCOMPARE(e.data.value(u"delta"_s).toObject().value(u"type"_s).toString(), u"input_json_delta"_s);
            json += e.data.value(u"delta"_s).toObject().value(u"partial_json"_s).toString();
        } else if (e.name == "message_delta") {
            stopReason = e.data.value(u"delta"_s).toObject().value(u"stop_reason"_s).toString();
        }
    }
    QVERIFY(started);
    QCOMPARE(json, u"{\"city\":\"Paris\",\"unit\":\"C\"}"_s);
    QCOMPARE(stopReason, u"tool_use"_s);
}

void TestAnthropic::xApiKeyAndBetaQuery()
{
    const QByteArray key = generateKey({});
    const QJsonObject body{{u"model"_s, u"claude-sonnet-4-5"_s},
                           {u"max_tokens"_s, 10},
                           {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    // Claude Code calls /v1/messages?beta=true; the SDKs without /v1 work too.
    QCOMPARE(messages(body, key, "/v1/messages?beta=true").status, 200);
    QCOMPARE(messages(body, key, "/messages").status, 200);
    // ANTHROPIC_AUTH_TOKEN sends the key as a bearer token.
    HttpClient client(m_gateway->port());
    const auto bearer = client.post("/v1/messages", QJsonDocument(body).toJson(),
                                    {{"authorization", "Bearer " + key}, {"anthropic-version", Version}});
    QCOMPARE(bearer.status, 200);
    QCOMPARE(bearer.json().value(u"type"_s).toString(), u"message"_s);
}

void TestAnthropic::errorsUseAnthropicsEnvelope_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("type");
    const QJsonObject ok{{u"model"_s, u"claude-sonnet-4-5"_s},
                         {u"max_tokens"_s, 10},
                         {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    QJsonObject unknownModel = ok;
    unknownModel.insert(u"model"_s, u"no-such-model"_s);
    QJsonObject noMaxTokens = ok;
    noMaxTokens.remove(u"max_tokens"_s);
    QTest::newRow("no key") << QByteArray() << QByteArray("/v1/messages") << ok << 401 << u"authentication_error"_s;
    QTest::newRow("wrong key") << QByteArray("sk-wrong") << QByteArray("/v1/messages") << ok << 401
                               << u"authentication_error"_s;
    QTest::newRow("max_tokens missing") << QByteArray(GatewayFixture::MasterKey) << QByteArray("/v1/messages")
                                        << noMaxTokens << 400 << u"invalid_request_error"_s;
    QTest::newRow("unknown model") << QByteArray(GatewayFixture::MasterKey) << QByteArray("/v1/messages")
                                   << unknownModel << 400 << u"invalid_request_error"_s;
    QTest::newRow("unknown route") << QByteArray(GatewayFixture::MasterKey) << QByteArray("/v1/messages/batches")
                                   << ok << 404 << u"not_found_error"_s;
}

void TestAnthropic::errorsUseAnthropicsEnvelope()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, path);
    QFETCH(QJsonObject, body);
    QFETCH(int, status);
    QFETCH(QString, type);
    HttpClient client(m_gateway->port());
    RawHeaders headers{{"anthropic-version", Version}};
    if (!key.isEmpty())
        headers.append({"x-api-key", key});
    const auto response = client.post(path, QJsonDocument(body).toJson(), headers);
    QCOMPARE(response.status, status);
    const QJsonObject json = response.json();
    QCOMPARE(json.value(u"type"_s).toString(), u"error"_s);
    QCOMPARE(json.value(u"error"_s).toObject().value(u"type"_s).toString(), type);
    QVERIFY(!json.value(u"error"_s).toObject().value(u"message"_s).toString().isEmpty());
}

void TestAnthropic::untranslatableRequestIs400_data()
{
    QTest::addColumn<QJsonObject>("extra");
    QTest::addColumn<QString>("named");
    QTest::newRow("top_k") << QJsonObject{{u"top_k"_s, 5}} << u"top_k"_s;
    QTest::newRow("unknown field") << QJsonObject{{u"mcp_servers"_s, QJsonArray{}}} << u"mcp_servers"_s;
    QTest::newRow("server tool") << QJsonObject{{u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"web_search_20250305"_s},
                                                                                    {u"name"_s, u"web_search"_s}}}}}
                                 << u"web_search_20250305"_s;
    QTest::newRow("document block")
        << QJsonObject{{u"messages"_s,
                        QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"document"_s}}}}}}}}
        << u"document"_s;
}

void TestAnthropic::untranslatableRequestIs400()
{
    QFETCH(QJsonObject, extra);
    QFETCH(QString, named);
    QJsonObject body{{u"model"_s, u"gpt-fake"_s}, {u"max_tokens"_s, 10}, {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body.insert(it.key(), it.value());
    const auto response = messages(body);
    QCOMPARE(response.status, 400);
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"invalid_request_error"_s);
    QVERIFY2(error.value(u"message"_s).toString().contains(named), qPrintable(error.value(u"message"_s).toString()));
    QCOMPARE(m_fake.requestCount(), 0);
}

void TestAnthropic::thinkingIsNotSentAndSaysSo()
{
    // Claude Code asks Claude models for extended thinking (and context_management with it):
    // a chat model answers without them, and the answer says what was not sent.
    const QJsonObject body{{u"model"_s, u"gpt-fake"_s},
                           {u"max_tokens"_s, 2000},
                           {u"thinking"_s, QJsonObject{{u"type"_s, u"enabled"_s}, {u"budget_tokens"_s, 1024}}},
                           {u"context_management"_s, QJsonObject{{u"edits"_s, QJsonArray{}}}},
                           {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    const auto response = messages(body);
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("x-tollgate-not-translated"), QByteArray("thinking, context_management"));
    const QJsonObject sent = m_fake.requests().first().json();
    QVERIFY(!sent.contains(u"thinking"_s));
    QVERIFY(!sent.contains(u"context_management"_s));

    QJsonObject streamed = body;
    streamed.insert(u"stream"_s, true);
    const auto stream = messages(streamed);
    QCOMPARE(stream.status, 200);
    QCOMPARE(stream.header("x-tollgate-not-translated"), QByteArray("thinking, context_management"));
    // Thinking switched off is simply that.
    streamed.insert(u"thinking"_s, QJsonObject{{u"type"_s, u"disabled"_s}});
    streamed.remove(u"context_management"_s);
    QVERIFY(!messages(streamed).hasHeader("x-tollgate-not-translated"));
}

void TestAnthropic::budgetRefusalIs429WithItsBudget()
{
    const QByteArray key = generateKey({{u"max_budget"_s, 0.0}, {u"budget_duration"_s, u"30d"_s}});
    QVERIFY(!key.isEmpty());
    const auto response = messages({{u"model"_s, u"claude-sonnet-4-5"_s},
                                    {u"max_tokens"_s, 10},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}},
                                   key);
    QCOMPARE(response.status, 429);
    const QJsonObject json = response.json();
    QCOMPARE(json.value(u"type"_s).toString(), u"error"_s);
    QCOMPARE(json.value(u"error"_s).toObject().value(u"type"_s).toString(), u"rate_limit_error"_s);
    const QString message = json.value(u"error"_s).toObject().value(u"message"_s).toString();
    QVERIFY2(message.contains(u"budget"_s, Qt::CaseInsensitive), qPrintable(message));
    QVERIFY2(message.contains(u"key"_s, Qt::CaseInsensitive), qPrintable(message));
    // A budget with a period says when it resets.
    QVERIFY(response.header("retry-after").toLongLong() >= 1);
}

void TestAnthropic::rateLimitRefusalKeepsRetryAfter()
{
    const QByteArray key = generateKey({{u"rpm_limit"_s, 1}});
    const QJsonObject body{{u"model"_s, u"claude-sonnet-4-5"_s},
                           {u"max_tokens"_s, 10},
                           {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    QCOMPARE(messages(body, key).status, 200);
    const auto refused = messages(body, key);
    QCOMPARE(refused.status, 429);
    QCOMPARE(refused.json().value(u"error"_s).toObject().value(u"type"_s).toString(), u"rate_limit_error"_s);
    QVERIFY(refused.json().value(u"error"_s).toObject().value(u"message"_s).toString().contains(u"Limit type: requests"_s));
    const int retryAfter = refused.header("retry-after").toInt();
    QVERIFY2(retryAfter >= 1 && retryAfter <= 60, refused.header("retry-after").constData());
}

void TestAnthropic::providerErrorBecomesAnthropicError()
{
    m_fake.setErrorResponse(503, "{\"error\":{\"message\":\"The engine is overloaded\",\"type\":\"server_error\"}}");
    const auto response = messages({{u"model"_s, u"gpt-fake"_s},
                                    {u"max_tokens"_s, 10},
                                    {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}});
    QCOMPARE(response.status, 503);
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    QCOMPARE(response.json().value(u"type"_s).toString(), u"error"_s);
    QCOMPARE(error.value(u"type"_s).toString(), u"overloaded_error"_s);
    QCOMPARE(error.value(u"message"_s).toString(), u"The engine is overloaded"_s);
}

void TestAnthropic::countTokensUsesTheTokenizer()
{
    const QJsonObject body{{u"model"_s, u"gpt-fake"_s},
                           {u"system"_s, u"You are terse."_s},
                           {u"messages"_s, QJsonArray{userText(u"How many tokens is this sentence?"_s)}}};
    HttpClient client(m_gateway->port());
    const auto response = client.post("/v1/messages/count_tokens?beta=true", QJsonDocument(body).toJson(),
                                      {{"x-api-key", GatewayFixture::MasterKey}, {"anthropic-version", Version}});
    QCOMPARE(response.status, 200);
    const QJsonObject chat{{u"model"_s, u"gpt-fake"_s},
                           {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, u"You are terse."_s}},
                                                      userText(u"How many tokens is this sentence?"_s)}}};
    const qint64 expected = countRequestPromptTokens(chat, u"gpt-upstream"_s);
    QVERIFY(expected > 0);
    QCOMPARE(response.json(), (QJsonObject{{u"input_tokens"_s, expected}}));
    QCOMPARE(m_fake.requestCount(), 0);  // counted here, not by the provider
}

// count_tokens is free and unmetered: a 20 MB body was counted here, 6 s during which every other
// call waited. A large one is counted on a thread of its own now.
void TestAnthropic::aLargeCountIsMadeWhileOtherCallsGoOn()
{
    // Letters without a space: one long piece, slow to count (~0.5 s a 500 kB on a debug build).
    QString letters(1'500'000, Qt::Uninitialized);
    for (qsizetype i = 0; i < letters.size(); ++i)
        letters[i] = QChar(char16_t(u'a' + (i * 7919) % 26));
    const QJsonObject body{{u"model"_s, u"gpt-fake"_s}, {u"messages"_s, QJsonArray{userText(letters)}}};
    const QList<QPair<QByteArray, QByteArray>> headers{{"x-api-key", GatewayFixture::MasterKey},
                                                       {"anthropic-version", Version}};
    AsyncCall counted(m_gateway->port(), QJsonDocument(body).toJson(QJsonDocument::Compact), headers,
                      "/v1/messages/count_tokens");
    QTest::qWait(50);
    const QJsonObject hello{{u"model"_s, u"gpt-fake"_s}, {u"max_tokens"_s, 10},
                            {u"messages"_s, QJsonArray{userText(u"Hi"_s)}}};
    AsyncCall small(m_gateway->port(), QJsonDocument(hello).toJson(QJsonDocument::Compact), headers, "/v1/messages");
    QTRY_VERIFY_WITH_TIMEOUT(small.done(), 10000);
    QCOMPARE(small.status(), 200);
    QVERIFY2(!counted.done(), "the count was made before the small call was answered");
    QTRY_VERIFY_WITH_TIMEOUT(counted.done(), 60000);
    QCOMPARE(counted.status(), 200);
    const QJsonObject chat{{u"model"_s, u"gpt-fake"_s}, {u"messages"_s, QJsonArray{userText(letters)}}};
    QCOMPARE(QJsonDocument::fromJson(counted.body()).object().value(u"input_tokens"_s).toInteger(),
             countRequestPromptTokens(chat, u"gpt-upstream"_s));

    // A model the caller may not use is refused before anything is counted.
    const QJsonObject unknown{{u"model"_s, u"no-such-model"_s}, {u"messages"_s, QJsonArray{userText(letters)}}};
    HttpClient client(m_gateway->port());
    const auto refused = client.post("/v1/messages/count_tokens", QJsonDocument(unknown).toJson(QJsonDocument::Compact),
                                      {{"x-api-key", GatewayFixture::MasterKey}, {"anthropic-version", Version}});
    QCOMPARE(refused.status, 400);
}

void TestAnthropic::modelsListInAnthropicsShape()
{
    HttpClient client(m_gateway->port());
    const auto response = client.get("/v1/models", {{"x-api-key", GatewayFixture::MasterKey},
                                                    {"anthropic-version", Version}});
    QCOMPARE(response.status, 200);
    const QJsonObject list = response.json();
    QCOMPARE(list.value(u"has_more"_s).toBool(true), false);
    const QJsonArray data = list.value(u"data"_s).toArray();
    QVERIFY(data.size() >= 2);
    QStringList ids;
    for (const QJsonValue &value : data) {
        const QJsonObject model = value.toObject();
        QCOMPARE(model.value(u"type"_s).toString(), u"model"_s);
        QCOMPARE(model.value(u"display_name"_s).toString(), model.value(u"id"_s).toString());
        QVERIFY(QDateTime::fromString(model.value(u"created_at"_s).toString(), Qt::ISODate).isValid());
        ids.append(model.value(u"id"_s).toString());
    }
    QVERIFY(ids.contains(u"claude-sonnet-4-5"_s));
    QVERIFY(ids.contains(u"gpt-fake"_s));
    QCOMPARE(list.value(u"first_id"_s).toString(), ids.first());
    QCOMPARE(list.value(u"last_id"_s).toString(), ids.last());

    // Without anthropic-version: OpenAI's list, as before.
    const auto openai = client.get("/v1/models", {{"authorization", QByteArray("Bearer ") + GatewayFixture::MasterKey}});
    QCOMPARE(openai.json().value(u"object"_s).toString(), u"list"_s);
    // A wrong key on Claude Code's discovery call: Anthropic's 401.
    const auto denied = client.get("/v1/models", {{"x-api-key", "sk-nope"}, {"anthropic-version", Version}});
    QCOMPARE(denied.status, 401);
    QCOMPARE(denied.json().value(u"error"_s).toObject().value(u"type"_s).toString(), u"authentication_error"_s);
}

QTEST_GUILESS_MAIN(TestAnthropic)
#include "tst_anthropic.moc"
