#include "keyspage.h"

#include "../apiclient.h"
#include "../confirm.h"
#include "../dialogs/keycreateddialog.h"
#include "../dialogs/keydialog.h"
#include "../identitylists.h"
#include "../models/keytablemodel.h"
#include "../pageicon.h"
#include "../tableview.h"

#include <QAction>
#include <QJsonArray>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace Tollgate {

KeysPage::KeysPage(ApiClient *api, QWidget *parent) : ListPage(api, parent), m_model(new KeyTableModel(this))
{
    m_newAction = createAction(u"newKeyAction"_s, tr("New key"), themeIcon(u"list-add"_s, QStyle::SP_FileIcon),
                               false, [this] { newKey(); });
    m_newAction->setShortcut(QKeySequence::New);
    m_editAction = createAction(u"editKeyAction"_s, tr("Edit…"),
                                themeIcon(u"document-edit"_s, QStyle::SP_FileDialogDetailedView), true,
                                [this] { editKey(); });
    m_blockAction = createAction(u"blockKeyAction"_s, tr("Block"), themeIcon(u"dialog-cancel"_s, QStyle::SP_BrowserStop),
                                 true, [this] { toggleBlocked(); });
    m_regenerateAction = createAction(u"regenerateKeyAction"_s, tr("Regenerate…"),
                                      themeIcon(u"view-refresh"_s, QStyle::SP_BrowserReload), true,
                                      [this] { regenerateKey(); });
    m_deleteAction = createAction(u"deleteKeyAction"_s, tr("Delete…"),
                                  themeIcon(u"edit-delete"_s, QStyle::SP_TrashIcon), true, [this] { deleteKey(); });
    m_deleteAction->setShortcut(QKeySequence::Delete);
    setActivationAction(m_editAction);
    setUpList(m_model, u"keys"_s, tr("Search keys, owners, models…"),
              tr("No keys yet. Press “New key” to hand one out."));
    tableView()->setStretchColumn(KeyTableModel::Models);
}

QIcon KeysPage::icon() const
{
    return pageIcon({u"dialog-password"_s, u"password-copy"_s}, u"keys"_s, this);
}

void KeysPage::doRefresh()
{
    // The owners: a key over its user's budget is refused like one over its own, and where a
    // key has no models or limits of its own, its user's apply.
    beginCall();
    IdentityLists::fetchUsers(api(), this, [this](const QList<UserRecord> &users, bool ok) {
        if (ok)
            m_model->setOwners(users);
        endCall();
    });
    beginCall();
    IdentityLists::fetchKeys(api(), this, [this](const QList<KeyRecord> &keys, bool ok) {
        if (ok) {
            m_model->setRecords(keys);
            listUpdated();
        }
        endCall();
    });
}

void KeysPage::updateActions()
{
    ListPage::updateActions();
    const KeyRecord *key = selectedKey();
    m_blockAction->setText(key && key->blocked ? tr("Unblock") : tr("Block"));
}

const KeyRecord *KeysPage::selectedKey() const
{
    return m_model->recordAt(selectedRow());
}

void KeysPage::newKey()
{
    auto *dialog = new KeyDialog(this);
    fetchAvailableModels(dialog, [dialog](const QStringList &models, const QStringList &groups) {
        dialog->setAvailableModels(models, groups);
    });
    offerKnownUsers(dialog);
    openDialog(dialog, [this, dialog] {
        api()->post(u"/key/generate"_s, dialog->requestBody(), this, [this](const ApiReply &reply) {
            if (reply.ok())
                showRawKey(reply.json.object(), false);
        });
    });
}

void KeysPage::editKey()
{
    const KeyRecord *key = selectedKey();
    if (!key)
        return;
    auto *dialog = new KeyDialog(*key, this);
    if (const UserRecord *owner = m_model->owner(key->userId))
        dialog->setOwner(*owner);
    offerKnownUsers(dialog);
    fetchAvailableModels(dialog, [dialog](const QStringList &models, const QStringList &groups) {
        dialog->setAvailableModels(models, groups);
    });
    openDialog(dialog, [this, dialog] {
        const QJsonObject body = dialog->requestBody();
        if (body.size() <= 1)   // only "key": nothing changed
            return;
        api()->post(u"/key/update"_s, body, this, {});
    });
}

void KeysPage::toggleBlocked()
{
    const KeyRecord *selected = selectedKey();
    if (!selected)
        return;
    // A copy: the list may refresh while the question is open.
    const KeyRecord key = *selected;
    if (key.blocked) {
        api()->post(u"/key/unblock"_s, QJsonObject{{u"key"_s, key.token}}, this, {});
        return;
    }
    if (!Confirm::destructive(this, tr("Block key"),
                              tr("Block the key “%1”? Programs using it are refused until you unblock it.")
                                  .arg(key.displayName()),
                              tr("Block")))
        return;
    api()->post(u"/key/block"_s, QJsonObject{{u"key"_s, key.token}}, this, {});
}

void KeysPage::regenerateKey()
{
    const KeyRecord *selected = selectedKey();
    if (!selected)
        return;
    const KeyRecord key = *selected;
    if (!Confirm::destructive(this, tr("Regenerate key"),
                              tr("Regenerate the key “%1”? The current key stops working at once; its settings "
                                 "and spend carry over to the new one.")
                                  .arg(key.displayName()),
                              tr("Regenerate")))
        return;
    api()->post(u"/key/regenerate"_s, QJsonObject{{u"key"_s, key.token}}, this, [this](const ApiReply &reply) {
        if (reply.ok())
            showRawKey(reply.json.object(), true);
    });
}

void KeysPage::deleteKey()
{
    const KeyRecord *selected = selectedKey();
    if (!selected)
        return;
    const KeyRecord key = *selected;
    if (!Confirm::destructive(this, tr("Delete key"),
                              tr("Delete the key “%1”? Programs using it are refused from their next call. Its "
                                 "spend stays in the spend log.")
                                  .arg(key.displayName()),
                              tr("Delete")))
        return;
    api()->post(u"/key/delete"_s, QJsonObject{{u"keys"_s, QJsonArray{key.token}}}, this,
                [this, name = key.displayName()](const ApiReply &reply) {
                    if (reply.ok())
                        Q_EMIT notice(tr("Key “%1” deleted.").arg(name));
                });
}

void KeysPage::showRawKey(const QJsonObject &answer, bool regenerated)
{
    const KeyRecord key = KeyRecord::fromJson(answer);
    selectWhenListed(key.token);
    auto *dialog = new KeyCreatedDialog(answer.value(u"key"_s).toString(), key.displayName(),
                                        regenerated ? KeyCreatedDialog::Reason::Regenerated
                                                    : KeyCreatedDialog::Reason::Created,
                                        this);
    dialog->setConnectToolOffered(true);
    connect(dialog, &KeyCreatedDialog::connectToolRequested, this,
            [this, key](const QString &rawKey) { Q_EMIT connectToolRequested(key, rawKey); });
    dialog->setWindowModality(Qt::WindowModal);
    dialog->open();
}

void KeysPage::offerKnownUsers(KeyDialog *dialog)
{
    IdentityLists::fetchUserIds(api(), dialog, [dialog](const QStringList &ids) { dialog->setKnownUsers(ids); });
}

void KeysPage::clearData()
{
    m_model->clear();
    m_model->setOwners({});
    ListPage::clearData();
}

} // namespace Tollgate
