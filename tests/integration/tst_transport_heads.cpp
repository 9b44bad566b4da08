// What the handler receives from a request head, over real loopback TCP: a whole request in
// one write has its head trimmed for QtHttpServer's parser (the guard reads the headers), one
// that arrives in pieces is parsed by QtHttpServer as sent. Both must give the handler the same
// request, and the parser must still frame the body (Content-Length, chunked).
#include "proxy/httptransport.h"

#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace Tollgate;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;

namespace {

// A blocking client on its own thread (the transport runs on the test's event loop): writes
// `pieces` with a pause between them, then reads until `answers` status lines came or the
// server closed.
struct Client
{
    QList<QByteArray> pieces;
    int answers = 1;
    QByteArray received;     // read by the test once `done`
    std::atomic<bool> done{false};
    std::thread thread;

    ~Client()
    {
        if (thread.joinable())
            thread.join();
    }

    void start(quint16 port)
    {
        thread = std::thread([this, port] {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(port);
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
                ::close(fd);
                done = true;
                return;
            }
            for (qsizetype i = 0; i < pieces.size(); ++i) {
                if (i > 0)
                    std::this_thread::sleep_for(60ms);  // each piece its own readyRead
                ::send(fd, pieces[i].constData(), size_t(pieces[i].size()), MSG_NOSIGNAL);
            }
            timeval timeout{5, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            char buffer[4096];
            while (received.count("HTTP/1.1 200") < answers) {
                const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0)
                    break;
                received.append(buffer, n);
            }
            ::close(fd);
            done = true;
        });
    }
    // The test's event loop runs (the transport answers) while the client reads.
    void join()
    {
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), 8000);
        thread.join();
    }
};

struct Seen
{
    QByteArray method;
    QString path;
    QString query;
    HeaderList headers;
    QByteArray body;

    bool operator==(const Seen &other) const
    {
        return method == other.method && path == other.path && query == other.query && headers == other.headers
               && body == other.body;
    }
};

QByteArray describe(const Seen &seen)
{
    QByteArray text = seen.method + ' ' + seen.path.toUtf8() + " ?" + seen.query.toUtf8() + " {";
    for (const auto &[name, value] : seen.headers)
        text += name + "=[" + value + "] ";
    return text + "} body=[" + seen.body + ']';
}

const QByteArray Continue = QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n");

} // namespace

class TransportHeadsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void wholeAndSplitHeadsReachTheHandlerAlike_data();
    void wholeAndSplitHeadsReachTheHandlerAlike();
    void pipelinedRequestsAreEachTrimmedAndAnswered();
    void expectContinueIsAnsweredBeforeTheBody_data();
    void expectContinueIsAnsweredBeforeTheBody();
    void websocketUpgradeIsRefusedWithAnError();
    void malformedRequestLineIsRefusedWithAnError_data();
    void malformedRequestLineIsRefusedWithAnError();
    void secondHostHeaderIsRefusedWithAnError_data();
    void secondHostHeaderIsRefusedWithAnError();
    void requestsForAnotherHostOrNoneAreRefused_data();
    void requestsForAnotherHostOrNoneAreRefused();

private:
    // Sends a request as `pieces` and waits for the handler to see it and for its answer.
    void roundTrip(const QList<QByteArray> &pieces, Seen *seen);

    std::unique_ptr<HttpTransport> m_transport;
    QList<Seen> m_seen;
    quint16 m_port = 0;
};

void TransportHeadsTest::init()
{
    m_seen.clear();
    m_transport = std::make_unique<HttpTransport>([this](HttpRequest &&request, ResponderPtr responder) {
        m_seen.append({request.method, request.path, request.query.toString(QUrl::FullyEncoded), request.headers,
                       request.body});
        HttpResponse response;
        response.body = QByteArrayLiteral("{}");
        responder->send(std::move(response));
    });
    HttpTransport::Options options;
    options.port = 0;
    const auto port = m_transport->listen(options);
    QVERIFY2(port, qPrintable(port ? QString() : port.error().message));
    m_port = *port;
}

void TransportHeadsTest::cleanup()
{
    m_transport.reset();
}

