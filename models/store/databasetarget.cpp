#include "databasetarget.h"

#include <QSqlDatabase>
#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace Tollgate {

DatabaseTarget DatabaseTarget::sqlite(const QString &path)
{
    DatabaseTarget target;
    target.sqlitePath = path;
    return target;
}

bool DatabaseTarget::isPostgresUrl(const QString &text)
{
    return text.startsWith(u"postgresql://"_s, Qt::CaseInsensitive)
        || text.startsWith(u"postgres://"_s, Qt::CaseInsensitive);
}

Result<DatabaseTarget> DatabaseTarget::fromUrl(const QString &text)
{
    // The message never repeats the URL: it may hold the password.
    if (!isPostgresUrl(text))
        return makeError(u"database_url must be a postgresql:// URL (or a SQLite file path)"_s);
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return makeError(u"database_url is not a valid postgresql:// URL"_s);
    DatabaseTarget target;
    target.engine = Engine::Postgres;
    target.host = url.host(QUrl::FullyDecoded);
    target.port = url.port(5432);
    target.user = url.userName(QUrl::FullyDecoded);
    target.password = url.password(QUrl::FullyDecoded);
    target.database = url.path(QUrl::FullyDecoded);
    if (target.database.startsWith(u'/'))
        target.database.remove(0, 1);
    const QUrlQuery query(url);
    if (query.hasQueryItem(u"host"_s))
        target.host = query.queryItemValue(u"host"_s, QUrl::FullyDecoded);
    if (query.hasQueryItem(u"port"_s))
        target.port = query.queryItemValue(u"port"_s).toInt();
    if (target.port <= 0 || target.port > 65535)
        return makeError(u"database_url has an invalid port"_s);
    if (target.database.isEmpty())
        return makeError(u"database_url names no database (postgresql://user@host:port/DATABASE)"_s);
    if (target.database.contains(u'/'))
        return makeError(u"database_url's database name cannot contain '/'"_s);
    if (target.host.isEmpty())
        target.host = u"localhost"_s;
    return target;
}

QString DatabaseTarget::describe() const
{
    if (engine == Engine::Sqlite)
        return sqlitePath;
    return u"postgresql://%1%2:%3/%4"_s.arg(user.isEmpty() ? QString() : user + u'@',
                                            host.startsWith(u'/') ? u'[' + host + u']' : host)
        .arg(port)
        .arg(database);
}

QString DatabaseTarget::identity() const
{
    return describe();
}

bool isPostgres(const QSqlDatabase &db)
{
    return db.driverName() == u"QPSQL"_s;
}

Result<QSqlDatabase> DatabaseTarget::addConnection(const QString &name, const QString &applicationName) const
{
    if (!isPostgres()) {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(sqlitePath);
        db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000"_s);
        return db;
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
    if (!db.isValid())
        return makeError(u"Qt's PostgreSQL driver (QPSQL, Debian: libqt6sql6-psql) is not installed"_s);
    db.setHostName(host);
    db.setPort(port);
    db.setUserName(user);
    db.setPassword(password);
    db.setDatabaseName(database);
    // A server that does not answer fails the start (or a reconnect) instead of hanging it.
    db.setConnectOptions(u"connect_timeout=5;application_name="_s + applicationName);
    return db;
}

} // namespace Tollgate
