#pragma once

#include "apitypes.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// The dashboard's arithmetic, kept free of widgets and HTTP so it is unit-tested
// (tests/unit/tst_spendmath.cpp). Report periods are the API's UTC buckets: a day
// "YYYY-MM-DD" or an hour "YYYY-MM-DDTHH".
namespace Tollgate::SpendMath {

enum class Granularity { Day, Hour };

// How many buckets the chart shows: 30 days, or 48 hours.
constexpr int ChartDays = 30;
constexpr int ChartHours = 48;

// The instant a report period starts (UTC); invalid when `period` is neither form.
QDateTime periodStart(const QString &period);
// The report period key that contains `time` ("2024-05-01" or "2024-05-01T13").
QString periodKey(const QDateTime &time, Granularity granularity);

// Sum of every bucket's spend.
double totalSpend(const QList<ReportBucket> &buckets);
// Sum of the buckets that start at or after `since`.
double spendSince(const QList<ReportBucket> &buckets, const QDateTime &since);

struct Ranked
{
    QString name;
    double spend = 0;
    friend bool operator==(const Ranked &, const Ranked &) = default;
};
// The `n` groups with the most spend over all buckets, most first (ties by name); the
// unnamed group (calls without a user, end user, …) is left out unless `keepUnnamed` (by key,
// it is the calls of an open gateway: money spent like any other).
QList<Ranked> topN(const QList<ReportBucket> &buckets, int n, bool keepUnnamed = false);

// When the budget window that resets at `resetAt` began: one `duration` earlier. Invalid
// without a (valid) duration or reset time.
QDateTime budgetPeriodStart(const QString &duration, const QDateTime &resetAt);

// USD per day: `spend` since `from`, over at least one day, so the first minutes of a
// period do not extrapolate one call into a fortune.
double burnRatePerDay(double spend, const QDateTime &from, const QDateTime &now);
// USD per day over the last `days` UTC days, today included (from day buckets).
double recentRatePerDay(const QList<ReportBucket> &buckets, const QDateTime &now, int days = 7);

struct RunOut
{
    enum class Kind {
        NoBudget,         // no global max_budget
        Exceeded,         // spend is at or past the max already
        NotAtThisRate,    // zero rate, or the reset comes first
        On                // `at` is the moment the max is reached
    };
    Kind kind = Kind::NoBudget;
    QDateTime at;
};
// When `spend` reaches `maxBudget` at `ratePerDay` from `now`; a valid `resetAt` that comes
// first means the budget does not run out in this period.
RunOut runOut(double spend, std::optional<double> maxBudget, double ratePerDay, const QDateTime &now,
              const QDateTime &resetAt = {});

// USD per day of each group (key token, user id, end user id) over the last `days` UTC days,
// today included: the rate of a budget without a period. Unnamed calls are left out.
QHash<QString, double> recentRatesPerDay(const QList<ReportBucket> &buckets, const QDateTime &now, int days = 7);

// The burn-rate forecast of one budget (a key's, a user's, an end user's, the gateway's), as
// the dashboard's for the global one: with a reset period, its spend over the time since the
// period began (at least a day) and nothing past the next reset; without one,
// `recentRatePerDay` (recentRatesPerDay of its owner).
RunOut budgetRunOut(const BudgetInfo &budget, double recentRatePerDay, const QDateTime &now);

// The soft limit is set and spend reached it.
bool softLimitPassed(const BudgetInfo &budget);

// How close a budget is to its end, for the colour of its bar and the marks in the lists:
// Exceeded at 100 % of the max (calls are refused), Warning from the soft limit or 80 %.
enum class BudgetLevel { Normal, Warning, Exceeded };
constexpr double WarningFraction = 0.8;
BudgetLevel budgetLevel(const BudgetInfo &budget);

// The chart's categories ending at `now` (UTC): the last 30 days or 48 hours, oldest first.
QStringList chartCategories(Granularity granularity, const QDateTime &now);

// One stacked bar chart: for each group (a bar set), its spend per category.
struct StackedSeries
{
    QStringList categories;
    QStringList groups;                 // by total spend, most first
    QList<QList<double>> values;        // values[group][category]
    [[nodiscard]] bool isEmpty() const { return groups.isEmpty(); }
};
// Lays the buckets out over `categories`. When the buckets do not fit them (a gateway
// that answered day buckets to an hour request), their own periods become the categories.
StackedSeries stack(const QList<ReportBucket> &buckets, const QStringList &categories);

} // namespace Tollgate::SpendMath
