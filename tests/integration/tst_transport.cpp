// The gateway's HTTP edge over real loopback HTTP: routing errors, request validation, the
// Host guard, authentication and the OpenAI routes' answers. Size limits, keep-alive, idle
// timeout, pipelining, garbage and shutdown are in tst_transport_limits.cpp.
#include "tests/integration/transporttestsupport.h"

using namespace TransportTestSupport;

class TransportTest : public QObject, protected TransportFixture
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    // 2. routing errors
    void unknownRouteAnswers404Envelope_data();
    void unknownRouteAnswers404Envelope();
    void wrongMethodAnswers405WithAllow_data();
    void wrongMethodAnswers405WithAllow();
    // 3. request validation
    void badCompletionRequestsAnswer400_data();
    void badCompletionRequestsAnswer400();
    // 7. Host guard
    void hostHeaderGuardsAgainstDnsRebinding_data();
    void hostHeaderGuardsAgainstDnsRebinding();
    // 8. authentication
    void apiKeyIsRequiredAndChecked_data();
    void apiKeyIsRequiredAndChecked();
    void healthProbesAndAuth_data();
    void healthProbesAndAuth();
    // 9. OpenAI routes
    void modelListShowsModelGroups_data();
    void modelListShowsModelGroups();
    void modelInfoNeverContainsApiKeys_data();
    void modelInfoNeverContainsApiKeys();
    void mockChatCompletionCarriesGatewayHeaders();
    void streamedMockCompletionIsChunkedSse();
};

void TransportTest::initTestCase()
{
    startFixture();
}

void TransportTest::cleanupTestCase()
{
    stopFixture();
}

// ---------------------------------------------------------------------------------------
// 2. Routing errors

void TransportTest::unknownRouteAnswers404Envelope_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("GET /v1/nope") << QByteArrayLiteral("GET") << QByteArrayLiteral("/v1/nope");
    QTest::newRow("GET /nope") << QByteArrayLiteral("GET") << QByteArrayLiteral("/nope");
    QTest::newRow("POST /v1/chat/complete") << QByteArrayLiteral("POST") << QByteArrayLiteral("/v1/chat/complete");
    QTest::newRow("GET /v2/models") << QByteArrayLiteral("GET") << QByteArrayLiteral("/v2/models");
    QTest::newRow("GET /") << QByteArrayLiteral("GET") << QByteArrayLiteral("/");
}

void TransportTest::unknownRouteAnswers404Envelope()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    HttpClient client(m_openPort);
    const Response response = client.request(method, path, {}, method == "POST" ? QByteArrayLiteral("{}") : QByteArray());
    const QString problem = envelopeProblem(response, 404, u"not_found_error"_s, QJsonValue(QJsonValue::Null));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // Exactly {"error":{"message":…,"type":"not_found_error","param":null,"code":"404"}}.
    const QJsonObject expected{{u"error"_s, QJsonObject{{u"message"_s, errorOf(response).value(u"message"_s)},
                                                        {u"type"_s, u"not_found_error"_s},
                                                        {u"param"_s, QJsonValue(QJsonValue::Null)},
                                                        {u"code"_s, u"404"_s}}}};
    QCOMPARE(response.json(), expected);
    // The connection stays usable after an error.
    QCOMPARE(client.get("/health/liveliness").status, 200);
    QCOMPARE(client.connectionsOpened(), 1);
}

void TransportTest::wrongMethodAnswers405WithAllow_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("allow");
    QTest::newRow("GET /v1/chat/completions") << QByteArrayLiteral("GET") << QByteArrayLiteral("/v1/chat/completions") << QByteArrayLiteral("POST");
    QTest::newRow("GET /chat/completions") << QByteArrayLiteral("GET") << QByteArrayLiteral("/chat/completions") << QByteArrayLiteral("POST");
    QTest::newRow("DELETE /v1/models") << QByteArrayLiteral("DELETE") << QByteArrayLiteral("/v1/models") << QByteArrayLiteral("GET");
    QTest::newRow("POST /models") << QByteArrayLiteral("POST") << QByteArrayLiteral("/models") << QByteArrayLiteral("GET");
    QTest::newRow("PUT /v1/embeddings") << QByteArrayLiteral("PUT") << QByteArrayLiteral("/v1/embeddings") << QByteArrayLiteral("POST");
    QTest::newRow("POST /health/liveliness") << QByteArrayLiteral("POST") << QByteArrayLiteral("/health/liveliness") << QByteArrayLiteral("GET");
}

