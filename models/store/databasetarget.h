#pragma once

#include "../result.h"

#include <QSqlDatabase>
#include <QString>

namespace Tollgate {

// Where the store keeps its data: a SQLite file (the default) or a PostgreSQL database
// (general_settings.database_url / DATABASE_URL = postgresql://user:password@host:port/db).
struct DatabaseTarget
{
    enum class Engine { Sqlite, Postgres };
    Engine engine = Engine::Sqlite;

    QString sqlitePath;  // Sqlite: the file (":memory:" for none)

    // Postgres: the connection. `host` empty or starting with '/' is a Unix socket directory.
    QString host;
    int port = 5432;
    QString user;
    QString password;
    QString database;
    // Postgres: where this instance keeps its local spend journal (the base of its file names,
    // `<journalPath>-spend-<n>.journal`); empty = no journal (calls are answered after COMMIT).
    // Each instance needs its own: the journal is locked by one process.
    QString journalPath;

    static DatabaseTarget sqlite(const QString &path);
    // Parses postgresql:// and postgres:// URLs: user, password, host, port, database and the
    // query parameter host=/socket/dir. Percent-escapes are decoded. Anything else is an error.
    static Result<DatabaseTarget> fromUrl(const QString &url);
    // True for a postgresql:// or postgres:// URL (case-insensitive scheme).
    static bool isPostgresUrl(const QString &text);

    [[nodiscard]] bool isPostgres() const { return engine == Engine::Postgres; }
    // For messages and logs: the SQLite path, or postgresql://user@host:port/db — never the password.
    [[nodiscard]] QString describe() const;
    // A stable name for this database without the password (the default journal's directory).
    [[nodiscard]] QString identity() const;
    // A connection named `name` set up for this database, not yet opened: QPSQL with a 5-second
    // connect timeout and `applicationName` (what pg_stat_activity shows), or QSQLITE with a 5-second
    // busy timeout. An error when Qt's driver for the engine is not installed.
    [[nodiscard]] Result<QSqlDatabase> addConnection(const QString &name, const QString &applicationName) const;
};

// Which engine a store connection talks to (store jobs pick engine-specific SQL with it).
bool isPostgres(const QSqlDatabase &db);

} // namespace Tollgate
