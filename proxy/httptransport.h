#pragma once

#include "../models/result.h"
#include "httptypes.h"

#include <QHostAddress>
#include <QObject>

#include <chrono>
#include <functional>
#include <memory>

namespace Tollgate {

// The HTTP/1.1 edge of the gateway. Owns the QtHttpServer objects — no QtHttpServer type
// leaves this class (its API changed between Qt 6.4 and 6.8) — and hands every request,
// copied into an HttpRequest, to one handler together with an IResponder.
//
// It also does what QtHttpServer 6.4 leaves out: bounds every request (head size and header
// count → 431, a head or body that does not arrive in time → 408, bodies over the size
// limit as soon as the headers arrive → 413, framing that could be read two ways → 400),
// the number of open connections and of pipelined requests (EdgeLimits), honours
// "Connection: close" and HTTP/1.0, closes idle keep-alive connections, answers pipelined
// requests in order, answers "Expect: 100-continue", refuses WebSocket upgrades (400; QtHttpServer
// would drop them without a word), sets TCP_NODELAY, and —
// while bound to loopback — refuses requests whose Host is not a loopback name (403), so
// a web page cannot reach the gateway through DNS rebinding.
class HttpTransport final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpTransport)

public:
    using Handler = std::function<void(HttpRequest &&request, ResponderPtr responder)>;

    struct Options
    {
        QHostAddress host = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 4000;                      // 0 = any free port
        qint64 maxBodyBytes = 32LL * 1024 * 1024;
        std::chrono::milliseconds idleTimeout{30'000};
        EdgeLimits limits;
    };

    explicit HttpTransport(Handler handler, QObject *parent = nullptr);
    ~HttpTransport() override;

    // Binds and listens; returns the port. Errors name the address and the reason.
    Result<quint16> listen(const Options &options);

    // Stops accepting connections; open connections and exchanges go on.
    void stopListening();
    // Closes every connection that has no exchange in progress.
    void closeIdleConnections();

    [[nodiscard]] quint16 port() const;
    [[nodiscard]] int openConnections() const;
    [[nodiscard]] int activeExchanges() const;
    // Requests whose head QtHttpServer's parser was given trimmed to its request line and
    // framing (the guard read the headers): the usual case, a whole request in the buffer.
    [[nodiscard]] quint64 trimmedHeads() const;

    // True when `hostHeader` names this machine's loopback (any port).
    static bool isLoopbackHost(QByteArrayView hostHeader);

    // Implementation detail, shared with the connection objects in the .cpp.
    struct Private;

Q_SIGNALS:
    // An exchange finished (answered, or its client left).
    void exchangeFinished();

private:
    std::unique_ptr<Private> d;
};

} // namespace Tollgate
