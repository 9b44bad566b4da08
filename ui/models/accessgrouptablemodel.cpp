#include "accessgrouptablemodel.h"

#include <QMap>

using namespace Qt::StringLiterals;

namespace Tollgate {

QList<AccessGroupRecord> AccessGroupRecord::fromModels(const QList<ModelRecord> &models)
{
    QMap<QString, QStringList> members;   // sorted by group name
    for (const ModelRecord &model : models) {
        for (const QString &group : model.accessGroups) {
            QStringList &names = members[group];
            if (!names.contains(model.modelName))
                names.append(model.modelName);
        }
    }
    QList<AccessGroupRecord> groups;
    for (auto it = members.begin(); it != members.end(); ++it) {
        it->sort(Qt::CaseInsensitive);
        groups.append(AccessGroupRecord{it.key(), *it});
    }
    return groups;
}

AccessGroupTableModel::AccessGroupTableModel(QObject *parent) : RecordTableModel<AccessGroupRecord>(parent) {}

int AccessGroupTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AccessGroupTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Group: return tr("Access group");
    case Members: return tr("Models in the group");
    case ColumnCount: break;
    }
    return {};
}

QVariant AccessGroupTableModel::data(const QModelIndex &index, int role) const
{
    const AccessGroupRecord *group = recordFor(index);
    if (!group || index.column() >= ColumnCount)
        return {};
    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        if (index.column() == Group)
            return group->name;
        return group->models.join(u", "_s);
    case IdRole: return group->id();
    case Qt::ToolTipRole:
        if (index.column() == Group)
            return tr("A key or user whose models list %1 may use every model in it").arg(group->name);
        return tr("%n model(s)", nullptr, int(group->models.size()));
    default: return {};
    }
}

} // namespace Tollgate
