// Unit tests of the Ledger's rate limits: rpm, tpm and parallel requests, and their
// refusal messages. Budgets, resets and thresholds are in tst_ledger.cpp.
#include "tests/unit/ledgertestsupport.h"

using namespace LedgerTestSupport;

class TestLedgerLimits : public QObject
{
    Q_OBJECT

private slots:
    // Rate limits
    void limitsRemovedAndRestoredWhileACallRuns();
    void rpmSlidingWindowIsExact_data();
    void rpmSlidingWindowIsExact();
    void tpmCountsPromptTokensAndCorrectsThemAtSettle();
    void tpmRefusalWaitsUntilEnoughTokensLeave();
    void aCallLargerThanTheTpmLimitPassesOnAnEmptyWindow();
    void aBoundIsRefinedOnlyWhereItWouldMatter();
    void parallelSlotsAreFreedBySettleAndRelease();
    void zeroRateLimitsAdmitNothing_data();
    void zeroRateLimitsAdmitNothing();
    void refusalMessagesAreExactlyAsInTheApi_data();
    void refusalMessagesAreExactlyAsInTheApi();
};

void TestLedgerLimits::limitsRemovedAndRestoredWhileACallRuns()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kKey, rateLimits(10, 1000, 2));
    const Admission first = ledger.admit(call(kCent, 500));

    ledger.removeLimits(kKey);
    ledger.setLimits(kKey, rateLimits(10, 1000, 2));
    clock.advance(1);
    const Admission second = ledger.admit(call(kCent, 300));
    QVERIFY(second.admitted());
    QCOMPARE(ledger.limits(kKey)->inFlight, qint64(2));

    // The first call's correction lands on its own tokens, not on the second call's.
    QVERIFY(ledger.settle(first.reservation, kCent, 0));
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(300));
    QCOMPARE(ledger.limits(kKey)->inFlight, qint64(1));
    QVERIFY(ledger.release(second.reservation));
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(0));
    QCOMPARE(ledger.limits(kKey)->inFlight, qint64(0));
}

// ------------------------------------------------------------------------------ rate limits

void TestLedgerLimits::rpmSlidingWindowIsExact_data()
{
    QTest::addColumn<int>("rpm");
    QTest::addColumn<qint64>("spacingMs");

    QTest::newRow("one per minute") << 1 << qint64(0);
    QTest::newRow("three a minute, a second apart") << 3 << qint64(1000);
    QTest::newRow("sixty a minute, 700 ms apart") << 60 << qint64(700);
    QTest::newRow("ten in the same millisecond") << 10 << qint64(0);
}

void TestLedgerLimits::rpmSlidingWindowIsExact()
{
    QFETCH(int, rpm);
    QFETCH(qint64, spacingMs);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kKey, rateLimits(rpm, std::nullopt, std::nullopt));

    for (int i = 0; i < rpm; ++i) {
        const Admission admission = ledger.admit(call());
        QVERIFY2(admission.admitted(), qPrintable(QString::number(i)));
        QVERIFY(ledger.settle(admission.reservation, kCent, 0));
        if (i + 1 < rpm)
            advanceMs(clock, spacingMs);
    }
    advanceMs(clock, 250);
    const qint64 sinceFirst = kStart.msecsTo(clock.now());
    const Admission refused = ledger.admit(call());
    QVERIFY(!refused.admitted());
    QCOMPARE(refused.refusal->kind, Refusal::Kind::RateLimit);
    QCOMPARE(refused.refusal->limitType, RateLimitType::Requests);
    // Exactly when the first call leaves the window.
    QCOMPARE(refused.refusal->retryAfterMs, 60'000 - sinceFirst);
    QCOMPARE(refused.refusal->resetsAt, kStart.addSecs(60));
    QCOMPARE(refused.refusal->retryAfterSeconds(), (60'000 - sinceFirst + 999) / 1000);

    advanceMs(clock, refused.refusal->retryAfterMs - 1);
    QVERIFY(!ledger.admit(call()).admitted());
    advanceMs(clock, 1);
    const Admission again = ledger.admit(call());
    QVERIFY(again.admitted());
    // Calls admitted in the same millisecond leave the window together.
    QCOMPARE(again.limits[0].remainingRequests, qint64(spacingMs == 0 ? rpm - 1 : 0));
}

void TestLedgerLimits::tpmCountsPromptTokensAndCorrectsThemAtSettle()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kKey, rateLimits(std::nullopt, 1000, std::nullopt));

    const Admission first = ledger.admit(call(kCent, 600));
    QVERIFY(first.admitted());
    const Admission tooMany = ledger.admit(call(kCent, 600));   // 600 + 600 > 1000
    QVERIFY(!tooMany.admitted());
    QCOMPARE(tooMany.refusal->limitType, RateLimitType::Tokens);
    QCOMPARE(tooMany.refusal->retryAfterMs, qint64(60'000));

    // Used fewer than estimated: the difference goes back to the admission's slot.
    clock.advance(10);
    QVERIFY(ledger.settle(first.reservation, kCent, 150));
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(150));
    const Admission second = ledger.admit(call(kCent, 600));
    QVERIFY(second.admitted());
    QCOMPARE(second.limits[0].remainingTokens, qint64(250));

    // Used more: the excess was produced by now and counts from now.
    clock.advance(10);
    QVERIFY(ledger.settle(second.reservation, kCent, 800));   // 150 + 600 + 200
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(950));
    clock.set(kStart.addSecs(60));   // the first call's 150 leave
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(800));
    clock.set(kStart.addSecs(70));   // the second's 600 leave
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(200));
    clock.set(kStart.addSecs(80));   // and the excess
    QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(0));
}

