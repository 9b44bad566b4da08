#pragma once

#include <QDate>
#include <QDateTime>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate::Format {

// Display helpers shared by the pages. Everything is for humans: the locale's number
// format, "—" for "no limit", local time.

// The one money format of the window (pages, tables, chart axes, tray, banners):
//   0                      → "$0"
//   from $1                → two decimals, grouped: "$1.50", "$1,234.00"
//   below $1               → up to 4 significant digits, at least two decimals, no
//                            trailing zeros past them: "$0.15", "$0.015", "$0.00001234"
//   below TinyUsd (> 0)    → "< $0.000001" (a price of a few tokens, not worth digits)
// Negative amounts get a leading minus.
inline constexpr double TinyUsd = 0.000001;
QString usd(double value);
QString usd(const std::optional<double> &value);    // "—" when absent
// usd() for money left (a budget's remainder): the same digits, cut instead of rounded, so
// it never shows more than there is ($1.99925 → "$1.99", not "$2.00"). Not for negatives.
QString usdRoundedDown(double value);
QString count(const std::optional<qint64> &value);  // "—" when absent
// The one date-and-time format: local time, "2026-12-03 14:05" (also the spend log's
// filter fields, DateTimePattern).
inline constexpr const char16_t *DateTimePattern = u"yyyy-MM-dd HH:mm";
QString dateTime(const QDateTime &time);            // "—" when invalid
QString date(const QDate &date);                    // "2026-12-03"; "—" when invalid
QString expiry(const QDateTime &expires, const QDateTime &now);   // "never", "expired", date
QString countdown(const QDateTime &until, const QDateTime &now);  // "in 3 h 12 min", "due"
// A budget's reset period as people name it: "never" for none, the words for the API's
// canonical forms ("1d" daily, "7d" weekly, "1mo" monthly, "365d" yearly), else as given ("30d").
QString period(const QString &duration);
QString models(const QStringList &models);          // "all models" for []
QString percent(double fraction);                   // "83 %"

} // namespace Tollgate::Format
