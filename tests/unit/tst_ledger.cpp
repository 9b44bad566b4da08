// Unit tests of the Ledger: budgets, resets and thresholds. Rate limits (rpm, tpm,
// parallel requests) are in tst_ledger_limits.cpp.
#include "tests/unit/ledgertestsupport.h"

using namespace LedgerTestSupport;

class TestLedger : public QObject
{
    Q_OBJECT

private slots:
    // Budgets
    void everyLevelAdmitsThenRefusesAtItsMax_data();
    void everyLevelAdmitsThenRefusesAtItsMax();
    void budgetsAreCheckedInRequestOrder();
    void reserveModeOvershootIsAtMostOneCall_data();
    void reserveModeOvershootIsAtMostOneCall();
    void strictModeNeverExceedsTheMax_data();
    void strictModeNeverExceedsTheMax();
    void strictModeRefusesAnUnpricedCallUnderABudget();
    void zeroBudgetAdmitsNothing_data();
    void zeroBudgetAdmitsNothing();
    void settleChargesTheActualCost_data();
    void settleChargesTheActualCost();
    void releaseFreesEverythingButTheRequestCount();
    void finishedReservationsCannotBeSettledAgain();
    void removedBudgetLetsCallsInFlightFinish();
    void renamedScopeKeepsSpendWindowAndCallsInFlight();
    void admissionIsAllOrNothing();
    void responseHeaderData();
    void moneySumsWithoutDrift();
    void hugeAmountsSaturateInsteadOfWrapping();
    void moneyArithmeticSaturates();
    void formatsUsd_data();
    void formatsUsd();

    // Resets
    void resetTimingForEachUnit_data();
    void resetTimingForEachUnit();
    void monthlyResetsStepFromThePreviousReset_data();
    void monthlyResetsStepFromThePreviousReset();
    void aLongGapResetsOnceIntoTheFuture_data();
    void aLongGapResetsOnceIntoTheFuture();
    void aResetDueAtAdmissionIsAppliedFirst();
    void changingTheDurationStartsAFreshWindow_data();
    void changingTheDurationStartsAFreshWindow();
    void firstLoadKeepsStoredSpendAndResetTime();
    void nextResetAtIsTheEarliest();

    // Thresholds
    void thresholdEventsOncePerWindow();
    void oneSettlementCanCrossSeveralThresholds();
    void loadingOrEditingABudgetRaisesNoEvent();

};

// ---------------------------------------------------------------------------------- budgets

void TestLedger::everyLevelAdmitsThenRefusesAtItsMax_data()
{
    QTest::addColumn<LedgerScope>("scope");
    QTest::addColumn<QString>("param");
    QTest::addColumn<QString>("word");
    QTest::addColumn<QString>("shownId");

    QTest::newRow("key") << kKey << u"key"_s << u"Key"_s << u"hash-of-key-1"_s;
    QTest::newRow("user") << kUser << u"user"_s << u"User"_s << u"alice"_s;
    QTest::newRow("end user") << kEndUser << u"end_user"_s << u"EndUser"_s << u"customer-7"_s;
    QTest::newRow("global") << kGlobal << u"global"_s << u"Global"_s << u"proxy"_s;
    QTest::newRow("model on a key") << kKeyModel << u"model"_s << u"Model"_s << u"gpt-4o"_s;
}

void TestLedger::everyLevelAdmitsThenRefusesAtItsMax()
{
    QFETCH(LedgerScope, scope);
    QFETCH(QString, param);
    QFETCH(QString, word);
    QFETCH(QString, shownId);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(scope, maxOf(kDollar));

    for (int i = 0; i < 2; ++i) {
        const Admission admission = ledger.admit(call(50 * kCent));
        QVERIFY(admission.admitted());
        QVERIFY(ledger.settle(admission.reservation, 50 * kCent, 0));
    }
    QCOMPARE(ledger.budget(scope)->spend, kDollar);

    const Admission refused = ledger.admit(call(kCent));
    QVERIFY(!refused.admitted());
    QVERIFY(refused.refusal);
    QCOMPARE(refused.refusal->kind, Refusal::Kind::Budget);
    QCOMPARE(refused.refusal->scope, scope);
    QCOMPARE(refused.refusal->param, param);
    QCOMPARE(refused.refusal->message,
             u"Budget has been exceeded! "_s + word + u'=' + shownId
                 + u" Current cost: 1.0, Max budget: 1.0"_s);
    QCOMPARE(refused.refusal->retryAfterMs, qint64(-1));   // no period: nothing to wait for
    QCOMPARE(ledger.reservationsInFlight(), 0);
}

void TestLedger::budgetsAreCheckedInRequestOrder()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kGlobal, maxOf(0));
    ledger.setBudget(kUser, maxOf(0));

    QCOMPARE(ledger.admit(call()).refusal->scope, kUser);

    AdmissionRequest globalFirst = call();
    globalFirst.budgets = {kGlobal, kUser};
    QCOMPARE(ledger.admit(globalFirst).refusal->scope, kGlobal);
}

void TestLedger::reserveModeOvershootIsAtMostOneCall_data()
{
    QTest::addColumn<NanoUsd>("max");
    QTest::addColumn<int>("admitted");

    // A budget admits while spend + reserved < max: k reservations of c pass while k·c < max.
    const NanoUsd c = 3 * kCent;
    QTest::newRow("budget worth exactly five calls") << 5 * c << 5;
    QTest::newRow("budget worth four and a half calls") << 5 * c - c / 2 << 5;
    QTest::newRow("budget worth a tenth of a call") << c / 10 << 1;
    QTest::newRow("budget of one nano-dollar") << NanoUsd(1) << 1;
}

