#include "budgetprojects.h"

#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace Tollgate::BudgetProjectRepository {

QString settingsKey(const QString &projectName)
{
    return u"budget_project:"_s + projectName;
}

Result<QJsonObject> load(QSqlDatabase &db, const QString &projectName)
{
    QSqlQuery query(db);
    query.prepare(u"SELECT value FROM settings WHERE key = ?"_s);
    query.addBindValue(settingsKey(projectName));
    if (!query.exec())
        return makeError(u"cannot read budget project %1: %2"_s.arg(projectName, query.lastError().text()));
    if (!query.next())
        return QJsonObject{};
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(query.value(0).toString().toUtf8(), &error);
    // Only save() writes these rows, so a bad one means the file was edited by hand: say so
    // rather than silently handing the client an empty project it would then save over.
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return makeError(u"budget project %1 is stored as invalid JSON"_s.arg(projectName));
    return document.object();
}

Result<void> save(QSqlDatabase &db, const QString &projectName, const QJsonObject &userDict)
{
    QSqlQuery query(db);
    query.prepare(u"INSERT INTO settings (key, value) VALUES (?, ?) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value"_s);
    query.addBindValue(settingsKey(projectName));
    query.addBindValue(QString::fromUtf8(QJsonDocument(userDict).toJson(QJsonDocument::Compact)));
    if (!query.exec())
        return makeError(u"cannot save budget project %1: %2"_s.arg(projectName, query.lastError().text()));
    return {};
}

Store::ReadJob loadJob(const QString &projectName)
{
    return [projectName](QSqlDatabase &db) -> QVariant {
        auto loaded = load(db, projectName);
        return loaded ? QVariant::fromValue(*loaded) : QVariant::fromValue(loaded.error());
    };
}

Store::WriteJob saveJob(const QString &projectName, const QJsonObject &userDict)
{
    return [projectName, userDict](QSqlDatabase &db) { return save(db, projectName, userDict); };
}

} // namespace Tollgate::BudgetProjectRepository
