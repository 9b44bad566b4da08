#include "apitypes.h"

#include "models/identity.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace Tollgate {

std::optional<double> optionalDouble(const QJsonValue &value)
{
    return value.isDouble() ? std::optional<double>(value.toDouble()) : std::nullopt;
}

std::optional<qint64> optionalInteger(const QJsonValue &value)
{
    return value.isDouble() ? std::optional<qint64>(value.toInteger()) : std::nullopt;
}

QStringList stringList(const QJsonValue &value)
{
    QStringList list;
    for (const QJsonValue &item : value.toArray())
        list.append(item.toString());
    return list;
}

BudgetInfo BudgetInfo::fromJson(const QJsonObject &object)
{
    BudgetInfo budget;
    budget.spend = object.value(u"spend"_s).toDouble();
    budget.maxBudget = optionalDouble(object.value(u"max_budget"_s));
    budget.softBudget = optionalDouble(object.value(u"soft_budget"_s));
    budget.duration = object.value(u"budget_duration"_s).toString();
    budget.resetAt = IdentityJson::parseTime(object.value(u"budget_reset_at"_s));
    return budget;
}

std::optional<double> BudgetInfo::fraction() const
{
    if (!maxBudget)
        return std::nullopt;
    if (*maxBudget <= 0)
        return 1.0;
    return spend / *maxBudget;
}

LimitsInfo LimitsInfo::fromJson(const QJsonObject &object)
{
    LimitsInfo limits;
    limits.rpm = optionalInteger(object.value(u"rpm_limit"_s));
    limits.tpm = optionalInteger(object.value(u"tpm_limit"_s));
    limits.maxParallel = optionalInteger(object.value(u"max_parallel_requests"_s));
    return limits;
}

KeyRecord KeyRecord::fromJson(const QJsonObject &object)
{
    KeyRecord key;
    key.token = object.value(u"token"_s).toString();
    key.keyName = object.value(u"key_name"_s).toString();
    key.keyAlias = object.value(u"key_alias"_s).toString();
    key.userId = object.value(u"user_id"_s).toString();
    key.models = stringList(object.value(u"models"_s));
    key.budget = BudgetInfo::fromJson(object);
    key.limits = LimitsInfo::fromJson(object);
    key.blocked = object.value(u"blocked"_s).toBool();
    key.expires = IdentityJson::parseTime(object.value(u"expires"_s));
    key.createdAt = IdentityJson::parseTime(object.value(u"created_at"_s));
    key.createdBy = object.value(u"created_by"_s).toString();
    return key;
}

UserRecord UserRecord::fromJson(const QJsonObject &object)
{
    UserRecord user;
    user.userId = object.value(u"user_id"_s).toString();
    user.userEmail = object.value(u"user_email"_s).toString();
    user.userAlias = object.value(u"user_alias"_s).toString();
    user.role = object.value(u"user_role"_s).toString();
    user.models = stringList(object.value(u"models"_s));
    user.budget = BudgetInfo::fromJson(object);
    user.limits = LimitsInfo::fromJson(object);
    user.createdAt = IdentityJson::parseTime(object.value(u"created_at"_s));
    return user;
}

EndUserRecord EndUserRecord::fromJson(const QJsonObject &object)
{
    EndUserRecord endUser;
    endUser.userId = object.value(u"user_id"_s).toString();
    endUser.alias = object.value(u"alias"_s).toString();
    endUser.blocked = object.value(u"blocked"_s).toBool();
    endUser.budget = BudgetInfo::fromJson(object);
    endUser.limits = LimitsInfo::fromJson(object);
    endUser.createdAt = IdentityJson::parseTime(object.value(u"created_at"_s));
    return endUser;
}