void TransportTest::wrongMethodAnswers405WithAllow()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, allow);
    HttpClient client(m_openPort);
    const Response response = client.request(method, path, {}, QByteArrayLiteral("{}"));
    const QString problem = envelopeProblem(response, 405, u"method_not_allowed"_s, QJsonValue(QJsonValue::Null));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(response.header("allow"), allow);
    // 405 only for a route that exists; its error comes before authentication.
    HttpClient keyed(m_keyedPort);
    const Response noKey = keyed.request(method, path, {}, QByteArrayLiteral("{}"));
    QCOMPARE(noKey.status, 405);
    QCOMPARE(noKey.header("allow"), allow);
}

// ---------------------------------------------------------------------------------------
// 3. Request validation

void TransportTest::badCompletionRequestsAnswer400_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QJsonValue>("param");     // Undefined: not checked
    QTest::addColumn<QString>("message");      // empty: not checked

    const QByteArray chat = QByteArrayLiteral("/v1/chat/completions");
    const QJsonValue null(QJsonValue::Null);
    const QJsonValue model(u"model"_s);
    const QJsonArray messages{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}};

    QTest::newRow("not JSON") << chat << QByteArrayLiteral("{\"model\": \"mock-a\", ") << 400 << null << QString();
    QTest::newRow("empty body") << chat << QByteArray() << 400 << null << QString();
    QTest::newRow("JSON array") << chat << QByteArrayLiteral("[{\"model\":\"mock-a\"}]") << 400 << null << QString();
    QTest::newRow("JSON string") << chat << QByteArrayLiteral("\"mock-a\"") << 400 << null << QString();
    QTest::newRow("missing model") << chat << compact({{u"messages"_s, messages}}) << 400 << model << QString();
    QTest::newRow("model is a number") << chat << compact({{u"model"_s, 42}, {u"messages"_s, messages}}) << 400
                                       << model << QString();
    QTest::newRow("unknown model")
        << chat << compact({{u"model"_s, u"gpt-nope"_s}, {u"messages"_s, messages}}) << 400 << model
        << u"Invalid model name passed in model=gpt-nope. Call `/v1/models` to view available models for your key."_s;
    QTest::newRow("unknown model without /v1")
        << QByteArrayLiteral("/chat/completions") << compact({{u"model"_s, u"other"_s}, {u"messages"_s, messages}})
        << 400 << model
        << u"Invalid model name passed in model=other. Call `/v1/models` to view available models for your key."_s;
    QTest::newRow("stream is a string")
        << chat << compact({{u"model"_s, u"mock-a"_s}, {u"messages"_s, messages}, {u"stream"_s, u"yes"_s}}) << 400
        << QJsonValue(u"stream"_s) << QString();
    QTest::newRow("messages missing") << chat << compact({{u"model"_s, u"mock-a"_s}}) << 400
                                      << QJsonValue(u"messages"_s) << QString();
    // Controls: the same route accepts a well-formed body, unknown fields included.
    QTest::newRow("valid, unknown field ignored")
        << chat << compact({{u"model"_s, u"mock-a"_s}, {u"messages"_s, messages}, {u"frobnicate"_s, true}})
        << 200 << QJsonValue(QJsonValue::Undefined) << QString();
    QTest::newRow("valid, stream false")
        << chat << compact({{u"model"_s, u"mock-b"_s}, {u"messages"_s, messages}, {u"stream"_s, false}})
        << 200 << QJsonValue(QJsonValue::Undefined) << QString();
}

