// Server-side (hosted) tools over real loopback HTTP: Anthropic's web search on /v1/messages,
// the Responses API's web_search / file_search, chat completions' web_search_options. The
// provider runs them, adds their results to the input and bills each use: every use is billed
// at its fee (reserve mode), and strict budgets refuse such a request before the call, naming
// the field, in the dialect's error shape; function and custom tools pass either way.
#include "models/money.h"
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// USD per token, whole nano-dollars so that the spend is exact.
constexpr double InputPrice = 0.000001;   // 1000 nano
constexpr double OutputPrice = 0.000002;  // 2000 nano
constexpr NanoUsd InputNanos = 1000;
constexpr NanoUsd OutputNanos = 2000;
// The fees without a config price: $10 per 1,000 web searches, $2.50 per 1,000 file searches.
constexpr NanoUsd WebSearchNanos = 10'000'000;
constexpr NanoUsd FileSearchNanos = 2'500'000;
// $0.03 per code interpreter container, $0.25 per image of the image generation tool.
constexpr NanoUsd ContainerNanos = 30'000'000;
constexpr NanoUsd ImageNanos = 250'000'000;

Deployment deployment(const QString &group, Provider provider, const FakeProvider &fake)
{
    Deployment d;
    d.modelName = group;
    d.id = group + u"-1"_s;
    d.provider = provider;
    d.providerName = provider == Provider::Anthropic ? u"anthropic"_s : u"openai"_s;
    d.upstreamModel = provider == Provider::Anthropic ? u"claude-sonnet-4-5"_s : u"gpt-upstream"_s;
    d.apiBase = QString::fromLatin1(fake.baseUrl()) + (provider == Provider::Anthropic ? u""_s : u"/v1"_s);
    d.apiKey = u"sk-upstream"_s;
    d.inputCostPerToken = InputPrice;
    d.outputCostPerToken = OutputPrice;
    d.timeoutSeconds = 30;
    return d;
}

Config configFor(BudgetEnforcement mode, const FakeProvider &fake)
{
    Config config = GatewayFixture::defaultConfig();
    config.general.budgetEnforcement = mode;
    config.models.append(deployment(u"claude"_s, Provider::Anthropic, fake));
    config.models.append(deployment(u"gpt"_s, Provider::OpenAI, fake));
    // A configured search fee: $25 per 1,000 (LiteLLM's search_context_cost_per_query).
    Deployment priced = deployment(u"gpt-priced"_s, Provider::OpenAI, fake);
    priced.webSearchCostPerQuery = 0.025;
    priced.fileSearchCostPer1kCalls = 5.0;
    priced.codeInterpreterCostPerSession = 0.12;
    priced.imageGenerationCostPerCall = 0.04;
    config.models.append(priced);
    return config;
}

const QJsonArray WebSearchTool{QJsonObject{{u"type"_s, u"web_search_20250305"_s}, {u"name"_s, u"web_search"_s},
                                           {u"max_uses"_s, 10}}};
const QJsonArray CustomTool{QJsonObject{
    {u"name"_s, u"lookup"_s},
    {u"description"_s, u"Looks a word up"_s},
    {u"input_schema"_s, QJsonObject{{u"type"_s, u"object"_s},
                                    {u"properties"_s, QJsonObject{{u"word"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}}}}};
const QJsonArray FunctionTool{QJsonObject{{u"type"_s, u"function"_s},
                                          {u"name"_s, u"lookup"_s},
                                          {u"parameters"_s, QJsonObject{{u"type"_s, u"object"_s}}}}};

} // namespace

class TestHostedTools : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void anthropicWebSearchesAreBilled_data();
    void anthropicWebSearchesAreBilled();
    void responsesToolCallsAreBilled_data();
    void responsesToolCallsAreBilled();
    void codeInterpreterAndImagesAreBilled_data();
    void codeInterpreterAndImagesAreBilled();
    void configuredFeesArePaid();
    void reserveModeHoldsTheFeesOfDeclaredTools();
    void chatWebSearchOptionsBillOneSearch();
    void strictRefusesHostedTools_data();
    void strictRefusesHostedTools();
    void strictAdmitsClientTools_data();
    void strictAdmitsClientTools();

private:
    HttpClient::Response post(GatewayFixture &gateway, const QByteArray &path, const QJsonObject &body);
    QJsonObject spendRow(GatewayFixture &gateway, const QByteArray &callId);

    FakeProvider m_fake;
    std::unique_ptr<GatewayFixture> m_reserve;
    std::unique_ptr<GatewayFixture> m_strict;
};

