#include "dashboardpage.h"

#include "../apiclient.h"
#include "../format.h"
#include "../identitylists.h"
#include "../pageicon.h"
#include "models/identity.h"

#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCursor>
#include <QEvent>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QStackedBarSeries>
#include <QStackedWidget>
#include <QStyle>
#include <QToolTip>
#include <QTreeWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

const QString GlobalBudgetUser = u"litellm-proxy-budget"_s;
constexpr int TopCount = 5;
// Even without new spend, reports are fetched again this often (the day moves on).
constexpr qint64 ReportMaxAgeMs = 60'000;
constexpr int KeyListEvery = 30;
// Without a budget period, the top lists and the burn rate look back this far.
constexpr int WindowDays = 30;
constexpr int RateDays = 7;
// Room between two labels of the time axis, in average character widths.
constexpr int LabelGapChars = 2;

// A bar's period as its axis label: "Mar 5" for a day, "Tue 14:00" for an hour (local time).
QString shortPeriodLabel(const QString &category)
{
    const QLocale locale;
    const QDateTime start = SpendMath::periodStart(category);
    return category.size() > 10 ? locale.toString(start.toLocalTime(), u"ddd HH:00"_s)
                                : locale.toString(start.date(), u"MMM d"_s);
}

} // namespace

DashboardPage::DashboardPage(ApiClient *api, QWidget *parent) : Page(api, parent)
{
    setObjectName(u"dashboardPage"_s);
    // A key renamed, its name cleared, a key made or deleted: the top keys are named anew.
    connect(api, &ApiClient::changed, this, [this] { m_keysStale = true; });
    auto *layout = new QVBoxLayout(this);

    auto *cards = new QHBoxLayout;
    cards->addWidget(createCard(tr("Today"), u"today"_s, &m_todayValue, &m_todayDetail));
    cards->addWidget(createCard(tr("This period"), u"period"_s, &m_periodValue, &m_periodDetail));
    cards->addWidget(createCard(tr("Remaining"), u"remaining"_s, &m_remainingValue, &m_remainingDetail));
    cards->addWidget(createCard(tr("Burn rate"), u"burnRate"_s, &m_burnValue, &m_burnDetail));
    cards->addWidget(createCard(tr("Budget runs out"), u"runOut"_s, &m_runOutValue, &m_runOutDetail));
    layout->addLayout(cards);

    auto *chartBox = new QGroupBox(tr("Spend over time"), this);
    auto *chartLayout = new QVBoxLayout(chartBox);
    auto *controls = new QHBoxLayout;
    m_stackByCombo = new QComboBox(chartBox);
    m_stackByCombo->setObjectName(u"stackByComboBox"_s);
    m_stackByCombo->addItem(tr("Stack by model"));
    m_stackByCombo->addItem(tr("Stack by key"));
    connect(m_stackByCombo, &QComboBox::currentIndexChanged, this,
            [this](int index) { setStackBy(index == 1 ? StackBy::Key : StackBy::Model); });
    m_granularityCombo = new QComboBox(chartBox);
    m_granularityCombo->setObjectName(u"granularityComboBox"_s);
    m_granularityCombo->addItem(tr("Per day, last %n day(s)", nullptr, SpendMath::ChartDays));
    m_granularityCombo->addItem(tr("Per hour, last %n hour(s)", nullptr, SpendMath::ChartHours));
    connect(m_granularityCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        setGranularity(index == 1 ? SpendMath::Granularity::Hour : SpendMath::Granularity::Day);
    });
    controls->addWidget(m_stackByCombo);
    controls->addWidget(m_granularityCombo);
    controls->addStretch(1);
    chartLayout->addLayout(controls);

    m_chart = new QChart;
    m_chart->legend()->setAlignment(Qt::AlignRight);
    m_chart->setAnimationOptions(QChart::NoAnimation);
    // The plot's width decides how many time labels fit.
    connect(m_chart, &QChart::plotAreaChanged, this, [this] { relabelTimeAxis(); });
    m_chartView = new QChartView(m_chart, chartBox);
    m_chartView->setObjectName(u"spendChartView"_s);
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(220);
    m_chartEmpty = new QLabel(tr("No spend in this range yet. Point a tool at the gateway's base URL with a key "
                                 "from the Keys page, and its calls show up here within a second."),
                              chartBox);
    m_chartEmpty->setObjectName(u"chartEmptyLabel"_s);
    m_chartEmpty->setAlignment(Qt::AlignCenter);
    m_chartEmpty->setWordWrap(true);
    m_chartEmpty->setForegroundRole(QPalette::PlaceholderText);
    m_chartStack = new QStackedWidget(chartBox);
    m_chartStack->addWidget(m_chartEmpty);
    m_chartStack->addWidget(m_chartView);
    chartLayout->addWidget(m_chartStack, 1);
    layout->addWidget(chartBox, 1);

    auto *topBox = new QGroupBox(tr("Top spenders"), this);
    auto *topLayout = new QVBoxLayout(topBox);
    m_topTitle = new QLabel(topBox);
    m_topTitle->setObjectName(u"topWindowLabel"_s);
    topLayout->addWidget(m_topTitle);
    auto *lists = new QHBoxLayout;
    m_topKeys = createTopList(u"topKeysTreeWidget"_s, tr("Key"));
    m_topUsers = createTopList(u"topUsersTreeWidget"_s, tr("User"));
    m_topModels = createTopList(u"topModelsTreeWidget"_s, tr("Model"));
    lists->addWidget(m_topKeys);
    lists->addWidget(m_topUsers);
    lists->addWidget(m_topModels);
    topLayout->addLayout(lists);
    layout->addWidget(topBox);

    applyChartTheme();
    updateSummary();
}

