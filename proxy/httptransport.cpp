#include "httptransport.h"

#include "apierror.h"

#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <algorithm>
#include <array>
#include <deque>
#include <string_view>
#include <optional>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcTransport, "tollgate.transport")

namespace Tollgate {

namespace {

constexpr const char *ConnectionProperty = "_tollgate_connection";
// How long a refused upload is drained before the socket is dropped, so the client reads
// the 413 instead of a connection reset.
constexpr auto RefusedDrainTime = std::chrono::seconds(2);

// A deadline that is cheap to set and clear once per request: QTimer::start and stop cost ~600
// instructions each (the event dispatcher's timer list), and a kept-alive connection set and
// cleared three per request. This one notes the deadline and starts its QTimer only when that is
// not running; a timer that fires before the deadline (it moved on since) waits out the rest,
// one that fires with none set stays off. Every deadline is `interval` from when it is set, so
// a running QTimer never ends after a deadline set later.
class Deadline final
{
public:
    template<typename Expired>
    Deadline(QObject *context, std::chrono::milliseconds interval, Expired expired) : m_interval(interval)
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::CoarseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, context, [this, expired = std::move(expired)] {
            if (!m_set)
                return;
            const auto now = std::chrono::steady_clock::now();
            if (now < m_at) {
                m_timer.start(std::chrono::ceil<std::chrono::milliseconds>(m_at - now));
                return;
            }
            m_set = false;
            expired();
        });
    }

    void set()
    {
        m_at = std::chrono::steady_clock::now() + m_interval;
        m_set = true;
        if (!m_timer.isActive())
            m_timer.start(m_interval);
    }
    void clear() { m_set = false; }
    // Clears it and stops the QTimer (the connection is done with it).
    void stop()
    {
        m_set = false;
        m_timer.stop();
    }

private:
    QTimer m_timer;
    std::chrono::milliseconds m_interval;
    std::chrono::steady_clock::time_point m_at;
    bool m_set = false;
};

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

// The status line and headers, written into one buffer of their exact size plus room for
// `tail` bytes more (an answer carries a dozen or more headers: a temporary per line cost ~150
// instructions each).
QByteArray serializeHead(int status, const QByteArray &contentType, const HeaderList &headers,
                         bool closeAfter, qsizetype tail = 0)
{
    char code[12];
    const auto codeEnd = std::to_chars(code, code + sizeof code, status).ptr;
    const QByteArrayView codeText(code, codeEnd - code);
    const QByteArrayView reason = reasonPhrase(status);
    static constexpr QByteArrayView Version = "HTTP/1.1 ";
    static constexpr QByteArrayView TypeName = "Content-Type: ";
    static constexpr QByteArrayView Close = "Connection: close\r\n";
    qsizetype size = Version.size() + codeText.size() + 1 + reason.size() + 2;
    if (!contentType.isEmpty())
        size += TypeName.size() + contentType.size() + 2;
    for (const auto &[name, value] : headers)
        size += name.size() + 2 + value.size() + 2;
    if (closeAfter)
        size += Close.size();

    QByteArray head;
    head.reserve(size + tail);
    head.resize(size);
    ByteWriter out(head.data());
    out << Version << codeText << " " << reason << "\r\n";
    if (!contentType.isEmpty())
        out << TypeName << contentType << "\r\n";
    for (const auto &[name, value] : headers)
        out << name << ": " << value << "\r\n";
    if (closeAfter)
        out << Close;
    Q_ASSERT(out.at() == head.constData() + head.size());
    return head;
}

// `name` in lower case, copied in one pass (QByteArray::toLower looks each byte up in a table
// after copying, ~0.4k instructions a name).
QByteArray lowerCopy(QByteArrayView name)
{
    QByteArray lower(name.size(), Qt::Uninitialized);
    char *out = lower.data();
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name[i];
        out[i] = c >= 'A' && c <= 'Z' ? char(c | 0x20) : c;
    }
    return lower;
}

// A request target QUrl would read as it is: a path of letters, digits, '/', '-', '.', '_' and
// '~' only (no percent-encoding, no query).
bool isPlainPath(QByteArrayView target)
{
    return std::all_of(target.begin(), target.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
               || c == '.' || c == '_' || c == '~';
    });
}

// A header name in lower case: shared when it is already, else lowerCopy.
QByteArray asciiLower(const QByteArray &name)
{
    const bool upper = std::any_of(name.cbegin(), name.cend(), [](char c) { return c >= 'A' && c <= 'Z'; });
    return upper ? lowerCopy(name) : name;
}

// A header name as QtHttpServer's parser accepts it (an RFC 9110 token).
bool isHeaderName(QByteArrayView name)
{
    static constexpr auto Token = [] {
        std::array<bool, 256> token{};
        for (int c = '0'; c <= '9'; ++c)
            token[size_t(c)] = true;
        for (int c = 'a'; c <= 'z'; ++c)
            token[size_t(c)] = token[size_t(c - 'a' + 'A')] = true;
        for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
            token[size_t(uchar(c))] = true;
        return token;
    }();
    if (name.isEmpty())
        return false;
    for (const char c : name) {
        if (!Token[uchar(c)])
            return false;
    }
    return true;
}

// A request line split as QtHttpServer 6.4's parser splits it: the method up to the first space,
// the target after any spaces up to the next one, then the protocol (exactly 8 bytes, "HTTP…");
// anything after a space behind the protocol is ignored by the parser (`trailing`).
struct RequestLine
{
    QByteArrayView method;
    QByteArrayView target;
    QByteArrayView protocol;
    bool trailing = false;
};

