#include "databasecopy.h"

#include "databasetarget.h"
#include "migrations.h"
#include "store.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlIndex>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThread>
#include <QVariant>

#include <algorithm>
#include <atomic>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// The engines' own bookkeeping is not data: SQLite's internal tables (sqlite_sequence follows
// the copied ids by itself) and PostgreSQL's schema version (TO has its own, migrated).
bool isBookkeeping(const QString &table)
{
    return table.startsWith(u"sqlite_"_s, Qt::CaseInsensitive) || table == u"tollgate_schema"_s;
}

QString quoted(const QString &identifier)
{
    return u'"' + QString(identifier).replace(u'"', u"\"\""_s) + u'"';
}

QString literal(const QString &text)
{
    return u'\'' + QString(text).replace(u'\'', u"''"_s) + u'\'';
}

// A connection of its own on the calling thread (the copy runs after both stores are closed).
class Connection
{
    Q_DISABLE_COPY_MOVE(Connection)

public:
    Connection() = default;
    ~Connection() { close(); }

    Result<void> open(const DatabaseTarget &target)
    {
        static std::atomic<int> s_count { 0 };
        m_name = u"tollgate-copy-"_s + QString::number(++s_count);
        m_postgres = target.isPostgres();
        auto db = target.addConnection(m_name, u"tollgate-migrate-db"_s);
        if (!db)
            return db.error();
        m_db = *db;
        if (!m_db.open())
            return makeError(u"cannot connect to %1: %2"_s.arg(target.describe(), m_db.lastError().text()));
        if (m_postgres) {
            if (auto set = exec(u"SET client_min_messages = warning"_s); !set)
                return set;
        }
        return {};
    }

    void close()
    {
        if (m_name.isEmpty())
            return;
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
        m_name.clear();
    }

    [[nodiscard]] bool postgres() const { return m_postgres; }
    QSqlDatabase &db() { return m_db; }

    Result<void> exec(const QString &sql)
    {
        QSqlQuery query(m_db);
        if (!query.exec(sql))
            return makeError(query.lastError().text());
        return {};
    }

    // The first column of the first row (an invalid QVariant when there is none).
    Result<QVariant> value(const QString &sql)
    {
        QSqlQuery query(m_db);
        if (!query.exec(sql))
            return makeError(query.lastError().text());
        return query.next() ? query.value(0) : QVariant();
    }

    Result<QStringList> strings(const QString &sql)
    {
        QSqlQuery query(m_db);
        query.setForwardOnly(true);
        if (!query.exec(sql))
            return makeError(query.lastError().text());
        QStringList values;
        while (query.next())
            values.append(query.value(0).toString());
        return values;
    }

    // The schema version, 0 when the database holds no Tollgate schema.
    Result<int> schemaVersion()
    {
        if (m_postgres) {
            const auto exists = value(u"SELECT to_regclass('tollgate_schema') IS NOT NULL"_s);
            if (!exists)
                return exists.error();
            if (!exists->toBool())
                return 0;
            const auto version = value(u"SELECT version FROM tollgate_schema"_s);
            if (!version)
                return version.error();
            return version->toInt();
        }
        const auto version = value(u"PRAGMA user_version"_s);
        if (!version)
            return version.error();
        return version->toInt();
    }

    // The data tables, by name.
    Result<QStringList> tables()
    {
        auto names
            = strings(m_postgres ? u"SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                   "ORDER BY tablename"_s
                                 : u"SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"_s);
        if (!names)
            return names;
        names->removeIf(isBookkeeping);
        return names;
    }

    Result<QStringList> columns(const QString &table)
    {
        if (m_postgres) {
            return strings(
                u"SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %1 ORDER BY ordinal_position"_s.arg(literal(table)));
        }
        QSqlQuery query(m_db);
        if (!query.exec(u"PRAGMA table_info(%1)"_s.arg(quoted(table))))
            return makeError(query.lastError().text());
        QStringList names;
        while (query.next())
            names.append(query.value(1).toString());
        return names;
    }

    Result<qint64> count(const QString &sql)
    {
        const auto counted = value(sql);
        if (!counted)
            return counted.error();
        return counted->toLongLong();
    }

    Result<qint64> rows(const QString &table)
    {
        return count(u"SELECT COUNT(*) FROM %1"_s.arg(quoted(table)));
    }