void TransportTest::badCompletionRequestsAnswer400()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QJsonValue, param);
    QFETCH(QString, message);
    HttpClient client(m_openPort);
    const Response response = client.post(path, body);
    if (status != 400) {
        QVERIFY2(response.status == status, response.body.left(300).constData());
        QCOMPARE(response.json().value(u"object"_s).toString(), u"chat.completion"_s);
        return;
    }
    const QString problem = envelopeProblem(response, 400, u"bad_request_error"_s, param);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    if (!message.isEmpty())
        QCOMPARE(errorOf(response).value(u"message"_s).toString(), message);
}

// ---------------------------------------------------------------------------------------
// 7. Host guard

void TransportTest::hostHeaderGuardsAgainstDnsRebinding_data()
{
    QTest::addColumn<QByteArray>("host");  // %PORT% is replaced by the gateway's port
    QTest::addColumn<bool>("allowed");
    QTest::newRow("attacker.example") << QByteArrayLiteral("attacker.example") << false;
    QTest::newRow("attacker.example:port") << QByteArrayLiteral("attacker.example:%PORT%") << false;
    QTest::newRow("localhost.attacker.example") << QByteArrayLiteral("localhost.attacker.example:%PORT%") << false;
    QTest::newRow("127.0.0.1.nip.io") << QByteArrayLiteral("127.0.0.1.nip.io:%PORT%") << false;
    QTest::newRow("192.168.1.10") << QByteArrayLiteral("192.168.1.10:%PORT%") << false;
    QTest::newRow("[::1]evil") << QByteArrayLiteral("[::1]evil.example") << false;
    QTest::newRow("localhost:port") << QByteArrayLiteral("localhost:%PORT%") << true;
    QTest::newRow("127.0.0.1:port") << QByteArrayLiteral("127.0.0.1:%PORT%") << true;
    QTest::newRow("[::1]:port") << QByteArrayLiteral("[::1]:%PORT%") << true;
    QTest::newRow("localhost") << QByteArrayLiteral("localhost") << true;
    QTest::newRow("LocalHost:port (case)") << QByteArrayLiteral("LocalHost:%PORT%") << true;
}

void TransportTest::hostHeaderGuardsAgainstDnsRebinding()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, allowed);
    host.replace("%PORT%", QByteArray::number(m_openPort));
    HttpClient client(m_openPort);
    // A public route and an OpenAI route: the guard comes before routing and auth.
    for (const QByteArray &path : {QByteArrayLiteral("/health/liveliness"), QByteArrayLiteral("/v1/models")}) {
        const Response response = client.get(path, {{"Host", host}});
        if (allowed) {
            QVERIFY2(response.status == 200, response.body.left(300).constData());
        } else {
            const QString problem = envelopeProblem(response, 403, u"forbidden"_s);
            QVERIFY2(problem.isEmpty(), qPrintable(QString::fromLatin1(path) + u": "_s + problem));
        }
    }
    const Response completion = client.post("/v1/chat/completions", chatBody(u"mock-a"_s), {{"Host", host}});
    QCOMPARE(completion.status, allowed ? 200 : 403);
}

// ---------------------------------------------------------------------------------------
// 8. Authentication (the gateway with a master key)

