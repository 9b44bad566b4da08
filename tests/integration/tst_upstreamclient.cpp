// UpstreamClient against FakeProvider over real loopback HTTP. The client runs on this
// thread's event loop; the fake answers from its own thread. Every test runs twice: with the
// plain-http engine (the fake is at 127.0.0.1) and with libcurl for every call.
#include "proxy/upstream/upstreamclient.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/httpclient.h"
#include "upstreamtestsupport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

#include <time.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using Tollgate::HeaderList;
using Tollgate::UpstreamCallId;
using Tollgate::UpstreamClient;
using Tollgate::UpstreamHandlers;
using Tollgate::UpstreamRequest;
using Tollgate::UpstreamResult;
using Tollgate::Test::FakeProvider;
using Tollgate::Test::HttpClient;
using Tollgate::Test::SteadyTime;
using Tollgate::Test::CallLog;
using Tollgate::Test::recordInto;

namespace {

QByteArray chatBody(bool stream = false, bool includeUsage = false)
{
    QJsonObject body{{u"model"_s, u"gpt-test"_s},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                            {u"content"_s, u"Hi"_s}}}}};
    if (stream)
        body.insert(u"stream"_s, true);
    if (includeUsage)
        body.insert(u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}});
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

UpstreamRequest chatRequest(const QByteArray &baseUrl, const QByteArray &body,
                            std::chrono::milliseconds timeout = 10s)
{
    UpstreamRequest request;
    request.url = baseUrl + "/v1/chat/completions";
    request.headers = {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")},
                       {QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer sk-upstream")}};
    request.body = body;
    request.timeout = timeout;
    return request;
}

qint64 msBetween(SteadyTime from, SteadyTime to)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

} // namespace

class TestUpstreamClient : public QObject
{
    Q_OBJECT

public:
    explicit TestUpstreamClient(bool plainEngine) : m_plainEngine(plainEngine) {}

private slots:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void nonStreamPost_data();
    void nonStreamPost();
    void streamArrivesAsItIsEmitted();
    void concurrentCallsRunInParallel();
    void providerErrorIsDeliveredAsOk_data();
    void providerErrorIsDeliveredAsOk();
    void bodilessAnswerGetsHeadAtCompletion();
    void largeBodyIsSentWhole();
    void providerDropsMidStream();
    void timeout();
    void connectionRefused();
    void cancelBeforeHead();
    void cancelFromInsideOnData();
    void pausedFromInsideOnDataUntilResumed();
    void cancelFromInsideOnHead();
    void cancelOtherCallFromCallback();
    void cancelUnknownAndFinishedIds();
    void startFromInsideOnDoneReusesConnection();
    void destroyWithCallsInFlight();
    void reusedHandlesSendEachCallsOwnRequest();
    void idleConnectionClosedByTheProvider();
    void fewIdleConnectionsStayWatchedAfterABurst();
    void engineFollowsTheUrl();

    // The test support itself (FakeProvider through HttpClient), which the relay tests trust.
    void supportFakeRoutes();
    void supportStreamIsChunkedAsEmitted();
    void supportKeepAliveAndClose();
    void supportClientDisconnectsAreCounted();

private:
    [[nodiscard]] UpstreamClient::Options options() const
    {
        UpstreamClient::Options options;
        options.plainHttpEngine = m_plainEngine;
        return options;
    }

    bool m_plainEngine = true;
    FakeProvider m_fake;
};

void TestUpstreamClient::initTestCase()
{
    qInfo("engine: %s", m_plainEngine ? "plain http" : "libcurl");
    QVERIFY(m_fake.start() != 0);
}

void TestUpstreamClient::init()
{
    m_fake.reset();
}

void TestUpstreamClient::cleanupTestCase()
{
    m_fake.stop();
}

void TestUpstreamClient::nonStreamPost_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("keyHeader");
    QTest::addColumn<QByteArray>("keyValue");
    QTest::addColumn<QString>("expectedModel");

    QTest::newRow("openai chat") << QByteArray("/v1/chat/completions") << QByteArray()
                                 << QByteArray("Authorization") << QByteArray("Bearer sk-upstream")
                                 << u"gpt-test"_s;
    QTest::newRow("azure deployment") << QByteArray("/openai/deployments/my-gpt/chat/completions")
                                      << QByteArray("api-version=2024-02-01")
                                      << QByteArray("api-key") << QByteArray("azure-secret")
                                      << u"my-gpt"_s;
}

