// Per-call work of a relayed call's admission (issue #16: CPU per call ≤ 90 µs), piece by piece:
// the deployment's price lookup (remembered per provider and model since #16; the miss shows
// what matching the catalogue's rules costs), and the request side the controller runs on
// every call — parse, the prompt's byte bound, the provider body spliced from the client's.
// Run from a Release tree: relay_bench [--benchmark_repetitions=5]
#include "models/config.h"
#include "models/pricing.h"
#include "models/tokencount.h"
#include "proxy/accounting.h"
#include "proxy/jsonscan.h"
#include "proxy/metrics.h"
#include "proxy/sse.h"
#include "models/store/spendlog.h"
#include "proxy/providers/provideradapter.h"

#include <QIODevice>
#include <QJsonDocument>
#include <QJsonObject>
#include <QVarLengthArray>

#include <benchmark/benchmark.h>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

// bench/chat.lua's body: what bench/run and bench/callgrind send.
const QByteArray ChatBody = QByteArrayLiteral(
    R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant. Answer concisely."},)"
    R"({"role":"user","content":"Summarize the main differences between TCP and UDP in two sentences, and give one )"
    R"(typical use case for each protocol."}],"temperature":0.2,"max_tokens":128,"top_p":1,"user":"bench-user-0001",)"
    R"("metadata":{"team":"bench","trace":"0123456789abcdef"},"stream":false})");

Deployment openAiDeployment()
{
    Deployment deployment;
    deployment.modelName = u"gpt-4o-mini"_s;
    deployment.provider = Provider::OpenAI;
    deployment.providerName = u"openai"_s;
    deployment.upstreamModel = u"gpt-4o-mini"_s;
    deployment.apiBase = u"http://127.0.0.1:18080/v1"_s;
    deployment.id = u"bench-1"_s;
    return deployment;
}

const PriceCatalogue &catalogue()
{
    static const PriceCatalogue shipped = PriceCatalogue::shipped();
    return shipped;
}

// What relayCall() asks on every call: the deployment's price, now.
void BM_PriceForDeployment(benchmark::State &state)
{
    const Deployment deployment = openAiDeployment();
    benchmark::DoNotOptimize(catalogue().priceFor(deployment));  // loads the catalogue
    for (auto _ : state)
        benchmark::DoNotOptimize(catalogue().priceFor(deployment));
}
BENCHMARK(BM_PriceForDeployment);

// A model asked for the first time (more distinct names than are remembered): the rules are
// matched. What every call paid before lookups were remembered.
void BM_PriceLookupFirstTime(benchmark::State &state)
{
    QStringList models;
    for (int i = 0; i < 4096; ++i)
        models.append(u"gpt-4o-mini-%1"_s.arg(i));
    benchmark::DoNotOptimize(catalogue().find(u"openai"_s, models.first()));
    qsizetype next = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(catalogue().find(u"openai"_s, models.at(next)));
        next = (next + 1) % models.size();
    }
}
BENCHMARK(BM_PriceLookupFirstTime);

// The request side of a chat call before the ledger: parse, the prompt's byte bound, and the
// provider's body (the client's bytes with "model" replaced).
void BM_ChatRequestSide(benchmark::State &state)
{
    const Deployment deployment = openAiDeployment();
    for (auto _ : state) {
        const QJsonObject body = QJsonDocument::fromJson(ChatBody).object();
        benchmark::DoNotOptimize(boundRequestPromptTokens(body, deployment.underlyingModel()));
        benchmark::DoNotOptimize(spliceRequestBody(ChatBody, deployment.upstreamModel, false));
    }
}
BENCHMARK(BM_ChatRequestSide);

