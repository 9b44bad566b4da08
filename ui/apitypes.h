#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate {

// Typed views of the management API's JSON, as the window uses them. Each has fromJson();
// money is USD as a double (display only: the gateway keeps exact nano-dollars).

struct BudgetInfo
{
    double spend = 0;
    std::optional<double> maxBudget;
    std::optional<double> softBudget;
    QString duration;             // "30d", "monthly", … (empty: never resets)
    QDateTime resetAt;            // invalid: never resets

    static BudgetInfo fromJson(const QJsonObject &object);
    // 0..1 of the max (nullopt without a max).
    [[nodiscard]] std::optional<double> fraction() const;
    friend bool operator==(const BudgetInfo &, const BudgetInfo &) = default;
};

struct LimitsInfo
{
    std::optional<qint64> rpm;
    std::optional<qint64> tpm;
    std::optional<qint64> maxParallel;

    static LimitsInfo fromJson(const QJsonObject &object);
    friend bool operator==(const LimitsInfo &, const LimitsInfo &) = default;
};

struct KeyRecord
{
    QString token;                // SHA-256 of the key: the id the API takes
    QString keyName;              // "sk-...abcd"
    QString keyAlias;
    QString userId;
    QStringList models;
    BudgetInfo budget;
    LimitsInfo limits;
    bool blocked = false;
    QDateTime expires;            // invalid: never
    QDateTime createdAt;
    QString createdBy;

    [[nodiscard]] QString id() const { return token; }
    [[nodiscard]] QString displayName() const { return keyAlias.isEmpty() ? keyName : keyAlias; }
    static KeyRecord fromJson(const QJsonObject &object);
};

struct UserRecord
{
    QString userId;
    QString userEmail;
    QString userAlias;
    QString role;                 // proxy_admin, internal_user, internal_user_viewer
    QStringList models;
    BudgetInfo budget;
    LimitsInfo limits;
    QDateTime createdAt;

    [[nodiscard]] QString id() const { return userId; }
    static UserRecord fromJson(const QJsonObject &object);
    friend bool operator==(const UserRecord &, const UserRecord &) = default;
};

struct EndUserRecord
{
    QString userId;
    QString alias;
    bool blocked = false;
    BudgetInfo budget;
    LimitsInfo limits;
    QDateTime createdAt;

    [[nodiscard]] QString id() const { return userId; }
    static EndUserRecord fromJson(const QJsonObject &object);
};

// One deployment from GET /v1/model/info.
struct ModelRecord
{
    QString modelId;              // model_info.id
    QString modelName;            // the name clients ask for
    QString providerModel;        // litellm_params.model
    QString provider;             // model_info.litellm_provider
    QString apiBase;              // litellm_params.api_base
    QStringList accessGroups;
    std::optional<double> inputCostPerToken;
    std::optional<double> outputCostPerToken;
    QString priceSource;
    bool priceUnknown = false;
    bool stored = false;          // db_model: added through the API (editable), else from config.yaml
    QString mode;

    [[nodiscard]] QString id() const { return modelId; }
    static ModelRecord fromJson(const QJsonObject &object);
};

// One row of GET /spend/logs.
struct SpendRecord
{
    QString requestId;
    QString callType;
    QString apiKey;               // token
    double spend = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 totalTokens = 0;
    qint64 cachedTokens = 0;        // prompt tokens read from the provider's cache
    qint64 cacheWriteTokens = 0;    // prompt tokens written to it
    qint64 cacheWrite1hTokens = 0;  // of those, written with the 1-hour TTL
    QDateTime startTime;
    QDateTime endTime;
    QString model;
    QString modelGroup;
    QString userId;
    QString endUser;
    QString status;
    bool costEstimated = false;
    bool priceUnknown = false;
    QString dialect;              // chat, completions, embeddings, messages, responses
    QString sessionId;            // the coding agent's session, "" for none
    int httpStatus = 0;           // refused and failed calls: the status the client got
    QString reason;               // ... and the message
    QString keyAlias;             // the key's alias when the row was read

    [[nodiscard]] QString id() const { return requestId; }
    static SpendRecord fromJson(const QJsonObject &object);
};

// One bucket of GET /global/spend/report: a day (YYYY-MM-DD) or an hour (YYYY-MM-DDTHH).
struct ReportBucket
{
    QString period;
    double spend = 0;
    qint64 requests = 0;
    qint64 totalTokens = 0;
    QList<QPair<QString, double>> groups;   // group name → spend, as the API ordered them

    static QList<ReportBucket> listFromJson(const QJsonArray &array, const QString &groupField);
};

// A budget anywhere (global, user, key, end user), for the Budgets page.
struct BudgetRecord
{
    enum class Scope { Global, User, Key, EndUser };
    Scope scope = Scope::Global;
    QString scopeId;              // user id, key token, end user id (empty for global)
    QString name;                 // what the window shows
    BudgetInfo budget;
    QString detail = {};          // the name's tooltip: e.g. "sk-...abcd", the budget of its owner
    // USD a day over the last days (the spend report): the forecast of a budget without a
    // reset period; one with a period uses its own spend since the period began.
    double recentRatePerDay = 0;

    [[nodiscard]] QString id() const;
};

// Optional JSON helpers shared by the records.
std::optional<double> optionalDouble(const QJsonValue &value);
std::optional<qint64> optionalInteger(const QJsonValue &value);
QStringList stringList(const QJsonValue &value);

} // namespace Tollgate