void TestLedger::reserveModeOvershootIsAtMostOneCall()
{
    QFETCH(NanoUsd, max);
    QFETCH(int, admitted);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, maxOf(max));
    const NanoUsd c = 3 * kCent;

    // 200 calls arrive together: none has finished when the next is admitted.
    QList<ReservationId> inFlight;
    for (int i = 0; i < 200; ++i) {
        const Admission admission = ledger.admit(call(c));
        if (admission.admitted())
            inFlight.append(admission.reservation);
        else
            QCOMPARE(admission.refusal->kind, Refusal::Kind::Budget);
    }
    QCOMPARE(inFlight.size(), admitted);
    QCOMPARE(ledger.budget(kKey)->reserved, admitted * c);
    QCOMPARE(ledger.budget(kKey)->spend, NanoUsd(0));

    for (const ReservationId id : std::as_const(inFlight))
        QVERIFY(ledger.settle(id, c, 0));
    const BudgetState after = *ledger.budget(kKey);
    QCOMPARE(after.reserved, NanoUsd(0));
    QCOMPARE(after.spend, admitted * c);
    QVERIFY(after.spend - max < c);   // overshoot below one call's cost
    QVERIFY(!ledger.admit(call(c)).admitted());
}

void TestLedger::strictModeNeverExceedsTheMax_data()
{
    QTest::addColumn<NanoUsd>("max");
    QTest::addColumn<NanoUsd>("upperBound");
    QTest::addColumn<NanoUsd>("actual");
    QTest::addColumn<int>("admittedAtOnce");

    QTest::newRow("five upper bounds fit exactly") << 50 * kCent << 10 * kCent << 10 * kCent << 5;
    QTest::newRow("four and a half upper bounds fit four") << 45 * kCent << 10 * kCent << 10 * kCent << 4;
    QTest::newRow("real costs below the bound leave room")
        << 50 * kCent << 10 * kCent << 3 * kCent << 5;
    QTest::newRow("one bound larger than the budget") << 5 * kCent << 10 * kCent << kCent << 0;
}

void TestLedger::strictModeNeverExceedsTheMax()
{
    QFETCH(NanoUsd, max);
    QFETCH(NanoUsd, upperBound);
    QFETCH(NanoUsd, actual);
    QFETCH(int, admittedAtOnce);

    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setBudget(kKey, maxOf(max));

    // The estimate is small, the upper bound decides.
    AdmissionRequest request = call(kCent / 10);
    request.upperBoundCost = upperBound;

    QList<ReservationId> inFlight;
    for (int i = 0; i < 100; ++i) {
        const Admission admission = ledger.admit(request);
        if (admission.admitted())
            inFlight.append(admission.reservation);
    }
    QCOMPARE(inFlight.size(), admittedAtOnce);
    QCOMPARE(ledger.budget(kKey)->reserved, admittedAtOnce * upperBound);

    // Settle and admit again until nothing fits: the spend never passes the max.
    while (!inFlight.isEmpty()) {
        QVERIFY(ledger.settle(inFlight.takeFirst(), actual, 0));
        QVERIFY(ledger.budget(kKey)->spend <= max);
        const Admission next = ledger.admit(request);
        if (next.admitted())
            inFlight.append(next.reservation);
    }
    const NanoUsd spend = ledger.budget(kKey)->spend;
    QVERIFY(spend <= max);
    QVERIFY(spend + upperBound > max);   // and the last refusal was needed
}

void TestLedger::strictModeRefusesAnUnpricedCallUnderABudget()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setBudget(kKey, BudgetConfig{});   // spend tracked, no max

    AdmissionRequest unpriced = call(0);
    unpriced.priceKnown = false;
    const Admission tracked = ledger.admit(unpriced);
    QVERIFY2(tracked.admitted(), "a budget without a max does not apply");
    QVERIFY(ledger.release(tracked.reservation));

    ledger.setBudget(kUser, maxOf(100 * kDollar));
    const Admission refused = ledger.admit(unpriced);
    QVERIFY(!refused.admitted());
    QCOMPARE(refused.refusal->kind, Refusal::Kind::PriceUnknown);
    QCOMPARE(refused.refusal->param, u"user"_s);
    QCOMPARE(refused.refusal->message,
             u"Budget cannot be enforced: the price of this model is unknown and budget_enforcement "
             "is strict. User=alice Current cost: 0.0, Max budget: 100.0"_s);

    ledger.setEnforcement(BudgetEnforcement::Reserve);
    QVERIFY2(ledger.admit(unpriced).admitted(), "reserve mode serves unpriced calls");
}

void TestLedger::zeroBudgetAdmitsNothing_data()
{
    QTest::addColumn<BudgetEnforcement>("mode");
    QTest::addColumn<NanoUsd>("cost");

    QTest::newRow("reserve mode") << BudgetEnforcement::Reserve << kCent;
    QTest::newRow("reserve mode, free call") << BudgetEnforcement::Reserve << NanoUsd(0);
    QTest::newRow("strict mode") << BudgetEnforcement::Strict << kCent;
    QTest::newRow("strict mode, free call") << BudgetEnforcement::Strict << NanoUsd(0);
}

void TestLedger::zeroBudgetAdmitsNothing()
{
    QFETCH(BudgetEnforcement, mode);
    QFETCH(NanoUsd, cost);

    ManualClock clock(kStart);
    Ledger ledger(clock, mode);
    ledger.setBudget(kEndUser, maxOf(0));
    const Admission admission = ledger.admit(call(cost));
    QVERIFY(!admission.admitted());
    QCOMPARE(admission.refusal->message,
             u"Budget has been exceeded! EndUser=customer-7 Current cost: 0.0, Max budget: 0.0"_s);
}

