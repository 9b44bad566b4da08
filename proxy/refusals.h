#pragma once

#include "../models/store/spendlog.h"
#include "httptypes.h"
#include "services.h"

#include <chrono>
#include <memory>

namespace Tollgate {

struct Caller;

// Model calls the gateway refuses — a bad or blocked key (401), a model not allowed (403), a
// budget or rate limit (429), a paused gateway (503), a request it cannot take (400) — are
// recorded in the spend log as status "refused", $0, with the status and the message the
// client got, so a lead sees who hits which limit. Calls that reached the relay are recorded
// by it (with their reason when they fail).
//
// A flood of refused calls (a script with a wrong key in a loop) must not turn into a flood of
// writes: at most Burst rows at once and PerSecond a second after that; the rest are counted.
class RefusalLog final : public std::enable_shared_from_this<RefusalLog>
{
public:
    static constexpr int Burst = 200;
    static constexpr int PerSecond = 20;

    explicit RefusalLog(GatewayServices &services) : m_services(services) {}

    // A model call's responder wrapped to record its refusal (other requests: as they are).
    ResponderPtr wrap(const HttpRequest &request, const QString &canonicalPath, ResponderPtr responder);
    // The row is written unless the rate is exceeded.
    void record(SpendLogRow row);
    [[nodiscard]] qint64 dropped() const { return m_dropped; }

private:
    GatewayServices &m_services;
    double m_tokens = Burst;
    std::chrono::steady_clock::time_point m_refilled = std::chrono::steady_clock::now();
    qint64 m_dropped = 0;
};

class RefusalRecorder final : public ForwardingResponder
{
public:
    // What a row needs is kept as it came (the body is shared, not copied) and read only if
    // the call is refused: the calls that go through pay nothing for it.
    struct Request
    {
        QString callType;
        QString dialect;
        QByteArray body;
        QByteArray session;
        SteadyClock::time_point receivedAt;
    };

    RefusalRecorder(ResponderPtr inner, std::weak_ptr<RefusalLog> log, Request request)
        : ForwardingResponder(std::move(inner)), m_log(std::move(log)), m_request(std::move(request))
    {
    }

    // Who is calling, once the key is known.
    void setCaller(const Caller &caller);
    // The relay took the call over: it records it.
    void setRelayed() { m_relayed = true; }

    void send(HttpResponse response) override;

private:
    std::weak_ptr<RefusalLog> m_log;
    Request m_request;
    QString m_apiKey;
    QString m_userId;
    bool m_relayed = false;
};

} // namespace Tollgate