QIcon DashboardPage::icon() const
{
    return pageIcon({u"view-statistics"_s, u"office-chart-bar"_s}, u"dashboard"_s, this);
}

QWidget *DashboardPage::createCard(const QString &title, const QString &name, QLabel **value, QLabel **detail)
{
    auto *card = new QFrame(this);
    card->setFrameShape(QFrame::StyledPanel);
    auto *layout = new QVBoxLayout(card);
    auto *heading = new QLabel(title, card);
    heading->setForegroundRole(QPalette::PlaceholderText);
    *value = new QLabel(card);
    (*value)->setObjectName(name + u"ValueLabel"_s);
    (*value)->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont big = (*value)->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    (*value)->setFont(big);
    *detail = new QLabel(card);
    (*detail)->setObjectName(name + u"DetailLabel"_s);
    (*detail)->setWordWrap(true);
    (*detail)->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(heading);
    layout->addWidget(*value);
    layout->addWidget(*detail);
    layout->addStretch(1);
    return card;
}

QTreeWidget *DashboardPage::createTopList(const QString &name, const QString &header)
{
    auto *list = new QTreeWidget(this);
    list->setObjectName(name);
    list->setColumnCount(2);
    list->setHeaderLabels({header, tr("Spend")});
    list->setRootIsDecorated(false);
    list->setAlternatingRowColors(true);
    list->setSelectionMode(QAbstractItemView::SingleSelection);
    list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    list->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    list->header()->setStretchLastSection(false);
    // Five rows and the header, no scrolling.
    list->setFixedHeight(list->header()->sizeHint().height() + TopCount * (list->fontMetrics().height() + 4) + 8);
    return list;
}

void DashboardPage::setStackBy(StackBy stackBy)
{
    const bool byKey = stackBy == StackBy::Key;
    if (byKey == m_chartByKey)
        return;
    m_chartByKey = byKey;
    const QSignalBlocker blocker(m_stackByCombo);
    m_stackByCombo->setCurrentIndex(byKey ? 1 : 0);
    m_reportsStale = true;
    refresh();
}

void DashboardPage::setGranularity(SpendMath::Granularity granularity)
{
    if (granularity == m_chartGranularity)
        return;
    m_chartGranularity = granularity;
    const QSignalBlocker blocker(m_granularityCombo);
    m_granularityCombo->setCurrentIndex(granularity == SpendMath::Granularity::Hour ? 1 : 0);
    m_reportsStale = true;
    refresh();
}

QStringList DashboardPage::chartGroups() const
{
    QStringList groups;
    if (m_chartStack->currentWidget() != m_chartView)
        return groups;
    for (QAbstractSeries *series : m_chart->series()) {
        if (auto *bars = qobject_cast<QStackedBarSeries *>(series)) {
            for (const QBarSet *set : bars->barSets())
                groups.append(set->label());
        }
    }
    return groups;
}

bool DashboardPage::hasGlobalBudget() const
{
    return m_global.maxBudget || !m_global.duration.isEmpty();
}

