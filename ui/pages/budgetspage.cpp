#include "budgetspage.h"

#include "../apiclient.h"
#include "../apitypes.h"
#include "../confirm.h"
#include "../dialogs/enduserdialog.h"
#include "../dialogs/keydialog.h"
#include "../dialogs/userdialog.h"
#include "../dialogs/globalbudgetdialog.h"
#include "../format.h"
#include "../identitylists.h"
#include "../models/budgettablemodel.h"
#include "../pageicon.h"
#include "../progressdelegate.h"
#include "../spendmath.h"
#include "../tableview.h"
#include "models/identity.h"

#include <QAction>
#include <QApplication>
#include <QHBoxLayout>
#include <QHash>
#include <QClipboard>
#include <QJsonArray>
#include <QLabel>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QJsonDocument>
#include <QMenu>
#include <QSplitter>
#include <QTableWidget>
#include <QStyle>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <functional>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {
const QString GlobalBudgetUser = u"litellm-proxy-budget"_s;
// The forecast of a budget without a period looks at this many days of spend, fetched again
// at most this often (the page refreshes every second).
constexpr int RateDays = 7;
constexpr qint64 RatesMaxAgeMs = 60'000;

bool hasBudget(const BudgetInfo &budget)
{
    return budget.maxBudget || budget.softBudget || !budget.duration.isEmpty();
}
} // namespace

struct BudgetsPage::Pending
{
    int waiting = 0;
    bool failed = false;
    BudgetRecord global;
    QList<UserRecord> users;
    QList<KeyRecord> keys;
    QList<EndUserRecord> endUsers;
    QJsonArray events;
};

BudgetsPage::BudgetsPage(ApiClient *api, QWidget *parent)
    : Page(api, parent)
    , m_model(new BudgetTableModel(this))
    , m_view(new TableView(this))
    , m_events(new QTableWidget(0, EventColumnCount, this))
    , m_intro(new QLabel(this))
    , m_editGlobalAction(new QAction(tr("Edit &global budget…"), this))
    , m_toolBar(new QToolBar(this))
{
    setObjectName(u"budgetsPage"_s);
    auto *layout = new QVBoxLayout(this);
    m_intro->setObjectName(u"introLabel"_s);
    m_intro->setWordWrap(true);
    m_intro->setText(introText());
    layout->addWidget(m_intro);

    // The selected budget's actions, as on the Keys page: a toolbar, the context menu, and a
    // double click that edits.
    m_toolBar->setObjectName(u"budgetsToolBar"_s);
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setIconSize(QSize(16, 16));
    const auto rowAction = [this](const QString &name, const QString &text, const QString &icon,
                                  QStyle::StandardPixmap fallback, const QString &tip, void (BudgetsPage::*slot)()) {
        auto *action = new QAction(QIcon::fromTheme(icon, style()->standardIcon(fallback)), text, this);
        action->setObjectName(name);
        action->setToolTip(tip);
        action->setEnabled(false);
        connect(action, &QAction::triggered, this, slot);
        m_toolBar->addAction(action);
        return action;
    };
    m_editAction = rowAction(u"editBudgetAction"_s, tr("Edit…"), u"document-edit"_s, QStyle::SP_FileDialogDetailedView,
                             tr("Change the budget in its owner's dialog (key, user, end user or the whole gateway)"),
                             &BudgetsPage::editSelected);
    m_resetAction = rowAction(u"resetSpendAction"_s, tr("Reset spend…"), u"edit-clear"_s, QStyle::SP_DialogResetButton,
                              tr("Set the spend of this budget to 0; its period and next reset stay"),
                              &BudgetsPage::resetSelectedSpend);
    m_topUpAction = rowAction(u"topUpAction"_s, tr("Top up…"), u"list-add"_s, QStyle::SP_ArrowUp,
                              tr("Raise the max budget by an amount"), &BudgetsPage::topUpSelected);
    m_openOwnerAction = rowAction(u"openOwnerAction"_s, tr("Open owner"), u"go-jump"_s, QStyle::SP_ArrowForward,
                                  tr("Show the key, user or end user on its own page"), &BudgetsPage::openSelectedOwner);
    m_editGlobalAction->setObjectName(u"editGlobalBudgetAction"_s);
    m_editGlobalAction->setToolTip(tr("Set, change or remove the budget of the whole gateway"));
    connect(m_editGlobalAction, &QAction::triggered, this, &BudgetsPage::editGlobalBudget);
    auto *editGlobal = new QToolButton(this);
    editGlobal->setObjectName(u"editGlobalBudgetButton"_s);
    editGlobal->setDefaultAction(m_editGlobalAction);
    editGlobal->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_toolBar, 1);
    bar->addWidget(editGlobal);
    layout->addLayout(bar);

    m_view->setObjectName(u"budgetsTableView"_s);
    m_view->setSourceModel(m_model);
    m_view->setStretchColumn(BudgetTableModel::Name);
    m_view->setItemDelegateForColumn(BudgetTableModel::Used, new ProgressDelegate(m_view));
    m_view->setEmptyText(tr("No budgets yet. Give a key, a user or an end user a max budget on its page "
                            "(or the whole gateway with “Edit global budget”) and it appears here."));
    // The budgets closest to their max first.
    m_view->sortByColumn(BudgetTableModel::Used, Qt::DescendingOrder);
    connect(m_view, &TableView::contextMenuRequested, this, &BudgetsPage::showContextMenu);
    connect(m_view, &TableView::rowActivated, this, [this](int) { editSelected(); });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &BudgetsPage::updateActions);
    connect(m_model, &QAbstractItemModel::modelReset, this, &BudgetsPage::updateActions);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &BudgetsPage::updateActions);
    // Below the budgets: what happened to them, so a threshold passed while nobody looked (or
    // a notification dismissed) is still there to read.
    auto *history = new QWidget(this);
    auto *historyLayout = new QVBoxLayout(history);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    auto *historyLabel = new QLabel(tr("Recent budget events"), history);
    historyLabel->setObjectName(u"budgetEventsLabel"_s);
    historyLabel->setBuddy(m_events);
    historyLayout->addWidget(historyLabel);
    m_events->setObjectName(u"budgetEventsTableWidget"_s);
    m_events->setHorizontalHeaderLabels({tr("When"), tr("Budget"), tr("Event")});
    m_events->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_events->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_events->setSelectionMode(QAbstractItemView::SingleSelection);
    m_events->setAlternatingRowColors(true);
    m_events->setWordWrap(false);
    m_events->verticalHeader()->hide();
    // Rows as compact as the budgets' above.
    m_events->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_events->horizontalHeader()->setSectionResizeMode(EventWhen, QHeaderView::ResizeToContents);
    m_events->horizontalHeader()->setSectionResizeMode(EventBudget, QHeaderView::ResizeToContents);
    m_events->horizontalHeader()->setSectionResizeMode(EventWhat, QHeaderView::Stretch);
    historyLayout->addWidget(m_events);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(u"budgetsSplitter"_s);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_view);
    splitter->addWidget(history);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);
}

