#include "management.h"

#include "../../models/clock.h"
#include "../../models/identity.h"
#include "../../models/ledger.h"
#include "../../models/store/changefeed.h"
#include "../../models/store/store.h"
#include "../jsonreader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcManagement, "tollgate.management")

namespace Tollgate::Management {

namespace {

template <typename T, typename ReadValue>
void readNullable(JsonReader &reader, const QString &field, std::optional<std::optional<T>> &target, ReadValue value)
{
    if (auto given = value(field))
        target = std::optional<T>(std::move(*given));
    else if (reader.isNull(field))
        target = std::optional<T>();
}

template <typename T>
void applyNullable(const std::optional<std::optional<T>> &patch, std::optional<T> &target)
{
    if (patch)
        target = *patch;
}

} // namespace

void BudgetPatch::read(JsonReader &reader, const QString &field)
{
    const auto money = [&reader](const QString &name) { return reader.money(name); };
    const auto count = [&reader](const QString &name) { return reader.integer(name); };
    if (field == u"max_budget")
        readNullable(reader, field, maxBudget, money);
    else if (field == u"soft_budget")
        readNullable(reader, field, softBudget, money);
    else if (field == u"budget_duration")
        readNullable(reader, field, duration, [&reader](const QString &name) { return reader.duration(name); });
    else if (field == u"tpm_limit")
        readNullable(reader, field, tpm, count);
    else if (field == u"rpm_limit")
        readNullable(reader, field, rpm, count);
    else if (field == u"max_parallel_requests")
        readNullable(reader, field, maxParallel, count);
    else if (field == u"spend")
        spend = reader.money(field);
}

BudgetPatch BudgetPatch::readAll(JsonReader &reader)
{
    BudgetPatch patch;
    for (const QString &field : {u"max_budget"_s, u"soft_budget"_s, u"budget_duration"_s, u"tpm_limit"_s,
                                 u"rpm_limit"_s, u"max_parallel_requests"_s, u"spend"_s})
        patch.read(reader, field);
    return patch;
}

void BudgetPatch::applyTo(Budget &budget, RateLimits &limits, const QDateTime &now) const
{
    applyNullable(maxBudget, budget.maxBudget);
    applyNullable(softBudget, budget.softBudget);
    if (duration && !samePeriod(*duration, budget.duration)) {
        // A new period starts a fresh window from now, spend 0, as the ledger does
        // (Ledger::setBudget): the stored row kept the old window's spend, which came back at the
        // next start. A removed period keeps counting; the same period again changes nothing.
        if (*duration)
            budget.spend = 0;
        budget.duration = *duration;
        budget.resetAt = *duration ? (*duration)->addTo(now) : QDateTime();
    }
    applyNullable(tpm, limits.tpm);
    applyNullable(rpm, limits.rpm);
    applyNullable(maxParallel, limits.maxParallel);
    if (spend)
        budget.spend = *spend;
}

void readBudgetAndLimits(JsonReader &reader, Budget &budget, RateLimits &limits, const QDateTime &now)
{
    BudgetPatch::readAll(reader).applyTo(budget, limits, now);
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
    Store::WriteJob job = IdentityRepository::all(std::move(jobs));
    // Shared mode: the objects this write changes are appended to the changes feed in the same
    // transaction, so another instance reloads them (InstanceSync) exactly when they committed.
    if (!services.instanceId.isEmpty())
        job = ChangeFeed::recorded(std::move(job), services.instanceId);
    services.store->write(std::move(job), services.context,
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

bool checkEndUserId(const QString &id, const QString &param, const ResponderPtr &responder)
{
    if (id.size() <= MaxEndUserIdLength)
        return true;
    fail(responder, ApiError::BadRequest,
         u"'%1' is too long: an end user id has at most %2 characters, this one has %3."_s.arg(param)
             .arg(MaxEndUserIdLength)
             .arg(id.size()),
         param);
    return false;
}

} // namespace Tollgate::Management