// The same request side as the gateway runs it since RequestScan: the body checked without a
// DOM, only the fields the gateway reads parsed, the prompt bounded by its bytes.
void BM_ChatRequestSideScanned(benchmark::State &state)
{
    const Deployment deployment = openAiDeployment();
    for (auto _ : state) {
        const RequestScan scan(ChatBody);
        if (!readableWithoutMessages(scan, ChatBody))
            state.SkipWithError("the bench body is not read without its messages");
        const QJsonObject fields = scan.objectOf(ReadFields::Chat);
        const RequestFields read(fields, &scan);
        benchmark::DoNotOptimize(read.string("model"_L1));
        benchmark::DoNotOptimize(read.string("user"_L1));
        benchmark::DoNotOptimize(plainChatPromptBound(ChatBody, fields, deployment.underlyingModel(),
                                                      promptWalkReadsBesideMessages(scan)));
        const std::optional<SpliceSite> site = spliceSiteOf(scan);
        if (!site)
            state.SkipWithError("the bench body has no splice site");
        benchmark::DoNotOptimize(spliceRequestBody(ChatBody, deployment.upstreamModel, false, *site));
    }
}
BENCHMARK(BM_ChatRequestSideScanned);

// What the relay reads of a Responses answer (bench/fake_upstream's shape): its top level split
// to find usage and id.
const QByteArray ResponsesAnswer = QByteArrayLiteral(
    R"({"id":"resp_0123456789abcdef","object":"response","created_at":1733300000,"status":"completed",)"
    R"("error":null,"incomplete_details":null,"instructions":"You are a helpful assistant. Answer concisely.",)"
    R"("max_output_tokens":128,"model":"gpt-4o-mini","output":[{"type":"message","id":"msg_0123456789abcdef",)"
    R"("status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"text":"TCP is )"
    R"(connection-oriented and reliable; UDP is connectionless and faster. Use TCP for web pages, UDP for live )"
    R"(video."}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},)"
    R"("store":true,"temperature":0.2,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1,)"
    R"("truncation":"disabled","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},)"
    R"("output_tokens":24,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":60},"user":null,"metadata":{}})");

void BM_ResponsesAnswerScan(benchmark::State &state)
{
    QVarLengthArray<JsonMember, 24> members;
    qsizetype close = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(scanJsonObject(ResponsesAnswer, &members, &close));
    state.SetBytesProcessed(state.iterations() * ResponsesAnswer.size());
}
BENCHMARK(BM_ResponsesAnswerScan);

// The cost headers of a virtual-key answer: $0.000072 and a budget of $1,000,000 (written from
// the integer), and $1,234.567890123 (13 significant digits: to_chars' general format).
void BM_UsdHeaderValue(benchmark::State &state)
{
    const NanoUsd amount = state.range(0);
    for (auto _ : state)
        benchmark::DoNotOptimize(usdHeaderValue(amount));
}
BENCHMARK(BM_UsdHeaderValue)->Arg(72'000)->Arg(1'000'000'000'000'000)->Arg(1'234'567'890'123);

// The check alone, over the bench body.
void BM_PlainValidJson(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(isPlainValidJson(ChatBody));
    state.SetBytesProcessed(state.iterations() * ChatBody.size());
}
BENCHMARK(BM_PlainValidJson);

// bench/chat.lua's Messages body, and the look a Messages call makes for a prompt-cache write.
const QByteArray MessagesBody = QByteArrayLiteral(
    R"({"model":"bench-model","max_tokens":128,"system":"You are a helpful assistant. Answer concisely.",)"
    R"("messages":[{"role":"user","content":"Summarize the main differences between TCP and UDP in two sentences, )"
    R"(and give one typical use case for each protocol."}],"temperature":0.2,"top_p":1,)"
    R"("metadata":{"user_id":"bench-user-0001"},"stream":false})");

void BM_BodyContainsQByteArray(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(MessagesBody.contains("cache_control"));
    state.SetBytesProcessed(state.iterations() * MessagesBody.size());
}
BENCHMARK(BM_BodyContainsQByteArray);

void BM_BodyContainsBytes(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(containsBytes(MessagesBody, "cache_control"));
    state.SetBytesProcessed(state.iterations() * MessagesBody.size());
}
BENCHMARK(BM_BodyContainsBytes);

} // namespace

