#pragma once

#include "clock.h"
#include "pricing.h"
#include "result.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QMutex>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate {

// BudgetManager's options (outside the class so that `Options options = {}` can default it).
struct BudgetManagerOptions
{
    // Local: the directory of user_cost.json. Empty = the working directory (as LiteLLM).
    QString directory;
    // Null = the system clock. Not owned; must outlive the manager.
    const IClock *clock = nullptr;
    // None = the shipped catalogue (PriceCatalogue::loadResource()).
    std::optional<PriceCatalogue> prices;
    // LiteLLM compatibility: "monthly" = 28 days instead of a calendar month.
    bool litellmMonthly = false;
    // Save after createBudget, updateCost and a reset that happened (as LiteLLM does).
    bool autoSave = false;
    // Hosted: deadline of one HTTP exchange.
    int timeoutMs = 30'000;
};

// LiteLLM's BudgetManager (litellm/budget_manager.py) in C++: per-user budgets of one
// project, kept in LiteLLM's own format so a `user_cost.json` written by Python loads here
// unchanged and the hosted protocol talks to either gateway (design.md "BudgetManager").
//
// The map held is LiteLLM's `user_dict`: user → {total_budget, current_cost, model_cost,
// duration (days), created_at, last_updated_at (epoch seconds)}. Fields this class does not
// know are kept and written back, so a file shared with Python code loses nothing.
//
// Differences from Python, on purpose:
// - errors are values (Result), not exceptions;
// - nothing is saved behind the caller's back unless Options::autoSave is set (Python saves
//   from a background thread after create_budget/update_cost, which can race and tear the file);
// - "monthly" is a calendar month unless Options::litellmMonthly asks for LiteLLM's 28 days.
//   A calendar-month record stores `duration` as that month's day count (so Python still
//   reads a number) plus `"duration_unit": "calendar_month"`, which tells this class to reset
//   on the same day of the next month.
//
// Not thread-safe: use one instance from one thread (as the Python object is used).
// Hosted calls block the calling thread on a local event loop; a QCoreApplication must exist.
class BudgetManager final
{
public:
    enum class ClientType { Local, Hosted };
    enum class Duration { None, Daily, Weekly, Monthly, Yearly };
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    using Options = BudgetManagerOptions;

    static constexpr const char *FileName = "user_cost.json";

    // Loads at construction (local: the file, hosted: POST <apiBase>/get_budget); whether
    // that worked is loadResult(). A missing file or a project the server does not know is an
    // empty project, not an error.
    explicit BudgetManager(QString projectName, ClientType clientType = ClientType::Local, QString apiBase = {},
                           Headers headers = {}, Options options = {});
    Q_DISABLE_COPY_MOVE(BudgetManager)

    [[nodiscard]] const Result<void> &loadResult() const { return m_loadResult; }
    // Reads the data again (replacing what is in memory).
    Result<void> loadData();
    // Local: writes user_cost.json atomically, 4-space indent. Hosted: POST <apiBase>/set_budget.
    Result<void> saveData();

    // "daily" | "weekly" | "monthly" | "yearly" (and "" = none); anything else is an error.
    static Result<Duration> parseDuration(const QString &text);

    // Replaces any record of `user`. Returns the new record.
    Result<QJsonObject> createBudget(double totalBudget, const QString &user, Duration duration = Duration::None,
                                     const QDateTime &createdAt = {});
    Result<QJsonObject> createBudget(double totalBudget, const QString &user, const QString &duration,
                                     const QDateTime &createdAt = {});

    // Current cost + the price of the prompt tokens of the messages' contents.
    Result<double> projectedCost(const QString &model, const QJsonArray &messages, const QString &user) const;

    Result<double> totalBudget(const QString &user) const;
    Result<double> currentCost(const QString &user) const;   // 0 before any update
    Result<QMap<QString, double>> modelCost(const QString &user) const;
    [[nodiscard]] bool isValidUser(const QString &user) const;
    [[nodiscard]] QStringList users() const;
    // The user's whole record.
    Result<QJsonObject> userRecord(const QString &user) const;
    // The whole user_dict, as saved.
    [[nodiscard]] const QJsonObject &userDict() const { return m_userDict; }

    // Adds the completion's cost (its usage priced at its model) to the user's current_cost
    // and model_cost[model]. Does not compare with the budget: the caller does. Returns the record.
    Result<QJsonObject> updateCost(const QString &user, const QJsonObject &completion);
    // The same from texts, their tokens counted.
    Result<QJsonObject> updateCost(const QString &user, const QString &model, const QString &inputText,
                                   const QString &outputText);

    Result<QJsonObject> resetCost(const QString &user);
    // Resets when now − last_updated_at ≥ duration, and then moves last_updated_at to now.
    // Answers whether it reset. A user without a duration never resets.
    Result<bool> resetOnDuration(const QString &user);
    // resetOnDuration for every user with a duration (call it from a timer).
    Result<void> updateBudgetAllUsers();

    // The token count used for prices until the tokenizer lands: ~4 characters per token,
    // rounded up (OpenAI's rule of thumb). The one place to swap for the BPE tokenizer.
    static qint64 countTokens(const QString &model, const QString &text);

    [[nodiscard]] QString projectName() const { return m_projectName; }
    [[nodiscard]] ClientType clientType() const { return m_clientType; }
    [[nodiscard]] QString filePath() const;

private:
    Result<double> priceOf(const QString &model, qint64 promptTokens, qint64 completionTokens) const;
    Result<QJsonObject> addCost(const QString &user, const QString &model, double cost);
    Result<QJsonObject> postJson(const QString &path, const QJsonObject &body) const;
    [[nodiscard]] QDateTime now() const;
    void autoSave();

    QString m_projectName;
    ClientType m_clientType;
    QString m_apiBase;
    Headers m_headers;
    Options m_options;
    PriceCatalogue m_prices;
    Result<void> m_loadResult;
    QJsonObject m_userDict;
};

// LiteLLM's process-wide budget (`litellm.max_budget` / `litellm._current_cost`): everything
// the process spends adds up here, and once the total passes the maximum every check fails
// with LiteLLM's message. The caller owns one per process (no singleton); thread-safe.
class BudgetGuard final
{
public:
    explicit BudgetGuard(double maxBudget = 0.0) : m_maxBudget(maxBudget) {}
    Q_DISABLE_COPY_MOVE(BudgetGuard)

    void setMaxBudget(double maxBudget);
    [[nodiscard]] double maxBudget() const;
    [[nodiscard]] double currentCost() const;
    void addCost(double cost);
    void reset();
    // Fails with "Budget has been exceeded! Current cost: X, Max budget: Y" once the current
    // cost is above a set (non-zero) maximum — strictly above, as in LiteLLM.
    Result<void> check() const;

private:
    mutable QMutex m_mutex;
    double m_maxBudget = 0.0;
    double m_currentCost = 0.0;
};

} // namespace Tollgate
