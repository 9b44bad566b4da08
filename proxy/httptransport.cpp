#include "httptransport.h"

#include "apierror.h"

#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>

#include <deque>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcTransport, "tollgate.transport")

namespace Tollgate {

namespace {

constexpr qint64 HeaderPeekBytes = 16 * 1024;
constexpr const char *ConnectionProperty = "_tollgate_connection";
// How long a refused upload is drained before the socket is dropped, so the client reads
// the 413 instead of a connection reset.
constexpr auto RefusedDrainTime = std::chrono::seconds(2);

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return QByteArrayLiteral("GET");
    case QHttpServerRequest::Method::Put: return QByteArrayLiteral("PUT");
    case QHttpServerRequest::Method::Delete: return QByteArrayLiteral("DELETE");
    case QHttpServerRequest::Method::Post: return QByteArrayLiteral("POST");
    case QHttpServerRequest::Method::Head: return QByteArrayLiteral("HEAD");
    case QHttpServerRequest::Method::Options: return QByteArrayLiteral("OPTIONS");
    case QHttpServerRequest::Method::Patch: return QByteArrayLiteral("PATCH");
    case QHttpServerRequest::Method::Connect: return QByteArrayLiteral("CONNECT");
    case QHttpServerRequest::Method::Trace: return QByteArrayLiteral("TRACE");
    default: return QByteArrayLiteral("UNKNOWN");
    }
}

QByteArray serializeHead(int status, const QByteArray &contentType, const HeaderList &headers,
                         bool closeAfter)
{
    QByteArray head;
    head.reserve(256);
    head += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (!contentType.isEmpty())
        head += "Content-Type: " + contentType + "\r\n";
    for (const auto &[name, value] : headers)
        head += name + ": " + value + "\r\n";
    if (closeAfter)
        head += "Connection: close\r\n";
    return head;
}

class Connection;

// One request/response exchange on a connection.
class Exchange final : public IResponder
{
public:
    Exchange(Connection *connection, QTcpSocket *socket, bool closeAfter)
        : m_connection(connection), m_socket(socket), m_closeAfter(closeAfter)
    {}

    void send(HttpResponse response) override;
    void beginStream(int status, const QByteArray &contentType, const HeaderList &headers) override;
    void writeChunk(const QByteArray &data) override;
    void endStream() override;
    [[nodiscard]] bool isFinished() const override { return m_state == State::Finished; }
    [[nodiscard]] bool isConnected() const override
    {
        return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
    }
    void setDisconnectHandler(std::function<void()> handler) override
    {
        m_onDisconnect = std::move(handler);
    }

    // The client left: finish without writing and tell the handler once.
    void clientGone()
    {
        if (m_state == State::Finished)
            return;
        m_state = State::Finished;
        if (auto handler = std::move(m_onDisconnect))
            handler();
    }

private:
    enum class State { Pending, Streaming, Finished };
    void finish();

    QPointer<Connection> m_connection;
    QPointer<QTcpSocket> m_socket;
    bool m_closeAfter = false;
    State m_state = State::Pending;
    std::function<void()> m_onDisconnect;
};

} // namespace

struct HttpTransport::Private
{
    HttpTransport *q = nullptr;
    Handler handler;
    Options options;
    QAbstractHttpServer *server = nullptr;
    QTcpServer *tcpServer = nullptr;
    QList<QPointer<Connection>> connections;
    int activeExchanges = 0;
    bool checkHost = true;

    void dispatch(Connection *connection, HttpRequest &&request);
    void onRequest(const QHttpServerRequest &request, QTcpSocket *socket);
};

namespace {

// Per-connection state, a child of its socket (so it dies with it).
class Connection final : public QObject
{
public:
    Connection(HttpTransport::Private *transport, QTcpSocket *socket)
        : QObject(socket), m_transport(transport), m_socket(socket)
    {
        m_idle.setSingleShot(true);
        m_idle.setInterval(transport->options.idleTimeout);
        connect(&m_idle, &QTimer::timeout, this, [this] {
            if (!m_busy && m_socket)
                m_socket->disconnectFromHost();
        });
        // Connected before QtHttpServer's own readyRead slot, so this runs first.
        connect(socket, &QTcpSocket::readyRead, this, &Connection::inspect);
        connect(socket, &QTcpSocket::disconnected, this, &Connection::onDisconnected);
        m_idle.start();
    }

    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] bool refused() const { return m_refused; }
    [[nodiscard]] bool lastRequestIsHttp10() const { return m_http10; }
    QTcpSocket *socket() const { return m_socket; }

    void enqueue(HttpRequest &&request) { m_queue.push_back(std::move(request)); }

