// Shared mode's parts that need no gateway: the split of a rate limit over the live instances
// (instanceShare) and the SQL of the changes feed and the heartbeat (ChangeFeed) on a real store.
#include "models/identityregistry.h"
#include "models/instanceshare.h"
#include "models/store/changefeed.h"
#include "models/store/identityrepository.h"
#include "models/store/store.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

VirtualKey makeKey(const QString &raw, const QString &userId = {})
{
    VirtualKey key;
    key.token = IdentityRegistry::tokenOf(raw);
    key.keyName = keyDisplayName(raw);
    key.userId = userId;
    key.createdAt = key.updatedAt = QDateTime::currentDateTimeUtc();
    return key;
}

qint64 count(Store &store, const QString &sql)
{
    auto value = store.readNow([sql](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        return query.exec(sql) && query.next() ? query.value(0) : QVariant(-1);
    });
    return value ? value->toLongLong() : -1;
}

ChangeFeed::Step follow(Store &store, qint64 seq, const QString &self)
{
    auto value = store.readNow([seq, self](QSqlDatabase &db) -> QVariant {
        auto step = ChangeFeed::follow(db, seq, self);
        return step ? QVariant::fromValue(*step) : QVariant::fromValue(step.error());
    });
    if (!value || value->metaType() != QMetaType::fromType<ChangeFeed::Step>())
        return {};
    return value->value<ChangeFeed::Step>();
}

} // namespace

class TestSharedInstances : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sharesSumToTheLimit();
    void sharesOfSmallLimits();
    void oneInstanceKeepsTheWholeLimit();
    void limitsSplitFieldByField();
    void managementWritesRecordTheirChanges();
    void plainWritesRecordNothing();
    void followerReloadsWhatOthersChanged();
    void aRegenerationKeepsTheLargerSpend();
    void followerTakesARegenerationAsOneReplacement();
    void heartbeatsMakeTheLiveList();
};

void TestSharedInstances::sharesSumToTheLimit()
{
    for (qint64 limit : {1, 2, 3, 7, 10, 11, 100, 1000, 999'983}) {
        for (int live = 1; live <= 9; ++live) {
            qint64 sum = 0;
            for (int rank = 0; rank < live; ++rank) {
                const qint64 share = instanceShare(limit, live, rank);
                // Each share is the floor or the ceiling of L / N.
                QVERIFY2(share == limit / live || share == limit / live + 1,
                         qPrintable(u"L=%1 N=%2 rank %3: %4"_s.arg(limit).arg(live).arg(rank).arg(share)));
                sum += share;
            }
            QCOMPARE(sum, limit);
        }
    }
    QCOMPARE(instanceShare(10, 3, 0), 4);
    QCOMPARE(instanceShare(10, 3, 1), 3);
    QCOMPARE(instanceShare(10, 3, 2), 3);
    QCOMPARE(instanceShare(10, 2, 1), 5);
}

void TestSharedInstances::sharesOfSmallLimits()
{
    // Fewer units than instances: the first L ranks get one, the rest none (they refuse).
    QCOMPARE(instanceShare(2, 5, 0), 1);
    QCOMPARE(instanceShare(2, 5, 1), 1);
    QCOMPARE(instanceShare(2, 5, 2), 0);
    QCOMPARE(instanceShare(2, 5, 4), 0);
    // With at least as many units as instances, every instance gets at least one.
    for (int live = 1; live <= 6; ++live) {
        for (int rank = 0; rank < live; ++rank)
            QVERIFY(instanceShare(live, live, rank) >= 1);
    }
    // A rank out of range is clamped, never a share above the ceiling.
    QCOMPARE(instanceShare(10, 3, 7), 3);
    QCOMPARE(instanceShare(10, 3, -1), 4);
}

void TestSharedInstances::oneInstanceKeepsTheWholeLimit()
{
    QCOMPARE(instanceShare(10, 1, 0), 10);
    QCOMPARE(instanceShare(10, 0, 0), 10);
    QCOMPARE(instanceShare(0, 4, 0), 0);       // a zero limit stays zero
}

void TestSharedInstances::limitsSplitFieldByField()
{
    const RateLimits limits{10, 1000, std::nullopt};
    const RateLimits share = instanceShare(limits, 3, 0);
    QCOMPARE(share.rpm, std::optional<qint64>(4));
    QCOMPARE(share.tpm, std::optional<qint64>(334));
    QVERIFY(!share.maxParallel);                 // unlimited stays unlimited
    const RateLimits parallel = instanceShare(RateLimits{std::nullopt, std::nullopt, 4}, 2, 1);
    QCOMPARE(parallel.maxParallel, std::optional<qint64>(2));
}

void TestSharedInstances::managementWritesRecordTheirChanges()
{
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"feed.db"_s)).ok());
    const VirtualKey key = makeKey(u"sk-aaaaaaaaaaaaaaaaaaaaaa"_s);
    // One change per object, however often the job touched it; the other jobs of the write commit too.
    QVERIFY(store.writeNow(ChangeFeed::recorded(
                               IdentityRepository::all({IdentityRepository::saveKey(key), IdentityRepository::saveKey(key),
                                                        IdentityRepository::deleteEndUsers({u"eve"_s})}),
                               u"instance-a"_s))
                .ok());
    QCOMPARE(count(store, u"SELECT count(*) FROM changes"_s), 2);
    QCOMPARE(count(store, u"SELECT count(*) FROM changes WHERE origin = 'instance-a'"_s), 2);
    auto last = store.readNow([](QSqlDatabase &db) -> QVariant { return *ChangeFeed::lastSeq(db); });
    QVERIFY(last.ok());
    QCOMPARE(last->toLongLong(), 2);

    // A failing job records nothing: its change rows roll back with it.
    QVERIFY(!store.writeNow(ChangeFeed::recorded(
                                IdentityRepository::all({IdentityRepository::saveKey(key),
                                                         [](QSqlDatabase &) -> Result<void> { return makeError(u"no"_s); }}),
                                u"instance-a"_s))
                 .ok());
    QCOMPARE(count(store, u"SELECT count(*) FROM changes"_s), 2);
}