void TestHostedTools::initTestCase()
{
    QVERIFY(m_fake.start() != 0);
    m_reserve = std::make_unique<GatewayFixture>(configFor(BudgetEnforcement::Reserve, m_fake));
    QVERIFY2(m_reserve->start(), qPrintable(m_reserve->lastError()));
    m_strict = std::make_unique<GatewayFixture>(configFor(BudgetEnforcement::Strict, m_fake));
    QVERIFY2(m_strict->start(), qPrintable(m_strict->lastError()));
}

void TestHostedTools::init()
{
    m_fake.reset();
    m_fake.setStreamChunks(3, 1ms);
}

void TestHostedTools::cleanupTestCase()
{
    m_reserve.reset();
    m_strict.reset();
}

HttpClient::Response TestHostedTools::post(GatewayFixture &gateway, const QByteArray &path, const QJsonObject &body)
{
    HttpClient client(gateway.port());
    RawHeaders headers{{"Authorization", QByteArray("Bearer ") + GatewayFixture::MasterKey}};
    if (path == "/v1/messages")
        headers.append(qMakePair(QByteArray("anthropic-version"), QByteArray("2023-06-01")));
    return client.post(path, QJsonDocument(body).toJson(QJsonDocument::Compact), headers);
}

QJsonObject TestHostedTools::spendRow(GatewayFixture &gateway, const QByteArray &callId)
{
    // The row is written before the answer's end reaches the client; give the store a moment.
    for (int attempt = 0; attempt < 50; ++attempt) {
        const QJsonArray rows = QJsonDocument::fromJson(gateway.get("/spend/logs?request_id=" + callId).body).array();
        if (!rows.isEmpty())
            return rows.first().toObject();
        QTest::qWait(20);
    }
    return {};
}

void TestHostedTools::anthropicWebSearchesAreBilled_data()
{
    QTest::addColumn<bool>("stream");
    QTest::newRow("whole answer") << false;
    QTest::newRow("streamed") << true;
}

void TestHostedTools::anthropicWebSearchesAreBilled()
{
    QFETCH(bool, stream);
    // The search results come back as input tokens (the usage counts them), each search at its fee.
    m_fake.setUsage(5000, 20);
    m_fake.setServerToolUse(3, 0);
    const auto response = post(*m_reserve, "/v1/messages",
                               {{u"model"_s, u"claude"_s}, {u"max_tokens"_s, 100}, {u"stream"_s, stream},
                                {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Search"_s}}}},
                                {u"tools"_s, WebSearchTool}});
    QCOMPARE(response.status, 200);
    QCOMPARE(m_fake.requests().constFirst().json().value(u"tools"_s).toArray(), WebSearchTool);
    const NanoUsd expected = 5000 * InputNanos + 20 * OutputNanos + 3 * WebSearchNanos;
    const QJsonObject row = spendRow(*m_reserve, response.header("x-litellm-call-id"));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expected);
    QCOMPARE(row.value(u"prompt_tokens"_s).toInteger(), 5000);
    if (!stream)
        QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), expected);
}

void TestHostedTools::responsesToolCallsAreBilled_data()
{
    QTest::addColumn<bool>("stream");
    QTest::newRow("whole answer") << false;
    QTest::newRow("streamed") << true;
}