    void start(const std::shared_ptr<Exchange> &exchange)
    {
        m_busy = true;
        m_idle.stop();
        m_current = exchange;
    }

    // Called by the exchange when its response is complete.
    void finished(bool closeAfter)
    {
        m_busy = false;
        m_current.reset();
        --m_transport->activeExchanges;
        Q_EMIT m_transport->q->exchangeFinished();
        if (closeAfter || !m_socket) {
            m_queue.clear();
            if (m_socket)
                m_socket->disconnectFromHost();
            return;
        }
        if (!m_queue.empty()) {
            // Next pipelined request, outside the current call stack.
            QTimer::singleShot(0, this, [this] {
                if (m_busy || m_queue.empty())
                    return;
                HttpRequest next = std::move(m_queue.front());
                m_queue.pop_front();
                m_transport->dispatch(this, std::move(next));
            });
            return;
        }
        if (m_refusalPending) {
            // A refused request came after this one: its 413 goes out only now, in order.
            sendRefusal();
            return;
        }
        m_idle.start();
    }

    void closeIfIdle()
    {
        if (!m_busy && m_socket)
            m_socket->disconnectFromHost();
    }

private:
    // Looks at each request's head (and a chunked body's size) before QtHttpServer buffers
    // the body. Runs first on every readyRead, so a peek sees exactly the bytes that arrived
    // since QtHttpServer's last read.
    void inspect()
    {
        if (m_refused) {
            m_socket->readAll();  // drain a refused upload
            return;
        }
        if (!m_busy)
            m_idle.start();
        // QtHttpServer reads a request inside a socket transaction: none started means the
        // bytes available begin a new request.
        if (!m_socket->isTransactionStarted()) {
            m_head.clear();
            m_headDone = false;
            m_chunked = false;
            m_rawSeen = 0;
            m_headEnd = 0;
        }
        const qint64 fresh = m_socket->bytesAvailable();
        if (!m_headDone) {
            const qsizetype before = m_head.size();
            m_head += m_socket->peek(std::max<qint64>(0, std::min(fresh, HeaderPeekBytes - before)));
            const qsizetype end = m_head.indexOf("\r\n\r\n", std::max<qsizetype>(0, before - 3));
            if (end < 0) {
                m_rawSeen += fresh;
                return;  // the head is not complete yet (QtHttpServer limits its size)
            }
            m_headDone = true;
            m_headEnd = end + 4;
            if (!parseHead(m_head.left(end)))
                return;
        }
        m_rawSeen += fresh;
        if (m_chunked) {
            // Chunk framing is a few bytes per chunk: allow for it before calling it too large.
            const qint64 body = m_rawSeen - m_headEnd;
            const qint64 limit = m_transport->options.maxBodyBytes;
            if (body > limit + limit / 8 + 4096)
                refuse(body, true);
        }
    }

    // Returns false when the request was refused.
    bool parseHead(const QByteArray &head)
    {
        const QList<QByteArray> lines = head.split('\n');
        m_http10 = !lines.isEmpty() && lines.first().trimmed().endsWith("HTTP/1.0");
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name.compare("transfer-encoding", Qt::CaseInsensitive) == 0) {
                m_chunked = value.toLower().contains("chunked");
            } else if (name.compare("content-length", Qt::CaseInsensitive) == 0) {
                bool ok = false;
                const qint64 length = value.toLongLong(&ok);
                if (ok && length > m_transport->options.maxBodyBytes) {
                    refuse(length, false);
                    return false;
                }
            }
        }
        return true;
    }

    void refuse(qint64 length, bool soFar)
    {
        m_refused = true;
        qCInfo(lcTransport) << "refusing a request body of" << length << "bytes";
        // Take the socket away from QtHttpServer's parser; drain what the client still sends
        // (a transaction would keep every drained byte in memory).
        QObject::disconnect(m_socket, &QTcpSocket::readyRead, nullptr, nullptr);
        connect(m_socket, &QTcpSocket::readyRead, this, &Connection::inspect);
        if (m_socket->isTransactionStarted())
            m_socket->commitTransaction();
        m_socket->readAll();
        m_refusal = errorResponse(
            ApiError::RequestTooLarge,
            u"Request body of %1%2 bytes is over the limit of %3 bytes (general_settings.max_request_size_mb)."_s
                .arg(soFar ? u"more than "_s : QString())
                .arg(length)
                .arg(m_transport->options.maxBodyBytes));
        if (m_busy || !m_queue.empty()) {
            m_refusalPending = true;  // answers still owed on this connection go first
            return;
        }
        sendRefusal();
    }

    void sendRefusal()
    {
        m_refusalPending = false;
        QByteArray bytes = serializeHead(m_refusal.status, m_refusal.contentType, m_refusal.headers, true);
        bytes += "Content-Length: " + QByteArray::number(m_refusal.body.size()) + "\r\n\r\n" + m_refusal.body;
        m_socket->write(bytes);
        m_socket->flush();
        // Half-close so the client sees the end of the answer, then drop it after a while.
        ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
        QTimer::singleShot(RefusedDrainTime, m_socket, [socket = m_socket] {
            if (socket)
                socket->abort();
        });
    }

    void onDisconnected()
    {
        m_idle.stop();
        m_queue.clear();
        m_refusalPending = false;
        if (auto exchange = m_current.lock()) {
            m_current.reset();
            m_busy = false;
            --m_transport->activeExchanges;
            exchange->clientGone();
            Q_EMIT m_transport->q->exchangeFinished();
        }
    }

    HttpTransport::Private *m_transport;
    QPointer<QTcpSocket> m_socket;
    QTimer m_idle;
    std::deque<HttpRequest> m_queue;
    std::weak_ptr<Exchange> m_current;
    HttpResponse m_refusal;
    QByteArray m_head;          // the current request's head as it arrives
    qsizetype m_headEnd = 0;    // bytes of head including its blank line
    qint64 m_rawSeen = 0;       // bytes of the current request seen so far
    bool m_headDone = false;
    bool m_chunked = false;
    bool m_busy = false;
    bool m_refused = false;
    bool m_refusalPending = false;
    bool m_http10 = false;
};

