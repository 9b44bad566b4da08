// Call ids are UUIDv7 (issue #16): time-ordered, so spend rows append to the right edge of the
// request_id index; strictly increasing within the process, from any thread; unique.
#include "models/callid.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <vector>

using namespace Tollgate;
using namespace Qt::StringLiterals;

class TestCallId : public QObject
{
    Q_OBJECT

private slots:
    void bytesFollowTheRfcLayout();
    void textIsAVersion7Uuid();
    void timestampIsTheUnixMillisecond();
    void idsIncreaseWithinOneMillisecond();
    void idsAreUniqueAndOrderedAcrossThreads();
};

void TestCallId::bytesFollowTheRfcLayout()
{
    // RFC 9562 appendix A.6: 017f22e2-79b0-7cc3-98c4-dc0c0c07398f. Its rand_a (0xcc3) and the
    // first 30 bits of rand_b (after the variant) are the counter here, the rest the random bits.
    const std::uint64_t counter = (std::uint64_t(0xcc3) << 30) | 0x18c4dc0c;
    QCOMPARE(CallId::format(CallId::uuidV7Bytes(0x017F22E279B0, counter, 0x0c07398f)),
             u"017f22e2-79b0-7cc3-98c4-dc0c0c07398f"_s);
}

void TestCallId::textIsAVersion7Uuid()
{
    static const QRegularExpression shape(u"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"_s);
    for (int i = 0; i < 100; ++i) {
        const QString id = newCallId();
        QVERIFY2(shape.match(id).hasMatch(), qPrintable(id));
        const QUuid uuid(id);
        QVERIFY(!uuid.isNull());
        QCOMPARE(uuid.data3 >> 12, 7);  // Qt 6.4's QUuid::version() knows no version 7
        QCOMPARE(uuid.variant(), QUuid::DCE);
        QCOMPARE(uuid.toString(QUuid::WithoutBraces), id);
    }
}

void TestCallId::timestampIsTheUnixMillisecond()
{
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    const QString id = newCallId();
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    const qint64 stamp = QString(id.left(8) + id.mid(9, 4)).toLongLong(nullptr, 16);
    // Ids may run ahead of the clock only when a counter ran over: never by more than a moment.
    QVERIFY2(stamp >= before && stamp <= after + 1, qPrintable(u"%1 not in [%2, %3]"_s.arg(stamp).arg(before).arg(after)));
}

void TestCallId::idsIncreaseWithinOneMillisecond()
{
    // Far more ids than milliseconds pass: most share their millisecond with others.
    constexpr int Count = 50'000;
    QString previous = newCallId();
    int sameMs = 0;
    for (int i = 0; i < Count; ++i) {
        const QString id = newCallId();
        QVERIFY2(id > previous, qPrintable(previous + u" then "_s + id));
        sameMs += id.left(13) == previous.left(13) ? 1 : 0;
        previous = id;
    }
    QVERIFY(sameMs > Count / 2);
}

void TestCallId::idsAreUniqueAndOrderedAcrossThreads()
{
    constexpr int Threads = 4;
    constexpr int PerThread = 20'000;
    std::vector<QStringList> made(Threads);
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back(QThread::create([&ids = made[std::size_t(t)]] {
            ids.reserve(PerThread);
            for (int i = 0; i < PerThread; ++i)
                ids.append(newCallId());
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        QVERIFY(thread->wait(60'000));
    QSet<QString> all;
    for (const QStringList &ids : made) {
        for (qsizetype i = 1; i < ids.size(); ++i)
            QVERIFY2(ids.at(i) > ids.at(i - 1), qPrintable(ids.at(i - 1) + u" then "_s + ids.at(i)));
        for (const QString &id : ids)
            all.insert(id);
    }
    QCOMPARE(all.size(), qsizetype(Threads * PerThread));
}

QTEST_GUILESS_MAIN(TestCallId)
#include "tst_callid.moc"
