// Issue #17: `tollgate --migrate-db FROM TO`, with the real binary and the fixture's
// PostgreSQL server. A SQLite database filled by a headless gateway (a user, keys, an end user,
// spend from calls, a kill -9 so the spend journal may still hold calls) is copied into
// PostgreSQL: the rows and spend sums match, a gateway on the copy sees the keys and their spend
// and inserts new rows (the sequences continue after the copied ids), and a copy back into
// SQLite has the same rows. A non-empty TO, a bad URL, an unreachable server, a missing file and
// a database a gateway still runs on are refused.
// Runs as tst_migrate_db_pg (CTest fixture `postgres`).
#include "models/store/databasetarget.h"
#include "models/store/migrations.h"
#include "models/store/store.h"
#include "tests/support/headlessgateway.h"
#include "tests/support/httpclient.h"
#include "tests/support/pgtestdb.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto MasterKey = "sk-migrate-master";

quint16 startGateway(QProcess &process, const QString &config, const QStringList &extra = {})
{
    return Test::startHeadlessGateway(process, config, extra);
}

bool writeConfig(const QString &path, const QString &databaseUrl = {}, const QString &journalDir = {})
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(Test::pricedMockConfig("sk-migrate-master"));
    if (!databaseUrl.isEmpty())
        file.write("  database_url: \"" + databaseUrl.toUtf8() + "\"\n");
    if (!journalDir.isEmpty())
        file.write("  journal_dir: \"" + journalDir.toUtf8() + "\"\n");
    return true;
}

QString urlOf(const DatabaseTarget &target)
{
    return u"postgresql://%1@%2:%3/%4"_s.arg(target.user, target.host).arg(target.port).arg(target.database);
}

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run migrate(const QStringList &arguments)
{
    QProcess process;
    process.start(qEnvironmentVariable("TOLLGATE_BINARY"), QStringList { u"--migrate-db"_s } + arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

QByteArray chatBody(int i)
{
    return QJsonDocument(QJsonObject { { u"model"_s, u"priced"_s },
                                       { u"user"_s, u"cust-a"_s },
                                       { u"messages"_s,
                                         QJsonArray { QJsonObject {
                                             { u"role"_s, u"user"_s },
                                             { u"content"_s, u"call number %1"_s.arg(i) } } } } })
        .toJson(QJsonDocument::Compact);
}

// A connection of the test's own to a SQLite file or a PostgreSQL database.
class Db
{
public:
    explicit Db(const DatabaseTarget &target)
    {
        static int count = 0;
        m_name = u"tst-migrate-%1"_s.arg(++count);
        const auto added = target.addConnection(m_name, u"tollgate-test"_s);
        QSqlDatabase db = added ? *added : QSqlDatabase();
        if (!db.open())
            qWarning() << "cannot open" << target.describe() << db.lastError().text();
    }
    ~Db()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    Q_DISABLE_COPY_MOVE(Db)

    QVariant value(const QString &sql)
    {
        QSqlQuery query(QSqlDatabase::database(m_name));
        if (!query.exec(sql)) {
            qWarning() << sql << query.lastError().text();
            return {};
        }
        return query.next() ? query.value(0) : QVariant();
    }
    qint64 number(const QString &sql) { return value(sql).toLongLong(); }
    bool exec(const QString &sql)
    {
        QSqlQuery query(QSqlDatabase::database(m_name));
        const bool ok = query.exec(sql);
        if (!ok)
            qWarning() << sql << query.lastError().text();
        return ok;
    }

    // Rows per table and the spend sums, the way the test (not the tool) reads them.
    QMap<QString, qint64> summary()
    {
        QMap<QString, qint64> values;
        for (const QString &table : { u"spend_logs"_s, u"keys"_s, u"users"_s, u"end_users"_s,
                                      u"proxy_models"_s, u"audit_log"_s, u"settings"_s, u"responses"_s })
            values.insert(table, number(u"SELECT COUNT(*) FROM "_s + table));
        for (const QString &table : { u"spend_logs"_s, u"keys"_s, u"users"_s, u"end_users"_s })
            values.insert(table + u".spend"_s,
                          number(u"SELECT COALESCE(SUM(spend_nanousd), 0) FROM "_s + table));
        values.insert(u"responses.ids"_s, number(u"SELECT COUNT(DISTINCT response_id) FROM responses"_s));
        values.insert(u"audit_log.maxid"_s, number(u"SELECT COALESCE(MAX(id), 0) FROM audit_log"_s));
        return values;
    }

private:
    QString m_name;
};

} // namespace

class TestMigrateDbPg : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sqliteToPostgresAndBack();
    void refusals();
    void aTableALaterMigrationAddsIsCopiedWithItsTypes();

private:
    // A SQLite database with real content, made by a gateway that was then killed.
    // `heldCalls` more calls are answered while the test holds the database's write lock: they
    // are only in the spend journal when the gateway is killed.
    QString filledSqlite(const QString &dir, QStringList *callIds, QByteArray *key, int heldCalls = 0);
};