void TestUpstreamClient::nonStreamPost()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, keyHeader);
    QFETCH(QByteArray, keyValue);
    QFETCH(QString, expectedModel);

    UpstreamClient client(options());
    UpstreamRequest request;
    request.url = m_fake.baseUrl() + path + (query.isEmpty() ? QByteArray() : '?' + query);
    request.headers = {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")},
                       {keyHeader, keyValue},
                       {QByteArrayLiteral("X-Custom"), QByteArrayLiteral("custom value")}};
    request.body = chatBody();
    auto log = std::make_shared<CallLog>();
    client.start(request, recordInto(log));
    QCOMPARE(log->callbacks(), 0);  // never from inside start()
    QCOMPARE(client.activeCalls(), 1);

    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QVERIFY(log->result.message.isEmpty());
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->status, 200);
    QCOMPARE(log->header("content-type"), QByteArray("application/json"));
    QCOMPARE(log->header("x-fake-request-index"), QByteArray("0"));
    QCOMPARE(log->header("content-length").toLongLong(), log->body.size());
    const QJsonObject answer = QJsonDocument::fromJson(log->body).object();
    QCOMPARE(answer.value(u"object"_s).toString(), u"chat.completion"_s);
    QCOMPARE(answer.value(u"model"_s).toString(), expectedModel);
    QCOMPARE(answer.value(u"choices"_s).toArray().first().toObject().value(u"message"_s).toObject()
                 .value(u"content"_s).toString(), m_fake.content());
    QCOMPARE(answer.value(u"usage"_s).toObject().value(u"total_tokens"_s).toInt(), 30);
    QCOMPARE(client.activeCalls(), 0);

    const auto received = m_fake.requests();
    QCOMPARE(received.size(), 1);
    const auto &r = received.first();
    QCOMPARE(r.method, QByteArray("POST"));
    QCOMPARE(r.path, path);
    QCOMPARE(r.query, query);
    QCOMPARE(r.header(keyHeader), keyValue);
    QCOMPARE(r.header("content-type"), QByteArray("application/json"));
    QCOMPARE(r.header("x-custom"), QByteArray("custom value"));
    QCOMPARE(r.header("content-length"), QByteArray::number(request.body.size()));
    QVERIFY(r.header("expect").isEmpty());
    QCOMPARE(r.body, request.body);
}

void TestUpstreamClient::streamArrivesAsItIsEmitted()
{
    m_fake.setStreamChunks(8, 50ms);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    client.start(chatRequest(m_fake.baseUrl(), chatBody(true, true)), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->status, 200);
    QCOMPARE(log->header("content-type"), QByteArray("text/event-stream"));
    QVERIFY(log->header("content-length").isEmpty());  // chunked framing is curl's business

    // role + 8 content + finish + usage + [DONE], each written separately 50 ms apart for
    // the content: curl hands them over as they come.
    QVERIFY2(log->dataCalls >= 8, qPrintable(QString::number(log->dataCalls)));
    const QList<SteadyTime> emitted = m_fake.emitTimes(0);
    QCOMPARE(emitted.size(), 12);
    QVERIFY2(log->dataTimes.first() < emitted.last(), "first piece arrived only after the stream ended");
    QVERIFY(msBetween(log->dataTimes.first(), log->dataTimes.last()) >= 300);

    QList<QByteArray> events;
    for (const QByteArray &block : log->body.split('\n')) {
        if (block.startsWith("data: "))
            events.append(block.mid(6));
    }
    QCOMPARE(events.size(), 12);
    QCOMPARE(events.last(), QByteArray("[DONE]"));
    const QJsonObject usage = QJsonDocument::fromJson(events.at(10)).object();
    QVERIFY(usage.value(u"choices"_s).toArray().isEmpty());
    QCOMPARE(usage.value(u"usage"_s).toObject().value(u"completion_tokens"_s).toInt(), 20);
    QString content;
    for (qsizetype i = 1; i <= 8; ++i)
        content += QJsonDocument::fromJson(events.at(i)).object().value(u"choices"_s).toArray()
                       .first().toObject().value(u"delta"_s).toObject().value(u"content"_s).toString();
    QCOMPARE(content, m_fake.content());
}