void BudgetsPage::setBudgetMode(const QString &mode)
{
    m_budgetMode = mode;
    m_intro->setText(introText());
}

QString BudgetsPage::introText() const
{
    const QString soft = tr("A soft limit only warns. Bars turn amber at the soft limit or 80 % and red when a "
                            "budget is used up.");
    if (m_budgetMode == u"strict")
        return tr("Strict mode: a call is let through only if its largest possible cost still fits, so no "
                  "budget is ever exceeded; calls that might not fit are refused (429).")
               + u' ' + soft;
    if (m_budgetMode == u"reserve")
        return tr("Reserve mode: a call is refused (429) once a budget is used up; calls already running may "
                  "finish past the max by at most their own cost.")
               + u' ' + soft;
    return tr("Calls are refused (429) once a budget is used up; depending on the budget mode (Settings), "
              "calls already running may finish past the max by at most their own cost.")
           + u' ' + soft;
}

QIcon BudgetsPage::icon() const
{
    return pageIcon({u"wallet-open"_s, u"view-financial-budget"_s}, u"budgets"_s, this);
}

QList<BudgetRecord> BudgetsPage::budgetsOf(const BudgetRecord &global, const QList<UserRecord> &users,
                                           const QList<KeyRecord> &keys, const QList<EndUserRecord> &endUsers)
{
    QList<BudgetRecord> records{global};
    for (const UserRecord &user : users) {
        if (!hasBudget(user.budget) || user.userId == GlobalBudgetUser)
            continue;
        const QString name = user.userAlias.isEmpty() ? user.userId : tr("%1 (%2)").arg(user.userAlias, user.userId);
        records.append({BudgetRecord::Scope::User, user.userId, name, user.budget});
    }
    QHash<QString, const UserRecord *> owners;
    for (const UserRecord &user : users)
        owners.insert(user.userId, &user);
    for (const KeyRecord &key : keys) {
        if (!hasBudget(key.budget))
            continue;
        BudgetRecord record{BudgetRecord::Scope::Key, key.token, key.displayName(), key.budget};
        record.detail = key.keyAlias.isEmpty() ? QString() : key.keyName;
        // A call must fit the owner's budget too: say which one also applies.
        if (const UserRecord *owner = owners.value(key.userId); owner && owner->budget.maxBudget) {
            const QString note = tr("Its user %1 has a budget too (%2 of %3): a call must fit both.")
                                     .arg(owner->userId, Format::usd(owner->budget.spend),
                                          Format::usd(*owner->budget.maxBudget));
            record.detail = record.detail.isEmpty() ? note : record.detail + u'\n' + note;
        }
        records.append(record);
    }
    for (const EndUserRecord &endUser : endUsers) {
        if (!hasBudget(endUser.budget))
            continue;
        const QString name = endUser.alias.isEmpty() ? endUser.userId : tr("%1 (%2)").arg(endUser.alias, endUser.userId);
        records.append({BudgetRecord::Scope::EndUser, endUser.userId, name, endUser.budget});
    }
    return records;
}