void Exchange::send(HttpResponse response)
{
    if (m_state != State::Pending)
        return;
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        QByteArray bytes = serializeHead(response.status, response.contentType, response.headers,
                                         m_closeAfter);
        bytes += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n\r\n";
        bytes += response.body;
        m_socket->write(bytes);
        m_socket->flush();  // to the kernel now: the gateway may be stopping right after this
    }
    finish();
}

void Exchange::beginStream(int status, const QByteArray &contentType, const HeaderList &headers)
{
    if (m_state != State::Pending)
        return;
    m_state = State::Streaming;
    if (!m_socket)
        return;
    QByteArray bytes = serializeHead(status, contentType, headers, m_closeAfter);
    bytes += "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
    m_socket->write(bytes);
}

void Exchange::writeChunk(const QByteArray &data)
{
    if (m_state != State::Streaming || data.isEmpty() || !m_socket)
        return;
    // QtHttpServer 6.4 has no chunked encoder: frame each piece by hand.
    QByteArray bytes = QByteArray::number(data.size(), 16) + "\r\n";
    bytes.reserve(bytes.size() + data.size() + 2);
    bytes += data;
    bytes += "\r\n";
    m_socket->write(bytes);
}

void Exchange::endStream()
{
    if (m_state != State::Streaming)
        return;
    if (m_socket) {
        m_socket->write("0\r\n\r\n", 5);
        m_socket->flush();
    }
    finish();
}

void Exchange::finish()
{
    m_state = State::Finished;
    m_onDisconnect = nullptr;
    if (m_connection)
        m_connection->finished(m_closeAfter);
}

// Our QTcpServer sees each socket before QtHttpServer does (it calls this virtual).
class GuardedTcpServer final : public QTcpServer
{
public:
    GuardedTcpServer(HttpTransport::Private *transport, QObject *parent)
        : QTcpServer(parent), m_transport(transport)
    {}

    QTcpSocket *nextPendingConnection() override
    {
        QTcpSocket *socket = QTcpServer::nextPendingConnection();
        if (!socket)
            return nullptr;
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_transport->connections.size() > 256)
            m_transport->connections.removeAll(nullptr);
        auto *connection = new Connection(m_transport, socket);
        socket->setProperty(ConnectionProperty, QVariant::fromValue(static_cast<void *>(connection)));
        m_transport->connections.append(connection);
        return socket;
    }

private:
    HttpTransport::Private *m_transport;
};

class Server final : public QAbstractHttpServer
{
public:
    Server(HttpTransport::Private *transport, QObject *parent)
        : QAbstractHttpServer(parent), m_transport(transport)
    {}

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override
    {
        m_transport->onRequest(request, socket);
        return true;
    }
    void missingHandler(const QHttpServerRequest &, QTcpSocket *) override {}

private:
    HttpTransport::Private *m_transport;
};

} // namespace

