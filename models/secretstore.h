#pragma once

#include "result.h"

#include <QHash>
#include <QString>

#include <functional>

class QObject;

namespace Tollgate {

// Where secrets live: provider API keys, the master key. Config values of the form
// "keychain/NAME" are read through this interface; nothing else touches the keychain.
class ISecretStore
{
public:
    virtual ~ISecretStore() = default;

    // Blocking read (used at start-up and from management calls, never per request).
    // A missing entry is an error that names it.
    virtual Result<QString> readSecret(const QString &name) = 0;
    virtual Result<void> writeSecret(const QString &name, const QString &value) = 0;
    virtual Result<void> deleteSecret(const QString &name) = 0;
    // Human-readable name of the backend, for logs and --check-config.
    [[nodiscard]] virtual QString backendName() const = 0;
};

// The keychain without blocking, for the desktop app's start-up: an OS prompt (a new
// keyring's password, an unlock dialog) may stay open for minutes, and nothing may wait for it
// — not the window, not the gateway. `done` is called once, on `context`'s thread, unless
// `context` is destroyed first; it may be called before the function returns (a store that
// answers at once). A store may also never call it (a keychain that does not answer): the
// caller bounds the wait itself.
class IAsyncSecretStore
{
public:
    using ReadDone = std::function<void(Result<QString>)>;
    using WriteDone = std::function<void(Result<void>)>;

    virtual ~IAsyncSecretStore() = default;

    virtual void readSecretAsync(const QString &name, QObject *context, ReadDone done) = 0;
    virtual void writeSecretAsync(const QString &name, const QString &value, QObject *context, WriteDone done) = 0;
};

// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on
// Windows) through QtKeychain. Entries are stored under the service name "Tollgate".
class KeychainSecretStore final : public ISecretStore, public IAsyncSecretStore
{
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("Tollgate"));

    Result<QString> readSecret(const QString &name) override;
    Result<void> writeSecret(const QString &name, const QString &value) override;
    Result<void> deleteSecret(const QString &name) override;
    // QtKeychain's jobs as they are: started now, answered on the event loop, no time-out of
    // their own (a job still running when its caller gave up deletes itself when it ends).
    void readSecretAsync(const QString &name, QObject *context, ReadDone done) override;
    void writeSecretAsync(const QString &name, const QString &value, QObject *context, WriteDone done) override;
    [[nodiscard]] QString backendName() const override;

private:
    QString m_service;
};

// Secrets held in memory: for tests, and for headless use where no keychain runs
// (values come from the environment: TOLLGATE_SECRET_<NAME>).
class MemorySecretStore final : public ISecretStore, public IAsyncSecretStore
{
public:
    MemorySecretStore() = default;
    explicit MemorySecretStore(QHash<QString, QString> secrets);

    // Reads TOLLGATE_SECRET_<NAME> (NAME upper-cased, non-alphanumerics as '_').
    static MemorySecretStore fromEnvironment();

    Result<QString> readSecret(const QString &name) override;
    Result<void> writeSecret(const QString &name, const QString &value) override;
    Result<void> deleteSecret(const QString &name) override;
    [[nodiscard]] QString backendName() const override;
    // Answer at once (before returning).
    void readSecretAsync(const QString &name, QObject *context, ReadDone done) override;
    void writeSecretAsync(const QString &name, const QString &value, QObject *context, WriteDone done) override;

private:
    QHash<QString, QString> m_secrets;
    bool m_fromEnvironment = false;
};

} // namespace Tollgate
