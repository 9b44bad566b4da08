#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

class QIODevice;
class QJsonObject;
class QNetworkAccessManager;
class QNetworkReply;

namespace Tollgate {

// One answer of the management API. `ok()` is a 2xx status with no transport error;
// otherwise `message` is the API's error message (OpenAI error shape) or the transport's.
struct ApiReply
{
    int status = 0;                 // 0: no HTTP answer (refused, timed out, …)
    QByteArray body;
    QJsonDocument json;             // parsed body when it was JSON
    QString message;                // error text for the user, empty on success
    QString errorType;              // error.type of the API's error, when it sent one
    QString errorParam;             // error.param: the request field it is about, when named

    [[nodiscard]] bool ok() const { return status >= 200 && status < 300 && message.isEmpty(); }
};

// The window's only way to the gateway: the management API over loopback, with the master
// key — the same calls a script would make. Every call is asynchronous; the callback runs
// on the GUI thread, and not at all when `context` was destroyed first.
class ApiClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiClient)

public:
    using Callback = std::function<void(const ApiReply &)>;
    // Who tells the user that a call failed: the window's banner (failed()), or the caller
    // alone (a dialog that stays open and says what went wrong beside what was typed).
    enum class FailureReport { Banner, Caller };

    explicit ApiClient(QObject *parent = nullptr);
    ~ApiClient() override;

    // e.g. http://127.0.0.1:4000. Another address is another gateway: targetChanged(), and
    // the GETs still under way to the old one answer their callers as failed, unreported.
    void setBaseUrl(const QUrl &baseUrl);
    [[nodiscard]] QUrl baseUrl() const { return m_baseUrl; }
    void setMasterKey(const QString &masterKey);
    [[nodiscard]] bool hasMasterKey() const { return !m_masterKey.isEmpty(); }
    // The master key's SHA-256 hex: the `api_key` the gateway records for calls made with it
    // ("" without a master key, as for calls on an open gateway).
    [[nodiscard]] QString masterKeyToken() const;
    // The tokens of the gateway's earlier master keys (rotated away): the spend of calls made
    // with them is the master key's, not a deleted key's.
    void setPreviousMasterKeyTokens(const QStringList &tokens) { m_previousMasterKeyTokens = tokens; }
    [[nodiscard]] QStringList previousMasterKeyTokens() const { return m_previousMasterKeyTokens; }
    // A key's SHA-256 hex, as the gateway records it.
    [[nodiscard]] static QString tokenOf(const QString &key);

    void get(const QString &path, const QUrlQuery &query, QObject *context, Callback callback);
    void post(const QString &path, const QJsonObject &body, QObject *context, Callback callback,
              FailureReport report = FailureReport::Banner);
    // Streams the answer's body into `target` as it arrives (CSV export); the callback
    // gets the status, and the body only when the answer was an error.
    void download(const QString &path, const QUrlQuery &query, QIODevice *target, QObject *context,
                  Callback callback);

    [[nodiscard]] int inFlight() const { return m_inFlight; }

Q_SIGNALS:
    // A call failed (any path, unless its caller reports it): for the window's banner. `path`
    // names the call.
    void failed(const QString &path, const QString &message);
    // A call got no HTTP answer (refused, timed out, …): also in failed(), unless its caller
    // reports it.
    void unreachable(const QString &message);
    // The base URL now names another gateway: what was fetched from the old one is not its.
    void targetChanged();
    // A POST succeeded: something changed on the gateway, lists may want to refresh.
    void changed(const QString &path);
    // Every call finished (tests wait for this).
    void idle();

private:
    QNetworkReply *send(const QString &path, const QUrlQuery &query, const QByteArray *body);
    void finish(QNetworkReply *reply, const QString &path, bool isPost, QPointer<QObject> context,
                bool hasContext, const Callback &callback, QIODevice *target,
                FailureReport report = FailureReport::Banner, quint64 sentTo = 0);

    QNetworkAccessManager *m_network;
    QUrl m_baseUrl;
    QString m_masterKey;
    QStringList m_previousMasterKeyTokens;
    int m_inFlight = 0;
    quint64 m_target = 0;   // counts base URL changes: a GET sent before the last one is stale
};

// Parses an answer into ApiReply (exposed for tests).
ApiReply parseApiReply(int status, const QByteArray &body, const QString &transportError);

} // namespace Tollgate
