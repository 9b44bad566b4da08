#pragma once

#include "auth.h"
#include "browserguard.h"
#include "httptypes.h"

#include <QHash>
#include <QList>
#include <QString>

#include <array>
#include <functional>

namespace Tollgate {

struct RequestContext
{
    HttpRequest request;
    Caller caller;
    QStringList pathParams;   // the {…} segments of a pattern route, in order (percent-decoded)
};

// Routes requests to controllers: one typed table (method, path, access, handler), the
// `/v1` prefix made optional, authentication, and the 404/405 answers. Every error leaves
// through errorResponse() in the OpenAI envelope.
class IClock;
class IdentityRegistry;

class Router final
{
    Q_DISABLE_COPY_MOVE(Router)

public:
    enum class Access {
        Public,         // no key needed (health probes)
        Authenticated,  // any valid key
        Admin,          // master key (later: keys of proxy_admin users)
    };
    using Handler = std::function<void(RequestContext &context, const ResponderPtr &responder)>;

    struct Route
    {
        QByteArray method;
        QString path;        // canonical, without the /v1 prefix; "{id}" matches one segment
        Access access;
        QString summary;     // one line, for the OpenAPI document
        Handler handler;
    };

    Router() = default;

    void add(QByteArray method, QString path, Access access, QString summary, Handler handler);

    // The master key (raw; only its hash is kept). Empty = open access.
    void setMasterKey(QByteArrayView masterKey);
    // Virtual keys are looked up here (in memory; no SQL per request).
    void setIdentities(const IdentityRegistry *identities, const IClock *clock);
    // Which web pages may call (own origin, general_settings.allowed_origins): see BrowserGuard.
    void setBrowserGuard(BrowserGuard guard) { m_browser = std::move(guard); }
    // Wraps each request's responder before it is routed (the refusal log of model calls);
    // a RefusalRecorder it returns learns the caller once the key is known.
    using ResponderWrapper
        = std::function<ResponderPtr(const HttpRequest &request, const QString &canonicalPath, ResponderPtr responder)>;
    void setResponderWrapper(ResponderWrapper wrapper) { m_wrapper = std::move(wrapper); }

    void dispatch(HttpRequest &&request, const ResponderPtr &responder) const;

    [[nodiscard]] const QList<Route> &routes() const { return m_routes; }

    // "/v1/chat/completions" → "/chat/completions"; strips a trailing slash.
    static QString canonicalPath(const QString &path);

private:
    [[nodiscard]] bool authenticate(const HttpRequest &request, Access access, Caller &caller,
                                    const ResponderPtr &responder) const;

    QList<Route> m_routes;
    // The routes of a path (or of a pattern the path matches), and the pattern's parameters.
    const QList<qsizetype> *find(const QString &path, QStringList *params) const;

    QHash<QString, QList<qsizetype>> m_byPath;  // canonical path → indexes into m_routes
    QList<QString> m_patterns;                   // keys of m_byPath with a {…} segment
    QByteArray m_masterKey;       // compared as it is: the master key's calls skip hashing
    QByteArray m_masterKeyHash;
    QString m_masterKeyHashText;
    // Digests of virtual keys presented lately, so a busy key is not hashed (SHA-256) per call:
    // a slot per key, picked by a seeded hash of it; the key in the slot is compared in
    // constant time, as the master key is. Only the gateway thread authenticates.
    struct RecentKey
    {
        QByteArray key;
        QByteArray hash;
    };
    [[nodiscard]] QByteArray digestOf(const QByteArray &key) const;
    mutable std::array<RecentKey, 16> m_recentKeys;
    const IdentityRegistry *m_identities = nullptr;
    const IClock *m_clock = nullptr;
    BrowserGuard m_browser;
    ResponderWrapper m_wrapper;
};

} // namespace Tollgate
