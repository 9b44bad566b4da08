#pragma once

#include "../models/config.h"
#include "../models/result.h"
#include "httptypes.h"

#include <QHostAddress>
#include <QObject>

#include <chrono>
#include <memory>
#include <thread>

class QEventLoop;

namespace Tollgate {

class IClock;
class ISecretStore;
class Store;

// The gateway: transport, router, controllers and the upstream client, all living on one
// thread (the gateway thread) and never blocking it. Create it, move it to its thread,
// then call start() there (GatewayHost does all that).
class Gateway final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Gateway)

public:
    struct Options
    {
        QHostAddress host = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 4000;                                  // 0 = any free port
        std::chrono::milliseconds idleTimeout{30'000};        // keep-alive connections
        std::chrono::milliseconds shutdownGrace{5'000};       // in-flight calls may finish
        EdgeLimits edgeLimits;                                // what one client may hold (tests shorten)
        ISecretStore *secrets = nullptr;   // provider secrets of store-added models (may be null)
        const IClock *clock = nullptr;     // null = the system clock
    };

    // `store` may be null (nothing is recorded) and must outlive the gateway.
    Gateway(Config config, Store *store, QObject *parent = nullptr);
    ~Gateway() override;

    // Listens and serves; returns the port. Call on the gateway's thread.
    Result<quint16> start(const Options &options);

    // Stops accepting, lets in-flight calls finish for the grace period, ends the rest
    // (503 / an error event), then emits stopped(). Call on the gateway's thread.
    void shutdown();

    [[nodiscard]] quint16 port() const;
    [[nodiscard]] int activeCalls() const;

    // A new master key (rotation): from the next request on, only `masterKey` passes as the
    // admin key; the old one is refused. Call on the gateway's thread.
    void setMasterKey(const QString &masterKey);

Q_SIGNALS:
    void stopped();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Runs a Gateway on a thread of its own: used by the app and by the integration tests.
// start() and stop() block the calling thread until the gateway has started or stopped.
class GatewayHost final
{
    Q_DISABLE_COPY_MOVE(GatewayHost)

public:
    GatewayHost();
    ~GatewayHost();

    Result<quint16> start(Config config, Store *store, const Gateway::Options &options);
    void stop();
    // Gateway::setMasterKey on the gateway's thread; returns once it applies (false when the
    // gateway does not run). Calls in flight finish; every request read after it sees the new key.
    bool setMasterKey(const QString &masterKey);

    [[nodiscard]] bool isRunning() const { return m_gateway != nullptr; }
    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] Gateway *gateway() const { return m_gateway; }

private:
    std::thread m_thread;
    Gateway *m_gateway = nullptr;     // lives on m_thread
    QEventLoop *m_loop = nullptr;     // m_thread's loop; the gateway is deleted when it returns
    quint16 m_port = 0;
};

} // namespace Tollgate