std::optional<RequestLine> splitRequestLine(QByteArrayView line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    const auto skipSpaces = [&line](qsizetype at) {
        while (at < line.size() && line[at] == ' ')
            ++at;
        return at;
    };
    RequestLine result;
    const qsizetype methodEnd = line.indexOf(' ');
    if (methodEnd < 0)
        return std::nullopt;
    const qsizetype targetAt = skipSpaces(methodEnd);
    const qsizetype targetEnd = line.indexOf(' ', targetAt);
    if (targetEnd < 0)
        return std::nullopt;
    const qsizetype protocolAt = skipSpaces(targetEnd);
    if (protocolAt >= line.size())
        return std::nullopt;
    const qsizetype protocolEnd = line.indexOf(' ', protocolAt);
    result.method = line.first(methodEnd);
    result.target = line.sliced(targetAt, targetEnd - targetAt);
    result.protocol = protocolEnd < 0 ? line.sliced(protocolAt) : line.sliced(protocolAt, protocolEnd - protocolAt);
    result.trailing = protocolEnd >= 0;
    if (result.protocol.size() != 8 || !result.protocol.startsWith("HTTP"))
        return std::nullopt;
    return result;
}

// Writes `bytes` to the client: straight to the kernel when nothing is queued before them (the
// usual case), so the socket's write notifier is never switched on and off for it — on the glib
// event loop each switch wakes the loop (an eventfd write) and costs a round of poll. What the
// kernel does not take at once goes through the socket's buffer as before, in order; an error
// is met (and reported) by that write too.
void writeToClient(QTcpSocket *socket, const char *data, qint64 size)
{
    qint64 sent = 0;
    const qintptr fd = socket->socketDescriptor();
    if (fd >= 0 && socket->bytesToWrite() == 0) {
        while (sent < size) {
            const ssize_t n = ::send(int(fd), data + sent, size_t(size - sent), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += n;
            else if (n < 0 && errno == EINTR)
                continue;
            else
                break;  // the kernel's buffer is full, or an error
        }
    }
    if (sent < size)
        socket->write(data + sent, size - sent);
}

void writeToClient(QTcpSocket *socket, const QByteArray &bytes)
{
    writeToClient(socket, bytes.constData(), bytes.size());
}

class Connection;

// One request/response exchange on a connection.
class Exchange final : public IResponder
{
public:
    Exchange(Connection *connection, QTcpSocket *socket, bool closeAfter)
        : m_connection(connection), m_socket(socket), m_closeAfter(closeAfter)
    {}
    ~Exchange() override { QObject::disconnect(m_drained); }

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
    [[nodiscard]] qint64 unsentBytes() const override { return m_socket ? m_socket->bytesToWrite() : 0; }
    void whenUnsentFallTo(qint64 low, std::function<void()> handler) override;

    // The client left: finish without writing and tell the handler once.
    void clientGone()
    {
        if (m_state == State::Finished)
            return;
        m_state = State::Finished;
        QObject::disconnect(std::exchange(m_drained, {}));
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
    QMetaObject::Connection m_drained;  // whenUnsentFallTo's watch of the socket's writes
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
    QList<QPointer<Connection>> unattached;  // accepted, waiting for the parser's slot
    int liveConnections = 0;
    bool refusingConnections = false;
    int activeExchanges = 0;
    quint64 trimmedHeads = 0;  // requests whose head the parser was given trimmed
    bool checkHost = true;

    void dispatch(Connection *connection, HttpRequest &&request);
    void onRequest(const QHttpServerRequest &request, QTcpSocket *socket);
};

namespace {

// Per-connection state, a child of its socket (so it dies with it).
//
// The guard: QtHttpServer 6.4 reads requests without any bound (a 1 MB header line, 10,000
// headers, a head dribbled a byte at a time forever), so every byte is looked at here first.
// `inspect` is connected to readyRead before QtHttpServer's own slot and `afterParser` after
// it: inspect frames the bytes that arrived since the last look (request line and headers,
// Content-Length and chunked bodies) up to the end of the first complete request, and
// refuses a request before the parser has read it; afterParser notes which of the bytes
// still buffered have already been looked at (the parser reads one request per readyRead and
// stops at its end, so a pipelined request's bytes stay behind for the next readyRead).
class Connection final : public QObject
{
public:
    Connection(HttpTransport::Private *transport, QTcpSocket *socket)
        : QObject(socket), m_transport(transport), m_socket(socket), m_limits(transport->options.limits)
    {
        ++m_transport->liveConnections;
        // Connected before QtHttpServer's own readyRead slot, so this runs first.
        connect(socket, &QTcpSocket::readyRead, this, &Connection::inspect);
        connect(socket, &QTcpSocket::disconnected, this, &Connection::onDisconnected);
        connect(socket, &QTcpSocket::bytesWritten, this, &Connection::onWritten);
        m_idle.set();
    }
    ~Connection() override { --m_transport->liveConnections; }

    // Called once QtHttpServer has connected its readyRead slot: this one runs after it.
    void attachAfterParser()
    {
        if (m_attached)
            return;
        m_attached = true;
        connect(m_socket, &QTcpSocket::readyRead, this, &Connection::afterParser);
    }

    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] bool refused() const { return m_refused; }
    [[nodiscard]] bool lastRequestIsHttp10() const { return m_http10; }
    // The path, query and headers of the request the parser has just read, when the guard
    // trimmed its head.
    std::optional<HttpRequest> takeGuarded() { return std::exchange(m_guarded, std::nullopt); }
    QTcpSocket *socket() const { return m_socket; }

    // Returns false (and refuses the connection) when too many requests wait already.
    bool enqueue(HttpRequest &&request)
    {
        // Bodies waiting are bounded too: together no more than one body at the size limit.
        if (qsizetype(m_queue.size()) >= m_limits.maxPipelined
            || m_queuedBytes + request.body.size() > m_transport->options.maxBodyBytes) {
            refuse(errorResponse(ApiError::Throttling,
                                 u"More than %1 pipelined requests (or %2 bytes of their bodies) wait on this "
                                 "connection; wait for the answers or open another connection."_s
                                     .arg(m_limits.maxPipelined)
                                     .arg(m_transport->options.maxBodyBytes)),
                   "too many pipelined requests");
            return false;
        }
        m_queuedBytes += request.body.size();
        m_queue.push_back(std::move(request));
        return true;
    }

    void start(const std::shared_ptr<Exchange> &exchange)
    {
        m_busy = true;
        m_idle.clear();
        m_current = exchange;
    }

    // Called by the exchange when its response is complete.
    void finished(bool closeAfter)
    {
        m_busy = false;
        if (m_socket && m_socket->bytesToWrite() > 0)
            watchSending();
        m_current.reset();
        --m_transport->activeExchanges;
        Q_EMIT m_transport->q->exchangeFinished();
        if (closeAfter || !m_socket) {
            m_queue.clear();
            m_queuedBytes = 0;
            if (m_socket)
                m_socket->disconnectFromHost();
            return;
        }
        if (!m_queue.empty()) {
            if (m_socket->bytesToWrite() > MaxUnsentBeforeNext) {
                // A client that does not read its answers gets no more of them: the next request
                // waits until it has taken most of what was sent (pipelined calls that were never
                // read piled their answers up here: a gigabyte for a few cents).
                m_drainWait = true;
                watchSending();
                return;
            }
            dispatchNextSoon();
            return;
        }
        if (m_refusalPending) {
            // A refused request came after this one: its answer goes out only now, in order.
            sendRefusal();
            return;
        }
        if (m_phase == Phase::Between)
            m_idle.set();
    }

    // Next pipelined request, outside the current call stack.
    void dispatchNextSoon()
    {
        QTimer::singleShot(0, this, [this] {
            if (m_busy || m_queue.empty())
                return;
            HttpRequest next = std::move(m_queue.front());
            m_queue.pop_front();
            m_queuedBytes -= next.body.size();
            m_transport->dispatch(this, std::move(next));
        });
    }

    void onWritten(qint64 bytes)
    {
        m_written += bytes;
        if (m_drainWait && m_socket && m_socket->bytesToWrite() <= MaxUnsentBeforeNext) {
            m_drainWait = false;
            dispatchNextSoon();
        }
    }

    // Answers are left to send: from now on, a client that takes none of them for an idle
    // timeout loses the connection (sendingStalled).
    void watchSending()
    {
        m_writtenAtCheck = m_written;
        m_sending.set();
    }

    // A connection between exchanges (or waiting to serve its next one) whose client took no byte
    // of its answers since the last look is dropped with what it holds: closing it gracefully would
    // wait for that client for ever. One whose answers are still being taken is looked at again.
    void sendingStalled()
    {
        if (!m_socket || m_socket->bytesToWrite() == 0)
            return;
        if (m_written != m_writtenAtCheck || (m_busy && !m_drainWait)) {
            watchSending();   // taking them, or in an exchange (a stream waits for its client)
            return;
        }
        qCInfo(lcTransport) << "dropping a connection whose client took no byte of its answers for"
                            << m_transport->options.idleTimeout.count() << "ms";
        m_socket->abort();
    }

    void closeIfIdle()
    {
        if (!m_busy && m_socket)
            m_socket->disconnectFromHost();
    }

private:
    // Where the connection is in the request being received.
    enum class Phase {
        Between,      // no byte of the next request yet
        Head,         // request line and headers
        Body,         // a Content-Length body: m_bodyLeft bytes to come
        ChunkedBody,  // a chunked body: m_chunk says where in its framing
    };

    void inspect()
    {
        if (m_refused) {
            m_socket->readAll();  // drain a refused upload
            return;
        }
        if (m_attached && m_awaitingParser) {
            // afterParser did not run for the previous bytes: the guard's offsets are off.
            qCWarning(lcTransport) << "request guard out of step with the HTTP parser";
            m_scanned = 0;
        }
        m_awaitingParser = m_attached;
        scanAvailable();
    }

    void afterParser()
    {
        m_awaitingParser = false;
        if (m_refused || !m_socket)
            return;
        if (m_guarded) {
            // The parser did not read the whole trimmed request: its state no longer matches
            // the client's bytes (and the request's headers are here, not in its copy).
            m_guarded.reset();
            refuse(errorResponse(ApiError::BadRequest, u"The request could not be read."_s),
                   "a trimmed request did not reach the handler");
            return;
        }
        // The parser reads one request per readyRead and stops at its end. When the guard
        // stopped there too, what is left in the buffer is the next request, not looked at
        // yet: the next readyRead (which comes before the parser reads it) frames it from its
        // start.
        m_scanned = m_stoppedAtEnd ? 0 : m_socket->bytesAvailable();
        m_stoppedAtEnd = false;
    }

    // Frames the buffered bytes not looked at yet (from m_scanned on), up to the end of the
    // first request that is complete: a request behind it is judged only after the parser
    // has taken this one, so its answer goes out first.
    void scanAvailable()
    {
        const qint64 available = m_socket->bytesAvailable();
        if (m_scanned > available)
            m_scanned = 0;  // someone else read: treat what is there as new
        // A request that starts the buffer, with the parser between requests, may have its head
        // handed to the parser trimmed (see trimForParser).
        m_trimmable = m_scanned == 0 && m_phase == Phase::Between && m_attached && !m_socket->isTransactionStarted();
        m_trim.reset();
        qint64 at = m_scanned;
        QByteArray bytes;  // peeked only when a head needs looking at
        while (at < available && !m_refused) {
            switch (m_phase) {
            case Phase::Body: {
                const qint64 take = std::min(available - at, m_bodyLeft);
                at += take;
                m_bodyLeft -= take;
                m_windowBytes += take;
                if (m_bodyLeft == 0) {
                    endOfRequest();
                    stopAtEnd(at);
                    return;
                }
                break;
            }
            case Phase::ChunkedBody:
                if (bytes.isEmpty())
                    bytes = m_socket->peek(available);
                at = scanChunked(bytes, at);
                if (m_phase == Phase::Between && !m_refused) {
                    stopAtEnd(at);
                    return;
                }
                break;
            case Phase::Between:
            case Phase::Head:
                if (bytes.isEmpty())
                    bytes = m_socket->peek(available);
                at = scanHead(bytes, at);
                if (m_phase == Phase::Between && !m_refused && at > m_scanned) {
                    // A head without a body ended here (blank space alone ends nothing).
                    if (m_headEnded) {
                        m_headEnded = false;
                        stopAtEnd(at);
                        return;
                    }
                }
                break;
            }
        }
        m_trim.reset();  // the request does not end in these bytes: the parser reads its head as sent
        m_scanned = available;
    }

    // The scan stopped at `at`, the end of the first complete request in the buffer.
    void stopAtEnd(qint64 at)
    {
        m_stoppedAtEnd = true;
        m_scanned = trimForParser(at);
    }

    // QtHttpServer 6.4 reads a request's head one byte per QIODevice::read in a read transaction
    // (~280 instructions a byte; a 190-byte head is about a third of a relayed call's CPU on the
    // gateway thread), and then parses its headers again. The guard has read every header
    // already: when a whole request starts the buffer and its head is plain (see headComplete),
    // the parser is given the request line and only the headers that frame the body, and the
    // request's headers come from here (onRequest takes them). Returns where the request ends
    // in the buffer now.
    qint64 trimForParser(qint64 at)
    {
        if (!m_trim)
            return at;
        Trim trim = std::move(*m_trim);
        m_trim.reset();
        if (m_refused || m_socket->isTransactionStarted() || m_socket->bytesAvailable() < trim.headEnd)
            return at;
        m_socket->skip(trim.headEnd);
        for (qsizetype i = trim.head.size() - 1; i >= 0; --i)
            m_socket->ungetChar(trim.head.at(i));
        m_guarded = std::move(trim.request);
        ++m_transport->trimmedHeads;
        return at - trim.headEnd + trim.head.size();
    }

    // Reads head bytes from `at`; returns where it stopped (the end of the head, or of bytes).
    qint64 scanHead(const QByteArray &bytes, qint64 at)
    {
        const qint64 size = bytes.size();
        if (m_phase == Phase::Between) {
            // The parser skips blank space before a request line (e.g. after a chunked body).
            while (at < size && (bytes[at] == '\r' || bytes[at] == '\n' || bytes[at] == ' '
                                 || bytes[at] == '\t' || bytes[at] == '\v'))
                ++at;
            if (at == size)
                return at;
            m_phase = Phase::Head;
            m_head.clear();
            // Usually the whole head is there: one allocation instead of one per line.
            m_head.reserve(qsizetype(std::min<qint64>(size - at, m_limits.maxHeadBytes)));
            m_lineStart = 0;
            m_lines = 0;
            m_idle.clear();
            m_headTimer.set();
        }
        while (at < size) {
            const qsizetype newline = bytes.indexOf('\n', at);
            const qint64 end = newline < 0 ? size : newline + 1;
            if (m_head.size() + (end - at) > m_limits.maxHeadBytes) {
                refuse(errorResponse(ApiError::HeadersTooLarge,
                                     u"The request line and headers are over the limit of %1 bytes."_s
                                         .arg(m_limits.maxHeadBytes)),
                       "request head too large");
                return size;
            }
            m_head.append(bytes.constData() + at, end - at);
            at = end;
            if (newline < 0)
                return at;
            // A line ended (LF, or CRLF: both are accepted by the parser).
            QByteArrayView line(m_head.constData() + m_lineStart, m_head.size() - 1 - m_lineStart);
            if (line.endsWith('\r'))
                line.chop(1);
            m_lineStart = m_head.size();
            if (!line.isEmpty()) {
                if (++m_lines > m_limits.maxHeaderCount + 1) {  // + the request line
                    refuse(errorResponse(ApiError::HeadersTooLarge,
                                         u"The request has more than %1 headers."_s.arg(m_limits.maxHeaderCount)),
                           "too many request headers");
                    return size;
                }
                continue;
            }
            m_headTimer.clear();
            headComplete();
            if (m_trim)
                m_trim->headEnd = at;
            return at;
        }
        return at;
    }

    // Follows a chunked body's framing from `at` (the parser's rules, strictly: CRLF after the
    // size line and after each chunk's data, no trailers); returns where it stopped (the end
    // of the body, or of bytes). Refuses malformed framing (400) and bodies over the limit
    // (413) as soon as a chunk size says so.
    qint64 scanChunked(const QByteArray &bytes, qint64 at)
    {
        const qint64 size = bytes.size();
        const auto bad = [this](const QString &why) {
            refuse(errorResponse(ApiError::BadRequest, u"Malformed chunked body: "_s + why),
                   "malformed chunked body");
        };
        while (at < size && !m_refused) {
            switch (m_chunk) {
            case ChunkState::SizeLine: {
                const qsizetype newline = bytes.indexOf('\n', at);
                const qint64 end = newline < 0 ? size : newline + 1;
                m_chunkLine.append(bytes.constData() + at, end - at);
                at = end;
                if (m_chunkLine.size() > 1024) {
                    bad(u"a chunk size line is too long."_s);
                    return size;
                }
                if (newline < 0)
                    return at;
                if (!m_chunkLine.endsWith("\r\n")) {
                    bad(u"a chunk size line must end with CRLF."_s);
                    return size;
                }
                QByteArray digits = m_chunkLine.left(m_chunkLine.size() - 2);
                m_chunkLine.clear();
                if (const qsizetype semicolon = digits.indexOf(';'); semicolon >= 0)
                    digits.truncate(semicolon);  // chunk extensions are ignored
                digits = digits.trimmed();
                bool hex = !digits.isEmpty() && digits.size() <= 15;
                for (const char c : std::as_const(digits))
                    hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
                if (!hex) {
                    bad(u"a chunk size must be a hexadecimal number."_s);
                    return size;
                }
                m_chunkLeft = digits.toLongLong(nullptr, 16);
                m_chunkedSeen += m_chunkLeft;
                if (m_chunkedSeen > m_transport->options.maxBodyBytes) {
                    refuseTooLarge(m_chunkedSeen, true);
                    return size;
                }
                m_chunk = m_chunkLeft == 0 ? ChunkState::LastCr : ChunkState::Data;
                break;
            }
            case ChunkState::Data: {
                const qint64 take = std::min(size - at, m_chunkLeft);
                at += take;
                m_chunkLeft -= take;
                m_windowBytes += take;
                if (m_chunkLeft == 0)
                    m_chunk = ChunkState::DataCr;
                break;
            }
            case ChunkState::DataCr:
            case ChunkState::LastCr:
                if (bytes[at++] != '\r') {
                    bad(u"a chunk must end with CRLF (trailers are not accepted)."_s);
                    return size;
                }
                m_chunk = m_chunk == ChunkState::DataCr ? ChunkState::DataLf : ChunkState::LastLf;
                break;
            case ChunkState::DataLf:
            case ChunkState::LastLf:
                if (bytes[at++] != '\n') {
                    bad(u"a chunk must end with CRLF."_s);
                    return size;
                }
                if (m_chunk == ChunkState::LastLf) {
                    endOfRequest();
                    return at;
                }
                m_chunk = ChunkState::SizeLine;
                m_windowBytes += 2;
                break;
            }
        }
        return at;
    }

    // The head is complete: decide how its body is framed, or refuse it.
    void headComplete()
    {
        // Views into m_head: framing is judged without copying a line.
        const QByteArrayView head(m_head);
        qsizetype lineEnd = head.indexOf('\n');
        const QByteArrayView requestLine = head.first(lineEnd < 0 ? head.size() : lineEnd);
        m_http10 = requestLine.trimmed().endsWith("HTTP/1.0");
        std::optional<qint64> contentLength;
        bool chunked = false;
        bool sawTransferEncoding = false;
        const auto bad = [this](const QString &why) {
            refuse(errorResponse(ApiError::BadRequest, why), "ambiguous request framing");
        };
        // The headers as onRequest copies them from the parser, for a head the parser may be
        // given trimmed: only one whose every line the parser would read the same way.
        std::optional<Trim> trim;
        bool connectionUpgrade = false;  // QtHttpServer's test: "upgrade" in a Connection header
        bool websocket = false;
        bool expectContinue = false;
        int hosts = 0;
        if (m_trimmable) {
            trim.emplace();
            trim->request.headers.reserve(m_lines);
        }
        for (qsizetype from = lineEnd < 0 ? head.size() : lineEnd + 1; from < head.size(); from = lineEnd + 1) {
            lineEnd = head.indexOf('\n', from);
            if (lineEnd < 0)
                lineEnd = head.size();
            QByteArrayView line = head.sliced(from, lineEnd - from);
            if (line.endsWith('\r'))
                line.chop(1);
            if (line.isEmpty())
                continue;
            if (line.startsWith(' ') || line.startsWith('\t'))
                return bad(u"Folded header lines are not accepted."_s);
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0) {
                trim.reset();  // the parser would drop every header of this head
                continue;      // the parser ignores it too
            }
            const QByteArrayView name = line.first(colon);
            const QByteArrayView value = line.sliced(colon + 1).trimmed();
            if (equalsIgnoringCase(name, "connection") && value.toByteArray().toLower().contains("upgrade")) {
                connectionUpgrade = true;
                trim.reset();  // the parser's upgrade path, as sent
            }
            websocket = websocket || (equalsIgnoringCase(name, "upgrade") && equalsIgnoringCase(value, "websocket"));
            expectContinue = expectContinue || (equalsIgnoringCase(name, "expect") && equalsIgnoringCase(value, "100-continue"));
            if (equalsIgnoringCase(name.trimmed(), "host") && ++hosts > 1) {
                // RFC 9112 3.2: answered 400. The loopback check reads one Host; a second one
                // (localhost, then another name) would reach the handler unchecked.
                refuse(errorResponse(ApiError::BadRequest, u"A request may not have more than one Host header."_s),
                       "several Host headers");
                return;
            }
            if (trim) {
                if (!isHeaderName(name) || line.size() > MaxTrimmedLine || trim->request.headers.size() >= MaxTrimmedHeaders)
                    trim.reset();
                else
                    trim->request.headers.append({lowerCopy(name), value.toByteArray()});
            }
            const QByteArrayView trimmedName = name.trimmed();
            const bool framing = equalsIgnoringCase(trimmedName, "content-length")
                                 || equalsIgnoringCase(trimmedName, "transfer-encoding");
            if (framing && name.size() != trimmedName.size())
                return bad(u"Whitespace around a header name is not accepted."_s);
            if (equalsIgnoringCase(name, "transfer-encoding")) {
                if (sawTransferEncoding || value.compare("chunked", Qt::CaseInsensitive) != 0)
                    return bad(u"Transfer-Encoding must be exactly 'chunked'."_s);
                sawTransferEncoding = true;
                chunked = true;
            } else if (equalsIgnoringCase(name, "content-length")) {
                bool digits = !value.isEmpty() && value.size() <= 18;
                for (const char c : value)
                    digits = digits && c >= '0' && c <= '9';
                if (!digits)
                    return bad(u"Content-Length must be a non-negative decimal number."_s);
                const qint64 length = value.toLongLong();
                if (contentLength && *contentLength != length)
                    return bad(u"Several Content-Length headers with different values."_s);
                contentLength = length;
            }
        }
        if (chunked && contentLength)
            return bad(u"A request may not have both Content-Length and Transfer-Encoding."_s);
        if (contentLength && *contentLength > m_transport->options.maxBodyBytes)
            return refuseTooLarge(*contentLength, false);
        const std::optional<RequestLine> parts = splitRequestLine(requestLine);
        if (!parts) {
            // The parser would close the connection without a word.
            refuse(errorResponse(ApiError::BadRequest,
                                 u"Malformed request line: expected a method, a target and HTTP/1.1, "
                                 "separated by spaces."_s),
                   "malformed request line");
            return;
        }
        if (hosts == 0 && !m_http10) {
            // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400.
            refuse(errorResponse(ApiError::BadRequest, u"An HTTP/1.1 request must have a Host header."_s),
                   "no Host header");
            return;
        }
        if (m_transport->checkHost && !parts->target.startsWith('/') && parts->target != "*") {
            // An absolute-form target names the host the request is for (RFC 9112 3.2.2: it,
            // not the Host header, counts): checked as a Host header is.
            const QByteArrayView target = parts->target;
            const qsizetype scheme = target.indexOf("://");
            const QByteArrayView rest = scheme < 0 ? QByteArrayView() : target.sliced(scheme + 3);
            const qsizetype authorityEnd = rest.indexOf('/');
            const QByteArrayView authority = authorityEnd < 0 ? rest : rest.first(authorityEnd);
            if (authority.isEmpty() || !HttpTransport::isLoopbackHost(authority)) {
                refuse(errorResponse(ApiError::Forbidden,
                                     u"Request target not allowed: Tollgate listens on loopback and answers only "
                                     "requests addressed to localhost, 127.0.0.1 or [::1]."_s),
                       "request target for another host");
                return;
            }
        }
        if (connectionUpgrade && websocket) {
            // QtHttpServer would hand it to a WebSocket server that is not there and close
            // the connection without a word.
            refuse(errorResponse(ApiError::BadRequest,
                                 u"WebSocket connections are not supported: Tollgate relays HTTP requests only."_s),
                   "websocket upgrade");
            return;
        }
        // QtHttpServer 6.4 does not answer "Expect: 100-continue": a client that waits for it
        // (curl, for a large body) would stall. Answered here, before the body, unless an
        // answer to an earlier request is still owed on this connection (it must come first).
        if (expectContinue && !m_http10 && (chunked || contentLength.value_or(0) > 0) && !m_busy && m_queue.empty()
            && !m_refusalPending)
            writeToClient(m_socket, QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));

        // An origin-form target ("/path?query") and nothing behind the protocol: the parser is
        // given "/", and the path and query are read here as it reads them (the authority it
        // takes from Host leaves them alone).
        if (trim) {
            if (parts->trailing || !parts->target.startsWith('/') || parts->target.startsWith("//")) {
                trim.reset();
            } else if (isPlainPath(parts->target)) {
                // The LLM routes: nothing for QUrl to decode, and no query (~1.8k instructions).
                trim->request.path = QString::fromLatin1(parts->target);
            } else {
                const QUrl url = QUrl::fromEncoded(parts->target.toByteArray());
                trim->request.path = url.path();
                trim->request.query = QUrlQuery(url);
            }
        }
        if (trim) {
            // The method, an empty path and the protocol; then what frames the body. The parser
            // accepts LF line ends.
            QByteArray &bytes = trim->head;
            bytes.reserve(parts->method.size() + parts->protocol.size() + 48);
            bytes.append(parts->method).append(" / ").append(parts->protocol).append('\n');
            if (chunked) {
                bytes.append("transfer-encoding:chunked\n");
            } else if (contentLength.value_or(0) > 0) {
                char digits[24];
                const auto end = std::to_chars(digits, digits + sizeof digits, *contentLength).ptr;
                bytes.append("content-length:").append(digits, end - digits).append('\n');
            }
            bytes.append('\n');
            m_trim = std::move(trim);
        }
        m_head.clear();
        if (chunked) {
            m_phase = Phase::ChunkedBody;
            m_chunk = ChunkState::SizeLine;
            m_chunkLine.clear();
            m_chunkLeft = 0;
            m_chunkedSeen = 0;
        } else if (contentLength.value_or(0) > 0) {
            m_phase = Phase::Body;
            m_bodyLeft = *contentLength;
        } else {
            m_phase = Phase::Between;
            m_headEnded = true;
            return;
        }
        m_windowBytes = 0;
        m_windowNeed = std::min(m_limits.bodyProgressBytes, chunked ? m_limits.bodyProgressBytes : m_bodyLeft);
        m_bodyTimer.set();
    }

    void endOfRequest()
    {
        m_phase = Phase::Between;
        m_bodyTimer.clear();
    }

    void checkBodyProgress()
    {
        if (m_phase != Phase::Body && m_phase != Phase::ChunkedBody) {
            m_bodyTimer.clear();
            return;
        }
        if (m_windowBytes < m_windowNeed) {
            refuse(errorResponse(ApiError::RequestTimeout,
                                 u"The request body stalled: less than %1 bytes in %2 ms."_s
                                     .arg(m_windowNeed)
                                     .arg(m_limits.bodyProgressWindow.count())),
                   "request body too slow");
            return;
        }
        m_windowBytes = 0;
        m_windowNeed = std::min(m_limits.bodyProgressBytes,
                                m_phase == Phase::Body ? m_bodyLeft : m_limits.bodyProgressBytes);
        m_bodyTimer.set();  // the next window
    }

    void refuseTooLarge(qint64 length, bool soFar)
    {
        refuse(errorResponse(
                   ApiError::RequestTooLarge,
                   u"Request body of %1%2 bytes is over the limit of %3 bytes (general_settings.max_request_size_mb)."_s
                       .arg(soFar ? u"more than "_s : QString())
                       .arg(length)
                       .arg(m_transport->options.maxBodyBytes)),
               "request body too large");
    }

    // Answers `response` and closes: after the answers still owed on this connection, if any.
    void refuse(HttpResponse response, const char *why)
    {
        if (m_refused)
            return;
        m_refused = true;
        m_trim.reset();
        m_guarded.reset();
        m_headTimer.stop();
        m_bodyTimer.stop();
        m_idle.stop();
        m_head = QByteArray();
        qCInfo(lcTransport) << "refusing a request:" << why;
        // Take the socket away from QtHttpServer's parser; drain what the client still sends
        // (a transaction would keep every drained byte in memory).
        QObject::disconnect(m_socket, &QTcpSocket::readyRead, nullptr, nullptr);
        connect(m_socket, &QTcpSocket::readyRead, this, &Connection::inspect);
        if (m_socket->isTransactionStarted())
            m_socket->commitTransaction();
        m_socket->readAll();
        m_refusal = std::move(response);
        if (m_busy || !m_queue.empty()) {
            m_refusalPending = true;  // answers still owed on this connection go first
            return;
        }
        sendRefusal();
    }

    void sendRefusal()
    {
        m_refusalPending = false;
        if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
            return;
        QByteArray bytes = serializeHead(m_refusal.status, m_refusal.contentType, m_refusal.headers, true);
        bytes += "Content-Length: " + QByteArray::number(m_refusal.body.size()) + "\r\n\r\n" + m_refusal.body;
        m_refusal = HttpResponse();
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
        m_sending.stop();
        m_headTimer.stop();
        m_bodyTimer.stop();
        m_queue.clear();
        m_queuedBytes = 0;
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
    const EdgeLimits m_limits;
    Deadline m_idle{this, m_transport->options.idleTimeout, [this] {
        if (!m_busy && m_phase == Phase::Between && m_socket)
            m_socket->disconnectFromHost();
    }};
    Deadline m_sending{this, m_transport->options.idleTimeout, [this] { sendingStalled(); }};
    // What a connection may leave unsent to its client before its next pipelined request is
    // served, and whether one waits for that (onWritten serves it).
    static constexpr qint64 MaxUnsentBeforeNext = 1024 * 1024;
    bool m_drainWait = false;
    qint64 m_written = 0;         // bytes the socket has written so far
    qint64 m_writtenAtCheck = 0;  // m_written when m_sending was last set
    Deadline m_headTimer{this, m_limits.headTimeout, [this] {
        if (m_phase == Phase::Head)
            refuse(errorResponse(ApiError::RequestTimeout,
                                 u"The request's headers did not arrive within %1 ms of its first byte."_s
                                     .arg(m_limits.headTimeout.count())),
                   "request head too slow");
    }};
    // Every bodyProgressWindow while a body arrives (checkBodyProgress sets it again).
    Deadline m_bodyTimer{this, m_limits.bodyProgressWindow, [this] { checkBodyProgress(); }};
    std::deque<HttpRequest> m_queue;
    qint64 m_queuedBytes = 0;   // bodies of the requests in m_queue
    std::weak_ptr<Exchange> m_current;
    HttpResponse m_refusal;
    Phase m_phase = Phase::Between;
    QByteArray m_head;          // the current request's head as it arrives (≤ maxHeadBytes)
    qsizetype m_lineStart = 0;  // where the head's current line starts
    int m_lines = 0;            // non-empty lines of the head so far
    qint64 m_bodyLeft = 0;      // Content-Length bytes still to come
    enum class ChunkState { SizeLine, Data, DataCr, DataLf, LastCr, LastLf };
    ChunkState m_chunk = ChunkState::SizeLine;
    QByteArray m_chunkLine;     // the chunk size line as it arrives
    qint64 m_chunkLeft = 0;     // bytes of the current chunk still to come
    qint64 m_chunkedSeen = 0;   // decoded bytes of a chunked body so far (its chunk sizes)
    qint64 m_windowBytes = 0;   // body bytes in the current progress window
    qint64 m_windowNeed = 0;    // body bytes the window must bring
    qint64 m_scanned = 0;       // buffered bytes the guard has looked at already
    bool m_attached = false;
    bool m_awaitingParser = false;
    bool m_stoppedAtEnd = false;  // the last scan stopped at the end of a complete request
    bool m_headEnded = false;     // a bodiless head just ended
    bool m_busy = false;
    bool m_refused = false;
    bool m_refusalPending = false;
    bool m_http10 = false;

    // A head the parser is given trimmed (trimForParser), and the headers it had.
    struct Trim
    {
        QByteArray head;      // a request line for "/", the framing headers and a blank line
        HttpRequest request;  // the path, query and every header (lower-case names, trimmed values)
        qint64 headEnd = 0;   // where the head (and any blank space before it) ends in the buffer
    };
    // The parser reads a header line of up to 8 KiB and up to 100 of them; beyond that (not
    // beyond the guard's limits) it drops every header. Such a head goes to it as sent.
    static constexpr qsizetype MaxTrimmedLine = 8000;
    static constexpr qsizetype MaxTrimmedHeaders = 99;
    bool m_trimmable = false;           // this scan began at the buffer's start, between requests
    std::optional<Trim> m_trim;         // built by headComplete when m_trimmable
    std::optional<HttpRequest> m_guarded;  // the path, query and headers of the request just trimmed
};

void Exchange::send(HttpResponse response)
{
    if (m_state != State::Pending)
        return;
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        static constexpr QByteArrayView LengthName = "Content-Length: ";
        char length[24];
        const auto lengthEnd = std::to_chars(length, length + sizeof length, response.body.size()).ptr;
        QByteArray bytes = serializeHead(response.status, response.contentType, response.headers, m_closeAfter,
                                         LengthName.size() + (lengthEnd - length) + 4 + response.body.size());
        bytes.append(LengthName);
        bytes.append(length, lengthEnd - length);
        bytes.append("\r\n\r\n", 4);
        bytes.append(response.body);
        writeToClient(m_socket, bytes);
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
    writeToClient(m_socket, bytes);
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
    writeToClient(m_socket, bytes);
}

void Exchange::endStream()
{
    if (m_state != State::Streaming)
        return;
    if (m_socket) {
        writeToClient(m_socket, "0\r\n\r\n", 5);
        m_socket->flush();
    }
    finish();
}

void Exchange::whenUnsentFallTo(qint64 low, std::function<void()> handler)
{
    QObject::disconnect(std::exchange(m_drained, {}));
    if (!m_socket || m_state == State::Finished)
        return;
    const auto check = [this, low, handler = std::move(handler)] {
        if (m_socket && m_socket->bytesToWrite() > low)
            return;
        QObject::disconnect(std::exchange(m_drained, {}));
        handler();
    };
    if (m_socket->bytesToWrite() <= low) {
        check();
        return;
    }
    m_drained = QObject::connect(m_socket, &QTcpSocket::bytesWritten, m_socket, check);
}

void Exchange::finish()
{
    m_state = State::Finished;
    m_onDisconnect = nullptr;
    QObject::disconnect(std::exchange(m_drained, {}));
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
        for (;;) {
            QTcpSocket *socket = QTcpServer::nextPendingConnection();
            if (!socket)
                return nullptr;
            if (m_transport->liveConnections >= m_transport->options.limits.maxConnections) {
                // Closed at once, before any buffer or parser exists for it.
                if (!m_transport->refusingConnections)
                    qCWarning(lcTransport) << "connection limit of" << m_transport->options.limits.maxConnections
                                           << "reached: closing new connections";
                m_transport->refusingConnections = true;
                socket->abort();
                delete socket;
                continue;
            }
            m_transport->refusingConnections = false;
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            if (m_transport->connections.size() > 256)
                m_transport->connections.removeAll(nullptr);
            auto *connection = new Connection(m_transport, socket);
            socket->setProperty(ConnectionProperty, QVariant::fromValue(static_cast<void *>(connection)));
            m_transport->connections.append(connection);
            m_transport->unattached.append(connection);
            return socket;
        }
    }

    // Runs after QtHttpServer took the new sockets and connected its own slots to them.
    void attachPending()
    {
        for (const auto &connection : std::as_const(m_transport->unattached)) {
            if (connection)
                connection->attachAfterParser();
        }
        m_transport->unattached.clear();
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
    if (std::optional<HttpRequest> guarded = connection->takeGuarded()) {
        copy = std::move(*guarded);  // the parser was given the head trimmed
    } else {
        copy.path = request.url().path();
        copy.query = request.query();
        const auto headers = request.headers();
        copy.headers.reserve(headers.size());
        for (const auto &[name, value] : headers)
            copy.headers.append({asciiLower(name), value});
    }
    copy.method = methodName(request.method());
    copy.body = request.body();
    copy.peer = request.remoteAddress();

    if (connection->busy()) {
        connection->enqueue(std::move(copy));  // pipelined: answer in order (or refused)
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
    // Connected after bind(): QtHttpServer's own handler of new connections runs first, so
    // the guard's second readyRead slot comes after the parser's (see Connection).
    connect(tcpServer, &QTcpServer::pendingConnectionAvailable, tcpServer, &GuardedTcpServer::attachPending);
    connect(tcpServer, &QTcpServer::newConnection, tcpServer, &GuardedTcpServer::attachPending);
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

quint64 HttpTransport::trimmedHeads() const
{
    return d->trimmedHeads;
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
    // Views, no copy: every request's Host is judged.
    QByteArrayView host = hostHeader.trimmed();
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        if (close < 0)
            return false;
        const QByteArrayView rest = host.sliced(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(':'))
            return false;
        return host.first(close + 1) == "[::1]";
    }
    if (const qsizetype colon = host.indexOf(':'); colon >= 0)
        host = host.first(colon);
    return equalsIgnoringCase(host, "localhost") || host == "127.0.0.1";
}

} // namespace Tollgate
