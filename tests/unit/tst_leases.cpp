// Shared budgets (docs/shared-budgets.md): the lease arithmetic of the Ledger, a simulation of
// several instances on one shared row (the bounds on overshoot), the SQL of LeaseRepository on a
// real SQLite store, and BudgetLeases parking calls until the store answered.
#include "tests/unit/ledgertestsupport.h"

#include "models/budgetleases.h"
#include "models/config.h"
#include "models/secretstore.h"
#include "models/store/identityrepository.h"
#include "models/store/leaserepository.h"
#include "models/store/migrations.h"
#include "models/store/store.h"
#include "tests/support/pgtestdb.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <deque>
#include <thread>

using namespace LedgerTestSupport;

namespace {

AdmissionRequest keyCall(NanoUsd estimate, NanoUsd upperBound)
{
    AdmissionRequest request;
    request.budgets = {kKey};
    request.estimatedCost = estimate;
    request.upperBoundCost = upperBound;
    return request;
}

// A scope's row in the store's budget_shares: {spend, leased} (empty when it has none).
QList<qint64> storedShare(Store &store, const LedgerScope &scope)
{
    const auto row = store.readNow([scope](QSqlDatabase &db) {
        const auto found = LeaseRepository::share(db, scope);
        return found && *found ? QVariant::fromValue(QList<qint64>{(*found)->spend, (*found)->leased}) : QVariant();
    });
    return row ? row->value<QList<qint64>>() : QList<qint64>{};
}

// The shared row as budget_shares keeps it, with the grant rule of LeaseRepository::lease.
struct SharedRow
{
    NanoUsd max = 0;
    NanoUsd spend = 0;
    NanoUsd leased = 0;
    qint64 leaseRequests = 0;

    std::optional<NanoUsd> grant(const LeaseNeed &need)
    {
        ++leaseRequests;
        const NanoUsd remainder = max - spend - leased;
        if (remainder < need.need)
            return std::nullopt;
        const NanoUsd granted = remainder >= need.want ? need.want : remainder;
        leased += granted;
        return granted;
    }
};

// Two instances (their ledgers: strict, shared, a key's budget of $1) on one store; a lease is
// a quarter of the max, idle for a minute before it goes back.
struct TwoInstances
{
    Store store;
    ManualClock clock{kStart};
    Ledger a{clock, BudgetEnforcement::Strict};
    Ledger b{clock, BudgetEnforcement::Strict};
    BudgetLeases::Options options;

    TwoInstances()
    {
        options.sliceDivisor = 4;
        options.idleMs = 60'000;
        for (Ledger *ledger : {&a, &b}) {
            ledger->setShared(true, options.sliceDivisor);
            ledger->setBudget(kKey, maxOf(kDollar));
        }
    }
};

} // namespace

class TestLeases : public QObject
{
    Q_OBJECT

private slots:
    void singleInstanceModeNeverAsksForALease();
    void reserveModeAdmitsWhileTheLeaseIsNotAllReserved();
    void strictModeAdmitsOnlyWhatTheLeaseCovers();
    void settlementSpendsFromTheLeaseAndKeepsTheRest();
    void aDenialRefusesLocallyUntilItExpires();
    void aDenialIsForgottenWhenTheBudgetChanges();
    void takeLeaseGivesBackWhatIsHeld();
    void severalInstancesStayWithinTheBound_data();
    void severalInstancesStayWithinTheBound();

    void storeGrantsAtMostTheRemainder();
    void anExpiredLeaseCountsAsSpentUntilItsInstanceComesBack();
    void aWriteOffComesOffOnlyTheWindowItWasCountedIn();
    void sharedSpendFollowsIncrementsAndWindows();
    void budgetLeasesParksUntilTheStoreAnswers();
    void aLoweredBudgetKeepsWhatCallsInFlightReserved();
    void leaseSqlRunsOnPostgres();
    void withoutAStoreAnswerLeasesAreUnavailable();
    void sharedModeIsAConfigSwitch();

    void init();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

void TestLeases::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(u"leases.db"_s);
}

void TestLeases::singleInstanceModeNeverAsksForALease()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, maxOf(3 * kCent));
    const Admission admission = ledger.admit(keyCall(kCent, kCent));
    QVERIFY(admission.admitted());
    QVERIFY(!admission.waitsForLease());
    QCOMPARE(ledger.lease(kKey), 0);
}

