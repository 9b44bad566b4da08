// The answers held whole (HeldAnswers): when they fill the total, one answer goes on past it and
// the others wait for room instead of failing (before, whichever call's bytes came next was
// refused and charged its hold, a small answer of another caller as well).
#include "proxy/heldanswers.h"

#include <QObject>
#include <QTest>

using namespace Tollgate;

class TestHeldAnswers : public QObject
{
    Q_OBJECT

private slots:
    void answersWithinTheTotalAreHeld();
    void anAnswerPastItsLimitIsNotHeld();
    void oneAnswerGoesPastTheTotalAndTheOthersWait();
    void waitingAnswersResumeFromTheEventLoopOnceThereIsRoom();
};

void TestHeldAnswers::answersWithinTheTotalAreHeld()
{
    HeldAnswers answers;
    answers.setLimits(100);
    QCOMPARE(answers.maxTotal(), 200);
    HeldAnswers::Share first;
    HeldAnswers::Share second;
    int resumed = 0;
    QCOMPARE(answers.take(first, 90, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(second, 100, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.held(), 190);
    answers.release(first);
    QCOMPARE(first.bytes, 0);
    QCOMPARE(answers.held(), 100);
    answers.release(first);   // twice is once
    QCOMPARE(answers.held(), 100);
    QCOMPARE(resumed, 0);
}

void TestHeldAnswers::anAnswerPastItsLimitIsNotHeld()
{
    HeldAnswers answers;
    answers.setLimits(100);
    HeldAnswers::Share share;
    QCOMPARE(answers.take(share, 60, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(share, 41, 100), HeldAnswers::Room::PastItsLimit);
    QCOMPARE(answers.take(share, 30, 80), HeldAnswers::Room::PastItsLimit);   // a responder's lower limit
    QCOMPARE(share.bytes, 60);
    QCOMPARE(answers.held(), 60);
}

void TestHeldAnswers::oneAnswerGoesPastTheTotalAndTheOthersWait()
{
    HeldAnswers answers;
    answers.setLimits(100);
    HeldAnswers::Share a, b, c, small;
    QCOMPARE(answers.take(a, 50, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(b, 100, 100), HeldAnswers::Room::Held);
    // c passes the total (230 of 200): the first to, it goes on, to its own limit.
    QCOMPARE(answers.take(c, 80, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(c, 20, 100), HeldAnswers::Room::Held);
    // Another answer, however small, waits; what it read is held meanwhile.
    int resumed = 0;
    QCOMPARE(answers.take(small, 5, 100), HeldAnswers::Room::Wait);
    answers.waitForRoom([&] { ++resumed; });
    QCOMPARE(small.bytes, 5);
    QCOMPARE(answers.waiting(), 1);
    // a is let go: still past the total (205), and c goes past it: small waits on.
    answers.release(a);
    QCOMPARE(answers.waiting(), 1);
    QCOMPARE(resumed, 0);
    // c is let go: no answer is past the total now, the waiting one reads on (no event loop here: at once).
    answers.release(c);
    QCOMPARE(resumed, 1);
    QCOMPARE(answers.waiting(), 0);
    QCOMPARE(answers.take(small, 50, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.held(), 100 + 55);
}

void TestHeldAnswers::waitingAnswersResumeFromTheEventLoopOnceThereIsRoom()
{
    QObject context;
    HeldAnswers answers(&context);
    answers.setLimits(100);
    HeldAnswers::Share big, other, first, second;
    QCOMPARE(answers.take(big, 100, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(other, 100, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(big, 0, 100), HeldAnswers::Room::Held);
    QCOMPARE(answers.take(other, 1, 101), HeldAnswers::Room::Held);   // past the total first: other
    QList<int> resumed;
    QCOMPARE(answers.take(first, 10, 100), HeldAnswers::Room::Wait);
    answers.waitForRoom([&] { resumed.append(1); });
    QCOMPARE(answers.take(second, 10, 100), HeldAnswers::Room::Wait);
    answers.waitForRoom([&] { resumed.append(2); });
    // big is let go: 121 held, under the total, so both read on, in the order they waited, but
    // not from inside release (the caller may be settling a call).
    answers.release(big);
    QVERIFY(resumed.isEmpty());
    QTRY_COMPARE(resumed, (QList<int>{1, 2}));
    QCOMPARE(answers.waiting(), 0);
}

QTEST_GUILESS_MAIN(TestHeldAnswers)
#include "tst_heldanswers.moc"
