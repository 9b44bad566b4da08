#include "tests/ui/uifixture.h"
#include "ui/format.h"
#include "ui/models/spendlogtablemodel.h"
#include "ui/pages/dashboardpage.h"
#include "ui/pages/spendlogpage.h"
#include "ui/tableview.h"

#include <QCategoryAxis>
#include <QChart>
#include <QDateTimeEdit>
#include <QLabel>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

// One money format and one date format everywhere: the rule itself, and the pages that
// used to format on their own (the chart's axis, the spend log's filter and total).
class TestFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void usdFollowsOneRule_data();
    void usdFollowsOneRule();
    void moneyLeftIsNeverRoundedUp_data();
    void moneyLeftIsNeverRoundedUp();
    void dateTimeIsOnePattern();
    void chartAxisUsesTheMoneyFormat();
    void spendLogFilterAndTableShareTheDateFormat();
};

void TestFormat::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
}

void TestFormat::usdFollowsOneRule_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << 0.0 << u"$0"_s;
    QTest::newRow("dollars") << 1.5 << u"$1.50"_s;
    QTest::newRow("grouped") << 1234.5 << u"$1,234.50"_s;
    QTest::newRow("cents") << 0.15 << u"$0.15"_s;
    QTest::newRow("half") << 0.5 << u"$0.50"_s;
    QTest::newRow("no trailing zero") << 0.015 << u"$0.015"_s;
    QTest::newRow("four digits") << 0.012345 << u"$0.01235"_s;
    QTest::newRow("tiny call") << 0.00001 << u"$0.00001"_s;
    QTest::newRow("per-call") << 0.000042 << u"$0.000042"_s;
    QTest::newRow("below a micro-dollar") << 0.0000001 << u"< $0.000001"_s;
    QTest::newRow("rounds to a dollar") << 0.99999 << u"$1.00"_s;
    QTest::newRow("negative") << -0.5 << u"-$0.50"_s;
}

void TestFormat::usdFollowsOneRule()
{
    QFETCH(double, value);
    QFETCH(QString, text);
    QCOMPARE(Format::usd(value), text);
}

void TestFormat::moneyLeftIsNeverRoundedUp_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("text");
    QTest::newRow("just under two dollars") << 1.99925 << u"$1.99"_s;
    QTest::newRow("exact") << 2.0 << u"$2.00"_s;
    QTest::newRow("stored a hair under") << 2.0 - 1e-12 << u"$2.00"_s;
    QTest::newRow("grouped") << 1234.5678 << u"$1,234.56"_s;
    QTest::newRow("under a dollar") << 0.99999 << u"$0.99"_s;
    QTest::newRow("four digits") << 0.012349 << u"$0.01234"_s;
    QTest::newRow("zero") << 0.0 << u"$0"_s;
    QTest::newRow("below a micro-dollar") << 0.0000001 << u"< $0.000001"_s;
}

void TestFormat::moneyLeftIsNeverRoundedUp()
{
    QFETCH(double, value);
    QFETCH(QString, text);
    QCOMPARE(Format::usdRoundedDown(value), text);
}

void TestFormat::dateTimeIsOnePattern()
{
    const QDateTime time(QDate(2026, 12, 3), QTime(14, 5, 30));
    QCOMPARE(Format::dateTime(time), u"2026-12-03 14:05"_s);
    QCOMPARE(Format::date(time.date()), u"2026-12-03"_s);
    QCOMPARE(Format::dateTime(QDateTime()), u"—"_s);
}

void TestFormat::chartAxisUsesTheMoneyFormat()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    for (int i = 0; i < 3; ++i)
        QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const auto axes = page.chart()->axes(Qt::Vertical);
    QCOMPARE(axes.size(), 1);
    auto *axis = qobject_cast<QCategoryAxis *>(axes.first());
    QVERIFY2(axis, "the money axis is labelled by Format::usd");
    const QStringList labels = axis->categoriesLabels();
    QVERIFY(labels.size() >= 2);
    for (const QString &label : labels)
        QCOMPARE(label, Format::usd(axis->endValue(label)));
    QCOMPARE(labels.first(), u"$0"_s);
}

void TestFormat::spendLogFilterAndTableShareTheDateFormat()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s), 200);
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 1);
    const SpendRecord row = page.model()->records().first();
    const QString cell = page.model()->index(0, SpendLogTableModel::Time).data().toString();
    QCOMPARE(cell, Format::dateTime(row.startTime));

    SpendLogQuery query;
    query.from = row.startTime;
    page.setQuery(query);
    auto *from = page.findChild<QDateTimeEdit *>(u"fromDateTimeEdit"_s);
    QVERIFY(from);
    QCOMPARE(from->text(), cell);

    // The total of the rows shown is money like any other.
    auto *status = page.findChild<QLabel *>(u"statusLabel"_s);
    QVERIFY(status);
    QVERIFY2(status->toolTip().endsWith(Format::usd(row.spend)), qPrintable(status->toolTip()));
}

QTEST_MAIN(TestFormat)
#include "tst_format.moc"