// QtHttpServer 6.4 reads a request's head one byte per QIODevice::read inside a read
// transaction (QHttpServerRequestPrivate::readHeader), appending each byte to its line: this
// is that loop over a sequential, buffered device that serves heads one after another. The
// argument is the head's size: bench/chat.lua's whole head (what QtHttpServer read before
// 2026-12-05), and the trimmed head the transport's guard hands it now (method, protocol,
// Content-Length).
class HeadStream final : public QIODevice
{
public:
    explicit HeadStream(QByteArray head) : m_head(std::move(head)) { open(QIODevice::ReadOnly); }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        for (qint64 i = 0; i < maxSize; ++i, m_at = (m_at + 1) % m_head.size())
            data[i] = m_head.at(m_at);
        return maxSize;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_head;
    qsizetype m_at = 0;
};

void BM_HeadReadByteByByte(benchmark::State &state)
{
    const QByteArray whole = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:18200\r\n"
                             "Authorization: Bearer sk-bench-master-key-0001\r\nContent-Type: application/json\r\n"
                             "Content-Length: 399\r\nUser-Agent: wrk\r\n\r\n";
    const QByteArray trimmed = "POST / HTTP/1.1\ncontent-length:399\n\n";
    const QByteArray head = state.range(0) == 0 ? whole : trimmed;
    HeadStream device(head);
    QByteArray fragment;
    for (auto _ : state) {
        device.startTransaction();
        fragment.clear();
        fragment.reserve(512);
        char c = 0;
        while (device.read(&c, 1) == 1) {
            fragment.append(c);
            if (c == '\n' && (fragment.endsWith("\n\r\n") || fragment.endsWith("\n\n")))
                break;
        }
        device.commitTransaction();
        benchmark::DoNotOptimize(fragment.data());
    }
    state.SetLabel(std::to_string(head.size()) + " bytes");
}
BENCHMARK(BM_HeadReadByteByByte)->Arg(0)->Arg(1);

// /metrics counting per settled call: the same series call after call (one key, model, user and
// end user), or alternating between two (Arg 1).
void BM_MetricsRecordCall(benchmark::State &state)
{
    Metrics metrics;
    SpendLogRow rows[2];
    for (int i = 0; i < 2; ++i) {
        rows[i].apiKey = QString(64, QChar(u'a' + i));
        rows[i].modelGroup = u"gpt-4o-mini"_s;
        rows[i].userId = u"alice"_s;
        rows[i].endUser = u"customer-7"_s;
        rows[i].status = u"success"_s;
        rows[i].spend = 72'000;
        rows[i].promptTokens = 10;
        rows[i].completionTokens = 20;
    }
    const bool alternate = state.range(0) != 0;
    qint64 n = 0;
    for (auto _ : state)
        metrics.recordCall(rows[alternate ? (n++ & 1) : 0], 0.00005);
}
BENCHMARK(BM_MetricsRecordCall)->Arg(0)->Arg(1);

// One SSE event of range(0) KiB that arrives in 16 KiB pieces with its end in the last: the
// search for its end goes on where it stopped (linear), where it rescanned the whole buffer at
// every piece (quadratic: a 100 MB event from a hostile upstream stalled the thread for seconds).
void BM_SseLongEventInPieces(benchmark::State &state)
{
    const qsizetype total = state.range(0) * 1024;
    const QByteArray piece(16 * 1024, 'x');
    for (auto _ : state) {
        SseParser parser;
        SseEvent event;
        parser.feed("data: ");
        for (qsizetype fed = 0; fed < total; fed += piece.size()) {
            parser.feed(piece);
            benchmark::DoNotOptimize(parser.next(event));
        }
        parser.feed("\n\n");
        benchmark::DoNotOptimize(parser.next(event));
    }
    state.SetBytesProcessed(state.iterations() * total);
}
BENCHMARK(BM_SseLongEventInPieces)->Arg(1024)->Arg(65536)->Iterations(1);

BENCHMARK_MAIN();
