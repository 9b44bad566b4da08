#include "models/store/spendlog.h"
#include "tests/ui/uifixture.h"
#include "ui/format.h"
#include "ui/mainwindow.h"
#include "ui/pages/dashboardpage.h"

#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QStackedBarSeries>
#include <QToolTip>
#include <QLabel>
#include <QStackedWidget>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

namespace {

QByteArray makeKey(UiFixture &fixture, const QString &alias)
{
    return fixture.gateway()
        .post("/key/generate", QJsonObject{{u"key_alias"_s, alias}})
        .json()
        .value(u"key"_s)
        .toString()
        .toUtf8();
}

double globalSpend(UiFixture &fixture)
{
    return fixture.gateway().get("/global/spend").json().value(u"spend"_s).toDouble();
}

QString labelText(const QWidget &page, const QString &name)
{
    const auto *label = page.findChild<QLabel *>(name);
    return label ? label->text() : QString();
}

QStringList topNames(const QWidget &page, const QString &name)
{
    QStringList names;
    const auto *list = page.findChild<QTreeWidget *>(name);
    for (int i = 0; list && i < list->topLevelItemCount(); ++i)
        names.append(list->topLevelItem(i)->text(0));
    return names;
}

} // namespace

class TestDashboardPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void anEmptyGatewayShowsTheEmptyChart();
    void todaysSpendIsTheSumOfTheCalls();
    void chartHasASeriesPerModelUsed();
    void chartStacksByKeyAlias();
    void hourGranularityStillShowsTheModels();
    void timeAxisLabelsFitAtTheDefaultSize();
    void barsHaveToolTips();
    void topSpendersFollowTheChartRange();
    void globalBudgetGivesRemainingBurnRateAndRunOut();
    void topListsRankKeysUsersAndModels();
    void chartFollowsADarkPalette();
    void masterKeySpendIsNamedMasterKey();
    void openAccessSpendIsNamedAsSuch();
};

void TestDashboardPage::anEmptyGatewayShowsTheEmptyChart()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QVERIFY(page.chartGroups().isEmpty());
    const auto *stack = page.findChild<QStackedWidget *>();
    QVERIFY(stack);
    QCOMPARE(stack->currentWidget()->objectName(), u"chartEmptyLabel"_s);
    QCOMPARE(page.todaySpend(), 0.0);
    QCOMPARE(labelText(page, u"runOutValueLabel"_s), u"no global budget"_s);
}

void TestDashboardPage::todaysSpendIsTheSumOfTheCalls()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QByteArray key = makeKey(fixture, u"team"_s);
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    for (const QString &model : {u"gpt-a"_s, u"gpt-b"_s, u"gpt-a"_s})
        QCOMPARE(fixture.chat(key, model), 200);
    // The page notices the new total and fetches the reports again.
    QVERIFY(UiFixture::refreshAndWait(&page));
    const double expected = globalSpend(fixture);
    QVERIFY(expected > 0);
    QVERIFY2(qAbs(page.todaySpend() - expected) < 1e-9,
             qPrintable(u"%1 != %2"_s.arg(page.todaySpend()).arg(expected)));
    QCOMPARE(labelText(page, u"todayValueLabel"_s), Format::usd(expected));
    // No global budget: this period is all time.
    QVERIFY(qAbs(page.periodSpend() - expected) < 1e-9);
}

void TestDashboardPage::chartHasASeriesPerModelUsed()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QByteArray key = makeKey(fixture, u"team"_s);
    QCOMPARE(fixture.chat(key, u"gpt-a"_s), 200);
    QCOMPARE(fixture.chat(key, u"gpt-c"_s), 200);
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QStringList groups = page.chartGroups();
    groups.sort();
    QCOMPARE(groups, (QStringList{u"gpt-a"_s, u"gpt-c"_s}));
    QCOMPARE(page.chart()->axes(Qt::Horizontal).size(), 1);
}

void TestDashboardPage::chartStacksByKeyAlias()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(makeKey(fixture, u"frontend"_s), u"gpt-a"_s), 200);
    QCOMPARE(fixture.chat(makeKey(fixture, u"backend"_s), u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    page.setStackBy(DashboardPage::StackBy::Key);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QStringList groups = page.chartGroups();
    groups.sort();
    QCOMPARE(groups, (QStringList{u"backend"_s, u"frontend"_s}));
}

void TestDashboardPage::hourGranularityStillShowsTheModels()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QByteArray key = makeKey(fixture, u"team"_s);
    QCOMPARE(fixture.chat(key, u"gpt-b"_s), 200);
    DashboardPage page(&fixture.api());
    page.setGranularity(SpendMath::Granularity::Hour);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.chartGroups(), QStringList{u"gpt-b"_s});
    // One bar per hour of the last two days (the gateway answers hour buckets).
    const auto *series = qobject_cast<QStackedBarSeries *>(page.chart()->series().value(0));
    QVERIFY(series);
    QCOMPARE(series->barSets().first()->count(), SpendMath::ChartHours);
}