void TransportHeadsTest::roundTrip(const QList<QByteArray> &pieces, Seen *seen)
{
    const qsizetype before = m_seen.size();
    Client client;
    client.pieces = pieces;
    client.start(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(m_seen.size() > before, 5000);
    client.join();
    QByteArray received = client.received;
    if (received.startsWith(Continue))
        received.remove(0, Continue.size());
    QVERIFY2(received.startsWith("HTTP/1.1 200"), client.received.constData());
    *seen = m_seen.value(before);
}

void TransportHeadsTest::wholeAndSplitHeadsReachTheHandlerAlike_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("trimmed");  // whether the whole request's head is trimmed

    const QByteArray body = R"({"model":"m","messages":[]})";
    const QByteArray length = QByteArray::number(body.size());
    QTest::newRow("post with odd but plain headers")
        << "POST /v1/chat/completions?a=1&b=%2Fx%20y&c=%C3%A9+z HTTP/1.1\r\nHost: localhost:4000\r\n"
           "Authorization:   Bearer sk-test  \r\nX-Empty:\r\nX-Dup: one\r\nx-dup: two\r\nX-Colon: a:b: c\r\n"
           "Content-Type: application/json\tcharset=utf-8\r\nCONTENT-LENGTH: " + length + "\r\n\r\n" + body
        << true;
    QTest::newRow("bare line feeds and spaces in the request line")
        << "PUT   /a%2Fb/%7Euser   HTTP/1.1\nHost: 127.0.0.1\nContent-Length: " + length + "\n\n" + body << true;
    QTest::newRow("a plain path with dot segments and a tilde")
        << "POST /v1/./chat/../chat/completions~x_y-z HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + length
               + "\r\n\r\n" + body
        << true;
    QTest::newRow("a path with other characters")
        << QByteArray("GET /v1/models;v=1/@x:y/!$&'()*+,= HTTP/1.1\r\nHost: localhost\r\n\r\n") << true;
    QTest::newRow("chunked body") << QByteArray("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\n"
                                                "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                                  << true;
    QTest::newRow("http/1.0 get without a body")
        << QByteArray("GET /health/liveliness HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n") << true;
    QTest::newRow("get with a zero length")
        << QByteArray("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n") << true;
    QTest::newRow("a line without a colon: as sent")
        << QByteArray("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nno colon here\r\nX-After: 1\r\n\r\n") << false;
    QTest::newRow("a header name with a space: as sent")
        << QByteArray("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Bad : 1\r\n\r\n") << false;
    QTest::newRow("absolute-form target: as sent")
        << QByteArray("GET http://localhost/v1/models?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n") << false;
    QTest::newRow("a target starting with two slashes: as sent")
        << QByteArray("GET //v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n") << false;
    QTest::newRow("an upgrade that is not a websocket: as sent")
        << QByteArray("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        << false;
    QTest::newRow("expect 100-continue, the body sent at once")
        << "POST /v1/x HTTP/1.1\r\nHost: localhost\r\nExpect: 100-Continue\r\nContent-Length: " + length + "\r\n\r\n"
               + body
        << true;
    QTest::newRow("two expect headers")
        << "POST /v1/x HTTP/1.1\r\nHost: localhost\r\nExpect: a\r\nExpect: b\r\nContent-Length: " + length + "\r\n\r\n"
               + body
        << true;
}

void TransportHeadsTest::wholeAndSplitHeadsReachTheHandlerAlike()
{
    QFETCH(QByteArray, request);
    QFETCH(bool, trimmed);

    const quint64 trimmedBefore = m_transport->trimmedHeads();
    Seen whole;
    roundTrip({request}, &whole);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_transport->trimmedHeads() - trimmedBefore, quint64(trimmed ? 1 : 0));

    // In pieces: the head's last bytes arrive later, so the parser reads the head as sent.
    const qsizetype headEnd = request.indexOf("\n\r\n") >= 0 ? request.indexOf("\n\r\n") : request.indexOf("\n\n");
    Seen split;
    roundTrip({request.left(headEnd - 2), request.mid(headEnd - 2)}, &split);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_transport->trimmedHeads() - trimmedBefore, quint64(trimmed ? 1 : 0));

    QVERIFY2(whole == split, QByteArray(describe(whole) + "\n   vs\n" + describe(split)).constData());
    QVERIFY(!whole.method.isEmpty());
    QVERIFY(whole.path.startsWith(u'/'));
    if (trimmed) {
        QVERIFY(!whole.headers.isEmpty());
        for (const auto &[name, value] : whole.headers)
            QCOMPARE(name, name.toLower());
    }
}

