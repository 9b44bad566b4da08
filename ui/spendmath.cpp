#include "spendmath.h"

#include "models/duration.h"

#include <QHash>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate::SpendMath {

namespace {

constexpr double SecondsPerDay = 86400.0;

QDateTime startOfUtcDay(const QDateTime &time)
{
    return QDateTime(time.toUTC().date(), QTime(0, 0), Qt::UTC);
}

} // namespace

QDateTime periodStart(const QString &period)
{
    if (period.size() == 10) {
        const QDate date = QDate::fromString(period, Qt::ISODate);
        return date.isValid() ? QDateTime(date, QTime(0, 0), Qt::UTC) : QDateTime();
    }
    if (period.size() == 13 && period.at(10) == u'T') {
        const QDate date = QDate::fromString(period.left(10), Qt::ISODate);
        bool ok = false;
        const int hour = period.mid(11).toInt(&ok);
        if (!date.isValid() || !ok || hour < 0 || hour > 23)
            return {};
        return QDateTime(date, QTime(hour, 0), Qt::UTC);
    }
    return {};
}

QString periodKey(const QDateTime &time, Granularity granularity)
{
    const QDateTime utc = time.toUTC();
    if (granularity == Granularity::Day)
        return utc.date().toString(Qt::ISODate);
    return utc.date().toString(Qt::ISODate) + u'T' + u"%1"_s.arg(utc.time().hour(), 2, 10, QLatin1Char('0'));
}

double totalSpend(const QList<ReportBucket> &buckets)
{
    double sum = 0;
    for (const ReportBucket &bucket : buckets)
        sum += bucket.spend;
    return sum;
}

double spendSince(const QList<ReportBucket> &buckets, const QDateTime &since)
{
    double sum = 0;
    for (const ReportBucket &bucket : buckets) {
        const QDateTime start = periodStart(bucket.period);
        if (start.isValid() && start >= since)
            sum += bucket.spend;
    }
    return sum;
}

QList<Ranked> topN(const QList<ReportBucket> &buckets, int n, bool keepUnnamed)
{
    QHash<QString, double> sums;
    for (const ReportBucket &bucket : buckets) {
        for (const auto &[name, spend] : bucket.groups) {
            if (!name.isEmpty() || (keepUnnamed && spend > 0))
                sums[name] += spend;
        }
    }
    QList<Ranked> ranked;
    ranked.reserve(sums.size());
    for (auto it = sums.cbegin(); it != sums.cend(); ++it)
        ranked.append({it.key(), it.value()});
    std::sort(ranked.begin(), ranked.end(), [](const Ranked &a, const Ranked &b) {
        return a.spend != b.spend ? a.spend > b.spend : a.name < b.name;
    });
    if (n >= 0 && ranked.size() > n)
        ranked.resize(n);
    return ranked;
}

QDateTime budgetPeriodStart(const QString &duration, const QDateTime &resetAt)
{
    if (duration.isEmpty() || !resetAt.isValid())
        return {};
    const auto parsed = Duration::parse(duration);
    if (!parsed)
        return {};
    const QDateTime reset = resetAt.toUTC();
    // Calendar months step back by months; everything else has a fixed length.
    if (parsed->unit == Duration::Unit::Months)
        return reset.addMonths(-int(parsed->count));
    return reset.addSecs(-parsed->seconds(reset));
}

double burnRatePerDay(double spend, const QDateTime &from, const QDateTime &now)
{
    if (!from.isValid() || !now.isValid() || spend <= 0)
        return 0;
    const double days = std::max(1.0, double(from.secsTo(now)) / SecondsPerDay);
    return spend / days;
}

double recentRatePerDay(const QList<ReportBucket> &buckets, const QDateTime &now, int days)
{
    if (days <= 0)
        return 0;
    const QDateTime since = startOfUtcDay(now).addDays(-(days - 1));
    return spendSince(buckets, since) / days;
}

RunOut runOut(double spend, std::optional<double> maxBudget, double ratePerDay, const QDateTime &now,
              const QDateTime &resetAt)
{
    if (!maxBudget)
        return {RunOut::Kind::NoBudget, {}};
    const double remaining = *maxBudget - spend;
    if (remaining <= 0)
        return {RunOut::Kind::Exceeded, {}};
    if (ratePerDay <= 0)
        return {RunOut::Kind::NotAtThisRate, {}};
    const double seconds = remaining / ratePerDay * SecondsPerDay;
    // Past any date a person plans for: as good as never.
    constexpr double TenYears = 10 * 366 * SecondsPerDay;
    if (seconds > TenYears)
        return {RunOut::Kind::NotAtThisRate, {}};
    const QDateTime at = now.addSecs(qint64(seconds));
    if (resetAt.isValid() && at >= resetAt)
        return {RunOut::Kind::NotAtThisRate, {}};
    return {RunOut::Kind::On, at};
}