void TransportTest::apiKeyIsRequiredAndChecked_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<int>("status");
    QTest::newRow("no key") << QByteArray() << 401;
    QTest::newRow("wrong key") << QByteArrayLiteral("Authorization: Bearer sk-test-wrong") << 401;
    QTest::newRow("master key with a suffix") << QByteArrayLiteral("Authorization: Bearer sk-test-master2") << 401;
    // The master key is compared as it is (not hashed): near misses of every kind are refused.
    QTest::newRow("master key cut short") << QByteArrayLiteral("Authorization: Bearer sk-test-maste") << 401;
    QTest::newRow("master key, last byte off") << QByteArrayLiteral("Authorization: Bearer sk-test-mastes") << 401;
    QTest::newRow("master key twice") << QByteArrayLiteral("Authorization: Bearer sk-test-mastersk-test-master") << 401;
    QTest::newRow("key without sk-") << QByteArrayLiteral("Authorization: Bearer test-master") << 401;
    QTest::newRow("empty bearer") << QByteArrayLiteral("Authorization: Bearer ") << 401;
    QTest::newRow("wrong api-key") << QByteArrayLiteral("api-key: sk-nope") << 401;
    QTest::newRow("Authorization: Bearer") << QByteArrayLiteral("Authorization: Bearer sk-test-master") << 200;
    QTest::newRow("authorization: bearer (case)") << QByteArrayLiteral("authorization: bearer sk-test-master") << 200;
    QTest::newRow("api-key") << QByteArrayLiteral("api-key: sk-test-master") << 200;
    QTest::newRow("x-api-key") << QByteArrayLiteral("x-api-key: sk-test-master") << 200;
    QTest::newRow("x-litellm-api-key") << QByteArrayLiteral("x-litellm-api-key: sk-test-master") << 200;
    // Header names are read without case, wherever the upper-case letters are.
    QTest::newRow("AUTHORIZATION") << QByteArrayLiteral("AUTHORIZATION: Bearer sk-test-master") << 200;
    QTest::newRow("x-api-KEY") << QByteArrayLiteral("x-api-KEY: sk-test-master") << 200;
    QTest::newRow("X-Api-Key, wrong") << QByteArrayLiteral("X-Api-Key: sk-test-mastex") << 401;
    // Authorization is read first: a wrong one is not rescued by a right one further down.
    QTest::newRow("wrong Authorization, right x-api-key")
        << QByteArrayLiteral("Authorization: Bearer sk-wrong\nx-api-key: sk-test-master") << 401;
}

void TransportTest::apiKeyIsRequiredAndChecked()
{
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    HttpClient client(m_keyedPort);
    const RawHeaders raw = parseHeaders(headers);
    const Response models = client.get("/v1/models", raw);
    const Response completion = client.post("/v1/chat/completions", chatBody(u"mock-a"_s), raw);
    if (status == 200) {
        QVERIFY2(models.status == 200, models.body.left(300).constData());
        QCOMPARE(models.json().value(u"object"_s).toString(), u"list"_s);
        QVERIFY2(completion.status == 200, completion.body.left(300).constData());
    } else {
        QString problem = envelopeProblem(models, 401, u"auth_error"_s);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        problem = envelopeProblem(completion, 401, u"auth_error"_s);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        // The answer never echoes the key that was sent.
        QVERIFY(!models.body.contains("sk-test-master"));
    }
    // The open gateway takes any request without a key.
    HttpClient open(m_openPort);
    QCOMPARE(open.get("/v1/models").status, 200);
}

void TransportTest::healthProbesAndAuth_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<bool>("withKey");
    QTest::addColumn<bool>("needsKey");
    QTest::newRow("/health/liveliness without key") << QByteArrayLiteral("/health/liveliness") << false << false;
    QTest::newRow("/health/liveness without key") << QByteArrayLiteral("/health/liveness") << false << false;
    QTest::newRow("/health/readiness without key") << QByteArrayLiteral("/health/readiness") << false << false;
    QTest::newRow("/v1/health/liveliness without key") << QByteArrayLiteral("/v1/health/liveliness") << false << false;
    QTest::newRow("/health without key") << QByteArrayLiteral("/health") << false << true;
    QTest::newRow("/v1/health without key") << QByteArrayLiteral("/v1/health") << false << true;
    QTest::newRow("/health with key") << QByteArrayLiteral("/health") << true << true;
}

void TransportTest::healthProbesAndAuth()
{
    QFETCH(QByteArray, path);
    QFETCH(bool, withKey);
    QFETCH(bool, needsKey);
    HttpClient client(m_keyedPort);
    RawHeaders headers;
    if (withKey)
        headers.append({"Authorization", "Bearer " + MasterKey});
    const Response response = client.get(path, headers);
    if (needsKey && !withKey) {
        const QString problem = envelopeProblem(response, 401, u"auth_error"_s);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        return;
    }
    QVERIFY2(response.status != 401, response.body.constData());
    if (path.endsWith("/readiness")) {
        // No store in this test: not ready, but answered without a key.
        QCOMPARE(response.status, 503);
        QCOMPARE(response.json().value(u"status"_s).toString(), u"unhealthy"_s);
        QCOMPARE(response.json().value(u"db"_s).toString(), u"disconnected"_s);
    } else if (path.contains("/live")) {
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, QByteArrayLiteral("\"I'm alive!\""));
    } else {
        QCOMPARE(response.status, 200);
        const QJsonObject body = response.json();
        QCOMPARE(body.value(u"healthy_count"_s).toInt(), 3);  // the three mock deployments
        QCOMPARE(body.value(u"unhealthy_count"_s).toInt(), 0);
        QVERIFY(!response.body.contains(UpstreamSecret));
    }
}

