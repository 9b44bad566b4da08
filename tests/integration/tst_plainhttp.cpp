// The plain-http engine of UpstreamClient against a provider that answers with scripted bytes
// over real loopback TCP, in pieces as small as one byte: what goes on the wire, every framing
// of an answer, connection reuse, malformed answers, and the one retry of a kept-alive
// connection the provider closed. (tst_upstreamclient runs the client's whole contract with
// this engine and with libcurl.)
#include "proxy/upstream/plainhttp.h"
#include "proxy/upstream/upstreamclient.h"
#include "upstreamtestsupport.h"

#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QUrl>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using Tollgate::PlainHttpTarget;
using Tollgate::UpstreamClient;
using Tollgate::UpstreamRequest;
using Tollgate::UpstreamResult;
using Tollgate::Test::CallLog;
using Tollgate::Test::recordInto;

namespace {

// A provider that answers each whole request it reads with the next scripted answer.
class ScriptedProvider : public QObject
{
public:
    struct Answer
    {
        QByteArray bytes;
        int pieceSize = 0;        // 0: all at once; otherwise written in pieces 2 ms apart
        bool closeAfter = false;  // close the connection once written
        bool drop = false;        // close the connection instead of answering
    };

    ScriptedProvider()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++m_connections;
                socket->setParent(this);
                socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                auto buffer = std::make_shared<QByteArray>();
                connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                    buffer->append(socket->readAll());
                    while (takeRequest(*buffer))
                        answer(socket);
                });
            }
        });
    }

    bool listen(const QHostAddress &address = QHostAddress::LocalHost) { return m_server.listen(address); }
    QByteArray baseUrl() const { return "http://127.0.0.1:" + QByteArray::number(m_server.serverPort()); }
    void queue(const Answer &answer) { m_answers.append(answer); }
    void queue(const QByteArray &bytes, int pieceSize = 0) { m_answers.append({bytes, pieceSize}); }
    [[nodiscard]] int connections() const { return m_connections; }
    [[nodiscard]] const QList<QByteArray> &requests() const { return m_requests; }

private:
    // A whole request (head, and a body of its Content-Length) from the front of `buffer`.
    bool takeRequest(QByteArray &buffer)
    {
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return false;
        qsizetype length = 0;
        for (const QByteArray &line : buffer.first(headEnd).split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        const qsizetype total = headEnd + 4 + length;
        if (buffer.size() < total)
            return false;
        m_requests.append(buffer.first(total));
        buffer.remove(0, total);
        return true;
    }

    void answer(QTcpSocket *socket)
    {
        const Answer answer = m_answers.isEmpty() ? Answer{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}
                                                  : m_answers.takeFirst();
        if (answer.drop) {
            socket->abort();
            return;
        }
        if (answer.pieceSize <= 0) {
            socket->write(answer.bytes);
            socket->flush();
            if (answer.closeAfter)
                socket->disconnectFromHost();
            return;
        }
        auto offset = std::make_shared<qsizetype>(0);
        auto *timer = new QTimer(socket);
        timer->setInterval(2);
        connect(timer, &QTimer::timeout, socket, [socket, timer, answer, offset] {
            socket->write(answer.bytes.mid(*offset, answer.pieceSize));
            socket->flush();
            *offset += answer.pieceSize;
            if (*offset >= answer.bytes.size()) {
                timer->stop();
                timer->deleteLater();
                if (answer.closeAfter)
                    socket->disconnectFromHost();
            }
        });
        timer->start();
    }

    QTcpServer m_server;
    QList<Answer> m_answers;
    QList<QByteArray> m_requests;
    int m_connections = 0;
};

UpstreamRequest post(const QByteArray &url, const QByteArray &body = R"({"model":"m"})")
{
    UpstreamRequest request;
    request.url = url;
    request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-upstream"}};
    request.body = body;
    request.timeout = 10s;
    return request;
}

} // namespace

class TestPlainHttp : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void targets_data();
    void targets();
    void requestOnTheWire();
    void framings_data();
    void framings();
    void malformedAnswers_data();
    void malformedAnswers();
    void closedKeptAliveConnectionIsRetriedOnce();
    void noRetryOnceTheAnswerBegan();
    void proxyVariablesLeaveEveryCallToLibcurl();
    void ipv6Address();