void BudgetsPage::doRefresh()
{
    auto pending = std::make_shared<Pending>();
    m_pending = pending;
    pending->global.scope = BudgetRecord::Scope::Global;
    pending->global.name = tr("Whole gateway");
    pending->waiting = 5;
    // Each answer counts down; the last one publishes, so the table never shows half a refresh.
    const auto arrived = [this, pending](bool ok) {
        pending->failed = pending->failed || !ok;
        if (--pending->waiting == 0 && !pending->failed && pending == m_pending)
            publish();
        endCall();
    };

    beginCall();
    QUrlQuery global;
    global.addQueryItem(u"user_id"_s, GlobalBudgetUser);
    api()->get(u"/user/info"_s, global, this, [pending, arrived](const ApiReply &reply) {
        if (reply.ok())
            pending->global.budget = BudgetInfo::fromJson(reply.json.object().value(u"user_info"_s).toObject());
        arrived(reply.ok());
    });
    beginCall();
    IdentityLists::fetchUsers(api(), this, [pending, arrived](const QList<UserRecord> &users, bool ok) {
        pending->users = users;
        arrived(ok);
    });
    beginCall();
    IdentityLists::fetchKeys(api(), this, [pending, arrived](const QList<KeyRecord> &keys, bool ok) {
        pending->keys = keys;
        arrived(ok);
    });
    beginCall();
    api()->get(u"/customer/list"_s, {}, this, [pending, arrived](const ApiReply &reply) {
        if (reply.ok()) {
            for (const QJsonValue &value : reply.json.array())
                pending->endUsers.append(EndUserRecord::fromJson(value.toObject()));
        }
        arrived(reply.ok());
    });
    if (!m_sinceRates.isValid() || m_sinceRates.hasExpired(RatesMaxAgeMs))
        fetchRates();
    beginCall();
    QUrlQuery events;
    events.addQueryItem(u"limit"_s, u"200"_s);
    api()->get(u"/budget/events"_s, events, this, [pending, arrived](const ApiReply &reply) {
        if (reply.ok())
            pending->events = reply.json.array();
        arrived(reply.ok());
    });
}

