#include "jsonreader.h"

#include <QJsonDocument>

#include <QJsonArray>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate {

bool JsonReader::has(const QString &field) const
{
    const QJsonValue value = m_object.value(field);
    return !value.isUndefined() && !value.isNull();
}

bool JsonReader::isNull(const QString &field) const
{
    return m_object.contains(field) && m_object.value(field).isNull();
}

QJsonValue JsonReader::take(const QString &field) const
{
    return m_object.value(field);
}

void JsonReader::fail(const QString &field, const QString &message)
{
    if (!m_error.isEmpty())
        return;
    m_field = field;
    m_error = message;
}

std::optional<QString> JsonReader::string(const QString &field)
{
    const QJsonValue value = take(field);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isString()) {
        fail(field, u"'%1' must be a string."_s.arg(field));
        return std::nullopt;
    }
    return value.toString();
}

std::optional<bool> JsonReader::boolean(const QString &field)
{
    const QJsonValue value = take(field);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isBool()) {
        fail(field, u"'%1' must be true or false."_s.arg(field));
        return std::nullopt;
    }
    return value.toBool();
}

QByteArray compactJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

bool isWholeNumber(const QJsonValue &value, double minimum)
{
    const double number = value.toDouble();
    return value.isDouble() && std::isfinite(number) && std::floor(number) == number && number >= minimum;
}

std::optional<qint64> JsonReader::integer(const QString &field, qint64 minimum)
{
    const QJsonValue value = take(field);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    const double number = value.toDouble();
    if (!isWholeNumber(value, double(minimum)) || number > 9e15) {
        fail(field, u"'%1' must be a whole number of at least %2."_s.arg(field).arg(minimum));
        return std::nullopt;
    }
    return qint64(number);
}

std::optional<NanoUsd> JsonReader::money(const QString &field)
{
    const QJsonValue value = take(field);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isDouble() || !std::isfinite(value.toDouble()) || value.toDouble() < 0 || value.toDouble() > 9e9) {
        fail(field, u"'%1' must be an amount in USD of 0 or more."_s.arg(field));
        return std::nullopt;
    }
    return usdToNanos(value.toDouble());
}

std::optional<Duration> JsonReader::duration(const QString &field)
{
    const std::optional<QString> text = string(field);
    if (!text)
        return std::nullopt;
    auto parsed = Duration::parse(*text);
    if (!parsed) {
        fail(field, u"'%1': %2"_s.arg(field, parsed.error().message));
        return std::nullopt;
    }
    return *parsed;
}

std::optional<QStringList> JsonReader::strings(const QString &field)
{
    const QJsonValue value = take(field);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isArray()) {
        fail(field, u"'%1' must be a list of strings."_s.arg(field));
        return std::nullopt;
    }
    QStringList list;
    for (const QJsonValue item : value.toArray()) {
        if (!item.isString()) {
            fail(field, u"'%1' must be a list of strings."_s.arg(field));
            return std::nullopt;
        }
        list.append(item.toString());
    }
    return list;
}

std::optional<QJsonObject> JsonReader::object(const QString &field)
{
    const QJsonValue value = take(field);
    if (value.isUndefined() || value.isNull())
        return std::nullopt;
    if (!value.isObject()) {
        fail(field, u"'%1' must be an object."_s.arg(field));
        return std::nullopt;
    }
    return value.toObject();
}

std::optional<QJsonObject> JsonReader::object(const QString &field, qsizetype maxBytes)
{
    std::optional<QJsonObject> value = object(field);
    if (!value)
        return std::nullopt;
    const qsizetype size = compactJson(*value).size();
    if (size > maxBytes) {
        fail(field, u"'%1' is too large: at most %2 bytes of JSON, this one has %3."_s.arg(field).arg(maxBytes).arg(size));
        return std::nullopt;
    }
    return value;
}

std::optional<QHash<QString, QString>> JsonReader::stringMap(const QString &field)
{
    const std::optional<QJsonObject> map = object(field);
    if (!map)
        return std::nullopt;
    QHash<QString, QString> result;
    for (auto it = map->begin(); it != map->end(); ++it) {
        if (!it.value().isString()) {
            fail(field, u"'%1' must map names to strings."_s.arg(field));
            return std::nullopt;
        }
        result.insert(it.key(), it.value().toString());
    }
    return result;
}

} // namespace Tollgate
