#pragma once

#include "../models/duration.h"
#include "../models/money.h"

#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate {

// A JSON number that is a whole number of at least `minimum` (any size: 1e18 is whole).
bool isWholeNumber(const QJsonValue &value, double minimum);

// The object as compact JSON text (answers, events and bodies the gateway writes).
QByteArray compactJson(const QJsonObject &object);

// Reads typed fields of a JSON request body. The first wrong type is remembered and
// reported as a 400 naming the field (api.md §1: unknown fields are ignored, a wrong type
// for a known field is a 400). `null` counts as absent.
class JsonReader
{
public:
    explicit JsonReader(QJsonObject object) : m_object(std::move(object)) {}

    [[nodiscard]] bool has(const QString &field) const;
    // The field is present with the value null: on an update, "remove this limit".
    [[nodiscard]] bool isNull(const QString &field) const;
    std::optional<QString> string(const QString &field);
    std::optional<bool> boolean(const QString &field);
    std::optional<qint64> integer(const QString &field, qint64 minimum = 0);
    std::optional<NanoUsd> money(const QString &field);          // USD ≥ 0
    std::optional<Duration> duration(const QString &field);
    std::optional<QStringList> strings(const QString &field);
    std::optional<QJsonObject> object(const QString &field);
    // An object of at most `maxBytes` as compact JSON (a free-form field stored as given).
    std::optional<QJsonObject> object(const QString &field, qsizetype maxBytes);
    std::optional<QHash<QString, QString>> stringMap(const QString &field);

    [[nodiscard]] bool ok() const { return m_error.isEmpty(); }
    [[nodiscard]] const QString &error() const { return m_error; }
    [[nodiscard]] const QString &errorField() const { return m_field; }
    [[nodiscard]] const QJsonObject &json() const { return m_object; }

private:
    QJsonValue take(const QString &field) const;
    void fail(const QString &field, const QString &message);

    QJsonObject m_object;
    QString m_error;
    QString m_field;
};

} // namespace Tollgate
