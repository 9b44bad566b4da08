#pragma once

#include "ui/apitypes.h"
#include "ui/recordtablemodel.h"

#include <QHash>

namespace Tollgate {

// Rows of the spend log (GET /spend/logs); keys show by alias once setKeyNames() knew them.
class SpendLogTableModel final : public RecordTableModel<SpendRecord>
{
    Q_OBJECT

public:
    enum Column { Time, Key, User, EndUser, Model, Session, Spend, Tokens, Status, Flags, RequestId, ColumnCount };

    explicit SpendLogTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // token → alias (or "sk-...abcd"); unknown tokens show shortened.
    void setKeyNames(const QHash<QString, QString> &names);
    [[nodiscard]] QString keyName(const QString &token) const;

private:
    QVariant display(const SpendRecord &record, int column) const;
    QVariant sortValue(const SpendRecord &record, int column) const;
    QString flags(const SpendRecord &record) const;
    // The Tokens tooltip: prompt + completion, and the prompt's cache reads and writes.
    QString tokenSplit(const SpendRecord &record) const;

public:
    // "served", "refused (429)", "failed (502)", "client left".
    static QString statusText(const SpendRecord &record);

private:

    QHash<QString, QString> m_keyNames;
};

} // namespace Tollgate
