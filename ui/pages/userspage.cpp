#include "userspage.h"

#include "../apiclient.h"
#include "../confirm.h"
#include "../dialogs/keycreateddialog.h"
#include "../dialogs/userdialog.h"
#include "../identitylists.h"
#include "../models/usertablemodel.h"
#include "../pageicon.h"
#include "../tableview.h"

#include <QAction>
#include <QJsonArray>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace Tollgate {

UsersPage::UsersPage(ApiClient *api, QWidget *parent) : ListPage(api, parent), m_model(new UserTableModel(this))
{
    m_newAction = createAction(u"newUserAction"_s, tr("New user"), themeIcon(u"list-add"_s, QStyle::SP_FileIcon),
                               false, [this] { newUser(); });
    m_newAction->setShortcut(QKeySequence::New);
    m_editAction = createAction(u"editUserAction"_s, tr("Edit…"),
                                themeIcon(u"document-edit"_s, QStyle::SP_FileDialogDetailedView), true,
                                [this] { editUser(); });
    m_deleteAction = createAction(u"deleteUserAction"_s, tr("Delete…"),
                                  themeIcon(u"edit-delete"_s, QStyle::SP_TrashIcon), true, [this] { deleteUser(); });
    m_deleteAction->setShortcut(QKeySequence::Delete);
    setActivationAction(m_editAction);
    setUpList(m_model, u"users"_s, tr("Search users, emails, roles…"),
              tr("No users yet. Press “New user” to add someone; their keys then share their budget and models."));
    tableView()->setStretchColumn(UserTableModel::Models);
}

QIcon UsersPage::icon() const
{
    return pageIcon({u"system-users"_s}, u"users"_s, this);
}

void UsersPage::doRefresh()
{
    beginCall();
    IdentityLists::fetchUsers(api(), this, [this](const QList<UserRecord> &users, bool ok) {
        if (ok) {
            m_model->setRecords(users);
            listUpdated();
        }
        endCall();
    });
}

const UserRecord *UsersPage::selectedUser() const
{
    return m_model->recordAt(selectedRow());
}

void UsersPage::newUser()
{
    auto *dialog = new UserDialog(this);
    fetchAvailableModels(dialog, [dialog](const QStringList &models, const QStringList &groups) {
        dialog->setAvailableModels(models, groups);
    });
    openDialog(dialog, [this, dialog] {
        api()->post(u"/user/new"_s, dialog->requestBody(), this, [this](const ApiReply &reply) {
            if (!reply.ok())
                return;
            const QJsonObject answer = reply.json.object();
            const QString userId = answer.value(u"user_id"_s).toString();
            selectWhenListed(userId);
            const QString rawKey = answer.value(u"key"_s).toString();
            if (rawKey.isEmpty())
                return;
            const QString alias = answer.value(u"key_alias"_s).toString();
            auto *shown = new KeyCreatedDialog(
                rawKey, alias.isEmpty() ? tr("%1 of %2").arg(answer.value(u"key_name"_s).toString(), userId) : alias,
                KeyCreatedDialog::Reason::Created, this);
            shown->setWindowModality(Qt::WindowModal);
            shown->open();
        });
    });
}

void UsersPage::editUser()
{
    const UserRecord *user = selectedUser();
    if (!user)
        return;
    auto *dialog = new UserDialog(*user, this);
    fetchAvailableModels(dialog, [dialog](const QStringList &models, const QStringList &groups) {
        dialog->setAvailableModels(models, groups);
    });
    openDialog(dialog, [this, dialog] {
        const QJsonObject body = dialog->requestBody();
        if (body.size() <= 1)   // only "user_id": nothing changed
            return;
        api()->post(u"/user/update"_s, body, this, {});
    });
}

void UsersPage::deleteUser()
{
    const UserRecord *selected = selectedUser();
    if (!selected)
        return;
    const QString userId = selected->userId;
    if (!Confirm::destructive(this, tr("Delete user"),
                              tr("Delete the user “%1”? All of their keys are deleted too: programs using them "
                                 "are refused from their next call. Their spend stays in the spend log.")
                                  .arg(userId),
                              tr("Delete user and keys")))
        return;
    api()->post(u"/user/delete"_s, QJsonObject{{u"user_ids"_s, QJsonArray{userId}}}, this,
                [this, userId](const ApiReply &reply) {
                    if (reply.ok())
                        Q_EMIT notice(tr("User “%1” and their keys deleted.").arg(userId));
                });
}

void UsersPage::clearData()
{
    m_model->clear();
    ListPage::clearData();
}

} // namespace Tollgate