void BudgetsPage::publish()
{
    const Pending &pending = *m_pending;
    m_model->setNow(QDateTime::currentDateTimeUtc());
    m_users = pending.users;
    m_keys = pending.keys;
    m_endUsers = pending.endUsers;
    QList<BudgetRecord> records = budgetsOf(pending.global, pending.users, pending.keys, pending.endUsers);
    for (BudgetRecord &record : records) {
        switch (record.scope) {
        case BudgetRecord::Scope::Key: record.recentRatePerDay = m_keyRates.value(record.scopeId); break;
        case BudgetRecord::Scope::User: record.recentRatePerDay = m_userRates.value(record.scopeId); break;
        case BudgetRecord::Scope::EndUser: record.recentRatePerDay = m_endUserRates.value(record.scopeId); break;
        case BudgetRecord::Scope::Global: record.recentRatePerDay = m_globalRate; break;
        }
    }
    m_model->setRecords(records);
    m_view->setWaiting(false);
    m_editGlobalAction->setEnabled(true);
    updateActions();
    // What the page calls each budget: its row's name (key alias or sk-…tail, user alias).
    QHash<QString, QString> names = IdentityLists::keyNames(pending.keys);
    for (auto it = names.begin(); it != names.end(); ++it)
        it.value() = tr("Key %1").arg(it.value());
    for (const UserRecord &user : pending.users)
        names.insert(u"user:"_s + user.userId, user.userAlias.isEmpty() ? tr("User %1").arg(user.userId)
                                                                         : tr("User %1 (%2)").arg(user.userAlias, user.userId));
    for (const EndUserRecord &endUser : pending.endUsers)
        names.insert(u"end_user:"_s + endUser.userId,
                     endUser.alias.isEmpty() ? tr("End user %1").arg(endUser.userId)
                                             : tr("End user %1 (%2)").arg(endUser.alias, endUser.userId));
    publishEvents(pending.events, names);
}

void BudgetsPage::clearData()
{
    m_pending.reset();   // a refresh under way publishes nothing
    m_model->clear();
    m_users.clear();
    m_keys.clear();
    m_endUsers.clear();
    m_keyRates.clear();
    m_userRates.clear();
    m_endUserRates.clear();
    m_globalRate = 0;
    m_sinceRates.invalidate();
    m_eventsShown.clear();
    m_events->setRowCount(0);
    m_view->setWaiting(true);
    m_editGlobalAction->setEnabled(false);
    updateActions();
}

void BudgetsPage::fetchRates()
{
    m_sinceRates.start();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime from(now.date().addDays(-(RateDays - 1)), QTime(0, 0), Qt::UTC);
    const auto fetch = [this, from](const QString &groupBy, const std::function<void(const QList<ReportBucket> &)> &store) {
        QUrlQuery query;
        query.addQueryItem(u"group_by"_s, groupBy);
        query.addQueryItem(u"start_date"_s, isoUtc(from));
        beginCall();
        api()->get(u"/global/spend/report"_s, query, this, [this, groupBy, store](const ApiReply &reply) {
            if (reply.ok())
                store(ReportBucket::listFromJson(reply.json.array(), groupBy));
            endCall();
        });
    };
    // The rows pick the rates up on the next publish (a second later at most).
    fetch(u"api_key"_s, [this, now](const QList<ReportBucket> &buckets) {
        m_keyRates = SpendMath::recentRatesPerDay(buckets, now, RateDays);
        // Every call counts for the gateway, those without a key (master key, open access) too.
        m_globalRate = SpendMath::recentRatePerDay(buckets, now, RateDays);
    });
    fetch(u"user"_s, [this, now](const QList<ReportBucket> &buckets) {
        m_userRates = SpendMath::recentRatesPerDay(buckets, now, RateDays);
    });
    fetch(u"end_user"_s, [this, now](const QList<ReportBucket> &buckets) {
        m_endUserRates = SpendMath::recentRatesPerDay(buckets, now, RateDays);
    });
}

QString BudgetsPage::eventBudgetName(const QJsonObject &event, const QHash<QString, QString> &names)
{
    const QString scope = event.value(u"scope"_s).toString();
    const QString id = event.value(u"id"_s).toString();
    if (scope == u"global")
        return tr("Whole gateway");
    if (scope == u"key")   // never the hash
        return names.value(id, tr("A deleted key"));
    if (scope == u"user")
        return names.value(u"user:"_s + id, tr("User %1").arg(id));
    if (scope == u"end_user")
        return names.value(u"end_user:"_s + id, tr("End user %1").arg(id));
    if (scope == u"model")
        return tr("A key's budget for model %1").arg(id);
    return id.isEmpty() ? scope : scope + u' ' + id;
}

QString BudgetsPage::eventText(const QJsonObject &event)
{
    if (event.value(u"event"_s).toString() == u"reset")
        return tr("Reset (%1 spent before)").arg(Format::usd(event.value(u"spend_before"_s).toDouble()));
    const QString threshold = event.value(u"threshold"_s).toString();
    const QString amounts = tr("%1 of %2").arg(Format::usd(event.value(u"spend"_s).toDouble()),
                                               Format::usd(event.value(u"budget"_s).toDouble()));
    if (threshold == u"soft_budget")
        return tr("Soft limit passed (%1)").arg(amounts);
    if (threshold == u"100%")
        return tr("Used up, 100 % (%1)").arg(amounts);
    QString percent = threshold;
    percent.replace(u"%"_s, u" %"_s);
    return tr("%1 reached (%2)").arg(percent, amounts);
}

