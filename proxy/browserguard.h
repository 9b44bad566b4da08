#pragma once

#include "httptypes.h"

#include <QHostAddress>
#include <QSet>
#include <QString>
#include <QStringList>

namespace Tollgate {

// Keeps web pages away from the gateway. Headless without a master key every local caller is
// an admin, and a page in the user's browser is a local caller: without this, any site could
// POST a `text/plain` body (no CORS preflight) to http://127.0.0.1:4000/key/generate.
//
// - A request whose Origin is not this gateway's own (http://127.0.0.1:<port>,
//   http://localhost:<port>, http://[::1]:<port>, or the configured address when it is not
//   loopback) nor in general_settings.allowed_origins is refused with 403, whatever route it
//   asks for. So is one without an Origin whose Sec-Fetch-Site says cross-site or same-site,
//   except a plain navigation to /docs (a link to the documentation).
// - Allowed origins get CORS: their preflights are answered (204) and their answers carry
//   Access-Control-Allow-Origin and Vary: Origin. "*" allows every origin, but only with a
//   master key: without one every caller is an admin, and so would every web page be.
// - Management routes (all but the LLM routes) take a body only as application/json (415),
//   the one type a page cannot send without a preflight. LLM routes stay lenient: SDKs always
//   send JSON, and curl's `-d` (the README's examples) says x-www-form-urlencoded.
class BrowserGuard
{
public:
    // Before configure() no origin is this gateway's own: every request with an Origin is refused.
    void configure(const QHostAddress &host, quint16 port, const QStringList &allowedOrigins,
                   bool hasMasterKey);

    // The responder to go on with (for an allowed origin, one adding the CORS headers), or
    // null when the request has been answered: refused, or a preflight.
    [[nodiscard]] ResponderPtr admit(const HttpRequest &request, const ResponderPtr &responder) const;

    // False (and answered 415) when a management route gets a body that is not JSON.
    [[nodiscard]] bool acceptsBody(const QString &canonicalPath, const HttpRequest &request,
                                   const ResponderPtr &responder) const;

    static bool isLlmRoute(const QString &canonicalPath);
    // "application/json", parameters (charset) allowed, any case.
    static bool isJsonContentType(QByteArrayView contentType);

private:
    QSet<QString> m_own;
    QSet<QString> m_allowed;
    bool m_allowAny = false;
};

} // namespace Tollgate
