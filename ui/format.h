#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate::Format {

// Display helpers shared by the pages. Everything is for humans: the locale's number
// format, "—" for "no limit", local time.
QString usd(double value);                          // "$1.23", "$0.000042"
QString usd(const std::optional<double> &value);    // "—" when absent
QString count(const std::optional<qint64> &value);  // "—" when absent
QString dateTime(const QDateTime &time);            // local, short; "—" when invalid
QString expiry(const QDateTime &expires, const QDateTime &now);   // "never", "expired", date
QString countdown(const QDateTime &until, const QDateTime &now);  // "in 3 h 12 min", "due"
QString models(const QStringList &models);          // "all models" for []
QString percent(double fraction);                   // "83 %"

} // namespace Tollgate::Format