QDateTime DashboardPage::periodStart() const
{
    return SpendMath::budgetPeriodStart(m_global.duration, m_global.resetAt);
}

void DashboardPage::doRefresh()
{
    ++m_refreshes;
    // The global budget and the total first: cheap, and they say whether the reports moved.
    auto waiting = std::make_shared<int>(2);
    const auto arrived = [this, waiting] {
        if (--*waiting == 0) {
            const bool moved = m_totalSpend != m_reportedSpend || m_reportedDate != QDate::currentDate()
                               || !m_sinceReports.isValid() || m_sinceReports.elapsed() > ReportMaxAgeMs;
            if (m_reportsStale || moved)
                fetchReports();
            updateSummary();
        }
        endCall();
    };
    beginCall();
    QUrlQuery global;
    global.addQueryItem(u"user_id"_s, GlobalBudgetUser);
    api()->get(u"/user/info"_s, global, this, [this, arrived](const ApiReply &reply) {
        if (reply.ok())
            m_global = BudgetInfo::fromJson(reply.json.object().value(u"user_info"_s).toObject());
        arrived();
    });
    beginCall();
    api()->get(u"/global/spend"_s, {}, this, [this, arrived](const ApiReply &reply) {
        if (reply.ok()) {
            m_waitingForGateway = false;
            m_totalSpend = reply.json.object().value(u"spend"_s).toDouble();
            if (!m_global.maxBudget)
                m_global.maxBudget = optionalDouble(reply.json.object().value(u"max_budget"_s));
        }
        arrived();
    });
    if (m_keysStale || m_refreshes % KeyListEvery == 1) {
        m_keysStale = false;
        beginCall();
        IdentityLists::fetchKeys(api(), this, [this](const QList<KeyRecord> &keys, bool ok) {
            const QHash<QString, QString> names =
                IdentityLists::keyNames(keys, api()->masterKeyToken(), api()->previousMasterKeyTokens());
            if (ok && names != m_keyNames) {
                m_keyNames = names;
                if (m_chartByKey)
                    renderChart();
                relabelTopKeys();
            }
            endCall();
        });
    }
}

void DashboardPage::fetchReport(const QString &groupBy, const QDateTime &from, bool hourly,
                                const std::function<void(const QList<ReportBucket> &)> &store)
{
    QUrlQuery query;
    query.addQueryItem(u"group_by"_s, groupBy);
    query.addQueryItem(u"start_date"_s, isoUtc(from));
    if (hourly)
        query.addQueryItem(u"granularity"_s, u"hour"_s);
    beginCall();
    api()->get(u"/global/spend/report"_s, query, this, [this, groupBy, store](const ApiReply &reply) {
        if (reply.ok())
            store(ReportBucket::listFromJson(reply.json.array(), groupBy));
        endCall();
    });
}

void DashboardPage::fetchReports()
{
    m_reportsStale = false;
    m_reportedSpend = m_totalSpend;
    m_reportedDate = QDate::currentDate();
    m_sinceReports.start();

    const QDateTime now = QDateTime::currentDateTimeUtc();
    // Today is the user's day, not the UTC one: the report filtered from local midnight.
    const QDateTime midnight(QDate::currentDate(), QTime(0, 0));
    fetchReport(u"model"_s, midnight, false, [this](const QList<ReportBucket> &buckets) {
        m_todaySpend = SpendMath::totalSpend(buckets);
        updateSummary();
    });

    const bool hourly = m_chartGranularity == SpendMath::Granularity::Hour;
    const QStringList categories = SpendMath::chartCategories(m_chartGranularity, now);
    fetchReport(m_chartByKey ? u"api_key"_s : u"model"_s, SpendMath::periodStart(categories.first()), hourly,
                [this](const QList<ReportBucket> &buckets) {
                    m_chartBuckets = buckets;
                    renderChart();
                });

    // The top lists cover what the chart shows: its first bar to now, by day or by hour.
    const QDateTime chartStart = SpendMath::periodStart(categories.first());
    fetchReport(u"api_key"_s, chartStart, hourly, [this](const QList<ReportBucket> &buckets) {
        fillTopList(m_topKeys, SpendMath::topN(buckets, TopCount, true), true);
    });
    fetchReport(u"user"_s, chartStart, hourly, [this](const QList<ReportBucket> &buckets) {
        fillTopList(m_topUsers, SpendMath::topN(buckets, TopCount), false);
    });
    fetchReport(u"model"_s, chartStart, hourly, [this](const QList<ReportBucket> &buckets) {
        fillTopList(m_topModels, SpendMath::topN(buckets, TopCount), false);
    });

    // The burn rate without a budget period: the last days' spend, whatever the chart shows.
    QDateTime windowStart = periodStart();
    if (!windowStart.isValid())
        windowStart = QDateTime(now.date().addDays(-(WindowDays - 1)), QTime(0, 0), Qt::UTC);
    fetchReport(u"model"_s, windowStart, false, [this](const QList<ReportBucket> &buckets) {
        m_windowModels = buckets;
        updateSummary();
    });
}

