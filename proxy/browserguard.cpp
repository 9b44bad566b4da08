#include "browserguard.h"

#include "../models/config.h"
#include "apierror.h"

#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcBrowser, "tollgate.browser")

namespace Tollgate {

namespace {

// Adds headers (CORS) to every answer of one exchange.
class HeaderAddingResponder final : public ForwardingResponder
{
public:
    HeaderAddingResponder(ResponderPtr inner, HeaderList extra)
        : ForwardingResponder(std::move(inner)), m_extra(std::move(extra))
    {}

    void send(HttpResponse response) override
    {
        response.headers += m_extra;
        m_inner->send(std::move(response));
    }
    void beginStream(int status, const QByteArray &contentType, const HeaderList &headers) override
    {
        m_inner->beginStream(status, contentType, headers + m_extra);
    }

private:
    HeaderList m_extra;
};

constexpr QByteArrayView AllowedMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr QByteArrayView AllowedHeaders =
    "Authorization, Content-Type, api-key, x-api-key, x-litellm-api-key, anthropic-version, "
    "OpenAI-Organization, OpenAI-Project";

QString shown(QByteArrayView value)
{
    QString text = QString::fromUtf8(value.first(std::min<qsizetype>(value.size(), 200)));
    return value.size() > 200 ? text + u"…"_s : text;
}

} // namespace

void BrowserGuard::configure(const QHostAddress &host, quint16 port, const QStringList &allowedOrigins,
                             bool hasMasterKey)
{
    m_own.clear();
    m_allowed.clear();
    m_allowAny = false;
    const QString suffix = u":"_s + QString::number(port);
    for (const QString &name : {u"127.0.0.1"_s, u"localhost"_s, u"[::1]"_s})
        m_own.insert(u"http://"_s + name + suffix);
    if (!host.isLoopback() && !host.isNull() && host != QHostAddress::Any && host != QHostAddress::AnyIPv4
        && host != QHostAddress::AnyIPv6) {
        const QString address = host.protocol() == QAbstractSocket::IPv6Protocol
                                    ? u"["_s + host.toString() + u"]"_s
                                    : host.toString();
        m_own.insert(normalizedOrigin(u"http://"_s + address + suffix));
    }
    for (const QString &origin : allowedOrigins) {
        if (origin == u"*") {
            m_allowAny = hasMasterKey;
            if (!hasMasterKey)
                qCWarning(lcBrowser) << "general_settings.allowed_origins: \"*\" ignored: without a master key "
                                        "every caller is an admin, and every web page would be; list the "
                                        "origins of the apps you trust instead, or set a master key";
        }
        else if (const QString normalized = normalizedOrigin(origin); !normalized.isEmpty())
            m_allowed.insert(normalized);
    }
}

ResponderPtr BrowserGuard::admit(const HttpRequest &request, const ResponderPtr &responder) const
{
    const QByteArray origin = request.header("origin");
    if (!origin.isEmpty() || request.hasHeader("origin")) {
        const QString normalized = normalizedOrigin(QString::fromUtf8(origin));
        const bool own = !normalized.isEmpty() && m_own.contains(normalized);
        const bool allowed = !own && !normalized.isEmpty() && (m_allowAny || m_allowed.contains(normalized));
        if (!own && !allowed) {
            responder->send(errorResponse(
                ApiError::Forbidden,
                u"Requests from web pages are refused: origin '%1' is not this gateway's own. To let a "
                "browser app you trust call Tollgate, add its origin to general_settings.allowed_origins "
                "in config.yaml (e.g. allowed_origins: [\"https://app.example\"])."_s.arg(shown(origin))));
            return nullptr;
        }
        HeaderList cors{{QByteArrayLiteral("Access-Control-Allow-Origin"), origin},
                        {QByteArrayLiteral("Vary"), QByteArrayLiteral("Origin")}};
        if (request.method == "OPTIONS" && request.hasHeader("access-control-request-method")) {
            // A CORS preflight: the app may send what an OpenAI or LiteLLM client sends.
            QByteArray headers = AllowedHeaders.toByteArray();
            if (const QByteArray asked = request.header("access-control-request-headers"); !asked.isEmpty())
                headers += ", " + asked;
            HttpResponse preflight;
            preflight.status = 204;
            preflight.contentType.clear();
            preflight.headers = cors;
            preflight.headers += {{QByteArrayLiteral("Access-Control-Allow-Methods"), AllowedMethods.toByteArray()},
                                  {QByteArrayLiteral("Access-Control-Allow-Headers"), headers},
                                  {QByteArrayLiteral("Access-Control-Max-Age"), QByteArrayLiteral("600")}};
            responder->send(std::move(preflight));
            return nullptr;
        }
        if (own)
            return responder;  // same origin: the browser needs no CORS headers
        return std::make_shared<HeaderAddingResponder>(responder, std::move(cors));
    }

    const QByteArray site = request.header("sec-fetch-site").toLower();
    if (site == "cross-site" || site == "same-site") {
        // A link to the documentation from another page is fine: nothing else is.
        const bool docsNavigation = (request.method == "GET" || request.method == "HEAD")
                                    && request.header("sec-fetch-mode").toLower() == "navigate"
                                    && (request.path == u"/docs" || request.path == u"/v1/docs");
        if (!docsNavigation) {
            responder->send(errorResponse(
                ApiError::Forbidden,
                u"Requests from other web sites are refused (Sec-Fetch-Site: %1). To let a browser app "
                "you trust call Tollgate, add its origin to general_settings.allowed_origins in config.yaml."_s
                    .arg(QString::fromLatin1(site))));
            return nullptr;
        }
    }
    return responder;
}

bool BrowserGuard::acceptsBody(const QString &canonicalPath, const HttpRequest &request,
                               const ResponderPtr &responder) const
{
    if (request.body.isEmpty() || isLlmRoute(canonicalPath))
        return true;
    const QByteArray contentType = request.header("content-type");
    if (isJsonContentType(contentType))
        return true;
    responder->send(errorResponse(
        ApiError::UnsupportedMediaType,
        u"%1 takes a JSON body: send it with 'Content-Type: application/json'%2."_s.arg(
            canonicalPath, contentType.isEmpty() ? QString() : u" (not '%1')"_s.arg(shown(contentType)))));
    return false;
}

bool BrowserGuard::isLlmRoute(const QString &canonicalPath)
{
    return canonicalPath == u"/chat/completions" || canonicalPath == u"/completions"
           || canonicalPath == u"/embeddings" || canonicalPath == u"/messages" || canonicalPath == u"/messages/count_tokens"
           || canonicalPath == u"/responses" || canonicalPath.startsWith(u"/responses/");
}

bool BrowserGuard::isJsonContentType(QByteArrayView contentType)
{
    const qsizetype semicolon = contentType.indexOf(';');
    const QByteArrayView type = (semicolon < 0 ? contentType : contentType.first(semicolon)).trimmed();
    return type.compare("application/json", Qt::CaseInsensitive) == 0;
}

} // namespace Tollgate
