#include "plainhttp.h"

#include "../httptypes.h"

#include <QLoggingCategory>
#include <QMetaObject>
#include <QObject>
#include <QSocketNotifier>
#include <QString>
#include <QTimer>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstring>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

Q_DECLARE_LOGGING_CATEGORY(lcUpstream)

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// An idle kept-alive connection's read notifier stays on while the connection is warm (used in
// the last kWarmMs) and for the kMaxWatchedIdle most recently used ones: switching a notifier
// on or off wakes the glib loop (an eventfd write and read), which a pool in steady use should
// not pay per call, but every enabled notifier is in every poll() of the event loop, which a
// single caller after a burst should not pay either (see UpstreamClient's SocketWatch).
// Unwatched ones are checked when reused.
constexpr int kMaxWatchedIdle = 4;
constexpr qint64 kWarmMs = 20;
constexpr qsizetype kMaxHeadBytes = 64 * 1024;
constexpr qsizetype kMaxLineBytes = 8 * 1024;  // a chunk-size or trailer line
constexpr size_t kReadBytes = 64 * 1024;

qint64 nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// The last comma-separated token of a header value, trimmed.
QByteArrayView lastToken(QByteArrayView value)
{
    const qsizetype comma = value.lastIndexOf(',');
    return (comma < 0 ? value : value.sliced(comma + 1)).trimmed();
}

bool hasToken(QByteArrayView value, QByteArrayView token)
{
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        const QByteArrayView part = (comma < 0 ? value : value.first(comma)).trimmed();
        if (equalsIgnoringCase(part, token))
            return true;
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
    return false;
}

// An HTTP/1.x answer read incrementally: the head, then the body as framed by it
// (Content-Length, chunked, or until the connection closes). Informational heads (1xx) are
// skipped. Bytes after the end of the answer make the connection unfit for reuse.
class ResponseParser
{
public:
    enum class Framing { None, Length, Chunked, UntilClose };

    struct Progress
    {
        bool headReady = false;  // this feed completed the final head
        bool complete = false;
        bool error = false;
        bool extra = false;      // bytes arrived after the answer's end
    };

    explicit ResponseParser(bool headRequest = false) : m_headRequest(headRequest) {}
    // A HEAD request's answer has no body, whatever its head says.
    static ResponseParser forRequest(const UpstreamRequest &request)
    {
        return ResponseParser(request.method.compare("HEAD", Qt::CaseInsensitive) == 0);
    }

    // Appends the body bytes in `data` to `body`.
    Progress feed(QByteArrayView data, QByteArray &body)
    {
        Progress progress;
        QByteArray joined;  // a head begun in an earlier read, with this one
        if (m_stage == Stage::Head) {
            if (!m_pending.isEmpty()) {
                joined = std::exchange(m_pending, QByteArray());
                joined.append(data);
                data = QByteArrayView(joined);
            }
            if (!parseHeads(data, progress))
                return progress;
        }
        consumeBody(data, body, progress);
        return progress;
    }

    // The connection ended: an answer framed by the close is complete, any other is cut short.
    bool completeAtClose()
    {
        if (m_stage == Stage::Body && m_framing == Framing::UntilClose) {
            m_stage = Stage::Done;
            return true;
        }
        return m_stage == Stage::Done;
    }

    [[nodiscard]] int status() const { return m_status; }
    [[nodiscard]] const HeaderList &headers() const { return m_headers; }
    [[nodiscard]] bool keepAlive() const { return m_keepAlive; }
    [[nodiscard]] const QString &error() const { return m_error; }

private:
    enum class Stage { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailers, Done, Failed };

    bool fail(Progress &progress, const QString &message)
    {
        m_stage = Stage::Failed;
        m_error = message;
        progress.error = true;
        return false;
    }

    // Parses the heads at the start of `data`; true once the final one is parsed (`data` is
    // then what follows it), false while it is incomplete (kept for the next read) or wrong.
    bool parseHeads(QByteArrayView &data, Progress &progress)
    {
        for (;;) {
            qsizetype end = -1;
            qsizetype skip = 0;
            for (qsizetype at = data.indexOf('\n'); at >= 0; at = data.indexOf('\n', at + 1)) {
                if (at + 1 < data.size() && data.at(at + 1) == '\n') {
                    end = at + 1;
                    skip = 1;
                    break;
                }
                if (at + 2 < data.size() && data.at(at + 1) == '\r' && data.at(at + 2) == '\n') {
                    end = at + 1;
                    skip = 2;
                    break;
                }
            }
            if (end > kMaxHeadBytes || (end < 0 && data.size() > kMaxHeadBytes))
                return fail(progress, u"the provider's answer head is over 64 KiB"_s);
            if (end < 0) {
                m_pending = data.toByteArray();
                return false;
            }
            if (!parseHead(data.first(end), progress))
                return false;
            data = data.sliced(end + skip);
            if (m_status >= 100 && m_status < 200)
                continue;  // 100 Continue, 103 Early Hints: the real answer follows
            progress.headReady = true;
            return true;
        }
    }