void TestLeases::reserveModeAdmitsWhileTheLeaseIsNotAllReserved()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Reserve);
    ledger.setShared(true, 20);
    ledger.setBudget(kKey, maxOf(kDollar));

    // No lease yet: nothing taken, a lease asked for (at least 1 nano, the estimate, a slice).
    Admission first = ledger.admit(keyCall(kCent, 10 * kCent));
    QVERIFY(!first.admitted());
    QVERIFY(!first.refusal);
    QCOMPARE(first.leaseNeeds.size(), 1);
    QCOMPARE(first.leaseNeeds.first().scope, kKey);
    QCOMPARE(first.leaseNeeds.first().need, 1);
    QCOMPARE(first.leaseNeeds.first().want, kDollar / 20);   // the slice is more than the estimate
    QCOMPARE(first.leaseNeeds.first().max, kDollar);
    QCOMPARE(ledger.reservationsInFlight(), 0);

    // 2.5 cents leased: calls of 1 cent pass while reserved < lease (0, 1, 2 cents reserved).
    ledger.addLease(kKey, 2 * kCent + kCent / 2);
    for (int i = 0; i < 3; ++i)
        QVERIFY(ledger.admit(keyCall(kCent, 10 * kCent)).admitted());
    const Admission fourth = ledger.admit(keyCall(kCent, 10 * kCent));
    QVERIFY(fourth.waitsForLease());
    QCOMPARE(fourth.leaseNeeds.first().need, kCent / 2 + 1);   // reserved 3 - lease 2.5 + 1 nano
}

void TestLeases::strictModeAdmitsOnlyWhatTheLeaseCovers()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setShared(true, 1000);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.addLease(kKey, 25 * kCent);

    // Upper bound 10 cents: two fit in 25, the third needs 5 more (exactly, the slice is smaller).
    QVERIFY(ledger.admit(keyCall(kCent, 10 * kCent)).admitted());
    QVERIFY(ledger.admit(keyCall(kCent, 10 * kCent)).admitted());
    const Admission third = ledger.admit(keyCall(kCent, 10 * kCent));
    QVERIFY(third.waitsForLease());
    QCOMPARE(third.leaseNeeds.first().need, 5 * kCent);
    QCOMPARE(third.leaseNeeds.first().want, 5 * kCent);

    // A free call still needs some lease left, as it needs spend + reserved < max on one instance.
    ledger.setBudget(kUser, maxOf(kDollar));
    AdmissionRequest free;
    free.budgets = {kUser};
    const Admission freeCall = ledger.admit(free);
    QVERIFY(freeCall.waitsForLease());
    QCOMPARE(freeCall.leaseNeeds.first().need, 1);

    // An unpriced call is refused in strict mode before any lease is asked for.
    AdmissionRequest unpriced = keyCall(0, 0);
    unpriced.priceKnown = false;
    const Admission refused = ledger.admit(unpriced);
    QVERIFY(refused.refusal);
    QVERIFY(!refused.waitsForLease());
}

void TestLeases::settlementSpendsFromTheLeaseAndKeepsTheRest()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setShared(true);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.addLease(kKey, 20 * kCent);
    const Admission admitted = ledger.admit(keyCall(kCent, 10 * kCent));
    QVERIFY(admitted.admitted());
    const auto settled = ledger.settle(admitted.reservation, 3 * kCent, 0);
    QVERIFY(settled);
    QCOMPARE(settled->spends.size(), 1);
    QCOMPARE(settled->spends.first().leaseUsed, 3 * kCent);
    QCOMPARE(ledger.lease(kKey), 17 * kCent);   // the unused 7 cents of the hold stay leased
    QCOMPARE(ledger.budget(kKey)->reserved, 0);

    // Reserve mode: a call that costs more than the lease has left overshoots by the rest.
    ledger.setEnforcement(BudgetEnforcement::Reserve);
    const Admission big = ledger.admit(keyCall(kCent, kCent));
    QVERIFY(big.admitted());
    const auto over = ledger.settle(big.reservation, 30 * kCent, 0);
    QCOMPARE(over->spends.first().leaseUsed, 17 * kCent);
    QCOMPARE(ledger.lease(kKey), 0);
    QVERIFY(ledger.leases().isEmpty());   // nothing left to give back or renew

    // A released call keeps the whole lease.
    ledger.addLease(kKey, 5 * kCent);
    const Admission failed = ledger.admit(keyCall(kCent, kCent));
    QVERIFY(ledger.release(failed.reservation));
    QCOMPARE(ledger.lease(kKey), 5 * kCent);
}

void TestLeases::aDenialRefusesLocallyUntilItExpires()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setShared(true);
    ledger.setBudget(kKey, maxOf(kDollar, std::nullopt));
    ledger.setSpend(kKey, 98 * kCent);
    ledger.denyLease(kKey, 2 * kCent, clock.now().toMSecsSinceEpoch() + 250);

    // Needs 10 cents, only 2 left: refused here, with the budget's message, no round trip.
    const Admission refused = ledger.admit(keyCall(kCent, 10 * kCent));
    QVERIFY(refused.refusal);
    QCOMPARE(refused.refusal->kind, Refusal::Kind::Budget);
    QVERIFY(refused.refusal->message.contains(u"Current cost: 0.98"_s));
    // Needs 1 cent: it may fit, so it asks.
    QVERIFY(ledger.admit(keyCall(kCent, kCent)).waitsForLease());
    // After the denial's time the store is asked again.
    advanceMs(clock, 251);
    QVERIFY(ledger.admit(keyCall(kCent, 10 * kCent)).waitsForLease());
    // A grant clears a denial at once.
    ledger.denyLease(kKey, 0, clock.now().toMSecsSinceEpoch() + 250);
    ledger.addLease(kKey, 10 * kCent);
    QVERIFY(ledger.admit(keyCall(kCent, 10 * kCent)).admitted());
}

