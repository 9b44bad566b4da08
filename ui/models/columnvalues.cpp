#include "columnvalues.h"

#include "../format.h"

#include <QApplication>
#include <QBrush>
#include <QPalette>
#include <QStyle>

#include <limits>

using namespace Qt::StringLiterals;

namespace Tollgate::ColumnValues {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Tollgate::ColumnValues", text);
}

} // namespace

QString limits(const LimitsInfo &limits)
{
    return u"%1 / %2 / %3"_s.arg(Format::count(limits.rpm), Format::count(limits.tpm),
                                 Format::count(limits.maxParallel));
}

QString limitsToolTip(const LimitsInfo &limits)
{
    return tr("Requests per minute: %1\nTokens per minute: %2\nParallel requests: %3")
        .arg(Format::count(limits.rpm), Format::count(limits.tpm), Format::count(limits.maxParallel));
}

QString spendToolTip(const BudgetInfo &budget)
{
    QString text = tr("Spent: %1").arg(Format::usd(budget.spend));
    if (const auto fraction = budget.fraction())
        text += u'\n' + tr("%1 of the max budget of %2").arg(Format::percent(*fraction), Format::usd(budget.maxBudget));
    if (budget.softBudget)
        text += u'\n' + tr("Soft limit: %1").arg(Format::usd(budget.softBudget));
    return text;
}

QString budgetToolTip(const BudgetInfo &budget)
{
    if (!budget.maxBudget)
        return tr("No budget: spend is not limited.");
    QString text = tr("Max budget: %1").arg(Format::usd(budget.maxBudget));
    if (!budget.duration.isEmpty()) {
        // "Resets monthly", "Resets every 30d".
        const QString period = Format::period(budget.duration);
        const QString next = Format::dateTime(budget.resetAt);
        text += u'\n'
                + (period != budget.duration.trimmed() ? tr("Resets %1, next on %2").arg(period, next)
                                                       : tr("Resets every %1, next on %2").arg(period, next));
    } else {
        text += u'\n' + tr("Never resets");
    }
    if (budget.softBudget)
        text += u'\n' + tr("Soft limit: %1").arg(Format::usd(budget.softBudget));
    return text;
}

double budgetSortValue(const std::optional<double> &value)
{
    return value.value_or(std::numeric_limits<double>::infinity());
}

qint64 limitSortValue(const std::optional<qint64> &value)
{
    return value.value_or(std::numeric_limits<qint64>::max());
}

qint64 timeSortValue(const QDateTime &time)
{
    return time.isValid() ? time.toMSecsSinceEpoch() : std::numeric_limits<qint64>::max();
}

QVariant numberAlignment()
{
    // An int, the form every Qt 6 view and QAbstractItemModelTester read.
    return int(Qt::AlignRight | Qt::AlignVCenter);
}

QIcon blockedIcon()
{
    return QApplication::style()->standardIcon(QStyle::SP_BrowserStop);
}

QVariant inactiveForeground()
{
    return QBrush(QApplication::palette().color(QPalette::Disabled, QPalette::Text));
}

} // namespace Tollgate::ColumnValues