    bool parseHead(QByteArrayView head, Progress &progress)
    {
        m_headers.clear();
        m_status = 0;
        bool first = true;
        bool http10 = false;
        bool chunked = false;
        bool encoded = false;
        bool hasLength = false;
        qint64 length = 0;
        bool close = false;
        bool keepAlive10 = false;
        while (!head.isEmpty()) {
            const qsizetype newline = head.indexOf('\n');
            QByteArrayView line = newline < 0 ? head : head.first(newline);
            head = newline < 0 ? QByteArrayView() : head.sliced(newline + 1);
            if (line.endsWith('\r'))
                line.chop(1);
            if (first) {
                first = false;
                // "HTTP/1.1 200 OK"
                if (line.size() < 12 || !line.startsWith("HTTP/1.") || line.at(8) != ' '
                    || !std::all_of(line.begin() + 9, line.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })
                    || (line.size() > 12 && line.at(12) != ' '))
                    return fail(progress, u"the provider sent no HTTP/1.x status line"_s);
                http10 = line.at(7) == '0';
                m_status = line.sliced(9, 3).toInt();
                continue;
            }
            if (line.isEmpty())
                continue;
            if (line.front() == ' ' || line.front() == '\t') {
                // Obsolete line folding: continues the previous header's value.
                if (!m_headers.isEmpty())
                    m_headers.last().second.append(' ').append(line.trimmed());
                continue;
            }
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArrayView name = line.first(colon).trimmed();
            const QByteArrayView value = line.sliced(colon + 1).trimmed();
            if (equalsIgnoringCase(name, "content-length")) {
                bool ok = !value.isEmpty() && value.size() <= 18
                          && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
                const qint64 parsed = ok ? value.toLongLong(&ok) : -1;
                if (!ok || (hasLength && parsed != length))
                    return fail(progress, u"the provider sent an invalid Content-Length"_s);
                hasLength = true;
                length = parsed;
            } else if (equalsIgnoringCase(name, "transfer-encoding")) {
                encoded = true;
                chunked = equalsIgnoringCase(lastToken(value), "chunked");
            } else if (equalsIgnoringCase(name, "connection")) {
                close = close || hasToken(value, "close");
                keepAlive10 = keepAlive10 || hasToken(value, "keep-alive");
            }
            m_headers.append({name.toByteArray(), value.toByteArray()});
        }
        if (m_status == 101)
            return fail(progress, u"the provider switched protocols"_s);
        if (m_status < 200)
            return true;  // informational: skipped by the caller

        m_keepAlive = !close && (!http10 || keepAlive10);
        if (m_headRequest || m_status == 204 || m_status == 304) {
            m_framing = Framing::None;
            m_stage = Stage::Done;
        } else if (chunked) {
            m_framing = Framing::Chunked;
            m_stage = Stage::ChunkSize;
        } else if (hasLength && !encoded) {
            m_framing = Framing::Length;
            m_remaining = length;
            m_stage = length == 0 ? Stage::Done : Stage::Body;
        } else {
            m_framing = Framing::UntilClose;
            m_keepAlive = false;
            m_stage = Stage::Body;
        }
        return true;
    }

    // A line of the chunked framing, gathered across reads (without its CR LF). False while
    // it is incomplete.
    bool takeLine(QByteArrayView &data, QByteArrayView &line, Progress &progress)
    {
        const qsizetype newline = data.indexOf('\n');
        if (newline < 0) {
            m_pending.append(data);
            data = {};
            if (m_pending.size() > kMaxLineBytes)
                fail(progress, u"the provider sent an overlong chunk line"_s);
            return false;
        }
        if (m_pending.isEmpty()) {
            line = data.first(newline);
        } else {
            m_line = std::exchange(m_pending, QByteArray());
            m_line.append(data.first(newline));
            line = QByteArrayView(m_line);
        }
        data = data.sliced(newline + 1);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.size() > kMaxLineBytes) {
            fail(progress, u"the provider sent an overlong chunk line"_s);
            return false;
        }
        return true;
    }

    void consumeBody(QByteArrayView data, QByteArray &body, Progress &progress)
    {
        QByteArrayView line;
        while (!progress.error) {
            switch (m_stage) {
            case Stage::Head:
            case Stage::Failed:
                return;
            case Stage::Done:
                progress.complete = true;
                progress.extra = !data.isEmpty();
                return;
            case Stage::Body:
                if (data.isEmpty())
                    return;
                if (m_framing == Framing::UntilClose) {
                    body.append(data);
                    return;
                }
                [[fallthrough]];
            case Stage::ChunkData: {
                if (data.isEmpty())
                    return;
                const qsizetype take = static_cast<qsizetype>(std::min<qint64>(m_remaining, data.size()));
                body.append(data.first(take));
                data = data.sliced(take);
                m_remaining -= take;
                if (m_remaining == 0)
                    m_stage = m_stage == Stage::Body ? Stage::Done : Stage::ChunkEnd;
                break;
            }
            case Stage::ChunkSize: {
                if (!takeLine(data, line, progress))
                    return;
                QByteArrayView size = line;
                if (const qsizetype ext = size.indexOf(';'); ext >= 0)
                    size = size.first(ext);
                size = size.trimmed();
                bool ok = !size.isEmpty() && size.size() <= 15
                          && std::all_of(size.begin(), size.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
                const qint64 bytes = ok ? size.toLongLong(&ok, 16) : -1;
                if (!ok) {
                    fail(progress, u"the provider sent an invalid chunk size"_s);
                    return;
                }
                m_remaining = bytes;
                m_stage = bytes == 0 ? Stage::Trailers : Stage::ChunkData;
                break;
            }
            case Stage::ChunkEnd:
                if (!takeLine(data, line, progress))
                    return;
                if (!line.isEmpty()) {
                    fail(progress, u"the provider sent a chunk longer than its size"_s);
                    return;
                }
                m_stage = Stage::ChunkSize;
                break;
            case Stage::Trailers:
                if (!takeLine(data, line, progress))
                    return;
                if (line.isEmpty())
                    m_stage = Stage::Done;
                break;
            }
        }
    }

    bool m_headRequest = false;
    Stage m_stage = Stage::Head;
    Framing m_framing = Framing::None;
    int m_status = 0;
    HeaderList m_headers;
    bool m_keepAlive = true;
    qint64 m_remaining = 0;
    QByteArray m_pending;  // an incomplete head or chunk line
    QByteArray m_line;     // a chunk line that came in pieces
    QString m_error;
};

} // namespace