void TestUpstreamClient::concurrentCallsRunInParallel()
{
    constexpr int calls = 64;
    m_fake.setLatency(1000ms);
    UpstreamClient client(options());
    QList<std::shared_ptr<CallLog>> logs;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < calls; ++i) {
        auto log = std::make_shared<CallLog>();
        logs.append(log);
        // Half of them stream, so both kinds of answer share the pool.
        client.start(chatRequest(m_fake.baseUrl(), chatBody(i % 2 == 1)), recordInto(log));
    }
    auto allDone = [&] {
        return std::all_of(logs.cbegin(), logs.cend(), [](const auto &log) { return log->dones == 1; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(allDone(), 5000);
    const qint64 wall = timer.elapsed();
    qInfo("%d concurrent calls against a 1000 ms provider took %lld ms", calls, wall);
    QVERIFY2(wall < 3000, qPrintable(QString::number(wall)));
    for (const auto &log : logs) {
        QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
        QCOMPARE(log->status, 200);
    }
    QCOMPARE(m_fake.maxConcurrentRequests(), calls);
    QCOMPARE(m_fake.connectionCount(), calls);
}

void TestUpstreamClient::providerErrorIsDeliveredAsOk_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("bad request") << 400;
    QTest::newRow("unauthorized") << 401;
    QTest::newRow("rate limited") << 429;
    QTest::newRow("server error") << 500;
    QTest::newRow("unavailable") << 503;
}

void TestUpstreamClient::providerErrorIsDeliveredAsOk()
{
    QFETCH(int, status);
    const QByteArray body = R"({"error":{"message":"provider says no","type":"x","code":")"
                            + QByteArray::number(status) + "\"}}";
    m_fake.setErrorResponse(status, body);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    client.start(chatRequest(m_fake.baseUrl(), chatBody(true)), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->status, status);
    QCOMPARE(log->body, body);
}

void TestUpstreamClient::bodilessAnswerGetsHeadAtCompletion()
{
    m_fake.setErrorResponse(503, QByteArray());
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    client.start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->status, 503);
    QCOMPARE(log->dataCalls, 0);
    QCOMPARE(log->header("content-length"), QByteArray("0"));
}

void TestUpstreamClient::largeBodyIsSentWhole()
{
    // Bigger than any socket buffer, so curl has to send it over several writable events.
    const QByteArray filler(4 * 1024 * 1024, 'x');
    const QByteArray body = QJsonDocument(QJsonObject{
        {u"model"_s, u"gpt-test"_s},
        {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                               {u"content"_s, QString::fromLatin1(filler)}}}}})
                                .toJson(QJsonDocument::Compact);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    client.start(chatRequest(m_fake.baseUrl(), body), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 10000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->status, 200);
    QCOMPARE(m_fake.requests().first().body, body);
}

void TestUpstreamClient::providerDropsMidStream()
{
    FakeProvider dying;
    QVERIFY(dying.start() != 0);
    dying.setStreamChunks(50, 20ms);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    client.start(chatRequest(dying.baseUrl(), chatBody(true)), recordInto(log));
    QTRY_VERIFY_WITH_TIMEOUT(log->dataCalls > 0, 5000);
    dying.stop();  // closes the connection in the middle of the chunked body
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->result.status, UpstreamResult::Status::Failed);
    QVERIFY(!log->result.message.isEmpty());
}

void TestUpstreamClient::timeout()
{
    m_fake.setHang(true);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    const SteadyTime started = std::chrono::steady_clock::now();
    client.start(chatRequest(m_fake.baseUrl(), chatBody(), 300ms), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Timeout);
    QVERIFY(!log->result.message.isEmpty());
    QCOMPARE(log->heads, 0);
    const qint64 elapsed = msBetween(started, log->doneAt);
    QVERIFY2(elapsed >= 290 && elapsed < 800, qPrintable(QString::number(elapsed)));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 2000);
}

