#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>

namespace Tollgate {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;
using SteadyClock = std::chrono::steady_clock;

// ASCII text (a header name, a token) compared without case. The lengths first: most header
// names differ in length, and qstrnicmp walks the bytes before it compares lengths (~25 look-ups
// a call).
inline bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

// Writes byte runs one after another into a buffer sized for them beforehand: a memcpy each,
// where QByteArray::append's checks and growth cost ~100 instructions a run (an HTTP head is a
// few dozen runs).
class ByteWriter
{
public:
    explicit ByteWriter(char *at) : m_at(at) {}

    ByteWriter &operator<<(QByteArrayView bytes)
    {
        if (!bytes.isEmpty())
            std::memcpy(m_at, bytes.data(), size_t(bytes.size()));
        m_at += bytes.size();
        return *this;
    }
    [[nodiscard]] const char *at() const { return m_at; }

private:
    char *m_at;
};

// A request as the gateway sees it: a plain value, copied out of the HTTP server's
// objects before the handler runs (QtHttpServer reuses its request object).
struct HttpRequest
{
    QByteArray method;        // upper case: GET, POST, ...
    QString path;             // decoded path, e.g. "/v1/chat/completions"
    QUrlQuery query;
    HeaderList headers;       // names lower-cased, in arrival order
    QByteArray body;
    QHostAddress peer;
    SteadyClock::time_point receivedAt = SteadyClock::now();

    // First value of a header (name compared case-insensitively), empty if absent.
    [[nodiscard]] QByteArray header(QByteArrayView name) const
    {
        for (const auto &[key, value] : headers) {
            if (equalsIgnoringCase(key, name))
                return value;
        }
        return {};
    }
    [[nodiscard]] bool hasHeader(QByteArrayView name) const
    {
        for (const auto &entry : headers) {
            if (equalsIgnoringCase(entry.first, name))
                return true;
        }
        return false;
    }
};

// The coding agent's session a request belongs to: Claude Code's X-Claude-Code-Session-Id,
// Codex's session_id (or conversation_id), or a generic x-session-id; empty when none.
inline QByteArray sessionHeader(const HttpRequest &request)
{
    for (const char *name : {"x-claude-code-session-id", "session_id", "session-id", "x-session-id", "conversation_id"}) {
        const QByteArray value = request.header(name).trimmed();
        if (!value.isEmpty())
            return value;
    }
    return {};
}

// The session id a spend-log row keeps: the header's text, at most 256 characters.
inline QString sessionIdOf(const QByteArray &sessionHeaderValue)
{
    return QString::fromUtf8(sessionHeaderValue).left(256);
}

// A whole (non-streamed) answer.
struct HttpResponse
{
    int status = 200;
    QByteArray contentType = QByteArrayLiteral("application/json");
    HeaderList headers;
    QByteArray body;
};

// The way back to the client of one request. A handler may answer at once or later
// (after an upstream call); the transport keeps the connection's order and lifetime.
// All calls happen on the gateway thread. Writing after the client left is a no-op.
class IResponder
{
public:
    virtual ~IResponder() = default;

    // Sends a whole response; the exchange is finished afterwards.
    virtual void send(HttpResponse response) = 0;

    // Starts a chunked response (SSE and other streams); then writeChunk()* and endStream().
    virtual void beginStream(int status, const QByteArray &contentType, const HeaderList &headers) = 0;
    virtual void writeChunk(const QByteArray &data) = 0;
    virtual void endStream() = 0;

    [[nodiscard]] virtual bool isFinished() const = 0;
    [[nodiscard]] virtual bool isConnected() const = 0;

    // Runs once if the client goes away before the exchange finished.
    virtual void setDisconnectHandler(std::function<void()> handler) = 0;