bool isSafeHeaderPart(const QByteArray &part)
{
    return std::none_of(part.cbegin(), part.cend(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::optional<PlainHttpTarget> PlainHttpTarget::parse(const QByteArray &url)
{
    constexpr QByteArrayView scheme("http://");
    if (!url.startsWith(scheme))
        return std::nullopt;
    const QByteArrayView rest = QByteArrayView(url).sliced(scheme.size());
    qsizetype end = 0;
    while (end < rest.size() && rest[end] != '/' && rest[end] != '?' && rest[end] != '#')
        ++end;
    const QByteArrayView authority = rest.first(end);
    QByteArrayView target = rest.sliced(end);
    if (const qsizetype hash = target.indexOf('#'); hash >= 0)
        target = target.first(hash);
    for (const char c : target) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return std::nullopt;
    }
    if (authority.isEmpty() || authority.contains('@'))
        return std::nullopt;

    PlainHttpTarget out;
    QByteArrayView host = authority;
    QByteArrayView port;
    bool hasPort = false;
    if (authority.front() == '[') {
        const qsizetype close = authority.indexOf(']');
        if (close < 0)
            return std::nullopt;
        host = authority.sliced(1, close - 1);
        const QByteArrayView after = authority.sliced(close + 1);
        if (!after.isEmpty()) {
            if (after.front() != ':')
                return std::nullopt;
            port = after.sliced(1);
            hasPort = true;
        }
        out.ipv6 = true;
    } else if (const qsizetype colon = authority.indexOf(':'); colon >= 0) {
        host = authority.first(colon);
        port = authority.sliced(colon + 1);
        hasPort = true;
    }
    if (hasPort) {
        if (port.isEmpty() || port.size() > 5
            || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        const int number = port.toInt();
        if (number <= 0 || number > 65535)
            return std::nullopt;
        out.port = static_cast<quint16>(number);
    }
    out.host = host.toByteArray();
    unsigned char address[sizeof(in6_addr)];
    if (inet_pton(out.ipv6 ? AF_INET6 : AF_INET, out.host.constData(), address) != 1)
        return std::nullopt;
    out.authority = authority.toByteArray();
    if (target.isEmpty() || target.front() != '/')
        out.target = '/' + target.toByteArray();
    else
        out.target = target.toByteArray();
    return out;
}

struct PlainHttpClient::Private
{
    struct Call;

    struct Connection
    {
        int fd = -1;
        QByteArray key;  // the target's authority
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        Call *call = nullptr;
        bool connecting = false;
        bool served = false;       // finished a call: the provider may have closed it since
        bool watchedIdle = false;  // idle with its read notifier on: in the warm list
        bool closed = false;
        qint64 parkedAt = 0;
        Connection *older = nullptr;  // the warm list, oldest first
        Connection *newer = nullptr;
    };

    struct Call
    {
        UpstreamCallId id = 0;
        PlainHttpTarget target;
        UpstreamRequest request;
        UpstreamHandlers handlers;
        QByteArray head;           // the request's status line and headers
        qsizetype sent = 0;        // of head + body
        Connection *connection = nullptr;
        ResponseParser parser;
        bool received = false;     // a byte of the answer arrived
        bool retried = false;
        bool paused = false;       // its answer is not read (setPaused)
        bool finished = false;     // done, failed or cancelled: no callback runs any more
        qint64 deadline = 0;       // of the whole call; 0: none
        qint64 armed = 0;          // its key in `deadlines`; 0: none
    };

    struct Scope
    {
        explicit Scope(Private *p) : d(p) { ++d->depth; }
        ~Scope()
        {
            if (--d->depth == 0) {
                d->deadCalls.clear();
                d->deadConnections.clear();
            }
        }
        Q_DISABLE_COPY_MOVE(Scope)
        Private *d;
    };

    Private(QObject *owner, long maxIdle);
    ~Private();

    QByteArray requestHead(const Call &call) const;
    void dispatch(Call *call);
    void queueSend(Call *call);
    void flush();
    Connection *takeIdle(const QByteArray &key);
    bool open(Call *call);
    void attach(Connection *connection, Call *call);
    void send(Call *call);
    void readable(Connection *connection);
    void writable(Connection *connection);
    void deliver(Call *call, QByteArrayView data);
    void lost(Call *call, const QString &message);
    void complete(Call *call, bool reusable);
    void fail(Call *call, UpstreamResult::Status status, const QString &message);
    void finish(Call *call, const UpstreamResult &result);
    void release(Call *call);
    void park(Connection *connection);
    void close(Connection *connection);
    void watch(Connection *connection);
    void unwatch(Connection *connection);
    void sweep();
    void arm(Call *call, qint64 at);
    void timerFired();
    QString describe(const Call &call) const;

    QObject *owner;
    long maxIdle;
    std::unordered_map<UpstreamCallId, std::unique_ptr<Call>> calls;
    std::unordered_map<Connection *, std::unique_ptr<Connection>> connections;
    std::unordered_map<QByteArray, std::vector<Connection *>> idle;
    int idleCount = 0;
    int watchedIdle = 0;
    Connection *oldestWatched = nullptr;
    Connection *newestWatched = nullptr;
    QTimer *sweeper = nullptr;
    QTimer *flusher = nullptr;
    std::vector<UpstreamCallId> unsent;  // attached to a connection, sent when the pass ends
    std::set<std::pair<qint64, UpstreamCallId>> deadlines;
    QTimer *timer = nullptr;
    qint64 timerAt = 0;
    std::vector<std::unique_ptr<Call>> deadCalls;
    std::vector<std::unique_ptr<Connection>> deadConnections;
    std::unique_ptr<char[]> buffer{new char[kReadBytes]};
    int depth = 0;
    bool starting = false;  // inside start(): outcomes are reported later, never from in there
};

PlainHttpClient::Private::Private(QObject *ownerObject, long maxIdleConnections)
    : owner(ownerObject), maxIdle(maxIdleConnections)
{
    timer = new QTimer(owner);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, owner, [this] { timerFired(); });
    sweeper = new QTimer(owner);
    sweeper->setSingleShot(true);
    sweeper->setTimerType(Qt::CoarseTimer);
    QObject::connect(sweeper, &QTimer::timeout, owner, [this] { sweep(); });
    flusher = new QTimer(owner);
    flusher->setSingleShot(true);
    QObject::connect(flusher, &QTimer::timeout, owner, [this] { flush(); });
}

PlainHttpClient::Private::~Private()
{
    // Calls in flight end without callbacks; their providers see the connection close.
    for (auto &[pointer, connection] : connections) {
        delete connection->read;
        delete connection->write;
        ::close(connection->fd);
    }
    delete timer;
    delete sweeper;
    delete flusher;
}

QByteArray PlainHttpClient::Private::requestHead(const Call &call) const
{
    const UpstreamRequest &request = call.request;
    const bool upper = std::none_of(request.method.cbegin(), request.method.cend(),
                                    [](char c) { return c >= 'a' && c <= 'z'; });
    const QByteArray method = upper ? request.method : request.method.toUpper();
    const bool bodyFramed = !request.body.isEmpty() || method == "POST" || method == "PUT" || method == "PATCH";
    const QByteArray length = bodyFramed ? QByteArray::number(request.body.size()) : QByteArray();

    qsizetype size = method.size() + call.target.target.size() + call.target.authority.size() + length.size() + 64;
    for (const auto &[name, value] : request.headers)
        size += name.size() + value.size() + 4;
    QByteArray head(size, Qt::Uninitialized);   // at least what is written below
    ByteWriter out(head.data());
    out << method << " " << call.target.target << " HTTP/1.1\r\n";
    bool host = false;
    for (const auto &[name, value] : request.headers) {
        // A CR/LF in a header would let a caller inject headers or a second request; framing
        // headers are the client's own.
        if (name.isEmpty() || !isSafeHeaderPart(name) || !isSafeHeaderPart(value) || name.contains(':')) {
            qCWarning(lcUpstream) << "dropping malformed header" << name;
            continue;
        }
        switch (name.size()) {
        case 4:
            host = host || equalsIgnoringCase(name, "host");
            break;
        case 6:
            if (equalsIgnoringCase(name, "expect"))
                continue;
            break;
        case 10:
            if (equalsIgnoringCase(name, "connection"))
                continue;
            break;
        case 14:
            if (equalsIgnoringCase(name, "content-length"))
                continue;
            break;
        case 17:
            if (equalsIgnoringCase(name, "transfer-encoding"))
                continue;
            break;
        default:
            break;
        }
        out << name << ": " << value << "\r\n";
    }
    if (!host)
        out << "Host: " << call.target.authority << "\r\n";
    if (bodyFramed)
        out << "Content-Length: " << length << "\r\n";
    out << "\r\n";
    Q_ASSERT(out.at() <= head.constData() + head.size());
    head.truncate(out.at() - head.constData());
    return head;
}

QString PlainHttpClient::Private::describe(const Call &call) const
{
    // Query strings may carry keys: scheme, host and path only.
    const QByteArray &target = call.target.target;
    const qsizetype query = target.indexOf('?');
    return QString::fromLatin1("http://" + call.target.authority + (query < 0 ? target : target.first(query)));
}

void PlainHttpClient::Private::dispatch(Call *call)
{
    if (!call->retried) {
        if (Connection *connection = takeIdle(call->target.authority)) {
            attach(connection, call);
            queueSend(call);
            return;
        }
    }
    if (open(call) && !call->connection->connecting)
        queueSend(call);  // connected at once; otherwise sent once writable
}

void PlainHttpClient::Private::queueSend(Call *call)
{
    // The calls a pass of the event loop starts go out together at its end: each send wakes
    // the provider's process, and one that is still awake from the previous send is woken
    // for much less (measured: sending each call as it came cost ~4 µs more per call at 64
    // connections, in the kernel's wake-ups).
    unsent.push_back(call->id);
    if (!flusher->isActive())
        flusher->start(0);
}

void PlainHttpClient::Private::flush()
{
    Scope scope(this);
    std::vector<UpstreamCallId> ids;
    ids.swap(unsent);
    for (const UpstreamCallId id : ids) {
        const auto it = calls.find(id);
        if (it != calls.end() && !it->second->finished && it->second->sent == 0)
            send(it->second.get());
    }
}

PlainHttpClient::Private::Connection *PlainHttpClient::Private::takeIdle(const QByteArray &key)
{
    const auto it = idle.find(key);
    if (it == idle.end())
        return nullptr;
    std::vector<Connection *> &list = it->second;
    while (!list.empty()) {
        Connection *connection = list.back();
        list.pop_back();
        --idleCount;
        if (connection->watchedIdle) {
            // Watched while idle: a close would have been seen (or is seen as the call's answer
            // ending early, which retries it on a new connection).
            unwatch(connection);
            return connection;
        }
        char byte = 0;
        const ssize_t peeked = ::recv(connection->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            connection->read->setEnabled(true);
            return connection;
        }
        close(connection);  // closed by the provider, or bytes nobody asked for
    }
    return nullptr;
}

bool PlainHttpClient::Private::open(Call *call)
{
    const PlainHttpTarget &target = call->target;
    const int fd = ::socket(target.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(call, UpstreamResult::Status::Failed, u"no socket: "_s + errnoText(errno));
        return false;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Calls may sit idle for minutes while a model thinks; keep NAT and proxies from dropping them.
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);

    sockaddr_storage address{};
    socklen_t length = 0;
    if (target.ipv6) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(target.port);
        inet_pton(AF_INET6, target.host.constData(), &in6->sin6_addr);
        length = sizeof(sockaddr_in6);
    } else {
        auto *in4 = reinterpret_cast<sockaddr_in *>(&address);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(target.port);
        inet_pton(AF_INET, target.host.constData(), &in4->sin_addr);
        length = sizeof(sockaddr_in);
    }
    int result = 0;
    do {
        result = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), length);
    } while (result < 0 && errno == EINTR);
    const int error = result < 0 ? errno : 0;
    if (result < 0 && error != EINPROGRESS) {
        ::close(fd);
        fail(call, UpstreamResult::Status::ConnectFailed,
             u"could not connect to %1: %2"_s.arg(QString::fromLatin1(target.authority), errnoText(error)));
        return false;
    }

    auto owned = std::make_unique<Connection>();
    Connection *connection = owned.get();
    connection->fd = fd;
    connection->key = target.authority;
    connection->connecting = result < 0;
    connection->read = new QSocketNotifier(fd, QSocketNotifier::Read, owner);
    connection->write = new QSocketNotifier(fd, QSocketNotifier::Write, owner);
    connection->write->setEnabled(connection->connecting);
    connection->read->setObjectName(u"tollgate-plain-http"_s);
    connection->write->setObjectName(u"tollgate-plain-http"_s);
    QObject::connect(connection->read, &QSocketNotifier::activated, owner, [this, connection] { readable(connection); });
    QObject::connect(connection->write, &QSocketNotifier::activated, owner, [this, connection] { writable(connection); });
    connections.emplace(connection, std::move(owned));
    attach(connection, call);
    if (connection->connecting) {
        const qint64 connectBy = nowMs() + MaxUpstreamConnectTimeout.count();
        arm(call, call->deadline > 0 ? std::min(call->deadline, connectBy) : connectBy);
    }
    return true;
}

