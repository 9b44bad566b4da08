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
    case RunsOut: return tr("Runs out");
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
    case RunsOut: {
        const SpendMath::RunOut out = SpendMath::budgetRunOut(budget, record.recentRatePerDay, m_now);
        if (out.kind == SpendMath::RunOut::Kind::Exceeded)
            return tr("used up");
        return out.kind == SpendMath::RunOut::Kind::On ? Format::date(out.at.toLocalTime().date()) : u"—"_s;
    }
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
    // Soonest first: used up, then by date; never last.
    case RunsOut: {
        const SpendMath::RunOut out = SpendMath::budgetRunOut(budget, record.recentRatePerDay, m_now);
        if (out.kind == SpendMath::RunOut::Kind::Exceeded)
            return std::numeric_limits<qint64>::min();
        return out.kind == SpendMath::RunOut::Kind::On ? out.at.toMSecsSinceEpoch() : std::numeric_limits<qint64>::max();
    }
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
        if (index.column() == RunsOut)
            return runOutToolTip(*record);
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

QString BudgetTableModel::runOutToolTip(const BudgetRecord &record) const
{
    const BudgetInfo &budget = record.budget;
    const bool period = SpendMath::budgetPeriodStart(budget.duration, budget.resetAt).isValid();
    const double rate = period ? SpendMath::burnRatePerDay(budget.spend, SpendMath::budgetPeriodStart(budget.duration, budget.resetAt), m_now)
                               : record.recentRatePerDay;
    const QString at = period ? tr("At %1 a day (this period's spend so far)").arg(Format::usd(rate))
                              : tr("At %1 a day (the last 7 days)").arg(Format::usd(rate));
    const SpendMath::RunOut out = SpendMath::budgetRunOut(budget, record.recentRatePerDay, m_now);
    switch (out.kind) {
    case SpendMath::RunOut::Kind::NoBudget: return tr("No max budget: it never runs out.");
    case SpendMath::RunOut::Kind::Exceeded: return tr("Used up: calls are refused until the budget resets or is raised.");
    case SpendMath::RunOut::Kind::NotAtThisRate:
        return period ? tr("%1 the budget lasts until it resets.").arg(at) : tr("%1 the budget does not run out.").arg(at);
    case SpendMath::RunOut::Kind::On:
        return tr("%1 the max is reached %2 (%3).").arg(at, Format::countdown(out.at, m_now), Format::dateTime(out.at));
    }
    return {};
}

void BudgetTableModel::setNow(const QDateTime &now)
{
    m_now = now;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, ResetsIn), index(rowCount() - 1, RunsOut), {Qt::DisplayRole});
}

} // namespace Tollgate