// The store refused when the budget was used up; an admin then changed it. The refusal no longer
// stands: the next call asks the store again instead of being refused here (a reset spend, a
// raised max and a new period would otherwise wait out the denial, and a follower too).
void TestLeases::aDenialIsForgottenWhenTheBudgetChanges()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setShared(true);
    ledger.setBudget(kKey, maxOf(10 * kCent));
    const auto deny = [&] {
        ledger.denyLease(kKey, 0, clock.now().toMSecsSinceEpoch() + 250);
        QVERIFY(ledger.admit(keyCall(kCent, kCent)).refusal);
    };
    deny();
    ledger.setSpend(kKey, 0);   // an admin's spend reset
    QVERIFY(ledger.admit(keyCall(kCent, kCent)).waitsForLease());
    deny();
    ledger.setBudget(kKey, maxOf(20 * kCent));   // a raised max
    QVERIFY(ledger.admit(keyCall(kCent, kCent)).waitsForLease());
    deny();
    BudgetConfig period = maxOf(20 * kCent);
    period.duration = *Duration::parse(u"1d"_s);
    ledger.setBudget(kKey, period);   // a new period: a fresh window
    QVERIFY(ledger.admit(keyCall(kCent, kCent)).waitsForLease());
    // Anything else (a soft budget, say) leaves the refusal standing.
    deny();
    BudgetConfig soft = period;
    soft.soft = kCent;
    ledger.setBudget(kKey, soft);
    QVERIFY(ledger.admit(keyCall(kCent, kCent)).refusal);
}

void TestLeases::takeLeaseGivesBackWhatIsHeld()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setShared(true);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.addLease(kKey, 7 * kCent);
    QCOMPARE(ledger.leases().size(), 1);
    QCOMPARE(ledger.leases().first().lease, 7 * kCent);
    // A removed budget keeps its lease until it is taken (it must go back to the store).
    ledger.removeBudget(kKey);
    QCOMPARE(ledger.lease(kKey), 7 * kCent);
    QCOMPARE(ledger.takeLease(kKey), 7 * kCent);
    QCOMPARE(ledger.lease(kKey), 0);
    QVERIFY(ledger.leases().isEmpty());
}

void TestLeases::severalInstancesStayWithinTheBound_data()
{
    QTest::addColumn<int>("instances");
    QTest::addColumn<bool>("strict");
    for (int n : {1, 2, 3, 5}) {
        QTest::addRow("reserve, %d instance(s)", n) << n << false;
        QTest::addRow("strict, %d instance(s)", n) << n << true;
    }
}

// N ledgers on one shared row, 200 calls in random interleavings of admit / lease answer /
// settle: reserve mode serves at most N + 5 calls on a budget worth 5, strict mode never spends
// past the max, and the row's spend equals what the calls cost.
void TestLeases::severalInstancesStayWithinTheBound()
{
    QFETCH(int, instances);
    QFETCH(bool, strict);
    constexpr NanoUsd cost = 3 * kCent;
    constexpr NanoUsd max = 5 * cost;
    const auto mode = strict ? BudgetEnforcement::Strict : BudgetEnforcement::Reserve;

    for (quint32 seed = 1; seed <= 20; ++seed) {
        QRandomGenerator random(seed);
        ManualClock clock(kStart);
        SharedRow row{max};
        std::vector<std::unique_ptr<Ledger>> ledgers;
        for (int i = 0; i < instances; ++i) {
            ledgers.push_back(std::make_unique<Ledger>(clock, mode));
            ledgers.back()->setShared(true, 4);
            ledgers.back()->setBudget(kKey, maxOf(max));
        }
        struct InFlight
        {
            int instance;
            ReservationId id;
        };
        std::deque<int> waiting;         // calls not yet admitted or refused, by instance
        std::vector<InFlight> inFlight;
        for (int call = 0; call < 200; ++call)
            waiting.push_back(int(random.bounded(instances)));
        int served = 0;
        NanoUsd spent = 0;
        while (!waiting.empty() || !inFlight.empty()) {
            // Settle one call in flight now and then, in any order.
            if (!inFlight.empty() && (waiting.empty() || random.bounded(3) == 0)) {
                const qsizetype pick = random.bounded(int(inFlight.size()));
                const InFlight done = inFlight[pick];
                inFlight.erase(inFlight.begin() + pick);
                const auto settled = ledgers[done.instance]->settle(done.id, cost, 0);
                QVERIFY(settled);
                row.spend += cost;
                row.leased -= settled->spends.first().leaseUsed;
                spent += cost;
                continue;
            }
            const int instance = waiting.front();
            waiting.pop_front();
            Ledger &ledger = *ledgers[instance];
            for (int round = 0;; ++round) {
                QVERIFY(round < 50);
                // The estimate is the cost (as for the mock with max_tokens): an estimate below
                // the cost lets a single instance overshoot by the difference too.
                const Admission admission = ledger.admit(keyCall(cost, cost));
                if (admission.admitted()) {
                    ++served;
                    inFlight.push_back({instance, admission.reservation});
                    break;
                }
                if (admission.refusal)
                    break;
                const auto granted = row.grant(admission.leaseNeeds.first());
                if (granted) {
                    ledger.addLease(kKey, *granted);
                    continue;
                }
                // Idle leases elsewhere go back (BudgetLeases::tick), then one more try.
                bool returned = false;
                for (const auto &other : ledgers) {
                    const auto state = other->budget(kKey);
                    if (other.get() != &ledger && state->reserved == 0 && other->lease(kKey) > 0) {
                        row.leased -= other->takeLease(kKey);
                        returned = true;
                    }
                }
                if (!returned)
                    ledger.denyLease(kKey, row.max - row.spend - row.leased, clock.now().toMSecsSinceEpoch() + 250);
            }
            QVERIFY(row.leased >= 0);
            QVERIFY(strict ? row.spend + row.leased <= max : true);
        }
        QCOMPARE(row.spend, spent);
        // Strict: never past the max (a call may be refused while another instance's calls in
        // flight hold what is left). Reserve: at most one call beyond per instance.
        if (strict)
            QVERIFY2(spent <= max, qPrintable(u"seed %1: spent %2 > max %3"_s.arg(seed).arg(spent).arg(max)));
        else
            QVERIFY2(served <= 5 + instances, qPrintable(u"seed %1: served %2"_s.arg(seed).arg(served)));
        QVERIFY(served >= (strict ? 3 : 5));
    }
}