void TestUpstreamClient::connectionRefused()
{
    quint16 port = 0;
    {
        QTcpServer probe;  // a port that was free a moment ago and nobody listens on now
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    client.start(chatRequest("http://127.0.0.1:" + QByteArray::number(port), chatBody()),
                 recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::ConnectFailed);
    QVERIFY(!log->result.message.isEmpty());
    QCOMPARE(log->heads, 0);
}

void TestUpstreamClient::cancelBeforeHead()
{
    m_fake.setLatency(400ms);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    const UpstreamCallId id = client.start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 1, 5000);
    client.cancel(id);
    QCOMPARE(client.activeCalls(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 2000);
    QTest::qWait(600);  // past the fake's answer time
    QCOMPARE(log->callbacks(), 0);
    client.cancel(id);  // again: a no-op
}

void TestUpstreamClient::cancelFromInsideOnData()
{
    m_fake.setStreamChunks(20, 30ms);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    auto id = std::make_shared<UpstreamCallId>(0);
    UpstreamHandlers handlers = recordInto(log);
    handlers.onData = [log, id, &client](const QByteArray &chunk) {
        ++log->dataCalls;
        log->body += chunk;
        client.cancel(*id);
        client.cancel(*id);  // twice from inside: still harmless
    };
    *id = client.start(chatRequest(m_fake.baseUrl(), chatBody(true)), handlers);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 3000);
    QTest::qWait(100);
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->dataCalls, 1);
    QCOMPARE(log->dones, 0);
    QCOMPARE(client.activeCalls(), 0);
    QVERIFY(m_fake.emitTimes(0).size() < 23);  // cut before the end
}

// A relay whose client reads slowly stops reading the provider (backpressure): nothing arrives
// while paused, and the rest of the answer, whole, once resumed.
void TestUpstreamClient::pausedFromInsideOnDataUntilResumed()
{
    m_fake.setStreamChunks(8, 10ms);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    auto id = std::make_shared<UpstreamCallId>(0);
    UpstreamHandlers handlers = recordInto(log);
    handlers.onData = [log, id, &client](const QByteArray &chunk) {
        ++log->dataCalls;
        log->body += chunk;
        if (log->dataCalls == 1) {
            client.setPaused(*id, true);
            client.setPaused(*id, true);  // twice: still one pause
        }
    };
    *id = client.start(chatRequest(m_fake.baseUrl(), chatBody(true, true)), handlers);
    QTRY_COMPARE_WITH_TIMEOUT(log->dataCalls, 1, 3000);
    // The fake writes all of it within ~150 ms; none of it is read while paused.
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.emitTimes(0).size(), 12, 3000);
    QTest::qWait(200);
    QCOMPARE(log->dataCalls, 1);
    QCOMPARE(log->dones, 0);
    client.setPaused(*id, false);
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 3000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QVERIFY(log->body.contains("data: [DONE]"));
    QCOMPARE(log->body.count("data: "), 12);
    client.setPaused(*id, true);   // a finished id: harmless
    client.setPaused(4242, false); // an unknown one too
}

void TestUpstreamClient::cancelFromInsideOnHead()
{
    m_fake.setStreamChunks(20, 30ms);
    UpstreamClient client(options());
    auto log = std::make_shared<CallLog>();
    auto id = std::make_shared<UpstreamCallId>(0);
    UpstreamHandlers handlers = recordInto(log);
    handlers.onHead = [log, id, &client](int, const HeaderList &) {
        ++log->heads;
        client.cancel(*id);
    };
    *id = client.start(chatRequest(m_fake.baseUrl(), chatBody(true)), handlers);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 3000);
    QTest::qWait(100);
    QCOMPARE(log->heads, 1);
    QCOMPARE(log->dataCalls, 0);
    QCOMPARE(log->dones, 0);
}

void TestUpstreamClient::cancelOtherCallFromCallback()
{
    m_fake.setStreamChunks(10, 20ms);
    UpstreamClient client(options());
    // The victim waits 300 ms for its head; the stream's first piece cancels it.
    auto victimLog = std::make_shared<CallLog>();
    auto streamLog = std::make_shared<CallLog>();
    m_fake.setLatency(300ms);
    const UpstreamCallId victim = client.start(chatRequest(m_fake.baseUrl(), chatBody()),
                                               recordInto(victimLog));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 1, 5000);
    m_fake.setLatency(0ms);
    UpstreamHandlers handlers = recordInto(streamLog);
    handlers.onData = [streamLog, victim, &client](const QByteArray &chunk) {
        ++streamLog->dataCalls;
        streamLog->body += chunk;
        client.cancel(victim);
    };
    client.start(chatRequest(m_fake.baseUrl(), chatBody(true)), handlers);
    QTRY_COMPARE_WITH_TIMEOUT(streamLog->dones, 1, 5000);
    QCOMPARE(streamLog->result.status, UpstreamResult::Status::Ok);
    QVERIFY(streamLog->body.endsWith("data: [DONE]\n\n"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 2000);
    QTest::qWait(400);
    QCOMPARE(victimLog->callbacks(), 0);
}

