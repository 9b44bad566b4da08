// The gateway's HTTP edge over real loopback HTTP: size limits, routing errors, keep-alive,
// idle timeout, pipelining, the Host guard, authentication, the OpenAI routes' answers,
// garbage on the socket and shutdown. The gateways run on threads of their own
// (GatewayHost); this thread blocks on HttpClient or raw QTcpSockets.
#include "models/config.h"
#include "proxy/gateway.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <functional>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using Tollgate::Config;
using Tollgate::Deployment;
using Tollgate::Gateway;
using Tollgate::GatewayHost;
using Tollgate::Provider;
using Tollgate::Test::FakeProvider;
using Tollgate::Test::HttpClient;
using Tollgate::Test::RawHeaders;
using Response = Tollgate::Test::HttpClient::Response;

namespace {

constexpr double MaxRequestSizeMb = 0.01;  // ~10 KB, so the 413 tests stay cheap
constexpr auto IdleTimeout = 400ms;
// The "slow" deployment's provider answers after this long: longer than the idle timeout,
// and long enough that a pipelined request behind it would overtake it if not serialised.
constexpr auto SlowLatency = 700ms;
const QByteArray MasterKey = QByteArrayLiteral("sk-test-master");
const QByteArray UpstreamSecret = QByteArrayLiteral("sk-upstream-secret-do-not-leak");

qint64 maxBodyBytes()
{
    Config config;
    config.general.maxRequestSizeMb = MaxRequestSizeMb;
    return config.maxRequestBytes();
}

Deployment mockDeployment(const QString &modelName, const QString &upstreamModel, const QString &id)
{
    Deployment deployment;
    deployment.modelName = modelName;
    deployment.provider = Provider::Mock;
    deployment.providerName = u"mock"_s;
    deployment.upstreamModel = upstreamModel;
    deployment.id = id;
    deployment.inputCostPerToken = 0.0000025;
    deployment.outputCostPerToken = 0.00001;
    return deployment;
}

// mock-a (one deployment), mock-b (a group of two) and, when a fake provider is given,
// "slow": an openai/ deployment on the fake, which answers after SlowLatency.
Config makeConfig(const QByteArray &fakeBaseUrl, const QString &masterKey = {})
{
    Config config;
    config.sourceFile = u"<tst_transport>"_s;
    config.general.maxRequestSizeMb = MaxRequestSizeMb;
    config.general.masterKey = masterKey;
    config.models.append(mockDeployment(u"mock-a"_s, u"gpt-4o-mini"_s, u"mock-a-1"_s));
    config.models.append(mockDeployment(u"mock-b"_s, u"gpt-4o"_s, u"mock-b-1"_s));
    config.models.append(mockDeployment(u"mock-b"_s, u"gpt-4o"_s, u"mock-b-2"_s));
    if (!fakeBaseUrl.isEmpty()) {
        Deployment slow;
        slow.modelName = u"slow"_s;
        slow.provider = Provider::OpenAI;
        slow.providerName = u"openai"_s;
        slow.upstreamModel = u"gpt-4o"_s;
        slow.apiBase = QString::fromLatin1(fakeBaseUrl);
        slow.apiKey = QString::fromLatin1(UpstreamSecret);
        slow.id = u"slow-1"_s;
        slow.timeoutSeconds = 10;
        slow.inputCostPerToken = 0.0000025;
        slow.outputCostPerToken = 0.00001;
        config.models.append(slow);
    }
    return config;
}

Gateway::Options gatewayOptions(std::chrono::milliseconds idleTimeout = 30'000ms)
{
    Gateway::Options options;
    options.host = QHostAddress(QHostAddress::LocalHost);
    options.port = 0;
    options.idleTimeout = idleTimeout;
    return options;
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// A valid chat request; with padTo > 0 its content is padded so the body is exactly that long.
QByteArray chatBody(const QString &model, bool stream = false, qint64 padTo = 0)
{
    const auto build = [&](const QString &content) {
        QJsonObject body{{u"model"_s, model},
                         {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, content}}}}};
        if (stream)
            body.insert(u"stream"_s, true);
        return compact(body);
    };
    if (padTo <= 0)
        return build(u"Say hello."_s);
    const qint64 base = build(QString()).size();
    Q_ASSERT(padTo >= base);
    QByteArray body = build(QString(qsizetype(padTo - base), u'x'));
    Q_ASSERT(body.size() == padTo);
    return body;
}