void TransportHeadsTest::pipelinedRequestsAreEachTrimmedAndAnswered()
{
    const QByteArray first = "POST /one?n=1 HTTP/1.1\r\nHost: localhost\r\nX-N: 1\r\nContent-Length: 3\r\n\r\nabc";
    const QByteArray second = "GET /two HTTP/1.1\r\nHost: localhost\r\nX-N: 2\r\n\r\n";
    const QByteArray third = "POST /three HTTP/1.1\r\nHost: localhost\r\nX-N: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nxy\r\n0\r\n\r\n";
    Client client;
    client.pieces = {first + second + third};
    client.answers = 3;
    client.start(m_port);
    QTRY_COMPARE_WITH_TIMEOUT(m_seen.size(), 3, 5000);
    client.join();
    QCOMPARE(client.received.count("HTTP/1.1 200"), 3);
    QCOMPARE(m_seen[0].path, QStringLiteral("/one"));
    QCOMPARE(m_seen[0].query, QStringLiteral("n=1"));
    QCOMPARE(m_seen[0].body, QByteArray("abc"));
    QCOMPARE(m_seen[1].path, QStringLiteral("/two"));
    QVERIFY(m_seen[1].body.isEmpty());
    QCOMPARE(m_seen[2].path, QStringLiteral("/three"));
    QCOMPARE(m_seen[2].body, QByteArray("xy"));
    for (int i = 0; i < 3; ++i)
        QVERIFY(m_seen[i].headers.contains(std::pair(QByteArray("x-n"), QByteArray::number(i + 1))));
    QVERIFY(m_transport->trimmedHeads() >= 1);
}

void TransportHeadsTest::expectContinueIsAnsweredBeforeTheBody_data()
{
    QTest::addColumn<QByteArray>("protocol");
    QTest::addColumn<bool>("split");  // the body after a pause (a client that waits for 100)
    QTest::addColumn<bool>("continued");
    QTest::newRow("waiting client") << QByteArray("HTTP/1.1") << true << true;
    QTest::newRow("body at once") << QByteArray("HTTP/1.1") << false << true;
    QTest::newRow("http/1.0 gets none") << QByteArray("HTTP/1.0") << true << false;
}

void TransportHeadsTest::expectContinueIsAnsweredBeforeTheBody()
{
    QFETCH(QByteArray, protocol);
    QFETCH(bool, split);
    QFETCH(bool, continued);
    const QByteArray head = "POST /v1/x " + protocol + "\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                            "Content-Length: 4\r\n\r\n";
    Client client;
    client.pieces = split ? QList<QByteArray>{head, "body"} : QList<QByteArray>{head + "body"};
    client.start(m_port);
    QTRY_COMPARE_WITH_TIMEOUT(m_seen.size(), 1, 5000);
    client.join();
    QCOMPARE(m_seen[0].body, QByteArray("body"));
    if (continued)
        QVERIFY2(client.received.startsWith(QByteArray(Continue + "HTTP/1.1 200")), client.received.constData());
    else
        QVERIFY2(client.received.startsWith("HTTP/1.1 200"), client.received.constData());
}

void TransportHeadsTest::websocketUpgradeIsRefusedWithAnError()
{
    Client client;
    client.pieces = {"GET /v1/realtime HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"};
    client.start(m_port);
    client.join();
    QVERIFY2(client.received.startsWith("HTTP/1.1 400"), client.received.constData());
    const QJsonObject error = QJsonDocument::fromJson(client.received.mid(client.received.indexOf("\r\n\r\n") + 4))
                                  .object()
                                  .value(u"error"_s)
                                  .toObject();
    QVERIFY2(error.value(u"message"_s).toString().contains(u"WebSocket"_s), client.received.constData());
    QVERIFY(m_seen.isEmpty());
}

