#include "identity.h"

#include <QJsonArray>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace Tollgate {

QString userRoleName(UserRole role)
{
    switch (role) {
    case UserRole::ProxyAdmin: return u"proxy_admin"_s;
    case UserRole::InternalUser: return u"internal_user"_s;
    case UserRole::InternalUserViewer: return u"internal_user_viewer"_s;
    }
    return u"internal_user"_s;
}

std::optional<UserRole> userRoleFromName(const QString &name)
{
    if (name == u"proxy_admin")
        return UserRole::ProxyAdmin;
    if (name == u"internal_user")
        return UserRole::InternalUser;
    if (name == u"internal_user_viewer")
        return UserRole::InternalUserViewer;
    return std::nullopt;
}

QString keyDisplayName(const QString &rawKey)
{
    return u"sk-..."_s + rawKey.right(4);
}

namespace {

// Writes `ms` (since the epoch, UTC) as Qt::ISODateWithMs would, 24 characters at `out`; false
// (nothing written) for a year outside 0-9999, which isoUtc leaves to Qt's own formatting.
template <typename Char>
bool writeIsoUtc(qint64 ms, Char *out)
{
    // Every spend row formats two times: by hand, because QDateTime::toString costs more than
    // the rest of the row (measured with callgrind).
    constexpr qint64 MsPerDay = 86'400'000;
    qint64 days = ms / MsPerDay;
    qint64 msOfDay = ms % MsPerDay;
    if (msOfDay < 0) {
        msOfDay += MsPerDay;
        --days;
    }
    // Days since 1970-01-01 → civil date (H. Hinnant's days_from_civil, inverted).
    days += 719'468;
    const qint64 era = (days >= 0 ? days : days - 146'096) / 146'097;
    const qint64 dayOfEra = days - era * 146'097;
    const qint64 yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36'524 - dayOfEra / 146'096) / 365;
    const qint64 dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    const qint64 shiftedMonth = (5 * dayOfYear + 2) / 153;
    const qint64 day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
    const qint64 month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
    const qint64 year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999)
        return false;
    // Digit by digit: snprintf's format parsing cost more than the date arithmetic above.
    const auto digits = [&out](qint64 value, int width) {
        for (int i = width - 1; i >= 0; --i) {
            out[i] = Char('0' + value % 10);
            value /= 10;
        }
        out += width;
    };
    const auto put = [&out](char c) { *out++ = Char(c); };
    digits(year, 4);
    put('-');
    digits(month, 2);
    put('-');
    digits(day, 2);
    put('T');
    digits(msOfDay / 3'600'000, 2);
    put(':');
    digits(msOfDay / 60'000 % 60, 2);
    put(':');
    digits(msOfDay / 1000 % 60, 2);
    put('.');
    digits(msOfDay % 1000, 3);
    put('Z');
    return true;
}

} // namespace

QString isoUtc(const QDateTime &time)
{
    if (!time.isValid())
        return {};
    QString text(IsoUtcLength, Qt::Uninitialized);
    if (!writeIsoUtc(time.toMSecsSinceEpoch(), reinterpret_cast<char16_t *>(text.data())))
        return time.toUTC().toString(Qt::ISODateWithMs);
    return text;
}

qsizetype isoUtcAscii(const QDateTime &time, char *out)
{
    if (!time.isValid() || !writeIsoUtc(time.toMSecsSinceEpoch(), out))
        return 0;
    return IsoUtcLength;
}

