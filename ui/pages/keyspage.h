#pragma once

#include "../apitypes.h"
#include "listpage.h"

class QAction;
class QJsonObject;

namespace Tollgate {

class KeyDialog;
class KeyTableModel;

// Keys: hand out keys (the raw key is shown once), change their models, limits, budget and
// expiry, block, regenerate and delete them.
class KeysPage final : public ListPage
{
    Q_OBJECT

public:
    explicit KeysPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Keys"); }
    [[nodiscard]] QIcon icon() const override;
    [[nodiscard]] KeyTableModel *model() const { return m_model; }

public Q_SLOTS:
    void newKey();
    void editKey();
    void toggleBlocked();
    void regenerateKey();
    void deleteKey();

Q_SIGNALS:
    // "Connect a tool…" in the key-created dialog: `rawKey` is `key`'s raw value, known only now.
    void connectToolRequested(const Tollgate::KeyRecord &key, const QString &rawKey);

protected:
    void doRefresh() override;
    void clearData() override;
    void updateActions() override;

private:
    [[nodiscard]] const KeyRecord *selectedKey() const;
    // Shows the raw key of a /key/generate or /key/regenerate answer once.
    void showRawKey(const QJsonObject &answer, bool regenerated);
    // The key dialog learns the users there are (its owner field offers them and says when a
    // name is none of them).
    void offerKnownUsers(KeyDialog *dialog);

    KeyTableModel *m_model;
    QAction *m_newAction;
    QAction *m_editAction;
    QAction *m_blockAction;
    QAction *m_regenerateAction;
    QAction *m_deleteAction;
};

} // namespace Tollgate