void TestLedger::settleChargesTheActualCost_data()
{
    QTest::addColumn<NanoUsd>("estimate");
    QTest::addColumn<NanoUsd>("actual");
    QTest::addColumn<NanoUsd>("charged");

    QTest::newRow("as estimated") << 5 * kCent << 5 * kCent << 5 * kCent;
    QTest::newRow("cheaper than estimated") << 5 * kCent << 2 * kCent << 2 * kCent;
    QTest::newRow("dearer than estimated") << 5 * kCent << 9 * kCent << 9 * kCent;
    QTest::newRow("cancelled stream with no cost") << 5 * kCent << NanoUsd(0) << NanoUsd(0);
    QTest::newRow("a negative cost counts as none") << 5 * kCent << -kCent << NanoUsd(0);
}

void TestLedger::settleChargesTheActualCost()
{
    QFETCH(NanoUsd, estimate);
    QFETCH(NanoUsd, actual);
    QFETCH(NanoUsd, charged);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    const QList<LedgerScope> scopes{kKey, kUser, kEndUser, kGlobal, kKeyModel};
    for (const LedgerScope &scope : scopes)
        ledger.setBudget(scope, BudgetConfig{std::nullopt, std::nullopt, std::nullopt, {}, kDollar});

    const Admission admission = ledger.admit(call(estimate));
    QVERIFY(admission.admitted());
    for (const LedgerScope &scope : scopes)
        QCOMPARE(ledger.budget(scope)->reserved, estimate);

    const auto settlement = ledger.settle(admission.reservation, actual, 0);
    QVERIFY(settlement);
    QCOMPARE(settlement->spends.size(), scopes.size());
    for (qsizetype i = 0; i < scopes.size(); ++i) {
        QCOMPARE(settlement->spends[i].scope, scopes[i]);
        QCOMPARE(settlement->spends[i].spend, kDollar + charged);
        QCOMPARE(ledger.budget(scopes[i])->spend, kDollar + charged);
        QCOMPARE(ledger.budget(scopes[i])->reserved, NanoUsd(0));
    }
}

void TestLedger::releaseFreesEverythingButTheRequestCount()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.setLimits(kKey, rateLimits(10, 1000, 1));

    const Admission admission = ledger.admit(call(30 * kCent, 400));
    QVERIFY(admission.admitted());
    QCOMPARE(ledger.limits(kKey)->inFlight, qint64(1));
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(400));

    QVERIFY(ledger.release(admission.reservation));
    QCOMPARE(ledger.budget(kKey)->reserved, NanoUsd(0));
    QCOMPARE(ledger.budget(kKey)->spend, NanoUsd(0));
    const LimitState limits = *ledger.limits(kKey);
    QCOMPARE(limits.inFlight, qint64(0));
    QCOMPARE(limits.tokensInWindow, qint64(0));
    // An admitted call counts against rpm even when it fails: failing calls must not
    // dodge the limit.
    QCOMPARE(limits.requestsInWindow, qint64(1));
    QCOMPARE(ledger.reservationsInFlight(), 0);
    QVERIFY(ledger.admit(call(30 * kCent, 400)).admitted());
}

void TestLedger::finishedReservationsCannotBeSettledAgain()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, BudgetConfig{});

    const Admission first = ledger.admit(call());
    QVERIFY(ledger.settle(first.reservation, kCent, 0));
    QVERIFY(!ledger.settle(first.reservation, kCent, 0));
    QVERIFY(!ledger.release(first.reservation));

    // The slot is reused by the next call; the old id must not reach it.
    const Admission second = ledger.admit(call());
    QVERIFY(second.reservation != first.reservation);
    QVERIFY(!ledger.release(first.reservation));
    QCOMPARE(ledger.budget(kKey)->reserved, kCent);
    QVERIFY(!ledger.settle(ReservationId{}, kCent, 0));
    QCOMPARE(ledger.budget(kKey)->spend, kCent);
}

void TestLedger::removedBudgetLetsCallsInFlightFinish()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.setBudget(kUser, maxOf(kDollar));
    ledger.setLimits(kKey, rateLimits(5, std::nullopt, 5));

    const Admission admission = ledger.admit(call());
    ledger.removeBudget(kKey);
    ledger.removeLimits(kKey);
    QVERIFY(!ledger.budget(kKey));
    QVERIFY(!ledger.limits(kKey));

    const auto settlement = ledger.settle(admission.reservation, kCent, 0);
    QVERIFY(settlement);
    QCOMPARE(settlement->spends.size(), 1);
    QCOMPARE(settlement->spends[0].scope, kUser);
    QVERIFY(!ledger.budget(kKey));

    // Loaded again later: a fresh entry.
    ledger.setBudget(kKey, maxOf(kDollar));
    QCOMPARE(ledger.budget(kKey)->spend, NanoUsd(0));
    QCOMPARE(ledger.budget(kKey)->reserved, NanoUsd(0));
}

