#pragma once

#include "../apitypes.h"

#include <QIcon>
#include <QString>
#include <QVariant>

#include <optional>

namespace Tollgate::ColumnValues {

// What the identity lists (keys, users, end users) show in the columns they share, so the
// three tables format money, limits and "blocked" the same way.

// "60 / — / 2": requests per minute, tokens per minute, parallel requests.
QString limits(const LimitsInfo &limits);
QString limitsToolTip(const LimitsInfo &limits);
// Spend with its share of the max budget and the soft limit.
QString spendToolTip(const BudgetInfo &budget);
// The max budget with its period, next reset and soft limit.
QString budgetToolTip(const BudgetInfo &budget);

// Sort values: "no limit" sorts after every limit.
double budgetSortValue(const std::optional<double> &value);
qint64 limitSortValue(const std::optional<qint64> &value);
qint64 timeSortValue(const QDateTime &time);   // invalid (never) sorts last

QVariant numberAlignment();
// The style's "stop" icon: the blocked marker of keys and end users.
QIcon blockedIcon();
// Text colour of rows that cannot be used (blocked, expired): the palette's disabled text.
QVariant inactiveForeground();

} // namespace Tollgate::ColumnValues
