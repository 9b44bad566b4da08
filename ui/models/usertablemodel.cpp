#include "usertablemodel.h"

#include "../format.h"
#include "columnvalues.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

UserTableModel::UserTableModel(QObject *parent) : RecordTableModel<UserRecord>(parent) {}

int UserTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString UserTableModel::roleName(const QString &role)
{
    if (role == u"proxy_admin")
        return tr("Admin");
    if (role == u"internal_user")
        return tr("Internal user");
    if (role == u"internal_user_viewer")
        return tr("Viewer");
    return role;
}

QVariant UserTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case Id: return tr("User");
        case Email: return tr("Email");
        case Role: return tr("Role");
        case Models: return tr("Models");
        case Spend: return tr("Spend");
        case MaxBudget: return tr("Max budget");
        case Limits: return tr("RPM / TPM / Parallel");
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole && section == Limits)
        return tr("Requests per minute, tokens per minute and parallel requests allowed (— = no limit)");
    return {};
}

QVariant UserTableModel::data(const QModelIndex &index, int role) const
{
    const UserRecord *user = recordFor(index);
    if (!user || index.column() >= ColumnCount)
        return {};
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return display(*user, column);
    case SortRole: return sortValue(*user, column);
    case IdRole: return user->id();
    case Qt::ToolTipRole: return toolTip(*user, column);
    case Qt::TextAlignmentRole:
        if (column == Spend || column == MaxBudget || column == Limits)
            return ColumnValues::numberAlignment();
        return {};
    default: return {};
    }
}

QVariant UserTableModel::display(const UserRecord &user, int column) const
{
    switch (Column(column)) {
    case Id: return user.userAlias.isEmpty() ? user.userId : tr("%1 (%2)").arg(user.userId, user.userAlias);
    case Email: return user.userEmail;
    case Role: return roleName(user.role);
    case Models: return Format::models(user.models);
    case Spend: return Format::usd(user.budget.spend);
    case MaxBudget: return Format::usd(user.budget.maxBudget);
    case Limits: return ColumnValues::limits(user.limits);
    case ColumnCount: break;
    }
    return {};
}

QVariant UserTableModel::sortValue(const UserRecord &user, int column) const
{
    switch (Column(column)) {
    case Id: return user.userId;
    case Email: return user.userEmail;
    case Role: return roleName(user.role);
    case Models: return user.models.join(u", "_s);
    case Spend: return user.budget.spend;
    case MaxBudget: return ColumnValues::budgetSortValue(user.budget.maxBudget);
    case Limits: return ColumnValues::limitSortValue(user.limits.rpm);
    case ColumnCount: break;
    }
    return {};
}

QVariant UserTableModel::toolTip(const UserRecord &user, int column) const
{
    switch (Column(column)) {
    case Id: return tr("Created %1").arg(Format::dateTime(user.createdAt));
    case Role:
        if (user.role == u"proxy_admin")
            return tr("Keys of this user may call the management API.");
        if (user.role == u"internal_user_viewer")
            return tr("Keys of this user may only read.");
        return tr("Keys of this user may manage the user's own keys.");
    case Models:
        return user.models.isEmpty() ? tr("Every model") : user.models.join(u'\n');
    case Spend: return ColumnValues::spendToolTip(user.budget);
    case MaxBudget: return ColumnValues::budgetToolTip(user.budget);
    case Limits: return ColumnValues::limitsToolTip(user.limits);
    case Email:
    case ColumnCount: break;
    }
    return {};
}

} // namespace Tollgate
