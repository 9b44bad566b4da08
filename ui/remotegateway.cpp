#include "remotegateway.h"

#include "mainwindow.h"
#include "masterkey.h"

#include <QCoreApplication>
#include <QHostAddress>

using namespace Qt::StringLiterals;

namespace Tollgate::RemoteGateway {

bool isLoopbackHost(const QString &host)
{
    if (host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

UrlCheck checkBaseUrl(const QString &text)
{
    UrlCheck check;
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        check.error = QCoreApplication::translate(
            "Tollgate::RemoteGateway",
            "Enter the remote gateway's base URL, e.g. https://gateway.example.com:4000.");
        return check;
    }
    const QUrl url(trimmed, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != u"http" && scheme != u"https")) {
        check.error = QCoreApplication::translate("Tollgate::RemoteGateway",
                                                  "'%1' is not an http:// or https:// URL.")
                          .arg(trimmed);
        return check;
    }
    if (url.host().isEmpty()) {
        check.error
            = QCoreApplication::translate("Tollgate::RemoteGateway", "'%1' names no host.").arg(trimmed);
        return check;
    }
    if (url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty()) {
        check.error = QCoreApplication::translate(
                          "Tollgate::RemoteGateway",
                          "'%1': give the address only, without a query, a fragment or a user name.")
                          .arg(trimmed);
        return check;
    }
    // A path is a prefix (a reverse proxy's): kept without trailing slashes. The OpenAI base
    // URL people copy ends in /v1, but the management API is at the root.
    QUrl normalised = url.adjusted(QUrl::NormalizePathSegments);
    QString path = normalised.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    if (path.endsWith(u"/v1"_s))
        path.chop(3);
    normalised.setPath(path);
    normalised.setScheme(scheme);
    check.url = normalised;
    if (scheme == u"http" && !isLoopbackHost(url.host()))
        check.warning = QCoreApplication::translate(
            "Tollgate::RemoteGateway",
            "Plain http to another computer: the master key travels unencrypted. Use https unless "
            "the network between you and the gateway is trusted.");
    return check;
}

QString keptInText(const MasterKey &stored)
{
    if (stored.inFallbackFile())
        return QCoreApplication::translate("Tollgate::RemoteGateway", "the file %1 (no keychain available)")
            .arg(stored.fallbackPath);
    return QCoreApplication::translate("Tollgate::RemoteGateway", "the OS keychain (entry %1)")
        .arg(QString::fromLatin1(SecretName));
}

ConnectionInfo connection(const QUrl &baseUrl, const MasterKey &stored)
{
    ConnectionInfo info;
    info.baseUrl = baseUrl;
    info.masterKey = stored.key;
    info.masterKeySource = keptInText(stored);
    // Its database, config file and budget mode are where it runs: not known here.
    info.remote = true;
    return info;
}

} // namespace Tollgate::RemoteGateway
