#pragma once

#include "../apitypes.h"
#include "../recordtablemodel.h"

namespace Tollgate {

// The Users list: one row per user (GET /user/list).
class UserTableModel final : public RecordTableModel<UserRecord>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UserTableModel)

public:
    enum Column { Id, Email, Role, Models, Spend, MaxBudget, Limits, ColumnCount };
    Q_ENUM(Column)

    explicit UserTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // "Admin", "Internal user", "Viewer" for the API's role identifiers (unknown: as given).
    static QString roleName(const QString &role);

private:
    QVariant display(const UserRecord &user, int column) const;
    QVariant sortValue(const UserRecord &user, int column) const;
    QVariant toolTip(const UserRecord &user, int column) const;
};

} // namespace Tollgate
