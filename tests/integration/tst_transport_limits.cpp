// The gateway's HTTP edge over real loopback HTTP: size limits, keep-alive, idle timeout,
// pipelining, garbage on the socket and shutdown. Routing, validation, the Host guard,
// authentication and the OpenAI routes are in tst_transport.cpp.
#include "tests/integration/transporttestsupport.h"

using namespace TransportTestSupport;

class TransportLimitsTest : public QObject, protected TransportFixture
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    // 1. request size limit
    void oversizedContentLengthIsRefusedBeforeTheBodyIsSent();
    void bodySizeAroundTheLimit_data();
    void bodySizeAroundTheLimit();
    void chunkedUploadOverTheLimitIsRefused();
    void chunkedUploadUnderTheLimitIsServed();
    void oversizedContentLengthInAHeadSplitOverTwoWritesIsRefusedEarly();
    void chunkedUploadFarOverTheLimitIsRefusedBeforeItEnds();
    // 4. keep-alive and connection close
    void severalRequestsShareOneConnection();
    void connectionCloseHeaderClosesAfterTheAnswer();
    void http10RequestIsAnsweredThenClosed();
    // 5. idle timeout
    void idleConnectionIsClosedAfterTheIdleTimeout();
    void busyConnectionIsNotClosedByTheIdleTimeout();
    // 6. pipelining
    void pipelinedRequestsAreAnsweredInOrder_data();
    void pipelinedRequestsAreAnsweredInOrder();
    void pipelinedRequestAfterConnectionCloseIsNotAnswered();
    void oversizedRequestPipelinedBehindASlowOneIsAnsweredInOrder();
    // 10. garbage
    void garbageOnTheSocketDoesNotBreakTheGateway_data();
    void garbageOnTheSocketDoesNotBreakTheGateway();
    // 11. shutdown
    void stopReturnsPromptlyWithIdleKeepAliveConnections();
    // 12. a bounded edge (issue 13 §6): each limit answers and closes, others are served
    void oversizedHeadIsRefused_data();
    void oversizedHeadIsRefused();
    void headWithBareLineFeedsIsServed();
    void oversizedHeadPipelinedBehindAGoodRequestIsRefusedInOrder();
    void requestsPipelinedBehindAChunkedOneAreFramedAgain();
    void slowHeadTimesOut();
    void slowHeadAfterAnsweredRequestsTimesOutOnTime();
    void stalledBodyTimesOut();
    void slowButMovingBodyIsServed();
    void connectionsOverTheCapAreClosedAtOnce();
    void pipelinedRequestsOverTheCapAreRefused();
    void pipelinedBodiesOverTheLimitTogetherAreRefused();
    void ambiguousFramingIsRefused_data();
    void ambiguousFramingIsRefused();

private:
    // A gateway with short edge times and small caps, for the tests of section 12.
    static Gateway::Options edgeOptions();
    // A good request on a new connection is answered (while another connection misbehaves).
    static void checkServedMeanwhile(quint16 port);
    std::unique_ptr<GatewayHost> m_edge;
    quint16 m_edgePort = 0;
};

namespace {
constexpr auto EdgeHeadTimeout = 300ms;
constexpr auto EdgeBodyWindow = 300ms;
constexpr int EdgeMaxPipelined = 3;
}

Gateway::Options TransportLimitsTest::edgeOptions()
{
    Gateway::Options options = gatewayOptions();
    options.edgeLimits.headTimeout = EdgeHeadTimeout;
    options.edgeLimits.bodyProgressWindow = EdgeBodyWindow;
    options.edgeLimits.bodyProgressBytes = 1024;
    options.edgeLimits.maxPipelined = EdgeMaxPipelined;
    return options;
}

void TransportLimitsTest::checkServedMeanwhile(quint16 port)
{
    HttpClient client(port);
    client.setTimeout(3s);
    const Response response = client.post("/v1/chat/completions", chatBody(u"mock-a"_s));
    QVERIFY2(response.status == 200, qPrintable(response.error + u' ' + QString::fromUtf8(response.body.left(200))));
}

void TransportLimitsTest::initTestCase()
{
    startFixture();
    m_edge = std::make_unique<GatewayHost>();
    auto edge = m_edge->start(makeConfig(m_fake.baseUrl()), nullptr, edgeOptions());
    QVERIFY2(edge.ok(), edge.ok() ? "" : qPrintable(edge.error().toString()));
    m_edgePort = *edge;
}

void TransportLimitsTest::cleanupTestCase()
{
    m_edge.reset();
    stopFixture();
}

// ---------------------------------------------------------------------------------------
// 1. Request size limit