void TestLedger::renamedScopeKeepsSpendWindowAndCallsInFlight()
{
    // A key regenerated with calls in flight (its token changed): nothing of its budget, its
    // window or its limits may be forgotten, or regenerating would reopen them.
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setBudget(kKey, windowOf(u"1h"_s, 5 * kCent));
    ledger.setLimits(kKey, rateLimits(std::nullopt, std::nullopt, 2));
    const Admission settled = ledger.admit(call());
    QVERIFY(ledger.settle(settled.reservation, kCent, 0));
    const Admission first = ledger.admit(call());
    const Admission second = ledger.admit(call());
    QVERIFY(first.admitted() && second.admitted());
    const QDateTime resetAt = ledger.budget(kKey)->resetAt;

    const LedgerScope renamed = LedgerScope::key(u"hash-of-key-2"_s);
    QVERIFY(ledger.renameScope(kKey, renamed));
    QVERIFY(!ledger.budget(kKey));
    QVERIFY(!ledger.limits(kKey));
    QCOMPARE(ledger.budget(renamed)->spend, kCent);
    QCOMPARE(ledger.budget(renamed)->reserved, 2 * kCent);
    QCOMPARE(ledger.budget(renamed)->resetAt, resetAt);
    QCOMPARE(ledger.limits(renamed)->inFlight, qint64(2));

    // Its parallel slots are still taken, under the new id.
    AdmissionRequest byNewKey = call();
    byNewKey.budgets = {renamed};
    byNewKey.limits = {renamed};
    QCOMPARE(ledger.admit(byNewKey).refusal->scope, renamed);

    // The calls in flight settle on the new id.
    const auto settlement = ledger.settle(first.reservation, 2 * kCent, 0);
    QVERIFY(settlement);
    QCOMPARE(settlement->spends.at(0).scope, renamed);
    QCOMPARE(settlement->spends.at(0).spend, 3 * kCent);
    QVERIFY(ledger.settle(second.reservation, kCent, 0));
    QCOMPARE(ledger.budget(renamed)->spend, 4 * kCent);
    QCOMPARE(ledger.budget(renamed)->reserved, NanoUsd(0));
    // Strict: one cent left, so a call bounded at two is refused; one bounded at one passes.
    byNewKey.limits = {};
    byNewKey.upperBoundCost = 2 * kCent;
    QCOMPARE(ledger.admit(byNewKey).refusal->kind, Refusal::Kind::Budget);
    byNewKey.upperBoundCost = kCent;
    QVERIFY(ledger.admit(byNewKey).admitted());

    // The window resets the renamed budget on time.
    QCOMPARE(ledger.nextResetAt(), resetAt);

    // Nothing moves onto an id that is taken, or from one that is unknown.
    ledger.setBudget(kUser, maxOf(kDollar));
    QVERIFY(!ledger.renameScope(renamed, kUser));
    QCOMPARE(ledger.budget(renamed)->spend, 4 * kCent);
    QVERIFY(!ledger.renameScope(kKey, kEndUser));
}

void TestLedger::admissionIsAllOrNothing()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.setBudget(kGlobal, maxOf(kDollar));
    ledger.setLimits(kKey, rateLimits(10, 10'000, 10));
    ledger.setLimits(kEndUser, rateLimits(std::nullopt, std::nullopt, 0));

    const Admission refused = ledger.admit(call(kCent, 100));
    QVERIFY(!refused.admitted());
    QCOMPARE(refused.refusal->scope, kEndUser);
    QCOMPARE(refused.refusal->limitType, RateLimitType::MaxParallelRequests);
    QCOMPARE(ledger.budget(kKey)->reserved, NanoUsd(0));
    QCOMPARE(ledger.budget(kGlobal)->reserved, NanoUsd(0));
    const LimitState key = *ledger.limits(kKey);
    QCOMPARE(key.requestsInWindow, qint64(0));
    QCOMPARE(key.tokensInWindow, qint64(0));
    QCOMPARE(key.inFlight, qint64(0));
    QCOMPARE(ledger.reservationsInFlight(), 0);
}

void TestLedger::responseHeaderData()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, BudgetConfig{kDollar, std::nullopt, std::nullopt, {}, 25 * kCent});
    ledger.setLimits(kKey, rateLimits(10, 1000, std::nullopt));
    ledger.setLimits(kUser, rateLimits(std::nullopt, 500, 3));

    const Admission admission = ledger.admit(call(kCent, 120));
    QVERIFY(admission.admitted());
    QCOMPARE(admission.keySpend, std::optional<NanoUsd>(25 * kCent));
    QCOMPARE(admission.keyMaxBudget, std::optional<NanoUsd>(kDollar));
    QCOMPARE(admission.limits.size(), 2);
    QCOMPARE(admission.limits[0].scope, kKey);
    QCOMPARE(admission.limits[0].requestLimit, std::optional<qint64>(10));
    QCOMPARE(admission.limits[0].remainingRequests, qint64(9));
    QCOMPARE(admission.limits[0].tokenLimit, std::optional<qint64>(1000));
    QCOMPARE(admission.limits[0].remainingTokens, qint64(880));
    QCOMPARE(admission.limits[1].scope, kUser);
    QVERIFY(!admission.limits[1].requestLimit);
    QCOMPARE(admission.limits[1].remainingTokens, qint64(380));
}

void TestLedger::moneySumsWithoutDrift()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, BudgetConfig{});

    AdmissionRequest request;
    request.budgets = {kKey};
    request.estimatedCost = 100;
    for (int i = 0; i < 1'000'000; ++i) {
        const Admission admission = ledger.admit(request);
        QVERIFY(ledger.settle(admission.reservation, 100, 0));   // $1e-7
    }
    QCOMPARE(ledger.budget(kKey)->spend, NanoUsd(100'000'000));
    QCOMPARE(formatUsd(ledger.budget(kKey)->spend), u"0.1"_s);
}

