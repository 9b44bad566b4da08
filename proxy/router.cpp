#include "router.h"

#include "apierror.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

void Router::add(QByteArray method, QString path, Access access, QString summary, Handler handler)
{
    const QString canonical = canonicalPath(path);
    m_byPath[canonical].append(m_routes.size());
    m_routes.append(Route{std::move(method), canonical, access, std::move(summary), std::move(handler)});
}

void Router::setMasterKey(QByteArrayView masterKey)
{
    m_masterKeyHash = masterKey.isEmpty() ? QByteArray() : hashKey(masterKey);
}

QString Router::canonicalPath(const QString &path)
{
    QString canonical = path.isEmpty() ? u"/"_s : path;
    if (canonical == u"/v1")
        canonical = u"/"_s;
    else if (canonical.startsWith(u"/v1/"))
        canonical = canonical.mid(3);
    while (canonical.size() > 1 && canonical.endsWith(u'/'))
        canonical.chop(1);
    return canonical;
}

void Router::dispatch(HttpRequest &&request, const ResponderPtr &responder) const
{
    const QString path = canonicalPath(request.path);
    const auto found = m_byPath.constFind(path);
    if (found == m_byPath.constEnd()) {
        responder->send(errorResponse(ApiError::NotFound, u"Route not found: %1 %2"_s.arg(
                                          QString::fromLatin1(request.method), request.path)));
        return;
    }
    const Route *route = nullptr;
    QByteArrayList allowed;
    for (const qsizetype index : *found) {
        const Route &candidate = m_routes.at(index);
        allowed.append(candidate.method);
        if (candidate.method == request.method)
            route = &candidate;
    }
    if (!route) {
        responder->send(errorResponse(
            ApiError::MethodNotAllowed,
            u"Method %1 not allowed on %2; use %3."_s.arg(QString::fromLatin1(request.method), path,
                                                          QString::fromLatin1(allowed.join(", "))),
            std::nullopt, {{QByteArrayLiteral("Allow"), allowed.join(", ")}}));
        return;
    }

    RequestContext context;
    if (!authenticate(request, route->access, context.caller, responder))
        return;
    context.request = std::move(request);
    route->handler(context, responder);
}

bool Router::authenticate(const HttpRequest &request, Access access, Caller &caller,
                          const ResponderPtr &responder) const
{
    if (access == Access::Public)
        return true;
    if (m_masterKeyHash.isEmpty()) {
        caller.kind = Caller::Kind::OpenAccess;
        return true;
    }
    const QByteArray key = extractApiKey(request);
    if (key.isEmpty()) {
        responder->send(errorResponse(
            ApiError::AuthError,
            u"No API key provided. Pass it as 'Authorization: Bearer sk-...' (or the api-key, "
            "x-api-key or x-litellm-api-key header)."_s));
        return false;
    }
    if (!key.startsWith("sk-")) {
        responder->send(errorResponse(ApiError::AuthError,
                                      u"Invalid API key: keys start with 'sk-'."_s));
        return false;
    }
    const QByteArray presented = hashKey(key);
    if (!constantTimeEquals(presented, m_masterKeyHash)) {
        responder->send(errorResponse(ApiError::AuthError, u"Invalid API key."_s));
        return false;
    }
    caller.kind = Caller::Kind::MasterKey;
    caller.tokenHash = presented;
    return true;
}

} // namespace Tollgate
