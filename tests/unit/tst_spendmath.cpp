#include "ui/spendmath.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::SpendMath;

namespace {

QDateTime utc(const QString &text)
{
    return QDateTime::fromString(text, Qt::ISODate).toUTC();
}

ReportBucket bucket(const QString &period, QList<QPair<QString, double>> groups)
{
    ReportBucket b;
    b.period = period;
    b.groups = std::move(groups);
    for (const auto &group : b.groups)
        b.spend += group.second;
    return b;
}

} // namespace

class TestSpendMath : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void periodStartReadsDaysAndHours_data();
    void periodStartReadsDaysAndHours();
    void burnRateIsSpendPerDayOverAtLeastOneDay_data();
    void burnRateIsSpendPerDayOverAtLeastOneDay();
    void recentRateAveragesTheLastDays();
    void runOutDate_data();
    void runOutDate();
    void budgetPeriodStartsOneDurationBeforeTheReset_data();
    void budgetPeriodStartsOneDurationBeforeTheReset();
    void topNSumsGroupsAndSkipsUnnamed();
    void spendSinceCountsBucketsFromTheInstant();
    void softLimitPassedOnlyWhenSetAndReached_data();
    void softLimitPassedOnlyWhenSetAndReached();
    void budgetLevelIsAmberFromTheSoftLimitOr80AndRedAtTheMax();
    void chartCategoriesCoverThirtyDaysOrFortyEightHours();
    void stackLaysBucketsOutOverCategories();
    void stackFallsBackToTheBucketsPeriodsWhenTheyDoNotFit();
    void recentRatesArePerGroup();
    void budgetRunOutUsesThePeriodOrTheRecentRate();
};

void TestSpendMath::periodStartReadsDaysAndHours_data()
{
    QTest::addColumn<QString>("period");
    QTest::addColumn<QDateTime>("expected");
    QTest::newRow("a day starts at UTC midnight") << u"2024-05-01"_s << utc(u"2024-05-01T00:00:00Z"_s);
    QTest::newRow("an hour starts on the hour") << u"2024-05-01T13"_s << utc(u"2024-05-01T13:00:00Z"_s);
    QTest::newRow("an hour past 23 is not one") << u"2024-05-01T24"_s << QDateTime();
    QTest::newRow("text that is neither") << u"yesterday"_s << QDateTime();
}

void TestSpendMath::periodStartReadsDaysAndHours()
{
    QFETCH(QString, period);
    QFETCH(QDateTime, expected);
    QCOMPARE(periodStart(period), expected);
    if (expected.isValid())
        QCOMPARE(periodKey(expected, period.size() == 10 ? Granularity::Day : Granularity::Hour), period);
}

void TestSpendMath::burnRateIsSpendPerDayOverAtLeastOneDay_data()
{
    QTest::addColumn<double>("spend");
    QTest::addColumn<QDateTime>("from");
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<double>("expected");
    const QDateTime start = utc(u"2024-05-01T00:00:00Z"_s);
    QTest::newRow("ten dollars over ten days") << 10.0 << start << start.addDays(10) << 1.0;
    QTest::newRow("half a day counts as one") << 3.0 << start << start.addSecs(12 * 3600) << 3.0;
    QTest::newRow("a day and a half") << 3.0 << start << start.addSecs(36 * 3600) << 2.0;
    QTest::newRow("no spend is no rate") << 0.0 << start << start.addDays(3) << 0.0;
    QTest::newRow("no period start is no rate") << 5.0 << QDateTime() << start << 0.0;
}

void TestSpendMath::burnRateIsSpendPerDayOverAtLeastOneDay()
{
    QFETCH(double, spend);
    QFETCH(QDateTime, from);
    QFETCH(QDateTime, now);
    QFETCH(double, expected);
    QVERIFY2(qAbs(burnRatePerDay(spend, from, now) - expected) < 1e-12,
             qPrintable(QString::number(burnRatePerDay(spend, from, now))));
}

void TestSpendMath::recentRateAveragesTheLastDays()
{
    const QDateTime now = utc(u"2024-05-10T15:00:00Z"_s);
    const QList<ReportBucket> buckets{bucket(u"2024-05-01"_s, {{u"gpt-a"_s, 100.0}}),   // too old
                                      bucket(u"2024-05-04"_s, {{u"gpt-a"_s, 3.5}}),     // first of the 7 days
                                      bucket(u"2024-05-10"_s, {{u"gpt-a"_s, 3.5}})};
    QCOMPARE(recentRatePerDay(buckets, now, 7), 1.0);
    QCOMPARE(recentRatePerDay({}, now, 7), 0.0);
}