// "Name: value\r\n..." (as written in the _data tables) → header list.
RawHeaders parseHeaders(const QByteArray &lines)
{
    RawHeaders headers;
    for (const QByteArray &line : lines.split('\n')) {
        const QByteArray trimmed = line.trimmed();
        const qsizetype colon = trimmed.indexOf(':');
        if (colon > 0)
            headers.append({trimmed.left(colon).trimmed(), trimmed.mid(colon + 1).trimmed()});
    }
    return headers;
}

// Checks the OpenAI error envelope of api.md §1, exactly: {"error": {message, type, param,
// code}} and nothing else, compact JSON. `param` undefined = not checked. Returns what is
// wrong, or an empty string.
QString envelopeProblem(const Response &response, int status, const QString &type,
                        const QJsonValue &param = QJsonValue(QJsonValue::Undefined))
{
    const auto describe = [&] {
        return u" (got %1: %2%3)"_s.arg(response.status)
            .arg(QString::fromUtf8(response.body.left(400)))
            .arg(response.error.isEmpty() ? QString() : u" error: "_s + response.error);
    };
    if (response.status != status)
        return u"status %1 expected"_s.arg(status) + describe();
    if (!response.header("content-type").startsWith("application/json"))
        return u"Content-Type is not application/json"_s + describe();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(response.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return u"body is not a JSON object"_s + describe();
    if (document.toJson(QJsonDocument::Compact) != response.body)
        return u"body is not compact JSON"_s + describe();
    const QJsonObject outer = document.object();
    if (outer.keys() != QStringList{u"error"_s} || !outer.value(u"error"_s).isObject())
        return u"the body must hold exactly one object \"error\""_s + describe();
    const QJsonObject error = outer.value(u"error"_s).toObject();
    QStringList keys = error.keys();
    keys.sort();
    if (keys != QStringList{u"code"_s, u"message"_s, u"param"_s, u"type"_s})
        return u"error keys must be code, message, param, type"_s + describe();
    if (!error.value(u"message"_s).isString() || error.value(u"message"_s).toString().isEmpty())
        return u"message must be a non-empty string"_s + describe();
    if (error.value(u"type"_s) != QJsonValue(type))
        return u"type %1 expected"_s.arg(type) + describe();
    if (error.value(u"code"_s) != QJsonValue(QString::number(status)))
        return u"code \"%1\" (a string) expected"_s.arg(status) + describe();
    if (!error.value(u"param"_s).isNull() && !error.value(u"param"_s).isString())
        return u"param must be a string or null"_s + describe();
    if (!param.isUndefined() && error.value(u"param"_s) != param)
        return u"param %1 expected"_s.arg(param.isNull() ? u"null"_s : param.toString()) + describe();
    return {};
}

QJsonObject errorOf(const Response &response)
{
    return response.json().value(u"error"_s).toObject();
}

// --- raw sockets, for what HttpClient cannot express (split writes, garbage) ---

std::unique_ptr<QTcpSocket> connectRaw(quint16 port)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(QHostAddress(QHostAddress::LocalHost), port);
    if (!socket->waitForConnected(3000))
        return nullptr;
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    return socket;
}

bool writeAll(QTcpSocket &socket, const QByteArray &bytes)
{
    socket.write(bytes);
    while (socket.bytesToWrite() > 0) {
        if (!socket.waitForBytesWritten(3000))
            return false;
    }
    return true;
}