    Result<qint64> sum(const QString &table, const QString &column)
    {
        return count(
            u"SELECT CAST(COALESCE(SUM(%1), 0) AS BIGINT) FROM %2"_s.arg(quoted(column), quoted(table)));
    }

private:
    QString m_name;
    QSqlDatabase m_db;
    bool m_postgres = false;
};

// PostgreSQL: a running gateway (the store connects as application_name=tollgate) may still
// hold answered calls in its local journal, or write while the copy runs: refused.
Result<void> noGatewayConnected(Connection &connection, const QString &name)
{
    if (!connection.postgres())
        return {};
    const QString sql = u"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = 'tollgate'"_s;
    auto gateways = connection.count(sql);
    // A gateway that has just stopped leaves its session listed for a moment.
    for (int wait = 0; wait < 30 && gateways && *gateways > 0; ++wait) {
        QThread::msleep(100);
        gateways = connection.count(sql);
    }
    if (!gateways)
        return makeError(u"cannot read the sessions of %1: %2"_s.arg(name, gateways.error().message));
    if (*gateways > 0) {
        return makeError(
            u"%1 Tollgate gateway connection(s) are open on %2: stop the gateways first, so that every "
            "call they answered is in the database and nothing writes during the copy"_s.arg(*gateways)
                .arg(name));
    }
    return {};
}

// "keys: 3 rows, spend_logs: 10 rows" for the tables that hold rows; empty when none does.
Result<QString> rowsHeld(Connection &connection)
{
    const auto tables = connection.tables();
    if (!tables)
        return tables.error();
    QStringList held;
    for (const QString &table : *tables) {
        const auto rows = connection.rows(table);
        if (!rows)
            return rows.error();
        if (*rows > 0)
            held.append(u"%1: %2 rows"_s.arg(table).arg(*rows));
    }
    return held.join(u", "_s);
}

// Opens `target` as a gateway start would (the schema migrated to this build's, a SQLite
// file's spend journal replayed) and closes it again.
Result<void> openOnce(const DatabaseTarget &target, bool mustOwnJournal)
{
    Store store;
    if (auto opened = store.open(target); !opened)
        return opened.error();
    const bool journalHeldElsewhere = !target.isPostgres() && store.spendJournal() == nullptr;
    store.close();
    if (mustOwnJournal && journalHeldElsewhere) {
        return makeError(
            u"another process (a running Tollgate?) holds the spend journal of %1: stop it first, so "
            "that every call it answered is in the database before it is copied"_s.arg(
                QDir::toNativeSeparators(target.sqlitePath)));
    }
    return {};
}

bool isMoneyColumn(const QString &column)
{
    return column.endsWith(u"nanousd"_s, Qt::CaseInsensitive);
}

// A value as read, typed for the other engine: NULL stays NULL (whatever type the driver gave
// it), integers are 64-bit signed (QPSQL reads a positive BIGINT as unsigned), a non-NULL
// text or byte string is never a null one (the drivers bind a null QString as NULL).
QVariant portable(const QSqlQuery &query, int index)
{
    if (query.isNull(index))
        return QVariant();
    QVariant value = query.value(index);
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
        return QVariant(value.toLongLong());
    case QMetaType::Bool:
        return QVariant(qlonglong(value.toBool() ? 1 : 0));
    case QMetaType::QString:
        if (value.toString().isNull())
            return QVariant(u""_s);
        return value;
    case QMetaType::QByteArray:
        if (value.toByteArray().isNull())
            return QVariant(QByteArray(""));
        return value;
    default:
        return value;
    }
}

// Inserts the rows of one table in multi-row statements (one prepared statement per batch size).
class TableWriter
{
public:
    TableWriter(Connection &to, const QString &table, const QStringList &columns)
        : m_to(to)
        , m_table(table)
        , m_columns(columns)
    {
        // SQLite binds up to 32766 values per statement (3.32+); PostgreSQL 65535.
        m_batchRows = std::clamp<qsizetype>(4000 / std::max<qsizetype>(1, columns.size()), 1, 500);
    }

    Result<void> add(QVariantList row)
    {
        m_pending.append(std::move(row));
        if (m_pending.size() >= m_batchRows)
            return flush();
        return {};
    }