ModelRecord ModelRecord::fromJson(const QJsonObject &object)
{
    const QJsonObject params = object.value(u"litellm_params"_s).toObject();
    const QJsonObject info = object.value(u"model_info"_s).toObject();
    ModelRecord model;
    model.modelId = info.value(u"id"_s).toString();
    model.modelName = object.value(u"model_name"_s).toString();
    model.providerModel = params.value(u"model"_s).toString();
    model.provider = info.value(u"litellm_provider"_s).toString();
    model.apiBase = params.value(u"api_base"_s).toString();
    model.accessGroups = stringList(info.value(u"access_groups"_s));
    model.inputCostPerToken = optionalDouble(info.value(u"input_cost_per_token"_s));
    model.outputCostPerToken = optionalDouble(info.value(u"output_cost_per_token"_s));
    model.priceSource = info.value(u"price_source"_s).toString();
    model.priceUnknown = info.value(u"price_unknown"_s).toBool();
    model.stored = info.value(u"db_model"_s).toBool();
    model.mode = info.value(u"mode"_s).toString();
    return model;
}

SpendRecord SpendRecord::fromJson(const QJsonObject &object)
{
    SpendRecord row;
    row.requestId = object.value(u"request_id"_s).toString();
    row.callType = object.value(u"call_type"_s).toString();
    row.apiKey = object.value(u"api_key"_s).toString();
    row.spend = object.value(u"spend"_s).toDouble();
    row.promptTokens = object.value(u"prompt_tokens"_s).toInteger();
    row.completionTokens = object.value(u"completion_tokens"_s).toInteger();
    row.totalTokens = object.value(u"total_tokens"_s).toInteger();
    row.startTime = IdentityJson::parseTime(object.value(u"startTime"_s));
    row.endTime = IdentityJson::parseTime(object.value(u"endTime"_s));
    row.model = object.value(u"model"_s).toString();
    row.modelGroup = object.value(u"model_group"_s).toString();
    row.userId = object.value(u"user"_s).toString();
    row.endUser = object.value(u"end_user"_s).toString();
    row.status = object.value(u"status"_s).toString();
    row.costEstimated = object.value(u"cost_estimated"_s).toBool();
    row.priceUnknown = object.value(u"price_unknown"_s).toBool();
    row.cachedTokens = object.value(u"cached_tokens"_s).toInteger();
    row.cacheWriteTokens = object.value(u"cache_write_tokens"_s).toInteger();
    row.cacheWrite1hTokens = object.value(u"cache_write_1h_tokens"_s).toInteger();
    row.dialect = object.value(u"dialect"_s).toString();
    row.sessionId = object.value(u"session_id"_s).toString();
    row.httpStatus = object.value(u"http_status"_s).toInt();
    row.reason = object.value(u"reason"_s).toString();
    row.keyAlias = object.value(u"key_alias"_s).toString();
    return row;
}

QList<ReportBucket> ReportBucket::listFromJson(const QJsonArray &array, const QString &groupField)
{
    // group_by=model → "models": [{"model": …}], api_key → "api_keys": [{"api_key": …}], …
    const QString listField = groupField + u's';
    QList<ReportBucket> buckets;
    for (const QJsonValue &value : array) {
        const QJsonObject object = value.toObject();
        ReportBucket bucket;
        bucket.period = object.contains(u"hour"_s) ? object.value(u"hour"_s).toString()
                                                  : object.value(u"date"_s).toString();
        bucket.spend = object.value(u"spend"_s).toDouble();
        bucket.requests = object.value(u"requests"_s).toInteger();
        bucket.totalTokens = object.value(u"total_tokens"_s).toInteger();
        for (const QJsonValue &group : object.value(listField).toArray()) {
            const QJsonObject groupObject = group.toObject();
            bucket.groups.append({groupObject.value(groupField).toString(), groupObject.value(u"spend"_s).toDouble()});
        }
        buckets.append(bucket);
    }
    return buckets;
}

QString BudgetRecord::id() const
{
    return QString::number(int(scope)) + u':' + scopeId;
}

} // namespace Tollgate
