#pragma once

#include "../result.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Tollgate {

struct DatabaseTarget;

// What copyDatabase() did and found: per table the rows on both sides, per money column
// (every column whose name ends in "nanousd") the sums on both sides.
struct DatabaseCopyReport
{
    struct Table
    {
        QString name;
        qint64 fromRows = 0;
        qint64 toRows = 0;
    };
    struct Sum
    {
        QString table;
        QString column;
        qint64 from = 0;
        qint64 to = 0;
    };
    int schemaVersion = 0;
    QList<Table> tables;
    QList<Sum> sums;
    // Tables or columns FROM has and TO does not (not copied; normally none).
    QStringList skipped;

    // One line per difference ("spend_logs: 10 rows in FROM, 9 in TO"); empty when all match.
    [[nodiscard]] QStringList mismatches() const;
};

// `tollgate --migrate-db FROM TO` (issue #17): copies a Tollgate database into another one, on
// either engine (SQLite → PostgreSQL, back, or SQLite → SQLite, PostgreSQL → PostgreSQL).
//
// FROM must exist and hold a Tollgate schema. It is opened the way a gateway start opens it
// (Store::open): brought to this build's schema version and, for a SQLite file, its spend
// journal folded in, so no answered call is left behind; a SQLite FROM whose journal another
// process holds (a running gateway) is refused, and so is a PostgreSQL FROM or TO a gateway is
// connected to (its answered calls may be in its local journal only). TO is created or migrated to the same
// version and must hold no rows in any table (a new file, a new database, or one only migrated).
//
// Every table both sides have is copied (the schema's tables as listed by the database's
// catalog, the version bookkeeping aside), by the column names both have: a table or column
// a later migration adds is copied with no change here. Values keep their type (integers as
// 64-bit integers, BLOB/BYTEA as bytes, NULL as NULL) and rows keep their ids; rows are read in
// insertion order. The copy is one transaction on TO (a failure leaves TO empty) with rows
// inserted in multi-row statements; on PostgreSQL every serial column's sequence then
// continues after the largest copied value.
//
// Afterwards both sides are counted again: the report holds the rows per table and the sums
// of every money column. An error (unreachable server, missing file, non-empty TO, a failed
// statement) is returned as such; a completed copy whose counts differ comes back as a report
// with mismatches(). Messages name databases by describe(): never a password.
Result<DatabaseCopyReport> copyDatabase(const DatabaseTarget &from, const DatabaseTarget &to);

// Whether two targets are the same database (the same SQLite file, or the same PostgreSQL
// server and database name).
bool sameDatabase(const DatabaseTarget &a, const DatabaseTarget &b);

} // namespace Tollgate