void TestDashboardPage::timeAxisLabelsFitAtTheDefaultSize()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QByteArray key = makeKey(fixture, u"team"_s);
    QCOMPARE(fixture.chat(key, u"gpt-b"_s), 200);
    auto window = fixture.createWindow();
    window->resize(1400, 900);
    auto *page = window->page<DashboardPage>();
    window->showPage(page);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    for (const auto granularity : {SpendMath::Granularity::Day, SpendMath::Granularity::Hour}) {
        page->setGranularity(granularity);
        QVERIFY(UiFixture::refreshAndWait(page));
        QTest::qWait(50);   // the chart lays out its plot
        const auto axes = page->chart()->axes(Qt::Horizontal);
        QCOMPARE(axes.size(), 1);
        auto *axis = qobject_cast<QCategoryAxis *>(axes.first());
        QVERIFY(axis);
        const QStringList labels = axis->categoriesLabels();
        // Upright labels, a few of them, each with room: 30 or 48 squeezed labels show "⋮".
        QCOMPARE(axis->labelsAngle(), 0);
        QVERIFY2(labels.size() >= 4, qPrintable(labels.join(u", "_s)));
        const int bars = granularity == SpendMath::Granularity::Hour ? SpendMath::ChartHours : SpendMath::ChartDays;
        QVERIFY(labels.size() < bars);
        const QFontMetrics metrics(axis->labelsFont());
        const double plotWidth = page->chart()->plotArea().width();
        const double spacing = plotWidth / bars * (axis->endValue(labels.at(1)) - axis->endValue(labels.at(0)));
        for (const QString &label : labels)
            QVERIFY2(metrics.horizontalAdvance(label) < spacing, qPrintable(label));
        // The newest bar is labelled: today, or this hour.
        const QDateTime now = QDateTime::currentDateTime();
        const QString newest = granularity == SpendMath::Granularity::Hour
            ? QLocale().toString(now, u"ddd HH:00"_s)
            : QLocale().toString(now.toUTC().date(), u"MMM d"_s);
        QCOMPARE(labels.last(), newest);
        QCOMPARE(axis->endValue(labels.last()), double(bars - 1));
    }
}

void TestDashboardPage::barsHaveToolTips()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QByteArray key = makeKey(fixture, u"team"_s);
    QCOMPARE(fixture.chat(key, u"gpt-b"_s), 200);
    DashboardPage page(&fixture.api());
    page.resize(1200, 800);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QVERIFY(UiFixture::refreshAndWait(&page));
    auto *series = qobject_cast<QStackedBarSeries *>(page.chart()->series().value(0));
    QVERIFY(series);
    QBarSet *set = series->barSets().first();
    const int today = int(set->count() - 1);
    const QString expected = page.barToolTip(today, u"gpt-b"_s, set->at(today));
    QVERIFY(expected.contains(u"gpt-b"_s));
    QVERIFY(expected.contains(Format::usd(globalSpend(fixture))));
    QVERIFY(expected.contains(QLocale().toString(QDateTime::currentDateTimeUtc().date(), QLocale::LongFormat)));
    // Hovering the bar shows it.
    Q_EMIT series->hovered(true, today, set);
    QTRY_COMPARE(QToolTip::text(), expected);
    Q_EMIT series->hovered(false, today, set);
}

void TestDashboardPage::topSpendersFollowTheChartRange()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QByteArray key = makeKey(fixture, u"team"_s);
    QCOMPARE(fixture.chat(key, u"gpt-b"_s), 200);
    // A call three days ago: in the 30-day chart, not in the 48-hour one.
    SpendLogRow old;
    old.requestId = u"three-days-ago"_s;
    old.callType = u"acompletion"_s;
    old.model = old.modelGroup = u"old-model"_s;
    old.spend = 5'000'000;
    old.status = u"success"_s;
    old.startTime = old.endTime = QDateTime::currentDateTimeUtc().addDays(-3);
    QVERIFY(fixture.gateway().store().writeNow(SpendLogRepository::insert(old)));

    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(topNames(page, u"topModelsTreeWidget"_s), (QStringList{u"old-model"_s, u"gpt-b"_s}));
    QCOMPARE(labelText(page, u"topWindowLabel"_s), u"Last 30 day(s), as in the chart"_s);

    page.setGranularity(SpendMath::Granularity::Hour);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(topNames(page, u"topModelsTreeWidget"_s), QStringList{u"gpt-b"_s});
    QCOMPARE(labelText(page, u"topWindowLabel"_s), u"Last 48 hour(s), as in the chart"_s);
}