void TestSharedInstances::plainWritesRecordNothing()
{
    // Single-instance mode: the same repository jobs outside recorded() leave the feed empty.
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"plain.db"_s)).ok());
    QVERIFY(store.writeNow(IdentityRepository::saveKey(makeKey(u"sk-bbbbbbbbbbbbbbbbbbbbbb"_s))).ok());
    QCOMPARE(count(store, u"SELECT count(*) FROM changes"_s), 0);
}

void TestSharedInstances::followerReloadsWhatOthersChanged()
{
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"follow.db"_s)).ok());
    VirtualKey kept = makeKey(u"sk-cccccccccccccccccccccc"_s);
    kept.blocked = true;
    kept.limits.rpm = 7;
    const VirtualKey gone = makeKey(u"sk-dddddddddddddddddddddd"_s);
    User user;
    user.userId = u"ulla"_s;
    const VirtualKey usersKey = makeKey(u"sk-eeeeeeeeeeeeeeeeeeeeee"_s, u"ulla"_s);
    QVERIFY(store.writeNow(IdentityRepository::all({IdentityRepository::saveKey(gone), IdentityRepository::saveUser(user),
                                                     IdentityRepository::saveKey(usersKey)}))
                .ok());
    QVERIFY(store.writeNow(ChangeFeed::recorded(
                               IdentityRepository::all({IdentityRepository::saveKey(kept),
                                                        IdentityRepository::deleteKeys({gone.token})}),
                               u"a"_s))
                .ok());
    QVERIFY(store.writeNow(ChangeFeed::recorded(IdentityRepository::saveUser(user), u"b"_s)).ok());

    // Instance b follows: a's two keys, not its own user change.
    ChangeFeed::Step step = follow(store, 0, u"b"_s);
    QCOMPARE(step.changes, 3);
    QCOMPARE(step.nextSeq, 3);
    QCOMPARE(step.reloaded.keys.size(), 2);
    QCOMPARE(step.reloaded.keys.at(0).first, kept.token);
    QVERIFY(step.reloaded.keys.at(0).second);
    QVERIFY(step.reloaded.keys.at(0).second->blocked);
    QCOMPARE(step.reloaded.keys.at(0).second->limits.rpm, std::optional<qint64>(7));
    QCOMPARE(step.reloaded.keys.at(1).first, gone.token);
    QVERIFY(!step.reloaded.keys.at(1).second);   // deleted
    QVERIFY(step.reloaded.users.isEmpty());

    // Instance a follows: b's user change, with the user's keys.
    step = follow(store, 0, u"a"_s);
    QCOMPARE(step.reloaded.keys.size(), 0);
    QCOMPARE(step.reloaded.users.size(), 1);
    QVERIFY(step.reloaded.users.at(0).second);
    QCOMPARE(step.reloaded.userKeys.size(), 1);
    QCOMPARE(step.reloaded.userKeys.at(0).second.size(), 1);
    QCOMPARE(step.reloaded.userKeys.at(0).second.at(0).token, usersKey.token);

    // Nothing after the last one read.
    step = follow(store, 3, u"a"_s);
    QCOMPARE(step.changes, 0);
    QCOMPARE(step.nextSeq, 3);
}