private:
    std::shared_ptr<CallLog> call(UpstreamRequest request)
    {
        auto log = std::make_shared<CallLog>();
        m_client->start(std::move(request), recordInto(log));
        return log;
    }

    std::unique_ptr<ScriptedProvider> m_provider;
    std::unique_ptr<UpstreamClient> m_client;
};

void TestPlainHttp::init()
{
    m_client.reset();  // before the provider: its sockets are the provider's children
    m_provider = std::make_unique<ScriptedProvider>();
    QVERIFY(m_provider->listen());
    m_client = std::make_unique<UpstreamClient>();
}

void TestPlainHttp::targets_data()
{
    QTest::addColumn<QByteArray>("url");
    QTest::addColumn<bool>("plain");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QByteArray>("target");

    QTest::newRow("ipv4 with port") << "http://127.0.0.1:8080/v1/chat/completions"_ba << true << "127.0.0.1"_ba << 8080 << "/v1/chat/completions"_ba;
    QTest::newRow("default port") << "http://10.0.0.5/v1/models"_ba << true << "10.0.0.5"_ba << 80 << "/v1/models"_ba;
    QTest::newRow("ipv6") << "http://[::1]:11434/api"_ba << true << "::1"_ba << 11434 << "/api"_ba;
    QTest::newRow("query kept, fragment not") << "http://127.0.0.1:9/p?api-version=1#x"_ba << true << "127.0.0.1"_ba << 9 << "/p?api-version=1"_ba;
    QTest::newRow("no path") << "http://127.0.0.1:9"_ba << true << "127.0.0.1"_ba << 9 << "/"_ba;
    QTest::newRow("query without path") << "http://127.0.0.1:9?a=b"_ba << true << "127.0.0.1"_ba << 9 << "/?a=b"_ba;
    QTest::newRow("https") << "https://127.0.0.1:8443/v1"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("host name") << "http://localhost:8080/v1"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("user info") << "http://user:pw@127.0.0.1:8080/v1"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("port zero") << "http://127.0.0.1:0/v1"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("port too big") << "http://127.0.0.1:70000/v1"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("empty port") << "http://127.0.0.1:/v1"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("space in path") << "http://127.0.0.1:9/a b"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("newline in path") << "http://127.0.0.1:9/a\r\nX: y"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("not an address") << "http://127.0.0.256:9/"_ba << false << ""_ba << 0 << ""_ba;
    QTest::newRow("unclosed bracket") << "http://[::1:9/"_ba << false << ""_ba << 0 << ""_ba;
}

void TestPlainHttp::targets()
{
    QFETCH(QByteArray, url);
    QFETCH(bool, plain);
    const std::optional<PlainHttpTarget> target = PlainHttpTarget::parse(url);
    QCOMPARE(target.has_value(), plain);
    if (!plain)
        return;
    QTEST(target->host, "host");
    QTEST(int(target->port), "port");
    QTEST(target->target, "target");
}

