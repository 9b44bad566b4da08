#pragma once

#include "result.h"

#include <QDateTime>
#include <QString>

namespace Tollgate {

// A budget reset period or a key lifetime, as written in config and API bodies:
// "<N>s", "<N>m", "<N>h", "<N>d", "<N>w", "<N>mo" (calendar months), or the words
// daily (1d), weekly (7d), monthly (1mo), yearly (365d). N is a positive integer.
struct Duration
{
    enum class Unit { Seconds, Minutes, Hours, Days, Weeks, Months };

    qint64 count = 0;
    Unit unit = Unit::Seconds;

    // The canonical text ("30d", "1mo", ...), which parse() reads back.
    [[nodiscard]] QString toString() const;

    // The instant one period after `from` (UTC). Months are calendar months:
    // Jan 31 + 1mo = Feb 28/29, as QDateTime::addMonths clamps.
    [[nodiscard]] QDateTime addTo(const QDateTime &from) const;

    // Length in seconds for fixed units; for months the length starting at `from`.
    [[nodiscard]] qint64 seconds(const QDateTime &from) const;

    // Parse a duration string; the error names the bad value and lists the accepted forms.
    // Surrounding whitespace is ignored (" 30d" = "30d"); anything else outside the
    // grammar is rejected: "0d", "-1d", "1.5h", "10", "1 d", "1y", "30D", and counts
    // beyond 1000 years.
    static Result<Duration> parse(const QString &text);

    friend bool operator==(const Duration &, const Duration &) = default;
};

} // namespace Tollgate