namespace IdentityJson {

QJsonValue money(const std::optional<NanoUsd> &value)
{
    return value ? QJsonValue(nanosToUsd(*value)) : QJsonValue(QJsonValue::Null);
}

QJsonValue time(const QDateTime &value)
{
    return value.isValid() ? QJsonValue(isoUtc(value)) : QJsonValue(QJsonValue::Null);
}

QDateTime parseTime(const QJsonValue &value)
{
    if (!value.isString())
        return {};
    QDateTime parsed = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    if (!parsed.isValid())
        parsed = QDateTime::fromString(value.toString(), Qt::ISODate);
    return parsed.toUTC();
}

namespace {

std::optional<NanoUsd> readMoney(const QJsonObject &object, const QString &field)
{
    const QJsonValue value = object.value(field);
    if (!value.isDouble())
        return std::nullopt;
    return usdToNanos(value.toDouble());
}

std::optional<qint64> readInteger(const QJsonObject &object, const QString &field)
{
    const QJsonValue value = object.value(field);
    if (!value.isDouble())
        return std::nullopt;
    return value.toInteger();
}

QStringList readStrings(const QJsonObject &object, const QString &field)
{
    QStringList list;
    for (const QJsonValue item : object.value(field).toArray())
        list.append(item.toString());
    return list;
}

void writeBudget(QJsonObject &object, const Budget &budget)
{
    object.insert(u"spend"_s, nanosToUsd(budget.spend));
    object.insert(u"max_budget"_s, money(budget.maxBudget));
    object.insert(u"soft_budget"_s, money(budget.softBudget));
    object.insert(u"budget_duration"_s, budget.duration ? QJsonValue(budget.duration->toString())
                                                        : QJsonValue(QJsonValue::Null));
    object.insert(u"budget_reset_at"_s, time(budget.resetAt));
}

Result<Budget> readBudget(const QJsonObject &object)
{
    Budget budget;
    budget.spend = usdToNanos(object.value(u"spend"_s).toDouble(0.0));
    budget.maxBudget = readMoney(object, u"max_budget"_s);
    budget.softBudget = readMoney(object, u"soft_budget"_s);
    if (object.value(u"budget_duration"_s).isString()) {
        auto duration = Duration::parse(object.value(u"budget_duration"_s).toString());
        if (!duration)
            return duration.error();
        budget.duration = *duration;
    }
    budget.resetAt = parseTime(object.value(u"budget_reset_at"_s));
    return budget;
}

void writeLimits(QJsonObject &object, const RateLimits &limits)
{
    const auto integer = [](const std::optional<qint64> &value) {
        return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
    };
    object.insert(u"rpm_limit"_s, integer(limits.rpm));
    object.insert(u"tpm_limit"_s, integer(limits.tpm));
    object.insert(u"max_parallel_requests"_s, integer(limits.maxParallel));
}

RateLimits readLimits(const QJsonObject &object)
{
    return RateLimits{readInteger(object, u"rpm_limit"_s), readInteger(object, u"tpm_limit"_s),
                      readInteger(object, u"max_parallel_requests"_s)};
}

} // namespace

QJsonObject toJson(const VirtualKey &key)
{
    QJsonObject aliases;
    for (auto it = key.aliases.cbegin(); it != key.aliases.cend(); ++it)
        aliases.insert(it.key(), it.value());
    QJsonObject object{
        {u"token"_s, key.token},
        {u"token_id"_s, key.token},
        {u"key_name"_s, key.keyName},
        {u"key_alias"_s, key.keyAlias.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(key.keyAlias)},
        {u"user_id"_s, key.userId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(key.userId)},
        {u"models"_s, QJsonArray::fromStringList(key.models)},
        {u"aliases"_s, aliases},
        {u"model_max_budget"_s, key.modelMaxBudget},
        {u"metadata"_s, key.metadata},
        {u"blocked"_s, key.blocked},
        {u"expires"_s, time(key.expires)},
        {u"created_at"_s, time(key.createdAt)},
        {u"updated_at"_s, time(key.updatedAt)},
        {u"created_by"_s, key.createdBy},
    };
    writeBudget(object, key.budget);
    writeLimits(object, key.limits);
    return object;
}

QJsonObject toJson(const User &user)
{
    QJsonObject object{
        {u"user_id"_s, user.userId},
        {u"user_email"_s, user.userEmail.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(user.userEmail)},
        {u"user_alias"_s, user.userAlias.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(user.userAlias)},
        {u"user_role"_s, userRoleName(user.role)},
        {u"models"_s, QJsonArray::fromStringList(user.models)},
        {u"metadata"_s, user.metadata},
        {u"created_at"_s, time(user.createdAt)},
        {u"updated_at"_s, time(user.updatedAt)},
    };
    writeBudget(object, user.budget);
    writeLimits(object, user.limits);
    return object;
}

QJsonObject toJson(const EndUser &endUser)
{
    QJsonObject object{
        {u"user_id"_s, endUser.userId},
        {u"alias"_s, endUser.alias.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(endUser.alias)},
        {u"blocked"_s, endUser.blocked},
        {u"created_at"_s, time(endUser.createdAt)},
        {u"updated_at"_s, time(endUser.updatedAt)},
    };
    writeBudget(object, endUser.budget);
    writeLimits(object, endUser.limits);
    return object;
}

Result<VirtualKey> keyFromJson(const QJsonObject &object)
{
    VirtualKey key;
    key.token = object.value(u"token"_s).toString();
    if (key.token.isEmpty())
        return makeError(u"stored key without token"_s);
    key.keyName = object.value(u"key_name"_s).toString();
    key.keyAlias = object.value(u"key_alias"_s).toString();
    key.userId = object.value(u"user_id"_s).toString();
    key.models = readStrings(object, u"models"_s);
    const QJsonObject aliases = object.value(u"aliases"_s).toObject();
    for (auto it = aliases.begin(); it != aliases.end(); ++it)
        key.aliases.insert(it.key(), it.value().toString());
    key.modelMaxBudget = object.value(u"model_max_budget"_s).toObject();
    key.metadata = object.value(u"metadata"_s).toObject();
    key.blocked = object.value(u"blocked"_s).toBool();
    key.expires = parseTime(object.value(u"expires"_s));
    key.createdAt = parseTime(object.value(u"created_at"_s));
    key.updatedAt = parseTime(object.value(u"updated_at"_s));
    key.createdBy = object.value(u"created_by"_s).toString();
    auto budget = readBudget(object);
    if (!budget)
        return budget.error();
    key.budget = *budget;
    key.limits = readLimits(object);
    return key;
}

Result<User> userFromJson(const QJsonObject &object)
{
    User user;
    user.userId = object.value(u"user_id"_s).toString();
    if (user.userId.isEmpty())
        return makeError(u"stored user without user_id"_s);
    user.userEmail = object.value(u"user_email"_s).toString();
    user.userAlias = object.value(u"user_alias"_s).toString();
    user.role = userRoleFromName(object.value(u"user_role"_s).toString()).value_or(UserRole::InternalUser);
    user.models = readStrings(object, u"models"_s);
    user.metadata = object.value(u"metadata"_s).toObject();
    user.createdAt = parseTime(object.value(u"created_at"_s));
    user.updatedAt = parseTime(object.value(u"updated_at"_s));
    auto budget = readBudget(object);
    if (!budget)
        return budget.error();
    user.budget = *budget;
    user.limits = readLimits(object);
    return user;
}

Result<EndUser> endUserFromJson(const QJsonObject &object)
{
    EndUser endUser;
    endUser.userId = object.value(u"user_id"_s).toString();
    if (endUser.userId.isEmpty())
        return makeError(u"stored end user without user_id"_s);
    endUser.alias = object.value(u"alias"_s).toString();
    endUser.blocked = object.value(u"blocked"_s).toBool();
    endUser.createdAt = parseTime(object.value(u"created_at"_s));
    endUser.updatedAt = parseTime(object.value(u"updated_at"_s));
    auto budget = readBudget(object);
    if (!budget)
        return budget.error();
    endUser.budget = *budget;
    endUser.limits = readLimits(object);
    return endUser;
}

} // namespace IdentityJson

} // namespace Tollgate