void TestSpendMath::runOutDate_data()
{
    QTest::addColumn<double>("spend");
    QTest::addColumn<std::optional<double>>("maxBudget");
    QTest::addColumn<double>("rate");
    QTest::addColumn<QDateTime>("resetAt");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QDateTime>("at");
    const QDateTime now = utc(u"2024-05-01T12:00:00Z"_s);
    using Kind = RunOut::Kind;
    QTest::newRow("no global budget") << 5.0 << std::optional<double>() << 1.0 << QDateTime() << int(Kind::NoBudget)
                                      << QDateTime();
    QTest::newRow("zero rate never runs out") << 5.0 << std::optional<double>(10.0) << 0.0 << QDateTime()
                                              << int(Kind::NotAtThisRate) << QDateTime();
    QTest::newRow("already exceeded") << 12.0 << std::optional<double>(10.0) << 1.0 << QDateTime()
                                      << int(Kind::Exceeded) << QDateTime();
    QTest::newRow("exactly at the max is exceeded") << 10.0 << std::optional<double>(10.0) << 1.0 << QDateTime()
                                                    << int(Kind::Exceeded) << QDateTime();
    QTest::newRow("five dollars left at one a day") << 5.0 << std::optional<double>(10.0) << 1.0 << QDateTime()
                                                    << int(Kind::On) << now.addDays(5);
    QTest::newRow("half a day left") << 9.0 << std::optional<double>(10.0) << 2.0 << QDateTime() << int(Kind::On)
                                     << now.addSecs(12 * 3600);
    QTest::newRow("the reset comes first") << 5.0 << std::optional<double>(10.0) << 1.0 << now.addDays(2)
                                           << int(Kind::NotAtThisRate) << QDateTime();
    QTest::newRow("runs out before the reset") << 5.0 << std::optional<double>(10.0) << 1.0 << now.addDays(30)
                                               << int(Kind::On) << now.addDays(5);
    QTest::newRow("a zero budget is exceeded at once") << 0.0 << std::optional<double>(0.0) << 0.0 << QDateTime()
                                                       << int(Kind::Exceeded) << QDateTime();
}

void TestSpendMath::runOutDate()
{
    QFETCH(double, spend);
    QFETCH(std::optional<double>, maxBudget);
    QFETCH(double, rate);
    QFETCH(QDateTime, resetAt);
    QFETCH(int, kind);
    QFETCH(QDateTime, at);
    const RunOut out = runOut(spend, maxBudget, rate, utc(u"2024-05-01T12:00:00Z"_s), resetAt);
    QCOMPARE(int(out.kind), kind);
    QCOMPARE(out.at, at);
}

void TestSpendMath::budgetPeriodStartsOneDurationBeforeTheReset_data()
{
    QTest::addColumn<QString>("duration");
    QTest::addColumn<QDateTime>("resetAt");
    QTest::addColumn<QDateTime>("expected");
    const QDateTime reset = utc(u"2024-03-31T00:00:00Z"_s);
    QTest::newRow("thirty days") << u"30d"_s << reset << reset.addDays(-30);
    QTest::newRow("one hour") << u"1h"_s << reset << reset.addSecs(-3600);
    QTest::newRow("a calendar month") << u"1mo"_s << reset << utc(u"2024-02-29T00:00:00Z"_s);
    QTest::newRow("weekly") << u"weekly"_s << reset << reset.addDays(-7);
    QTest::newRow("no duration") << QString() << reset << QDateTime();
    QTest::newRow("no reset time") << u"30d"_s << QDateTime() << QDateTime();
    QTest::newRow("a bad duration") << u"soon"_s << reset << QDateTime();
}

void TestSpendMath::budgetPeriodStartsOneDurationBeforeTheReset()
{
    QFETCH(QString, duration);
    QFETCH(QDateTime, resetAt);
    QFETCH(QDateTime, expected);
    QCOMPARE(budgetPeriodStart(duration, resetAt), expected);
}