void TestHostedTools::responsesToolCallsAreBilled()
{
    QFETCH(bool, stream);
    m_fake.setUsage(4000, 30);
    m_fake.setServerToolUse(2, 4);
    const QJsonArray tools{QJsonObject{{u"type"_s, u"web_search"_s}},
                           QJsonObject{{u"type"_s, u"file_search"_s}, {u"vector_store_ids"_s, QJsonArray{u"vs_1"_s}}}};
    const auto response = post(*m_reserve, "/v1/responses",
                               {{u"model"_s, u"gpt"_s}, {u"input"_s, u"Search the web and my files"_s},
                                {u"stream"_s, stream}, {u"tools"_s, tools}});
    QCOMPARE(response.status, 200);
    const NanoUsd expected = 4000 * InputNanos + 30 * OutputNanos + 2 * WebSearchNanos + 4 * FileSearchNanos;
    const QJsonObject row = spendRow(*m_reserve, response.header("x-litellm-call-id"));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expected);
    if (!stream)
        QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), expected);
}

void TestHostedTools::codeInterpreterAndImagesAreBilled_data()
{
    QTest::addColumn<bool>("stream");
    QTest::newRow("whole answer") << false;
    QTest::newRow("streamed") << true;
}

// OpenAI bills a container per code interpreter session and each image its tool makes; the
// answer's usage counts neither. Five code runs in two containers are two sessions.
void TestHostedTools::codeInterpreterAndImagesAreBilled()
{
    QFETCH(bool, stream);
    m_fake.setUsage(2000, 50);
    m_fake.setResponsesToolItems(5, 2, 3);
    const QJsonArray tools{QJsonObject{{u"type"_s, u"code_interpreter"_s},
                                       {u"container"_s, QJsonObject{{u"type"_s, u"auto"_s}}}},
                           QJsonObject{{u"type"_s, u"image_generation"_s}}};
    const auto response = post(*m_reserve, "/v1/responses",
                               {{u"model"_s, u"gpt"_s}, {u"input"_s, u"Plot it and draw it"_s},
                                {u"stream"_s, stream}, {u"tools"_s, tools}});
    QCOMPARE(response.status, 200);
    const NanoUsd expected = 2000 * InputNanos + 50 * OutputNanos + 2 * ContainerNanos + 3 * ImageNanos;
    const QJsonObject row = spendRow(*m_reserve, response.header("x-litellm-call-id"));
    QCOMPARE(usdToNanos(row.value(u"spend"_s).toDouble()), expected);
    if (!stream)
        QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), expected);
    // /model/info shows the fees it bills.
    const QJsonArray models = m_reserve->get("/model/info").json().value(u"data"_s).toArray();
    const auto info = [&models](const QString &name) {
        for (const QJsonValue model : models) {
            if (model.toObject().value(u"model_name"_s).toString() == name)
                return model.toObject().value(u"model_info"_s).toObject();
        }
        return QJsonObject();
    };
    QCOMPARE(info(u"gpt"_s).value(u"code_interpreter_cost_per_session"_s).toDouble(), 0.03);
    QCOMPARE(info(u"gpt"_s).value(u"image_generation_cost_per_call"_s).toDouble(), 0.25);
    QCOMPARE(info(u"gpt-priced"_s).value(u"image_generation_cost_per_call"_s).toDouble(), 0.04);
}