void TestLeases::storeGrantsAtMostTheRemainder()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    using namespace LeaseRepository;
    const auto ask = [&](const QString &instance, NanoUsd need, NanoUsd want) {
        auto answers = std::make_shared<QList<LeaseAnswer>>();
        const Result<void> done
            = store.writeNow(lease(instance, {}, {{kGlobal, need, want, 10 * kCent, 2 * kCent, {}}}, 1000, 31'000, answers));
        return done ? answers->value(0) : LeaseAnswer{};
    };
    // Seeded with spend 2: 8 cents remain. A asks 5 (gets 5), B asks 5 (gets the 3 left).
    LeaseAnswer a = ask(u"A"_s, kCent, 5 * kCent);
    QVERIFY(a.granted);
    QCOMPARE(a.amount, 5 * kCent);
    QCOMPARE(a.spend, 2 * kCent);
    QCOMPARE(a.leased, 5 * kCent);
    LeaseAnswer b = ask(u"B"_s, kCent, 5 * kCent);
    QVERIFY(b.granted);
    QCOMPARE(b.amount, 3 * kCent);
    // Nothing left: refused, with the row's figures.
    LeaseAnswer c = ask(u"B"_s, 1, kCent);
    QVERIFY(!c.granted);
    QCOMPARE(c.spend, 2 * kCent);
    QCOMPARE(c.leased, 8 * kCent);
    QCOMPARE(*store.readNow([](QSqlDatabase &db) { return QVariant::fromValue(*leasesHeld(db, kGlobal)); }),
             QVariant::fromValue(8 * kCent));

    // A settles a call of 4 cents from its lease (spend through addSpend), gives 1 back.
    setSharedSpend(true);
    QVERIFY(store.writeNow(IdentityRepository::addSpend(kGlobal, 4 * kCent, {})).ok());
    setSharedSpend(false);
    QVERIFY(store.writeNow(settle(u"A"_s, kGlobal, 4 * kCent, 31'000)).ok());
    QVERIFY(store.writeNow(giveBack(u"A"_s, kGlobal, kCent)).ok());
    QCOMPARE(storedShare(store, kGlobal), (QList<qint64>{6 * kCent, 3 * kCent}));
    // Giving back more than is held returns only what is held.
    QVERIFY(store.writeNow(giveBack(u"B"_s, kGlobal, kDollar)).ok());
    QCOMPARE(storedShare(store, kGlobal).value(1, -1), 0);
    store.close();
}

// A lease that expired (its instance killed or stuck) is counted as spent: the calls it backed
// may still be billed. The instance gets it back on its leases when it renews (stuck, not
// killed); a process that replays its journal takes it off the spend (killed, then restarted).
void TestLeases::anExpiredLeaseCountsAsSpentUntilItsInstanceComesBack()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    using namespace LeaseRepository;
    auto answers = std::make_shared<QList<LeaseAnswer>>();
    const auto row = [&store] { return storedShare(store, kGlobal); };
    // A (journal "jA") leases 6 of 10 cents until t = 5000, B 4 until t = 100000.
    QVERIFY(store.writeNow(lease(u"A"_s, u"jA"_s, {{kGlobal, kCent, 6 * kCent, 10 * kCent, 0, {}}}, 0, 5000, answers)).ok());
    QCOMPARE(answers->value(0).amount, 6 * kCent);
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, kCent, 4 * kCent, 10 * kCent, 0, {}}}, 0, 100000, answers)).ok());
    QCOMPARE(answers->value(0).amount, 4 * kCent);
    // B at t = 6000: A's lease expired; it is counted as spent, not handed out.
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, kCent, 4 * kCent, 10 * kCent, 0, {}}}, 6000, 11000, answers)).ok());
    QVERIFY(!answers->value(0).granted);
    QCOMPARE(answers->value(0).spend, 6 * kCent);
    QCOMPARE(row(), (QList<qint64>{6 * kCent, 4 * kCent}));

    // A was stuck, not killed: its renewal takes the lease back (it still holds it).
    auto held = std::make_shared<QStringList>();
    QVERIFY(store.writeNow(renew(u"A"_s, u"jA"_s, {scopeKey(kGlobal)}, 20000, held)).ok());
    QCOMPARE(*held, QStringList{scopeKey(kGlobal)});
    QCOMPARE(row(), (QList<qint64>{0, 10 * kCent}));

    // Stuck again, and it let the lease go meanwhile (its calls settled): only refunded.
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, 1, kCent, 10 * kCent, 0, {}}}, 21000, 40000, answers)).ok());
    QCOMPARE(row(), (QList<qint64>{6 * kCent, 4 * kCent}));
    QVERIFY(store.writeNow(renew(u"A"_s, u"jA"_s, {}, 41000, held)).ok());
    QVERIFY(held->isEmpty());
    QCOMPARE(row(), (QList<qint64>{0, 4 * kCent}));

    // A leases again and is killed: its lease expires and is counted as spent, then a process on
    // its journal replays it (the replay adds what its calls cost) and the lease comes off.
    QVERIFY(store.writeNow(lease(u"A"_s, u"jA"_s, {{kGlobal, kCent, 5 * kCent, 10 * kCent, 0, {}}}, 42000, 45000, answers)).ok());
    QCOMPARE(answers->value(0).amount, 5 * kCent);
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, 2 * kCent, 2 * kCent, 10 * kCent, 0, {}}}, 46000, 60000, answers)).ok());
    QVERIFY(!answers->value(0).granted);
    QCOMPARE(row(), (QList<qint64>{5 * kCent, 4 * kCent}));
    // Another journal's replay leaves it; its own takes it off.
    QVERIFY(store.writeNow([](QSqlDatabase &db) { return releaseStopped(db, u"jC"_s); }).ok());
    QCOMPARE(row(), (QList<qint64>{5 * kCent, 4 * kCent}));
    QVERIFY(store.writeNow([](QSqlDatabase &db) { return releaseStopped(db, u"jA"_s); }).ok());
    QCOMPARE(row(), (QList<qint64>{0, 4 * kCent}));

    // Killed and restarted before its lease expired: the replay gives the lease back.
    QVERIFY(store.writeNow(lease(u"A"_s, u"jA"_s, {{kGlobal, kCent, 3 * kCent, 10 * kCent, 0, {}}}, 47000, 90000, answers)).ok());
    QCOMPARE(row(), (QList<qint64>{0, 7 * kCent}));
    QVERIFY(store.writeNow([](QSqlDatabase &db) { return releaseStopped(db, u"jA"_s); }).ok());
    QCOMPARE(row(), (QList<qint64>{0, 4 * kCent}));
    // An instance without a journal (another process owned it): nothing to replay, nothing back.
    QVERIFY(store.writeNow([](QSqlDatabase &db) { return releaseStopped(db, QString()); }).ok());
    QCOMPARE(row(), (QList<qint64>{0, 4 * kCent}));
    store.close();
}

