#include "management.h"

#include "../../models/clock.h"
#include "../../models/identity.h"
#include "../../models/store/store.h"
#include "../jsonreader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcManagement, "tollgate.management")

namespace Tollgate::Management {

void readBudgetAndLimits(JsonReader &reader, Budget &budget, RateLimits &limits, const QDateTime &now)
{
    const auto money = [&reader](const QString &field, std::optional<NanoUsd> &target) {
        if (const auto value = reader.money(field))
            target = *value;
        else if (reader.isNull(field))
            target.reset();
    };
    const auto count = [&reader](const QString &field, std::optional<qint64> &target) {
        if (const auto value = reader.integer(field))
            target = *value;
        else if (reader.isNull(field))
            target.reset();
    };
    money(u"max_budget"_s, budget.maxBudget);
    money(u"soft_budget"_s, budget.softBudget);
    if (const auto value = reader.duration(u"budget_duration"_s)) {
        budget.duration = *value;
        budget.resetAt = value->addTo(now);
    } else if (reader.isNull(u"budget_duration"_s)) {
        budget.duration.reset();
        budget.resetAt = {};
    }
    count(u"tpm_limit"_s, limits.tpm);
    count(u"rpm_limit"_s, limits.rpm);
    count(u"max_parallel_requests"_s, limits.maxParallel);
}

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

void badRequest(const ResponderPtr &responder, const JsonReader &reader)
{
    fail(responder, ApiError::BadRequest, reader.error(), reader.errorField());
}

QJsonObject knownFields(const QJsonObject &body, const QStringList &known)
{
    QJsonObject details;
    for (const QString &field : known) {
        if (body.contains(field))
            details.insert(field, body.value(field));
    }
    return details;
}

std::optional<QStringList> readUserIds(const QJsonObject &body, const ResponderPtr &responder,
                                       const QString &requiredMessage, bool rejectEmptyIds)
{
    JsonReader reader(body);
    std::optional<QStringList> ids = reader.strings(u"user_ids"_s);
    if (!reader.ok()) {
        badRequest(responder, reader);
        return std::nullopt;
    }
    if (!ids || ids->isEmpty() || (rejectEmptyIds && ids->contains(QString()))) {
        fail(responder, ApiError::BadRequest, requiredMessage, u"user_ids"_s);
        return std::nullopt;
    }
    ids->removeDuplicates();
    return ids;
}

QStringList unknownIds(const QStringList &ids, const std::function<bool(const QString &)> &exists)
{
    QStringList unknown;
    for (const QString &id : ids) {
        if (!exists(id))
            unknown.append(id);
    }
    return unknown;
}

void failUnknownIds(const ResponderPtr &responder, const QString &what, const QStringList &unknown,
                    const QString &outcome)
{
    fail(responder, ApiError::NotFound,
         u"%1 not found: %2. Nothing was %3."_s.arg(what, unknown.join(u", "_s), outcome), u"user_ids"_s);
}

void commitEach(GatewayServices &services, QList<Store::WriteJob> jobs, const QList<AuditEntry> &audits,
                const ResponderPtr &responder, std::function<void()> onCommitted,
                std::function<void()> onFailed)
{
    for (qsizetype i = 1; i < audits.size(); ++i)
        jobs.append(IdentityRepository::audit(audits.at(i)));
    commit(services, std::move(jobs), audits.first(), responder, std::move(onCommitted), std::move(onFailed));
}

} // namespace Tollgate::Management
