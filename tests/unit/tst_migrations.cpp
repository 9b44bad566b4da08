#include "models/store/migrations.h"
#include "models/store/spendlog.h"

#include <QCryptographicHash>
#include <QFile>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimeZone>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace Tollgate;

Q_DECLARE_METATYPE(Tollgate::SpendLogFilter)

namespace {

// A test's own connection to a database file, removed again when the test ends.
class Connection
{
public:
    explicit Connection(const QString &path)
        : m_name(u"tst_migrations-"_s + QString::number(++s_count))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        m_ok = db.open();
    }
    ~Connection()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    Q_DISABLE_COPY_MOVE(Connection)

    [[nodiscard]] bool ok() const { return m_ok; }
    [[nodiscard]] QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }

    // First column of the first row, or an invalid QVariant when the statement fails.
    QVariant scalar(const QString &sql) const
    {
        QSqlQuery query(db());
        if (!query.exec(sql) || !query.next())
            return {};
        return query.value(0);
    }
    bool exec(const QString &sql) const
    {
        QSqlQuery query(db());
        return query.exec(sql);
    }
    int userVersion() const { return scalar(u"PRAGMA user_version"_s).toInt(); }
    bool hasObject(const QString &type, const QString &name) const
    {
        QSqlQuery query(db());
        query.prepare(u"SELECT count(*) FROM sqlite_master WHERE type = ? AND name = ?"_s);
        query.addBindValue(type);
        query.addBindValue(name);
        return query.exec() && query.next() && query.value(0).toInt() == 1;
    }

private:
    static inline int s_count = 0;
    QString m_name;
    bool m_ok = false;
};

QByteArray fileHash(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

// QVERIFY2 evaluates its message even when the check passes: never touch error() of a
// good result.
template<typename R>
const char *why(const R &result)
{
    static QByteArray text;
    text = result.ok() ? QByteArray() : result.error().message.toUtf8();
    return text.constData();
}

Migration step(int version, QStringList statements)
{
    return Migration{version, u"test step %1"_s.arg(version), std::move(statements)};
}

} // namespace

class TestMigrations : public QObject
{
    Q_OBJECT

private slots:
    void postgresDdlWidensTypes();
    void initTestCase();
    void init();
    void cleanup();

    void projectStepsAreNumberedInOrder();
    void freshDatabaseHasObject_data();
    void freshDatabaseHasObject();
    void freshDatabaseReachesLatestVersion();
    void spendLogDefaults();
    void partialSpendIndexesServeTheirFilters_data();
    void partialSpendIndexesServeTheirFilters();
    void rerunIsIdempotent();
    void upgradesOlderDatabase();
    void version3SpendLogGainsAgentColumns();
    void failingStepRollsBack_data();
    void failingStepRollsBack();
    void newerDatabaseIsRefusedUntouched();
    void malformedStepListIsRefused_data();
    void malformedStepListIsRefused();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

void TestMigrations::initTestCase()
{
    // Opened/closed/migrated lines repeat for every test; warnings still show.
    QLoggingCategory::setFilterRules(u"tollgate.store.info=false"_s);
}

void TestMigrations::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(u"tollgate.db"_s);
}

void TestMigrations::cleanup()
{
    m_dir.reset();
}

void TestMigrations::projectStepsAreNumberedInOrder()
{
    const QList<Migration> &steps = migrations();
    QVERIFY(!steps.isEmpty());
    for (qsizetype i = 0; i < steps.size(); ++i) {
        QCOMPARE(steps.at(i).version, int(i + 1));
        QVERIFY(!steps.at(i).description.isEmpty());
        QVERIFY(!steps.at(i).statements.isEmpty());
    }
    QCOMPARE(latestSchemaVersion(), steps.constLast().version);
}