void TransportLimitsTest::oversizedContentLengthIsRefusedBeforeTheBodyIsSent()
{
    HttpClient client(m_openPort);
    client.setTimeout(3s);
    // Only the head: a gateway that waited for the 50 MB would never answer.
    const QByteArray head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_openPort)
                            + "\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n";
    const Response response = client.sendRaw(head);
    const QString problem = envelopeProblem(response, 413, u"request_too_large"_s, QJsonValue(QJsonValue::Null));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(response.complete);
    QVERIFY(response.headAt - response.sentAt < 1s);
    QCOMPARE(response.header("connection").toLower(), QByteArrayLiteral("close"));
    QVERIFY2(errorOf(response).value(u"message"_s).toString().contains(u"50000000"_s),
             response.body.constData());
    QVERIFY(client.serverClosed(1s));
}

void TransportLimitsTest::bodySizeAroundTheLimit_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<int>("status");
    const qint64 limit = maxBodyBytes();
    QTest::newRow("well under the limit") << qint64(2000) << 200;
    QTest::newRow("one byte under the limit") << limit - 1 << 200;
    QTest::newRow("exactly the limit") << limit << 200;
    QTest::newRow("one byte over the limit") << limit + 1 << 413;
    QTest::newRow("twice the limit") << 2 * limit << 413;
}

void TransportLimitsTest::bodySizeAroundTheLimit()
{
    QFETCH(qint64, size);
    QFETCH(int, status);
    QCOMPARE(maxBodyBytes(), qint64(10485));  // 0.01 MB, as the gateway computes it

    HttpClient client(m_openPort);
    client.setTimeout(5s);
    const QByteArray body = chatBody(u"mock-a"_s, false, size);
    QCOMPARE(body.size(), size);
    const Response response = client.post("/v1/chat/completions", body);
    if (status == 413) {
        const QString problem = envelopeProblem(response, 413, u"request_too_large"_s);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(response.header("connection").toLower(), QByteArrayLiteral("close"));
        QVERIFY(client.serverClosed(1s));
    } else {
        QVERIFY2(response.status == status, response.body.left(300).constData());
        QCOMPARE(response.json().value(u"object"_s).toString(), u"chat.completion"_s);
    }
}

void TransportLimitsTest::chunkedUploadOverTheLimitIsRefused()
{
    HttpClient client(m_openPort);
    client.setTimeout(5s);
    const qint64 total = maxBodyBytes() + 4096;
    QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_openPort)
                         + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const QByteArray body = chatBody(u"mock-a"_s, false, total);
    for (qsizetype at = 0; at < body.size(); at += 4000) {
        const QByteArray piece = body.mid(at, 4000);
        request += QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
    }
    request += "0\r\n\r\n";
    const Response response = client.sendRaw(request);
    const QString problem = envelopeProblem(response, 413, u"request_too_large"_s);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void TransportLimitsTest::chunkedUploadUnderTheLimitIsServed()
{
    // The control for the test above: chunked bodies are decoded and served.
    HttpClient client(m_openPort);
    client.setTimeout(5s);
    QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_openPort)
                         + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const QByteArray body = chatBody(u"mock-a"_s, false, 3000);
    for (qsizetype at = 0; at < body.size(); at += 1000) {
        const QByteArray piece = body.mid(at, 1000);
        request += QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
    }
    request += "0\r\n\r\n";
    const Response response = client.sendRaw(request);
    QVERIFY2(response.status == 200, response.body.left(300).constData());
    QCOMPARE(response.json().value(u"object"_s).toString(), u"chat.completion"_s);
}

void TransportLimitsTest::oversizedContentLengthInAHeadSplitOverTwoWritesIsRefusedEarly()
{
    // A client (or a proxy in between) may deliver the head in two TCP segments. The
    // Content-Length still announces 50 MB the gateway will not take: it must answer 413
    // without waiting for the body.
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    QVERIFY(writeAll(*socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:"
                                  + QByteArray::number(m_openPort) + "\r\nContent-Length: 50000000\r\n"));
    QThread::msleep(100);
    QVERIFY(writeAll(*socket, "Content-Type: application/json\r\n\r\n"));
    const RawRead read = readFor(*socket, 2s, [](const QByteArray &bytes) { return bytes.contains("\r\n\r\n"); });
    QCOMPARE(statusLines(read.bytes).value(0), 413);
}