void HttpTransport::Private::onRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    // Set by GuardedTcpServer; the Connection is the socket's child, alive as long as it is.
    auto *connection = static_cast<Connection *>(socket->property(ConnectionProperty).value<void *>());
    if (!connection || connection->refused())
        return;

    // Copy everything now: QtHttpServer reuses `request` for the next one on this socket.
    HttpRequest copy;
    copy.method = methodName(request.method());
    copy.path = request.url().path();
    copy.query = request.query();
    const auto headers = request.headers();
    copy.headers.reserve(headers.size());
    for (const auto &[name, value] : headers)
        copy.headers.append({name.toLower(), value});
    copy.body = request.body();
    copy.peer = request.remoteAddress();

    if (connection->busy()) {
        connection->enqueue(std::move(copy));  // pipelined: answer in order
        return;
    }
    dispatch(connection, std::move(copy));
}

void HttpTransport::Private::dispatch(Connection *connection, HttpRequest &&request)
{
    const QByteArray connectionHeader = request.header("connection").toLower();
    const bool closeAfter = connectionHeader.contains("close")
                            || (connection->lastRequestIsHttp10() && !connectionHeader.contains("keep-alive"));
    auto exchange = std::make_shared<Exchange>(connection, connection->socket(), closeAfter);
    connection->start(exchange);
    ++activeExchanges;

    if (request.body.size() > options.maxBodyBytes) {
        // Chunked uploads, or headers that arrived in pieces, are caught here.
        exchange->send(errorResponse(
            ApiError::RequestTooLarge,
            u"Request body of %1 bytes is over the limit of %2 bytes (general_settings.max_request_size_mb)."_s
                .arg(request.body.size())
                .arg(options.maxBodyBytes)));
        return;
    }
    if (checkHost && request.hasHeader("host") && !isLoopbackHost(request.header("host"))) {
        exchange->send(errorResponse(
            ApiError::Forbidden,
            u"Host header not allowed: Tollgate listens on loopback and answers only requests "
            "addressed to localhost, 127.0.0.1 or [::1]."_s));
        return;
    }
    handler(std::move(request), exchange);
}

HttpTransport::HttpTransport(Handler handler, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->q = this;
    d->handler = std::move(handler);
}

HttpTransport::~HttpTransport()
{
    // Answers still in a socket's buffer reach their client before the socket goes (bounded:
    // a client that does not read cannot hold the shutdown for long).
    for (const auto &connection : std::as_const(d->connections)) {
        QTcpSocket *socket = connection ? connection->socket() : nullptr;
        if (socket && socket->state() == QAbstractSocket::ConnectedState && socket->bytesToWrite() > 0)
            socket->waitForBytesWritten(500);
    }
    // Sockets (and their Connection objects, which point at d) go first, while d lives.
    delete d->server;
    d->server = nullptr;
    d->tcpServer = nullptr;
}

Result<quint16> HttpTransport::listen(const Options &options)
{
    if (d->server)
        return makeError(u"already listening"_s);
    d->options = options;
    d->checkHost = options.host.isLoopback();
    auto *tcpServer = new GuardedTcpServer(d.get(), this);
    // Qt's default backlog of 50 drops SYNs of a burst of clients (they retry after 1 s).
    tcpServer->setListenBacklogSize(1024);
    if (!tcpServer->listen(options.host, options.port)) {
        const QString reason = tcpServer->errorString();
        delete tcpServer;
        return makeError(u"cannot listen on %1:%2: %3"_s.arg(options.host.toString())
                             .arg(options.port)
                             .arg(reason));
    }
    d->server = new Server(d.get(), this);
    d->server->bind(tcpServer);  // re-parents tcpServer to the server
    d->tcpServer = tcpServer;
    return tcpServer->serverPort();
}

void HttpTransport::stopListening()
{
    if (d->tcpServer)
        d->tcpServer->close();
}

void HttpTransport::closeIdleConnections()
{
    for (const auto &connection : std::as_const(d->connections)) {
        if (connection)
            connection->closeIfIdle();
    }
    d->connections.removeAll(nullptr);
}

quint16 HttpTransport::port() const
{
    return d->tcpServer ? d->tcpServer->serverPort() : 0;
}

int HttpTransport::openConnections() const
{
    d->connections.removeAll(nullptr);
    return int(d->connections.size());
}

int HttpTransport::activeExchanges() const
{
    return d->activeExchanges;
}

bool HttpTransport::isLoopbackHost(QByteArrayView hostHeader)
{
    QByteArray host = hostHeader.trimmed().toByteArray().toLower();
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        if (close < 0)
            return false;
        const QByteArray rest = host.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(':'))
            return false;
        return host.left(close + 1) == "[::1]";
    }
    const qsizetype colon = host.indexOf(':');
    if (colon >= 0)
        host.truncate(colon);
    return host == "localhost" || host == "127.0.0.1";
}

} // namespace Tollgate
