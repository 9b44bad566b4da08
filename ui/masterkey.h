#pragma once

#include "models/result.h"

#include <QString>

namespace Tollgate {

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

} // namespace Tollgate
