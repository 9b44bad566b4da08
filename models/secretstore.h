#pragma once

#include "result.h"

#include <QHash>
#include <QString>

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

// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on
// Windows) through QtKeychain. Entries are stored under the service name "Tollgate".
class KeychainSecretStore final : public ISecretStore
{
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("Tollgate"));

    Result<QString> readSecret(const QString &name) override;
    Result<void> writeSecret(const QString &name, const QString &value) override;
    Result<void> deleteSecret(const QString &name) override;
    [[nodiscard]] QString backendName() const override;

private:
    QString m_service;
};

// Secrets held in memory: for tests, and for headless use where no keychain runs
// (values come from the environment: TOLLGATE_SECRET_<NAME>).
class MemorySecretStore final : public ISecretStore
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

private:
    QHash<QString, QString> m_secrets;
    bool m_fromEnvironment = false;
};

} // namespace Tollgate