    Result<void> flush()
    {
        if (m_pending.isEmpty())
            return {};
        QSqlQuery &query = m_pending.size() == m_batchRows ? m_full : m_tail;
        if (&query == &m_tail || !m_fullPrepared) {
            query = QSqlQuery(m_to.db());
            if (!query.prepare(insertSql(m_pending.size())))
                return makeError(
                    u"cannot prepare the insert into %1: %2"_s.arg(m_table, query.lastError().text()));
            if (&query == &m_full)
                m_fullPrepared = true;
        }
        int position = 0;
        for (const QVariantList &row : std::as_const(m_pending)) {
            for (const QVariant &value : row)
                query.bindValue(position++, value);
        }
        if (!query.exec())
            return makeError(u"cannot insert into %1: %2"_s.arg(m_table, query.lastError().text()));
        query.finish();
        m_written += m_pending.size();
        m_pending.clear();
        return {};
    }

    [[nodiscard]] qint64 written() const { return m_written; }

private:
    QString insertSql(qsizetype rows) const
    {
        QStringList names;
        for (const QString &column : m_columns)
            names.append(quoted(column));
        const QString one = u'(' + QStringList(m_columns.size(), u"?"_s).join(u", "_s) + u')';
        return u"INSERT INTO %1 (%2) VALUES %3"_s.arg(quoted(m_table), names.join(u", "_s),
                                                      QStringList(rows, one).join(u", "_s));
    }

    Connection &m_to;
    QString m_table;
    QStringList m_columns;
    qsizetype m_batchRows = 1;
    QList<QVariantList> m_pending;
    QSqlQuery m_full;
    QSqlQuery m_tail;
    bool m_fullPrepared = false;
    qint64 m_written = 0;
};

// Reads `columns` of `table` from `from` in insertion order and hands each row to `writer`.
// PostgreSQL through a cursor (QPSQL would otherwise hold the whole table in memory).
Result<void> copyRows(Connection &from, const QString &table, const QStringList &columns, TableWriter &writer)
{
    QStringList names;
    for (const QString &column : columns)
        names.append(quoted(column));
    QString order;
    if (from.postgres()) {
        // PostgreSQL keeps SQLite's insertion order in a `rowid` column where it matters
        // (responses, see migrations.cpp); elsewhere the primary key gives a stable order.
        const auto all = from.columns(table);
        if (!all)
            return all.error();
        if (all->contains(u"rowid"_s)) {
            order = u" ORDER BY \"rowid\""_s;
        } else {
            const QSqlIndex key = from.db().primaryIndex(table);
            QStringList keyNames;
            for (int i = 0; i < key.count(); ++i)
                keyNames.append(quoted(key.fieldName(i)));
            if (!keyNames.isEmpty())
                order = u" ORDER BY "_s + keyNames.join(u", "_s);
        }
    } else {
        order = u" ORDER BY rowid"_s;
    }
    const QString select = u"SELECT %1 FROM %2%3"_s.arg(names.join(u", "_s), quoted(table), order);

    const auto rowsOf = [&writer, &columns](QSqlQuery &query) -> Result<qint64> {
        qint64 read = 0;
        while (query.next()) {
            QVariantList row;
            row.reserve(columns.size());
            for (int i = 0; i < columns.size(); ++i)
                row.append(portable(query, i));
            if (auto added = writer.add(std::move(row)); !added)
                return added.error();
            ++read;
        }
        return read;
    };

    if (!from.postgres()) {
        QSqlQuery query(from.db());
        query.setForwardOnly(true);
        if (!query.exec(select))
            return makeError(u"cannot read %1: %2"_s.arg(table, query.lastError().text()));
        if (auto read = rowsOf(query); !read)
            return read.error();
        return writer.flush();
    }
    if (auto declared = from.exec(u"DECLARE tollgate_copy NO SCROLL CURSOR FOR "_s + select); !declared)
        return makeError(u"cannot read %1: %2"_s.arg(table, declared.error().message));
    for (;;) {
        QSqlQuery query(from.db());
        query.setForwardOnly(true);
        if (!query.exec(u"FETCH FORWARD 2000 FROM tollgate_copy"_s))
            return makeError(u"cannot read %1: %2"_s.arg(table, query.lastError().text()));
        const auto read = rowsOf(query);
        if (!read)
            return read.error();
        if (*read == 0)
            break;
    }
    if (auto closed = from.exec(u"CLOSE tollgate_copy"_s); !closed)
        return closed;
    return writer.flush();
}