// ---------------------------------------------------------------------------------------
// 9. The OpenAI routes' answers

void TransportTest::modelListShowsModelGroups_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("/v1/models") << QByteArrayLiteral("/v1/models");
    QTest::newRow("/models") << QByteArrayLiteral("/models");
    QTest::newRow("/v1/models/") << QByteArrayLiteral("/v1/models/");
}

void TransportTest::modelListShowsModelGroups()
{
    QFETCH(QByteArray, path);
    HttpClient client(m_openPort);
    const Response response = client.get(path);
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("application/json"));
    const QJsonObject body = response.json();
    QCOMPARE(body.value(u"object"_s).toString(), u"list"_s);
    const QJsonArray data = body.value(u"data"_s).toArray();
    QStringList ids;
    QStringList owners;
    for (const QJsonValue &value : data) {
        const QJsonObject entry = value.toObject();
        QCOMPARE(entry.value(u"object"_s).toString(), u"model"_s);
        QVERIFY(entry.value(u"created"_s).isDouble());
        QVERIFY(entry.value(u"created"_s).toInteger() > 1'600'000'000);
        ids.append(entry.value(u"id"_s).toString());
        owners.append(entry.value(u"owned_by"_s).toString());
    }
    // One entry per model group (mock-b has two deployments), in declaration order.
    QCOMPARE(ids, (QStringList{u"mock-a"_s, u"mock-b"_s, u"slow"_s}));
    QCOMPARE(owners, (QStringList{u"mock"_s, u"mock"_s, u"openai"_s}));
}

void TransportTest::modelInfoNeverContainsApiKeys_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("/v1/model/info") << QByteArrayLiteral("/v1/model/info");
    QTest::newRow("/model/info") << QByteArrayLiteral("/model/info");
}

void TransportTest::modelInfoNeverContainsApiKeys()
{
    QFETCH(QByteArray, path);
    HttpClient client(m_openPort);
    const Response response = client.get(path);
    QCOMPARE(response.status, 200);
    QVERIFY2(!response.body.contains("api_key"), response.body.constData());
    QVERIFY2(!response.body.contains(UpstreamSecret), response.body.constData());
    const QJsonArray data = response.json().value(u"data"_s).toArray();
    QCOMPARE(data.size(), 4);  // every deployment
    QSet<QString> ids;
    for (const QJsonValue &value : data) {
        const QJsonObject entry = value.toObject();
        QVERIFY(entry.value(u"litellm_params"_s).isObject());
        QVERIFY(!entry.value(u"litellm_params"_s).toObject().contains(u"api_key"_s));
        ids.insert(entry.value(u"model_info"_s).toObject().value(u"id"_s).toString());
    }
    QCOMPARE(ids, (QSet<QString>{u"mock-a-1"_s, u"mock-b-1"_s, u"mock-b-2"_s, u"slow-1"_s}));
    const QJsonObject slow = data.at(3).toObject();
    QCOMPARE(slow.value(u"model_name"_s).toString(), u"slow"_s);
    QCOMPARE(slow.value(u"litellm_params"_s).toObject().value(u"model"_s).toString(), u"openai/gpt-4o"_s);
}