// A write-off comes off the spend of the window it was counted in only: a newer window started
// from 0 without it. A graceful stop (releaseWriteOffs) refunds what is left of an instance's.
void TestLeases::aWriteOffComesOffOnlyTheWindowItWasCountedIn()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    using namespace LeaseRepository;
    auto answers = std::make_shared<QList<LeaseAnswer>>();
    const QDateTime w1 = utc(2025, 3, 11);
    const QDateTime w2 = utc(2025, 3, 12);
    const auto spend = [&store] { return storedShare(store, kGlobal).value(0, -1); };
    QVERIFY(store.writeNow(lease(u"A"_s, u"jA"_s, {{kGlobal, kCent, 5 * kCent, 10 * kCent, 0, w1}}, 0, 5000, answers)).ok());
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, 1, kCent, 10 * kCent, 0, w1}}, 6000, 20000, answers)).ok());
    QCOMPARE(spend(), 5 * kCent);
    // The window moves on: its spend starts from 0, and A's old write-off does not come off it.
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, 1, kCent, 10 * kCent, 0, w2}}, 7000, 20000, answers)).ok());
    QCOMPARE(spend(), 0);
    setSharedSpend(true);
    QVERIFY(store.writeNow(IdentityRepository::addSpend(kGlobal, 2 * kCent, w2)).ok());
    setSharedSpend(false);
    QVERIFY(store.writeNow(releaseWriteOffs(u"A"_s)).ok());
    QCOMPARE(spend(), 2 * kCent);
    // In the same window it does.
    QVERIFY(store.writeNow(lease(u"A"_s, u"jA"_s, {{kGlobal, kCent, 3 * kCent, 10 * kCent, 0, w2}}, 8000, 9000, answers)).ok());
    QVERIFY(store.writeNow(lease(u"B"_s, u"jB"_s, {{kGlobal, 1, kCent, 10 * kCent, 0, w2}}, 10000, 20000, answers)).ok());
    QCOMPARE(spend(), 5 * kCent);
    QVERIFY(store.writeNow(releaseWriteOffs(u"A"_s)).ok());
    QCOMPARE(spend(), 2 * kCent);
    store.close();
}