// PostgreSQL: every column a sequence fills (BIGSERIAL) continues after the largest copied value,
// so the next row a gateway inserts does not collide with a copied id.
Result<void> resetSequences(Connection &to, const QStringList &tables)
{
    for (const QString &table : tables) {
        const auto serial = to.strings(
            u"SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = %1 AND column_default LIKE 'nextval(%'"_s.arg(literal(table)));
        if (!serial)
            return serial.error();
        for (const QString &column : *serial) {
            const QString sql
                = u"SELECT setval(pg_get_serial_sequence(%1, %2), COALESCE(MAX(%3), 0) + 1, false) FROM %4"_s
                      .arg(literal(quoted(table)), literal(column), quoted(column), quoted(table));
            if (auto set = to.exec(sql); !set)
                return makeError(
                    u"cannot move the sequence of %1.%2: %3"_s.arg(table, column, set.error().message));
        }
    }
    return {};
}

} // namespace

QStringList DatabaseCopyReport::mismatches() const
{
    QStringList differences;
    for (const Table &table : tables) {
        if (table.fromRows != table.toRows)
            differences.append(
                u"%1: %2 rows in FROM, %3 in TO"_s.arg(table.name).arg(table.fromRows).arg(table.toRows));
    }
    for (const Sum &sum : sums) {
        if (sum.from != sum.to)
            differences.append(
                u"%1.%2: sum %3 in FROM, %4 in TO"_s.arg(sum.table, sum.column).arg(sum.from).arg(sum.to));
    }
    return differences;
}

bool sameDatabase(const DatabaseTarget &a, const DatabaseTarget &b)
{
    if (a.isPostgres() != b.isPostgres())
        return false;
    if (!a.isPostgres()) {
        const QFileInfo first(a.sqlitePath);
        const QFileInfo second(b.sqlitePath);
        if (first.exists() && second.exists())
            return first.canonicalFilePath() == second.canonicalFilePath();
        return first.absoluteFilePath() == second.absoluteFilePath();
    }
    return a.host == b.host && a.port == b.port && a.database == b.database;
}