void TransportLimitsTest::chunkedUploadFarOverTheLimitIsRefusedBeforeItEnds()
{
    // A chunked upload has no Content-Length to check, but once more than the limit has
    // arrived the answer is known: the gateway must not buffer an unbounded body first.
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    QVERIFY(writeAll(*socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:"
                                  + QByteArray::number(m_openPort)
                                  + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const QByteArray piece(16 * 1024, 'x');
    const QByteArray chunk = QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
    // 64 × 16 KB = 1 MB (100 × the limit), and no terminating chunk.
    for (int i = 0; i < 64 && socket->state() == QAbstractSocket::ConnectedState; ++i) {
        socket->write(chunk);
        socket->waitForBytesWritten(200);
    }
    const RawRead read = readFor(*socket, 1500ms, [](const QByteArray &bytes) { return bytes.contains("\r\n\r\n"); });
    QCOMPARE(statusLines(read.bytes).value(0), 413);
}

// ---------------------------------------------------------------------------------------
// 4. Keep-alive

void TransportLimitsTest::severalRequestsShareOneConnection()
{
    HttpClient client(m_openPort);
    const QList<QByteArray> paths{"/health/liveliness", "/v1/models", "/models", "/v1/model/info",
                                  "/health/liveliness"};
    for (const QByteArray &path : paths) {
        const Response response = client.get(path);
        QVERIFY2(response.status == 200, path.constData());
        QVERIFY(response.complete);
        QVERIFY(response.header("connection").toLower() != "close");
    }
    const Response completion = client.post("/v1/chat/completions", chatBody(u"mock-a"_s));
    QCOMPARE(completion.status, 200);
    const Response stream = client.post("/v1/chat/completions", chatBody(u"mock-a"_s, true));
    QCOMPARE(stream.status, 200);
    QVERIFY(stream.complete);
    QCOMPARE(client.get("/health/liveliness").status, 200);
    QCOMPARE(client.connectionsOpened(), 1);
    QVERIFY(!client.serverClosed(100ms));
}

void TransportLimitsTest::connectionCloseHeaderClosesAfterTheAnswer()
{
    HttpClient client(m_openPort);
    QCOMPARE(client.get("/health/liveliness").status, 200);
    const Response response = client.get("/v1/models", {{"Connection", "close"}});
    QCOMPARE(response.status, 200);
    QVERIFY(response.complete);
    QCOMPARE(response.header("connection").toLower(), QByteArrayLiteral("close"));
    QCOMPARE(response.json().value(u"object"_s).toString(), u"list"_s);
    QVERIFY(client.serverClosed(1s));
    QCOMPARE(client.connectionsOpened(), 1);
    // Also for an error answer.
    HttpClient other(m_openPort);
    const Response error = other.get("/nope", {{"Connection", "close"}});
    QCOMPARE(error.status, 404);
    QCOMPARE(error.header("connection").toLower(), QByteArrayLiteral("close"));
    QVERIFY(other.serverClosed(1s));
}

void TransportLimitsTest::http10RequestIsAnsweredThenClosed()
{
    HttpClient client(m_openPort);
    const Response response = client.sendRaw("GET /health/liveliness HTTP/1.0\r\n\r\n");
    QCOMPARE(response.status, 200);
    QVERIFY(response.complete);
    QCOMPARE(response.body, QByteArrayLiteral("\"I'm alive!\""));
    QCOMPARE(response.header("connection").toLower(), QByteArrayLiteral("close"));
    QVERIFY(client.serverClosed(1s));
}

// ---------------------------------------------------------------------------------------
// 5. Idle timeout

void TransportLimitsTest::idleConnectionIsClosedAfterTheIdleTimeout()
{
    HttpClient client(m_idlePort);
    const Response response = client.get("/health/liveliness");
    QCOMPARE(response.status, 200);
    QElapsedTimer silence;
    silence.start();
    QVERIFY2(!client.serverClosed(IdleTimeout / 3), "closed long before the idle timeout");
    QVERIFY2(client.serverClosed(2 * IdleTimeout), "still open after twice the idle timeout");
    QVERIFY2(silence.elapsed() >= IdleTimeout.count() * 3 / 4, qPrintable(QString::number(silence.elapsed())));

    // The gateway that keeps connections for 30 s does not close one this soon.
    HttpClient patient(m_openPort);
    QCOMPARE(patient.get("/health/liveliness").status, 200);
    QVERIFY(!patient.serverClosed(2 * IdleTimeout));
}

void TransportLimitsTest::busyConnectionIsNotClosedByTheIdleTimeout()
{
    HttpClient client(m_idlePort);
    // Requests closer together than the idle timeout, for three idle timeouts in all.
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 3 * IdleTimeout.count()) {
        const Response response = client.get("/health/liveliness");
        QCOMPARE(response.status, 200);
        QThread::msleep(IdleTimeout.count() / 3);
    }
    QCOMPARE(client.connectionsOpened(), 1);
    // A request that is being answered for longer than the idle timeout keeps its connection.
    const Response slow = client.post("/v1/chat/completions", chatBody(u"slow"_s));
    QVERIFY2(slow.status == 200, slow.body.left(300).constData());
    QVERIFY(slow.doneAt - slow.sentAt >= SlowLatency - 50ms);
    QCOMPARE(client.connectionsOpened(), 1);
    QCOMPARE(client.get("/health/liveliness").status, 200);
    QCOMPARE(client.connectionsOpened(), 1);
    // Silent after all that: closed one idle timeout after its last answer, not sooner.
    QElapsedTimer silence;
    silence.start();
    QVERIFY2(client.serverClosed(2 * IdleTimeout), "still open after twice the idle timeout");
    QVERIFY2(silence.elapsed() >= IdleTimeout.count() * 3 / 4, qPrintable(QString::number(silence.elapsed())));
}

// ---------------------------------------------------------------------------------------
// 6. Pipelining

void TransportLimitsTest::pipelinedRequestsAreAnsweredInOrder_data()
{
    QTest::addColumn<QByteArray>("first");
    QTest::addColumn<QByteArray>("second");
    QTest::addColumn<QByteArray>("firstMarker");  // found in the first answer's body
    QTest::addColumn<QByteArray>("secondMarker");

    const QByteArray slowBody = chatBody(u"slow"_s);
    QTest::newRow("GET models, GET liveliness")
        << QByteArrayLiteral("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
        << QByteArrayLiteral("GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n")
        << QByteArrayLiteral("\"object\":\"list\"") << QByteArrayLiteral("I'm alive!");
    QTest::newRow("GET liveliness, GET model info")
        << QByteArrayLiteral("GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n")
        << QByteArrayLiteral("GET /v1/model/info HTTP/1.1\r\nHost: localhost\r\n\r\n")
        << QByteArrayLiteral("I'm alive!") << QByteArrayLiteral("\"model_name\"");
    // The first answer needs the (slow) provider; the second could be answered at once.
    QTest::newRow("slow POST, GET liveliness")
        << QByteArray("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      "Content-Length: " + QByteArray::number(slowBody.size()) + "\r\n\r\n" + slowBody)
        << QByteArrayLiteral("GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n")
        << QByteArrayLiteral("\"chat.completion\"") << QByteArrayLiteral("I'm alive!");
}

void TransportLimitsTest::pipelinedRequestsAreAnsweredInOrder()
{
    QFETCH(QByteArray, first);
    QFETCH(QByteArray, second);
    QFETCH(QByteArray, firstMarker);
    QFETCH(QByteArray, secondMarker);
    HttpClient client(m_openPort);
    client.setTimeout(4s);
    const Response one = client.sendRaw(first + second);
    QVERIFY2(one.status == 200, qPrintable(one.error + u' ' + QString::fromUtf8(one.body.left(200))));
    QVERIFY2(one.body.contains(firstMarker), one.body.left(300).constData());
    const Response two = client.readResponse();
    QVERIFY2(two.status == 200, qPrintable(two.error + u' ' + QString::fromUtf8(two.body.left(200))));
    QVERIFY2(two.body.contains(secondMarker), two.body.left(300).constData());
    // Nothing more, and the connection is still usable.
    QCOMPARE(client.get("/health/liveliness").status, 200);
    QCOMPARE(client.connectionsOpened(), 1);
}

void TransportLimitsTest::pipelinedRequestAfterConnectionCloseIsNotAnswered()
{
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    QVERIFY(writeAll(*socket, "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                              "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const RawRead read = readFor(*socket, 2s);
    QVERIFY2(read.closed, read.bytes.constData());
    QCOMPARE(statusLines(read.bytes), QList<int>{200});
    QVERIFY(read.bytes.endsWith("\"I'm alive!\""));
}

void TransportLimitsTest::oversizedRequestPipelinedBehindASlowOneIsAnsweredInOrder()
{
    // A slow call is in flight when the next request on the connection announces a body
    // over the limit: the 413 belongs after the first answer, not before it.
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    const QByteArray slowBody = chatBody(u"slow"_s);
    QVERIFY(writeAll(*socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + QByteArray::number(slowBody.size()) + "\r\n\r\n" + slowBody));
    QThread::msleep(150);  // the first request has been dispatched to the provider
    QVERIFY(writeAll(*socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Length: 50000000\r\n\r\n"));
    const RawRead read = readFor(*socket, SlowLatency + 1500ms, [](const QByteArray &bytes) {
        return statusLines(bytes).size() >= 2;
    });
    const QList<int> statuses = statusLines(read.bytes);
    QVERIFY2(statuses == (QList<int>{200, 413}), read.bytes.left(600).constData());
}

// ---------------------------------------------------------------------------------------
// 10. Garbage

void TransportLimitsTest::garbageOnTheSocketDoesNotBreakTheGateway_data()
{
    QTest::addColumn<QByteArray>("garbage");
    // The request parser is lenient about a few things; those may be answered normally.
    QTest::addColumn<bool>("mayBeServed");
    // Bytes that can never become a request: the connection is closed at once, not left
    // open until the idle timeout.
    QTest::addColumn<bool>("closes");
    QTest::newRow("NOT HTTP") << QByteArrayLiteral("NOT HTTP\r\n\r\n") << false << true;
    QTest::newRow("binary") << QByteArray("\x00\x01\x02\xff\xfe\r\n\r\n\x16\x03\x01", 12) << false << true;
    QTest::newRow("TLS client hello") << QByteArray("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) << false << false;
    QTest::newRow("bad Content-Length") << QByteArrayLiteral("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                                                             "Content-Length: abc\r\n\r\n{}") << false << false;
    QTest::newRow("negative Content-Length") << QByteArrayLiteral("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                                                                  "Content-Length: -5\r\n\r\n{}") << false << false;
    QTest::newRow("bad chunk size") << QByteArrayLiteral("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                                                         "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
                                    << false << true;
    QTest::newRow("header without colon") << QByteArrayLiteral("GET /v1/models HTTP/1.1\r\nHost localhost\r\n\r\n")
                                          << true << false;
    QTest::newRow("HTTP/9.9") << QByteArrayLiteral("GET /health/liveliness HTTP/9.9\r\n\r\n") << true << false;
    QTest::newRow("half a request line") << QByteArrayLiteral("GET /v1/mod") << false << false;
    QTest::newRow("after a good request")
        << QByteArrayLiteral("GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n\x01\x02 NOT HTTP\r\n\r\n")
        << true << true;
}

void TransportLimitsTest::garbageOnTheSocketDoesNotBreakTheGateway()
{
    QFETCH(QByteArray, garbage);
    QFETCH(bool, mayBeServed);
    QFETCH(bool, closes);
    {
        auto socket = connectRaw(m_openPort);
        QVERIFY(socket);
        QVERIFY(writeAll(*socket, garbage));
        const RawRead read = readFor(*socket, closes ? 1000ms : 300ms);
        const QList<int> statuses = statusLines(read.bytes);
        // Whatever came back is an HTTP answer; garbage never gets a success.
        if (!mayBeServed) {
            for (const int status : statuses)
                QVERIFY2(status >= 400 && status < 500, read.bytes.constData());
        }
        if (QTest::currentDataTag() == QByteArrayLiteral("after a good request"))
            QCOMPARE(statuses.value(0), 200);
        if (closes)
            QVERIFY2(read.closed, read.bytes.constData());
    }
    // The gateway still serves new connections, also after the same garbage again.
    for (int round = 0; round < 2; ++round) {
        HttpClient client(m_openPort);
        client.setTimeout(3s);
        const Response response = client.get("/health/liveliness");
        QCOMPARE(response.status, 200);
        QCOMPARE(client.post("/v1/chat/completions", chatBody(u"mock-a"_s)).status, 200);
        auto again = connectRaw(m_openPort);
        QVERIFY(again);
        QVERIFY(writeAll(*again, garbage));
        again->abort();
    }
}

// ---------------------------------------------------------------------------------------
// 11. Shutdown

void TransportLimitsTest::stopReturnsPromptlyWithIdleKeepAliveConnections()
{
    GatewayHost host;
    Gateway::Options options = gatewayOptions();
    options.shutdownGrace = 5s;  // must not be waited for: nothing is in flight
    auto started = host.start(makeConfig({}), nullptr, options);
    QVERIFY2(started.ok(), started.ok() ? "" : qPrintable(started.error().toString()));
    const quint16 port = *started;

    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<HttpClient>(port));
        const Response response = i % 2 ? clients.back()->post("/v1/chat/completions", chatBody(u"mock-a"_s))
                                        : clients.back()->get("/v1/models");
        QCOMPARE(response.status, 200);
        QVERIFY(!clients.back()->serverClosed(0ms));
    }

    QElapsedTimer timer;
    timer.start();
    host.stop();
    QVERIFY2(timer.elapsed() < 1000, qPrintable(u"stop() took %1 ms"_s.arg(timer.elapsed())));
    QVERIFY(!host.isRunning());
    for (const auto &client : clients)
        QVERIFY(client->serverClosed(1s));

    HttpClient late(port);
    late.setTimeout(1s);
    const Response refused = late.get("/health/liveliness");
    QCOMPARE(refused.status, 0);
    QVERIFY(!refused.error.isEmpty());
}

// ---------------------------------------------------------------------------------------
// 12. A bounded edge

void TransportLimitsTest::oversizedHeadIsRefused_data()
{
    QTest::addColumn<QByteArray>("head");
    const QByteArray start = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n";
    QByteArray manyHeaders;
    for (int i = 0; i < 10'000; ++i)
        manyHeaders += "X-" + QByteArray::number(i) + ": 1\r\n";
    QByteArray manyShortHeaders;  // under 16 KiB in all, but more than 100 lines
    for (int i = 0; i < 150; ++i)
        manyShortHeaders += "X-" + QByteArray::number(i) + ": 1\r\n";
    QTest::newRow("1 MB header") << start + "X-Big: " + QByteArray(1024 * 1024, 'a') + "\r\n\r\n";
    QTest::newRow("10,000 headers") << start + manyHeaders + "\r\n";
    QTest::newRow("150 short headers") << start + manyShortHeaders + "\r\n";
    // Bare LF line endings: the parser accepts them, so the limit must see them too.
    QTest::newRow("LF-only head over the limit")
        << QByteArray("POST /v1/chat/completions HTTP/1.1\nHost: localhost\nX-Big: " + QByteArray(20'000, 'b') + "\n\n");
    QTest::newRow("LF-only, many headers")
        << QByteArray("GET /health/liveliness HTTP/1.1\n" + QByteArray(manyHeaders).replace("\r\n", "\n") + "\n");
    QTest::newRow("request line over the limit")
        << QByteArray("GET /health/liveliness?" + QByteArray(20'000, 'q') + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QTest::newRow("head never ends") << start + QByteArray(64 * 1024, 'x');
}

void TransportLimitsTest::oversizedHeadIsRefused()
{
    QFETCH(QByteArray, head);
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    socket->write(head);  // the gateway may stop reading before the end: no waiting for it
    socket->flush();
    const RawRead read = readFor(*socket, 3s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 1; });
    QVERIFY2(statusLines(read.bytes) == QList<int>{431}, read.bytes.left(400).constData());
    QVERIFY2(read.bytes.contains("request_header_fields_too_large"), read.bytes.left(400).constData());
    QVERIFY(read.bytes.toLower().contains("connection: close"));
    const RawRead rest = readFor(*socket, 3s);
    QVERIFY2(rest.closed, "the connection stays open after a 431");
    checkServedMeanwhile(m_openPort);
}

void TransportLimitsTest::headWithBareLineFeedsIsServed()
{
    // The control for the LF-only rows above: a small LF-only head is a request like any other,
    // also pipelined behind a CRLF one.
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    QVERIFY(writeAll(*socket, "GET /health/liveliness HTTP/1.1\nHost: localhost\n\n"
                              "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n"
                              "GET /health/liveliness HTTP/1.1\nHost: localhost\nConnection: close\n\n"));
    const RawRead read = readFor(*socket, 3s);
    QVERIFY2(statusLines(read.bytes) == (QList<int>{200, 200, 200}), read.bytes.constData());
}

void TransportLimitsTest::oversizedHeadPipelinedBehindAGoodRequestIsRefusedInOrder()
{
    // In one write: the parser stops after the first request, the guard must still see the
    // second one's head before the parser reads it.
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    socket->write("GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\nX-Big: " + QByteArray(40'000, 'c') + "\r\n\r\n");
    socket->flush();
    const RawRead read = readFor(*socket, 3s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 2; });
    QVERIFY2(statusLines(read.bytes) == (QList<int>{200, 431}), read.bytes.left(600).constData());
    checkServedMeanwhile(m_openPort);
}

void TransportLimitsTest::requestsPipelinedBehindAChunkedOneAreFramedAgain()
{
    // Where a chunked body ends only the parser knows: the guard frames what follows again
    // from there, so a good request behind it is served and an oversized one refused.
    const QByteArray body = chatBody(u"mock-a"_s);
    QByteArray chunked = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n";
    for (qsizetype at = 0; at < body.size(); at += 20)
        chunked += QByteArray::number(body.mid(at, 20).size(), 16) + "\r\n" + body.mid(at, 20) + "\r\n";
    chunked += "0\r\n\r\n";
    const QByteArray good = "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const QByteArray big = "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\nX-Big: " + QByteArray(20'000, 'd') + "\r\n\r\n";
    {
        auto socket = connectRaw(m_openPort);
        QVERIFY(socket);
        QVERIFY(writeAll(*socket, chunked + good + chunked + good));
        const RawRead read = readFor(*socket, 3s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 4; });
        QVERIFY2(statusLines(read.bytes) == (QList<int>{200, 200, 200, 200}), read.bytes.right(600).constData());
    }
    {
        auto socket = connectRaw(m_openPort);
        QVERIFY(socket);
        socket->write(chunked + big);
        socket->flush();
        const RawRead read = readFor(*socket, 3s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 2; });
        QVERIFY2(statusLines(read.bytes) == (QList<int>{200, 431}), read.bytes.right(600).constData());
    }
}

void TransportLimitsTest::slowHeadTimesOut()
{
    // A slowloris: a header line now and then, each well inside the idle timeout. The head
    // must be complete within the head timeout of its first byte.
    auto socket = connectRaw(m_edgePort);
    QVERIFY(socket);
    QVERIFY(writeAll(*socket, "GET /health/liveliness HTTP/1.1\r\n"));
    RawRead read;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; timer.elapsed() < 10 * EdgeHeadTimeout.count() && !read.closed && read.bytes.isEmpty(); ++i) {
        socket->write("X-Drip-" + QByteArray::number(i) + ": 1\r\n");
        socket->flush();
        const RawRead piece = readFor(*socket, EdgeHeadTimeout / 6);
        read.bytes += piece.bytes;
        read.closed = piece.closed;
    }
    read.bytes += readFor(*socket, 1s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 1; }).bytes;
    QVERIFY2(statusLines(read.bytes) == QList<int>{408}, read.bytes.constData());
    QVERIFY(read.bytes.contains("request_timeout"));
    QVERIFY2(readFor(*socket, 3s).closed, "the connection stays open after a 408");
    checkServedMeanwhile(m_edgePort);
}

// The head deadline of a kept-alive connection's later request counts from that request's first
// byte: not cut short by the deadlines its earlier requests set, nor carried past.
void TransportLimitsTest::slowHeadAfterAnsweredRequestsTimesOutOnTime()
{
    auto socket = connectRaw(m_edgePort);
    QVERIFY(socket);
    const QByteArray get = "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (int i = 0; i < 2; ++i) {
        QVERIFY(writeAll(*socket, get));
        const RawRead answered = readFor(*socket, 2s, [](const QByteArray &bytes) {
            const qsizetype headEnd = bytes.indexOf("\r\n\r\n");
            const qsizetype at = bytes.toLower().indexOf("content-length:");
            return headEnd >= 0 && at >= 0
                   && bytes.size() >= headEnd + 4 + bytes.mid(at + 15, bytes.indexOf('\r', at) - at - 15).trimmed().toLongLong();
        });
        QVERIFY2(statusLines(answered.bytes) == QList<int>{200}, answered.bytes.constData());
        QTest::qWait(int(EdgeHeadTimeout.count() / 3));
    }
    QVERIFY(writeAll(*socket, "GET /health/liveliness HTTP/1.1\r\n"));
    QElapsedTimer sinceFirstByte;
    sinceFirstByte.start();
    const RawRead read = readFor(*socket, 10 * EdgeHeadTimeout, [](const QByteArray &bytes) {
        return statusLines(bytes).size() >= 1;
    });
    const qint64 elapsed = sinceFirstByte.elapsed();
    QVERIFY2(statusLines(read.bytes) == QList<int>{408}, read.bytes.constData());
    QVERIFY2(elapsed >= EdgeHeadTimeout.count() * 3 / 4, qPrintable(QString::number(elapsed)));
    QVERIFY2(elapsed < 5 * EdgeHeadTimeout.count(), qPrintable(QString::number(elapsed)));
}

void TransportLimitsTest::stalledBodyTimesOut()
{
    auto socket = connectRaw(m_edgePort);
    QVERIFY(socket);
    const QByteArray body = chatBody(u"mock-a"_s, false, 5000);
    QVERIFY(writeAll(*socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body.left(100)));
    // Then a byte now and then: far less than the body must bring per window.
    RawRead read;
    QElapsedTimer timer;
    timer.start();
    for (qsizetype at = 100; timer.elapsed() < 10 * EdgeBodyWindow.count() && read.bytes.isEmpty() && !read.closed; ++at) {
        socket->write(body.mid(at, 1));
        socket->flush();
        const RawRead piece = readFor(*socket, EdgeBodyWindow / 6);
        read.bytes += piece.bytes;
        read.closed = piece.closed;
    }
    read.bytes += readFor(*socket, 1s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 1; }).bytes;
    QVERIFY2(statusLines(read.bytes) == QList<int>{408}, read.bytes.constData());
    QVERIFY(read.bytes.contains("stalled"));
    QVERIFY2(readFor(*socket, 3s).closed, "the connection stays open after a 408");
    checkServedMeanwhile(m_edgePort);
}

void TransportLimitsTest::slowButMovingBodyIsServed()
{
    // The control for the test above: a body that brings its bytes (or its rest) in every
    // window is waited for, however long it takes in all.
    auto socket = connectRaw(m_edgePort);
    QVERIFY(socket);
    const QByteArray body = chatBody(u"mock-a"_s, false, 4000);
    QVERIFY(writeAll(*socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n"));
    for (qsizetype at = 0; at < body.size(); at += 1500) {
        QVERIFY(writeAll(*socket, body.mid(at, 1500)));
        QThread::msleep(EdgeBodyWindow.count() / 2);
    }
    const RawRead read = readFor(*socket, 3s, [](const QByteArray &bytes) { return statusLines(bytes).size() >= 1; });
    QVERIFY2(statusLines(read.bytes) == QList<int>{200}, read.bytes.left(400).constData());
}

void TransportLimitsTest::connectionsOverTheCapAreClosedAtOnce()
{
    constexpr int Cap = 4;
    GatewayHost host;
    Gateway::Options options = edgeOptions();
    options.edgeLimits.maxConnections = Cap;
    auto started = host.start(makeConfig({}), nullptr, options);
    QVERIFY2(started.ok(), started.ok() ? "" : qPrintable(started.error().toString()));
    const quint16 port = *started;

    std::vector<std::unique_ptr<HttpClient>> held;
    for (int i = 0; i < Cap; ++i) {
        held.push_back(std::make_unique<HttpClient>(port));
        QCOMPARE(held.back()->get("/health/liveliness").status, 200);  // accepted and kept alive
    }
    for (int i = 0; i < 3; ++i) {
        auto extra = connectRaw(port);
        QVERIFY(extra);  // the kernel accepts; the gateway closes it at once
        writeAll(*extra, "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const RawRead read = readFor(*extra, 2s);
        QVERIFY2(read.closed && read.bytes.isEmpty(), read.bytes.constData());
    }
    // The held connections are still served.
    QCOMPARE(held.front()->get("/health/liveliness").status, 200);
    // A freed place is taken by the next connection.
    held.pop_back();
    Response response;
    for (int attempt = 0; attempt < 20 && response.status != 200; ++attempt) {
        HttpClient client(port);
        client.setTimeout(1s);
        response = client.get("/health/liveliness");
        if (response.status != 200)
            QThread::msleep(50);
    }
    QCOMPARE(response.status, 200);
}

void TransportLimitsTest::pipelinedRequestsOverTheCapAreRefused()
{
    // A slow call holds the connection; the requests written behind it queue up to the cap,
    // the next one is refused (after the answers owed) and the connection closed.
    auto socket = connectRaw(m_edgePort);
    QVERIFY(socket);
    const QByteArray slowBody = chatBody(u"slow"_s);
    QByteArray bytes = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                       "Content-Length: " + QByteArray::number(slowBody.size()) + "\r\n\r\n" + slowBody;
    QVERIFY(writeAll(*socket, bytes));
    QThread::msleep(100);  // the slow call is in flight
    QByteArray more;
    for (int i = 0; i < EdgeMaxPipelined + 3; ++i)
        more += "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n";
    QVERIFY(writeAll(*socket, more));
    const RawRead read = readFor(*socket, SlowLatency + 3s);
    QList<int> expected{200};
    for (int i = 0; i < EdgeMaxPipelined; ++i)
        expected.append(200);
    expected.append(429);
    QVERIFY2(statusLines(read.bytes) == expected, read.bytes.right(800).constData());
    QVERIFY(read.closed);
    checkServedMeanwhile(m_edgePort);
}

void TransportLimitsTest::pipelinedBodiesOverTheLimitTogetherAreRefused()
{
    // Each body is under the size limit, the two waiting behind a slow call are not.
    auto socket = connectRaw(m_edgePort);
    QVERIFY(socket);
    const auto post = [](const QByteArray &body) -> QByteArray {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
               "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    };
    QVERIFY(writeAll(*socket, post(chatBody(u"slow"_s))));
    QThread::msleep(100);  // the slow call is in flight
    const QByteArray half = chatBody(u"mock-a"_s, false, maxBodyBytes() * 6 / 10);
    QVERIFY(writeAll(*socket, post(half) + post(half)));
    const RawRead read = readFor(*socket, SlowLatency + 3s);
    QVERIFY2(statusLines(read.bytes) == (QList<int>{200, 200, 429}), read.bytes.right(800).constData());
    QVERIFY(read.closed);
}

void TransportLimitsTest::ambiguousFramingIsRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    const QByteArray start = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
    QTest::newRow("Content-Length and Transfer-Encoding")
        << start + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    QTest::newRow("two different Content-Lengths") << start + "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}";
    QTest::newRow("negative Content-Length") << start + "Content-Length: -5\r\n\r\n{}";
    QTest::newRow("garbage Content-Length") << start + "Content-Length: 12abc\r\n\r\n{}";
    QTest::newRow("huge Content-Length") << start + "Content-Length: 99999999999999999999999\r\n\r\n{}";
    QTest::newRow("other Transfer-Encoding") << start + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n";
    QTest::newRow("space before the colon") << start + "Content-Length : 2\r\n\r\n{}";
    QTest::newRow("folded header") << start + "Content-Length: 2\r\n x\r\n\r\n{}";
    const QByteArray chunked = start + "Transfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("chunk without CRLF after its data") << chunked + "2\r\n{}XX\r\n0\r\n\r\n";
    QTest::newRow("chunk size with a bare LF") << chunked + "2\n{}\r\n0\r\n\r\n";
    QTest::newRow("chunk size not hexadecimal") << chunked + "-2\r\n{}\r\n0\r\n\r\n";
    QTest::newRow("trailer after the last chunk") << chunked + "2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n";
}

void TransportLimitsTest::ambiguousFramingIsRefused()
{
    QFETCH(QByteArray, request);
    auto socket = connectRaw(m_openPort);
    QVERIFY(socket);
    // A second request smuggled behind: it must never be answered.
    QVERIFY(writeAll(*socket, request + "GET /health/liveliness HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const RawRead read = readFor(*socket, 3s);
    QVERIFY2(statusLines(read.bytes) == QList<int>{400}, read.bytes.constData());
    QVERIFY(read.closed);
    checkServedMeanwhile(m_openPort);
}

QTEST_GUILESS_MAIN(TransportLimitsTest)
#include "tst_transport_limits.moc"