void TestLedger::hugeAmountsSaturateInsteadOfWrapping()
{
    ManualClock clock(kStart);
    Ledger ledger(clock, BudgetEnforcement::Strict);
    ledger.setBudget(kKey, maxOf(kDollar));
    ledger.setBudget(kGlobal, BudgetConfig{});   // counts, no max

    // The largest bound a request can produce is refused by a budget, never wrapped into a
    // negative that fits.
    AdmissionRequest huge = call(kCent);
    huge.upperBoundCost = MaxNanoUsd;
    QVERIFY(!ledger.admit(huge).admitted());
    QVERIFY(ledger.admit(call(kCent)).admitted());   // a small call still fits

    // Holds of the largest amount on a scope without a max: summed exactly, freed exactly.
    AdmissionRequest unbounded;
    unbounded.budgets = {kGlobal};
    unbounded.estimatedCost = unbounded.upperBoundCost = MaxNanoUsd;
    unbounded.estimatedTokens = std::numeric_limits<qint64>::max();
    QList<ReservationId> held;
    for (int i = 0; i < 3; ++i) {
        const Admission admission = ledger.admit(unbounded);
        QVERIFY(admission.admitted());
        held.append(admission.reservation);
    }
    QCOMPARE(ledger.budget(kGlobal)->reserved, MaxNanoUsd);   // shown saturated
    QVERIFY(ledger.settle(held.takeFirst(), MaxNanoUsd, std::numeric_limits<qint64>::max()));
    QVERIFY(ledger.settle(held.takeFirst(), MaxNanoUsd, 0));
    QCOMPARE(ledger.budget(kGlobal)->spend, MaxNanoUsd);       // saturated, not wrapped
    QVERIFY(ledger.release(held.takeFirst()));
    const NanoUsd smallHold = kCent;                            // the first small call's
    QCOMPARE(ledger.budget(kGlobal)->reserved, smallHold);
    // A key with a max: still refuses after the global counter saturated.
    QVERIFY(!ledger.admit(huge).admitted());

    // Huge token counts against a tpm limit refuse rather than wrap.
    Ledger limited(clock);
    limited.setLimits(kKey, rateLimits(std::nullopt, 1000, std::nullopt));
    AdmissionRequest first;
    first.limits = {kKey};
    first.estimatedTokens = 10;
    QVERIFY(limited.admit(first).admitted());
    AdmissionRequest many = first;
    many.estimatedTokens = std::numeric_limits<qint64>::max();
    QVERIFY(!limited.admit(many).admitted());
}