void TestMigrateDbPg::initTestCase()
{
    QVERIFY2(!postgresUrl().isEmpty(),
             "TOLLGATE_TEST_PG_URL is not set (run through ctest: tst_migrate_db_pg)");
    QVERIFY2(!qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"), "TOLLGATE_BINARY is not set");
}

QString TestMigrateDbPg::filledSqlite(const QString &dir, QStringList *callIds, QByteArray *key,
                                      int heldCalls)
{
    const QString config = dir + u"/sqlite.yaml"_s;
    const QString path = dir + u"/source.db"_s;
    if (!writeConfig(config))
        return {};
    QProcess gateway;
    const quint16 port = startGateway(gateway, config, { u"--db"_s, path });
    if (port == 0)
        return {};
    HttpClient admin(port);
    admin.setDefaultHeaders({ { "Authorization", "Bearer " + QByteArray(MasterKey) } });
    if (admin.post("/user/new", R"({"user_id": "alice", "max_budget": 50})").status != 200
        || admin.post("/customer/new", R"({"user_id": "cust-a", "max_budget": 20})").status != 200)
        return {};
    const auto generated
        = admin.post("/key/generate", R"({"user_id": "alice", "max_budget": 10, "key_alias": "k1"})");
    if (generated.status != 200)
        return {};
    *key = generated.json().value(u"key"_s).toString().toLatin1();
    if (admin.post("/key/generate", R"({"key_alias": "spare"})").status != 200)
        return {};
    HttpClient client(port);
    client.setDefaultHeaders({ { "Authorization", "Bearer " + *key } });
    for (int i = 0; i < 25; ++i) {
        const auto response = client.post("/v1/chat/completions", chatBody(i));
        if (response.status != 200)
            return {};
        callIds->append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }
    QTest::qWait(200); // the calls' lazy batch is committed
    Db writer(DatabaseTarget::sqlite(path));
    if (heldCalls > 0 && !writer.exec(u"BEGIN IMMEDIATE"_s))
        return {};
    for (int i = 0; i < heldCalls; ++i) {
        const auto response = client.post("/v1/chat/completions", chatBody(50 + i));
        if (response.status != 200)
            return {};
        callIds->append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }
    // Killed: what the journal still holds must come along (the copy folds it first).
    ::kill(pid_t(gateway.processId()), SIGKILL);
    gateway.waitForFinished(5000);
    if (heldCalls > 0)
        writer.exec(u"ROLLBACK"_s);
    return path;
}

void TestMigrateDbPg::sqliteToPostgresAndBack()
{
    QTemporaryDir dir;
    QStringList callIds;
    QByteArray key;
    const QString source = filledSqlite(dir.path(), &callIds, &key, 5);
    QVERIFY(!source.isEmpty());
    QCOMPARE(callIds.size(), 30);
    auto pg = freshPostgresDatabase();
    QVERIFY(pg.ok());

    // Two relayed responses (the table whose insertion order PostgreSQL keeps in a serial
    // `rowid`), written the way the store writes them.
    {
        Db sqlite(DatabaseTarget::sqlite(source));
        // The last calls are in the journal only.
        QCOMPARE(sqlite.number(u"SELECT COUNT(*) FROM spend_logs"_s), 25);
        for (const QString &id : { u"resp_1"_s, u"resp_2"_s }) {
            QVERIFY(sqlite.exec(
                u"INSERT INTO responses (response_id, deployment_id, model_group, api_key, "
                "context_tokens, created_at_ms) VALUES ('%1', 'dep', 'priced', 'tok', 7, 1700000000000)"_s
                    .arg(id)));
        }
    }

    const Run copied = migrate({ source, urlOf(*pg) });
    QVERIFY2(copied.exitCode == 0, copied.err.constData());
    QVERIFY2(copied.out.contains("row counts and spend sums match"), copied.out.constData());
    QVERIFY2(copied.out.contains("spend_logs: "), copied.out.constData());

    QMap<QString, qint64> before;
    QMap<QString, qint64> after;
    {
        Db sqlite(DatabaseTarget::sqlite(source));
        Db postgres(*pg);
        before = sqlite.summary();
        after = postgres.summary();
        // Every answered call is in the copy (the killed gateway's journal was folded first).
        for (const QString &id : std::as_const(callIds))
            QCOMPARE(postgres.number(u"SELECT COUNT(*) FROM spend_logs WHERE request_id = '%1'"_s.arg(id)),
                     1);
        // Values keep their types: integers as numbers, empty text as empty text (not NULL).
        QCOMPARE(postgres.number(u"SELECT COUNT(*) FROM spend_logs WHERE reason = '' AND total_tokens > 0"_s),
                 30);
        QCOMPARE(postgres.number(u"SELECT COUNT(*) FROM keys WHERE user_id IS NULL"_s),
                 sqlite.number(u"SELECT COUNT(*) FROM keys WHERE user_id IS NULL"_s));
    }
    QCOMPARE(before.value(u"spend_logs"_s), 30);
    QVERIFY(before.value(u"keys"_s) >= 2);
    QCOMPARE(before.value(u"users"_s), 1);
    QCOMPARE(before.value(u"end_users"_s), 1);
    QCOMPARE(before.value(u"responses"_s), 2);
    QVERIFY(before.value(u"audit_log"_s) > 0);
    QVERIFY(before.value(u"spend_logs.spend"_s) > 0);
    QCOMPARE(before.value(u"keys.spend"_s), before.value(u"spend_logs.spend"_s));
    QCOMPARE(before.value(u"end_users.spend"_s), before.value(u"spend_logs.spend"_s));
    QCOMPARE(after, before);

    // A gateway on the copy sees the key and its spend, and writes new rows (the audit log's
    // and the responses' sequences continue after the copied ids).
    const QString pgConfig = dir.filePath(u"pg.yaml"_s);
    QVERIFY(writeConfig(pgConfig, urlOf(*pg), dir.filePath(u"journal"_s)));
    QProcess gateway;
    const quint16 port = startGateway(gateway, pgConfig);
    QVERIFY(port != 0);
    HttpClient client(port);
    client.setDefaultHeaders({ { "Authorization", "Bearer " + key } });
    const auto info = client.get("/key/info");
    QCOMPARE(info.status, 200);
    const double spend = info.json().value(u"info"_s).toObject().value(u"spend"_s).toDouble();
    QVERIFY(qAbs(spend - double(before.value(u"keys.spend"_s)) / 1e9) < 1e-9);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(client.post("/v1/chat/completions", chatBody(100 + i)).status, 200);
    HttpClient admin(port);
    admin.setDefaultHeaders({ { "Authorization", "Bearer " + QByteArray(MasterKey) } });
    QCOMPARE(admin.post("/key/generate", R"({"key_alias": "after-migration"})").status, 200);
    const auto logs = admin.get("/spend/logs");
    QCOMPARE(logs.status, 200);
    QCOMPARE(QJsonDocument::fromJson(logs.body).array().size(), 33);
    gateway.terminate();
    QVERIFY(gateway.waitForFinished(10000));
    QCOMPARE(gateway.exitCode(), 0);
    {
        Db postgres(*pg);
        QCOMPARE(postgres.number(u"SELECT COUNT(*) FROM spend_logs"_s), 33);
        QVERIFY(postgres.number(u"SELECT MAX(id) FROM audit_log"_s) > before.value(u"audit_log.maxid"_s));
        QVERIFY(
            postgres.exec(u"INSERT INTO responses (response_id, deployment_id, model_group, created_at_ms) "
                          "VALUES ('resp_3', 'dep', 'priced', 1700000000001)"_s));
        QCOMPARE(postgres.number(u"SELECT rowid FROM responses WHERE response_id = 'resp_3'"_s), 3);
        QCOMPARE(postgres.number(u"SELECT rowid FROM responses WHERE response_id = 'resp_2'"_s), 2);
    }

    // And back into SQLite: the same rows as PostgreSQL has now.
    const QString back = dir.filePath(u"back.db"_s);
    const Run returned = migrate({ urlOf(*pg), back });
    QVERIFY2(returned.exitCode == 0, returned.err.constData());
    {
        Db postgres(*pg);
        Db sqlite(DatabaseTarget::sqlite(back));
        const auto pgNow = postgres.summary();
        QCOMPARE(pgNow.value(u"spend_logs"_s), 33);
        QCOMPARE(sqlite.summary(), pgNow);
        // The responses' insertion order survives the round trip (SQLite's rowid).
        QCOMPARE(sqlite.value(u"SELECT response_id FROM responses ORDER BY rowid DESC LIMIT 1"_s).toString(),
                 u"resp_3"_s);
        QCOMPARE(sqlite.number(u"SELECT COUNT(*) FROM spend_logs WHERE typeof(spend_nanousd) <> 'integer'"_s),
                 0);
    }
    // A gateway on the SQLite copy starts and knows the key.
    QProcess onBack;
    const quint16 backPort = startGateway(onBack, dir.filePath(u"sqlite.yaml"_s), { u"--db"_s, back });
    QVERIFY(backPort != 0);
    HttpClient backClient(backPort);
    backClient.setDefaultHeaders({ { "Authorization", "Bearer " + key } });
    QCOMPARE(backClient.get("/key/info").status, 200);
    QCOMPARE(backClient.post("/v1/chat/completions", chatBody(200)).status, 200);
    onBack.terminate();
    QVERIFY(onBack.waitForFinished(10000));
}

void TestMigrateDbPg::refusals()
{
    QTemporaryDir dir;
    QStringList callIds;
    QByteArray key;
    const QString source = filledSqlite(dir.path(), &callIds, &key);
    QVERIFY(!source.isEmpty());
    auto pg = freshPostgresDatabase();
    QVERIFY(pg.ok());
    QCOMPARE(migrate({ source, urlOf(*pg) }).exitCode, 0);

    // A target that holds data: refused, and left as it was.
    const Run again = migrate({ source, urlOf(*pg) });
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("already holds data"), again.err.constData());
    QVERIFY2(again.err.contains("spend_logs: 25 rows"), again.err.constData());
    {
        Db postgres(*pg);
        QCOMPARE(postgres.number(u"SELECT COUNT(*) FROM spend_logs"_s), 25);
    }
    const Run intoSqlite = migrate({ urlOf(*pg), source });
    QCOMPARE(intoSqlite.exitCode, 1);
    QVERIFY2(intoSqlite.err.contains("already holds data"), intoSqlite.err.constData());

    // Bad URLs and arguments: exit 2, the password never shown.
    const Run badPort = migrate({ source, u"postgresql://tollgate:hunter2@127.0.0.1:notaport/db"_s });
    QCOMPARE(badPort.exitCode, 2);
    QVERIFY(!QByteArray(badPort.out + badPort.err).contains("hunter2"));
    const Run noDatabase = migrate({ source, u"postgresql://tollgate:hunter2@127.0.0.1:5432"_s });
    QCOMPARE(noDatabase.exitCode, 2);
    QVERIFY2(noDatabase.err.contains("names no database"), noDatabase.err.constData());
    const Run otherScheme = migrate({ source, u"mysql://root:hunter2@localhost/x"_s });
    QCOMPARE(otherScheme.exitCode, 2);
    QVERIFY(!QByteArray(otherScheme.out + otherScheme.err).contains("hunter2"));
    QVERIFY(!QFileInfo::exists(u"mysql:"_s));
    QCOMPARE(migrate({ source }).exitCode, 2);
    QCOMPARE(migrate({ source, source }).exitCode, 2);
    QCOMPARE(migrate({ source, dir.filePath(u"x.db"_s), dir.filePath(u"y.db"_s) }).exitCode, 2);

    // An unreachable server: exit 1, named without its password; nothing written to FROM.
    const Run unreachable = migrate({ source, u"postgresql://tollgate:hunter2@127.0.0.1:1/spenddb"_s });
    QCOMPARE(unreachable.exitCode, 1);
    QVERIFY2(unreachable.err.contains("127.0.0.1:1/spenddb"), unreachable.err.constData());
    QVERIFY(!QByteArray(unreachable.out + unreachable.err).contains("hunter2"));

    // A FROM that does not exist is not created.
    const QString missing = dir.filePath(u"missing.db"_s);
    const Run noFile = migrate({ missing, dir.filePath(u"out.db"_s) });
    QCOMPARE(noFile.exitCode, 1);
    QVERIFY2(noFile.err.contains("does not exist"), noFile.err.constData());
    QVERIFY(!QFileInfo::exists(missing));
    QVERIFY(!QFileInfo::exists(dir.filePath(u"out.db"_s)));
    // Nor is a PostgreSQL database without a Tollgate schema a FROM.
    auto empty = freshPostgresDatabase();
    QVERIFY(empty.ok());
    const Run noSchema = migrate({ urlOf(*empty), dir.filePath(u"out.db"_s) });
    QCOMPARE(noSchema.exitCode, 1);
    QVERIFY2(noSchema.err.contains("holds no Tollgate database"), noSchema.err.constData());

    // A PostgreSQL database a gateway still runs on: refused the same way (its answered calls
    // may be in its local journal only).
    const QString pgConfig = dir.filePath(u"pg.yaml"_s);
    QVERIFY(writeConfig(pgConfig, urlOf(*pg), dir.filePath(u"journal"_s)));
    QProcess onPostgres;
    QVERIFY(startGateway(onPostgres, pgConfig) != 0);
    const Run pgBusy = migrate({ urlOf(*pg), dir.filePath(u"pgbusy.db"_s) });
    onPostgres.terminate();
    QVERIFY(onPostgres.waitForFinished(10000));
    QCOMPARE(pgBusy.exitCode, 1);
    QVERIFY2(pgBusy.err.contains("stop the gateways first"), pgBusy.err.constData());
    QVERIFY(!QFileInfo::exists(dir.filePath(u"pgbusy.db"_s)));

    // A SQLite database a gateway still runs on: its answered calls may not all be in yet.
    QProcess running;
    QVERIFY(startGateway(running, dir.filePath(u"sqlite.yaml"_s), { u"--db"_s, source }) != 0);
    const Run busy = migrate({ source, dir.filePath(u"busy.db"_s) });
    running.terminate();
    QVERIFY(running.waitForFinished(10000));
    QCOMPARE(busy.exitCode, 1);
    QVERIFY2(busy.err.contains("holds the spend journal"), busy.err.constData());
}