void TransportTest::mockChatCompletionCarriesGatewayHeaders()
{
    HttpClient client(m_openPort);
    const Response response = client.post("/v1/chat/completions", chatBody(u"mock-a"_s));
    QVERIFY2(response.status == 200, response.body.left(300).constData());
    QVERIFY(response.header("content-type").startsWith("application/json"));
    QVERIFY(!response.chunked);
    const QJsonObject body = response.json();
    QCOMPARE(body.value(u"object"_s).toString(), u"chat.completion"_s);
    QVERIFY(!body.value(u"choices"_s).toArray().first().toObject().value(u"message"_s).toObject()
                 .value(u"content"_s).toString().isEmpty());
    QVERIFY(body.value(u"usage"_s).toObject().value(u"total_tokens"_s).toInt() > 0);

    const QByteArray callId = response.header("x-litellm-call-id");
    QCOMPARE(callId.size(), 36);  // a UUID without braces
    QCOMPARE(response.header("x-litellm-model-id"), QByteArrayLiteral("mock-a-1"));
    QCOMPARE(response.header("x-litellm-model-group"), QByteArrayLiteral("mock-a"));
    bool ok = false;
    const double overhead = response.header("x-litellm-overhead-duration-ms").toDouble(&ok);
    QVERIFY(ok);
    QVERIFY(overhead >= 0.0 && overhead < 5000.0);
    const double cost = response.header("x-litellm-response-cost").toDouble(&ok);
    QVERIFY2(ok, response.header("x-litellm-response-cost").constData());
    QVERIFY(cost > 0.0);  // priced deployment, usage > 0
    QVERIFY(cost < 0.01);

    // Each call has its own id; a group of two takes turns.
    const Response b1 = client.post("/chat/completions", chatBody(u"mock-b"_s));
    const Response b2 = client.post("/chat/completions", chatBody(u"mock-b"_s));
    QCOMPARE(b1.status, 200);
    QCOMPARE(b2.status, 200);
    QVERIFY(b1.header("x-litellm-call-id") != callId);
    QVERIFY(b1.header("x-litellm-call-id") != b2.header("x-litellm-call-id"));
    QCOMPARE(b1.header("x-litellm-model-group"), QByteArrayLiteral("mock-b"));
    QCOMPARE((QSet<QByteArray>{b1.header("x-litellm-model-id"), b2.header("x-litellm-model-id")}),
             (QSet<QByteArray>{"mock-b-1", "mock-b-2"}));
}

void TransportTest::streamedMockCompletionIsChunkedSse()
{
    HttpClient client(m_openPort);
    const Response response = client.post("/v1/chat/completions", chatBody(u"mock-a"_s, true));
    QCOMPARE(response.status, 200);
    QVERIFY(response.complete);
    QVERIFY(response.chunked);
    QCOMPARE(response.header("transfer-encoding").toLower(), QByteArrayLiteral("chunked"));
    QVERIFY(!response.hasHeader("content-length"));
    QVERIFY(response.header("content-type").startsWith("text/event-stream"));
    QCOMPARE(response.header("cache-control"), QByteArrayLiteral("no-cache"));
    QCOMPARE(response.header("x-litellm-model-group"), QByteArrayLiteral("mock-a"));
    QCOMPARE(response.header("x-litellm-call-id").size(), 36);

    const QList<QByteArray> events = response.sseData();
    QVERIFY(events.size() >= 3);
    QCOMPARE(events.last(), QByteArrayLiteral("[DONE]"));
    QVERIFY(response.body.trimmed().endsWith("data: [DONE]"));
    QCOMPARE(events.count(QByteArrayLiteral("[DONE]")), 1);
    QString content;
    for (qsizetype i = 0; i + 1 < events.size(); ++i) {
        const QJsonObject chunk = QJsonDocument::fromJson(events.at(i)).object();
        QCOMPARE(chunk.value(u"object"_s).toString(), u"chat.completion.chunk"_s);
        content += chunk.value(u"choices"_s).toArray().first().toObject().value(u"delta"_s).toObject()
                       .value(u"content"_s).toString();
    }
    QVERIFY(!content.isEmpty());
    // The connection survives the stream.
    QCOMPARE(client.get("/health/liveliness").status, 200);
    QCOMPARE(client.connectionsOpened(), 1);
}

QTEST_GUILESS_MAIN(TransportTest)
#include "tst_transport.moc"
