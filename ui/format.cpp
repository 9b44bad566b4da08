#include "format.h"

#include <QCoreApplication>
#include <QLocale>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate::Format {

namespace {

// The decimals usd() shows `magnitude` (> TinyUsd) with.
int usdDecimals(double magnitude)
{
    // Below a dollar, calls cost fractions of a cent: four significant digits tell them apart.
    int decimals = 2;
    if (magnitude < 1) {
        decimals = std::max(2, 4 - 1 - int(std::floor(std::log10(magnitude))));
        // Rounded up to a dollar ($0.99999 → "$1.00"): the dollar rule.
        if (std::round(magnitude * std::pow(10.0, decimals)) >= std::pow(10.0, decimals))
            decimals = 2;
    }
    return decimals;
}

} // namespace

QString usdRoundedDown(double value)
{
    if (value < TinyUsd)
        return usd(value);
    // Cut at the digits usd() would show; a relative hair of slack (far below a nano-dollar)
    // so that 2 stored as 1.9999999999… is not cut to $1.99. The cut value needs no more digits.
    const double scale = std::pow(10.0, usdDecimals(value));
    return usd(std::floor(value * scale * (1 + 1e-12)) / scale);
}

QString usd(double value)
{
    const QLocale locale;
    const double magnitude = std::abs(value);
    const QString sign = value < 0 ? u"-"_s : QString();
    if (magnitude == 0)
        return u"$0"_s;
    if (magnitude < TinyUsd)
        return u"< $"_s + locale.toString(TinyUsd, 'f', 6);
    const int decimals = usdDecimals(magnitude);
    QString text = locale.toString(magnitude, 'f', decimals);
    if (decimals > 2) {
        // "$0.0150" → "$0.015": zeros past the second decimal say nothing.
        const QChar zero = locale.zeroDigit().at(0);
        const qsizetype point = text.lastIndexOf(locale.decimalPoint());
        while (text.size() > point + 3 && text.endsWith(zero))
            text.chop(1);
    }
    return sign + u'$' + text;
}

QString usd(const std::optional<double> &value)
{
    return value ? usd(*value) : u"—"_s;
}

QString count(const std::optional<qint64> &value)
{
    return value ? QLocale().toString(*value) : u"—"_s;
}

QString dateTime(const QDateTime &time)
{
    if (!time.isValid())
        return u"—"_s;
    return QLocale().toString(time.toLocalTime(), QString::fromUtf16(DateTimePattern));
}

QString date(const QDate &date)
{
    if (!date.isValid())
        return u"—"_s;
    return QLocale().toString(date, u"yyyy-MM-dd"_s);
}

QString expiry(const QDateTime &expires, const QDateTime &now)
{
    if (!expires.isValid())
        return QCoreApplication::translate("Tollgate::Format", "never");
    if (expires <= now)
        return QCoreApplication::translate("Tollgate::Format", "expired");
    return dateTime(expires);
}

QString countdown(const QDateTime &until, const QDateTime &now)
{
    if (!until.isValid())
        return u"—"_s;
    qint64 seconds = now.secsTo(until);
    if (seconds <= 0)
        return QCoreApplication::translate("Tollgate::Format", "due");
    const qint64 days = seconds / 86400;
    const qint64 hours = (seconds % 86400) / 3600;
    const qint64 minutes = (seconds % 3600) / 60;
    seconds %= 60;
    if (days > 0)
        return QCoreApplication::translate("Tollgate::Format", "in %1 d %2 h").arg(days).arg(hours);
    if (hours > 0)
        return QCoreApplication::translate("Tollgate::Format", "in %1 h %2 min").arg(hours).arg(minutes);
    if (minutes > 0)
        return QCoreApplication::translate("Tollgate::Format", "in %1 min %2 s").arg(minutes).arg(seconds);
    return QCoreApplication::translate("Tollgate::Format", "in %1 s").arg(seconds);
}

QString models(const QStringList &models)
{
    return models.isEmpty() ? QCoreApplication::translate("Tollgate::Format", "all models") : models.join(u", "_s);
}

QString percent(double fraction)
{
    return QLocale().toString(qRound(fraction * 100.0)) + u" %"_s;
}

QString period(const QString &duration)
{
    const QString text = duration.trimmed();
    if (text.isEmpty())
        return QCoreApplication::translate("Tollgate::Format", "never");
    // The gateway answers the canonical form; "monthly" is what the user chose.
    if (text == u"1d" || text == u"daily")
        return QCoreApplication::translate("Tollgate::Format", "daily");
    if (text == u"7d" || text == u"weekly")
        return QCoreApplication::translate("Tollgate::Format", "weekly");
    if (text == u"1mo" || text == u"monthly")
        return QCoreApplication::translate("Tollgate::Format", "monthly");
    if (text == u"365d" || text == u"yearly")
        return QCoreApplication::translate("Tollgate::Format", "yearly");
    return text;
}

} // namespace Tollgate::Format
