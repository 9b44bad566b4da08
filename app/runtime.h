#pragma once

#include "../models/config.h"
#include "../models/result.h"
#include "../models/secretstore.h"
#include "../models/store/databasetarget.h"

#include <QHostAddress>
#include <QString>

namespace Tollgate {

// What the headless server and the desktop app share: where secrets come from, how the
// listen address and the database file are chosen.

// Secrets from TOLLGATE_SECRET_<NAME> first (headless machines have no keychain), then the
// OS keychain.
class LayeredSecretStore final : public ISecretStore, public IAsyncSecretStore
{
public:
    Result<QString> readSecret(const QString &name) override;
    Result<void> writeSecret(const QString &name, const QString &value) override;
    Result<void> deleteSecret(const QString &name) override;
    [[nodiscard]] QString backendName() const override;
    void readSecretAsync(const QString &name, QObject *context, ReadDone done) override;
    void writeSecretAsync(const QString &name, const QString &value, QObject *context, WriteDone done) override;

private:
    MemorySecretStore m_environment = MemorySecretStore::fromEnvironment();
    KeychainSecretStore m_keychain;
};

namespace Runtime {

Result<Config> loadConfig(const QString &path, ISecretStore &secrets);
// "localhost" or an IP address.
Result<QHostAddress> listenAddress(const QString &host);
// --db, else general_settings.database_url (relative to the config file), else the per-user
// data directory.
QString databasePath(const QString &commandLinePath, const Config &config, const QString &configPath);
// Where the store lives (issue #17): --db (a SQLite file) wins; else general_settings.database_url
// (a postgresql:// or postgres:// URL, or a SQLite path as above); else, when `environment` is
// given, its DATABASE_URL (what LiteLLM reads; only a PostgreSQL URL); else the SQLite default.
// Any other URL scheme is an error naming the setting (never its text: it may hold a password).
// A PostgreSQL target gets its local journal: general_settings.journal_dir, else
// <AppDataLocation>/journal/<hash of the URL without password>-<gatewayPort>, so two instances
// on one host never share one (Store takes the next slot if they still would).
Result<DatabaseTarget> databaseTarget(const QString &commandLinePath, const Config &config, const QString &configPath,
                                      quint16 gatewayPort, const QString &environment = {});
// "http://127.0.0.1:4000" style, IPv6 in brackets; a wildcard address is reached on loopback.
QString baseUrl(const QHostAddress &host, quint16 port);
// Raises the soft limit of open files to the hard limit: every relayed call holds two
// sockets, and desktops often start programs with a soft limit of 1024. Returns the limit.
quint64 raiseOpenFileLimit();
// Keeps secrets out of the log at any verbosity: QtHttpServer's own categories (qt.httpserver*)
// print every request with its headers, Authorization included, at debug level. A category
// filter turns their debug and info output off whatever QT_LOGGING_RULES or a rules file say
// (rules are applied inside the filter chain, before this override). Call before anything logs,
// in every mode (headless and desktop).
void installLogFilter();
// SIGINT/SIGTERM quit the event loop cleanly (through a pipe: nothing else is safe in a handler).
void quitOnSignals(QObject *context);

} // namespace Runtime

} // namespace Tollgate
