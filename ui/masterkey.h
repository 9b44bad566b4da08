#pragma once

#include "models/result.h"

#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>

namespace Tollgate {

class ApiClient;
class IAsyncSecretStore;
class ISecretStore;

// The desktop app's master key: the window needs one to call the management API, and a
// gateway with a master key refuses unauthenticated callers. Where it comes from, in order:
//   1. general_settings.master_key in config.yaml (the user chose it);
//   2. the secret "master_key" (the OS keychain, or TOLLGATE_SECRET_MASTER_KEY);
//   3. the fallback file, when an earlier start found no keychain;
//   4. a new random key (first start), written to the keychain — or, when no keychain
//      runs (no Secret Service on this desktop), to the fallback file, created 0600.
struct MasterKey
{
    enum class Source { Config, Keychain, FallbackFile, CreatedInKeychain, CreatedInFallbackFile };

    QString key;
    Source source = Source::Config;
    QString fallbackPath;        // the file used, for sources 3 and 5
    QString keychainError;       // why the keychain was not used (sources 3 and 5)
    bool keychainTimedOut = false;  // the keychain did not answer in time (MasterKeyKeeper)

    [[nodiscard]] bool created() const
    {
        return source == Source::CreatedInKeychain || source == Source::CreatedInFallbackFile;
    }
    [[nodiscard]] bool inFallbackFile() const
    {
        return source == Source::FallbackFile || source == Source::CreatedInFallbackFile;
    }

    // What the window tells the user when the key is in the fallback file, in plain words: no
    // error text, no D-Bus detail, nothing to edit (keychainError goes to the log instead).
    [[nodiscard]] QString fallbackNotice() const;

    static constexpr const char *SecretName = "master_key";

    // `fallbackPath`: e.g. <AppDataLocation>/master_key.
    static Result<MasterKey> provision(const QString &configKey, ISecretStore &secrets, const QString &fallbackPath);
    // A new key: "sk-" and 32 characters from a CSPRNG (URL-safe base64 of 24 bytes).
    static QString generate();
};

// MasterKey::provision without blocking, for the desktop app's start-up: the keychain is asked
// asynchronously and given `timeout` in all. A Secret Service without a default keyring asks
// the user for a new keyring's password, and the window and the gateway must not wait for that
// dialog: when the keychain has not answered in time, the key comes from the fallback file as
// when there is no keychain (an existing file's key is kept; otherwise a new key is written to it,
// 0600). What the keychain answers after the time-out never changes the key of the running
// gateway; only when it finally stores the very key in use (the user completed the dialog)
// is the fallback file removed, so the next start finds the same key in the keychain.
class MasterKeyKeeper final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MasterKeyKeeper)

public:
    using Done = std::function<void(Result<MasterKey>)>;
    static constexpr std::chrono::milliseconds DefaultTimeout{10'000};

    // `secrets` must outlive the keeper; `fallbackPath`: e.g. <AppDataLocation>/master_key.
    // `secretName`: the keychain entry (another one keeps a remote gateway's master key).
    MasterKeyKeeper(IAsyncSecretStore *secrets, QString fallbackPath, QObject *parent = nullptr,
                    QString secretName = QString::fromLatin1(MasterKey::SecretName));
    ~MasterKeyKeeper() override;

    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    [[nodiscard]] std::chrono::milliseconds timeout() const { return m_timeout; }
    [[nodiscard]] QString fallbackPath() const { return m_fallbackPath; }
    [[nodiscard]] QString secretName() const { return m_secretName; }

    // The order of MasterKey::provision (config, keychain, fallback file, a new key). `done` is
    // called exactly once (possibly before this returns, when nothing needs the keychain).
    void provision(const QString &configKey, Done done);
    // Keeps `key` as the master key from now on (rotation): in the keychain (a fallback file is
    // then removed, so the old key is nowhere), else — the keychain fails or does not answer in
    // time — in the fallback file. Source is Keychain or FallbackFile.
    void save(const QString &key, Done done);
    // Reads a key that was saved before (a remote gateway's: never made up here): the keychain,
    // else the fallback file (source Keychain or FallbackFile); an error when neither has one.
    // A key in the file moves into the keychain when the keychain takes it now (as provision()
    // does). Bounded by the time-out like provision().
    void load(Done done);

private:
    struct Attempt;
    void settle(const std::shared_ptr<Attempt> &attempt, Result<MasterKey> result);
    void provisionFromKeychainAnswer(const std::shared_ptr<Attempt> &attempt, Result<QString> stored);
    void writeToKeychain(const std::shared_ptr<Attempt> &attempt, const QString &key, MasterKey::Source onSuccess);
    void timedOut(const std::shared_ptr<Attempt> &attempt);

    IAsyncSecretStore *m_secrets;
    QString m_fallbackPath;
    QString m_secretName;
    std::chrono::milliseconds m_timeout = DefaultTimeout;
};

// Rotation as the desktop app does it: a new key (MasterKey::generate), kept by `keeper` (the
// keychain, else the fallback file), applied to the running gateway by `apply` (the app:
// GatewayHost::setMasterKey, which refuses the old key from the next request on), then `api`
// sends the new key. Kept before applied: a gateway must never run with a key that is stored
// nowhere. `done` gets the new key and where it is kept, or why the old key stays.
void rotateMasterKey(MasterKeyKeeper &keeper, ApiClient &api, std::function<bool(const QString &)> apply,
                     MasterKeyKeeper::Done done);

} // namespace Tollgate
