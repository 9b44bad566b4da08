#pragma once

#include "../apitypes.h"
#include "../recordtablemodel.h"

#include <QDateTime>
#include <QHash>

#include <functional>

namespace Tollgate {

// The Keys list: one row per virtual key (GET /key/list?return_full_object=true).
class KeyTableModel final : public RecordTableModel<KeyRecord>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeyTableModel)

public:
    enum Column { Name, Owner, Models, Spend, MaxBudget, BudgetReset, Limits, Expires, Blocked, ColumnCount };
    Q_ENUM(Column)

    explicit KeyTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // The users, for the keys they own: where a key has no budget, models or limits of its
    // own, its owner's apply and are shown "(user's)"; a key is marked over budget when its
    // owner's is used up.
    void setOwners(const QList<UserRecord> &users);
    // The user `userId` as last set, nullptr when unknown.
    [[nodiscard]] const UserRecord *owner(const QString &userId) const;
    // The key's own budget or its owner's is used up: its calls are refused.
    [[nodiscard]] bool isOverBudget(const KeyRecord &key) const;

    // Countdowns and "expired" are relative to this clock (tests pin it).
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }

private:
    QVariant display(const KeyRecord &key, int column, const QDateTime &now) const;
    QVariant sortValue(const KeyRecord &key, int column) const;
    QVariant toolTip(const KeyRecord &key, int column, const QDateTime &now) const;

    [[nodiscard]] QString budgetNote(const KeyRecord &key) const;
    [[nodiscard]] QString limitsText(const KeyRecord &key) const;

    std::function<QDateTime()> m_now;
    QHash<QString, UserRecord> m_owners;
};

} // namespace Tollgate
