#include "duration.h"

#include <array>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

struct UnitInfo
{
    Duration::Unit unit;
    QStringView suffix;
    qint64 seconds; // 0 for calendar months, whose length depends on the start
};

// "mo" comes before "m" so that "3mo" is never read as minutes.
constexpr std::array<UnitInfo, 6> kUnits{{
    {Duration::Unit::Months, u"mo", 0},
    {Duration::Unit::Seconds, u"s", 1},
    {Duration::Unit::Minutes, u"m", 60},
    {Duration::Unit::Hours, u"h", 3600},
    {Duration::Unit::Days, u"d", 86400},
    {Duration::Unit::Weeks, u"w", 7 * 86400},
}};

const UnitInfo &infoFor(Duration::Unit unit)
{
    for (const UnitInfo &info : kUnits) {
        if (info.unit == unit)
            return info;
    }
    return kUnits[1];
}

// An upper bound keeps every period representable (seconds in a qint64, dates inside
// QDateTime's range) and catches typos such as a pasted timestamp. 1000 years is far
// beyond any budget window or key lifetime anyone means.
constexpr qint64 kMaxSeconds = 1000LL * 366 * 86400;
constexpr qint64 kMaxMonths = 1000LL * 12;

QString acceptedForms()
{
    return u"expected <N>s, <N>m, <N>h, <N>d, <N>w or <N>mo (N a positive whole number, "
           "e.g. 30d or 1mo) or one of daily, weekly, monthly, yearly"_s;
}

Error invalid(const QString &text, const QString &why = {})
{
    QString message = u"invalid duration \""_s + text + u'"';
    if (!why.isEmpty())
        message += u" ("_s + why + u')';
    return makeError(message + u": "_s + acceptedForms());
}

} // namespace

QString Duration::toString() const
{
    return QString::number(count) + infoFor(unit).suffix.toString();
}

QDateTime Duration::addTo(const QDateTime &from) const
{
    const QDateTime utc = from.toUTC();
    if (unit == Unit::Months)
        return utc.addMonths(int(count));
    return utc.addSecs(count * infoFor(unit).seconds);
}

qint64 Duration::seconds(const QDateTime &from) const
{
    if (unit == Unit::Months)
        return from.secsTo(addTo(from));
    return count * infoFor(unit).seconds;
}

Result<Duration> Duration::parse(const QString &text)
{
    // Surrounding blanks are forgiven (a value pasted from elsewhere, a JSON string
    // written as " 30d"); blanks inside ("1 d") are not, since they hint at another syntax.
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return invalid(text, u"empty"_s);

    if (trimmed == u"daily")
        return Duration{1, Unit::Days};
    if (trimmed == u"weekly")
        return Duration{7, Unit::Days};
    if (trimmed == u"monthly")
        return Duration{1, Unit::Months};
    if (trimmed == u"yearly")
        return Duration{365, Unit::Days};

    for (const UnitInfo &info : kUnits) {
        if (!trimmed.endsWith(info.suffix))
            continue;
        const QStringView digits = QStringView(trimmed).chopped(info.suffix.size());
        if (digits.isEmpty())
            return invalid(text, u"no number before the unit"_s);
        // Only ASCII digits: no sign, no decimal point, no blanks, no exponent.
        for (QChar c : digits) {
            if (c < u'0' || c > u'9')
                return invalid(text);
        }
        bool ok = false;
        const qint64 count = digits.toLongLong(&ok);
        const qint64 limit = info.unit == Unit::Months ? kMaxMonths : kMaxSeconds / info.seconds;
        if (!ok || count > limit)
            return invalid(text, u"too long: at most 1000 years"_s);
        if (count == 0)
            return invalid(text, u"must be at least 1"_s);
        return Duration{count, info.unit};
    }
    return invalid(text);
}

} // namespace Tollgate