void TestUpstreamClient::cancelUnknownAndFinishedIds()
{
    UpstreamClient client(options());
    client.cancel(0);
    client.cancel(12345);
    auto log = std::make_shared<CallLog>();
    const UpstreamCallId id = client.start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    client.cancel(id);
    QCOMPARE(log->dones, 1);

    // Cancelling itself from inside its own onDone is a no-op too.
    auto second = std::make_shared<CallLog>();
    auto secondId = std::make_shared<UpstreamCallId>(0);
    UpstreamHandlers handlers = recordInto(second);
    handlers.onDone = [second, secondId, &client](const UpstreamResult &) {
        ++second->dones;
        client.cancel(*secondId);
    };
    *secondId = client.start(chatRequest(m_fake.baseUrl(), chatBody()), handlers);
    QTRY_COMPARE_WITH_TIMEOUT(second->dones, 1, 5000);
    QCOMPARE(client.activeCalls(), 0);
}

void TestUpstreamClient::startFromInsideOnDoneReusesConnection()
{
    constexpr int chain = 20;
    UpstreamClient client(options());
    auto results = std::make_shared<QList<int>>();
    // Each call starts the next one from its onDone; they all go over one kept-alive connection.
    auto startNext = std::make_shared<std::function<void(int)>>();
    *startNext = [&client, results, startNext, this](int n) {
        UpstreamHandlers handlers;
        auto status = std::make_shared<int>(0);
        handlers.onHead = [status](int s, const HeaderList &) { *status = s; };
        handlers.onDone = [results, status, startNext, n](const UpstreamResult &result) {
            results->append(result.status == UpstreamResult::Status::Ok ? *status : -1);
            if (n + 1 < chain)
                (*startNext)(n + 1);
        };
        client.start(chatRequest(m_fake.baseUrl(), chatBody(n % 2 == 0)), handlers);
    };
    (*startNext)(0);
    QTRY_COMPARE_WITH_TIMEOUT(results->size(), chain, 10000);
    *startNext = nullptr;  // breaks the capture cycle
    QCOMPARE(*results, QList<int>(chain, 200));
    QCOMPARE(m_fake.requestCount(), chain);
    QCOMPARE(m_fake.connectionCount(), 1);
    QSet<int> connections;
    for (const auto &r : m_fake.requests())
        connections.insert(r.connectionId);
    QCOMPARE(connections.size(), 1);
}

void TestUpstreamClient::reusedHandlesSendEachCallsOwnRequest()
{
    // One after another on one client, so every call reuses the previous call's easy handle
    // (a POST after a POST keeps its options) and header sets repeat (their lists are shared):
    // each call still goes out with its own method, URL, headers and body.
    struct Sent
    {
        QByteArray method;
        QByteArray path;
        QByteArray key;
        QByteArray body;
    };
    const QList<Sent> calls{
        {"POST", "/v1/chat/completions", "Bearer sk-one", chatBody()},
        {"POST", "/v1/embeddings", "Bearer sk-two", R"({"model":"e","input":"x"})"},
        {"GET", "/v1/models", "Bearer sk-one", {}},
        {"POST", "/v1/chat/completions", "Bearer sk-one", chatBody(true)},
        {"HEAD", "/v1/models", "Bearer sk-two", {}},
        {"POST", "/v1/chat/completions", "Bearer sk-two", chatBody()},
        {"DELETE", "/v1/responses/resp_1", "Bearer sk-one", {}},
        {"POST", "/v1/chat/completions", "Bearer sk-one", chatBody()},
    };
    UpstreamClient client(options());
    for (const Sent &sent : calls) {
        UpstreamRequest request;
        request.method = sent.method;
        request.url = m_fake.baseUrl() + sent.path;
        request.headers = {{QByteArrayLiteral("Authorization"), sent.key}};
        if (!sent.body.isEmpty())
            request.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
        request.body = sent.body;
        auto log = std::make_shared<CallLog>();
        client.start(request, recordInto(log));
        QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
        QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    }
    const auto received = m_fake.requests();
    QCOMPARE(received.size(), calls.size());
    for (qsizetype i = 0; i < calls.size(); ++i) {
        const auto &r = received.at(i);
        QCOMPARE(r.method, calls.at(i).method);
        QCOMPARE(r.path, calls.at(i).path);
        QCOMPARE(r.header("authorization"), calls.at(i).key);
        QCOMPARE(r.body, calls.at(i).body);
        if (!calls.at(i).body.isEmpty())
            QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        QVERIFY(r.header("expect").isEmpty());
    }
}

