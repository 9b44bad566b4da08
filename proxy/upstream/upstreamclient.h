#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>

namespace Tollgate {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// One HTTP call to a provider.
struct UpstreamRequest
{
    QByteArray method = QByteArrayLiteral("POST");
    QByteArray url;                 // absolute http:// or https:// URL
    HeaderList headers;             // sent as given (Content-Type included by the caller)
    QByteArray body;                // owned by the call until it finishes
    std::chrono::milliseconds timeout{600'000};  // whole call, connect included
};

// How a call ended.
struct UpstreamResult
{
    enum class Status {
        Ok,           // a full HTTP response arrived (any status code)
        Timeout,      // the deadline passed
        ConnectFailed,// refused, DNS failure, unreachable
        Failed,       // TLS, protocol or other transport error
        Cancelled     // cancel() was called
    };
    Status status = Status::Ok;
    QString message;                // transport error text, empty when Ok
    // The whole request reached the provider's connection: it may be working on it (and
    // billing it) although no answer came.
    bool requestSent = false;
};

// Callbacks of one call, all on the client's thread, in this order:
// onHead once (status and headers known, before the first body byte, or at completion
// for a bodiless answer), onData for each piece of body as it arrives, onDone once.
// After cancel() no callback of that call runs again, onDone included.
struct UpstreamHandlers
{
    std::function<void(int status, const HeaderList &headers)> onHead;
    std::function<void(const QByteArray &chunk)> onData;
    std::function<void(const UpstreamResult &result)> onDone;
};

using UpstreamCallId = quint64;

// Asynchronous HTTP client for provider calls, driven by the event loop of the thread it
// lives on (socket notifiers + timers, no extra thread). No per-host connection cap; idle
// keep-alive connections are reused. Two engines: HTTP/1.1 to an http:// URL whose host is an
// IP address goes through PlainHttpClient (plainhttp.h), everything else (TLS, names, HTTP/2,
// proxies) through libcurl multi.
class UpstreamClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpstreamClient)

public:
    enum class HttpVersion { Http11, Http2Tls, Http2 };

    struct Options
    {
        HttpVersion httpVersion = HttpVersion::Http11;
        long maxIdleConnections = 256;   // CURLMOPT_MAXCONNECTS, and the plain engine's pool
        bool plainHttpEngine = true;     // false: libcurl for every call
    };

    explicit UpstreamClient(QObject *parent = nullptr);
    UpstreamClient(Options options, QObject *parent = nullptr);
    ~UpstreamClient() override;

    // Starts a call; handlers run later, never from inside start().
    UpstreamCallId start(UpstreamRequest request, UpstreamHandlers handlers);

    // Stops a call (safe from inside its own callbacks, and for finished ids).
    void cancel(UpstreamCallId id);

    // Stops reading a call's answer (its client reads slower than the provider writes), or
    // reads on. A paused call's deadline still runs. Safe from inside its onData, and for
    // finished ids; resuming may deliver data before it returns.
    void setPaused(UpstreamCallId id, bool paused);

    [[nodiscard]] int activeCalls() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Tollgate