void BudgetsPage::publishEvents(const QJsonArray &events, const QHash<QString, QString> &names)
{
    QByteArray shown = QJsonDocument(events).toJson(QJsonDocument::Compact);
    for (auto it = names.cbegin(); it != names.cend(); ++it)   // a renamed key renames its events
        shown += it.key().toUtf8() + '=' + it.value().toUtf8() + ';';
    if (shown == m_eventsShown)   // every second: leave the selection and scroll alone
        return;
    m_eventsShown = shown;
    m_events->setRowCount(int(events.size()));
    for (int row = 0; row < events.size(); ++row) {
        const QJsonObject event = events.at(row).toObject();
        const QDateTime at = QDateTime::fromString(event.value(u"at"_s).toString(), Qt::ISODateWithMs);
        m_events->setItem(row, EventWhen, new QTableWidgetItem(Format::dateTime(at)));
        m_events->setItem(row, EventBudget, new QTableWidgetItem(eventBudgetName(event, names)));
        m_events->setItem(row, EventWhat, new QTableWidgetItem(eventText(event)));
    }
}

void BudgetsPage::showContextMenu(int sourceRow, const QPoint &globalPos)
{
    const BudgetRecord *row = m_model->recordAt(sourceRow);
    if (!row)
        return;
    const BudgetRecord record = *row;
    QMenu menu(this);
    updateActions();   // the right click selected the row
    for (QAction *action : m_toolBar->actions())
        menu.addAction(action);
    menu.setDefaultAction(m_editAction);
    menu.addSeparator();
    menu.addAction(tr("Copy name"), this, [record] { QApplication::clipboard()->setText(record.name); });
    if (!record.scopeId.isEmpty()) {
        const QString what = record.scope == BudgetRecord::Scope::Key ? tr("Copy key token") : tr("Copy id");
        menu.addAction(what, this, [record] { QApplication::clipboard()->setText(record.scopeId); });
    }
    menu.addAction(tr("Copy spend and budget"), this, [this, sourceRow] {
        QStringList cells;
        for (int column = 0; column < BudgetTableModel::ColumnCount; ++column)
            cells.append(m_model->index(sourceRow, column).data().toString());
        QApplication::clipboard()->setText(cells.join(u'\t'));
    });
    menu.exec(globalPos);
}

const BudgetRecord *BudgetsPage::selectedRecord() const
{
    return m_model->recordAt(m_view->currentSourceRow());
}

void BudgetsPage::updateActions()
{
    const BudgetRecord *record = selectedRecord();
    m_editAction->setEnabled(record);
    m_resetAction->setEnabled(record && record->budget.spend > 0);
    m_topUpAction->setEnabled(record);
    // The whole gateway has no page of its own.
    m_openOwnerAction->setEnabled(record && record->scope != BudgetRecord::Scope::Global);
}

void BudgetsPage::updateBudget(const BudgetRecord &record, QJsonObject fields)
{
    switch (record.scope) {
    case BudgetRecord::Scope::Global:
        fields.insert(u"user_id"_s, GlobalBudgetUser);
        api()->post(u"/user/update"_s, fields, this, {});
        return;
    case BudgetRecord::Scope::User:
        fields.insert(u"user_id"_s, record.scopeId);
        api()->post(u"/user/update"_s, fields, this, {});
        return;
    case BudgetRecord::Scope::Key:
        fields.insert(u"key"_s, record.scopeId);
        api()->post(u"/key/update"_s, fields, this, {});
        return;
    case BudgetRecord::Scope::EndUser:
        fields.insert(u"user_id"_s, record.scopeId);
        api()->post(u"/customer/update"_s, fields, this, {});
        return;
    }
}