void TestHostedTools::configuredFeesArePaid()
{
    m_fake.setUsage(100, 10);
    m_fake.setServerToolUse(2, 1);
    const auto response = post(*m_reserve, "/v1/responses",
                               {{u"model"_s, u"gpt-priced"_s}, {u"input"_s, u"Search"_s},
                                {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"web_search_preview"_s}},
                                                        QJsonObject{{u"type"_s, u"file_search"_s}}}}});
    QCOMPARE(response.status, 200);
    // $0.025 a search, $5 per 1,000 file searches.
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()),
             100 * InputNanos + 10 * OutputNanos + 2 * 25'000'000 + 5'000'000);

    // $0.12 a container, $0.04 an image.
    m_fake.setServerToolUse(0, 0);
    m_fake.setResponsesToolItems(1, 1, 2);
    const auto drawn = post(*m_reserve, "/v1/responses",
                            {{u"model"_s, u"gpt-priced"_s}, {u"input"_s, u"Draw"_s},
                             {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"code_interpreter"_s}},
                                                     QJsonObject{{u"type"_s, u"image_generation"_s}}}}});
    QCOMPARE(drawn.status, 200);
    QCOMPARE(usdToNanos(drawn.header("x-litellm-response-cost").toDouble()),
             100 * InputNanos + 10 * OutputNanos + 120'000'000 + 2 * 40'000'000);
}

// Reserve mode held only a call's tokens, so parallel calls that each make an image ($0.25)
// spent a budget several times over: each now holds one use of every tool it declares.
void TestHostedTools::reserveModeHoldsTheFeesOfDeclaredTools()
{
    m_fake.setUsage(100, 10);
    m_fake.setResponsesToolItems(0, 1, 1);
    const NanoUsd oneCall = 100 * InputNanos + 10 * OutputNanos + ImageNanos;
    const double max = 0.6;   // two images and a bit
    const auto generated = m_reserve->post("/key/generate", QJsonObject{{u"max_budget"_s, max}});
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QByteArray request = QJsonDocument(QJsonObject{{u"model"_s, u"gpt"_s}, {u"input"_s, u"Draw a tollgate"_s},
                                                         {u"max_output_tokens"_s, 10},
                                                         {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"image_generation"_s}}}}})
                                   .toJson(QJsonDocument::Compact);
    m_fake.setLatency(300ms);
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 8; ++i)
        calls.push_back(std::make_unique<AsyncCall>(m_reserve->port(), request,
                                                    QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + key}},
                                                    QByteArrayLiteral("/v1/responses")));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 20000);
    m_fake.setLatency(0ms);
    const int served = int(std::count_if(calls.begin(), calls.end(), [](const auto &c) { return c->status() == 200; }));
    const double spent = m_reserve->get("/key/info", key).json().value(u"info"_s).toObject().value(u"spend"_s).toDouble(-1);
    qInfo("8 parallel image calls on a $0.6 budget: %d served, spend $%.4f", served, spent);
    QCOMPARE(usdToNanos(spent), served * oneCall);
    // Reserve mode admits while spend and holds are under the max (at most one call over): the
    // third call goes ($0.50 held < $0.60), the fourth does not. Holding tokens only, all 8 went.
    QCOMPARE(served, 3);
    QVERIFY(usdToNanos(spent) <= usdToNanos(max) + oneCall);
}

void TestHostedTools::chatWebSearchOptionsBillOneSearch()
{
    m_fake.setUsage(300, 40);
    const auto response = post(*m_reserve, "/v1/chat/completions",
                               {{u"model"_s, u"gpt"_s},
                                {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"News?"_s}}}},
                                {u"web_search_options"_s, QJsonObject{}}});
    QCOMPARE(response.status, 200);
    QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()),
             300 * InputNanos + 40 * OutputNanos + WebSearchNanos);
}