Result<DatabaseCopyReport> copyDatabase(const DatabaseTarget &from, const DatabaseTarget &to)
{
    const QString fromName = from.describe();
    const QString toName = to.describe();
    const int latest = latestSchemaVersion();

    // 1. Everything that can be refused is refused before either database is written.
    if (!from.isPostgres()) {
        if (from.sqlitePath == u":memory:"_s || !QFileInfo(from.sqlitePath).isFile())
            return makeError(u"%1 does not exist (FROM must be an existing database)"_s.arg(fromName));
    }
    if (!to.isPostgres() && to.sqlitePath == u":memory:"_s)
        return makeError(u"TO must be a file or a postgresql:// URL"_s);
    {
        Connection source;
        if (auto opened = source.open(from); !opened)
            return opened.error();
        const auto version = source.schemaVersion();
        if (!version)
            return makeError(
                u"cannot read the schema version of %1: %2"_s.arg(fromName, version.error().message));
        if (*version == 0)
            return makeError(u"%1 holds no Tollgate database"_s.arg(fromName));
        if (auto alone = noGatewayConnected(source, fromName); !alone)
            return alone.error();
        if (*version > latest) {
            return makeError(
                u"%1 is at schema version %2, newer than this Tollgate (%3); use a newer Tollgate"_s
                    .arg(fromName)
                    .arg(*version)
                    .arg(latest));
        }
    }
    if (to.isPostgres() || QFileInfo::exists(to.sqlitePath)) {
        Connection target;
        if (auto opened = target.open(to); !opened)
            return opened.error();
        const auto version = target.schemaVersion();
        if (!version)
            return makeError(
                u"cannot read the schema version of %1: %2"_s.arg(toName, version.error().message));
        if (*version > latest) {
            return makeError(
                u"%1 is at schema version %2, newer than this Tollgate (%3)"_s.arg(toName).arg(*version).arg(
                    latest));
        }
        if (auto alone = noGatewayConnected(target, toName); !alone)
            return alone.error();
        const auto held = rowsHeld(target);
        if (!held)
            return makeError(u"cannot read %1: %2"_s.arg(toName, held.error().message));
        if (!held->isEmpty()) {
            return makeError(
                u"%1 already holds data (%2): migrate into a new, empty database"_s.arg(toName, *held));
        }
    }

    // 2. Both at this build's schema; FROM's answered calls all in.
    if (auto opened = openOnce(from, true); !opened)
        return opened.error();
    if (auto opened = openOnce(to, false); !opened)
        return opened.error();

    Connection source;
    Connection target;
    if (auto opened = source.open(from); !opened)
        return opened.error();
    if (auto opened = target.open(to); !opened)
        return opened.error();

    DatabaseCopyReport report;
    report.schemaVersion = latest;
    const auto fromTables = source.tables();
    if (!fromTables)
        return makeError(u"cannot list the tables of %1: %2"_s.arg(fromName, fromTables.error().message));
    const auto toTables = target.tables();
    if (!toTables)
        return makeError(u"cannot list the tables of %1: %2"_s.arg(toName, toTables.error().message));
    QStringList tables;
    for (const QString &table : *fromTables) {
        if (toTables->contains(table))
            tables.append(table);
        else
            report.skipped.append(table);
    }

    // 3. The copy: FROM read in one snapshot, TO written in one transaction.
    const auto rollBack = [&source, &target] {
        (void)target.exec(u"ROLLBACK"_s);
        (void)source.exec(u"ROLLBACK"_s);
    };
    if (auto begun
        = source.exec(source.postgres() ? u"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"_s : u"BEGIN"_s);
        !begun) {
        return makeError(u"cannot read %1: %2"_s.arg(fromName, begun.error().message));
    }
    if (auto begun = target.exec(target.postgres() ? u"BEGIN"_s : u"BEGIN IMMEDIATE"_s); !begun) {
        (void)source.exec(u"ROLLBACK"_s);
        return makeError(u"cannot write %1: %2"_s.arg(toName, begun.error().message));
    }
    // Checked again under the write transaction: nothing may have written TO meanwhile.
    if (const auto held = rowsHeld(target); !held || !held->isEmpty()) {
        rollBack();
        return makeError(
            held ? u"%1 already holds data (%2): migrate into a new, empty database"_s.arg(toName, *held)
                 : u"cannot read %1: %2"_s.arg(toName, held.error().message));
    }
    for (const QString &table : std::as_const(tables)) {
        const auto fromColumns = source.columns(table);
        const auto toColumns = target.columns(table);
        if (!fromColumns || !toColumns) {
            rollBack();
            return makeError(u"cannot read the columns of %1: %2"_s.arg(
                table, (fromColumns ? toColumns.error() : fromColumns.error()).message));
        }
        QStringList columns;
        for (const QString &column : *fromColumns) {
            if (toColumns->contains(column))
                columns.append(column);
            else if (column != u"rowid"_s) // PostgreSQL's stand-in for SQLite's implicit rowid
                report.skipped.append(table + u'.' + column);
        }
        if (columns.isEmpty())
            continue;
        TableWriter writer(target, table, columns);
        if (auto copied = copyRows(source, table, columns, writer); !copied) {
            rollBack();
            return makeError(u"copying %1 from %2 to %3 failed (%3 is left as it was): %4"_s.arg(
                table, fromName, toName, copied.error().message));
        }
    }
    if (target.postgres()) {
        if (auto reset = resetSequences(target, tables); !reset) {
            rollBack();
            return reset.error();
        }
    }
    if (auto committed = target.exec(u"COMMIT"_s); !committed) {
        rollBack();
        return makeError(u"cannot commit the copy into %1: %2"_s.arg(toName, committed.error().message));
    }
    (void)source.exec(u"COMMIT"_s);

    // 4. Counted again on both sides, from what is committed.
    for (const QString &table : std::as_const(tables)) {
        const auto fromRows = source.rows(table);
        const auto toRows = target.rows(table);
        if (!fromRows || !toRows)
            return makeError(u"cannot count the rows of %1: %2"_s.arg(
                table, (fromRows ? toRows.error() : fromRows.error()).message));
        report.tables.append({ table, *fromRows, *toRows });
        const auto columns = source.columns(table);
        if (!columns)
            return columns.error();
        for (const QString &column : *columns) {
            if (!isMoneyColumn(column))
                continue;
            const auto fromSum = source.sum(table, column);
            const auto toSum = target.sum(table, column);
            if (!fromSum || !toSum)
                return makeError(u"cannot sum %1.%2: %3"_s.arg(
                    table, column, (fromSum ? toSum.error() : fromSum.error()).message));
            report.sums.append({ table, column, *fromSum, *toSum });
        }
    }
    return report;
}

} // namespace Tollgate