void TestLedgerLimits::tpmRefusalWaitsUntilEnoughTokensLeave()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kKey, rateLimits(std::nullopt, 1000, std::nullopt));
    for (const qint64 tokens : {400, 400, 100}) {
        const Admission admission = ledger.admit(call(kCent, tokens));
        QVERIFY(admission.admitted());
        QVERIFY(ledger.settle(admission.reservation, kCent, tokens));
        clock.advance(10);
    }
    // At +30 s: 900 in the window; 500 more need the window down to 500, which happens
    // when the first 400 leave at +60 s.
    const Admission refused = ledger.admit(call(kCent, 500));
    QVERIFY(!refused.admitted());
    QCOMPARE(refused.refusal->retryAfterMs, qint64(30'000));
    // 700 more need it down to 300: after the second 400 leave at +70 s.
    QCOMPARE(ledger.admit(call(kCent, 700)).refusal->retryAfterMs, qint64(40'000));
    QVERIFY(ledger.admit(call(kCent, 100)).admitted());   // exactly fills the limit
}

void TestLedgerLimits::aCallLargerThanTheTpmLimitPassesOnAnEmptyWindow()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kKey, rateLimits(std::nullopt, 100, std::nullopt));
    const Admission big = ledger.admit(call(kCent, 5000));
    QVERIFY2(big.admitted(), "otherwise it could never pass");
    QCOMPARE(big.limits[0].remainingTokens, qint64(0));
    QVERIFY(ledger.settle(big.reservation, kCent, 5000));
    QCOMPARE(ledger.admit(call(kCent, 1)).refusal->retryAfterMs, qint64(60'000));
}

void TestLedgerLimits::aBoundIsRefinedOnlyWhereItWouldMatter()
{
    ManualClock clock(kStart);
    int refinements = 0;
    // The gateway's shape: a cheap bound of 100 tokens / 2 cents, exactly 10 tokens / 1 cent.
    const auto bounded = [&refinements] {
        AdmissionRequest request = call(2 * kCent, 100);
        request.refine = [&refinements](qint64 &tokens, NanoUsd &upper, NanoUsd &estimated) {
            ++refinements;
            tokens = 10;
            upper = estimated = kCent;
        };
        return request;
    };

    // Room to spare: the bound is held as it is and never refined.
    {
        Ledger ledger(clock);
        ledger.setLimits(kKey, rateLimits(std::nullopt, 1000, std::nullopt));
        QVERIFY(ledger.admit(bounded()).admitted());
        QCOMPARE(refinements, 0);
        QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(100));
    }
    // The bound would fill the limit (on an empty window it would pass, holding it all):
    // refined once, the exact count is held and the rest stays free for other calls.
    {
        Ledger ledger(clock);
        ledger.setLimits(kKey, rateLimits(std::nullopt, 50, std::nullopt));
        const Admission admitted = ledger.admit(bounded());
        QVERIFY(admitted.admitted());
        QCOMPARE(refinements, 1);
        QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(10));
        QCOMPARE(admitted.limits.first().remainingTokens, qint64(40));
        // 10 used + a bound of 100 would refuse; 10 + 10 exact fits.
        QVERIFY(ledger.admit(bounded()).admitted());
        QCOMPARE(refinements, 2);
        QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(20));
    }
    // A strict budget the bound does not fit but the exact cost does: admitted, exact held.
    refinements = 0;
    {
        Ledger ledger(clock, BudgetEnforcement::Strict);
        BudgetConfig budget;
        budget.max = kCent + kCent / 2;
        ledger.setBudget(kKey, budget);
        QVERIFY(ledger.admit(bounded()).admitted());
        QCOMPARE(refinements, 1);
        QCOMPARE(ledger.budget(kKey)->reserved, kCent);
        // Now neither fits: refused after one refinement, nothing held.
        QVERIFY(!ledger.admit(bounded()).admitted());
        QCOMPARE(refinements, 2);
        QCOMPARE(ledger.budget(kKey)->reserved, kCent);
    }
    // A request without refine is taken at its word.
    {
        Ledger ledger(clock);
        ledger.setLimits(kKey, rateLimits(std::nullopt, 50, std::nullopt));
        QVERIFY(ledger.admit(call(kCent, 100)).admitted());
        QCOMPARE(ledger.limits(kKey)->tokensInWindow, qint64(100));
    }
}