void PlainHttpClient::Private::attach(Connection *connection, Call *call)
{
    connection->call = call;
    call->connection = connection;
}

void PlainHttpClient::Private::send(Call *call)
{
    Connection *connection = call->connection;
    if (!connection || connection->connecting)
        return;
    const QByteArray &body = call->request.body;
    const qsizetype total = call->head.size() + body.size();
    while (call->sent < total) {
        iovec parts[2];
        int count = 0;
        if (call->sent < call->head.size()) {
            parts[count++] = {const_cast<char *>(call->head.constData()) + call->sent,
                              static_cast<size_t>(call->head.size() - call->sent)};
            if (!body.isEmpty())
                parts[count++] = {const_cast<char *>(body.constData()), static_cast<size_t>(body.size())};
        } else {
            const qsizetype offset = call->sent - call->head.size();
            parts[count++] = {const_cast<char *>(body.constData()) + offset, static_cast<size_t>(body.size() - offset)};
        }
        msghdr message{};
        message.msg_iov = parts;
        message.msg_iovlen = count;
        const ssize_t written = ::sendmsg(connection->fd, &message, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                connection->write->setEnabled(true);
                return;
            }
            lost(call, u"sending to the provider failed: "_s + errnoText(errno));
            return;
        }
        call->sent += written;
    }
    if (connection->write->isEnabled())
        connection->write->setEnabled(false);
}