void TestSpendMath::topNSumsGroupsAndSkipsUnnamed()
{
    const QList<ReportBucket> buckets{
        bucket(u"2024-05-01"_s, {{QString(), 50.0}, {u"a"_s, 1.0}, {u"b"_s, 2.0}, {u"c"_s, 0.5}}),
        bucket(u"2024-05-02"_s, {{u"a"_s, 1.5}, {u"d"_s, 3.0}, {u"e"_s, 0.1}, {u"f"_s, 0.2}}),
    };
    const QList<Ranked> top = topN(buckets, 3);
    const QList<Ranked> expected{{u"d"_s, 3.0}, {u"a"_s, 2.5}, {u"b"_s, 2.0}};
    QCOMPARE(top, expected);
    QCOMPARE(topN(buckets, 10).size(), 6);
    QVERIFY(topN({}, 5).isEmpty());
    // Kept when asked (calls without a key on an open gateway).
    QCOMPARE(topN(buckets, 1, true), (QList<Ranked>{{QString(), 50.0}}));
    // Equal spend: by name, so the list does not shuffle between refreshes.
    const QList<Ranked> tied = topN({bucket(u"2024-05-01"_s, {{u"y"_s, 1.0}, {u"x"_s, 1.0}})}, 5);
    QCOMPARE(tied.first().name, u"x"_s);
}

void TestSpendMath::spendSinceCountsBucketsFromTheInstant()
{
    const QList<ReportBucket> buckets{bucket(u"2024-05-01T10"_s, {{u"a"_s, 1.0}}),
                                      bucket(u"2024-05-01T11"_s, {{u"a"_s, 2.0}}),
                                      bucket(u"2024-05-02"_s, {{u"a"_s, 4.0}})};
    QCOMPARE(totalSpend(buckets), 7.0);
    QCOMPARE(spendSince(buckets, utc(u"2024-05-01T11:00:00Z"_s)), 6.0);
    QCOMPARE(spendSince(buckets, utc(u"2024-05-03T00:00:00Z"_s)), 0.0);
}

void TestSpendMath::softLimitPassedOnlyWhenSetAndReached_data()
{
    QTest::addColumn<double>("spend");
    QTest::addColumn<std::optional<double>>("soft");
    QTest::addColumn<bool>("passed");
    QTest::newRow("no soft limit") << 100.0 << std::optional<double>() << false;
    QTest::newRow("below") << 0.5 << std::optional<double>(1.0) << false;
    QTest::newRow("reached") << 1.0 << std::optional<double>(1.0) << true;
    QTest::newRow("past") << 1.5 << std::optional<double>(1.0) << true;
}

void TestSpendMath::softLimitPassedOnlyWhenSetAndReached()
{
    QFETCH(double, spend);
    QFETCH(std::optional<double>, soft);
    QFETCH(bool, passed);
    BudgetInfo budget;
    budget.spend = spend;
    budget.softBudget = soft;
    QCOMPARE(softLimitPassed(budget), passed);
}

void TestSpendMath::budgetLevelIsAmberFromTheSoftLimitOr80AndRedAtTheMax()
{
    const auto level = [](double spend, std::optional<double> max, std::optional<double> soft = {}) {
        BudgetInfo budget;
        budget.spend = spend;
        budget.maxBudget = max;
        budget.softBudget = soft;
        return budgetLevel(budget);
    };
    QCOMPARE(level(0.79, 1.0), BudgetLevel::Normal);
    QCOMPARE(level(0.8, 1.0), BudgetLevel::Warning);
    QCOMPARE(level(0.3, 1.0, 0.25), BudgetLevel::Warning);
    QCOMPARE(level(0.3, std::nullopt, 0.25), BudgetLevel::Warning);
    QCOMPARE(level(1.0, 1.0), BudgetLevel::Exceeded);
    QCOMPARE(level(1.2, 1.0, 0.5), BudgetLevel::Exceeded);
    QCOMPARE(level(0.0, 0.0), BudgetLevel::Exceeded);   // a budget of 0 admits nothing
    QCOMPARE(level(50.0, std::nullopt), BudgetLevel::Normal);
}

void TestSpendMath::chartCategoriesCoverThirtyDaysOrFortyEightHours()
{
    const QDateTime now = utc(u"2024-05-10T15:42:00Z"_s);
    const QStringList days = chartCategories(Granularity::Day, now);
    QCOMPARE(days.size(), ChartDays);
    QCOMPARE(days.first(), u"2024-04-11"_s);
    QCOMPARE(days.last(), u"2024-05-10"_s);
    const QStringList hours = chartCategories(Granularity::Hour, now);
    QCOMPARE(hours.size(), ChartHours);
    QCOMPARE(hours.first(), u"2024-05-08T16"_s);
    QCOMPARE(hours.last(), u"2024-05-10T15"_s);
}

