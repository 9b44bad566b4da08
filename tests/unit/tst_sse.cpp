#include "proxy/jsonscan.h"
#include "proxy/sse.h"

#include <QJsonDocument>

#include <QTest>

using namespace Tollgate;

namespace {

// JSON text written with single quotes (moc cannot read raw strings).
QByteArray json(const char *text)
{
    return QByteArray(text).replace('\'', '"');
}

} // namespace

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
        // Byte by byte, every line end and terminator split at every point: the search goes on
        // where it stopped, and finds an end begun in an earlier piece.
        QList<QByteArray> bytes;
        for (const char c : QByteArray("data: a\r\n\r\ndata: b\ndata: c\n\n: x\r\ndata: d\n\r\ndata: e\r\n\n"))
            bytes.append(QByteArray(1, c));
        QTest::newRow("byte by byte") << bytes << QList<QByteArray>{"a", "b\nc", "d", "e"};
        // The SSE spec's line ends are CRLF, LF or a lone CR: a stream of CRs hid its usage. (A CR
        // that ends the bytes so far may begin a CRLF: the event ends once the next byte tells.)
        QTest::newRow("cr line ends") << QList<QByteArray>{"data: x\r\rdata: 1\rdata: 2\r\r", "\n"}
                                      << QList<QByteArray>{"x", "1\n2"};
        QList<QByteArray> crBytes;
        for (const char c : QByteArray("data: a\r\rdata: b\r\r\ndata: c\r\n\rdata: d\n\r\n"))
            crBytes.append(QByteArray(1, c));
        QTest::newRow("cr byte by byte") << crBytes << QList<QByteArray>{"a", "b", "c", "d"};
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

    void tellsWhatItHoldsOfAnUnfinishedEvent()
    {
        SseParser parser;
        parser.feed("data: a\n\ndata: bbbb");
        SseEvent event;
        QVERIFY(parser.next(event));
        QVERIFY(!parser.next(event));
        QCOMPARE(parser.pendingBytes(), 10);
        parser.feed("\n\n");
        QVERIFY(parser.next(event));
        QCOMPARE(parser.pendingBytes(), 0);
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

        QTest::newRow("content chunk") << json("{'choices':[{'delta':{'content':'hi'}}]}") << false
                                       << false << 0LL << 0LL;
        QTest::newRow("usage-only chunk")
            << json("{'choices':[],'usage':{'prompt_tokens':42,'completion_tokens':10,'total_tokens':52}}")
            << true << true << 42LL << 10LL;
        QTest::newRow("usage null") << json("{'choices':[{'delta':{}}],'usage':null}") << false << false
                                    << 0LL << 0LL;
        QTest::newRow("usage on a content chunk")
            << json("{'choices':[{'delta':{'content':'x'}}],'usage':{'prompt_tokens':1,'completion_tokens':2}}")
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
    // usageFromText reads without the JSON parser what the parser-based readers read, and
    // hands everything else (fractions, arrays, escapes, repeated keys) to the parser.
    void readsUsageTextAsTheParserDoes_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("plain");   // read without the parser

        QTest::newRow("chat") << json("{'prompt_tokens':42,'completion_tokens':17,'total_tokens':59,'prompt_tokens_details':{'cached_tokens':8,'audio_tokens':0},'completion_tokens_details':{'reasoning_tokens':3}}")
                              << true;
        QTest::newRow("chat audio") << json("{'prompt_tokens':42,'completion_tokens':17,'total_tokens':59,'prompt_tokens_details':{'cached_tokens':8,'audio_tokens':30},'completion_tokens_details':{'audio_tokens':12}}")
                                    << true;
        QTest::newRow("no total") << json("{ 'prompt_tokens' : 5 , 'completion_tokens' : 6 }") << true;
        QTest::newRow("responses") << json("{'input_tokens':42,'input_tokens_details':{'cached_tokens':50},'output_tokens':17,'output_tokens_details':{'reasoning_tokens':0},'total_tokens':59}")
                                   << true;
        QTest::newRow("anthropic") << json("{'input_tokens':10,'cache_creation_input_tokens':20,'cache_read_input_tokens':30,'cache_creation':{'ephemeral_5m_input_tokens':5,'ephemeral_1h_input_tokens':15},'output_tokens':40,'service_tier':'standard','server_tool_use':null,'flag':true}")
                                   << true;
        QTest::newRow("anthropic web searches") << json("{'input_tokens':5000,'output_tokens':40,'server_tool_use':{'web_search_requests':3,'web_fetch_requests':1}}")
                                               << true;
        QTest::newRow("negative") << json("{'prompt_tokens':-3,'input_tokens':-1,'output_tokens':2}") << true;
        QTest::newRow("strings") << json("{'prompt_tokens':'42','input_tokens':'7'}") << true;
        QTest::newRow("null counts") << json("{'prompt_tokens':4,'completion_tokens':null,'input_tokens':null,'output_tokens':3}")
                                     << true;
        QTest::newRow("empty") << QByteArray("{}") << true;
        QTest::newRow("fraction") << json("{'prompt_tokens':42.0,'input_tokens':3.5}") << false;
        QTest::newRow("exponent") << json("{'prompt_tokens':4e1,'output_tokens':1E2}") << false;
        QTest::newRow("19 digits") << json("{'prompt_tokens':1234567890123456789}") << false;
        QTest::newRow("array") << json("{'prompt_tokens':1,'x':[1,2]}") << false;
        QTest::newRow("escape") << json("{'prompt_tokens':1,'x':'a\\nb'}") << false;
        QTest::newRow("escaped key") << json("{'prompt\\u005ftokens':9}") << false;
        QTest::newRow("repeated key") << json("{'prompt_tokens':1,'prompt_tokens':2}") << false;
        QTest::newRow("nested array") << json("{'prompt_tokens_details':{'x':[]},'prompt_tokens':1}") << false;
        QTest::newRow("leading zero") << json("{'prompt_tokens':012}") << false;
        QTest::newRow("bare word") << json("{'prompt_tokens':tru}") << false;
        QTest::newRow("missing comma") << json("{'prompt_tokens':1 'completion_tokens':2}") << false;
        QTest::newRow("trailing text") << json("{'prompt_tokens':1}x") << false;
        QTest::newRow("not an object") << QByteArray("[1]") << false;
    }
    void readsUsageTextAsTheParserDoes()
    {
        QFETCH(QByteArray, text);
        QFETCH(bool, plain);
        QCOMPARE(PlainJsonObject(text).valid(), plain);
        const QJsonDocument document = QJsonDocument::fromJson(text);
        for (const UsageDialect dialect : {UsageDialect::Chat, UsageDialect::Anthropic, UsageDialect::Responses}) {
            bool isObject = false;
            const std::optional<Usage> read = usageFromText(dialect, text, &isObject);
            QCOMPARE(isObject, document.isObject());
            const QJsonObject object = document.object();
            const std::optional<Usage> parsed = !isObject                           ? std::nullopt
                                                : dialect == UsageDialect::Chat      ? usageFromChat(object)
                                                : dialect == UsageDialect::Anthropic ? usageFromAnthropic(object)
                                                                                     : usageFromResponses(object);
            QCOMPARE(read.has_value(), parsed.has_value());
            if (!read)
                continue;
            QCOMPARE(read->promptTokens, parsed->promptTokens);
            QCOMPARE(read->completionTokens, parsed->completionTokens);
            QCOMPARE(read->totalTokens, parsed->totalTokens);
            QCOMPARE(read->cachedTokens, parsed->cachedTokens);
            QCOMPARE(read->cacheWriteTokens, parsed->cacheWriteTokens);
            QCOMPARE(read->cacheWrite1hTokens, parsed->cacheWrite1hTokens);
            QCOMPARE(read->tools.webSearches, parsed->tools.webSearches);
            QCOMPARE(read->audioPromptTokens, parsed->audioPromptTokens);
            QCOMPARE(read->audioCompletionTokens, parsed->audioCompletionTokens);
            QCOMPARE(read->reasoningTokens, parsed->reasoningTokens);
        }
    }
    // Reasoning tokens (part of the output, not its audio part) are read for their rate, in chat
    // and in the Responses API; a count that is no number makes the block unusable.
    void usageReadsReasoningTokens()
    {
        const QByteArray chat = json("{'prompt_tokens':120,'completion_tokens':300,'total_tokens':420,"
                                     "'completion_tokens_details':{'reasoning_tokens':200,'audio_tokens':250}}");
        const QByteArray responses = json("{'input_tokens':12,'output_tokens':30,'total_tokens':42,"
                                          "'output_tokens_details':{'reasoning_tokens':20}}");
        for (const std::optional<Usage> &usage : {usageFromText(UsageDialect::Chat, chat),
                                                  usageFromChat(QJsonDocument::fromJson(chat).object())}) {
            QVERIFY(usage.has_value());
            QCOMPARE(usage->reasoningTokens, 50);   // no more than the output that is not audio
        }
        for (const std::optional<Usage> &usage : {usageFromText(UsageDialect::Responses, responses),
                                                  usageFromResponses(QJsonDocument::fromJson(responses).object())}) {
            QVERIFY(usage.has_value());
            QCOMPARE(usage->reasoningTokens, 20);
        }
        QVERIFY(!usageFromText(UsageDialect::Chat, json("{'prompt_tokens':10,'completion_tokens':5,"
                                                        "'completion_tokens_details':{'reasoning_tokens':-1}}")));
        QVERIFY(!usageFromText(UsageDialect::Responses, json("{'input_tokens':10,'output_tokens':5,"
                                                             "'output_tokens_details':{'reasoning_tokens':'5'}}")));
    }
    // Chat's audio tokens (parts of the prompt and completion tokens) are read for their rates;
    // no more of them than the tokens they are part of, and a count that is no number makes the
    // block unusable.
    void chatUsageReadsAudioTokens()
    {
        const QByteArray text = json("{'prompt_tokens':120,'completion_tokens':300,'total_tokens':420,"
                                     "'prompt_tokens_details':{'cached_tokens':0,'audio_tokens':100},"
                                     "'completion_tokens_details':{'reasoning_tokens':0,'audio_tokens':250}}");
        for (const std::optional<Usage> &usage : {usageFromText(UsageDialect::Chat, text),
                                                  usageFromChat(QJsonDocument::fromJson(text).object())}) {
            QVERIFY(usage.has_value());
            QCOMPARE(usage->audioPromptTokens, 100);
            QCOMPARE(usage->audioCompletionTokens, 250);
        }
        const auto capped = usageFromText(UsageDialect::Chat, json("{'prompt_tokens':10,'completion_tokens':5,"
                                                                   "'prompt_tokens_details':{'audio_tokens':99},"
                                                                   "'completion_tokens_details':{'audio_tokens':99}}"));
        QVERIFY(capped.has_value());
        QCOMPARE(capped->audioPromptTokens, 10);
        QCOMPARE(capped->audioCompletionTokens, 5);
        QVERIFY(!usageFromText(UsageDialect::Chat, json("{'prompt_tokens':10,'completion_tokens':5,"
                                                        "'completion_tokens_details':{'audio_tokens':'9'}}")));
    }
    // Anthropic bills each web search it ran (usage.server_tool_use.web_search_requests).
    void anthropicUsageCountsWebSearches()
    {
        const QByteArray text = json("{'input_tokens':5000,'output_tokens':40,'server_tool_use':{'web_search_requests':3}}");
        const std::optional<Usage> usage = usageFromText(UsageDialect::Anthropic, text);
        QVERIFY(usage.has_value());
        QCOMPARE(usage->tools.webSearches, 3);
        QCOMPARE(usageFromAnthropic(QJsonDocument::fromJson(text).object())->tools.webSearches, 3);
        QCOMPARE(usageFromText(UsageDialect::Anthropic, json("{'input_tokens':5,'output_tokens':4}"))->tools.webSearches, 0);
        // A count that is no number makes the block unusable, as the token counts do.
        QVERIFY(!usageFromText(UsageDialect::Anthropic,
                               json("{'input_tokens':5,'output_tokens':4,'server_tool_use':{'web_search_requests':'3'}}")));
    }
    // Chat chunks that carry usage also tell the tier that served the call.
    void usageChunkTellsTheServiceTier()
    {
        const ChunkInfo info = inspectChunk(json("{'choices':[],'service_tier':'priority','usage':{'prompt_tokens':1,'completion_tokens':2}}"));
        QVERIFY(info.usage && info.usageOnly);
        QCOMPARE(info.serviceTier, QStringLiteral("priority"));
    }
    // A usage block is billed only when its counts are numbers from 0 to a billion: a
    // provider's string, negative, NaN or absurd count is no usage (the relay then counts the
    // tokens), never 0 tokens and never a wrapped or saturated bill.
    void unusableUsageIsNoUsage_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("dialect");
        QTest::addColumn<qint64>("prompt");  // -1: no usage
        QTest::addColumn<qint64>("completion");
        const int chat = int(UsageDialect::Chat);
        const int anthropic = int(UsageDialect::Anthropic);
        const int responses = int(UsageDialect::Responses);
        const qint64 none = -1;
        const qint64 most = 1'000'000'000;
        QTest::newRow("chat strings") << json("{'prompt_tokens':'20','completion_tokens':'5'}") << chat << none << 0LL;
        QTest::newRow("chat NaN") << json("{'prompt_tokens':10,'completion_tokens':'NaN'}") << chat << none << 0LL;
        QTest::newRow("chat negative") << json("{'prompt_tokens':10,'completion_tokens':-1000000}") << chat << none << 0LL;
        QTest::newRow("chat negative cached")
            << json("{'prompt_tokens':10,'completion_tokens':1,'prompt_tokens_details':{'cached_tokens':-5}}") << chat
            << none << 0LL;
        QTest::newRow("chat empty") << QByteArray("{}") << chat << none << 0LL;
        QTest::newRow("chat only nulls") << json("{'prompt_tokens':null,'completion_tokens':null}") << chat << none << 0LL;
        QTest::newRow("chat embeddings") << json("{'prompt_tokens':8,'total_tokens':8}") << chat << 8LL << 0LL;
        QTest::newRow("chat 1e300") << json("{'prompt_tokens':1,'completion_tokens':1e300}") << chat << none << 0LL;
        QTest::newRow("chat 1e18") << json("{'prompt_tokens':1000000000000000000,'completion_tokens':2}") << chat << none
                                   << 0LL;
        QTest::newRow("chat over a billion") << json("{'prompt_tokens':1000000001,'completion_tokens':2}") << chat << none
                                             << 0LL;
        QTest::newRow("chat a billion") << json("{'prompt_tokens':1000000000,'completion_tokens':2}") << chat << most
                                        << 2LL;
        QTest::newRow("chat fraction") << json("{'prompt_tokens':3.7,'completion_tokens':2}") << chat << 3LL << 2LL;
        QTest::newRow("anthropic strings") << json("{'input_tokens':'20','output_tokens':'5'}") << anthropic << none << 0LL;
        QTest::newRow("anthropic negative") << json("{'input_tokens':-20,'output_tokens':5}") << anthropic << none << 0LL;
        QTest::newRow("anthropic delta") << json("{'output_tokens':5}") << anthropic << 0LL << 5LL;
        QTest::newRow("responses strings") << json("{'input_tokens':20,'output_tokens':'5'}") << responses << none << 0LL;
        QTest::newRow("responses empty") << QByteArray("{}") << responses << none << 0LL;
    }
    void unusableUsageIsNoUsage()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, dialect);
        QFETCH(qint64, prompt);
        QFETCH(qint64, completion);
        const std::optional<Usage> usage = usageFromText(UsageDialect(dialect), text);
        QCOMPARE(usage.has_value(), prompt >= 0);
        if (usage) {
            QCOMPARE(usage->promptTokens, prompt);
            QCOMPARE(usage->completionTokens, completion);
        }
    }
    void plainObjectReadsMembers()
    {
        const QByteArray text = json("{'a':7,'b':{'c':-12},'s':'x'}");
        const PlainJsonObject object(text);
        QVERIFY(object.valid());
        QCOMPARE(object.raw("a"), std::optional<QByteArrayView>("7"));
        QCOMPARE(object.object("b").raw("c"), std::optional<QByteArrayView>("-12"));
        QCOMPARE(object.raw("s"), std::optional<QByteArrayView>("\"x\""));
        QVERIFY(!object.raw("missing"));
        QVERIFY(!object.raw("c"));                   // only the top level's members
        QVERIFY(!object.object("a").raw("c"));       // not an object: empty
        QVERIFY(!object.object("a").raw("a"));
    }
};

QTEST_GUILESS_MAIN(TestSse)
#include "tst_sse.moc"
