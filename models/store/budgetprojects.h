#pragma once

#include "../result.h"
#include "store.h"

#include <QJsonObject>
#include <QString>

class QSqlDatabase;

namespace Tollgate {

// The BudgetManager hosted protocol's storage (api.md §6): one `user_dict` per project, kept
// as a JSON row of the `settings` table under "budget_project:<name>". A row per project
// rather than a table of its own because the dict is opaque to the gateway: LiteLLM clients
// put whatever they like in it and expect it back unchanged.
namespace BudgetProjectRepository {

// "budget_project:<name>".
[[nodiscard]] QString settingsKey(const QString &projectName);

// The project's user_dict; {} for a project never saved.
Result<QJsonObject> load(QSqlDatabase &db, const QString &projectName);
// Replaces the project's user_dict (insert or update).
Result<void> save(QSqlDatabase &db, const QString &projectName, const QJsonObject &userDict);

// The same two as store jobs. The read job answers a QJsonObject or an Error.
[[nodiscard]] Store::ReadJob loadJob(const QString &projectName);
[[nodiscard]] Store::WriteJob saveJob(const QString &projectName, const QJsonObject &userDict);

} // namespace BudgetProjectRepository

} // namespace Tollgate
