// The changes feed and the heartbeat on PostgreSQL (issue #17), with two stores (two instances'
// connections) on one database of the server tests/support/pgcluster.sh starts (CTest fixture
// `postgres`): the same SQL as on SQLite, plus LISTEN/NOTIFY waking a follower at COMMIT.
#include "models/identityregistry.h"
#include "models/store/changefeed.h"
#include "models/store/databasetarget.h"
#include "models/store/identityrepository.h"
#include "models/store/store.h"
#include "tests/support/pgtestdb.h"

#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QTest>

#include <atomic>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

VirtualKey makeKey(const QString &raw)
{
    VirtualKey key;
    key.token = IdentityRegistry::tokenOf(raw);
    key.keyName = keyDisplayName(raw);
    key.createdAt = key.updatedAt = QDateTime::currentDateTimeUtc();
    return key;
}

} // namespace

class TestSharedInstancesPg : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void feedAndHeartbeatOnPostgres();
    void notifyWakesTheOtherInstance();

private:
    DatabaseTarget m_target;
};

void TestSharedInstancesPg::init()
{
    if (Test::postgresUrl().isEmpty())
        QFAIL("TOLLGATE_TEST_PG_URL is not set: run as tst_sharedinstances_pg (CTest fixture postgres)");
    auto target = Test::freshPostgresDatabase();
    QVERIFY2(target.ok(), target.ok() ? "" : qPrintable(target.error().message));
    m_target = *target;
}

void TestSharedInstancesPg::feedAndHeartbeatOnPostgres()
{
    Store a;
    Store b;
    QVERIFY(a.open(m_target).ok());
    QVERIFY(b.open(m_target).ok());
    VirtualKey key = makeKey(u"sk-pgpgpgpgpgpgpgpgpgpgpg"_s);
    key.blocked = true;
    QVERIFY(a.writeNow(ChangeFeed::recorded(IdentityRepository::saveKey(key), u"a"_s)).ok());
    QVERIFY(a.writeNow(ChangeFeed::recorded(IdentityRepository::deleteKeys({u"gone"_s}), u"a"_s)).ok());
    auto value = b.readNow([](QSqlDatabase &db) -> QVariant {
        auto step = ChangeFeed::follow(db, 0, u"b"_s);
        return step ? QVariant::fromValue(*step) : QVariant::fromValue(step.error());
    });
    QVERIFY(value.ok());
    QCOMPARE(value->metaType(), QMetaType::fromType<ChangeFeed::Step>());
    const auto step = value->value<ChangeFeed::Step>();
    QCOMPARE(step.changes, 2);
    QCOMPARE(step.reloaded.keys.size(), 2);
    QVERIFY(step.reloaded.keys.at(0).second);
    QVERIFY(step.reloaded.keys.at(0).second->blocked);
    QVERIFY(!step.reloaded.keys.at(1).second);

    QVERIFY(a.writeNow(ChangeFeed::heartbeat(u"a"_s, 1, 5000, 60'000, 0)).ok());
    QVERIFY(b.writeNow(ChangeFeed::heartbeat(u"b"_s, 1, 5000, 60'000, 0)).ok());
    QVERIFY(a.writeNow(ChangeFeed::heartbeat(u"a"_s, 1, 9000, 60'000, 0)).ok());   // the upsert
    auto live = b.readNow([](QSqlDatabase &db) -> QVariant { return *ChangeFeed::liveInstances(db, 4000); });
    QVERIFY(live.ok());
    QCOMPARE(live->toStringList(), (QStringList{u"a"_s, u"b"_s}));
    live = b.readNow([](QSqlDatabase &db) -> QVariant { return *ChangeFeed::liveInstances(db, 6000); });
    QCOMPARE(live->toStringList(), QStringList{u"a"_s});
}

void TestSharedInstancesPg::notifyWakesTheOtherInstance()
{
    Store a;
    Store b;
    QVERIFY(a.open(m_target).ok());
    QVERIFY(b.open(m_target).ok());
    QObject receiver;
    std::atomic<int> woken{0};
    auto listening = b.readNow([&receiver, &woken](QSqlDatabase &db) -> QVariant {
        if (!ChangeFeed::listen(db))
            return false;
        QObject::connect(db.driver(), &QSqlDriver::notification, &receiver, [&woken](const QString &name) {
            if (name == ChangeFeed::NotifyChannel)
                ++woken;
        });
        return true;
    });
    QVERIFY(listening.ok());
    QVERIFY(listening->toBool());

    // A write that records nothing notifies nobody.
    QVERIFY(a.writeNow(ChangeFeed::recorded([](QSqlDatabase &) -> Result<void> { return {}; }, u"a"_s)).ok());
    QTest::qWait(200);
    QCOMPARE(woken.load(), 0);

    QElapsedTimer timer;
    timer.start();
    QVERIFY(a.writeNow(ChangeFeed::recorded(IdentityRepository::saveKey(makeKey(u"sk-nononononononononononono"_s)),
                                            u"a"_s))
                .ok());
    QTRY_VERIFY_WITH_TIMEOUT(woken.load() > 0, 1000);
    qInfo("NOTIFY reached the other store after %lld ms", timer.elapsed());
}

QTEST_GUILESS_MAIN(TestSharedInstancesPg)
#include "tst_sharedinstances_pg.moc"
