#include "management.h"

#include "../../models/clock.h"
#include "../../models/store/store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcManagement, "tollgate.management")

namespace Tollgate::Management {

std::optional<QJsonObject> parseBody(const RequestContext &context, const ResponderPtr &responder)
{
    if (context.request.body.trimmed().isEmpty())
        return QJsonObject{};
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(context.request.body, &error);
    if (error.error != QJsonParseError::NoError) {
        fail(responder, ApiError::BadRequest,
             u"Invalid JSON in request body: %1 at offset %2."_s.arg(error.errorString()).arg(error.offset));
        return std::nullopt;
    }
    if (!document.isObject()) {
        fail(responder, ApiError::BadRequest, u"The request body must be a JSON object."_s);
        return std::nullopt;
    }
    return document.object();
}

void sendJson(const ResponderPtr &responder, const QJsonValue &value, int status)
{
    HttpResponse response;
    response.status = status;
    if (value.isObject())
        response.body = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    else if (value.isArray())
        response.body = QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    else
        response.body = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    responder->send(std::move(response));
}

void fail(const ResponderPtr &responder, ApiError error, const QString &message, const std::optional<QString> &param)
{
    responder->send(errorResponse(error, message, param));
}

void commit(GatewayServices &services, QList<Store::WriteJob> jobs, const AuditEntry &audit,
            const ResponderPtr &responder, std::function<void()> onCommitted, std::function<void()> onFailed)
{
    if (!services.store) {
        onCommitted();
        return;
    }
    jobs.append(IdentityRepository::audit(audit));
    services.store->write(IdentityRepository::all(std::move(jobs)), services.context,
                          [responder, onCommitted = std::move(onCommitted), onFailed = std::move(onFailed),
                           action = audit.action](const Result<void> &result) {
                              if (result) {
                                  onCommitted();
                                  return;
                              }
                              qCWarning(lcManagement).noquote() << action << "not saved:" << result.error().message;
                              if (onFailed)
                                  onFailed();
                              fail(responder, ApiError::ServiceUnavailable,
                                   u"The change could not be saved: %1"_s.arg(result.error().message));
                          });
}

QDateTime now(const GatewayServices &services)
{
    return services.clock ? services.clock->now() : QDateTime::currentDateTimeUtc();
}

} // namespace Tollgate::Management
