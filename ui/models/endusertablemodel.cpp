#include "endusertablemodel.h"

#include "../format.h"
#include "columnvalues.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

EndUserTableModel::EndUserTableModel(QObject *parent) : RecordTableModel<EndUserRecord>(parent) {}

int EndUserTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EndUserTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case Id: return tr("End user");
        case Alias: return tr("Alias");
        case Spend: return tr("Spend");
        case MaxBudget: return tr("Max budget");
        case Limits: return tr("RPM / TPM / Parallel");
        case Blocked: return tr("Blocked");
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole && section == Limits)
        return tr("Requests per minute, tokens per minute and parallel requests allowed (— = no limit)");
    return {};
}

QVariant EndUserTableModel::data(const QModelIndex &index, int role) const
{
    const EndUserRecord *endUser = recordFor(index);
    if (!endUser || index.column() >= ColumnCount)
        return {};
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return display(*endUser, column);
    case SortRole: return sortValue(*endUser, column);
    case IdRole: return endUser->id();
    case Qt::ToolTipRole: return toolTip(*endUser, column);
    case Qt::TextAlignmentRole:
        if (column == Spend || column == MaxBudget || column == Limits)
            return ColumnValues::numberAlignment();
        return {};
    case Qt::DecorationRole:
        if (column == Blocked && endUser->blocked)
            return ColumnValues::blockedIcon();
        return {};
    case Qt::ForegroundRole: return endUser->blocked ? ColumnValues::inactiveForeground() : QVariant();
    default: return {};
    }
}

QVariant EndUserTableModel::display(const EndUserRecord &endUser, int column) const
{
    switch (Column(column)) {
    case Id: return endUser.userId;
    case Alias: return endUser.alias;
    case Spend: return Format::usd(endUser.budget.spend);
    case MaxBudget: return Format::usd(endUser.budget.maxBudget);
    case Limits: return ColumnValues::limits(endUser.limits);
    case Blocked: return endUser.blocked ? tr("Blocked") : QString();
    case ColumnCount: break;
    }
    return {};
}

QVariant EndUserTableModel::sortValue(const EndUserRecord &endUser, int column) const
{
    switch (Column(column)) {
    case Id: return endUser.userId;
    case Alias: return endUser.alias;
    case Spend: return endUser.budget.spend;
    case MaxBudget: return ColumnValues::budgetSortValue(endUser.budget.maxBudget);
    case Limits: return ColumnValues::limitSortValue(endUser.limits.rpm);
    case Blocked: return endUser.blocked;
    case ColumnCount: break;
    }
    return {};
}

QVariant EndUserTableModel::toolTip(const EndUserRecord &endUser, int column) const
{
    switch (Column(column)) {
    case Id: return tr("First seen %1").arg(Format::dateTime(endUser.createdAt));
    case Spend: return ColumnValues::spendToolTip(endUser.budget);
    case MaxBudget:
        return endUser.budget.maxBudget ? ColumnValues::budgetToolTip(endUser.budget)
                                        : tr("No budget of its own (the default end-user budget applies, if set)");
    case Limits: return ColumnValues::limitsToolTip(endUser.limits);
    case Blocked:
        return endUser.blocked ? tr("Blocked: calls naming this end user are refused.") : QString();
    case Alias:
    case ColumnCount: break;
    }
    return {};
}

} // namespace Tollgate