void DashboardPage::clearData()
{
    m_waitingForGateway = true;
    m_global = {};
    m_totalSpend.reset();
    m_todaySpend = 0;
    m_periodSpend = 0;
    m_burnRate = 0;
    m_chartBuckets.clear();
    m_windowModels.clear();
    m_keyNames.clear();
    m_reportsStale = true;
    m_keysStale = true;
    m_reportedSpend.reset();
    m_reportedDate = {};
    m_sinceReports.invalidate();
    for (QLabel *value : {m_todayValue, m_periodValue, m_remainingValue, m_burnValue, m_runOutValue})
        value->setText(u"—"_s);
    for (QLabel *detail : {m_todayDetail, m_periodDetail, m_remainingDetail, m_burnDetail, m_runOutDetail})
        detail->setText(tr("waiting for the gateway to answer"));
    for (QTreeWidget *list : {m_topKeys, m_topUsers, m_topModels})
        list->clear();
    renderChart();
}

void DashboardPage::updateSummary()
{
    if (m_waitingForGateway)
        return;   // nothing known yet: no $0.00 for a gateway that has not answered
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_todayValue->setText(Format::usd(m_todaySpend));
    m_todayDetail->setText(tr("since midnight"));

    const QDateTime start = periodStart();
    const bool budgeted = hasGlobalBudget();
    m_periodSpend = budgeted ? m_global.spend : m_totalSpend.value_or(0);
    m_periodValue->setText(Format::usd(m_periodSpend));
    if (start.isValid())
        m_periodDetail->setText(tr("since %1, resets %2")
                                    .arg(Format::dateTime(start), Format::countdown(m_global.resetAt, now)));
    else
        m_periodDetail->setText(tr("all time (the global budget does not reset)"));

    if (m_global.maxBudget) {
        const double remaining = *m_global.maxBudget - m_periodSpend;
        // Money left is never shown rounded up: $1.99925 is "$1.99", not "$2.00".
        m_remainingValue->setText(remaining >= 0 ? Format::usdRoundedDown(remaining) : Format::usd(0.0));
        m_remainingDetail->setText(remaining >= 0
                                       ? tr("of %1 (%2 used)")
                                             .arg(Format::usd(*m_global.maxBudget),
                                                  Format::percent(m_global.fraction().value_or(0)))
                                       : tr("over the %1 budget by %2").arg(Format::usd(*m_global.maxBudget),
                                                                            Format::usd(-remaining)));
    } else {
        m_remainingValue->setText(tr("no limit"));
        m_remainingDetail->setText(tr("no global budget — set one on the Budgets page (Whole gateway)"));
    }

    if (start.isValid()) {
        m_burnRate = SpendMath::burnRatePerDay(m_periodSpend, start, now);
        m_burnDetail->setText(tr("per day, over this period"));
    } else {
        m_burnRate = SpendMath::recentRatePerDay(m_windowModels, now, RateDays);
        m_burnDetail->setText(tr("per day, over the last %n day(s)", nullptr, RateDays));
    }
    m_burnValue->setText(Format::usd(m_burnRate));

    const SpendMath::RunOut out = SpendMath::runOut(m_periodSpend, m_global.maxBudget, m_burnRate, now,
                                                    start.isValid() ? m_global.resetAt : QDateTime());
    switch (out.kind) {
    case SpendMath::RunOut::Kind::NoBudget:
        m_runOutValue->setText(tr("no global budget"));
        m_runOutDetail->clear();
        break;
    case SpendMath::RunOut::Kind::Exceeded:
        m_runOutValue->setText(tr("reached"));
        m_runOutDetail->setText(tr("calls are refused until the budget is raised or resets"));
        break;
    case SpendMath::RunOut::Kind::NotAtThisRate:
        m_runOutValue->setText(tr("not at this rate"));
        m_runOutDetail->setText(start.isValid() ? tr("the budget resets first") : QString());
        break;
    case SpendMath::RunOut::Kind::On:
        m_runOutValue->setText(Format::date(out.at.toLocalTime().date()));
        m_runOutDetail->setText(Format::countdown(out.at, now));
        break;
    }

    // The chart's range (the period of a budget is on its card).
    if (m_chartGranularity == SpendMath::Granularity::Hour)
        m_topTitle->setText(tr("Last %n hour(s), as in the chart", nullptr, SpendMath::ChartHours));
    else
        m_topTitle->setText(tr("Last %n day(s), as in the chart", nullptr, SpendMath::ChartDays));
}

