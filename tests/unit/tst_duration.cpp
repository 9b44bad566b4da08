#include "models/duration.h"

#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using Tollgate::Duration;

namespace {

QDateTime utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s), Qt::UTC);
}

} // namespace

class TestDuration : public QObject
{
    Q_OBJECT

private slots:
    void parsesAcceptedForms_data();
    void parsesAcceptedForms();
    void rejectsEverythingElse_data();
    void rejectsEverythingElse();
    void addsPeriods_data();
    void addsPeriods();
    void addToWorksInUtcWhateverTheInputZone();
    void secondsOfAPeriod_data();
    void secondsOfAPeriod();
    void toStringRoundTrips_data();
    void toStringRoundTrips();
};

void TestDuration::parsesAcceptedForms_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("count");
    QTest::addColumn<Duration::Unit>("unit");

    QTest::newRow("seconds") << u"45s"_s << qint64(45) << Duration::Unit::Seconds;
    QTest::newRow("minutes") << u"15m"_s << qint64(15) << Duration::Unit::Minutes;
    QTest::newRow("hours") << u"12h"_s << qint64(12) << Duration::Unit::Hours;
    QTest::newRow("days") << u"30d"_s << qint64(30) << Duration::Unit::Days;
    QTest::newRow("weeks") << u"2w"_s << qint64(2) << Duration::Unit::Weeks;
    QTest::newRow("months") << u"3mo"_s << qint64(3) << Duration::Unit::Months;
    QTest::newRow("one month is not one minute") << u"1mo"_s << qint64(1) << Duration::Unit::Months;
    QTest::newRow("one minute") << u"1m"_s << qint64(1) << Duration::Unit::Minutes;
    QTest::newRow("daily is one day") << u"daily"_s << qint64(1) << Duration::Unit::Days;
    QTest::newRow("weekly is seven days") << u"weekly"_s << qint64(7) << Duration::Unit::Days;
    QTest::newRow("monthly is one calendar month") << u"monthly"_s << qint64(1) << Duration::Unit::Months;
    QTest::newRow("yearly is 365 days") << u"yearly"_s << qint64(365) << Duration::Unit::Days;
    QTest::newRow("leading zero is still a number") << u"07d"_s << qint64(7) << Duration::Unit::Days;
    QTest::newRow("surrounding blanks are trimmed") << u" 30d "_s << qint64(30) << Duration::Unit::Days;
    QTest::newRow("a tab before a word is trimmed") << u"\tdaily"_s << qint64(1) << Duration::Unit::Days;
    QTest::newRow("1000 years of days is the limit") << u"366000d"_s << qint64(366000) << Duration::Unit::Days;
    QTest::newRow("1000 years of months is the limit") << u"12000mo"_s << qint64(12000) << Duration::Unit::Months;
}

void TestDuration::parsesAcceptedForms()
{
    QFETCH(QString, text);
    QFETCH(qint64, count);
    QFETCH(Duration::Unit, unit);

    const auto parsed = Duration::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->count, count);
    QCOMPARE(parsed->unit, unit);
}

void TestDuration::rejectsEverythingElse_data()
{
    QTest::addColumn<QString>("text");

    QTest::newRow("zero") << u"0d"_s;
    QTest::newRow("negative") << u"-1d"_s;
    QTest::newRow("explicit plus sign") << u"+1d"_s;
    QTest::newRow("fraction") << u"1.5h"_s;
    QTest::newRow("number without unit") << u"10"_s;
    QTest::newRow("blank between number and unit") << u"1 d"_s;
    QTest::newRow("unit without number") << u"d"_s;
    QTest::newRow("month suffix without number") << u"mo"_s;
    QTest::newRow("years are not a unit") << u"1y"_s;
    QTest::newRow("upper-case unit") << u"30D"_s;
    QTest::newRow("upper-case month could mean minutes") << u"1M"_s;
    QTest::newRow("capitalised word") << u"Daily"_s;
    QTest::newRow("empty") << QString();
    QTest::newRow("only blanks") << u"   "_s;
    QTest::newRow("two units") << u"1d2h"_s;
    QTest::newRow("unit before number") << u"d1"_s;
    QTest::newRow("spelled-out unit") << u"30days"_s;
    QTest::newRow("exponent") << u"1e3s"_s;
    QTest::newRow("non-ASCII digits") << u"\u0663d"_s;
    QTest::newRow("overflows a 64-bit integer") << u"99999999999999999999d"_s;
    QTest::newRow("fits 64 bits but overflows seconds") << u"9223372036854775807w"_s;
    QTest::newRow("just over 1000 years of days") << u"366001d"_s;
    QTest::newRow("just over 1000 years of months") << u"12001mo"_s;
}

void TestDuration::rejectsEverythingElse()
{
    QFETCH(QString, text);

    const auto parsed = Duration::parse(text);
    QVERIFY2(!parsed.ok(), qPrintable(u"accepted: "_s + text));
    const QString message = parsed.error().message;
    // The message names the value as written and says what would have been accepted.
    QVERIFY2(message.contains(u'"' + text + u'"'), qPrintable(message));
    for (const QString &form : {u"<N>s"_s, u"<N>m"_s, u"<N>h"_s, u"<N>d"_s, u"<N>w"_s,
                                u"<N>mo"_s, u"daily"_s, u"weekly"_s, u"monthly"_s,
                                u"yearly"_s})
        QVERIFY2(message.contains(form), qPrintable(message));
}