    // Bytes written but not yet taken by the client's connection: a client that does not read
    // leaves them queued in the gateway. A relay stops reading its provider past a limit.
    [[nodiscard]] virtual qint64 unsentBytes() const { return 0; }
    // `handler` runs once when the unsent bytes have fallen to `low` (from the event loop as the
    // client reads; at once if they are there already); a later call replaces it, and the
    // exchange's end (or the client leaving) drops it.
    virtual void whenUnsentFallTo(qint64 low, std::function<void()> handler)
    {
        Q_UNUSED(low);
        handler();
    }
    // The largest whole (non-streamed) answer this responder takes, in bytes; -1: no limit of
    // its own. A responder that translates answers through a JSON DOM holds several times their
    // size while it does.
    [[nodiscard]] virtual qint64 maxAnswerBytes() const { return -1; }
};

using ResponderPtr = std::shared_ptr<IResponder>;

// A whole answer translated between dialects (parsed into a DOM, several times its size) is at
// most this large. A model's longest answer is a few MB of JSON; a hostile provider's 100 MB
// answers, translated two at a time, took a gigabyte.
inline constexpr qint64 MaxTranslatedAnswerBytes = 16LL * 1024 * 1024;

// A responder wrapped around another (the client's): every call goes to the inner one; a
// subclass overrides what it changes (headers added, answers translated).
class ForwardingResponder : public IResponder
{
public:
    explicit ForwardingResponder(ResponderPtr inner) : m_inner(std::move(inner)) {}

    void send(HttpResponse response) override { m_inner->send(std::move(response)); }
    void beginStream(int status, const QByteArray &contentType, const HeaderList &headers) override
    {
        m_inner->beginStream(status, contentType, headers);
    }
    void writeChunk(const QByteArray &data) override { m_inner->writeChunk(data); }
    void endStream() override { m_inner->endStream(); }
    [[nodiscard]] bool isFinished() const override { return m_inner->isFinished(); }
    [[nodiscard]] bool isConnected() const override { return m_inner->isConnected(); }
    void setDisconnectHandler(std::function<void()> handler) override
    {
        m_inner->setDisconnectHandler(std::move(handler));
    }
    [[nodiscard]] qint64 unsentBytes() const override { return m_inner->unsentBytes(); }
    void whenUnsentFallTo(qint64 low, std::function<void()> handler) override
    {
        m_inner->whenUnsentFallTo(low, std::move(handler));
    }
    [[nodiscard]] qint64 maxAnswerBytes() const override { return m_inner->maxAnswerBytes(); }

    [[nodiscard]] const ResponderPtr &inner() const { return m_inner; }

protected:
    // `limit`, or the inner responder's limit where that is lower.
    [[nodiscard]] qint64 innerLimitOr(qint64 limit) const
    {
        const qint64 inner = m_inner->maxAnswerBytes();
        return inner >= 0 && inner < limit ? inner : limit;
    }

protected:
    ResponderPtr m_inner;
};

// The responder of type T in a chain of forwarding responders (the outermost first), or null.
template<class T>
std::shared_ptr<T> findResponder(ResponderPtr responder)
{
    while (responder) {
        if (auto found = std::dynamic_pointer_cast<T>(responder))
            return found;
        auto *forwarding = dynamic_cast<ForwardingResponder *>(responder.get());
        responder = forwarding ? forwarding->inner() : ResponderPtr();
    }
    return nullptr;
}

// What one client may hold of the gateway at its HTTP edge. Each limit is answered with its
// status and a closed connection; the defaults suit a local gateway, tests shorten the times.
struct EdgeLimits
{
    qint64 maxHeadBytes = 16 * 1024;   // request line + headers, any line endings → 431
    int maxHeaderCount = 100;          // header lines → 431
    // A head must be complete this long after its first byte → 408 (a slowloris head).
    std::chrono::milliseconds headTimeout{10'000};
    // A body must bring bodyProgressBytes (or the rest of it) in every window → 408.
    std::chrono::milliseconds bodyProgressWindow{5'000};
    qint64 bodyProgressBytes = 1024;
    int maxConnections = 4096;         // beyond: a new connection is closed at once
    int maxPipelined = 16;             // requests waiting behind the one being answered → 429
};

} // namespace Tollgate