QString DashboardPage::groupLabel(const QString &group, bool keys) const
{
    if (keys)
        return IdentityLists::keyLabel(m_keyNames, group);
    return group.isEmpty() ? tr("(none)") : group;
}

void DashboardPage::fillTopList(QTreeWidget *list, const QList<SpendMath::Ranked> &ranked, bool keys)
{
    list->clear();
    for (const SpendMath::Ranked &row : ranked) {
        if (keys && !row.name.isEmpty() && !m_keyNames.contains(row.name))
            m_keysStale = true;
        auto *item = new QTreeWidgetItem(list, {groupLabel(row.name, keys), Format::usd(row.spend)});
        item->setData(0, Qt::UserRole, row.name);
        item->setToolTip(0, row.name);
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
    }
    if (ranked.isEmpty()) {
        auto *item = new QTreeWidgetItem(list, {tr("no spend yet"), QString()});
        item->setFlags(Qt::NoItemFlags);
    }
}

void DashboardPage::relabelTopKeys()
{
    // New key names, same ranking.
    for (int i = 0; i < m_topKeys->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_topKeys->topLevelItem(i);
        if (item->flags() != Qt::NoItemFlags)
            item->setText(0, groupLabel(item->data(0, Qt::UserRole).toString(), true));
    }
}

void DashboardPage::renderChart()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const SpendMath::StackedSeries stacked
        = SpendMath::stack(m_chartBuckets, SpendMath::chartCategories(m_chartGranularity, now));
    m_chart->removeAllSeries();
    for (QAbstractAxis *axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    double total = 0;
    for (const QList<double> &row : stacked.values)
        for (double value : row)
            total += value;
    if (stacked.isEmpty() || total <= 0) {
        m_chartStack->setCurrentWidget(m_chartEmpty);
        return;
    }

    auto *series = new QStackedBarSeries;
    for (int g = 0; g < stacked.groups.size(); ++g) {
        const QString group = stacked.groups.at(g);
        if (m_chartByKey && !group.isEmpty() && !m_keyNames.contains(group))
            m_keysStale = true;
        auto *set = new QBarSet(groupLabel(group, m_chartByKey));
        for (double value : stacked.values.at(g))
            set->append(value);
        series->append(set);
    }
    m_chart->addSeries(series);

    double highest = 0;
    for (int c = 0; c < stacked.categories.size(); ++c) {
        double column = 0;
        for (const QList<double> &row : stacked.values)
            column += row.at(c);
        highest = std::max(highest, column);
    }
    // A value axis under the bars (bar c sits at x = c): its labels go on a few bars only, as
    // many as the width holds (relabelTimeAxis), upright. A category axis labels every bar
    // and, 30 or 48 of them, squeezes them into "⋮".
    m_chartCategories = stacked.categories;
    m_labelStep = 0;
    auto *axisX = new QCategoryAxis;
    axisX->setObjectName(u"timeAxis"_s);
    axisX->setRange(-0.5, stacked.categories.size() - 0.5);
    axisX->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    axisX->setGridLineVisible(false);
    m_chart->addAxis(axisX, Qt::AlignBottom);
    series->attachAxis(axisX);
    relabelTimeAxis();
    connect(series, &QStackedBarSeries::hovered, this, [this](bool over, int index, QBarSet *set) {
        if (over)
            QToolTip::showText(QCursor::pos(), barToolTip(index, set->label(), set->at(index)), m_chartView);
        else
            QToolTip::hideText();
    });
    // Nice ticks from a value axis, labelled by the window's one money format (a value
    // axis only takes a printf format: "$0.0150" beside "$0.015" elsewhere).
    QValueAxis nice;
    nice.setRange(0, highest * 1.1);
    nice.applyNiceNumbers();
    auto *axisY = new QCategoryAxis;
    axisY->setRange(nice.min(), nice.max());
    axisY->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    axisY->setStartValue(nice.min());
    const int ticks = std::max(2, nice.tickCount());
    const double step = (nice.max() - nice.min()) / (ticks - 1);
    for (int i = 0; i < ticks; ++i) {
        const double value = nice.min() + step * i;
        axisY->append(Format::usd(std::abs(value) < step / 1e6 ? 0.0 : value), value);
    }
    m_chart->addAxis(axisY, Qt::AlignLeft);
    series->attachAxis(axisY);
    applyChartTheme();
    m_chartStack->setCurrentWidget(m_chartView);
}