void TestLedger::moneyArithmeticSaturates()
{
    // max_tokens = 2^63 - 1 at $10/Mtok: llround of that product was LLONG_MIN.
    QCOMPARE(tokenCost(std::numeric_limits<qint64>::max(), 0.00001), MaxNanoUsd);
    QCOMPARE(tokenCost(1'000'000'000'000'000'000, 0.00001), MaxNanoUsd);
    QCOMPARE(tokenCost(1000, 0.00001), NanoUsd(10'000'000));
    // No tokens cost nothing, whatever the rate; one token at an infinite rate is the most.
    QCOMPARE(tokenCost(0, std::numeric_limits<double>::infinity()), NanoUsd(0));
    QCOMPARE(tokenCost(0, std::numeric_limits<double>::quiet_NaN()), NanoUsd(0));
    QCOMPARE(tokenCost(1, std::numeric_limits<double>::infinity()), MaxNanoUsd);
    QCOMPARE(usdToNanos(1e300), MaxNanoUsd);
    QCOMPARE(usdToNanos(std::numeric_limits<double>::infinity()), MaxNanoUsd);
    QCOMPARE(usdToNanos(std::numeric_limits<double>::quiet_NaN()), NanoUsd(0));
    QCOMPARE(usdToNanos(-std::numeric_limits<double>::infinity()), MinNanoUsd);
    QCOMPARE(usdToNanos(1.5), NanoUsd(1'500'000'000));
    QCOMPARE(addSaturated(MaxNanoUsd, 1), MaxNanoUsd);
    QCOMPARE(addSaturated(MinNanoUsd, -1), MinNanoUsd);
    QCOMPARE(addSaturated(2, 3), qint64(5));
    QCOMPARE(mulSaturated(std::numeric_limits<qint64>::max(), 3), std::numeric_limits<qint64>::max());
    QCOMPARE(mulSaturated(-4, std::numeric_limits<qint64>::max()), std::numeric_limits<qint64>::min());
    QCOMPARE(mulSaturated(128, 4096), qint64(524'288));
}

void TestLedger::formatsUsd_data()
{
    QTest::addColumn<NanoUsd>("nanos");
    QTest::addColumn<QString>("text");

    QTest::newRow("zero") << NanoUsd(0) << u"0.0"_s;
    QTest::newRow("whole dollars keep one decimal") << 10 * kDollar << u"10.0"_s;
    QTest::newRow("ten cents") << 10 * kCent << u"0.1"_s;
    QTest::newRow("one nano-dollar, no exponent") << NanoUsd(1) << u"0.000000001"_s;
    QTest::newRow("a tenth of a micro-dollar") << NanoUsd(100) << u"0.0000001"_s;
    QTest::newRow("dollars and nanos") << kDollar + 5 << u"1.000000005"_s;
    QTest::newRow("negative") << -(kDollar + kDollar / 2) << u"-1.5"_s;
    QTest::newRow("largest") << std::numeric_limits<NanoUsd>::max() << u"9223372036.854775807"_s;
    QTest::newRow("smallest") << std::numeric_limits<NanoUsd>::min() << u"-9223372036.854775808"_s;
}

void TestLedger::formatsUsd()
{
    QFETCH(NanoUsd, nanos);
    QFETCH(QString, text);
    QCOMPARE(formatUsd(nanos), text);
}

// ----------------------------------------------------------------------------------- resets

void TestLedger::resetTimingForEachUnit_data()
{
    QTest::addColumn<QString>("period");
    QTest::addColumn<QDateTime>("firstReset");
    QTest::addColumn<QDateTime>("secondReset");

    // kStart is Monday 2025-03-10 12:00 UTC.
    QTest::newRow("30 seconds") << u"30s"_s << utc(2025, 3, 10, 12, 0, 30) << utc(2025, 3, 10, 12, 1, 0);
    QTest::newRow("15 minutes") << u"15m"_s << utc(2025, 3, 10, 12, 15) << utc(2025, 3, 10, 12, 30);
    QTest::newRow("12 hours") << u"12h"_s << utc(2025, 3, 11, 0) << utc(2025, 3, 11, 12);
    QTest::newRow("30 days") << u"30d"_s << utc(2025, 4, 9, 12) << utc(2025, 5, 9, 12);
    QTest::newRow("2 weeks") << u"2w"_s << utc(2025, 3, 24, 12) << utc(2025, 4, 7, 12);
    QTest::newRow("1 month") << u"1mo"_s << utc(2025, 4, 10, 12) << utc(2025, 5, 10, 12);
    QTest::newRow("3 months") << u"3mo"_s << utc(2025, 6, 10, 12) << utc(2025, 9, 10, 12);
    QTest::newRow("daily") << u"daily"_s << utc(2025, 3, 11, 12) << utc(2025, 3, 12, 12);
    QTest::newRow("weekly") << u"weekly"_s << utc(2025, 3, 17, 12) << utc(2025, 3, 24, 12);
    QTest::newRow("monthly") << u"monthly"_s << utc(2025, 4, 10, 12) << utc(2025, 5, 10, 12);
    QTest::newRow("yearly is 365 days") << u"yearly"_s << utc(2026, 3, 10, 12) << utc(2027, 3, 10, 12);
}

void TestLedger::resetTimingForEachUnit()
{
    QFETCH(QString, period);
    QFETCH(QDateTime, firstReset);
    QFETCH(QDateTime, secondReset);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    const BudgetState loaded = ledger.setBudget(kKey, windowOf(period, kDollar, 40 * kCent));
    QCOMPARE(loaded.resetAt, firstReset);
    QCOMPARE(ledger.nextResetAt(), firstReset);

    clock.set(firstReset.addMSecs(-1));
    QVERIFY(ledger.applyResets().isEmpty());
    QCOMPARE(ledger.budget(kKey)->spend, 40 * kCent);

    // To the millisecond: the reset is due when now ≥ resetAt.
    clock.set(firstReset);
    const QList<ResetEvent> resets = ledger.applyResets();
    QCOMPARE(resets.size(), 1);
    QCOMPARE(resets[0].scope, kKey);
    QCOMPARE(resets[0].spendBefore, 40 * kCent);
    QCOMPARE(resets[0].windowEnd, firstReset);
    QCOMPARE(resets[0].nextResetAt, secondReset);
    QCOMPARE(ledger.budget(kKey)->spend, NanoUsd(0));
    QCOMPARE(ledger.budget(kKey)->resetAt, secondReset);
    QCOMPARE(ledger.nextResetAt(), secondReset);
    QVERIFY(ledger.applyResets().isEmpty());
}

void TestLedger::monthlyResetsStepFromThePreviousReset_data()
{
    QTest::addColumn<QList<QDateTime>>("sequence");

    // Each reset is one calendar month after the previous one, clamped to the month's end.
    // Only the next reset time is stored (design.md: budgets.reset_at), so a window that
    // started on the 29th-31st settles on the day the first short month clamped it to:
    // a gateway restarted in March could not tell Jan 31 from Jan 28.
    QTest::newRow("from Jan 31 in a common year")
        << QList<QDateTime>{utc(2025, 1, 31), utc(2025, 2, 28), utc(2025, 3, 28), utc(2025, 4, 28)};
    QTest::newRow("from Jan 31 in a leap year")
        << QList<QDateTime>{utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 29), utc(2024, 4, 29)};
    QTest::newRow("from Mar 31 through April")
        << QList<QDateTime>{utc(2025, 3, 31, 9), utc(2025, 4, 30, 9), utc(2025, 5, 30, 9)};
    QTest::newRow("from the 15th, every 15th")
        << QList<QDateTime>{utc(2025, 11, 15), utc(2025, 12, 15), utc(2026, 1, 15), utc(2026, 2, 15)};
    QTest::newRow("across a year end from Dec 31")
        << QList<QDateTime>{utc(2025, 12, 31), utc(2026, 1, 31), utc(2026, 2, 28), utc(2026, 3, 28)};
}

void TestLedger::monthlyResetsStepFromThePreviousReset()
{
    QFETCH(QList<QDateTime>, sequence);

    ManualClock clock(sequence.first().addDays(-1));
    Ledger ledger(clock);
    ledger.setBudget(kKey, windowOf(u"1mo"_s, kDollar, kCent, sequence.first()));
    for (qsizetype i = 0; i + 1 < sequence.size(); ++i) {
        clock.set(sequence[i]);
        const QList<ResetEvent> resets = ledger.applyResets();
        QCOMPARE(resets.size(), 1);
        QCOMPARE(resets[0].windowEnd, sequence[i]);
        QCOMPARE(resets[0].nextResetAt, sequence[i + 1]);
        QCOMPARE(ledger.nextResetAt(), sequence[i + 1]);
    }
}

void TestLedger::aLongGapResetsOnceIntoTheFuture_data()
{
    QTest::addColumn<QString>("period");
    QTest::addColumn<QDateTime>("resetAt");
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<QDateTime>("next");

    QTest::newRow("daily budget, gateway off for 3 days")
        << u"1d"_s << utc(2025, 3, 1) << utc(2025, 3, 4, 5) << utc(2025, 3, 5);
    QTest::newRow("landing exactly on a later reset")
        << u"1d"_s << utc(2025, 3, 1) << utc(2025, 3, 4) << utc(2025, 3, 5);
    QTest::newRow("30-second budget, off for a day")
        << u"30s"_s << utc(2025, 3, 1) << utc(2025, 3, 2, 0, 0, 10) << utc(2025, 3, 2, 0, 0, 30);
    QTest::newRow("2-week budget, off for 5 weeks")
        << u"2w"_s << utc(2025, 3, 3) << utc(2025, 4, 7, 1) << utc(2025, 4, 14);
    QTest::newRow("monthly budget from Jan 31, off until June")
        << u"1mo"_s << utc(2025, 1, 31) << utc(2025, 6, 2) << utc(2025, 6, 28);
}

void TestLedger::aLongGapResetsOnceIntoTheFuture()
{
    QFETCH(QString, period);
    QFETCH(QDateTime, resetAt);
    QFETCH(QDateTime, now);
    QFETCH(QDateTime, next);

    ManualClock clock(resetAt.addSecs(-1));
    Ledger ledger(clock);
    ledger.setBudget(kKey, windowOf(period, kDollar, 70 * kCent, resetAt));
    clock.set(now);

    const QList<ResetEvent> resets = ledger.applyResets();
    QCOMPARE(resets.size(), 1);
    QCOMPARE(resets[0].spendBefore, 70 * kCent);
    QCOMPARE(resets[0].windowEnd, resetAt);
    QCOMPARE(resets[0].nextResetAt, next);
    QVERIFY(resets[0].nextResetAt > now);
    QCOMPARE(ledger.nextResetAt(), next);
    QVERIFY(ledger.applyResets().isEmpty());
}

void TestLedger::aResetDueAtAdmissionIsAppliedFirst()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, windowOf(u"1h"_s, kDollar, kDollar));
    const Admission refused = ledger.admit(call());
    QVERIFY(!refused.admitted());
    // The refusal says when the window ends.
    QCOMPARE(refused.refusal->retryAfterMs, qint64(3'600'000));
    QCOMPARE(refused.refusal->resetsAt, kStart.addSecs(3600));

    // No timer fired (the gateway was busy): the admission applies the reset itself.
    clock.set(kStart.addSecs(3600));
    const Admission admitted = ledger.admit(call());
    QVERIFY(admitted.admitted());
    QCOMPARE(admitted.resets.size(), 1);
    QCOMPARE(admitted.resets[0].scope, kKey);
    QCOMPARE(admitted.resets[0].spendBefore, kDollar);
    QCOMPARE(admitted.keySpend, std::optional<NanoUsd>(0));
    QCOMPARE(ledger.budget(kKey)->reserved, kCent);
}

void TestLedger::changingTheDurationStartsAFreshWindow_data()
{
    QTest::addColumn<QString>("before");   // empty = no duration
    QTest::addColumn<QString>("after");
    QTest::addColumn<bool>("fresh");

    QTest::newRow("adding a duration") << QString() << u"1d"_s << true;
    QTest::newRow("changing the duration") << u"30d"_s << u"7d"_s << true;
    QTest::newRow("same duration keeps spend and reset time") << u"30d"_s << u"30d"_s << false;
    QTest::newRow("same duration in other words") << u"daily"_s << u"1d"_s << false;
    QTest::newRow("weekly is seven days is one week") << u"weekly"_s << u"1w"_s << false;
    QTest::newRow("30 days is not a month") << u"30d"_s << u"1mo"_s << true;
    QTest::newRow("removing the duration keeps spend") << u"30d"_s << QString() << false;
    QTest::newRow("no duration before or after") << QString() << QString() << false;
}

void TestLedger::changingTheDurationStartsAFreshWindow()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(bool, fresh);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    BudgetConfig config = before.isEmpty() ? maxOf(kDollar) : windowOf(before, kDollar);
    config.spend = 30 * kCent;
    const BudgetState loaded = ledger.setBudget(kKey, config);

    clock.advance(3600);
    BudgetConfig changed = after.isEmpty() ? maxOf(2 * kDollar) : windowOf(after, 2 * kDollar);
    changed.spend = 99 * kCent;   // ignored: the ledger holds the spend of a loaded budget
    const BudgetState state = ledger.setBudget(kKey, changed);

    QCOMPARE(state.max, std::optional<NanoUsd>(2 * kDollar));
    if (fresh) {
        QCOMPARE(state.spend, NanoUsd(0));
        QCOMPARE(state.resetAt, duration(after).addTo(clock.now()));
    } else {
        QCOMPARE(state.spend, 30 * kCent);
        QCOMPARE(state.resetAt, after.isEmpty() ? QDateTime() : loaded.resetAt);
    }
    QCOMPARE(ledger.nextResetAt(), state.resetAt);

    // The caller started the fresh window itself (the management API answers with it): the
    // ledger takes that one, to the millisecond, rather than its own "now".
    if (fresh) {
        clock.advance(1);
        BudgetConfig again = windowOf(before.isEmpty() ? u"1h"_s : before, 2 * kDollar);
        again.resetAt = clock.now().addMSecs(-1).addSecs(3600);
        QCOMPARE(ledger.setBudget(kKey, again).resetAt, again.resetAt);
    }
}