void TestHostedTools::strictRefusesHostedTools_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<QString>("param");
    const QJsonArray messages{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Search"_s}}};
    QTest::newRow("messages web_search")
        << QByteArray("/v1/messages")
        << QJsonObject{{u"model"_s, u"claude"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"tools"_s, CustomTool + WebSearchTool.first()}}
        << u"tools"_s;
    QTest::newRow("messages mcp_servers")
        << QByteArray("/v1/messages")
        << QJsonObject{{u"model"_s, u"claude"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"mcp_servers"_s, QJsonArray{QJsonObject{{u"type"_s, u"url"_s}, {u"url"_s, u"https://mcp.example"_s},
                                                                 {u"name"_s, u"x"_s}}}}}
        << u"mcp_servers"_s;
    for (const QString &type : {u"web_search"_s, u"web_search_preview"_s, u"file_search"_s, u"code_interpreter"_s,
                                u"image_generation"_s, u"mcp"_s}) {
        QTest::addRow("responses %s", qPrintable(type))
            << QByteArray("/v1/responses")
            << QJsonObject{{u"model"_s, u"gpt"_s}, {u"input"_s, u"Search"_s}, {u"max_output_tokens"_s, 100},
                           {u"tools"_s, FunctionTool + QJsonObject{{u"type"_s, type}}}}
            << u"tools"_s;
    }
    // Context the provider keeps and bills as input, named by an id.
    QTest::newRow("responses item_reference")
        << QByteArray("/v1/responses")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_output_tokens"_s, 100},
                       {u"input"_s, QJsonArray{QJsonObject{{u"type"_s, u"item_reference"_s}, {u"id"_s, u"msg_0123"_s}},
                                               QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"go on"_s}}}}}
        << u"input"_s;
    // The reference's type is optional (and nullable): {"id": …} alone is one, and so is one with
    // an empty type or role, or the type in another case or with spaces.
    const QList<QJsonObject> references{
        {{u"id"_s, u"msg_0123"_s}},
        {{u"id"_s, u"msg_0123"_s}, {u"type"_s, QJsonValue::Null}},
        {{u"id"_s, u"msg_0123"_s}, {u"type"_s, u""_s}},
        {{u"id"_s, u"msg_0123"_s}, {u"role"_s, QJsonValue::Null}},
        {{u"id"_s, u"msg_0123"_s}, {u"role"_s, u""_s}},
        {{u"id"_s, u"msg_0123"_s}, {u"type"_s, u"ITEM_REFERENCE"_s}},
        {{u"id"_s, u"msg_0123"_s}, {u"type"_s, u"item_reference "_s}}};
    for (const QJsonObject &reference : references) {
        QTest::addRow("responses item reference %s", QJsonDocument(reference).toJson(QJsonDocument::Compact).constData())
            << QByteArray("/v1/responses")
            << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_output_tokens"_s, 100},
                           {u"input"_s, QJsonArray{reference, QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"go on"_s}}}}}
            << u"input"_s;
    }
    QTest::newRow("responses prompt template")
        << QByteArray("/v1/responses")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_output_tokens"_s, 100}, {u"input"_s, u"hi"_s},
                       {u"prompt"_s, QJsonObject{{u"id"_s, u"pmpt_0123"_s}, {u"version"_s, u"3"_s}}}}
        << u"prompt"_s;
    QTest::newRow("chat web_search_options")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"web_search_options"_s, QJsonObject{}}}
        << u"web_search_options"_s;
    // An earlier spoken answer by its audio id: the provider puts the audio back into the prompt
    // (30 references took a $0.10 budget to $1.20).
    QTest::newRow("chat assistant audio id")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100},
                       {u"messages"_s, QJsonArray{messages.first(),
                                                  QJsonObject{{u"role"_s, u"assistant"_s},
                                                              {u"audio"_s, QJsonObject{{u"id"_s, u"audio_0123"_s}}}},
                                                  QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Again"_s}}}}}
        << u"messages"_s;
    // Gemini's cached content: a million cached tokens named by an id ($0.05 budget, $0.25 spent).
    QTest::newRow("chat cached_content")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"cached_content"_s, u"cachedContents/abc"_s}}
        << u"cached_content"_s;
    QTest::newRow("chat extra_body google cached_content")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"extra_body"_s, QJsonObject{{u"google"_s, QJsonObject{{u"cached_content"_s, u"cachedContents/abc"_s}}}}}}
        << u"extra_body"_s;
    // Azure's On Your Data: the documents it finds are billed as prompt ($0.01 budget, $0.05 spent).
    QTest::newRow("chat azure data_sources")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"data_sources"_s, QJsonArray{QJsonObject{{u"type"_s, u"azure_search"_s}}}}}
        << u"data_sources"_s;
    // OpenRouter: fallback models, provider preferences, plugins (a paid web search).
    QTest::newRow("chat openrouter models")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"models"_s, QJsonArray{u"openai/o1-pro"_s}}}
        << u"models"_s;
    QTest::newRow("completions openrouter provider")
        << QByteArray("/v1/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"prompt"_s, u"Hi"_s},
                       {u"provider"_s, QJsonObject{{u"order"_s, QJsonArray{u"any"_s}}}}}
        << u"provider"_s;
    QTest::newRow("responses openrouter plugins")
        << QByteArray("/v1/responses")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_output_tokens"_s, 100}, {u"input"_s, u"Hi"_s},
                       {u"plugins"_s, QJsonArray{QJsonObject{{u"id"_s, u"web"_s}}}}}
        << u"plugins"_s;
}