void TestLeases::sharedSpendFollowsIncrementsAndWindows()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    using namespace LeaseRepository;
    const QDateTime w1 = utc(2025, 3, 11);
    const QDateTime w2 = utc(2025, 3, 12);
    auto answers = std::make_shared<QList<LeaseAnswer>>();
    QVERIFY(store.writeNow(lease(u"A"_s, {}, {{kGlobal, 1, kCent, kDollar, 5 * kCent, w1}}, 0, 5000, answers)).ok());
    QCOMPARE(answers->value(0).spend, 5 * kCent);
    const auto spendOf = [&store] { return storedShare(store, kGlobal).value(0, -1); };
    QVERIFY(store.writeNow([w1](QSqlDatabase &db) { return addSharedSpend(db, kGlobal, 2 * kCent, w1); }).ok());
    QCOMPARE(spendOf(), 7 * kCent);
    // An older window's call counts in the row's window; a newer one starts it afresh.
    QVERIFY(store.writeNow([](QSqlDatabase &db) { return addSharedSpend(db, kGlobal, kCent, utc(2025, 3, 10)); }).ok());
    QCOMPARE(spendOf(), 8 * kCent);
    QVERIFY(store.writeNow([w2](QSqlDatabase &db) { return addSharedSpend(db, kGlobal, 3 * kCent, w2); }).ok());
    QCOMPARE(spendOf(), 3 * kCent);
    // A lease asked in the newer window does not reset it again; the lease stays across the move.
    QVERIFY(store.writeNow(lease(u"A"_s, {}, {{kGlobal, 1, kCent, kDollar, 0, w2}}, 0, 5000, answers)).ok());
    QCOMPARE(answers->value(0).spend, 3 * kCent);
    QCOMPARE(answers->value(0).leased, 2 * kCent);
    // An admin's spend edit.
    QVERIFY(store.writeNow(setSpend(kGlobal, 50 * kCent)).ok());
    QCOMPARE(spendOf(), 50 * kCent);
    // An admin's new, shorter period: its window ends before the row's, and the row moves back to
    // it with the ledger's fresh spend (no lease or increment of that window would move it).
    QVERIFY(store.writeNow(startWindow(kGlobal, 0, w1)).ok());
    QCOMPARE(spendOf(), 0);
    QVERIFY(store.writeNow([w1](QSqlDatabase &db) { return addSharedSpend(db, kGlobal, 2 * kCent, w1); }).ok());
    QCOMPARE(spendOf(), 2 * kCent);
    // The other instances, following the change, write it too: the row is there, nothing is lost.
    QVERIFY(store.writeNow(startWindow(kGlobal, 0, w1)).ok());
    QCOMPARE(spendOf(), 2 * kCent);
    store.close();
}

