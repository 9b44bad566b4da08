#pragma once

// UpstreamClient's engine for plain-http providers at an IP address (a local model server, a
// sidecar): HTTP/1.1 over kept-alive non-blocking sockets on the event loop, without libcurl's
// per-call machinery (its timers, connection checks and header callbacks cost about a sixth of
// a relayed call). UpstreamClient decides which engine takes a call; both keep its contract.
#include "upstreamclient.h"

#include <QByteArray>

#include <chrono>
#include <memory>
#include <optional>

class QObject;

namespace Tollgate {

// The longest a provider connection may take to open, whichever engine opens it.
inline constexpr std::chrono::milliseconds MaxUpstreamConnectTimeout{30'000};

// Where a plain-http call goes: the parts of an http:// URL whose host is an IP literal.
struct PlainHttpTarget
{
    QByteArray authority;  // host[:port] as written, sent as Host (and the pool's key)
    QByteArray host;       // the literal, without brackets
    quint16 port = 80;
    QByteArray target;     // path and query, "/" when the URL has none
    bool ipv6 = false;

    // std::nullopt for anything else (https, names, user info, odd characters): libcurl's.
    static std::optional<PlainHttpTarget> parse(const QByteArray &url);
};

// No CR, LF or NUL: a header name or value that cannot smuggle a header or a second request.
bool isSafeHeaderPart(const QByteArray &part);

class PlainHttpClient final
{
public:
    // Socket notifiers and timers are children of `owner` (they follow it to another thread).
    PlainHttpClient(QObject *owner, long maxIdleConnections);
    ~PlainHttpClient();
    PlainHttpClient(const PlainHttpClient &) = delete;
    PlainHttpClient &operator=(const PlainHttpClient &) = delete;

    void start(UpstreamCallId id, const PlainHttpTarget &target, UpstreamRequest request,
               UpstreamHandlers handlers);
    // False when the id is not one of this engine's calls in flight.
    bool cancel(UpstreamCallId id);
    // False when the id is not one of this engine's calls in flight (UpstreamClient::setPaused).
    bool setPaused(UpstreamCallId id, bool paused);
    [[nodiscard]] int activeCalls() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Tollgate