void TransportHeadsTest::malformedRequestLineIsRefusedWithAnError_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::newRow("one word") << QByteArray("HELLO");
    QTest::newRow("no protocol") << QByteArray("GET /v1/models");
    QTest::newRow("not http") << QByteArray("GET /v1/models FTP/1.0");
    QTest::newRow("protocol too long") << QByteArray("GET /v1/models HTTP/1.10");
    QTest::newRow("binary") << QByteArray("\x01\x02\xff");
}

void TransportHeadsTest::malformedRequestLineIsRefusedWithAnError()
{
    // QtHttpServer's parser closes such a connection without a word; the guard answers first.
    QFETCH(QByteArray, line);
    Client client;
    client.pieces = {line + "\r\nHost: localhost\r\n\r\n"};
    client.start(m_port);
    client.join();
    QVERIFY2(client.received.startsWith("HTTP/1.1 400"), client.received.constData());
    QVERIFY2(client.received.contains("request line"), client.received.constData());
    QVERIFY(m_seen.isEmpty());
}

void TransportHeadsTest::secondHostHeaderIsRefusedWithAnError_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::newRow("loopback, then another name") << QByteArray("Host: localhost\r\nHost: evil.example\r\n");
    QTest::newRow("the same name twice") << QByteArray("Host: localhost\r\nhost: localhost\r\n");
    QTest::newRow("apart, other case") << QByteArray("HOST: 127.0.0.1\r\nAccept: */*\r\nhOsT: evil.example\r\n");
}

void TransportHeadsTest::secondHostHeaderIsRefusedWithAnError()
{
    // RFC 9112 3.2: a request with more than one Host gets a 400, and the handler never sees it.
    QFETCH(QByteArray, headers);
    Client client;
    client.pieces = {"GET /v1/models HTTP/1.1\r\n" + headers + "\r\n"};
    client.start(m_port);
    client.join();
    QVERIFY2(client.received.startsWith("HTTP/1.1 400"), client.received.constData());
    QVERIFY2(client.received.contains("more than one Host"), client.received.constData());
    QVERIFY(m_seen.isEmpty());

    // One Host is still answered.
    Client one;
    one.pieces = {"GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n"};
    one.start(m_port);
    one.join();
    QVERIFY2(one.received.startsWith("HTTP/1.1 200"), one.received.constData());
}

// An absolute-form target names the host the request is for, and RFC 9112 lets it stand over
// Host: one for another host is refused as a Host header for it is (it reached the handler). An
// HTTP/1.1 request without Host is a 400 (RFC 9112 3.2); HTTP/1.0 needs none.
void TransportHeadsTest::requestsForAnotherHostOrNoneAreRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("status");
    QTest::newRow("absolute-form, another host") << QByteArray("GET http://evil.example/v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
                                                 << QByteArray("403");
    QTest::newRow("absolute-form, user info") << QByteArray("GET http://evil@localhost/v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
                                              << QByteArray("403");
    QTest::newRow("absolute-form, no authority") << QByteArray("GET http:/v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
                                                 << QByteArray("403");
    QTest::newRow("absolute-form, loopback") << QByteArray("GET http://127.0.0.1:4000/v1/models HTTP/1.1\r\nHost: evil.example\r\n\r\n")
                                             << QByteArray("403");   // then the Host header is checked
    QTest::newRow("absolute-form, loopback both") << QByteArray("GET http://localhost/v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
                                                  << QByteArray("200");
    QTest::newRow("HTTP/1.1 without Host") << QByteArray("GET /v1/models HTTP/1.1\r\nAccept: */*\r\n\r\n") << QByteArray("400");
    QTest::newRow("HTTP/1.0 without Host") << QByteArray("GET /v1/models HTTP/1.0\r\n\r\n") << QByteArray("200");
}

void TransportHeadsTest::requestsForAnotherHostOrNoneAreRefused()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, status);
    Client client;
    client.pieces = {request};
    client.start(m_port);
    client.join();
    QVERIFY2(client.received.sliced(0, std::min<qsizetype>(12, client.received.size())).endsWith(QByteArray(" " + status)),
             client.received.constData());
    QCOMPARE(m_seen.size(), status == "200" ? 1 : 0);
}

QTEST_GUILESS_MAIN(TransportHeadsTest)
#include "tst_transport_heads.moc"