struct RawRead
{
    QByteArray bytes;
    bool closed = false;  // the peer closed the connection
};

// Reads for up to `wait`, stopping early when the peer closes or `enough` says so.
RawRead readFor(QTcpSocket &socket, std::chrono::milliseconds wait,
                const std::function<bool(const QByteArray &)> &enough = {})
{
    RawRead result;
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        result.bytes += socket.readAll();
        if (enough && enough(result.bytes))
            return result;
        if (socket.state() != QAbstractSocket::ConnectedState) {
            result.bytes += socket.readAll();
            result.closed = true;
            return result;
        }
        const qint64 left = wait.count() - timer.elapsed();
        if (left <= 0)
            return result;
        if (!socket.waitForReadyRead(int(left)) && socket.state() != QAbstractSocket::ConnectedState) {
            result.bytes += socket.readAll();
            result.closed = true;
            return result;
        }
    }
}

// Status codes of the responses found in raw bytes, in order ("HTTP/1.1 200 ..." lines that
// start a response: at the beginning or after a blank line / chunked end).
// Status codes of the responses in `bytes`, walking message by message (Content-Length or
// chunked bodies), so a status line right after a body without a newline is found too.
QList<int> statusLines(const QByteArray &bytes)
{
    QList<int> statuses;
    qsizetype at = 0;
    while (at < bytes.size() && bytes.mid(at, 7) == "HTTP/1.") {
        bool ok = false;
        const int status = bytes.mid(at + 9, 3).toInt(&ok);
        if (!ok)
            break;
        statuses.append(status);
        const qsizetype headEnd = bytes.indexOf("\r\n\r\n", at);
        if (headEnd < 0)
            break;
        const QByteArray head = bytes.mid(at, headEnd - at).toLower();
        at = headEnd + 4;
        const qsizetype lengthAt = head.indexOf("\r\ncontent-length:");
        if (lengthAt >= 0) {
            const qsizetype lineEnd = head.indexOf("\r\n", lengthAt + 2);
            at += head.mid(lengthAt + 17, lineEnd < 0 ? -1 : lineEnd - lengthAt - 17).trimmed().toLongLong();
        } else if (head.contains("transfer-encoding: chunked")) {
            const qsizetype last = bytes.indexOf("\r\n0\r\n\r\n", at - 2);
            if (last < 0)
                break;
            at = last + 7;
        }
    }
    return statuses;
}

} // namespace

class TransportTest : public QObject
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
    // 2. routing errors
    void unknownRouteAnswers404Envelope_data();
    void unknownRouteAnswers404Envelope();
    void wrongMethodAnswers405WithAllow_data();
    void wrongMethodAnswers405WithAllow();
    // 3. request validation
    void badCompletionRequestsAnswer400_data();
    void badCompletionRequestsAnswer400();
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
    // 10. garbage
    void garbageOnTheSocketDoesNotBreakTheGateway_data();
    void garbageOnTheSocketDoesNotBreakTheGateway();
    // 11. shutdown
    void stopReturnsPromptlyWithIdleKeepAliveConnections();

private:
    FakeProvider m_fake;
    std::unique_ptr<GatewayHost> m_open;   // no master key, 30 s idle timeout
    std::unique_ptr<GatewayHost> m_keyed;  // master key sk-test-master
    std::unique_ptr<GatewayHost> m_idle;   // idle timeout IdleTimeout
    quint16 m_openPort = 0;
    quint16 m_keyedPort = 0;
    quint16 m_idlePort = 0;
};

