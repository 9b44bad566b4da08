#pragma once

#include "listpage.h"

class QAction;

namespace Tollgate {

class EndUserTableModel;
struct EndUserRecord;

// End users: the customers of the apps that call the gateway, named by the `user` field of
// a call. They appear on first use; here they get budgets and limits, or are blocked.
class EndUsersPage final : public ListPage
{
    Q_OBJECT

public:
    explicit EndUsersPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("End users"); }
    [[nodiscard]] QIcon icon() const override;
    [[nodiscard]] EndUserTableModel *model() const { return m_model; }

public Q_SLOTS:
    void newEndUser();
    void editEndUser();
    void toggleBlocked();
    void deleteEndUser();

protected:
    void doRefresh() override;
    void clearData() override;
    void updateActions() override;

private:
    [[nodiscard]] const EndUserRecord *selectedEndUser() const;

    EndUserTableModel *m_model;
    QAction *m_newAction;
    QAction *m_editAction;
    QAction *m_blockAction;
    QAction *m_deleteAction;
};

} // namespace Tollgate