void TestDuration::addsPeriods_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QDateTime>("from");
    QTest::addColumn<QDateTime>("expected");

    const QDateTime noon = utc(2025, 3, 10, 12, 0, 0);
    QTest::newRow("seconds") << u"90s"_s << noon << utc(2025, 3, 10, 12, 1, 30);
    QTest::newRow("minutes") << u"90m"_s << noon << utc(2025, 3, 10, 13, 30, 0);
    QTest::newRow("hours across midnight") << u"13h"_s << noon << utc(2025, 3, 11, 1, 0, 0);
    QTest::newRow("days") << u"30d"_s << noon << utc(2025, 4, 9, 12, 0, 0);
    QTest::newRow("weeks") << u"2w"_s << noon << utc(2025, 3, 24, 12, 0, 0);
    QTest::newRow("daily") << u"daily"_s << noon << utc(2025, 3, 11, 12, 0, 0);
    QTest::newRow("yearly is 365 days, not a calendar year, in a leap year")
        << u"yearly"_s << utc(2024, 1, 1) << utc(2024, 12, 31);
    QTest::newRow("one month from the 10th")
        << u"1mo"_s << noon << utc(2025, 4, 10, 12, 0, 0);
    QTest::newRow("Jan 31 plus a month is Feb 28 in a common year")
        << u"1mo"_s << utc(2025, 1, 31, 8, 30, 0) << utc(2025, 2, 28, 8, 30, 0);
    QTest::newRow("Jan 31 plus a month is Feb 29 in a leap year")
        << u"monthly"_s << utc(2024, 1, 31) << utc(2024, 2, 29);
    QTest::newRow("Mar 31 plus a month is Apr 30")
        << u"1mo"_s << utc(2025, 3, 31) << utc(2025, 4, 30);
    QTest::newRow("Dec 15 plus a month changes the year")
        << u"1mo"_s << utc(2024, 12, 15, 23, 59, 59) << utc(2025, 1, 15, 23, 59, 59);
    QTest::newRow("Nov 30 plus three months is Feb 28 next year")
        << u"3mo"_s << utc(2024, 11, 30) << utc(2025, 2, 28);
    QTest::newRow("Dec 31 plus a day is New Year")
        << u"1d"_s << utc(2024, 12, 31, 6, 0, 0) << utc(2025, 1, 1, 6, 0, 0);
    QTest::newRow("Feb 29 plus twelve months is Feb 28")
        << u"12mo"_s << utc(2024, 2, 29) << utc(2025, 2, 28);
}

void TestDuration::addsPeriods()
{
    QFETCH(QString, text);
    QFETCH(QDateTime, from);
    QFETCH(QDateTime, expected);

    const auto d = Duration::parse(text);
    QVERIFY(d.ok());
    const QDateTime result = d->addTo(from);
    QCOMPARE(result, expected);
    QCOMPARE(result.timeSpec(), Qt::UTC);
}

void TestDuration::addToWorksInUtcWhateverTheInputZone()
{
    // 23:30 at UTC+02:00 on Jan 31 is 21:30 UTC on Jan 31: the month is added to the
    // UTC date, so the budget window does not depend on the machine's time zone.
    const QDateTime local(QDate(2025, 1, 31), QTime(23, 30), QTimeZone(2 * 3600));
    const Duration month{1, Duration::Unit::Months};
    QCOMPARE(month.addTo(local), utc(2025, 2, 28, 21, 30, 0));
    QCOMPARE(month.addTo(local).timeSpec(), Qt::UTC);
}

void TestDuration::secondsOfAPeriod_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QDateTime>("from");
    QTest::addColumn<qint64>("seconds");

    QTest::newRow("a minute") << u"1m"_s << utc(2025, 1, 1) << qint64(60);
    QTest::newRow("a week") << u"1w"_s << utc(2025, 1, 1) << qint64(7 * 86400);
    QTest::newRow("February in a leap year") << u"1mo"_s << utc(2024, 2, 1) << qint64(29 * 86400);
    QTest::newRow("February in a common year") << u"1mo"_s << utc(2025, 2, 1) << qint64(28 * 86400);
    QTest::newRow("January") << u"1mo"_s << utc(2025, 1, 1) << qint64(31 * 86400);
}

void TestDuration::secondsOfAPeriod()
{
    QFETCH(QString, text);
    QFETCH(QDateTime, from);
    QFETCH(qint64, seconds);

    const auto d = Duration::parse(text);
    QVERIFY(d.ok());
    QCOMPARE(d->seconds(from), seconds);
}

void TestDuration::toStringRoundTrips_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("canonical");

    QTest::newRow("seconds") << u"5s"_s << u"5s"_s;
    QTest::newRow("minutes") << u"5m"_s << u"5m"_s;
    QTest::newRow("hours") << u"5h"_s << u"5h"_s;
    QTest::newRow("days") << u"5d"_s << u"5d"_s;
    QTest::newRow("weeks") << u"5w"_s << u"5w"_s;
    QTest::newRow("months") << u"5mo"_s << u"5mo"_s;
    QTest::newRow("daily") << u"daily"_s << u"1d"_s;
    QTest::newRow("weekly") << u"weekly"_s << u"7d"_s;
    QTest::newRow("monthly") << u"monthly"_s << u"1mo"_s;
    QTest::newRow("yearly") << u"yearly"_s << u"365d"_s;
    QTest::newRow("leading zero") << u"007d"_s << u"7d"_s;
    QTest::newRow("trimmed") << u" 30d"_s << u"30d"_s;
}

void TestDuration::toStringRoundTrips()
{
    QFETCH(QString, text);
    QFETCH(QString, canonical);

    const auto d = Duration::parse(text);
    QVERIFY(d.ok());
    QCOMPARE(d->toString(), canonical);
    const auto again = Duration::parse(d->toString());
    QVERIFY(again.ok());
    QCOMPARE(*again, *d);
}

QTEST_GUILESS_MAIN(TestDuration)
#include "tst_duration.moc"