void TestPlainHttp::requestOnTheWire()
{
    UpstreamRequest request = post(m_provider->baseUrl() + "/v1/chat/completions?api-version=2024-06-01", R"({"a":1})");
    request.headers.append(qMakePair("X-Injected"_ba, "a\r\nEvil: 1"_ba));  // dropped
    request.headers.append(qMakePair("Content-Length"_ba, "999"_ba));       // the client frames the body itself
    request.headers.append(qMakePair("X-Empty"_ba, QByteArray()));
    auto first = call(request);
    QTRY_COMPARE_WITH_TIMEOUT(first->dones, 1, 5000);
    QCOMPARE(first->result.status, UpstreamResult::Status::Ok);

    UpstreamRequest get;
    get.method = "GET";
    get.url = m_provider->baseUrl() + "/v1/models";
    auto second = call(get);
    QTRY_COMPARE_WITH_TIMEOUT(second->dones, 1, 5000);

    QCOMPARE(m_provider->requests().size(), 2);
    const QByteArray port = QByteArray::number(QUrl(QString::fromLatin1(m_provider->baseUrl())).port());
    QCOMPARE(m_provider->requests().at(0),
             "POST /v1/chat/completions?api-version=2024-06-01 HTTP/1.1\r\n"
             "Content-Type: application/json\r\n"
             "Authorization: Bearer sk-upstream\r\n"
             "X-Empty: \r\n"
             "Host: 127.0.0.1:" + port + "\r\n"
             "Content-Length: 7\r\n"
             "\r\n"
             R"({"a":1})");
    QCOMPARE(m_provider->requests().at(1), "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
    QCOMPARE(m_provider->connections(), 1);  // kept alive
    QCOMPARE(m_client->findChildren<QSocketNotifier *>(u"tollgate-plain-http"_s).size(), 2);
}

void TestPlainHttp::framings_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<int>("pieceSize");
    QTest::addColumn<bool>("closeAfter");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("reused");

    const QByteArray chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
    QTest::newRow("length, at once") << "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"_ba << 0 << false << 200 << "hello"_ba << true;
    QTest::newRow("length, byte by byte") << "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"_ba << 1 << false << 200 << "hello"_ba << true;
    QTest::newRow("chunked, at once") << chunked << 0 << false << 200 << "hello world"_ba << true;
    QTest::newRow("chunked, byte by byte") << chunked << 1 << false << 200 << "hello world"_ba << true;
    QTest::newRow("chunked, 7 bytes a piece") << chunked << 7 << false << 200 << "hello world"_ba << true;
    QTest::newRow("until close") << "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"_ba << 4 << true << 200 << "all of it"_ba << false;
    QTest::newRow("100 Continue first") << "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"_ba << 3 << false << 201 << "ok"_ba << true;
    QTest::newRow("204") << "HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n"_ba << 0 << false << 204 << ""_ba << true;
    QTest::newRow("Connection: close") << "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"_ba << 0 << true << 200 << "ok"_ba << false;
    QTest::newRow("HTTP/1.0") << "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"_ba << 0 << false << 200 << "ok"_ba << false;
    QTest::newRow("bare LF") << "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"_ba << 0 << false << 200 << "ok"_ba << true;
    QTest::newRow("error status") << "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\n\r\nslow"_ba << 0 << false << 429 << "slow"_ba << true;
    QTest::newRow("bytes after the end") << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"_ba << 0 << false << 200 << "ok"_ba << false;
}

void TestPlainHttp::framings()
{
    QFETCH(QByteArray, answer);
    QFETCH(int, pieceSize);
    QFETCH(bool, closeAfter);
    QFETCH(QByteArray, body);
    QFETCH(bool, reused);
    m_provider->queue({answer, pieceSize, closeAfter});
    auto log = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->heads, 1);
    QTEST(log->status, "status");
    QCOMPARE(log->body, body);
    QVERIFY(log->headBeforeData);
    if (pieceSize == 1)
        QVERIFY2(log->dataCalls > 1, "the body is delivered as it arrives");

    auto next = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(next->dones, 1, 5000);
    QCOMPARE(next->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(next->body, "ok");
    QCOMPARE(m_provider->connections(), reused ? 1 : 2);
}

void TestPlainHttp::malformedAnswers_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<bool>("closeAfter");
    QTest::addColumn<int>("heads");

    QTest::newRow("no status line") << "SSH-2.0-OpenSSH_9.2\r\n\r\n"_ba << false << 0;
    QTest::newRow("bad Content-Length") << "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n"_ba << false << 0;
    QTest::newRow("two Content-Lengths") << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"_ba << false << 0;
    QTest::newRow("switching protocols") << "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"_ba << false << 0;
    QTest::newRow("head over 64 KiB") << "HTTP/1.1 200 OK\r\nX-Big: " + QByteArray(70'000, 'a') + "\r\n\r\n" << false << 0;
    QTest::newRow("bad chunk size") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"_ba << false << 1;
    QTest::newRow("chunk longer than its size") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n"_ba << false << 1;
    QTest::newRow("cut mid-body") << "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"_ba << true << 1;
    QTest::newRow("cut mid-head") << "HTTP/1.1 200 OK\r\nContent-Le"_ba << true << 0;
}

void TestPlainHttp::malformedAnswers()
{
    QFETCH(QByteArray, answer);
    QFETCH(bool, closeAfter);
    m_provider->queue({answer, 0, closeAfter});
    auto log = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Failed);
    QVERIFY(!log->result.message.isEmpty());
    QTEST(log->heads, "heads");
    QCOMPARE(m_provider->requests().size(), 1);  // a call that got an answer is never sent again

    // The connection is not reused; the next call works.
    auto next = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(next->dones, 1, 5000);
    QCOMPARE(next->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(next->body, "ok");
    QCOMPARE(m_provider->connections(), 2);
}

