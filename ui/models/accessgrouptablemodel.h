#pragma once

#include "../apitypes.h"
#include "../recordtablemodel.h"

namespace Tollgate {

// One access group and the model names in it (derived from GET /v1/model/info: a group is
// every model_info.access_groups entry that names it). Keys and users may list a group in
// their models to allow all of its models.
struct AccessGroupRecord
{
    QString name;
    QStringList models;     // sorted, each once

    [[nodiscard]] QString id() const { return name; }
    // The groups of `models`, sorted by name.
    static QList<AccessGroupRecord> fromModels(const QList<ModelRecord> &models);
};

class AccessGroupTableModel final : public RecordTableModel<AccessGroupRecord>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AccessGroupTableModel)

public:
    enum Column { Group, Members, ColumnCount };
    Q_ENUM(Column)

    explicit AccessGroupTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
};

} // namespace Tollgate
