#include "apiclient.h"

#include <QCryptographicHash>

#include <QIODevice>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// A management call that takes longer than this is reported as failed; on loopback only a
// wedged gateway gets near it, and a remote gateway's slow network stays well under it.
constexpr int TimeoutMs = 15000;

} // namespace

ApiReply parseApiReply(int status, const QByteArray &body, const QString &transportError)
{
    ApiReply reply;
    reply.status = status;
    reply.body = body;
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error == QJsonParseError::NoError)
        reply.json = document;
    if (status >= 200 && status < 300 && transportError.isEmpty())
        return reply;

    const QJsonObject error = reply.json.object().value(u"error"_s).toObject();
    reply.errorType = error.value(u"type"_s).toString();
    reply.errorParam = error.value(u"param"_s).toString();
    reply.message = error.value(u"message"_s).toString();
    if (reply.message.isEmpty() && reply.json.object().value(u"detail"_s).isString())
        reply.message = reply.json.object().value(u"detail"_s).toString();
    if (reply.message.isEmpty())
        reply.message = status == 0 ? transportError : u"HTTP %1"_s.arg(status);
    return reply;
}

ApiClient::ApiClient(QObject *parent) : QObject(parent), m_network(new QNetworkAccessManager(this))
{
    m_network->setTransferTimeout(TimeoutMs);
    // Straight to the gateway: a desktop proxy setting must not route the window's calls (with
    // the master key) elsewhere — to a remote gateway neither; it is reached directly or not at all.
    m_network->setProxy(QNetworkProxy::NoProxy);
}

ApiClient::~ApiClient() = default;

void ApiClient::setBaseUrl(const QUrl &baseUrl)
{
    if (baseUrl == m_baseUrl)
        return;
    const bool first = m_baseUrl.isEmpty();
    m_baseUrl = baseUrl;
    ++m_target;
    if (!first)
        Q_EMIT targetChanged();
}

void ApiClient::setMasterKey(const QString &masterKey)
{
    m_masterKey = masterKey;
}

QString ApiClient::masterKeyToken() const
{
    if (m_masterKey.isEmpty())
        return {};
    return tokenOf(m_masterKey);
}

QString ApiClient::tokenOf(const QString &key)
{
    return QString::fromLatin1(QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QNetworkReply *ApiClient::send(const QString &path, const QUrlQuery &query, const QByteArray *body)
{
    QUrl url = m_baseUrl;
    // A remote gateway may sit under a path prefix (https://host/tollgate): kept before `path`.
    QString prefix = m_baseUrl.path();
    while (prefix.endsWith(u'/'))
        prefix.chop(1);
    url.setPath(prefix + path);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest request(url);
    if (!m_masterKey.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_masterKey.toUtf8());
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    ++m_inFlight;
    if (body) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        return m_network->post(request, *body);
    }
    return m_network->get(request);
}

void ApiClient::get(const QString &path, const QUrlQuery &query, QObject *context, Callback callback)
{
    QNetworkReply *reply = send(path, query, nullptr);
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, path, guard = QPointer<QObject>(context), hasContext = context != nullptr,
             callback = std::move(callback), sentTo = m_target] {
                finish(reply, path, false, guard, hasContext, callback, nullptr, FailureReport::Banner, sentTo);
            });
}

void ApiClient::post(const QString &path, const QJsonObject &body, QObject *context, Callback callback,
                     FailureReport report)
{
    const QByteArray bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
    QNetworkReply *reply = send(path, {}, &bytes);
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, path, guard = QPointer<QObject>(context), hasContext = context != nullptr,
             callback = std::move(callback), report] {
                finish(reply, path, true, guard, hasContext, callback, nullptr, report);
            });
}

void ApiClient::download(const QString &path, const QUrlQuery &query, QIODevice *target, QObject *context,
                         Callback callback)
{
    QNetworkReply *reply = send(path, query, nullptr);
    // Written as it arrives, so an export of a large log never sits in memory whole.
    connect(reply, &QNetworkReply::readyRead, this, [reply, target = QPointer<QIODevice>(target)] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (target && status >= 200 && status < 300)
            target->write(reply->readAll());
    });
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, path, guard = QPointer<QObject>(context), hasContext = context != nullptr,
             callback = std::move(callback), target, sentTo = m_target] {
                finish(reply, path, false, guard, hasContext, callback, target, FailureReport::Banner, sentTo);
            });
}

void ApiClient::finish(QNetworkReply *reply, const QString &path, bool isPost, QPointer<QObject> context,
                       bool hasContext, const Callback &callback, QIODevice *target, FailureReport report,
                       quint64 sentTo)
{
    reply->deleteLater();
    --m_inFlight;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QByteArray body = reply->readAll();
    if (target && status >= 200 && status < 300) {
        target->write(body);
        body.clear();
    }
    const bool transportFailed = reply->error() != QNetworkReply::NoError && status == 0;
    ApiReply answer = parseApiReply(status, body, transportFailed ? reply->errorString() : QString());
    // A GET answered by the gateway the window has left: its data is not the current one's, and
    // its failure no longer matters. (A POST's answer stands: a raw key made there is shown once.)
    if (!isPost && sentTo != m_target) {
        answer = parseApiReply(0, {}, u"Answer from the previous gateway, dropped"_s);
        if (callback && (!hasContext || context))
            callback(answer);
        if (m_inFlight == 0)
            Q_EMIT idle();
        return;
    }
    // A caller that reports failures itself is gone: the banner says it instead.
    const bool callerReports = report == FailureReport::Caller && callback && (!hasContext || context);
    if (!answer.ok() && !callerReports) {
        Q_EMIT failed(path, answer.message);
        if (answer.status == 0)
            Q_EMIT unreachable(answer.message);
    }
    else if (isPost)
        Q_EMIT changed(path);
    if (callback && (!hasContext || context))
        callback(answer);
    if (m_inFlight == 0)
        Q_EMIT idle();
}

} // namespace Tollgate
