#pragma once

#include "../page.h"

#include "../apitypes.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>

class QAction;
class QJsonArray;
class QJsonObject;
class QLabel;
class QTableWidget;
class QToolBar;

#include <memory>

namespace Tollgate {

class BudgetTableModel;
class TableView;

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

    // The selected row's actions (toolbar, context menu; a double click edits):
    // Edit… opens its owner's dialog (key, user, end user, global budget);
    void editSelected();
    // Reset spend… (confirmed) sets its spend to 0 in the same window ("spend" on the update);
    void resetSelectedSpend();
    // Top up… asks an amount and raises its max budget by it;
    void topUpSelected();
    // Open owner shows the key, user or end user on its own page (openOwnerRequested).
    void openSelectedOwner();
    [[nodiscard]] QToolBar *toolBar() const { return m_toolBar; }

Q_SIGNALS:
    // "Open owner": the window shows the page of `scope` (Key, User, EndUser) with `id` selected.
    void openOwnerRequested(Tollgate::BudgetRecord::Scope scope, const QString &id);

public:
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
    void clearData() override;

private:
    void showContextMenu(int sourceRow, const QPoint &globalPos);
    void publish();
    void publishEvents(const QJsonArray &events, const QHash<QString, QString> &names);
    void updateActions();
    [[nodiscard]] const BudgetRecord *selectedRecord() const;
    // The update that changes a budget's fields: /key/update, /user/update (the global budget
    // too, as litellm-proxy-budget) or /customer/update, with the id field set.
    void updateBudget(const BudgetRecord &record, QJsonObject fields);
    void fetchRates();

    BudgetTableModel *m_model;
    TableView *m_view;
    QTableWidget *m_events;
    QByteArray m_eventsShown;   // the answer the history shows (refilled only when it changes)
    QLabel *m_intro;
    QAction *m_editGlobalAction;
    QToolBar *m_toolBar;
    QAction *m_editAction;
    QAction *m_resetAction;
    QAction *m_topUpAction;
    QAction *m_openOwnerAction;
    // The lists behind the rows, for the owners' dialogs.
    QList<UserRecord> m_users;
    QList<KeyRecord> m_keys;
    QList<EndUserRecord> m_endUsers;
    // Each owner's USD a day over the last days (key token, user id, end user id), from the
    // spend reports, fetched again at most once a minute.
    QHash<QString, double> m_keyRates;
    QHash<QString, double> m_userRates;
    QHash<QString, double> m_endUserRates;
    double m_globalRate = 0;
    QElapsedTimer m_sinceRates;
    QString m_budgetMode;
    // One refresh's answers, published together when the last one is in.
    struct Pending;
    std::shared_ptr<Pending> m_pending;
};

} // namespace Tollgate
