#include "budgetspage.h"

#include "../apiclient.h"
#include "../apitypes.h"
#include "../dialogs/globalbudgetdialog.h"
#include "../format.h"
#include "../identitylists.h"
#include "../models/budgettablemodel.h"
#include "../progressdelegate.h"
#include "../tableview.h"

#include <QAction>
#include <QApplication>
#include <QHBoxLayout>
#include <QHash>
#include <QClipboard>
#include <QJsonArray>
#include <QLabel>
#include <QMenu>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {
const QString GlobalBudgetUser = u"litellm-proxy-budget"_s;

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
};

BudgetsPage::BudgetsPage(ApiClient *api, QWidget *parent)
    : Page(api, parent)
    , m_model(new BudgetTableModel(this))
    , m_view(new TableView(this))
    , m_intro(new QLabel(this))
    , m_editGlobalAction(new QAction(tr("Edit &global budget…"), this))
{
    setObjectName(u"budgetsPage"_s);
    auto *layout = new QVBoxLayout(this);
    auto *top = new QHBoxLayout;
    m_intro->setObjectName(u"introLabel"_s);
    m_intro->setWordWrap(true);
    m_intro->setText(introText());
    top->addWidget(m_intro, 1);
    m_editGlobalAction->setObjectName(u"editGlobalBudgetAction"_s);
    m_editGlobalAction->setToolTip(tr("Set, change or remove the budget of the whole gateway"));
    connect(m_editGlobalAction, &QAction::triggered, this, &BudgetsPage::editGlobalBudget);
    auto *editGlobal = new QToolButton(this);
    editGlobal->setObjectName(u"editGlobalBudgetButton"_s);
    editGlobal->setDefaultAction(m_editGlobalAction);
    editGlobal->setToolButtonStyle(Qt::ToolButtonTextOnly);
    top->addWidget(editGlobal, 0, Qt::AlignTop);
    layout->addLayout(top);

    m_view->setObjectName(u"budgetsTableView"_s);
    m_view->setSourceModel(m_model);
    m_view->setItemDelegateForColumn(BudgetTableModel::Used, new ProgressDelegate(m_view));
    m_view->setEmptyText(tr("No budgets yet. Give a key, a user or an end user a max budget on its page "
                            "(or the whole gateway with “Edit global budget”) and it appears here."));
    // The budgets closest to their max first.
    m_view->sortByColumn(BudgetTableModel::Used, Qt::DescendingOrder);
    connect(m_view, &TableView::contextMenuRequested, this, &BudgetsPage::showContextMenu);
    connect(m_view, &TableView::rowActivated, this, [this](int sourceRow) {
        const BudgetRecord *record = m_model->recordAt(sourceRow);
        if (record && record->scope == BudgetRecord::Scope::Global)
            editGlobalBudget();
    });
    layout->addWidget(m_view, 1);
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
    return style()->standardIcon(QStyle::SP_DialogSaveButton);
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
    pending->waiting = 4;
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
}

void BudgetsPage::publish()
{
    const Pending &pending = *m_pending;
    m_model->setNow(QDateTime::currentDateTimeUtc());
    m_model->setRecords(budgetsOf(pending.global, pending.users, pending.keys, pending.endUsers));
}

void BudgetsPage::showContextMenu(int sourceRow, const QPoint &globalPos)
{
    const BudgetRecord *row = m_model->recordAt(sourceRow);
    if (!row)
        return;
    const BudgetRecord record = *row;
    QMenu menu(this);
    if (record.scope == BudgetRecord::Scope::Global) {
        menu.addAction(m_editGlobalAction);
        menu.addSeparator();
    }
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
