#pragma once

#include "duration.h"
#include "money.h"
#include "result.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate {

// A budget as every level has it (api.md §3, §6): spend against an optional maximum,
// an optional soft limit (warn only) and an optional reset period.
struct Budget
{
    std::optional<NanoUsd> maxBudget;
    std::optional<NanoUsd> softBudget;
    std::optional<Duration> duration;
    QDateTime resetAt;       // next reset (invalid when no duration)
    NanoUsd spend = 0;
};

// rpm_limit, tpm_limit, max_parallel_requests: absent = unlimited.
struct RateLimits
{
    std::optional<qint64> rpm;
    std::optional<qint64> tpm;
    std::optional<qint64> maxParallel;
};

enum class UserRole { ProxyAdmin, InternalUser, InternalUserViewer };

QString userRoleName(UserRole role);
std::optional<UserRole> userRoleFromName(const QString &name);

// A virtual key. Only the SHA-256 of the raw key (`token`) is ever stored.
struct VirtualKey
{
    QString token;            // SHA-256 hex of the key: primary key
    QString keyName;          // "sk-...abcd"
    QString keyAlias;         // unique when not empty
    QString userId;           // owner (may be empty)
    QStringList models;       // model names, access groups, "all-proxy-models"; [] = all
    Budget budget;
    RateLimits limits;
    QHash<QString, QString> aliases;   // requested name → model_name
    QJsonObject modelMaxBudget;        // {"<model>": {"budget_limit": 1.0, "time_period": "1d"}}
    QJsonObject metadata;
    bool blocked = false;
    QDateTime expires;        // invalid = never
    QDateTime createdAt;
    QDateTime updatedAt;
    QString createdBy;        // "master_key", a user id, …

    [[nodiscard]] bool isExpired(const QDateTime &now) const { return expires.isValid() && now >= expires; }
};

struct User
{
    QString userId;
    QString userEmail;
    QString userAlias;
    UserRole role = UserRole::InternalUser;
    QStringList models;       // [] = all
    Budget budget;
    RateLimits limits;
    QJsonObject metadata;
    QDateTime createdAt;
    QDateTime updatedAt;
};

// The `user` field of a request: a customer of the team's own product.
struct EndUser
{
    QString userId;
    QString alias;
    bool blocked = false;
    Budget budget;
    RateLimits limits;
    QDateTime createdAt;
    QDateTime updatedAt;
};

// A time as the store and the API write it: UTC, ISO 8601 with milliseconds
// ("2026-11-23T17:08:56.123Z", what Qt::ISODateWithMs gives for UTC); "" when invalid.
QString isoUtc(const QDateTime &time);
// isoUtc's text in ASCII at `out` (room for IsoUtcLength bytes), for a time of the years
// 0-9999; returns IsoUtcLength, or 0 (nothing written) for any other time or an invalid one.
inline constexpr qsizetype IsoUtcLength = 24;
qsizetype isoUtcAscii(const QDateTime &time, char *out);

// JSON of the management API (and of the `data` column in the store). Money is USD in
// JSON, nano-dollars inside; times are ISO-8601 UTC with Z. `spend` is included.
namespace IdentityJson {

QJsonObject toJson(const VirtualKey &key);
QJsonObject toJson(const User &user);
QJsonObject toJson(const EndUser &endUser);

// Read back what toJson wrote (store rows); unknown fields are ignored.
Result<VirtualKey> keyFromJson(const QJsonObject &object);
Result<User> userFromJson(const QJsonObject &object);
Result<EndUser> endUserFromJson(const QJsonObject &object);

QJsonValue money(const std::optional<NanoUsd> &value);
QJsonValue time(const QDateTime &value);
QDateTime parseTime(const QJsonValue &value);

} // namespace IdentityJson

// "sk-...abcd" for a raw key.
QString keyDisplayName(const QString &rawKey);

} // namespace Tollgate
