#pragma once

#include <QString>
#include <QUrl>

namespace Tollgate {

struct ConnectionInfo;
struct MasterKey;

// The window managing a gateway that runs elsewhere (Settings → Gateway → "Remote gateway"):
// its base URL is in AppSettings (RemoteBaseUrl, GatewayMode "remote"), its master key in the
// keychain under its own entry (SecretName; the fallback file FallbackFileName beside the local
// key's when no keychain runs). The window reaches it through ApiClient as it reaches the
// in-process gateway, so every page works the same.
namespace RemoteGateway {

inline constexpr const char *SecretName = "remote_master_key";
inline constexpr const char *FallbackFileName = "remote_master_key";

// A base URL as the user typed it, checked: http or https, a host, nothing after the port but
// an optional path prefix. `warning` (the URL is still accepted): plain http to a host that is
// not this computer sends the master key unencrypted.
struct UrlCheck
{
    QUrl url; // normalised (no trailing slash, no query); empty when refused
    QString error; // why it is refused, for the user
    QString warning;

    [[nodiscard]] bool ok() const { return error.isEmpty(); }
};
[[nodiscard]] UrlCheck checkBaseUrl(const QString &text);

// Whether `host` is this computer (localhost, 127.0.0.0/8, ::1).
[[nodiscard]] bool isLoopbackHost(const QString &host);

// What the window shows and uses for the remote gateway: `key` kept as `stored` says.
[[nodiscard]] ConnectionInfo connection(const QUrl &baseUrl, const MasterKey &stored);

// Where the key is kept, in words ("the OS keychain (entry remote_master_key)").
[[nodiscard]] QString keptInText(const MasterKey &stored);

} // namespace RemoteGateway

} // namespace Tollgate
