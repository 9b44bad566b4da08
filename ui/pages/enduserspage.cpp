#include "enduserspage.h"

#include "../apiclient.h"
#include "../confirm.h"
#include "../dialogs/enduserdialog.h"
#include "../models/endusertablemodel.h"
#include "../pageicon.h"
#include "../tableview.h"

#include <QAction>
#include <QJsonArray>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace Tollgate {

EndUsersPage::EndUsersPage(ApiClient *api, QWidget *parent)
    : ListPage(api, parent), m_model(new EndUserTableModel(this))
{
    m_newAction = createAction(u"newEndUserAction"_s, tr("New end user"),
                               themeIcon(u"list-add"_s, QStyle::SP_FileIcon), false, [this] { newEndUser(); });
    m_newAction->setShortcut(QKeySequence::New);
    m_editAction = createAction(u"editEndUserAction"_s, tr("Edit…"),
                                themeIcon(u"document-edit"_s, QStyle::SP_FileDialogDetailedView), true,
                                [this] { editEndUser(); });
    m_blockAction = createAction(u"blockEndUserAction"_s, tr("Block"),
                                 themeIcon(u"dialog-cancel"_s, QStyle::SP_BrowserStop), true,
                                 [this] { toggleBlocked(); });
    m_deleteAction = createAction(u"deleteEndUserAction"_s, tr("Delete…"),
                                  themeIcon(u"edit-delete"_s, QStyle::SP_TrashIcon), true,
                                  [this] { deleteEndUser(); });
    m_deleteAction->setShortcut(QKeySequence::Delete);
    setActivationAction(m_editAction);
    setUpList(m_model, u"endUsers"_s, tr("Search end users…"),
              tr("No end users yet. They appear when a call names one in its “user” field; press “New end "
                 "user” to set a budget or block one ahead of time."));
    tableView()->setStretchColumn(EndUserTableModel::Alias);
}

QIcon EndUsersPage::icon() const
{
    return pageIcon({u"user-identity"_s}, u"endusers"_s, this);
}

void EndUsersPage::doRefresh()
{
    beginCall();
    api()->get(u"/customer/list"_s, {}, this, [this](const ApiReply &reply) {
        if (reply.ok()) {
            QList<EndUserRecord> endUsers;
            for (const QJsonValue &item : reply.json.array())
                endUsers.append(EndUserRecord::fromJson(item.toObject()));
            m_model->setRecords(std::move(endUsers));
            listUpdated();
        }
        endCall();
    });
}

void EndUsersPage::updateActions()
{
    ListPage::updateActions();
    const EndUserRecord *endUser = selectedEndUser();
    m_blockAction->setText(endUser && endUser->blocked ? tr("Unblock") : tr("Block"));
}

const EndUserRecord *EndUsersPage::selectedEndUser() const
{
    return m_model->recordAt(selectedRow());
}

void EndUsersPage::newEndUser()
{
    auto *dialog = new EndUserDialog(this);
    openDialog(dialog, [this, dialog] {
        const QJsonObject body = dialog->requestBody();
        const QString userId = body.value(u"user_id"_s).toString();
        api()->post(u"/customer/new"_s, body, this, [this, userId](const ApiReply &reply) {
            if (reply.ok())
                selectWhenListed(userId);
        });
    });
}

void EndUsersPage::editEndUser()
{
    const EndUserRecord *endUser = selectedEndUser();
    if (!endUser)
        return;
    auto *dialog = new EndUserDialog(*endUser, this);
    openDialog(dialog, [this, dialog] {
        const QJsonObject body = dialog->requestBody();
        if (body.size() <= 1)   // only "user_id": nothing changed
            return;
        api()->post(u"/customer/update"_s, body, this, {});
    });
}

void EndUsersPage::toggleBlocked()
{
    const EndUserRecord *selected = selectedEndUser();
    if (!selected)
        return;
    const QString userId = selected->userId;
    const QJsonObject body{{u"user_ids"_s, QJsonArray{userId}}};
    if (selected->blocked) {
        api()->post(u"/customer/unblock"_s, body, this, {});
        return;
    }
    if (!Confirm::destructive(this, tr("Block end user"),
                              tr("Block the end user “%1”? Calls naming them are refused until you unblock them.")
                                  .arg(userId),
                              tr("Block")))
        return;
    api()->post(u"/customer/block"_s, body, this, {});
}

void EndUsersPage::deleteEndUser()
{
    const EndUserRecord *selected = selectedEndUser();
    if (!selected)
        return;
    const QString userId = selected->userId;
    if (!Confirm::destructive(this, tr("Delete end user"),
                              tr("Delete the end user “%1” with their budget and limits? A later call naming them "
                                 "creates them again, with the default budget. Their spend stays in the spend log.")
                                  .arg(userId),
                              tr("Delete")))
        return;
    api()->post(u"/customer/delete"_s, QJsonObject{{u"user_ids"_s, QJsonArray{userId}}}, this,
                [this, userId](const ApiReply &reply) {
                    if (reply.ok())
                        Q_EMIT notice(tr("End user “%1” deleted.").arg(userId));
                });
}

void EndUsersPage::clearData()
{
    m_model->clear();
    ListPage::clearData();
}

} // namespace Tollgate