void TestUpstreamClient::idleConnectionClosedByTheProvider()
{
    // A kept-alive connection stays watched between calls (its notifier is not switched off):
    // when the provider closes it meanwhile, the client neither spins on the closed socket nor
    // fails the next call, which goes out on a new connection.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QList<QTcpSocket *> accepted;
    QByteArray received;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            accepted.append(socket);
            connect(socket, &QTcpSocket::readyRead, socket, [&received, socket] {
                received += socket->readAll();
                if (received.contains("\r\n\r\n") && received.endsWith("}")) {
                    received.clear();
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
                }
            });
        }
    });
    const QByteArray base = "http://127.0.0.1:" + QByteArray::number(server.serverPort());
    UpstreamClient client(options());
    const auto call = [&] {
        auto log = std::make_shared<CallLog>();
        client.start(chatRequest(base, chatBody()), recordInto(log));
        return log;
    };
    auto first = call();
    QTRY_COMPARE_WITH_TIMEOUT(first->dones, 1, 5000);
    QCOMPARE(first->status, 200);
    QCOMPARE(accepted.size(), 1);
    auto second = call();  // the same connection
    QTRY_COMPARE_WITH_TIMEOUT(second->dones, 1, 5000);
    QCOMPARE(second->status, 200);
    QCOMPARE(accepted.size(), 1);

    accepted.first()->disconnectFromHost();
    timespec before{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before);
    QTest::qWait(300);
    timespec after{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after);
    const qint64 cpuMs = (after.tv_sec - before.tv_sec) * 1000 + (after.tv_nsec - before.tv_nsec) / 1'000'000;
    QVERIFY2(cpuMs < 150, qPrintable(u"%1 ms of CPU while idle"_s.arg(cpuMs)));

    auto third = call();
    QTRY_COMPARE_WITH_TIMEOUT(third->dones, 1, 5000);
    QCOMPARE(third->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(third->status, 200);
    QCOMPARE(accepted.size(), 2);
}

void TestUpstreamClient::fewIdleConnectionsStayWatchedAfterABurst()
{
    // After 16 parallel calls, 16 connections are kept alive, but only a few of them stay in
    // every poll() of the event loop (each one there costs every later call): the others are
    // switched off while idle and watched again when a call reuses them.
    constexpr int calls = 16;
    m_fake.setLatency(300ms);
    UpstreamClient client(options());
    const auto burst = [&] {
        QList<std::shared_ptr<CallLog>> logs;
        for (int i = 0; i < calls; ++i) {
            auto log = std::make_shared<CallLog>();
            logs.append(log);
            client.start(chatRequest(m_fake.baseUrl(), chatBody(i % 2 == 1)), recordInto(log));
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(logs.cbegin(), logs.cend(), [](const auto &log) { return log->dones == 1; }),
                                 5000);
        for (const auto &log : logs) {
            QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
            QCOMPARE(log->status, 200);
        }
    };
    const auto watched = [&] {
        const QList<QSocketNotifier *> notifiers = client.findChildren<QSocketNotifier *>();
        return std::count_if(notifiers.cbegin(), notifiers.cend(), [](const QSocketNotifier *n) { return n->isEnabled(); });
    };
    burst();
    QCOMPARE(m_fake.connectionCount(), calls);
    QCOMPARE(client.findChildren<QSocketNotifier *>().size(), 2 * calls);  // a read and a write notifier each
    QTRY_VERIFY_WITH_TIMEOUT(watched() <= 4, 2000);
    QVERIFY2(watched() >= 1, "the last connection used stays watched");

    // The idle ones are still reused: a second burst opens no new connection.
    burst();
    QCOMPARE(m_fake.connectionCount(), calls);
    QTRY_VERIFY_WITH_TIMEOUT(watched() <= 4, 2000);

    // One at a time: one connection, watched between calls, serves them all.
    m_fake.setLatency(0ms);
    for (int i = 0; i < 5; ++i) {
        auto log = std::make_shared<CallLog>();
        client.start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(log));
        QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
        QCOMPARE(log->status, 200);
    }
    QCOMPARE(m_fake.connectionCount(), calls);
}