void TestMigrations::freshDatabaseHasObject_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("name");

    QTest::newRow("spend log table") << u"table"_s << u"spend_logs"_s;
    QTest::newRow("spend log by start time") << u"index"_s << u"idx_spend_logs_start_time"_s;
    QTest::newRow("spend log by key") << u"index"_s << u"idx_spend_logs_api_key"_s;
    QTest::newRow("spend log by user") << u"index"_s << u"idx_spend_logs_user_id"_s;
    QTest::newRow("spend log by end user") << u"index"_s << u"idx_spend_logs_end_user"_s;
    QTest::newRow("spend log by model group") << u"index"_s << u"idx_spend_logs_model_group"_s;
    QTest::newRow("spend log by session") << u"index"_s << u"idx_spend_logs_session_id"_s;
    QTest::newRow("audit log table") << u"table"_s << u"audit_log"_s;
    QTest::newRow("audit log by time") << u"index"_s << u"idx_audit_log_at"_s;
    QTest::newRow("settings table") << u"table"_s << u"settings"_s;
}

void TestMigrations::freshDatabaseHasObject()
{
    QFETCH(QString, type);
    QFETCH(QString, name);

    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    const Result<int> version = migrate(db);
    QVERIFY2(version.ok(), why(version));
    QVERIFY2(conn.hasObject(type, name), qPrintable(type + u' ' + name + u" is missing"_s));
}

void TestMigrations::freshDatabaseReachesLatestVersion()
{
    Connection conn(m_path);
    QVERIFY(conn.ok());
    QCOMPARE(conn.userVersion(), 0);
    QSqlDatabase db = conn.db();
    const Result<int> version = migrate(db);
    QVERIFY2(version.ok(), why(version));
    QCOMPARE(*version, latestSchemaVersion());
    QCOMPARE(conn.userVersion(), latestSchemaVersion());
}

void TestMigrations::spendLogDefaults()
{
    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    QVERIFY(migrate(db).ok());

    // Only the NOT NULL columns without a default are given.
    QVERIFY(conn.exec(u"INSERT INTO spend_logs (request_id, call_type, start_time, end_time) "
                      "VALUES ('r1', 'acompletion', '2025-01-01T00:00:00.000Z', "
                      "'2025-01-01T00:00:01.000Z')"_s));
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SELECT api_key, spend_nanousd, total_tokens, status, cost_estimated, "
                       "price_unknown, metadata FROM spend_logs WHERE request_id = 'r1'"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), QString());
    QCOMPARE(query.value(1).toLongLong(), 0LL);
    QCOMPARE(query.value(2).toLongLong(), 0LL);
    QCOMPARE(query.value(3).toString(), u"success"_s);
    QCOMPARE(query.value(4).toInt(), 0);
    QCOMPARE(query.value(5).toInt(), 0);
    QCOMPARE(query.value(6).toString(), u"{}"_s);
    query.finish();

    // The request id is the key: a call is logged once.
    QVERIFY(!conn.exec(u"INSERT INTO spend_logs (request_id, call_type, start_time, end_time) "
                       "VALUES ('r1', 'acompletion', 'a', 'b')"_s));
}

void TestMigrations::partialSpendIndexesServeTheirFilters_data()
{
    QTest::addColumn<QString>("index");
    QTest::addColumn<SpendLogFilter>("filter");
    QTest::addColumn<QStringList>("found");

    // Each row sets one field of the filter.
    const auto row = [](const char *name, const QString &index, QString SpendLogFilter::*field, const QString &value,
                        const QStringList &found) {
        SpendLogFilter filter;
        filter.*field = value;
        QTest::newRow(name) << index << filter << found;
    };
    row("user", u"idx_spend_logs_user_id"_s, &SpendLogFilter::userId, u"u1"_s, {u"r2"_s});
    row("end user", u"idx_spend_logs_end_user"_s, &SpendLogFilter::endUser, u"e1"_s, {u"r2"_s});
    row("session", u"idx_spend_logs_session_id"_s, &SpendLogFilter::sessionId, u"s1"_s, {u"r2"_s});
    row("refused", u"idx_spend_logs_status"_s, &SpendLogFilter::status, u"refused"_s, {u"r2"_s});
    // Not in the status index: found all the same.
    row("success", QString(), &SpendLogFilter::status, u"success"_s, {u"r3"_s, u"r1"_s});
}