void PlainHttpClient::Private::writable(Connection *connection)
{
    Scope scope(this);
    Call *call = connection->call;
    if (!call) {
        connection->write->setEnabled(false);
        return;
    }
    if (connection->connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
            error = errno;
        if (error == EINPROGRESS || error == EALREADY || error == EINTR)
            return;
        if (error != 0) {
            fail(call, UpstreamResult::Status::ConnectFailed,
                 u"could not connect to %1: %2"_s.arg(QString::fromLatin1(call->target.authority), errnoText(error)));
            return;
        }
        connection->connecting = false;
        arm(call, call->deadline);
    }
    send(call);
}

void PlainHttpClient::Private::readable(Connection *connection)
{
    Scope scope(this);
    Call *call = connection->call;
    if (!call) {
        // An idle kept-alive connection stirred: the provider closed it (or sent what nobody
        // asked for). It is no use any more.
        close(connection);
        return;
    }
    if (connection->connecting) {
        writable(connection);  // a refused connect can show as readable first
        if (connection->closed || connection->connecting || call->finished)
            return;
    }
    for (;;) {
        const ssize_t got = ::recv(connection->fd, buffer.get(), kReadBytes, 0);
        if (got > 0) {
            call->received = true;
            deliver(call, QByteArrayView(buffer.get(), got));
            if (call->finished || connection->closed || connection->call != call || call->paused)
                return;
            if (static_cast<size_t>(got) < kReadBytes)
                return;
            continue;
        }
        if (got == 0) {
            if (call->parser.completeAtClose()) {
                complete(call, false);
                return;
            }
            lost(call, u"the provider closed the connection before the answer ended"_s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            lost(call, u"reading from the provider failed: "_s + errnoText(errno));
        return;
    }
}

void PlainHttpClient::Private::deliver(Call *call, QByteArrayView data)
{
    QByteArray body;
    const ResponseParser::Progress progress = call->parser.feed(data, body);
    // What arrived whole is delivered before an error further on ends the call.
    if (progress.headReady && call->handlers.onHead) {
        call->handlers.onHead(call->parser.status(), call->parser.headers());
        if (call->finished)
            return;
    }
    if (!body.isEmpty() && call->handlers.onData) {
        call->handlers.onData(body);
        if (call->finished)
            return;
    }
    if (progress.error) {
        fail(call, UpstreamResult::Status::Failed, call->parser.error());
        return;
    }
    if (progress.complete) {
        const bool sentWhole = call->sent == call->head.size() + call->request.body.size();
        complete(call, call->parser.keepAlive() && !progress.extra && sentWhole);
    }
}

void PlainHttpClient::Private::lost(Call *call, const QString &message)
{
    Connection *connection = call->connection;
    if (connection && connection->served && !call->received && !call->retried) {
        // A kept-alive connection the provider closed while it was idle (the usual race of
        // keep-alive): nothing was answered, so the call goes out once more on a new connection.
        close(connection);
        call->connection = nullptr;
        call->retried = true;
        call->sent = 0;
        call->parser = ResponseParser::forRequest(call->request);
        dispatch(call);
        return;
    }
    fail(call, UpstreamResult::Status::Failed, message);
}

void PlainHttpClient::Private::complete(Call *call, bool reusable)
{
    Connection *connection = std::exchange(call->connection, nullptr);
    if (connection) {
        connection->call = nullptr;
        if (reusable)
            park(connection);
        else
            close(connection);
    }
    // The connection is back in the pool before onDone, which may start the next call on it.
    finish(call, UpstreamResult{});
}

void PlainHttpClient::Private::fail(Call *call, UpstreamResult::Status status, const QString &message)
{
    if (Connection *connection = std::exchange(call->connection, nullptr)) {
        connection->call = nullptr;
        close(connection);
    }
    qCInfo(lcUpstream).noquote() << "call" << call->id << "to" << describe(*call) << "failed:" << message;
    const UpstreamResult result{status, message,
                                call->sent > 0 && call->sent >= call->head.size() + call->request.body.size()};
    if (!starting) {
        finish(call, result);
        return;
    }
    // Never from inside start(): reported from the event loop, unless cancelled meanwhile.
    arm(call, 0);
    const UpstreamCallId id = call->id;
    QMetaObject::invokeMethod(owner, [this, id, result] {
        const auto it = calls.find(id);
        if (it == calls.end() || it->second->finished)
            return;
        Scope scope(this);
        finish(it->second.get(), result);
    }, Qt::QueuedConnection);
}

void PlainHttpClient::Private::finish(Call *call, const UpstreamResult &result)
{
    // onHead came with the head; onDone ends the call, which is gone once it returns.
    const auto onDone = std::move(call->handlers.onDone);
    release(call);  // deferred while a handler may be on the stack
    if (onDone)
        onDone(result);
}

void PlainHttpClient::Private::release(Call *call)
{
    call->finished = true;
    arm(call, 0);
    const auto it = calls.find(call->id);
    if (it == calls.end())
        return;
    if (depth > 0)
        deadCalls.push_back(std::move(it->second));
    calls.erase(it);
}

void PlainHttpClient::Private::park(Connection *connection)
{
    connection->served = true;
    if (connection->write->isEnabled())
        connection->write->setEnabled(false);
    if (idleCount >= maxIdle) {
        close(connection);
        return;
    }
    idle[connection->key].push_back(connection);
    ++idleCount;
    watch(connection);
    if (watchedIdle > kMaxWatchedIdle && !sweeper->isActive())
        sweeper->start(static_cast<int>(kWarmMs) + 5);
}

void PlainHttpClient::Private::watch(Connection *connection)
{
    connection->watchedIdle = true;
    connection->parkedAt = nowMs();
    connection->older = newestWatched;
    connection->newer = nullptr;
    if (newestWatched)
        newestWatched->newer = connection;
    else
        oldestWatched = connection;
    newestWatched = connection;
    ++watchedIdle;
}

void PlainHttpClient::Private::unwatch(Connection *connection)
{
    if (!connection->watchedIdle)
        return;
    (connection->older ? connection->older->newer : oldestWatched) = connection->newer;
    (connection->newer ? connection->newer->older : newestWatched) = connection->older;
    connection->older = connection->newer = nullptr;
    connection->watchedIdle = false;
    --watchedIdle;
}

void PlainHttpClient::Private::sweep()
{
    const qint64 now = nowMs();
    while (watchedIdle > kMaxWatchedIdle && oldestWatched->parkedAt + kWarmMs <= now) {
        Connection *cold = oldestWatched;
        unwatch(cold);
        cold->read->setEnabled(false);
    }
    if (watchedIdle > kMaxWatchedIdle)
        sweeper->start(static_cast<int>(oldestWatched->parkedAt + kWarmMs - now) + 1);
}

void PlainHttpClient::Private::close(Connection *connection)
{
    if (connection->closed)
        return;
    connection->closed = true;
    unwatch(connection);
    if (!connection->call) {
        if (const auto it = idle.find(connection->key); it != idle.end()) {
            auto &list = it->second;
            if (const auto at = std::find(list.begin(), list.end(), connection); at != list.end()) {
                list.erase(at);
                --idleCount;
            }
        }
    }
    // No notifier may watch the descriptor once it is closed (its number comes back).
    connection->read->setEnabled(false);
    connection->write->setEnabled(false);
    QObject::disconnect(connection->read, nullptr, owner, nullptr);
    QObject::disconnect(connection->write, nullptr, owner, nullptr);
    ::close(connection->fd);
    connection->fd = -1;
    const auto it = connections.find(connection);
    if (it == connections.end())
        return;
    if (depth > 0) {
        // A notifier of this connection may be emitting right now.
        connection->read->deleteLater();
        connection->write->deleteLater();
        deadConnections.push_back(std::move(it->second));
    } else {
        delete connection->read;
        delete connection->write;
    }
    connections.erase(it);
}

void PlainHttpClient::Private::arm(Call *call, qint64 at)
{
    if (call->armed == at)
        return;
    if (call->armed != 0)
        deadlines.erase({call->armed, call->id});
    call->armed = at;
    if (at == 0)
        return;
    deadlines.emplace(at, call->id);
    if (!timer->isActive() || at < timerAt) {
        timerAt = at;
        timer->start(static_cast<int>(std::clamp<qint64>(at - nowMs(), 0, INT_MAX)));
    }
}

void PlainHttpClient::Private::timerFired()
{
    Scope scope(this);
    const qint64 now = nowMs();
    while (!deadlines.empty() && deadlines.begin()->first <= now) {
        const UpstreamCallId id = deadlines.begin()->second;
        const auto it = calls.find(id);
        if (it == calls.end()) {
            deadlines.erase(deadlines.begin());
            continue;
        }
        Call *call = it->second.get();
        const bool connecting = call->connection && call->connection->connecting;
        const bool whole = call->deadline > 0 && call->armed >= call->deadline;
        const QString message = connecting && !whole
                                    ? u"connecting to %1 timed out"_s.arg(QString::fromLatin1(call->target.authority))
                                    : u"the provider did not answer within %1 ms"_s.arg(call->request.timeout.count());
        fail(call, UpstreamResult::Status::Timeout, message);
    }
    if (!deadlines.empty()) {
        timerAt = deadlines.begin()->first;
        timer->start(static_cast<int>(std::clamp<qint64>(timerAt - now, 0, INT_MAX)));
    }
}

PlainHttpClient::PlainHttpClient(QObject *owner, long maxIdleConnections)
    : d(std::make_unique<Private>(owner, maxIdleConnections))
{
}

PlainHttpClient::~PlainHttpClient()
{
    Q_ASSERT_X(d->depth == 0, "UpstreamClient", "destroyed from inside a handler");
}

void PlainHttpClient::start(UpstreamCallId id, const PlainHttpTarget &target, UpstreamRequest request,
                            UpstreamHandlers handlers)
{
    auto owned = std::make_unique<Private::Call>();
    Private::Call *call = owned.get();
    call->id = id;
    call->target = target;
    call->request = std::move(request);
    call->handlers = std::move(handlers);
    call->parser = ResponseParser::forRequest(call->request);
    call->head = d->requestHead(*call);
    if (call->request.timeout.count() > 0)
        call->deadline = nowMs() + call->request.timeout.count();
    d->calls.emplace(id, std::move(owned));

    const bool wasStarting = std::exchange(d->starting, true);
    {
        Private::Scope scope(d.get());
        if (call->deadline > 0)
            d->arm(call, call->deadline);
        d->dispatch(call);
    }
    d->starting = wasStarting;
}

bool PlainHttpClient::cancel(UpstreamCallId id)
{
    const auto it = d->calls.find(id);
    if (it == d->calls.end())
        return false;
    Private::Call *call = it->second.get();
    if (call->finished)
        return true;
    Private::Scope scope(d.get());
    if (Private::Connection *connection = std::exchange(call->connection, nullptr)) {
        // An unfinished answer's connection is closed, which the provider sees as the client leaving.
        connection->call = nullptr;
        d->close(connection);
    }
    d->release(call);
    return true;
}

bool PlainHttpClient::setPaused(UpstreamCallId id, bool paused)
{
    const auto it = d->calls.find(id);
    if (it == d->calls.end())
        return false;
    Private::Call *call = it->second.get();
    if (call->finished || call->paused == paused)
        return true;
    call->paused = paused;
    // Level-triggered: what the kernel holds already is read as soon as the notifier is back on.
    if (Private::Connection *connection = call->connection; connection && !connection->connecting && !connection->closed)
        connection->read->setEnabled(!paused);
    return true;
}

int PlainHttpClient::activeCalls() const
{
    return static_cast<int>(std::count_if(d->calls.cbegin(), d->calls.cend(),
                                          [](const auto &entry) { return !entry.second->finished; }));
}

} // namespace Tollgate