void TestMigrateDbPg::aTableALaterMigrationAddsIsCopiedWithItsTypes()
{
    // A table as a later schema step might add one (in both databases, the PostgreSQL one through
    // postgresDdl()): copied with no change to the tool, bytes as bytes, an empty blob as an empty
    // blob, NULL as NULL, 64-bit integers exact, its serial continued.
    QTemporaryDir dir;
    const QString future = u"CREATE TABLE future (id INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB, "
                           "big INTEGER, note TEXT)"_s;
    const DatabaseTarget source = DatabaseTarget::sqlite(dir.filePath(u"future.db"_s));
    {
        Store store;
        QVERIFY(store.open(source).ok());
        store.close();
    }
    auto pg = freshPostgresDatabase();
    QVERIFY(pg.ok());
    {
        Store store;
        QVERIFY(store.open(*pg).ok());
        store.close();
    }
    {
        Db sqlite(source);
        QVERIFY(sqlite.exec(future));
        QVERIFY(sqlite.exec(u"INSERT INTO future (id, payload, big, note) VALUES "
                            "(5, x'00ff10', 9007199254740993, 'x'), (9, NULL, -9223372036854775807, NULL), "
                            "(12, x'', 0, '')"_s));
        Db postgres(*pg);
        QVERIFY(postgres.exec(postgresDdl(future)));
    }
    const Run copied = migrate({ source.sqlitePath, urlOf(*pg) });
    QVERIFY2(copied.exitCode == 0, copied.err.constData());
    QVERIFY2(copied.out.contains("future: 3 → 3"), copied.out.constData());
    {
        Db postgres(*pg);
        QCOMPARE(postgres.value(u"SELECT encode(payload, 'hex') FROM future WHERE id = 5"_s).toString(),
                 u"00ff10"_s);
        QCOMPARE(postgres.number(u"SELECT big FROM future WHERE id = 5"_s), Q_INT64_C(9007199254740993));
        QCOMPARE(postgres.number(u"SELECT big FROM future WHERE id = 9"_s), -Q_INT64_C(9223372036854775807));
        QCOMPARE(postgres.number(
                     u"SELECT COUNT(*) FROM future WHERE id = 9 AND payload IS NULL AND note IS NULL"_s),
                 1);
        QCOMPARE(postgres.number(u"SELECT COUNT(*) FROM future WHERE id = 12 AND octet_length(payload) = 0 "
                                 "AND note = ''"_s),
                 1);
        QVERIFY(postgres.exec(u"INSERT INTO future (big) VALUES (1)"_s));
        QCOMPARE(postgres.number(u"SELECT MAX(id) FROM future"_s), 13);
    }

    // Back into a SQLite database that has the table too, and into one that has not (copied
    // without it, and said so).
    const DatabaseTarget back = DatabaseTarget::sqlite(dir.filePath(u"back.db"_s));
    {
        Store store;
        QVERIFY(store.open(back).ok());
        store.close();
        Db sqlite(back);
        QVERIFY(sqlite.exec(future));
    }
    const Run returned = migrate({ urlOf(*pg), back.sqlitePath });
    QVERIFY2(returned.exitCode == 0, returned.err.constData());
    {
        Db sqlite(back);
        QCOMPARE(sqlite.value(u"SELECT hex(payload) FROM future WHERE id = 5"_s).toString(), u"00FF10"_s);
        QCOMPARE(
            sqlite.value(u"SELECT typeof(payload) || typeof(big) || typeof(note) FROM future WHERE id = 12"_s)
                .toString(),
            u"blobintegertext"_s);
        QCOMPARE(
            sqlite.value(u"SELECT typeof(payload) || typeof(note) FROM future WHERE id = 9"_s).toString(),
            u"nullnull"_s);
        QCOMPARE(sqlite.number(u"SELECT big FROM future WHERE id = 9"_s), -Q_INT64_C(9223372036854775807));
    }
    const Run without = migrate({ urlOf(*pg), dir.filePath(u"without.db"_s) });
    QVERIFY2(without.exitCode == 0, without.err.constData());
    QVERIFY2(without.out.contains("not copied (TO has no such table or column): future"),
             without.out.constData());
}

QTEST_GUILESS_MAIN(TestMigrateDbPg)
#include "tst_migrate_db_pg.moc"
