#pragma once

#include "../apitypes.h"
#include "../page.h"
#include "../spendmath.h"

#include <QDate>
#include <QElapsedTimer>
#include <QHash>

#include <functional>
#include <optional>

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QStackedWidget;
class QTreeWidget;

namespace Tollgate {

// Dashboard: where the money goes at a glance — spend today and this budget period, what is
// left of the global budget, the burn rate and when the budget runs out at that rate, spend
// over time as a stacked bar chart, and the top keys, users and models.
class DashboardPage final : public Page
{
    Q_OBJECT

public:
    enum class StackBy { Model, Key };

    explicit DashboardPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Dashboard"); }
    [[nodiscard]] QIcon icon() const override;

    void setStackBy(StackBy stackBy);
    void setGranularity(SpendMath::Granularity granularity);

    // What the page shows, for tests.
    [[nodiscard]] double todaySpend() const { return m_todaySpend; }
    [[nodiscard]] double periodSpend() const { return m_periodSpend; }
    [[nodiscard]] double burnRate() const { return m_burnRate; }
    [[nodiscard]] QChart *chart() const { return m_chart; }
    // The bar sets' labels of the chart (models or key names), empty when it shows no spend.
    [[nodiscard]] QStringList chartGroups() const;
    // What hovering a bar shows: its day or hour, the bar set's name and its amount.
    [[nodiscard]] QString barToolTip(int category, const QString &group, double value) const;

protected:
    void doRefresh() override;
    void clearData() override;
    void changeEvent(QEvent *event) override;

private:
    QWidget *createCard(const QString &title, const QString &name, QLabel **value, QLabel **detail);
    QTreeWidget *createTopList(const QString &name, const QString &header);
    void fetchReports();
    void fetchReport(const QString &groupBy, const QDateTime &from, bool hourly,
                     const std::function<void(const QList<ReportBucket> &)> &store);
    void updateSummary();
    void renderChart();
    // The time axis' labels: every how-many-th bar fits the plot's width, without overlapping.
    void relabelTimeAxis();
    void fillTopList(QTreeWidget *list, const QList<SpendMath::Ranked> &ranked, bool keys);
    void relabelTopKeys();
    void applyChartTheme();
    [[nodiscard]] QString groupLabel(const QString &group, bool keys) const;
    [[nodiscard]] bool hasGlobalBudget() const;
    [[nodiscard]] QDateTime periodStart() const;

    QLabel *m_todayValue = nullptr;
    QLabel *m_todayDetail = nullptr;
    QLabel *m_periodValue = nullptr;
    QLabel *m_periodDetail = nullptr;
    QLabel *m_remainingValue = nullptr;
    QLabel *m_remainingDetail = nullptr;
    QLabel *m_burnValue = nullptr;
    QLabel *m_burnDetail = nullptr;
    QLabel *m_runOutValue = nullptr;
    QLabel *m_runOutDetail = nullptr;
    QComboBox *m_stackByCombo = nullptr;
    QComboBox *m_granularityCombo = nullptr;
    QStackedWidget *m_chartStack = nullptr;
    QChartView *m_chartView = nullptr;
    QChart *m_chart = nullptr;
    QLabel *m_chartEmpty = nullptr;
    QLabel *m_topTitle = nullptr;
    QTreeWidget *m_topKeys = nullptr;
    QTreeWidget *m_topUsers = nullptr;
    QTreeWidget *m_topModels = nullptr;

    BudgetInfo m_global;              // litellm-proxy-budget
    std::optional<double> m_totalSpend;
    double m_todaySpend = 0;
    double m_periodSpend = 0;
    double m_burnRate = 0;
    QList<ReportBucket> m_chartBuckets;
    QStringList m_chartCategories;       // the bars' periods as the report names them, oldest first
    int m_labelStep = 0;                 // the time axis labels every this many bars (0: not laid out)
    QList<ReportBucket> m_windowModels;   // the top lists' window, by model (also the 7-day rate)
    QHash<QString, QString> m_keyNames;
    bool m_chartByKey = false;
    SpendMath::Granularity m_chartGranularity = SpendMath::Granularity::Day;

    // Reports are fetched again only when something moved: spend, a choice, the day, a minute.
    bool m_reportsStale = true;
    bool m_keysStale = true;
    std::optional<double> m_reportedSpend;
    QDate m_reportedDate;
    QElapsedTimer m_sinceReports;
    int m_refreshes = 0;
    // After a switch to another gateway, until it has answered: the cards say so.
    bool m_waitingForGateway = false;
};

} // namespace Tollgate
