#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>

#include <utility>

namespace Tollgate {

namespace TableRoles {
// The record's raw value for sorting, by column (models set it in data()).
constexpr int Sort = Qt::UserRole + 1;
// The record's id, for actions on a selected row.
constexpr int Id = Qt::UserRole + 2;
} // namespace TableRoles

// The base of every list in the window: rows of one record type (KeyRecord, UserRecord, …)
// with an `id()`. setRecords() merges a fresh answer from the API into the rows — rows that
// went are removed, new ones appended, changed ones updated in place — so a list that is
// refreshed every second keeps its selection, scroll position and sort order.
//
// Subclasses declare their `Column` enum and implement columnCount/headerData/data.
template <typename Record>
class RecordTableModel : public QAbstractTableModel
{
public:
    using QAbstractTableModel::QAbstractTableModel;

    static constexpr int SortRole = TableRoles::Sort;
    static constexpr int IdRole = TableRoles::Id;

    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : int(m_records.size()); }

    [[nodiscard]] const QList<Record> &records() const { return m_records; }
    [[nodiscard]] const Record *recordAt(int row) const
    {
        return row >= 0 && row < m_records.size() ? &m_records.at(row) : nullptr;
    }
    [[nodiscard]] const Record *recordFor(const QModelIndex &index) const
    {
        return index.isValid() && index.model() == this ? recordAt(index.row()) : nullptr;
    }
    [[nodiscard]] int rowOf(const QString &id) const { return m_rowById.value(id, -1); }

    void setRecords(QList<Record> fresh)
    {
        QSet<QString> freshIds;
        for (const Record &record : fresh)
            freshIds.insert(record.id());

        // Remove rows that went, from the bottom so earlier rows keep their numbers.
        for (int row = int(m_records.size()) - 1; row >= 0; --row) {
            if (freshIds.contains(m_records.at(row).id()))
                continue;
            beginRemoveRows({}, row, row);
            m_records.removeAt(row);
            endRemoveRows();
        }
        reindex();

        QList<Record> added;
        for (Record &record : fresh) {
            const int row = m_rowById.value(record.id(), -1);
            if (row < 0) {
                added.append(std::move(record));
                continue;
            }
            m_records[row] = std::move(record);
            Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
        }
        if (!added.isEmpty()) {
            const int first = int(m_records.size());
            beginInsertRows({}, first, first + int(added.size()) - 1);
            m_records.append(added);
            endInsertRows();
            reindex();
        }
    }

    void clear()
    {
        if (m_records.isEmpty())
            return;
        beginResetModel();
        m_records.clear();
        m_rowById.clear();
        endResetModel();
    }

private:
    void reindex()
    {
        m_rowById.clear();
        for (int row = 0; row < m_records.size(); ++row)
            m_rowById.insert(m_records.at(row).id(), row);
    }

    QList<Record> m_records;
    QHash<QString, int> m_rowById;
};

} // namespace Tollgate
