#pragma once

#include "../apitypes.h"
#include "../recordtablemodel.h"

namespace Tollgate {

// The End users list: one row per customer of the caller's app (GET /customer/list).
class EndUserTableModel final : public RecordTableModel<EndUserRecord>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EndUserTableModel)

public:
    enum Column { Id, Alias, Spend, MaxBudget, Limits, Blocked, ColumnCount };
    Q_ENUM(Column)

    explicit EndUserTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    QVariant display(const EndUserRecord &endUser, int column) const;
    QVariant sortValue(const EndUserRecord &endUser, int column) const;
    QVariant toolTip(const EndUserRecord &endUser, int column) const;
};

} // namespace Tollgate