void TestMigrations::partialSpendIndexesServeTheirFilters()
{
    QFETCH(QString, index);
    QFETCH(SpendLogFilter, filter);
    QFETCH(QStringList, found);

    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    QVERIFY(migrate(db).ok());
    const auto insert = [&db](const QString &id, const QString &user, const QString &session, const QString &status) {
        SpendLogRow row;
        row.requestId = id;
        row.callType = u"acompletion"_s;
        row.startTime = QDateTime(QDate(2026, 1, 1), QTime(0, 0, id.mid(1).toInt()), QTimeZone::utc());
        row.endTime = row.startTime;
        row.userId = user;
        row.endUser = user.isEmpty() ? QString() : u"e1"_s;
        row.sessionId = session;
        row.status = status;
        bool inserted = false;
        return SpendLogRepository::insertOnce(db, row, &inserted).ok() && inserted;
    };
    QVERIFY(insert(u"r1"_s, {}, {}, u"success"_s));
    QVERIFY(insert(u"r2"_s, u"u1"_s, u"s1"_s, u"refused"_s));
    QVERIFY(insert(u"r3"_s, {}, {}, u"success"_s));

    // The indexes hold only the rows with a value (a status other than success).
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SELECT count(*) FROM spend_logs INDEXED BY idx_spend_logs_user_id WHERE user_id <> ''"_s));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 1);
    query.finish();

    const QString plan = SpendLogRepository::findPlan(db, filter).join(u'\n');
    if (!index.isEmpty())
        QVERIFY2(plan.contains(u"USING INDEX "_s + index), qPrintable(plan));
    const auto rows = SpendLogRepository::find(db, filter, 10, 0);
    QVERIFY(rows.ok());
    QStringList ids;
    for (const SpendLogRow &row : *rows)
        ids.append(row.requestId);
    QCOMPARE(ids, found);
}

void TestMigrations::rerunIsIdempotent()
{
    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    QVERIFY(migrate(db).ok());
    const QVariant objects = conn.scalar(u"SELECT count(*) FROM sqlite_master"_s);
    QVERIFY(conn.exec(u"INSERT INTO settings (key, value) VALUES ('k', 'v')"_s));

    const Result<int> again = migrate(db);
    QVERIFY2(again.ok(), why(again));
    QCOMPARE(*again, latestSchemaVersion());
    QCOMPARE(conn.scalar(u"SELECT count(*) FROM sqlite_master"_s), objects);
    QCOMPARE(conn.scalar(u"SELECT value FROM settings WHERE key = 'k'"_s).toString(), u"v"_s);
}

void TestMigrations::upgradesOlderDatabase()
{
    const QList<Migration> steps{
        step(1, {u"CREATE TABLE a (x INTEGER)"_s, u"INSERT INTO a VALUES (1)"_s}),
        step(2, {u"CREATE TABLE b (y INTEGER)"_s, u"INSERT INTO b SELECT x + 1 FROM a"_s}),
    };
    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();

    const Result<int> v1 = migrate(db, steps.mid(0, 1));
    QVERIFY2(v1.ok(), why(v1));
    QCOMPARE(*v1, 1);
    QVERIFY(!conn.hasObject(u"table"_s, u"b"_s));

    const Result<int> v2 = migrate(db, steps);
    QVERIFY2(v2.ok(), why(v2));
    QCOMPARE(*v2, 2);
    QCOMPARE(conn.userVersion(), 2);
    // Step 1 was not run again (one row in a), step 2 saw its data.
    QCOMPARE(conn.scalar(u"SELECT count(*) FROM a"_s).toInt(), 1);
    QCOMPARE(conn.scalar(u"SELECT y FROM b"_s).toInt(), 2);
}

