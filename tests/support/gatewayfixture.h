#pragma once

#include "models/clock.h"
#include "models/config.h"
#include "models/secretstore.h"
#include "models/store/databasetarget.h"
#include "models/store/store.h"
#include "proxy/gateway.h"
#include "tests/support/httpclient.h"

#include <QJsonObject>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace Tollgate::Test {

// A real gateway on its own thread with a real SQLite file in a temporary directory, for
// integration tests of the management API. restart() stops it and starts it again on the
// same database (what survives a restart is what the store holds).
class GatewayFixture final
{
public:
    static constexpr const char *MasterKey = "sk-test-master-key";

    // Mock models: "gpt-a" (groups "beta", "all-team"), "gpt-b" ("all-team"),
    // "gpt-c" (no group); master key MasterKey.
    static Config defaultConfig();

    explicit GatewayFixture(Config config = defaultConfig());
    ~GatewayFixture();
    Q_DISABLE_COPY_MOVE(GatewayFixture)

    bool start();      // false on failure (see lastError())
    void stop();
    bool restart();

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] Store &store() { return m_store; }
    // The SQLite file; with TOLLGATE_TEST_PG_URL set (the `_pg` variants) the store is a fresh
    // PostgreSQL database instead (kept across restart()), and this names it.
    [[nodiscard]] QString databasePath() const;
    [[nodiscard]] bool onPostgres() const { return m_postgres.has_value(); }
    // Everything the database holds, as bytes to search (a secret must never be in them): the
    // SQLite file with its -wal, -shm and -journal; on PostgreSQL every row of every table as
    // JSON text. Needs the store open.
    [[nodiscard]] QByteArray storedBytes();
    [[nodiscard]] QString lastError() const { return m_lastError; }
    [[nodiscard]] MemorySecretStore &secrets() { return m_secrets; }
    // The running gateway's host (e.g. GatewayHost::setMasterKey, as the desktop app rotates).
    [[nodiscard]] GatewayHost &host() { return m_gateway; }
    [[nodiscard]] Config &config() { return m_config; }
    // Set before start(); the gateway reads time from it.
    void setClock(const IClock *clock) { m_clock = clock; }

    // A client that sends `key` as the bearer token (empty = no key).
    [[nodiscard]] std::unique_ptr<HttpClient> client(const QByteArray &key = MasterKey) const;

    // One-shot JSON calls with `key` (default: the master key).
    HttpClient::Response post(const QByteArray &path, const QJsonObject &body, const QByteArray &key = MasterKey) const;
    HttpClient::Response get(const QByteArray &path, const QByteArray &key = MasterKey) const;

private:
    Config m_config;
    QTemporaryDir m_dir;
    std::optional<DatabaseTarget> m_postgres;
    Store m_store;
    GatewayHost m_gateway;
    MemorySecretStore m_secrets;
    const IClock *m_clock = nullptr;
    quint16 m_port = 0;
    QString m_lastError;
};

} // namespace Tollgate::Test
