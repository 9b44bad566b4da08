#pragma once

#include "../page.h"

#include <QByteArray>
#include <QHash>
#include <QList>

class QAction;
class QJsonArray;
class QJsonObject;
class QLabel;
class QTableWidget;

#include <memory>

namespace Tollgate {

class BudgetTableModel;
class TableView;
struct BudgetRecord;
struct EndUserRecord;
struct KeyRecord;
struct UserRecord;

// Budgets: every budget the gateway enforces (global, users, keys, end users) with its
// spend against the max as a bar, the soft limit, and a live countdown to the next reset.
class BudgetsPage final : public Page
{
    Q_OBJECT

public:
    explicit BudgetsPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Budgets"); }
    [[nodiscard]] QIcon icon() const override;

    [[nodiscard]] BudgetTableModel *model() const { return m_model; }
    [[nodiscard]] TableView *view() const { return m_view; }
    // The history of budget events (GET /budget/events), newest first: When, Budget, Event.
    [[nodiscard]] QTableWidget *eventsTable() const { return m_events; }
    enum EventColumn { EventWhen, EventBudget, EventWhat, EventColumnCount };

    // How the running gateway enforces max budgets ("reserve" or "strict", as in
    // general_settings.budget_enforcement; "" = not known): the page says what it means.
    void setBudgetMode(const QString &mode);
    [[nodiscard]] QString introText() const;

    // Opens the global budget's dialog (the "Whole gateway" row's edit action).
    void editGlobalBudget();

    // The rows the page shows for these lists: only what has a budget (a max, a soft limit
    // or a reset period); the global budget always.
    // A budget event's budget as the page names it (`names`: key token → "Key alias",
    // "user:<id>" → "User …", "end_user:<id>" → "End user …") and what happened to it.
    static QString eventBudgetName(const QJsonObject &event, const QHash<QString, QString> &names);
    static QString eventText(const QJsonObject &event);

    static QList<BudgetRecord> budgetsOf(const BudgetRecord &global, const QList<UserRecord> &users,
                                         const QList<KeyRecord> &keys, const QList<EndUserRecord> &endUsers);

protected:
    void doRefresh() override;

private:
    void showContextMenu(int sourceRow, const QPoint &globalPos);
    void publish();
    void publishEvents(const QJsonArray &events, const QHash<QString, QString> &names);

    BudgetTableModel *m_model;
    TableView *m_view;
    QTableWidget *m_events;
    QByteArray m_eventsShown;   // the answer the history shows (refilled only when it changes)
    QLabel *m_intro;
    QAction *m_editGlobalAction;
    QString m_budgetMode;
    // One refresh's answers, published together when the last one is in.
    struct Pending;
    std::shared_ptr<Pending> m_pending;
};

} // namespace Tollgate