void TestMigrations::version3SpendLogGainsAgentColumns()
{
    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    // A database as the build with cached_tokens (schema 3) left it, with a row of each call type.
    const Result<int> v3 = migrate(db, migrations().mid(0, 3));
    QVERIFY2(v3.ok(), why(v3));
    QCOMPARE(*v3, 3);
    QVERIFY(!conn.exec(u"SELECT session_id FROM spend_logs"_s));
    const QStringList callTypes{u"acompletion"_s, u"atext_completion"_s, u"aembedding"_s,
                                u"anthropic_messages"_s, u"aimage_generation"_s};
    for (qsizetype i = 0; i < callTypes.size(); ++i) {
        QVERIFY(conn.exec(u"INSERT INTO spend_logs (request_id, call_type, start_time, end_time, cached_tokens) "
                          "VALUES ('r%1', '%2', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', %1)"_s
                              .arg(i)
                              .arg(callTypes.at(i))));
    }

    const Result<int> v4 = migrate(db);
    QVERIFY2(v4.ok(), why(v4));
    QCOMPARE(*v4, latestSchemaVersion());
    // v5: the relayed responses.
    QVERIFY(conn.exec(u"SELECT response_id, deployment_id, model_group, api_key, context_tokens, created_at_ms "
                      "FROM responses"_s));
    QSqlQuery query(db);
    QVERIFY(query.exec(u"SELECT call_type, dialect, cache_write_tokens, cache_write_1h_tokens, session_id, "
                       "cached_tokens FROM spend_logs ORDER BY request_id"_s));
    const QStringList dialects{u"chat"_s, u"completions"_s, u"embeddings"_s, u"messages"_s, QString()};
    for (qsizetype i = 0; i < callTypes.size(); ++i) {
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), callTypes.at(i));
        QCOMPARE(query.value(1).toString(), dialects.at(i));   // an unknown call type has none
        QCOMPARE(query.value(2).toLongLong(), 0LL);
        QCOMPARE(query.value(3).toLongLong(), 0LL);
        QVERIFY(!query.value(4).isNull());
        QCOMPARE(query.value(4).toString(), QString());
        QCOMPARE(query.value(5).toLongLong(), qint64(i));        // kept
    }
    QVERIFY(!query.next());
    query.finish();

    // New rows that name none of the columns read as none.
    QVERIFY(conn.exec(u"INSERT INTO spend_logs (request_id, call_type, start_time, end_time) "
                      "VALUES ('new', 'acompletion', 'a', 'b')"_s));
    QCOMPARE(conn.scalar(u"SELECT dialect || '|' || session_id || '|' || cache_write_tokens "
                         "FROM spend_logs WHERE request_id = 'new'"_s).toString(),
             u"||0"_s);
}

void TestMigrations::failingStepRollsBack_data()
{
    QTest::addColumn<QStringList>("statements");
    QTest::addColumn<QString>("sqlError");

    QTest::newRow("later statement hits a missing table")
        << QStringList{u"CREATE TABLE half (x INTEGER)"_s, u"INSERT INTO nowhere VALUES (1)"_s}
        << u"no such table"_s;
    QTest::newRow("statement with a syntax error")
        << QStringList{u"CREATE TABLE half (x INTEGER)"_s, u"CREATE TABLEX broken"_s} << u"syntax error"_s;
    QTest::newRow("constraint violation")
        << QStringList{u"CREATE TABLE half (x INTEGER NOT NULL)"_s, u"INSERT INTO half VALUES (NULL)"_s}
        << u"NOT NULL"_s;
}