void TestLeases::budgetLeasesParksUntilTheStoreAnswers()
{
    TwoInstances two;
    auto &[store, clock, a, b, options] = two;
    QVERIFY(store.open(m_path).ok());
    {
        BudgetLeases leasesA(a, &store, clock, options);
        BudgetLeases leasesB(b, &store, clock, options);
        QVERIFY(leasesA.instance() != leasesB.instance());

        // Three calls park behind one request: one round trip for all of them.
        int resumed = 0;
        for (int i = 0; i < 3; ++i) {
            const Admission admission = a.admit(keyCall(kCent, 10 * kCent));
            QVERIFY(admission.waitsForLease());
            leasesA.request(admission.leaseNeeds, [&] { ++resumed; });
        }
        QCOMPARE(leasesA.counters().requests, 1);
        QCOMPARE(leasesA.parkedCalls(), 3);
        QTRY_COMPARE(resumed, 3);
        QCOMPARE(leasesA.parkedCalls(), 0);
        QCOMPARE(a.lease(kKey), 25 * kCent);

        // B takes the next quarter; both leases are in the row.
        const Admission onB = b.admit(keyCall(kCent, 10 * kCent));
        bool resumedB = false;
        leasesB.request(onB.leaseNeeds, [&] { resumedB = true; });
        QTRY_VERIFY(resumedB);
        QCOMPARE(b.lease(kKey), 25 * kCent);
        QCOMPARE(storedShare(store, kKey).value(1, -1), 50 * kCent);

        // Idle leases go back.
        advanceMs(clock, 60'001);
        leasesA.tick();
        QCOMPARE(a.lease(kKey), 0);
    }
    // B's went back when it closed down (queued: close() finishes it).
    QCOMPARE(storedShare(store, kKey).value(1, -1), 0);
    store.close();
}

// A max lowered while calls ran: the instance gave its whole lease back, and another one leased it
// while those calls still spent (a key lowered from $0.20 to $0.09 mid-load ended at $0.16). What
// the calls in flight reserved stays leased; they settle from it.
void TestLeases::aLoweredBudgetKeepsWhatCallsInFlightReserved()
{
    TwoInstances two;
    auto &[store, clock, a, b, options] = two;
    QVERIFY(store.open(m_path).ok());
    const auto leasedInStore = [&store] { return storedShare(store, kKey).value(1, -1); };
    // Admitted on `ledger` (asking its instance's store for a lease if need be); the reservation,
    // or an invalid one when refused.
    const auto call = [](Ledger &ledger, BudgetLeases &leases) -> ReservationId {
        Admission admission = ledger.admit(keyCall(kCent, 10 * kCent));
        if (admission.waitsForLease()) {
            bool resumed = false;
            leases.request(admission.leaseNeeds, [&] { resumed = true; });
            if (!QTest::qWaitFor([&] { return resumed; }))
                return {};
            admission = ledger.admit(keyCall(kCent, 10 * kCent));
        }
        return admission.admitted() ? admission.reservation : ReservationId{};
    };
    {
        BudgetLeases leasesA(a, &store, clock, options);
        BudgetLeases leasesB(b, &store, clock, options);
        const ReservationId first = call(a, leasesA);
        const ReservationId second = call(a, leasesA);
        QVERIFY(first.isValid() && second.isValid());
        QCOMPARE(a.lease(kKey), 25 * kCent);

        // The max goes down to 30 cents on both instances; A gives back what its two calls did not
        // reserve (Accounting::sharedBudgetChanged).
        a.setBudget(kKey, maxOf(30 * kCent));
        b.setBudget(kKey, maxOf(30 * kCent));
        leasesA.giveBack(kKey);
        QCOMPARE(a.lease(kKey), 20 * kCent);
        QTRY_COMPARE(leasedInStore(), 20 * kCent);
        // B may take only the 10 cents left: one call, not three.
        QVERIFY(call(b, leasesB).isValid());
        QVERIFY(!call(b, leasesB).isValid());

        // A's calls settle from what it kept; the rest goes back once idle.
        QCOMPARE(a.settle(first, 10 * kCent, 0)->spends.first().leaseUsed, 10 * kCent);
        QCOMPARE(a.settle(second, 4 * kCent, 0)->spends.first().leaseUsed, 4 * kCent);
        QCOMPARE(a.lease(kKey), 6 * kCent);
        advanceMs(clock, 60'001);
        leasesA.tick();
        QCOMPARE(a.lease(kKey), 0);
    }
    store.close();
}

// No answer (here: no store at all): the parked call is resumed, and for a while calls that need
// a lease are told the store is unavailable (Accounting answers them 503).
void TestLeases::withoutAStoreAnswerLeasesAreUnavailable()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Reserve);
    ledger.setShared(true);
    ledger.setBudget(kKey, maxOf(kDollar));
    BudgetLeases leases(ledger, nullptr, clock, {});
    QVERIFY(!leases.unavailable());
    const Admission admission = ledger.admit(keyCall(kCent, kCent));
    bool resumed = false;
    leases.request(admission.leaseNeeds, [&] { resumed = true; });
    QVERIFY(resumed);
    QVERIFY(leases.unavailable());
    QCOMPARE(ledger.lease(kKey), 0);
    advanceMs(clock, 1001);
    QVERIFY(!leases.unavailable());
}

void TestLeases::sharedModeIsAConfigSwitch()
{
    MemorySecretStore secrets;
    const auto off = ConfigLoader::loadString("general_settings:\n  store_prompts: false\n", u"c.yaml"_s, secrets);
    QVERIFY(off.ok());
    QVERIFY(!off->sharedBudgets());
    QCOMPARE(off->general.sharedLeaseSeconds, 30.0);
    const auto on = ConfigLoader::loadString("general_settings:\n  shared_database: true\n  shared_lease_seconds: 5\n",
                                             u"c.yaml"_s, secrets);
    QVERIFY2(on.ok(), on ? "" : qPrintable(on.error().toString()));
    QVERIFY(on->sharedBudgets());
    QCOMPARE(on->general.sharedLeaseSeconds, 5.0);
    // The PostgreSQL hook: a server database is shared.
    Config postgres = *off;
    postgres.general.databaseUrl = u"postgresql://gateway@db/tollgate"_s;
    QVERIFY(postgres.sharedBudgets());
}