void BudgetsPage::editSelected()
{
    const BudgetRecord *selected = selectedRecord();
    if (!selected)
        return;
    const BudgetRecord record = *selected;
    // The owner's own dialog, as its page opens it: the budget sits beside what it limits.
    QDialog *dialog = nullptr;
    std::function<QJsonObject()> body;
    QString path;
    switch (record.scope) {
    case BudgetRecord::Scope::Global:
        editGlobalBudget();
        return;
    case BudgetRecord::Scope::Key:
        for (const KeyRecord &key : std::as_const(m_keys)) {
            if (key.token == record.scopeId) {
                auto *keyDialog = new KeyDialog(key, this);
                dialog = keyDialog;
                body = [keyDialog] { return keyDialog->requestBody(); };
                path = u"/key/update"_s;
            }
        }
        break;
    case BudgetRecord::Scope::User:
        for (const UserRecord &user : std::as_const(m_users)) {
            if (user.userId == record.scopeId) {
                auto *userDialog = new UserDialog(user, this);
                dialog = userDialog;
                body = [userDialog] { return userDialog->requestBody(); };
                path = u"/user/update"_s;
            }
        }
        break;
    case BudgetRecord::Scope::EndUser:
        for (const EndUserRecord &endUser : std::as_const(m_endUsers)) {
            if (endUser.userId == record.scopeId) {
                auto *endUserDialog = new EndUserDialog(endUser, this);
                dialog = endUserDialog;
                body = [endUserDialog] { return endUserDialog->requestBody(); };
                path = u"/customer/update"_s;
            }
        }
        break;
    }
    if (!dialog)
        return;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this, [this, body, path] {
        const QJsonObject request = body();
        if (request.size() > 1)   // only the id: nothing changed
            api()->post(path, request, this, {});
    });
    dialog->open();
}

void BudgetsPage::resetSelectedSpend()
{
    const BudgetRecord *selected = selectedRecord();
    if (!selected)
        return;
    const BudgetRecord record = *selected;   // the list may refresh while the question is open
    if (!Confirm::destructive(this, tr("Reset spend"),
                              tr("Set the spend of “%1” (%2 so far) to 0? Its period and next reset stay; the "
                                 "spend log keeps every call.")
                                  .arg(record.name, Format::usd(record.budget.spend)),
                              tr("Reset spend")))
        return;
    updateBudget(record, QJsonObject{{u"spend"_s, 0}});
}

void BudgetsPage::topUpSelected()
{
    const BudgetRecord *selected = selectedRecord();
    if (!selected)
        return;
    const BudgetRecord record = *selected;
    // Open, not exec: the window keeps refreshing behind it.
    auto *dialog = new QInputDialog(this);
    dialog->setObjectName(u"topUpInputDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setWindowTitle(tr("Top up"));
    dialog->setInputMode(QInputDialog::DoubleInput);
    dialog->setDoubleDecimals(2);
    dialog->setDoubleRange(0.01, 1'000'000);
    dialog->setDoubleValue(record.budget.maxBudget ? std::max(1.0, std::round(*record.budget.maxBudget / 2)) : 10.0);
    dialog->setLabelText(record.budget.maxBudget
                             ? tr("Raise the max budget of “%1” (%2, %3 spent) by, in USD:")
                                   .arg(record.name, Format::usd(*record.budget.maxBudget), Format::usd(record.budget.spend))
                             : tr("“%1” has no max budget. Give it one of its spend (%2) plus, in USD:")
                                   .arg(record.name, Format::usd(record.budget.spend)));
    connect(dialog, &QInputDialog::doubleValueSelected, this, [this, record](double amount) {
        const double base = record.budget.maxBudget ? *record.budget.maxBudget : record.budget.spend;
        // Cents, as people type them: no 10.000000001 from adding doubles.
        const double raised = std::round((base + amount) * 1e6) / 1e6;
        updateBudget(record, QJsonObject{{u"max_budget"_s, raised}});
    });
    dialog->open();
}

void BudgetsPage::openSelectedOwner()
{
    const BudgetRecord *record = selectedRecord();
    if (record && record->scope != BudgetRecord::Scope::Global)
        Q_EMIT openOwnerRequested(record->scope, record->scopeId);
}

void BudgetsPage::editGlobalBudget()
{
    BudgetInfo current;
    for (const BudgetRecord &record : m_model->records()) {
        if (record.scope == BudgetRecord::Scope::Global)
            current = record.budget;
    }
    auto *dialog = new GlobalBudgetDialog(current, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const QJsonObject body = dialog->requestBody();
        if (body.size() > 1)   // only "user_id": nothing changed
            api()->post(u"/user/update"_s, body, this, {});
    });
    dialog->open();
}

} // namespace Tollgate
