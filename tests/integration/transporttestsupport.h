// Shared by tst_transport and tst_transport_limits.
#pragma once

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

using Tollgate::Config;
using Tollgate::Deployment;
using Tollgate::Gateway;
using Tollgate::GatewayHost;
using Tollgate::Provider;
using Tollgate::Test::FakeProvider;
using Tollgate::Test::HttpClient;
using Tollgate::Test::RawHeaders;
using Response = Tollgate::Test::HttpClient::Response;

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace TransportTestSupport {

constexpr double MaxRequestSizeMb = 0.01;  // ~10 KB, so the 413 tests stay cheap
constexpr auto IdleTimeout = 400ms;
// The "slow" deployment's provider answers after this long: longer than the idle timeout,
// and long enough that a pipelined request behind it would overtake it if not serialised.
constexpr auto SlowLatency = 700ms;
inline const QByteArray MasterKey = QByteArrayLiteral("sk-test-master");
inline const QByteArray UpstreamSecret = QByteArrayLiteral("sk-upstream-secret-do-not-leak");

inline qint64 maxBodyBytes()
{
    Config config;
    config.general.maxRequestSizeMb = MaxRequestSizeMb;
    return config.maxRequestBytes();
}

inline Deployment mockDeployment(const QString &modelName, const QString &upstreamModel, const QString &id)
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
inline Config makeConfig(const QByteArray &fakeBaseUrl, const QString &masterKey = {})
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

inline Gateway::Options gatewayOptions(std::chrono::milliseconds idleTimeout = 30'000ms)
{
    Gateway::Options options;
    options.host = QHostAddress(QHostAddress::LocalHost);
    options.port = 0;
    options.idleTimeout = idleTimeout;
    return options;
}

inline QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// A valid chat request; with padTo > 0 its content is padded so the body is exactly that long.
inline QByteArray chatBody(const QString &model, bool stream = false, qint64 padTo = 0)
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
inline RawHeaders parseHeaders(const QByteArray &lines)
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
inline QString envelopeProblem(const Response &response, int status, const QString &type,
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

inline QJsonObject errorOf(const Response &response)
{
    return response.json().value(u"error"_s).toObject();
}

// --- raw sockets, for what HttpClient cannot express (split writes, garbage) ---

inline std::unique_ptr<QTcpSocket> connectRaw(quint16 port)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(QHostAddress(QHostAddress::LocalHost), port);
    if (!socket->waitForConnected(3000))
        return nullptr;
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    return socket;
}

inline bool writeAll(QTcpSocket &socket, const QByteArray &bytes)
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
inline RawRead readFor(QTcpSocket &socket, std::chrono::milliseconds wait,
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
inline QList<int> statusLines(const QByteArray &bytes)
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



// The fixture the test classes derive from (next to QObject).
class TransportFixture
{
protected:
    FakeProvider m_fake;
    std::unique_ptr<GatewayHost> m_open;   // no master key, 30 s idle timeout
    std::unique_ptr<GatewayHost> m_keyed;  // master key sk-test-master
    std::unique_ptr<GatewayHost> m_idle;   // idle timeout IdleTimeout
    quint16 m_openPort = 0;
    quint16 m_keyedPort = 0;
    quint16 m_idlePort = 0;
    void startFixture();
    void stopFixture();
};


inline void TransportFixture::startFixture()
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

inline void TransportFixture::stopFixture()
{
    // Gateways first: their upstream connections point at the fake.
    m_idle.reset();
    m_keyed.reset();
    m_open.reset();
    m_fake.stop();
}
} // namespace TransportTestSupport