void TestUpstreamClient::engineFollowsTheUrl()
{
    // The plain engine takes http:// at an IP address (its notifiers carry its name); a host
    // name stays libcurl's, as does everything when the engine is off.
    UpstreamClient client(options());
    const auto plainNotifiers = [&] { return client.findChildren<QSocketNotifier *>(u"tollgate-plain-http"_s).size(); };
    auto byAddress = std::make_shared<CallLog>();
    client.start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(byAddress));
    QTRY_COMPARE_WITH_TIMEOUT(byAddress->dones, 1, 5000);
    QCOMPARE(byAddress->status, 200);
    QCOMPARE(plainNotifiers(), m_plainEngine ? 2 : 0);

    QByteArray named = m_fake.baseUrl();
    named.replace("127.0.0.1", "localhost");
    auto byName = std::make_shared<CallLog>();
    client.start(chatRequest(named, chatBody()), recordInto(byName));
    QTRY_COMPARE_WITH_TIMEOUT(byName->dones, 1, 5000);
    QCOMPARE(byName->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(byName->status, 200);
    QCOMPARE(plainNotifiers(), m_plainEngine ? 2 : 0);
}

void TestUpstreamClient::destroyWithCallsInFlight()
{
    m_fake.setStreamChunks(50, 20ms);
    auto client = std::make_unique<UpstreamClient>(options());
    QList<std::shared_ptr<CallLog>> logs;
    // Streams that are mid-body when the client dies…
    for (int i = 0; i < 4; ++i) {
        logs.append(std::make_shared<CallLog>());
        client->start(chatRequest(m_fake.baseUrl(), chatBody(true)), recordInto(logs.last()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(logs.cbegin(), logs.cend(),
                                         [](const auto &log) { return log->dataCalls > 0; }), 5000);
    // …and calls still waiting for their head.
    m_fake.setLatency(2000ms);
    QList<std::shared_ptr<CallLog>> waiting;
    for (int i = 0; i < 4; ++i) {
        waiting.append(std::make_shared<CallLog>());
        client->start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(waiting.last()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 8, 5000);
    // One never even reached the multi handle's first poll.
    auto unsent = std::make_shared<CallLog>();
    client->start(chatRequest(m_fake.baseUrl(), chatBody()), recordInto(unsent));

    QList<int> before;
    for (const auto &log : logs)
        before.append(log->callbacks());
    client.reset();
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 8, 3000);
    QTest::qWait(100);
    for (qsizetype i = 0; i < logs.size(); ++i) {
        QCOMPARE(logs.at(i)->callbacks(), before.at(i));
        QCOMPARE(logs.at(i)->dones, 0);
    }
    for (const auto &log : waiting)
        QCOMPARE(log->callbacks(), 0);
    QCOMPARE(unsent->callbacks(), 0);
}

void TestUpstreamClient::supportFakeRoutes()
{
    HttpClient http(m_fake.port());
    const Tollgate::Test::RawHeaders auth{{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer sk-x")}};

    auto chat = http.post("/chat/completions", chatBody(), auth);
    QCOMPARE(chat.status, 200);
    QVERIFY(chat.complete);
    QCOMPARE(chat.json().value(u"object"_s).toString(), u"chat.completion"_s);
    QCOMPARE(chat.header("x-request-id"), QByteArray("req-0"));

    auto completion = http.postJson("/v1/completions", {{u"model"_s, u"m"_s}, {u"prompt"_s, u"Hi"_s}});
    QCOMPARE(completion.status, 200);
    QCOMPARE(completion.json().value(u"choices"_s).toArray().first().toObject().value(u"text"_s).toString(),
             m_fake.content());

    auto embeddings = http.postJson("/v1/embeddings",
                                    {{u"model"_s, u"e"_s}, {u"input"_s, QJsonArray{u"a"_s, u"b"_s}}});
    QCOMPARE(embeddings.status, 200);
    QCOMPARE(embeddings.json().value(u"data"_s).toArray().size(), 2);

    auto azure = http.post("/openai/deployments/dep/embeddings?api-version=2024-02-01",
                           R"({"input":"x"})");
    QCOMPARE(azure.status, 200);
    QCOMPARE(azure.json().value(u"model"_s).toString(), u"dep"_s);
    QCOMPARE(http.post("/openai/deployments/dep/chat/completions", chatBody()).status, 404);

    QCOMPARE(http.get("/v1/models").status, 200);
    QCOMPARE(http.get("/v1/chat/completions").status, 405);
    QCOMPARE(http.post("/v1/nothing", "{}").status, 404);
    QCOMPARE(http.post("/v1/chat/completions", "{not json").status, 400);

    const auto recorded = m_fake.requests();
    QCOMPARE(recorded.size(), 9);
    QCOMPARE(recorded.first().header("authorization"), QByteArray("Bearer sk-x"));
    QCOMPARE(recorded.at(3).query, QByteArray("api-version=2024-02-01"));
    QCOMPARE(recorded.at(3).path, QByteArray("/openai/deployments/dep/embeddings"));
    QCOMPARE(m_fake.connectionCount(), 1);
    QCOMPARE(http.connectionsOpened(), 1);
}

void TestUpstreamClient::supportStreamIsChunkedAsEmitted()
{
    m_fake.setStreamChunks(4, 40ms);
    HttpClient http(m_fake.port());
    auto plain = http.post("/v1/chat/completions", chatBody(true));
    QCOMPARE(plain.status, 200);
    QVERIFY(plain.chunked);
    QCOMPARE(plain.header("content-type"), QByteArray("text/event-stream"));
    QCOMPARE(plain.chunks.size(), 7);  // role, 4 content, finish, [DONE]: no usage unasked
    QCOMPARE(plain.sseData().last(), QByteArray("[DONE]"));
    QVERIFY(msBetween(plain.chunks.first().receivedAt, plain.chunks.last().receivedAt) >= 120);

    auto withUsage = http.post("/v1/chat/completions", chatBody(true, true));
    QCOMPARE(withUsage.chunks.size(), 8);
    m_fake.setStreamUsageNever(true);
    QCOMPARE(http.post("/v1/chat/completions", chatBody(true, true)).chunks.size(), 7);
    m_fake.setStreamUsageNever(false);
    m_fake.setStreamUsageAlways(true);
    m_fake.setUsage(3, 4);
    auto always = http.post("/v1/chat/completions", chatBody(true));
    QCOMPARE(always.chunks.size(), 8);
    const QJsonObject usage = QJsonDocument::fromJson(always.sseData().at(6)).object();
    QCOMPARE(usage.value(u"usage"_s).toObject().value(u"total_tokens"_s).toInt(), 7);
    // The fake records an emit just after writing it: wait for its thread, same expectation.
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.emitTimes(3).size(), 8, 2000);
}

void TestUpstreamClient::supportKeepAliveAndClose()
{
    HttpClient http(m_fake.port());
    for (int i = 0; i < 3; ++i)
        QCOMPARE(http.post("/v1/chat/completions", chatBody()).status, 200);
    QVERIFY(!http.serverClosed(50ms));
    QCOMPARE(http.connectionsOpened(), 1);

    auto closing = http.post("/v1/chat/completions", chatBody(),
                             {{QByteArrayLiteral("Connection"), QByteArrayLiteral("close")}});
    QCOMPARE(closing.status, 200);
    QCOMPARE(closing.header("connection"), QByteArray("close"));
    QVERIFY(http.serverClosed());
    QCOMPARE(http.post("/v1/chat/completions", chatBody()).status, 200);  // reconnects
    QCOMPARE(http.connectionsOpened(), 2);
    QCOMPARE(m_fake.connectionCount(), 2);

    auto raw = http.sendRaw("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QCOMPARE(raw.status, 200);
    QCOMPARE(m_fake.clientDisconnects(), 0);
}

void TestUpstreamClient::supportClientDisconnectsAreCounted()
{
    m_fake.setStreamChunks(20, 30ms);
    HttpClient http(m_fake.port());
    auto partial = http.requestAndAbort("POST", "/v1/chat/completions",
                                        {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}},
                                        chatBody(true), 2);
    QCOMPARE(partial.status, 200);
    QCOMPARE(partial.chunks.size(), 2);
    QVERIFY(!partial.complete);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 2000);

    m_fake.setLatency(300ms);
    http.sendAndDrop("POST", "/v1/chat/completions", {}, chatBody(), 50ms);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 2, 2000);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.activeRequests(), 0, 2000);
    QCOMPARE(m_fake.requestCount(), 2);
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int failures = 0;
    for (const bool plainEngine : {true, false}) {
        TestUpstreamClient test(plainEngine);
        failures += QTest::qExec(&test, argc, argv);
    }
    return failures;
}
#include "tst_upstreamclient.moc"