void TestHostedTools::strictRefusesHostedTools()
{
    QFETCH(QByteArray, path);
    QFETCH(QJsonObject, body);
    QFETCH(QString, param);
    const auto response = post(*m_strict, path, body);
    QCOMPARE(response.status, 400);
    QCOMPARE(m_fake.requestCount(), 0);
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    const QString message = error.value(u"message"_s).toString();
    QVERIFY2(message.contains(param) && message.contains(u"cannot be bounded"_s), qPrintable(message));
    if (path == "/v1/messages") {
        // Anthropic's envelope.
        QCOMPARE(response.json().value(u"type"_s).toString(), u"error"_s);
        QCOMPARE(error.value(u"type"_s).toString(), u"invalid_request_error"_s);
    } else {
        QCOMPARE(error.value(u"param"_s).toString(), param);
        QCOMPARE(error.value(u"type"_s).toString(), u"bad_request_error"_s);
    }
}

void TestHostedTools::strictAdmitsClientTools_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QJsonObject>("body");
    const QJsonArray messages{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Look it up"_s}}};
    QTest::newRow("messages custom tool")
        << QByteArray("/v1/messages")
        << QJsonObject{{u"model"_s, u"claude"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"tools"_s, CustomTool}};
    QJsonObject typedCustom = CustomTool.first().toObject();
    typedCustom.insert(u"type"_s, u"custom"_s);
    QTest::newRow("messages custom tool with its type")
        << QByteArray("/v1/messages")
        << QJsonObject{{u"model"_s, u"claude"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"tools"_s, QJsonArray{typedCustom,
                                               QJsonObject{{u"type"_s, u"bash_20250124"_s}, {u"name"_s, u"bash"_s}}}}};
    QTest::newRow("responses function tool")
        << QByteArray("/v1/responses")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"input"_s, u"Look it up"_s}, {u"max_output_tokens"_s, 100},
                       {u"tools"_s, FunctionTool}};
    QTest::newRow("chat function tool")
        << QByteArray("/v1/chat/completions")
        << QJsonObject{{u"model"_s, u"gpt"_s}, {u"max_tokens"_s, 100}, {u"messages"_s, messages},
                       {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"function"_s},
                                                           {u"function"_s, QJsonObject{{u"name"_s, u"lookup"_s}}}}}}};
}

void TestHostedTools::strictAdmitsClientTools()
{
    QFETCH(QByteArray, path);
    QFETCH(QJsonObject, body);
    const auto response = post(*m_strict, path, body);
    QVERIFY2(response.status == 200, response.body.constData());
    QCOMPARE(m_fake.requestCount(), 1);
}

QTEST_GUILESS_MAIN(TestHostedTools)
#include "tst_hosted_tools.moc"