void TransportTest::initTestCase()
{
    m_fake.setLatency(SlowLatency);
    QVERIFY(m_fake.start() != 0);

    m_open = std::make_unique<GatewayHost>();
    auto open = m_open->start(makeConfig(m_fake.baseUrl()), nullptr, gatewayOptions());
    QVERIFY2(open.ok(), open.ok() ? "" : qPrintable(open.error().toString()));
    m_openPort = *open;

    m_keyed = std::make_unique<GatewayHost>();
    auto keyed = m_keyed->start(makeConfig({}, QString::fromLatin1(MasterKey)), nullptr, gatewayOptions());
    QVERIFY2(keyed.ok(), keyed.ok() ? "" : qPrintable(keyed.error().toString()));
    m_keyedPort = *keyed;

    m_idle = std::make_unique<GatewayHost>();
    auto idle = m_idle->start(makeConfig(m_fake.baseUrl()), nullptr, gatewayOptions(IdleTimeout));
    QVERIFY2(idle.ok(), idle.ok() ? "" : qPrintable(idle.error().toString()));
    m_idlePort = *idle;

    QVERIFY(m_openPort != 0 && m_keyedPort != 0 && m_idlePort != 0);
    QVERIFY(m_openPort != m_keyedPort && m_keyedPort != m_idlePort);
}

void TransportTest::cleanupTestCase()
{
    // Gateways first: their upstream connections point at the fake.
    m_idle.reset();
    m_keyed.reset();
    m_open.reset();
    m_fake.stop();
}

// ---------------------------------------------------------------------------------------
// 1. Request size limit

void TransportTest::oversizedContentLengthIsRefusedBeforeTheBodyIsSent()
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

void TransportTest::bodySizeAroundTheLimit_data()
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

void TransportTest::bodySizeAroundTheLimit()
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

void TransportTest::chunkedUploadOverTheLimitIsRefused()
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

void TransportTest::chunkedUploadUnderTheLimitIsServed()
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

void TransportTest::oversizedContentLengthInAHeadSplitOverTwoWritesIsRefusedEarly()
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

void TransportTest::chunkedUploadFarOverTheLimitIsRefusedBeforeItEnds()
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
// 4. Keep-alive

void TransportTest::severalRequestsShareOneConnection()
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

void TransportTest::connectionCloseHeaderClosesAfterTheAnswer()
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

void TransportTest::http10RequestIsAnsweredThenClosed()
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

void TransportTest::idleConnectionIsClosedAfterTheIdleTimeout()
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

void TransportTest::busyConnectionIsNotClosedByTheIdleTimeout()
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
}

// ---------------------------------------------------------------------------------------
// 6. Pipelining

void TransportTest::pipelinedRequestsAreAnsweredInOrder_data()
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

void TransportTest::pipelinedRequestsAreAnsweredInOrder()
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

void TransportTest::pipelinedRequestAfterConnectionCloseIsNotAnswered()
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

void TransportTest::oversizedRequestPipelinedBehindASlowOneIsAnsweredInOrder()
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
    QTest::newRow("key without sk-") << QByteArrayLiteral("Authorization: Bearer test-master") << 401;
    QTest::newRow("empty bearer") << QByteArrayLiteral("Authorization: Bearer ") << 401;
    QTest::newRow("wrong api-key") << QByteArrayLiteral("api-key: sk-nope") << 401;
    QTest::newRow("Authorization: Bearer") << QByteArrayLiteral("Authorization: Bearer sk-test-master") << 200;
    QTest::newRow("authorization: bearer (case)") << QByteArrayLiteral("authorization: bearer sk-test-master") << 200;
    QTest::newRow("api-key") << QByteArrayLiteral("api-key: sk-test-master") << 200;
    QTest::newRow("x-api-key") << QByteArrayLiteral("x-api-key: sk-test-master") << 200;
    QTest::newRow("x-litellm-api-key") << QByteArrayLiteral("x-litellm-api-key: sk-test-master") << 200;
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

// ---------------------------------------------------------------------------------------
// 10. Garbage

void TransportTest::garbageOnTheSocketDoesNotBreakTheGateway_data()
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

void TransportTest::garbageOnTheSocketDoesNotBreakTheGateway()
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

void TransportTest::stopReturnsPromptlyWithIdleKeepAliveConnections()
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

QTEST_GUILESS_MAIN(TransportTest)
#include "tst_transport.moc"
