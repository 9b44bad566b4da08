#include "proxy/sse.h"

#include <QTest>

using namespace Tollgate;

class TestSse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void splitsEventsAcrossPieces_data()
    {
        QTest::addColumn<QList<QByteArray>>("pieces");
        QTest::addColumn<QList<QByteArray>>("data");

        QTest::newRow("one event in one piece") << QList<QByteArray>{"data: a\n\n"} << QList<QByteArray>{"a"};
        QTest::newRow("two events in one piece")
            << QList<QByteArray>{"data: a\n\ndata: b\n\n"} << QList<QByteArray>{"a", "b"};
        QTest::newRow("event split mid-line")
            << QList<QByteArray>{"da", "ta: hel", "lo\n", "\n"} << QList<QByteArray>{"hello"};
        QTest::newRow("crlf line ends") << QList<QByteArray>{"data: x\r\n\r\ndata: y\r\n", "\r\n"}
                                        << QList<QByteArray>{"x", "y"};
        QTest::newRow("multi-line data joined by newline")
            << QList<QByteArray>{"data: 1\ndata: 2\n\n"} << QList<QByteArray>{"1\n2"};
        QTest::newRow("comments and other fields ignored")
            << QList<QByteArray>{": keep-alive\nevent: message\ndata: z\n\n"} << QList<QByteArray>{"z"};
        QTest::newRow("no space after colon") << QList<QByteArray>{"data:[DONE]\n\n"} << QList<QByteArray>{"[DONE]"};
        QTest::newRow("unfinished event is not returned") << QList<QByteArray>{"data: a\n\ndata: b\n"}
                                                          << QList<QByteArray>{"a"};
    }

    void splitsEventsAcrossPieces()
    {
        QFETCH(QList<QByteArray>, pieces);
        QFETCH(QList<QByteArray>, data);
        SseParser parser;
        QList<QByteArray> got;
        QByteArray raw;
        for (const QByteArray &piece : pieces) {
            parser.feed(piece);
            SseEvent event;
            while (parser.next(event)) {
                got.append(event.data);
                raw += event.raw;
            }
        }
        QCOMPARE(got, data);
        // Raw bytes relay unchanged: the events plus the remainder are exactly the input.
        QCOMPARE(raw + parser.remainder(), pieces.join());
    }

    void recognisesDone()
    {
        SseParser parser;
        parser.feed("data: [DONE]\n\n");
        SseEvent event;
        QVERIFY(parser.next(event));
        QVERIFY(event.isDone());
    }

    void inspectsUsageChunks_data()
    {
        QTest::addColumn<QByteArray>("chunk");
        QTest::addColumn<bool>("hasUsage");
        QTest::addColumn<bool>("usageOnly");
        QTest::addColumn<qint64>("prompt");
        QTest::addColumn<qint64>("completion");

        QTest::newRow("content chunk") << QByteArray(R"({"choices":[{"delta":{"content":"hi"}}]})") << false
                                       << false << 0LL << 0LL;
        QTest::newRow("usage-only chunk")
            << QByteArray(R"({"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":10,"total_tokens":52}})")
            << true << true << 42LL << 10LL;
        QTest::newRow("usage null") << QByteArray(R"({"choices":[{"delta":{}}],"usage":null})") << false << false
                                    << 0LL << 0LL;
        QTest::newRow("usage on a content chunk")
            << QByteArray(R"({"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}})")
            << true << false << 1LL << 2LL;
        QTest::newRow("the word usage inside content")
            << QByteArray("{\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\" is a word\"}}]}") << false << false << 0LL << 0LL;
        QTest::newRow("not json") << QByteArray("\"usage\" garbage") << false << false << 0LL << 0LL;
    }

    void inspectsUsageChunks()
    {
        QFETCH(QByteArray, chunk);
        QFETCH(bool, hasUsage);
        QFETCH(bool, usageOnly);
        QFETCH(qint64, prompt);
        QFETCH(qint64, completion);
        const ChunkInfo info = inspectChunk(chunk);
        QCOMPARE(info.usage.has_value(), hasUsage);
        QCOMPARE(info.usageOnly, usageOnly);
        if (hasUsage) {
            QCOMPARE(info.usage->promptTokens, prompt);
            QCOMPARE(info.usage->completionTokens, completion);
            QCOMPARE(info.usage->totalTokens, prompt + completion);
        }
    }
};

QTEST_GUILESS_MAIN(TestSse)
#include "tst_sse.moc"
