#pragma once

#include "listpage.h"

class QAction;

namespace Tollgate {

class UserTableModel;
struct UserRecord;

// Users: the people (or services) keys belong to; their models, budget and limits apply to
// all of their keys.
class UsersPage final : public ListPage
{
    Q_OBJECT

public:
    explicit UsersPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Users"); }
    [[nodiscard]] QIcon icon() const override;
    [[nodiscard]] UserTableModel *model() const { return m_model; }

public Q_SLOTS:
    void newUser();
    void editUser();
    void deleteUser();

protected:
    void doRefresh() override;
    void clearData() override;

private:
    [[nodiscard]] const UserRecord *selectedUser() const;

    UserTableModel *m_model;
    QAction *m_newAction;
    QAction *m_editAction;
    QAction *m_deleteAction;
};

} // namespace Tollgate