// A key regenerated twice before a follower reads: one replacement from the token it knows to
// the newest, none of the tokens reloaded on its own (the old ones would read as deleted keys).
// One regenerated and then deleted: the replacement without a key.
// A key regenerated on an instance that had not read the other instances' latest calls yet (it
// reads the stored spend once a second): the new row keeps the stored spend where it is larger,
// and this instance's where that is (its calls not committed yet). The key's holder wiped what
// another instance had just settled by regenerating it: 5 cycles spent $0.20 on a $0.05 key.
void TestSharedInstances::aRegenerationKeepsTheLargerSpend()
{
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"respend.db"_s)).ok());
    const auto storedSpend = [&store](const QString &token) {
        const auto value = store.readNow([token](QSqlDatabase &db) {
            QSqlQuery query(db);
            query.prepare(u"SELECT spend_nanousd FROM keys WHERE token = ?"_s);
            query.addBindValue(token);
            return query.exec() && query.next() ? query.value(0) : QVariant();
        });
        return value && value->isValid() ? value->toLongLong() : -1;
    };
    VirtualKey first = makeKey(u"sk-kkkkkkkkkkkkkkkkkkkkkk"_s);
    first.budget.spend = 2 * NanosPerUsd / 100;
    QVERIFY(store.writeNow(IdentityRepository::saveKey(first)).ok());
    // Another instance settled 3 cents more: the stored 5 cents, this instance knows 2.
    QVERIFY(store.writeNow(IdentityRepository::saveSpend(IdentityRepository::SpendTable::Keys, first.token,
                                                         5 * NanosPerUsd / 100)).ok());
    VirtualKey second = first;
    second.token = IdentityRegistry::tokenOf(u"sk-llllllllllllllllllllll"_s);
    QVERIFY(store.writeNow(IdentityRepository::replaceKeyRow(first.token, second)).ok());
    QCOMPARE(storedSpend(first.token), -1);
    QCOMPARE(storedSpend(second.token), 5 * NanosPerUsd / 100);
    // This instance's own calls not committed yet: its larger spend stands.
    VirtualKey third = second;
    third.token = IdentityRegistry::tokenOf(u"sk-mmmmmmmmmmmmmmmmmmmmmm"_s);
    third.budget.spend = 9 * NanosPerUsd / 100;
    QVERIFY(store.writeNow(IdentityRepository::replaceKeyRow(second.token, third)).ok());
    QCOMPARE(storedSpend(second.token), -1);
    QCOMPARE(storedSpend(third.token), 9 * NanosPerUsd / 100);
}