void TestLedger::firstLoadKeepsStoredSpendAndResetTime()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    const QDateTime stored = utc(2025, 3, 20);
    QCOMPARE(ledger.setBudget(kKey, windowOf(u"30d"_s, kDollar, 12 * kCent, stored)).resetAt, stored);
    QCOMPARE(ledger.budget(kKey)->spend, 12 * kCent);

    // A period without a stored reset time starts now.
    QCOMPARE(ledger.setBudget(kUser, windowOf(u"1d"_s)).resetAt, kStart.addDays(1));

    // Setting the spend by hand (an admin edit) keeps the window.
    ledger.setSpend(kKey, 0);
    QCOMPARE(ledger.budget(kKey)->spend, NanoUsd(0));
    QCOMPARE(ledger.budget(kKey)->resetAt, stored);
}

void TestLedger::nextResetAtIsTheEarliest()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    QVERIFY(!ledger.nextResetAt().isValid());
    ledger.setBudget(kKey, maxOf(kDollar));
    QVERIFY(!ledger.nextResetAt().isValid());

    ledger.setBudget(kUser, windowOf(u"1d"_s));
    ledger.setBudget(kGlobal, windowOf(u"1h"_s));
    ledger.setBudget(kEndUser, windowOf(u"1w"_s));
    QCOMPARE(ledger.nextResetAt(), kStart.addSecs(3600));

    clock.set(kStart.addSecs(3600));
    QCOMPARE(ledger.applyResets().size(), 1);
    QCOMPARE(ledger.nextResetAt(), kStart.addSecs(7200));

    ledger.removeBudget(kGlobal);
    QCOMPARE(ledger.nextResetAt(), kStart.addDays(1));
    ledger.setBudget(kUser, maxOf(kDollar));   // period removed
    QCOMPARE(ledger.nextResetAt(), kStart.addDays(7));
}