void TestPlainHttp::closedKeptAliveConnectionIsRetriedOnce()
{
    // The provider closes a kept-alive connection just as the next call goes out on it (the
    // race of every keep-alive client): nothing was answered, so the call goes out once more on
    // a new connection. A new connection that fails the same way is not retried.
    ScriptedProvider::Answer drop;
    drop.drop = true;
    auto first = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(first->dones, 1, 5000);
    QCOMPARE(first->result.status, UpstreamResult::Status::Ok);

    m_provider->queue(drop);
    auto second = call(post(m_provider->baseUrl() + "/v1/chat/completions", R"({"n":2})"));
    QTRY_COMPARE_WITH_TIMEOUT(second->dones, 1, 5000);
    QCOMPARE(second->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(second->body, "ok");
    QCOMPARE(m_provider->requests().size(), 3);
    QCOMPARE(m_provider->requests().at(2), m_provider->requests().at(1));
    QVERIFY(m_provider->requests().at(2).endsWith(R"({"n":2})"));
    QCOMPARE(m_provider->connections(), 2);

    m_provider->queue(drop);
    m_provider->queue(drop);
    auto third = call(post(m_provider->baseUrl() + "/v1/chat/completions", R"({"n":3})"));
    QTRY_COMPARE_WITH_TIMEOUT(third->dones, 1, 5000);
    QCOMPARE(third->result.status, UpstreamResult::Status::Failed);
    QCOMPARE(third->heads, 0);
    QCOMPARE(m_provider->requests().size(), 5);
    QCOMPARE(m_provider->connections(), 3);
}

void TestPlainHttp::noRetryOnceTheAnswerBegan()
{
    auto first = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(first->dones, 1, 5000);
    m_provider->queue({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, true});
    auto second = call(post(m_provider->baseUrl() + "/v1/chat/completions"));
    QTRY_COMPARE_WITH_TIMEOUT(second->dones, 1, 5000);
    QCOMPARE(second->result.status, UpstreamResult::Status::Failed);
    QCOMPARE(second->body, "abc");
    QCOMPARE(m_provider->requests().size(), 2);
    QCOMPARE(m_provider->connections(), 1);
}

void TestPlainHttp::proxyVariablesLeaveEveryCallToLibcurl()
{
    // libcurl honours http_proxy (and no_proxy); the plain engine does not, so a client made
    // while one is set leaves every call to libcurl. no_proxy lets this one reach the provider.
    qputenv("http_proxy", "http://127.0.0.1:9");
    qputenv("no_proxy", "127.0.0.1");
    UpstreamClient proxied;
    qunsetenv("http_proxy");
    qunsetenv("no_proxy");
    auto log = std::make_shared<CallLog>();
    proxied.start(post(m_provider->baseUrl() + "/v1/chat/completions"), recordInto(log));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->body, "ok");
    QVERIFY(!proxied.findChildren<QSocketNotifier *>().isEmpty());
    QCOMPARE(proxied.findChildren<QSocketNotifier *>(u"tollgate-plain-http"_s).size(), 0);
}

void TestPlainHttp::ipv6Address()
{
    ScriptedProvider provider;
    if (!provider.listen(QHostAddress::LocalHostIPv6))
        QSKIP("no IPv6 loopback here");
    provider.queue("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nsix!");
    const QByteArray url = provider.baseUrl().replace("127.0.0.1", "[::1]") + "/v1/chat/completions";
    auto log = call(post(url));
    QTRY_COMPARE_WITH_TIMEOUT(log->dones, 1, 5000);
    QCOMPARE(log->result.status, UpstreamResult::Status::Ok);
    QCOMPARE(log->body, "six!");
    QVERIFY(provider.requests().value(0).contains("\r\nHost: [::1]:"));
    QCOMPARE(m_client->findChildren<QSocketNotifier *>(u"tollgate-plain-http"_s).size(), 2);
}

QTEST_GUILESS_MAIN(TestPlainHttp)
#include "tst_plainhttp.moc"
