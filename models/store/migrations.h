#pragma once

#include "../result.h"

#include <QList>
#include <QStringList>

class QSqlDatabase;

namespace Tollgate {

// One schema step: the SQL statements that move the database from version `version - 1`
// to `version`. Steps are applied in order inside a transaction each; PRAGMA
// user_version records where a database is.
struct Migration
{
    int version = 0;
    QString description;
    QStringList statements;
};

// The project's migrations, in order. Append, never edit a released step.
const QList<Migration> &migrations();

// The version a freshly migrated database has.
int latestSchemaVersion();

// Brings `db` to the latest version (or to the last of `steps`). A database newer than
// this build knows is an error, and is left untouched.
Result<int> migrate(QSqlDatabase &db, const QList<Migration> &steps = migrations());

} // namespace Tollgate
