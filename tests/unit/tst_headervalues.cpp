// The gateway's numeric header values written without QLocale must read exactly as Qt writes them.
#include "proxy/accounting.h"

#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <limits>

using namespace Tollgate;

class TestHeaderValues : public QObject
{
    Q_OBJECT

private slots:
    void usdAsQtWritesIt();
    void millisecondsAsQtWritesIt();
    void integersAsQtWritesThem();
};

void TestHeaderValues::usdAsQtWritesIt()
{
    QRandomGenerator random(16);
    QList<NanoUsd> amounts{0, 1, 9, 10, 999, 1'000, 123'456, 1'000'000'000, 999'999'999'999, 123'456'789'012'345};
    for (int i = 0; i < 20'000; ++i)
        amounts.append(NanoUsd(random.bounded(qint64(1) << 50) >> random.bounded(50)));
    // Every decimal shape around the written form's switches: exponents, zeros between and
    // after the digits, $1,000 and above, negative amounts.
    for (const NanoUsd base : {NanoUsd(1), NanoUsd(7), NanoUsd(12), NanoUsd(105), NanoUsd(100'001), NanoUsd(123'456'789)}) {
        for (NanoUsd scale = 1; scale <= std::numeric_limits<NanoUsd>::max() / 10 / base; scale *= 10) {
            amounts.append(base * scale);
            amounts.append(base * scale - 1);
            amounts.append(-base * scale);
        }
    }
    // Round amounts of $1,000 and more (a budget), and the 13th significant digit.
    amounts.append({1'000'000'000'000'000, 123'456'000'000'000, 9'000'000'000'000'000'000, -5'000'000'000'000,
                    1'234'567'890'123, 1'234'567'890'120, 999'999'999'999'000});
    amounts.append({999'999'999'999, 1'000'000'000'000, -999'999'999'999, -1'000'000'000'000,
                    std::numeric_limits<NanoUsd>::max(), std::numeric_limits<NanoUsd>::min() + 1});
    for (const NanoUsd amount : amounts)
        QCOMPARE(usdHeaderValue(amount), QByteArray::number(nanosToUsd(amount), 'g', 12));
}

void TestHeaderValues::millisecondsAsQtWritesIt()
{
    QRandomGenerator random(17);
    QList<double> values{0.0, 0.0004, 0.0005, 0.0015, 1.0, 12.3456, 1e6, 123456789.987};
    for (int i = 0; i < 20'000; ++i)
        values.append(random.generateDouble() * std::pow(10.0, random.bounded(7)));
    for (const double ms : values)
        QCOMPARE(millisecondsHeaderValue(ms), QByteArray::number(ms, 'f', 3));
}

void TestHeaderValues::integersAsQtWritesThem()
{
    QRandomGenerator random(18);
    QList<qint64> values{0, 1, -1, 9, 10, 99, 100, 1'000'000, std::numeric_limits<qint64>::max(),
                         std::numeric_limits<qint64>::min()};
    for (int i = 0; i < 20'000; ++i)
        values.append(qint64(random.generate64() >> random.bounded(64)) * (i % 7 == 0 ? -1 : 1));
    for (const qint64 value : values)
        QCOMPARE(integerHeaderValue(value), QByteArray::number(value));
}

QTEST_GUILESS_MAIN(TestHeaderValues)
#include "tst_headervalues.moc"
