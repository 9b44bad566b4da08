#pragma once

#include <QSettings>
#include <QString>
#include <QVariant>

namespace Tollgate {

// The desktop app's own settings (QSettings, per user). One key enum, one defaults table.
// Gateway settings (host, port, database, budget mode) take effect at the next start; the
// command line overrides them for one run. A remote gateway's master key is never kept here
// (the keychain holds it: RemoteGateway::SecretName).
class AppSettings final
{
public:
    enum class Key {
        Host,               // "127.0.0.1"
        Port,               // 4000
        DatabasePath,       // "" = the per-user data directory
        ConfigPath,         // "" = the built-in configuration
        BudgetMode,         // "" = as config.yaml says, else "reserve" | "strict"
        StartMinimized,     // false: start hidden in the tray (when there is one)
        CloseToTray,        // true: closing the window keeps the gateway running in the tray
        WelcomeShown,       // false until the first-start welcome was shown
        GatewayMode,        // "local": the in-process gateway; "remote": a gateway at RemoteBaseUrl
        RemoteBaseUrl,      // e.g. "https://gateway.example.com:4000" (its master key is in the keychain)
        PreviousMasterKeyTokens,  // [] SHA-256 hex of the local gateway's master keys before a rotation
    };

    // `settings` defaults to QSettings() (organisation/application names of the app);
    // tests pass one backed by a temporary file.
    explicit AppSettings(QSettings *settings = nullptr);
    ~AppSettings();
    Q_DISABLE_COPY_MOVE(AppSettings)

    [[nodiscard]] QVariant value(Key key) const;
    void setValue(Key key, const QVariant &value);
    void sync();

    [[nodiscard]] static QString name(Key key);
    [[nodiscard]] static QVariant defaultValue(Key key);

private:
    QSettings *m_settings;
    bool m_owned;
};

} // namespace Tollgate