void TestSpendMath::stackLaysBucketsOutOverCategories()
{
    const QStringList categories{u"2024-05-01"_s, u"2024-05-02"_s, u"2024-05-03"_s};
    const QList<ReportBucket> buckets{bucket(u"2024-05-01"_s, {{u"gpt-a"_s, 1.0}, {u"gpt-b"_s, 3.0}}),
                                      bucket(u"2024-05-03"_s, {{u"gpt-a"_s, 0.5}, {QString(), 0.25}})};
    const StackedSeries series = stack(buckets, categories);
    QCOMPARE(series.categories, categories);
    QCOMPARE(series.groups, (QStringList{u"gpt-b"_s, u"gpt-a"_s, QString()}));
    QCOMPARE(series.values.at(0), (QList<double>{3.0, 0.0, 0.0}));
    QCOMPARE(series.values.at(1), (QList<double>{1.0, 0.0, 0.5}));
    QCOMPARE(series.values.at(2), (QList<double>{0.0, 0.0, 0.25}));
    QVERIFY(stack({}, categories).isEmpty());
}

void TestSpendMath::stackFallsBackToTheBucketsPeriodsWhenTheyDoNotFit()
{
    const QStringList hours{u"2024-05-01T10"_s, u"2024-05-01T11"_s};
    const QList<ReportBucket> days{bucket(u"2024-05-01"_s, {{u"gpt-a"_s, 1.0}})};
    const StackedSeries series = stack(days, hours);
    QCOMPARE(series.categories, QStringList{u"2024-05-01"_s});
    QCOMPARE(series.values.at(0), QList<double>{1.0});
}


void TestSpendMath::recentRatesArePerGroup()
{
    const QDateTime now = utc(u"2024-05-10T15:00:00Z"_s);
    const QList<ReportBucket> buckets{bucket(u"2024-05-01"_s, {{u"alice"_s, 100.0}}),   // too old
                                      bucket(u"2024-05-04"_s, {{u"alice"_s, 3.5}, {u"bob"_s, 7.0}}),
                                      bucket(u"2024-05-10"_s, {{u"alice"_s, 3.5}, {QString(), 70.0}})};
    const QHash<QString, double> rates = recentRatesPerDay(buckets, now, 7);
    QCOMPARE(rates.value(u"alice"_s), 1.0);
    QCOMPARE(rates.value(u"bob"_s), 1.0);
    QVERIFY(!rates.contains(QString()));   // calls without a user are nobody's budget
    QCOMPARE(rates.size(), 2);
}

void TestSpendMath::budgetRunOutUsesThePeriodOrTheRecentRate()
{
    const QDateTime now = utc(u"2024-05-10T12:00:00Z"_s);
    // Monthly, 10 days in, 5 of 20 spent: 0.5 a day, 15 left → 30 days, after the reset.
    BudgetInfo monthly;
    monthly.spend = 5;
    monthly.maxBudget = 20.0;
    monthly.duration = u"30d"_s;
    monthly.resetAt = utc(u"2024-05-30T12:00:00Z"_s);
    QCOMPARE(budgetRunOut(monthly, 99.0, now).kind, RunOut::Kind::NotAtThisRate);   // the recent rate is not used
    // 10 of 20 spent in 10 days: 1 a day → the 20th, before the reset ("alice runs out on the 20th").
    monthly.spend = 10;
    RunOut out = budgetRunOut(monthly, 0.0, now);
    QCOMPARE(out.kind, RunOut::Kind::On);
    QCOMPARE(out.at, utc(u"2024-05-20T12:00:00Z"_s));
    // Without a period: the recent rate.
    BudgetInfo endless;
    endless.spend = 4;
    endless.maxBudget = 10.0;
    out = budgetRunOut(endless, 2.0, now);
    QCOMPARE(out.kind, RunOut::Kind::On);
    QCOMPARE(out.at, utc(u"2024-05-13T12:00:00Z"_s));
    QCOMPARE(budgetRunOut(endless, 0.0, now).kind, RunOut::Kind::NotAtThisRate);
    endless.spend = 10;
    QCOMPARE(budgetRunOut(endless, 2.0, now).kind, RunOut::Kind::Exceeded);
    endless.maxBudget.reset();
    QCOMPARE(budgetRunOut(endless, 2.0, now).kind, RunOut::Kind::NoBudget);
}

QTEST_GUILESS_MAIN(TestSpendMath)
#include "tst_spendmath.moc"
