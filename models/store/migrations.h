#pragma once

#include "../result.h"

#include <QList>
#include <QStringList>

class QSqlDatabase;

namespace Tollgate {

// One schema step: the SQL statements that move the database from version `version - 1`
// to `version`. Steps are applied in order inside a transaction each; SQLite records where a
// database is in PRAGMA user_version, PostgreSQL in the one-row table tollgate_schema.
// One list serves both engines: `statements` are written in SQLite's dialect and run on
// PostgreSQL through postgresDdl() (column types); a step whose SQL differs more names its
// PostgreSQL statements in `postgres` (they go through postgresDdl() too).
struct Migration
{
    int version = 0;
    QString description;
    QStringList statements;
    QStringList postgres = {};  // empty: `statements` on both engines
};

// A statement of SQLite DDL as PostgreSQL runs it: INTEGER PRIMARY KEY AUTOINCREMENT becomes
// BIGSERIAL PRIMARY KEY, INTEGER BIGINT (nano-dollars and milliseconds overflow 32 bits), BLOB
// BYTEA. Everything else (TEXT, DEFAULT, indexes, ALTER TABLE ADD COLUMN) is common.
QString postgresDdl(const QString &sqliteSql);

// The project's migrations, in order. Append, never edit a released step.
const QList<Migration> &migrations();

// The version a freshly migrated database has.
int latestSchemaVersion();

// The statements of `step` for the engine of `db`.
QStringList statementsFor(const QSqlDatabase &db, const Migration &step);

// The schema version `db` is at (0: empty).
Result<int> schemaVersion(QSqlDatabase &db);

// Brings `db` to the latest version (or to the last of `steps`). A database newer than
// this build knows is an error, and is left untouched.
Result<int> migrate(QSqlDatabase &db, const QList<Migration> &steps = migrations());

} // namespace Tollgate
