#include "budgetspage.h"

#include "../apiclient.h"
#include "../apitypes.h"
#include "../identitylists.h"
#include "../models/budgettablemodel.h"
#include "../progressdelegate.h"
#include "../tableview.h"

#include <QApplication>
#include <QClipboard>
#include <QJsonArray>
#include <QLabel>
#include <QMenu>
#include <QStyle>
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
    : Page(api, parent), m_model(new BudgetTableModel(this)), m_view(new TableView(this))
{
    setObjectName(u"budgetsPage"_s);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Every budget the gateway enforces. A call that would go past a max budget is refused "
                                "(429); a soft limit only warns."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_view->setObjectName(u"budgetsTableView"_s);
    m_view->setSourceModel(m_model);
    m_view->setItemDelegateForColumn(BudgetTableModel::Used, new ProgressDelegate(m_view));
    m_view->setEmptyText(tr("No budgets yet. Give a key, a user or an end user a max budget on its page "
                            "(or set the global one in Settings) and it appears here."));
    // The budgets closest to their max first.
    m_view->sortByColumn(BudgetTableModel::Used, Qt::DescendingOrder);
    connect(m_view, &TableView::contextMenuRequested, this, &BudgetsPage::showContextMenu);
    layout->addWidget(m_view, 1);
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
    for (const KeyRecord &key : keys) {
        if (hasBudget(key.budget))
            records.append({BudgetRecord::Scope::Key, key.token, key.displayName(), key.budget});
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

} // namespace Tollgate