QHash<QString, double> recentRatesPerDay(const QList<ReportBucket> &buckets, const QDateTime &now, int days)
{
    QHash<QString, double> rates;
    if (days <= 0)
        return rates;
    const QDateTime since = startOfUtcDay(now).addDays(-(days - 1));
    for (const ReportBucket &bucket : buckets) {
        const QDateTime start = periodStart(bucket.period);
        if (!start.isValid() || start < since)
            continue;
        for (const auto &[name, spend] : bucket.groups) {
            if (!name.isEmpty())
                rates[name] += spend / days;
        }
    }
    return rates;
}

RunOut budgetRunOut(const BudgetInfo &budget, double recentRatePerDay, const QDateTime &now)
{
    const QDateTime start = budgetPeriodStart(budget.duration, budget.resetAt);
    if (!start.isValid())
        return runOut(budget.spend, budget.maxBudget, recentRatePerDay, now);
    return runOut(budget.spend, budget.maxBudget, burnRatePerDay(budget.spend, start, now), now, budget.resetAt);
}

bool softLimitPassed(const BudgetInfo &budget)
{
    return budget.softBudget && budget.spend >= *budget.softBudget;
}

BudgetLevel budgetLevel(const BudgetInfo &budget)
{
    if (budget.maxBudget && budget.spend >= *budget.maxBudget)
        return BudgetLevel::Exceeded;
    const auto fraction = budget.fraction();
    if (softLimitPassed(budget) || (fraction && *fraction >= WarningFraction))
        return BudgetLevel::Warning;
    return BudgetLevel::Normal;
}

QStringList chartCategories(Granularity granularity, const QDateTime &now)
{
    QStringList categories;
    const QDateTime utc = now.toUTC();
    if (granularity == Granularity::Day) {
        const QDate today = utc.date();
        for (int i = ChartDays - 1; i >= 0; --i)
            categories.append(today.addDays(-i).toString(Qt::ISODate));
    } else {
        const QDateTime hour(utc.date(), QTime(utc.time().hour(), 0), Qt::UTC);
        for (int i = ChartHours - 1; i >= 0; --i)
            categories.append(periodKey(hour.addSecs(-3600LL * i), Granularity::Hour));
    }
    return categories;
}

StackedSeries stack(const QList<ReportBucket> &buckets, const QStringList &categories)
{
    StackedSeries series;
    series.categories = categories;
    const bool fits = std::all_of(buckets.cbegin(), buckets.cend(),
                                  [&categories](const ReportBucket &bucket) { return categories.contains(bucket.period); });
    if (!fits) {
        series.categories.clear();
        for (const ReportBucket &bucket : buckets)
            series.categories.append(bucket.period);
    }
    QHash<QString, int> column;
    for (int i = 0; i < series.categories.size(); ++i)
        column.insert(series.categories.at(i), i);

    for (const Ranked &group : topN(buckets, -1))
        series.groups.append(group.name);
    // Calls without a key/model still cost money: they get a bar of their own.
    const bool hasUnnamed = std::any_of(buckets.cbegin(), buckets.cend(), [](const ReportBucket &bucket) {
        return std::any_of(bucket.groups.cbegin(), bucket.groups.cend(),
                           [](const auto &group) { return group.first.isEmpty() && group.second > 0; });
    });
    if (hasUnnamed)
        series.groups.append(QString());
    QHash<QString, int> row;
    for (int i = 0; i < series.groups.size(); ++i)
        row.insert(series.groups.at(i), i);

    series.values = QList<QList<double>>(series.groups.size(), QList<double>(series.categories.size(), 0.0));
    for (const ReportBucket &bucket : buckets) {
        const int c = column.value(bucket.period, -1);
        if (c < 0)
            continue;
        for (const auto &[name, spend] : bucket.groups) {
            const int r = row.value(name, -1);
            if (r >= 0)
                series.values[r][c] += spend;
        }
    }
    return series;
}

} // namespace Tollgate::SpendMath