void TestLedgerLimits::parallelSlotsAreFreedBySettleAndRelease()
{
    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kUser, rateLimits(std::nullopt, std::nullopt, 2));

    const Admission first = ledger.admit(call());
    const Admission second = ledger.admit(call());
    QVERIFY(first.admitted() && second.admitted());
    const Admission third = ledger.admit(call());
    QVERIFY(!third.admitted());
    QCOMPARE(third.refusal->limitType, RateLimitType::MaxParallelRequests);
    QCOMPARE(third.refusal->param, u"user"_s);
    QCOMPARE(third.refusal->retryAfterMs, qint64(1000));   // unknowable: ask again soon

    QVERIFY(ledger.settle(first.reservation, kCent, 0));
    const Admission fourth = ledger.admit(call());
    QVERIFY(fourth.admitted());
    QVERIFY(!ledger.admit(call()).admitted());
    QVERIFY(ledger.release(second.reservation));   // failed or client gone
    QVERIFY(ledger.admit(call()).admitted());
    QCOMPARE(ledger.limits(kUser)->inFlight, qint64(2));
}

void TestLedgerLimits::zeroRateLimitsAdmitNothing_data()
{
    QTest::addColumn<RateLimits>("limits");
    QTest::addColumn<RateLimitType>("type");

    QTest::newRow("rpm 0") << rateLimits(0, std::nullopt, std::nullopt) << RateLimitType::Requests;
    QTest::newRow("tpm 0") << rateLimits(std::nullopt, 0, std::nullopt) << RateLimitType::Tokens;
    QTest::newRow("max parallel 0") << rateLimits(std::nullopt, std::nullopt, 0)
                                    << RateLimitType::MaxParallelRequests;
}

void TestLedgerLimits::zeroRateLimitsAdmitNothing()
{
    QFETCH(RateLimits, limits);
    QFETCH(RateLimitType, type);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(kEndUser, limits);
    const Admission refused = ledger.admit(call(kCent, 10));
    QVERIFY(!refused.admitted());
    QCOMPARE(refused.refusal->limitType, type);
    QCOMPARE(refused.refusal->retryAfterMs, qint64(60'000));   // nothing but an edit helps
}

void TestLedgerLimits::refusalMessagesAreExactlyAsInTheApi_data()
{
    QTest::addColumn<LedgerScope>("scope");
    QTest::addColumn<RateLimits>("limits");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("param");

    // One earlier call at kStart; the refused one comes 15.5 s later.
    QTest::newRow("requests of a key")
        << kKey << rateLimits(1, std::nullopt, std::nullopt)
        << u"Rate limit exceeded for key: hash-of-key-1. Limit type: requests. Current limit: 1, "
           "Remaining: 0. Limit resets at: 2025-03-10T12:01:00.000Z"_s
        << u"key"_s;
    QTest::newRow("tokens of a user")
        << kUser << rateLimits(std::nullopt, 150, std::nullopt)
        << u"Rate limit exceeded for user: alice. Limit type: tokens. Current limit: 150, "
           "Remaining: 50. Limit resets at: 2025-03-10T12:01:00.000Z"_s
        << u"user"_s;
    QTest::newRow("parallel calls of an end user")
        << kEndUser << rateLimits(std::nullopt, std::nullopt, 1)
        << u"Rate limit exceeded for end_user: customer-7. Limit type: max_parallel_requests. "
           "Current limit: 1, Remaining: 0. Limit resets at: 2025-03-10T12:00:16.500Z"_s
        << u"end_user"_s;
}

void TestLedgerLimits::refusalMessagesAreExactlyAsInTheApi()
{
    QFETCH(LedgerScope, scope);
    QFETCH(RateLimits, limits);
    QFETCH(QString, message);
    QFETCH(QString, param);

    ManualClock clock(kStart);
    Ledger ledger(clock);
    ledger.setLimits(scope, limits);
    QVERIFY(ledger.admit(call(kCent, 100)).admitted());   // left in flight
    advanceMs(clock, 15'500);
    const Admission refused = ledger.admit(call(kCent, 100));
    QVERIFY(!refused.admitted());
    QCOMPARE(refused.refusal->message, message);
    QCOMPARE(refused.refusal->param, param);
    QCOMPARE(refused.refusal->scope, scope);
}

QTEST_GUILESS_MAIN(TestLedgerLimits)
#include "tst_ledger_limits.moc"