void TestSharedInstances::followerTakesARegenerationAsOneReplacement()
{
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"regenerate.db"_s)).ok());
    const VirtualKey first = makeKey(u"sk-ffffffffffffffffffffff"_s);
    const VirtualKey other = makeKey(u"sk-gggggggggggggggggggggg"_s);
    QVERIFY(store.writeNow(IdentityRepository::all({IdentityRepository::saveKey(first),
                                                     IdentityRepository::saveKey(other)})).ok());
    const auto regenerate = [&store](const VirtualKey &from, const QString &raw) {
        VirtualKey to = from;
        to.token = IdentityRegistry::tokenOf(raw);
        const bool done = store.writeNow(ChangeFeed::recorded(
                                             IdentityRepository::all({IdentityRepository::replaceKeyRow(from.token, to),
                                                                      IdentityRepository::moveKeySpendLogs(from.token, to.token)}),
                                             u"a"_s))
                              .ok();
        return done ? to : VirtualKey();
    };
    const VirtualKey second = regenerate(first, u"sk-hhhhhhhhhhhhhhhhhhhhhh"_s);
    const VirtualKey third = regenerate(second, u"sk-iiiiiiiiiiiiiiiiiiiiii"_s);
    const VirtualKey otherNew = regenerate(other, u"sk-jjjjjjjjjjjjjjjjjjjjjj"_s);
    QVERIFY(!third.token.isEmpty() && !otherNew.token.isEmpty());
    QVERIFY(store.writeNow(ChangeFeed::recorded(IdentityRepository::deleteKeys({otherNew.token}), u"a"_s)).ok());

    const ChangeFeed::Step step = follow(store, 0, u"b"_s);
    QVERIFY(step.reloaded.keys.isEmpty());
    QCOMPARE(step.reloaded.replacedKeys.size(), 2);
    QCOMPARE(step.reloaded.replacedKeys.at(0).oldToken, first.token);
    QCOMPARE(step.reloaded.replacedKeys.at(0).newToken, third.token);
    QVERIFY(step.reloaded.replacedKeys.at(0).key);
    QCOMPARE(step.reloaded.replacedKeys.at(0).key->token, third.token);
    QCOMPARE(step.reloaded.replacedKeys.at(1).oldToken, other.token);
    QVERIFY(!step.reloaded.replacedKeys.at(1).key);   // deleted since
    // The instance that regenerated applied them itself.
    QVERIFY(follow(store, 0, u"a"_s).isEmpty());
}

void TestSharedInstances::heartbeatsMakeTheLiveList()
{
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"beat.db"_s)).ok());
    const auto live = [&store](qint64 since) {
        auto ids = store.readNow([since](QSqlDatabase &db) -> QVariant { return *ChangeFeed::liveInstances(db, since); });
        return ids ? ids->toStringList() : QStringList{u"error"_s};
    };
    QVERIFY(store.writeNow(ChangeFeed::heartbeat(u"b"_s, 1000, 5000, 60'000, 0)).ok());
    QVERIFY(store.writeNow(ChangeFeed::heartbeat(u"a"_s, 1000, 9000, 60'000, 0)).ok());
    QCOMPARE(live(4000), (QStringList{u"a"_s, u"b"_s}));   // sorted by id: the ranks
    QCOMPARE(live(6000), QStringList{u"a"_s});             // b missed its heartbeats
    QVERIFY(store.writeNow(ChangeFeed::leave(u"a"_s)).ok());
    QCOMPARE(live(4000), QStringList{u"b"_s});
    // A long-silent instance's row is forgotten, and old changes pruned, by anyone's heartbeat.
    QVERIFY(store.writeNow(ChangeFeed::recorded(IdentityRepository::deleteKeys({u"x"_s}), u"c"_s)).ok());
    QVERIFY(store.writeNow(ChangeFeed::heartbeat(u"c"_s, 1000, 100'000, 60'000, 0)).ok());
    QCOMPARE(count(store, u"SELECT count(*) FROM instances"_s), 1);
    QCOMPARE(count(store, u"SELECT count(*) FROM changes"_s), 1);
    QVERIFY(store.writeNow(ChangeFeed::heartbeat(u"c"_s, 1000, 100'000, 60'000,
                                                 QDateTime::currentMSecsSinceEpoch() + 1000))
                .ok());
    QCOMPARE(count(store, u"SELECT count(*) FROM changes"_s), 0);
}

QTEST_GUILESS_MAIN(TestSharedInstances)
#include "tst_sharedinstances.moc"
