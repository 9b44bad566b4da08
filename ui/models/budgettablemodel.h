#pragma once

#include "ui/apitypes.h"
#include "ui/recordtablemodel.h"

#include <QDateTime>

namespace Tollgate {

// Every budget the gateway enforces — global, users, keys, end users — one row each.
class BudgetTableModel final : public RecordTableModel<BudgetRecord>
{
    Q_OBJECT

public:
    // RunsOut: the burn-rate forecast, the date the max is reached at the current rate
    // ("—" when not before the reset, or without a max).
    enum Column { Scope, Name, Spend, Max, Used, SoftLimit, Period, ResetsIn, RunsOut, ColumnCount };

    explicit BudgetTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // The clock the countdowns and forecasts count from; updates those columns.
    void setNow(const QDateTime &now);
    [[nodiscard]] QDateTime now() const { return m_now; }

    static QString scopeName(BudgetRecord::Scope scope);

private:
    QVariant display(const BudgetRecord &record, int column) const;
    QVariant sortValue(const BudgetRecord &record, int column) const;
    QString runOutToolTip(const BudgetRecord &record) const;

    QDateTime m_now;
};

} // namespace Tollgate