// ------------------------------------------------------------------------------- thresholds

void TestLedger::thresholdEventsOncePerWindow()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    BudgetConfig config = windowOf(u"1d"_s, kDollar);
    config.soft = 50 * kCent;
    ledger.setBudget(kKey, config);

    const auto spend = [&](NanoUsd cost) {
        const Admission admission = ledger.admit(call(cost));
        const auto settlement = ledger.settle(admission.reservation, cost, 0);
        QList<ThresholdEvent::Kind> kinds;
        for (const ThresholdEvent &event : settlement->events) {
            if (event.scope == kKey)
                kinds.append(event.kind);
        }
        return kinds;
    };
    using K = ThresholdEvent::Kind;
    const QList<K> none;

    for (int window = 0; window < 2; ++window) {
        QCOMPARE(spend(30 * kCent), none);                    // 0.30
        QCOMPARE(spend(20 * kCent), QList<K>{K::SoftBudget}); // 0.50: soft reached
        QCOMPARE(spend(29 * kCent), none);                    // 0.79
        QCOMPARE(spend(kCent), QList<K>{K::Percent80});       // 0.80
        QCOMPARE(spend(10 * kCent), none);                    // 0.90
        QCOMPARE(spend(5 * kCent), QList<K>{K::Percent95});   // 0.95
        QCOMPARE(spend(4 * kCent), none);                     // 0.99
        QCOMPARE(spend(2 * kCent), QList<K>{K::Percent100});  // 1.01: the last call admitted
        QVERIFY(!ledger.admit(call()).admitted());
        // The next window reports each threshold again.
        clock.advance(86400);
        QCOMPARE(ledger.applyResets().size(), 1);
    }
}

void TestLedger::oneSettlementCanCrossSeveralThresholds()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setBudget(kKey, maxOf(kDollar, 10 * kCent));
    const Admission admission = ledger.admit(call());
    const auto settlement = ledger.settle(admission.reservation, 3 * kDollar, 0);
    QCOMPARE(settlement->events.size(), 4);
    QCOMPARE(settlement->events[0].kind, ThresholdEvent::Kind::SoftBudget);
    QCOMPARE(settlement->events[0].budget, 10 * kCent);
    QCOMPARE(settlement->events[1].kind, ThresholdEvent::Kind::Percent80);
    QCOMPARE(settlement->events[2].kind, ThresholdEvent::Kind::Percent95);
    QCOMPARE(settlement->events[3].kind, ThresholdEvent::Kind::Percent100);
    QCOMPARE(settlement->events[3].spend, 3 * kDollar);
    QCOMPARE(settlement->events[3].budget, kDollar);
}

void TestLedger::loadingOrEditingABudgetRaisesNoEvent()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    // Loaded at 85 % after a restart: 80 % was reported before the restart.
    ledger.setBudget(kKey, BudgetConfig{kDollar, std::nullopt, std::nullopt, {}, 85 * kCent});
    Admission admission = ledger.admit(call());
    auto settlement = ledger.settle(admission.reservation, kCent, 0);   // 0.86
    QVERIFY(settlement->events.isEmpty());

    // Raising the max re-arms the thresholds the spend is now below.
    ledger.setBudget(kKey, maxOf(2 * kDollar));
    admission = ledger.admit(call());
    settlement = ledger.settle(admission.reservation, 74 * kCent, 0);   // 1.60 = 80 % of 2
    QCOMPARE(settlement->events.size(), 1);
    QCOMPARE(settlement->events[0].kind, ThresholdEvent::Kind::Percent80);
    QCOMPARE(settlement->events[0].budget, 2 * kDollar);
}

QTEST_GUILESS_MAIN(TestLedger)
#include "tst_ledger.moc"