void DashboardPage::relabelTimeAxis()
{
    const auto axes = m_chart->axes(Qt::Horizontal);
    auto *axis = axes.isEmpty() ? nullptr : qobject_cast<QCategoryAxis *>(axes.first());
    const int bars = int(m_chartCategories.size());
    if (!axis || bars == 0)
        return;
    // Before the first layout the plot is unknown: the view's width stands in for it.
    const double plotWidth = m_chart->plotArea().width() > 0 ? m_chart->plotArea().width() : m_chartView->width() * 0.7;
    const QFontMetrics metrics(axis->labelsFont());
    int widest = 0;
    for (const QString &category : std::as_const(m_chartCategories))
        widest = std::max(widest, metrics.horizontalAdvance(shortPeriodLabel(category)));
    const double perBar = plotWidth / bars;
    const double needed = widest + LabelGapChars * metrics.averageCharWidth();
    // Steps that read well: every day, 2 days, … a week; every hour, 2, 3, … 12 hours.
    const bool hourly = m_chartCategories.first().size() > 10;
    const QList<int> steps = hourly ? QList<int>{1, 2, 3, 4, 6, 12, 24} : QList<int>{1, 2, 3, 5, 7, 10, 15};
    int step = steps.last();
    for (const int candidate : steps) {
        if (candidate * perBar >= needed) {
            step = candidate;
            break;
        }
    }
    if (step == m_labelStep)
        return;
    m_labelStep = step;
    for (const QString &label : axis->categoriesLabels())
        axis->remove(label);
    // Counted back from the newest bar, which is always labelled (today, this hour).
    const int first = (bars - 1) % step;
    for (int c = first; c < bars; c += step)
        axis->append(shortPeriodLabel(m_chartCategories.at(c)), c);
    axis->setStartValue(-0.5);
    axis->setLabelsAngle(0);
}

QString DashboardPage::barToolTip(int category, const QString &group, double value) const
{
    if (category < 0 || category >= m_chartCategories.size())
        return {};
    const QString period = m_chartCategories.at(category);
    const QDateTime start = SpendMath::periodStart(period).toLocalTime();
    const QLocale locale;
    const QString when = period.size() > 10
        ? tr("%1, %2–%3").arg(locale.toString(start.date(), QLocale::ShortFormat),
                              locale.toString(start.time(), u"HH:mm"_s),
                              locale.toString(start.addSecs(3600).time(), u"HH:mm"_s))
        : locale.toString(SpendMath::periodStart(period).date(), QLocale::LongFormat);
    return u"%1\n%2: %3"_s.arg(when, group, Format::usd(value));
}

void DashboardPage::applyChartTheme()
{
    // The chart follows the window: a dark palette gets the dark theme, and the background
    // and text take the palette's own colours so the chart sits in the page.
    const QPalette colours = palette();
    const bool dark = colours.color(QPalette::Window).lightness() < 128;
    m_chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    m_chart->setBackgroundBrush(colours.brush(QPalette::Base));
    m_chart->setBackgroundRoundness(0);
    m_chart->setTitleBrush(colours.brush(QPalette::Text));
    m_chart->legend()->setLabelColor(colours.color(QPalette::Text));
    for (QAbstractAxis *axis : m_chart->axes()) {
        axis->setLabelsBrush(colours.brush(QPalette::Text));
        axis->setGridLineColor(colours.color(QPalette::Mid));
        axis->setLinePenColor(colours.color(QPalette::Mid));
    }
    m_chartView->setBackgroundBrush(colours.brush(QPalette::Base));
}

void DashboardPage::changeEvent(QEvent *event)
{
    Page::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyChartTheme();
}

} // namespace Tollgate