void TestMigrations::failingStepRollsBack()
{
    QFETCH(QStringList, statements);
    QFETCH(QString, sqlError);

    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    const QList<Migration> steps{step(1, {u"CREATE TABLE a (x INTEGER)"_s}), step(2, statements)};

    const Result<int> result = migrate(db, steps);
    QVERIFY(!result.ok());
    const QString message = result.error().message;
    QVERIFY2(message.contains(u"version 2"_s), qPrintable(message));
    QVERIFY2(message.contains(sqlError, Qt::CaseInsensitive), qPrintable(message));

    // Step 1 stays applied, step 2 left nothing behind.
    QCOMPARE(conn.userVersion(), 1);
    QVERIFY(conn.hasObject(u"table"_s, u"a"_s));
    QVERIFY(!conn.hasObject(u"table"_s, u"half"_s));
    // No transaction was left open: the connection still writes.
    QVERIFY(conn.exec(u"INSERT INTO a VALUES (1)"_s));
}

void TestMigrations::newerDatabaseIsRefusedUntouched()
{
    const int newer = latestSchemaVersion() + 1;
    {
        Connection setup(m_path);
        QVERIFY(setup.ok());
        QVERIFY(setup.exec(u"CREATE TABLE from_the_future (x INTEGER)"_s));
        QVERIFY(setup.exec(u"PRAGMA user_version = %1"_s.arg(newer)));
    }
    const QByteArray before = fileHash(m_path);
    QVERIFY(!before.isEmpty());

    {
        Connection conn(m_path);
        QVERIFY(conn.ok());
        QSqlDatabase db = conn.db();
        const Result<int> result = migrate(db);
        QVERIFY(!result.ok());
        QCOMPARE(result.error().message,
                 u"database schema version %1 is newer than this Tollgate (%2); upgrade Tollgate"_s
                     .arg(newer)
                     .arg(latestSchemaVersion()));
        QCOMPARE(conn.userVersion(), newer);
        QVERIFY(!conn.hasObject(u"table"_s, u"spend_logs"_s));
    }
    QCOMPARE(fileHash(m_path), before);
}

void TestMigrations::malformedStepListIsRefused_data()
{
    QTest::addColumn<QList<int>>("versions");

    QTest::newRow("a gap between versions") << QList<int>{1, 3};
    QTest::newRow("a version repeated") << QList<int>{1, 1};
    QTest::newRow("not starting at one") << QList<int>{2};
}

void TestMigrations::malformedStepListIsRefused()
{
    QFETCH(QList<int>, versions);

    QList<Migration> steps;
    for (int version : versions)
        steps.append(step(version, {u"CREATE TABLE t%1 (x INTEGER)"_s.arg(steps.size())}));
    Connection conn(m_path);
    QVERIFY(conn.ok());
    QSqlDatabase db = conn.db();
    const Result<int> result = migrate(db, steps);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().message.contains(u"out of order"_s), qPrintable(result.error().message));
    QCOMPARE(conn.userVersion(), 0);
    QCOMPARE(conn.scalar(u"SELECT count(*) FROM sqlite_master"_s).toInt(), 0);
}

QTEST_GUILESS_MAIN(TestMigrations)
void TestMigrations::postgresDdlWidensTypes()
{
    using namespace Tollgate;
    QCOMPARE(postgresDdl(u"CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL DEFAULT 0, "
                         "b BLOB, integer_note TEXT)"_s),
             u"CREATE TABLE t (id BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0, b BYTEA, integer_note TEXT)"_s);
    QCOMPARE(postgresDdl(u"ALTER TABLE spend_logs ADD COLUMN x integer NOT NULL DEFAULT 0"_s),
             u"ALTER TABLE spend_logs ADD COLUMN x BIGINT NOT NULL DEFAULT 0"_s);
    // Every step has SQL for PostgreSQL, and none keeps a SQLite-only word.
    for (const Migration &step : migrations()) {
        for (const QString &sql : step.postgres.isEmpty() ? step.statements : step.postgres) {
            const QString pg = postgresDdl(sql);
            QVERIFY2(!pg.contains(u"AUTOINCREMENT"_s) && !pg.contains(u"PRAGMA"_s) && !pg.contains(u" INTEGER"_s),
                     qPrintable(pg));
        }
    }
}

#include "tst_migrations.moc"
