#include "budgettablemodel.h"

#include "ui/format.h"
#include "ui/progressdelegate.h"
#include "ui/spendmath.h"

#include <QApplication>
#include <QStyle>

#include <limits>

using namespace Qt::StringLiterals;

namespace Tollgate {

BudgetTableModel::BudgetTableModel(QObject *parent)
    : RecordTableModel<BudgetRecord>(parent), m_now(QDateTime::currentDateTimeUtc())
{
}

int BudgetTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BudgetTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Scope: return tr("Scope");
    case Name: return tr("Name");
    case Spend: return tr("Spend");
    case Max: return tr("Max budget");
    case Used: return tr("Used");
    case SoftLimit: return tr("Soft limit");
    case Period: return tr("Resets every");
    case ResetsIn: return tr("Next reset");
    default: return {};
    }
}

QString BudgetTableModel::scopeName(BudgetRecord::Scope scope)
{
    switch (scope) {
    case BudgetRecord::Scope::Global: return tr("Global");
    case BudgetRecord::Scope::User: return tr("User");
    case BudgetRecord::Scope::Key: return tr("Key");
    case BudgetRecord::Scope::EndUser: return tr("End user");
    }
    return {};
}

QVariant BudgetTableModel::display(const BudgetRecord &record, int column) const
{
    const BudgetInfo &budget = record.budget;
    switch (column) {
    case Scope: return scopeName(record.scope);
    case Name: return record.name;
    case Spend: return Format::usd(budget.spend);
    case Max: return budget.maxBudget ? Format::usd(*budget.maxBudget) : tr("no limit");
    case Used: {
        const auto fraction = budget.fraction();
        return fraction ? Format::percent(*fraction) : u"—"_s;
    }
    case SoftLimit:
        if (!budget.softBudget)
            return u"—"_s;
        return SpendMath::softLimitPassed(budget) ? tr("%1 (passed)").arg(Format::usd(*budget.softBudget))
                                                  : Format::usd(*budget.softBudget);
    case Period: return Format::period(budget.duration);   // "monthly", not the gateway's "1mo"
    case ResetsIn: return Format::countdown(budget.resetAt, m_now);
    default: return {};
    }
}

QVariant BudgetTableModel::sortValue(const BudgetRecord &record, int column) const
{
    const BudgetInfo &budget = record.budget;
    switch (column) {
    case Scope: return int(record.scope);
    case Name: return record.name;
    case Spend: return budget.spend;
    case Max: return budget.maxBudget ? *budget.maxBudget : -1.0;
    case Used: return budget.fraction().value_or(-1.0);
    case SoftLimit: return budget.softBudget ? *budget.softBudget : -1.0;
    case Period: return budget.duration;
    // Never resetting sorts last.
    case ResetsIn: return budget.resetAt.isValid() ? budget.resetAt.toMSecsSinceEpoch() : std::numeric_limits<qint64>::max();
    default: return {};
    }
}

QVariant BudgetTableModel::data(const QModelIndex &index, int role) const
{
    const BudgetRecord *record = recordFor(index);
    if (!record || index.column() >= ColumnCount)
        return {};
    const BudgetInfo &budget = record->budget;
    switch (role) {
    case Qt::DisplayRole: return display(*record, index.column());
    case SortRole: return sortValue(*record, index.column());
    case IdRole: return record->id();
    case ProgressDelegate::FractionRole:
        if (index.column() == Used && budget.fraction())
            return *budget.fraction();
        return {};
    case ProgressDelegate::LevelRole:
        if (index.column() != Used)
            return {};
        switch (SpendMath::budgetLevel(budget)) {
        case SpendMath::BudgetLevel::Exceeded: return int(ProgressDelegate::Critical);
        case SpendMath::BudgetLevel::Warning: return int(ProgressDelegate::Warning);
        case SpendMath::BudgetLevel::Normal: return int(ProgressDelegate::Normal);
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Spend || index.column() == Max || index.column() == SoftLimit)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DecorationRole:
        if (index.column() == SoftLimit && SpendMath::softLimitPassed(budget))
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == SoftLimit && SpendMath::softLimitPassed(budget))
            return tr("Spend passed the soft limit: a warning only, calls still go through.");
        if (index.column() == ResetsIn && budget.resetAt.isValid())
            return Format::dateTime(budget.resetAt);
        if (index.column() == Used && SpendMath::budgetLevel(budget) == SpendMath::BudgetLevel::Exceeded)
            return tr("Used up: calls are refused until the budget resets or is raised.");
        if (index.column() == Used && SpendMath::budgetLevel(budget) == SpendMath::BudgetLevel::Warning)
            return tr("Close to the max budget (soft limit or 80 % passed).");
        if (!record->detail.isEmpty())
            return record->detail;
        return {};
    default: return {};
    }
}

void BudgetTableModel::setNow(const QDateTime &now)
{
    m_now = now;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, ResetsIn), index(rowCount() - 1, ResetsIn), {Qt::DisplayRole});
}

} // namespace Tollgate