// The same jobs on PostgreSQL (the schema as the store migrates it, the lease statements as
// they are), on a fresh database of the server in TOLLGATE_TEST_PG_URL (tst_leases_pg, the
// `postgres` fixture's server; without the variable, as plain tst_leases, it is skipped; with it,
// a server out of reach fails). Two connections ask at once: the row lock serialises them and the
// second sees the first's lease.
void TestLeases::leaseSqlRunsOnPostgres()
{
    if (Test::postgresUrl().isEmpty())
        QSKIP("TOLLGATE_TEST_PG_URL is not set (tst_leases_pg sets it)");
    const auto target = Test::freshPostgresDatabase();
    QVERIFY2(target.ok(), target ? "" : qPrintable(target.error().message));
    {
        // The store migrates the new database to the current schema.
        Store store;
        const auto opened = store.open(*target);
        QVERIFY2(opened.ok(), opened ? "" : qPrintable(opened.error().message));
        store.close();
    }
    const auto connect = [&](const QString &name) {
        const auto db = target->addConnection(name, u"tollgate-test"_s);
        return db ? *db : QSqlDatabase();
    };
    {
        QSqlDatabase db = connect(u"pg-a"_s);
        QSqlDatabase other = connect(u"pg-b"_s);
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QVERIFY(other.open());
        QSqlQuery query(db);
        QVERIFY2(query.exec(u"INSERT INTO keys (token, data, spend_nanousd, created_at, updated_at) "
                            "VALUES ('hash-of-key-1', '{}', 20000000, '', '')"_s),
                 qPrintable(query.lastError().text()));

        using namespace LeaseRepository;
        auto answers = std::make_shared<QList<LeaseAnswer>>();
        // The row is seeded from the key's spend column (2 cents): 8 of 10 remain.
        QVERIFY(db.transaction());
        auto done = lease(u"A"_s, u"jA"_s, {{kKey, kCent, 5 * kCent, 10 * kCent, 0, utc(2025, 3, 11)}}, 1000, 5000, answers)(db);
        QVERIFY2(done.ok(), done ? "" : qPrintable(done.error().message));
        // B asks meanwhile on its own connection: it waits for A's row lock, then sees A's lease.
        auto answersB = std::make_shared<QList<LeaseAnswer>>();
        Result<void> doneB;
        std::thread b([&] {
            // QSqlDatabase connections may be used from another thread one at a time.
            other.transaction();
            doneB = lease(u"B"_s, {}, {{kKey, kCent, 5 * kCent, 10 * kCent, 0, utc(2025, 3, 11)}}, 1000, 5000, answersB)(other);
            other.commit();
        });
        QTest::qWait(200);
        QVERIFY(db.commit());
        b.join();
        QVERIFY2(doneB.ok(), doneB ? "" : qPrintable(doneB.error().message));
        QCOMPARE(answers->value(0).amount, 5 * kCent);
        QCOMPARE(answers->value(0).spend, 2 * kCent);
        QCOMPARE(answersB->value(0).amount, 3 * kCent);
        QCOMPARE(answersB->value(0).leased, 8 * kCent);
        // Nothing left; A's lease expires and is counted as spent, until A's journal is replayed.
        QVERIFY(lease(u"B"_s, {}, {{kKey, 1, kCent, 10 * kCent, 0, utc(2025, 3, 11)}}, 2000, 9000, answersB)(db).ok());
        QVERIFY(!answersB->value(0).granted);
        QVERIFY(lease(u"B"_s, {}, {{kKey, 1, 4 * kCent, 10 * kCent, 0, utc(2025, 3, 11)}}, 6000, 9000, answersB)(db).ok());
        QVERIFY(!answersB->value(0).granted);
        QCOMPARE(answersB->value(0).spend, 7 * kCent);
        QVERIFY(releaseStopped(db, u"jA"_s).ok());
        QVERIFY(lease(u"B"_s, {}, {{kKey, 1, 4 * kCent, 10 * kCent, 0, utc(2025, 3, 11)}}, 6000, 9000, answersB)(db).ok());
        QCOMPARE(answersB->value(0).amount, 4 * kCent);
        QCOMPARE(answersB->value(0).spend, 2 * kCent);
        auto held = std::make_shared<QStringList>();
        QVERIFY(renew(u"B"_s, {}, {}, 20000, held)(db).ok());
        QCOMPARE(*held, QStringList{scopeKey(kKey)});
        QVERIFY(giveBack(u"B"_s, kKey, kDollar)(db).ok());
        QVERIFY(setSpend(kKey, 3 * kCent)(db).ok());
        const auto row = share(db, kKey);
        QVERIFY(row.ok() && row->has_value());
        QCOMPARE((*row)->leased, 0);
        QCOMPARE((*row)->spend, 3 * kCent);
        // A newer window moves the row: spend from 0.
        QVERIFY(lease(u"B"_s, {}, {{kKey, 1, kCent, 10 * kCent, 0, utc(2025, 3, 12)}}, 6000, 9000, answersB)(db).ok());
        QCOMPARE(answersB->value(0).spend, 0);
        // An admin's new period with a window ending before the row's: the row moves back to it.
        QVERIFY(startWindow(kKey, 0, utc(2025, 3, 11, 12))(db).ok());
        const auto moved = share(db, kKey);
        QVERIFY(moved.ok() && moved->has_value());
        QCOMPARE((*moved)->window, isoUtc(utc(2025, 3, 11, 12)));
        QCOMPARE((*moved)->spend, 0);
        db.close();
        other.close();
    }
    QSqlDatabase::removeDatabase(u"pg-a"_s);
    QSqlDatabase::removeDatabase(u"pg-b"_s);
}

QTEST_GUILESS_MAIN(TestLeases)
#include "tst_leases.moc"