void TestDashboardPage::globalBudgetGivesRemainingBurnRateAndRunOut()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const auto updated = fixture.gateway().post(
        "/user/update", QJsonObject{{u"user_id"_s, u"litellm-proxy-budget"_s}, {u"max_budget"_s, 10.0},
                                    {u"budget_duration"_s, u"30d"_s}});
    QCOMPARE(updated.status, 200);
    const QByteArray key = makeKey(fixture, u"team"_s);
    QCOMPARE(fixture.chat(key, u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const double spend = globalSpend(fixture);
    QVERIFY(qAbs(page.periodSpend() - spend) < 1e-9);
    QCOMPARE(labelText(page, u"remainingValueLabel"_s), Format::usdRoundedDown(10.0 - spend));
    // The period started just now: the rate is the spend over (at least) one day.
    QVERIFY(qAbs(page.burnRate() - spend) < 1e-9);
    // At a few cents a day the reset comes long before $10 are gone.
    QCOMPARE(labelText(page, u"runOutValueLabel"_s), u"not at this rate"_s);

    // Money left is never shown rounded up.
    fixture.gateway().post("/user/update", QJsonObject{{u"user_id"_s, u"litellm-proxy-budget"_s},
                                                       {u"max_budget"_s, spend + 1.99925}});
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(labelText(page, u"remainingValueLabel"_s), u"$1.99"_s);

    fixture.gateway().post("/user/update",
                           QJsonObject{{u"user_id"_s, u"litellm-proxy-budget"_s}, {u"max_budget"_s, spend / 2}});
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(labelText(page, u"runOutValueLabel"_s), u"reached"_s);
}

void TestDashboardPage::topListsRankKeysUsersAndModels()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"dana"_s}, {u"auto_create_key"_s, false}});
    const QByteArray big = fixture.gateway()
                               .post("/key/generate", QJsonObject{{u"key_alias"_s, u"big"_s}, {u"user_id"_s, u"dana"_s}})
                               .json()
                               .value(u"key"_s)
                               .toString()
                               .toUtf8();
    const QByteArray small = makeKey(fixture, u"small"_s);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(fixture.chat(big, u"gpt-b"_s), 200);
    QCOMPARE(fixture.chat(small, u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(topNames(page, u"topKeysTreeWidget"_s), (QStringList{u"big"_s, u"small"_s}));
    QCOMPARE(topNames(page, u"topUsersTreeWidget"_s), QStringList{u"dana"_s});
    QCOMPARE(topNames(page, u"topModelsTreeWidget"_s), (QStringList{u"gpt-b"_s, u"gpt-a"_s}));
}

void TestDashboardPage::chartFollowsADarkPalette()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(makeKey(fixture, u"team"_s), u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x20));
    dark.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
    dark.setColor(QPalette::Base, QColor(0x18, 0x18, 0x18));
    dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
    page.setPalette(dark);
    QCOMPARE(page.chart()->theme(), QChart::ChartThemeDark);
    QCOMPARE(page.chart()->backgroundBrush().color(), dark.color(QPalette::Base));
    for (QAbstractAxis *axis : page.chart()->axes())
        QCOMPARE(axis->labelsBrush().color(), dark.color(QPalette::Text));
    page.setPalette(QPalette(QColor(0xf0, 0xf0, 0xf0)));
    QCOMPARE(page.chart()->theme(), QChart::ChartThemeLight);
}

void TestDashboardPage::masterKeySpendIsNamedMasterKey()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s), 200);
    QCOMPARE(fixture.chat(makeKey(fixture, u"team"_s), u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    page.setStackBy(DashboardPage::StackBy::Key);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QStringList groups = page.chartGroups();
    groups.sort();
    QCOMPARE(groups, (QStringList{u"Master key"_s, u"team"_s}));
    QStringList top = topNames(page, u"topKeysTreeWidget"_s);
    top.sort();
    QCOMPARE(top, (QStringList{u"Master key"_s, u"team"_s}));
}

void TestDashboardPage::openAccessSpendIsNamedAsSuch()
{
    // A gateway without a master key: every local caller is admin and its calls carry no key.
    Config open = GatewayFixture::defaultConfig();
    open.general.masterKey.clear();
    UiFixture fixture(open);
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s), 200);
    QCOMPARE(fixture.chat(makeKey(fixture, u"team"_s), u"gpt-a"_s), 200);
    DashboardPage page(&fixture.api());
    page.setStackBy(DashboardPage::StackBy::Key);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QStringList groups = page.chartGroups();
    groups.sort();
    QCOMPARE(groups, (QStringList{u"No key (open access)"_s, u"team"_s}));
    QStringList top = topNames(page, u"topKeysTreeWidget"_s);
    top.sort();
    QCOMPARE(top, (QStringList{u"No key (open access)"_s, u"team"_s}));
}

QTEST_MAIN(TestDashboardPage)
#include "tst_dashboardpage.moc"
