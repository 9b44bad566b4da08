#include "router.h"

#include "../models/clock.h"
#include "../models/identityregistry.h"
#include "anthropic.h"
#include "apierror.h"
#include "refusals.h"

#include <QUrl>

using namespace Qt::StringLiterals;

namespace Tollgate {

void Router::add(QByteArray method, QString path, Access access, QString summary, Handler handler)
{
    const QString canonical = canonicalPath(path);
    if (canonical.contains(u'{') && !m_byPath.contains(canonical))
        m_patterns.append(canonical);
    m_byPath[canonical].append(m_routes.size());
    m_routes.append(Route{std::move(method), canonical, access, std::move(summary), std::move(handler)});
}

const QList<qsizetype> *Router::find(const QString &path, QStringList *params) const
{
    const auto found = m_byPath.constFind(path);
    if (found != m_byPath.constEnd())
        return &*found;
    const QStringList segments = path.split(u'/');
    for (const QString &pattern : m_patterns) {
        const QStringList parts = pattern.split(u'/');
        if (parts.size() != segments.size())
            continue;
        QStringList values;
        bool match = true;
        for (qsizetype i = 0; i < parts.size() && match; ++i) {
            if (parts.at(i).startsWith(u'{')) {
                match = !segments.at(i).isEmpty();
                values.append(QUrl::fromPercentEncoding(segments.at(i).toUtf8()));
            } else {
                match = parts.at(i) == segments.at(i);
            }
        }
        if (match) {
            *params = values;
            return &*m_byPath.constFind(pattern);
        }
    }
    return nullptr;
}

void Router::setIdentities(const IdentityRegistry *identities, const IClock *clock)
{
    m_identities = identities;
    m_clock = clock;
}

void Router::setMasterKey(QByteArrayView masterKey)
{
    m_masterKey = masterKey.toByteArray();
    m_masterKeyHash = masterKey.isEmpty() ? QByteArray() : hashKey(masterKey);
    m_masterKeyHashText = QString::fromLatin1(m_masterKeyHash);
}

namespace {

// Whether `presented` is `secret`, in a time that depends on the presented key's length only
// (never on where it differs, nor on the secret's length).
bool sameSecret(QByteArrayView presented, QByteArrayView secret)
{
    if (secret.isEmpty())
        return false;
    unsigned diff = presented.size() == secret.size() ? 0U : 1U;
    for (qsizetype i = 0; i < presented.size(); ++i)
        diff |= static_cast<unsigned char>(presented[i] ^ secret[i % secret.size()]);
    return diff == 0;
}

} // namespace

QByteArray Router::digestOf(const QByteArray &key) const
{
    RecentKey &slot = m_recentKeys[qHash(key) % m_recentKeys.size()];
    if (sameSecret(key, slot.key))
        return slot.hash;
    slot.key = key;
    slot.hash = hashKey(key);
    return slot.hash;
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

void Router::dispatch(HttpRequest &&request, const ResponderPtr &incoming) const
{
    // Web pages first, before even a 404: refused, or (an allowed origin) answered with CORS.
    ResponderPtr responder = m_browser.admit(request, incoming);
    if (!responder)
        return;
    const QString path = canonicalPath(request.path);
    // Anthropic's routes (and Claude Code's model discovery, which sends anthropic-version)
    // answer every error — 401s, 404s, refusals — in Anthropic's envelope.
    if (Anthropic::isAnthropicPath(path) || (path == u"/models" && request.hasHeader("anthropic-version")))
        responder = std::make_shared<Anthropic::Responder>(responder);
    if (m_wrapper)
        responder = m_wrapper(request, path, responder);
    QStringList params;
    const QList<qsizetype> *found = find(path, &params);
    if (!found) {
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

    if (!m_browser.acceptsBody(path, request, responder))
        return;  // 415: a management body that is not JSON
    RequestContext context;
    if (!authenticate(request, route->access, context.caller, responder))
        return;
    if (auto recorder = findResponder<RefusalRecorder>(responder))
        recorder->setCaller(context.caller);
    context.request = std::move(request);
    context.pathParams = std::move(params);
    route->handler(context, responder);
}

bool Router::authenticate(const HttpRequest &request, Access access, Caller &caller,
                          const ResponderPtr &responder) const
{
    if (access == Access::Public)
        return true;
    const bool openAccess = m_masterKeyHash.isEmpty();
    const QByteArray key = extractApiKey(request);
    if (openAccess) {
        // No master key (loopback only): anyone is admin, but a known virtual key still
        // counts as itself, so its limits and spend apply.
        const VirtualKey *known = m_identities && key.startsWith("sk-")
                                      ? m_identities->keyByToken(QString::fromLatin1(hashKey(key)))
                                      : nullptr;
        if (!known) {
            caller.kind = Caller::Kind::OpenAccess;
            return true;
        }
    }
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
    // The master key (the busiest caller) is known as it is: no hash to compute per call.
    if (!openAccess && sameSecret(key, m_masterKey)) {
        caller.tokenHash = m_masterKeyHash;
        caller.tokenHashText = m_masterKeyHashText;
        caller.kind = Caller::Kind::MasterKey;
        return true;
    }
    const QByteArray presented = digestOf(key);
    caller.tokenHash = presented;
    caller.tokenHashText = QString::fromLatin1(presented);
    // Looked up by its hash: the hash table compares digests, never the raw key.
    const VirtualKey *virtualKey = m_identities ? m_identities->keyByToken(caller.tokenHashText) : nullptr;
    if (!virtualKey) {
        responder->send(errorResponse(ApiError::AuthError, u"Invalid API key."_s));
        return false;
    }
    // A known key refused (blocked, expired, not allowed here): its refusal is logged as that
    // key's, so the spend log filtered by the key shows it.
    const auto refuseKnownKey = [&](HttpResponse response) {
        caller.kind = Caller::Kind::VirtualKey;
        caller.userId = virtualKey->userId;
        if (auto recorder = findResponder<RefusalRecorder>(responder))
            recorder->setCaller(caller);
        responder->send(std::move(response));
        return false;
    };
    if (virtualKey->blocked)
        return refuseKnownKey(errorResponse(ApiError::AuthError, u"Key is blocked."_s));
    const QDateTime now = m_clock ? m_clock->now() : QDateTime::currentDateTimeUtc();
    if (virtualKey->isExpired(now)) {
        return refuseKnownKey(errorResponse(
            ApiError::ExpiredKey,
            u"Key expired at %1. Ask for a new key or regenerate this one."_s.arg(
                virtualKey->expires.toUTC().toString(Qt::ISODate))));
    }
    caller.kind = Caller::Kind::VirtualKey;
    caller.userId = virtualKey->userId;
    if (const User *owner = m_identities->user(virtualKey->userId))
        caller.role = owner->role;
    if (access == Access::Admin && !caller.isAdmin()) {
        return refuseKnownKey(errorResponse(ApiError::Forbidden,
                                            u"Only the master key or a proxy_admin user's key may use %1."_s.arg(
                                                canonicalPath(request.path))));
    }
    // internal_user_viewer keys only read: every route that calls a model or changes something
    // is a POST (the reads are GETs), so one rule covers today's routes and tomorrow's.
    if (caller.role == UserRole::InternalUserViewer && request.method != "GET" && request.method != "HEAD") {
        return refuseKnownKey(errorResponse(ApiError::Forbidden,
                                            u"This key belongs to an internal_user_viewer, which may only read: %1 %2 "
                                            "is not allowed."_s.arg(QString::fromLatin1(request.method),
                                                                    canonicalPath(request.path))));
    }
    return true;
}

} // namespace Tollgate
