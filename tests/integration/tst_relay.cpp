// Integration tests of the relay: a real gateway on its own thread, a real SQLite store,
// a fake provider speaking real HTTP on loopback, and a blocking client on the test thread.
#include "models/pricing.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"
#include "models/tokencount.h"
#include "proxy/gateway.h"
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/httpclient.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr double InputPrice = 0.000001;   // USD per prompt token
constexpr double OutputPrice = 0.000002;  // USD per completion token
constexpr double CacheReadPrice = 0.0000001;  // USD per cached prompt token (cached-model)

Deployment openaiDeployment(const QString &name, const QString &id, const QByteArray &baseUrl)
{
    Deployment d;
    d.modelName = name;
    d.id = id;
    d.provider = Provider::OpenAI;
    d.providerName = u"openai"_s;
    d.upstreamModel = u"upstream-"_s + id;
    d.apiBase = QString::fromLatin1(baseUrl) + u"/v1"_s;
    d.apiKey = u"sk-provider-secret"_s;
    d.inputCostPerToken = InputPrice;
    d.outputCostPerToken = OutputPrice;
    d.timeoutSeconds = 30;
    return d;
}

QByteArray chatBody(const QString &model, bool stream = false, const QJsonObject &extra = {})
{
    QJsonObject body{{u"model"_s, model},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hello there"_s}}}}};
    if (stream)
        body.insert(u"stream"_s, true);
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body.insert(it.key(), it.value());
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

// A listening socket on 127.0.0.1 (a port the OS picks, in `port`); -1 on failure.
int listenOnLoopback(int backlog, quint16 *port)
{
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr *>(&address), length) != 0 || ::listen(listener, backlog) != 0
        || ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        ::close(listener);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return listener;
}

// One HTTP request read whole from a blocking socket (its Content-Length body); its body, or
// nullopt when the client left first.
std::optional<QByteArray> readRequestBody(int fd)
{
    QByteArray request;
    char buffer[4096];
    qsizetype headEnd = -1;
    qsizetype length = 0;
    while (headEnd < 0 || request.size() < headEnd + length) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0)
            return std::nullopt;
        request.append(buffer, got);
        if (headEnd < 0 && request.contains("\r\n\r\n")) {
            headEnd = request.indexOf("\r\n\r\n") + 4;
            const qsizetype at = request.toLower().indexOf("content-length:");
            length = at < 0 ? 0 : request.mid(at + 15, request.indexOf('\r', at) - at - 15).trimmed().toLongLong();
        }
    }
    return request.mid(headEnd);
}

// A blocking client socket connected to 127.0.0.1:`port` with a small receive buffer (so that a
// client that does not read shows soon) and a 20 s read timeout; -1 on failure.
int connectSlowReader(quint16 port)
{
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    const int small = 64 * 1024;
    ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    timeval timeout{20, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(client, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(client);
        return -1;
    }
    return client;
}

// Sends all of `bytes` on a blocking socket, adding what the kernel took to `sent`.
bool sendAllCounted(int fd, const QByteArray &bytes, std::atomic<qint64> &sent)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        done += n;
        sent += n;
    }
    return true;
}

// A provider that streams `total` bytes of content events as fast as its reader takes them, on
// its own thread with blocking sockets: `sent` is what the kernel took, so a gateway that stops
// reading stops it. One connection at a time; usage and [DONE] after the content, and with
// `runningUsage` a running usage in every content event too (vLLM's continuous_usage_stats).
class FloodProvider
{
public:
    explicit FloodProvider(qint64 total, bool runningUsage = false) : m_total(total), m_runningUsage(runningUsage)
    {
        m_listener = listenOnLoopback(4, &m_port);
        if (m_listener < 0)
            return;
        m_thread = std::thread([this] { serve(); });
    }
    ~FloodProvider()
    {
        m_stopping = true;
        ::shutdown(m_listener, SHUT_RDWR);
        if (m_thread.joinable())
            m_thread.join();
        ::close(m_listener);
    }
    Q_DISABLE_COPY_MOVE(FloodProvider)

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] qint64 sent() const { return m_sent; }

private:
    void serve()
    {
        while (!m_stopping) {
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0)
                return;
            const int small = 64 * 1024;
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
            answer(fd);
            ::close(fd);
        }
    }
    void answer(int fd)
    {
        if (!readRequestBody(fd))
            return;
        m_sent = 0;
        if (!sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"))
            return;
        const QByteArray content = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + QByteArray(4000, 'x')
                                   + "\"}}]";
        for (qint64 events = 1; m_sent < m_total && !m_stopping; ++events) {
            const QByteArray usage = m_runningUsage ? ",\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":"
                                                          + QByteArray::number(events) + ",\"total_tokens\":"
                                                          + QByteArray::number(10 + events) + "}"
                                                    : QByteArray();
            if (!sendAll(fd, content + usage + "}\n\n"))
                return;
        }
        sendAll(fd, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":777,"
                    "\"total_tokens\":787}}\n\ndata: [DONE]\n\n");
    }
    bool sendAll(int fd, const QByteArray &bytes) { return sendAllCounted(fd, bytes, m_sent); }

    qint64 m_total;
    bool m_runningUsage = false;
    int m_listener = -1;
    quint16 m_port = 0;
    std::atomic<qint64> m_sent{0};
    std::atomic<bool> m_stopping{false};
    std::thread m_thread;
};

// A provider of large or unfinished answers, each connection on a thread of its own: the request's
// model "answer-<bytes>" gets a chat completion of that many bytes (usage 10 + 777 tokens); with
// "-held", only its first three quarters until release(); "escaped-<bytes>" the same with its usage
// key written "\u0075sage". "unended-<bytes>" streams one content
// event of that many bytes, then the usage event without its blank line, and closes;
// "endless-<bytes>" streams one event of that many bytes that never ends, and closes.
class LargeAnswerProvider
{
public:
    LargeAnswerProvider()
    {
        m_listener = listenOnLoopback(8, &m_port);
        if (m_listener < 0)
            return;
        m_acceptor = std::thread([this] {
            while (!m_stopping) {
                const int fd = ::accept(m_listener, nullptr, nullptr);
                if (fd < 0)
                    return;
                std::lock_guard lock(m_mutex);
                m_answering.emplace_back([this, fd] {
                    answer(fd);
                    ::close(fd);
                });
            }
        });
    }
    ~LargeAnswerProvider()
    {
        m_stopping = true;
        m_released = true;
        ::shutdown(m_listener, SHUT_RDWR);
        if (m_acceptor.joinable())
            m_acceptor.join();
        for (std::thread &thread : m_answering)
            thread.join();
        ::close(m_listener);
    }
    Q_DISABLE_COPY_MOVE(LargeAnswerProvider)

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] qint64 sent() const { return m_sent; }
    void release() { m_released = true; }

private:
    void answer(int fd)
    {
        const std::optional<QByteArray> request = readRequestBody(fd);
        if (!request)
            return;
        const QString model = QJsonDocument::fromJson(*request).object().value(u"model"_s).toString();
        const QStringList parts = model.split(u'-');
        const qsizetype size = parts.value(1).toLongLong();
        const bool held = parts.value(2) == u"held"_s;
        if (parts.value(0) != u"answer"_s && parts.value(0) != u"escaped"_s) {
            const QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
            const QByteArray content = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                                       + QByteArray(std::max<qsizetype>(size, 1), 'x') + "\"}}]}";
            if (parts.value(0) == u"endless"_s) {
                sendAll(fd, head + content);
                return;
            }
            sendAll(fd, head + content + "\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,"
                                           "\"completion_tokens\":777,\"total_tokens\":787}}");
            return;
        }
        const QByteArray start = "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                 "\"assistant\",\"content\":\"";
        const QByteArray usageKey = parts.value(0) == u"escaped"_s ? "\\u0075sage" : "usage";
        const QByteArray end = "\"},\"finish_reason\":\"stop\"}],\"" + usageKey + "\":{\"prompt_tokens\":10,"
                               "\"completion_tokens\":777,\"total_tokens\":787}}";
        const QByteArray body = start + QByteArray(std::max<qsizetype>(size - start.size() - end.size(), 1), 'x') + end;
        const QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n";
        const qsizetype first = held ? body.size() * 3 / 4 : body.size();
        if (!sendAll(fd, head + body.left(first)))
            return;
        while (held && !m_released)
            std::this_thread::sleep_for(10ms);
        sendAll(fd, body.mid(first));
    }
    bool sendAll(int fd, const QByteArray &bytes) { return sendAllCounted(fd, bytes, m_sent); }

    int m_listener = -1;
    quint16 m_port = 0;
    std::atomic<qint64> m_sent{0};
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_released{false};
    std::mutex m_mutex;
    std::thread m_acceptor;
    std::vector<std::thread> m_answering;
};

} // namespace

class TestRelay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void relaysNonStreamingCall();
    void streamsChunksAsTheyArrive();
    void keepsUsageChunkWhenClientAskedForIt();
    void relaysAzureDeployment();
    void relaysCompletionsAndEmbeddings();
    void passesProviderErrorsThrough_data();
    void passesProviderErrorsThrough();
    void providerErrorOnStreamRequest();
    void upstreamTimeoutIs504();
    void unreachableProviderIs502();
    void malformedProviderAnswerIs502();
    void usageComesFromTheAnswersTopLevel();
    void clientDisconnectCancelsUpstream();
    void aClientThatDoesNotReadStopsTheProvider();
    void aStreamLeftWhileTheModelReasonsIsChargedItsHeldOutput_data();
    void aStreamLeftWhileTheModelReasonsIsChargedItsHeldOutput();
    void aRunningUsageIsNoFinalCount();
    void aClientLeavingANonStreamedCallIsChargedItsAnswer();
    void aTimedOutCallIsChargedWhatWasHeldForIt();
    void anAnswerPastItsLimitIsRefusedAndPastTheTotalWaits();
    void aStreamsLastEventIsReadEvenUnended();
    void pipelinedCallsWaitForAClientThatDoesNotRead();
    void aCountPastTheOutputLimitIsNoCount();
    void roundRobinsAcrossDeployments();
    void mockResponseAnswersLocally();
    void embeddingsAnswersStaySmall();
    void pricesComeFromTheCatalogueWhenConfigHasNone();
    void cachedTokensPayTheCacheReadPrice_data();
    void cachedTokensPayTheCacheReadPrice();
    void mockUsageIsCountedWithTheTokenizer();
    void streamWithoutUsageIsCountedNotFree();
    void answerWithoutUsableUsageIsCountedNotFree_data();
    void answerWithoutUsableUsageIsCountedNotFree();
    void streamWithUnusableUsageIsCountedNotFree_data();
    void streamWithUnusableUsageIsCountedNotFree();
    void brokenStreamIsChargedForWhatWasDelivered_data();
    void brokenStreamIsChargedForWhatWasDelivered();
    void sixtyFourConcurrentSlowCalls();
    void shutdownLetsInFlightCallsFinish();
    void shutdownEndsCallsAfterGracePeriod();

private:
    QList<SpendLogRow> spendRows();
    std::optional<SpendLogRow> spendRow(const QByteArray &requestId);
    Config makeConfig() const;

    QTemporaryDir m_dir;
    FakeProvider m_fake;
    FloodProvider m_flood{128LL * 1024 * 1024};
    FloodProvider m_running{4LL * 1024 * 1024, true};
    Store m_store;
    GatewayHost m_gateway;
    quint16 m_port = 0;
    std::unique_ptr<HttpClient> m_client;
};

Config TestRelay::makeConfig() const
{
    const QByteArray base = m_fake.baseUrl();
    Config config;
    config.sourceFile = u"<test>"_s;
    config.models.append(openaiDeployment(u"relay-model"_s, u"relay-1"_s, base));

    Deployment azure = openaiDeployment(u"azure-model"_s, u"azure-1"_s, base);
    azure.provider = Provider::Azure;
    azure.providerName = u"azure"_s;
    azure.upstreamModel = u"my-deployment"_s;
    azure.apiBase = QString::fromLatin1(base);
    azure.apiVersion = u"2024-10-21"_s;
    azure.apiKey = u"azure-secret"_s;
    config.models.append(azure);

    config.models.append(openaiDeployment(u"rr"_s, u"rr-a"_s, base));
    config.models.append(openaiDeployment(u"rr"_s, u"rr-b"_s, base));

    Deployment slow = openaiDeployment(u"slow-model"_s, u"slow-1"_s, base);
    slow.timeoutSeconds = 0.3;
    config.models.append(slow);

    // Long enough for a stream to start on a busy machine, short enough to cut it.
    Deployment slowStream = openaiDeployment(u"slow-stream-model"_s, u"slow-stream-1"_s, base);
    slowStream.timeoutSeconds = 1.0;
    config.models.append(slowStream);

    Deployment dead = openaiDeployment(u"dead-model"_s, u"dead-1"_s, "http://127.0.0.1:1");
    config.models.append(dead);

    Deployment catalogued = openaiDeployment(u"catalogue-model"_s, u"catalogue-1"_s, base);
    catalogued.upstreamModel = u"gpt-4o-mini"_s;
    catalogued.inputCostPerToken.reset();
    catalogued.outputCostPerToken.reset();
    config.models.append(catalogued);

    Deployment unpriced = catalogued;
    unpriced.modelName = u"unpriced-model"_s;
    unpriced.id = u"unpriced-1"_s;
    unpriced.upstreamModel = u"our-private-finetune"_s;
    config.models.append(unpriced);

    // LiteLLM's cache_read_input_token_cost beside the config's input and output prices.
    Deployment cached = openaiDeployment(u"cached-model"_s, u"cached-1"_s, base);
    cached.cacheReadCostPerToken = CacheReadPrice;
    config.models.append(cached);

    // Models that reason unseen, by name or as declared, and one declared not to.
    Deployment reasoner = openaiDeployment(u"reasoner"_s, u"reasoner-1"_s, base);
    reasoner.upstreamModel = u"o4-mini"_s;
    config.models.append(reasoner);
    Deployment declared = openaiDeployment(u"declared-reasoner"_s, u"declared-1"_s, base);
    declared.supportsReasoning = true;
    config.models.append(declared);
    Deployment plain = openaiDeployment(u"declared-plain"_s, u"plain-1"_s, base);
    plain.upstreamModel = u"o3"_s;
    plain.supportsReasoning = false;
    config.models.append(plain);

    config.models.append(openaiDeployment(u"flood-model"_s, u"flood-1"_s,
                                          "http://127.0.0.1:" + QByteArray::number(m_flood.port())));
    Deployment running = openaiDeployment(u"running-reasoner"_s, u"running-1"_s,
                                          "http://127.0.0.1:" + QByteArray::number(m_running.port()));
    running.upstreamModel = u"o4-mini"_s;
    config.models.append(running);

    Deployment mocked = openaiDeployment(u"mocked-model"_s, u"mocked-1"_s, base);
    mocked.mockResponse = u"canned answer"_s;
    config.models.append(mocked);
    return config;
}

void TestRelay::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_fake.start() != 0);
    const auto opened = m_store.open(m_dir.filePath(u"relay.db"_s));
    QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.error().message));
    Gateway::Options options;
    options.port = 0;
    const auto started = m_gateway.start(makeConfig(), &m_store, options);
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
    m_port = *started;
    m_client = std::make_unique<HttpClient>(m_port);
}

void TestRelay::init()
{
    m_fake.reset();
}

void TestRelay::cleanupTestCase()
{
    m_client.reset();
    m_gateway.stop();
    m_store.close();
}

namespace {

QList<SpendLogRow> spendRowsIn(Store &store)
{
    auto result = store.readNow([](QSqlDatabase &db) {
        auto rows = SpendLogRepository::all(db);
        return rows ? QVariant::fromValue(*rows) : QVariant();
    });
    return result ? result->value<QList<SpendLogRow>>() : QList<SpendLogRow>{};
}

std::optional<SpendLogRow> spendRowIn(Store &store, const QByteArray &requestId)
{
    for (const SpendLogRow &row : spendRowsIn(store)) {
        if (row.requestId == QString::fromLatin1(requestId))
            return row;
    }
    return std::nullopt;
}

// A gateway of a test's own, on a store file of its own: for settings the shared one lacks.
struct OwnGateway
{
    Store store;
    GatewayHost host;
    std::optional<quint16> port;

    OwnGateway(const Config &config, const QString &databasePath)
    {
        if (!store.open(databasePath).ok())
            return;
        Gateway::Options options;
        options.port = 0;
        if (const auto started = host.start(config, &store, options); started.ok())
            port = *started;
    }
    ~OwnGateway()
    {
        host.stop();
        store.close();
    }
    Q_DISABLE_COPY_MOVE(OwnGateway)

    std::optional<SpendLogRow> row(const QByteArray &callId) { return spendRowIn(store, callId); }
};

} // namespace

QList<SpendLogRow> TestRelay::spendRows()
{
    return spendRowsIn(m_store);
}

std::optional<SpendLogRow> TestRelay::spendRow(const QByteArray &requestId)
{
    return spendRowIn(m_store, requestId);
}

namespace {

// The assistant's text of a streamed chat answer, joined from its chunks' deltas.
QString streamedContent(const HttpClient::Response &response)
{
    QString streamed;
    for (const QByteArray &event : response.sseData()) {
        const QJsonArray choices = QJsonDocument::fromJson(event).object().value(u"choices"_s).toArray();
        if (!choices.isEmpty())
            streamed += choices.first().toObject().value(u"delta"_s).toObject().value(u"content"_s).toString();
    }
    return streamed;
}

} // namespace

void TestRelay::relaysNonStreamingCall()
{
    m_fake.setUsage(12, 34);
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s, false, {{u"user"_s, u"alice"_s}}));
    QCOMPARE(response.status, 200);

    // What the provider received.
    QCOMPARE(m_fake.requestCount(), 1);
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.method, QByteArray("POST"));
    QCOMPARE(sent.path, QByteArray("/v1/chat/completions"));
    QCOMPARE(sent.header("authorization"), QByteArray("Bearer sk-provider-secret"));
    QCOMPARE(sent.json().value(u"model"_s).toString(), u"upstream-relay-1"_s);
    QCOMPARE(sent.json().value(u"user"_s).toString(), u"alice"_s);

    // What the client received: the provider's answer plus the gateway's headers.
    const QJsonObject answer = response.json();
    QCOMPARE(answer.value(u"choices"_s).toArray().first().toObject().value(u"message"_s).toObject()
                 .value(u"content"_s).toString(),
             m_fake.content());
    QCOMPARE(answer.value(u"usage"_s).toObject().value(u"prompt_tokens"_s).toInt(), 12);
    const QByteArray callId = response.header("x-litellm-call-id");
    QVERIFY(!callId.isEmpty());
    QCOMPARE(response.header("x-litellm-model-id"), QByteArray("relay-1"));
    QCOMPARE(response.header("x-litellm-model-group"), QByteArray("relay-model"));
    QVERIFY(response.hasHeader("x-litellm-overhead-duration-ms"));
    const double expectedCost = 12 * InputPrice + 34 * OutputPrice;
    QVERIFY(qFuzzyCompare(response.header("x-litellm-response-cost").toDouble(), expectedCost));

    // Journaled before the answer was sent, and committed before any later read: readable at once.
    const auto row = spendRow(callId);
    QVERIFY(row.has_value());
    QCOMPARE(row->status, u"success"_s);
    QCOMPARE(row->promptTokens, 12);
    QCOMPARE(row->completionTokens, 34);
    QCOMPARE(row->spend, usdToNanos(expectedCost));
    QCOMPARE(row->modelGroup, u"relay-model"_s);
    QCOMPARE(row->modelId, u"relay-1"_s);
    QCOMPARE(row->endUser, u"alice"_s);
    QCOMPARE(row->callType, u"acompletion"_s);
}

void TestRelay::streamsChunksAsTheyArrive()
{
    m_fake.setStreamChunks(5, 80ms);
    m_fake.setUsage(7, 5);
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s, true));
    QCOMPARE(response.status, 200);
    QVERIFY(response.chunked);
    QVERIFY(response.header("content-type").startsWith("text/event-stream"));

    // The gateway asked for usage although the client did not...
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.json().value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool(), true);
    // ...and removed the usage-only chunk again.
    const QList<QByteArray> events = response.sseData();
    QVERIFY(!events.isEmpty());
    QCOMPARE(events.last(), QByteArray("[DONE]"));
    for (const QByteArray &event : events)
        QVERIFY2(!event.contains("\"choices\":[]"), event.constData());
    QString text;
    for (const QByteArray &event : events) {
        if (event == "[DONE]")
            continue;
        const QJsonArray choices = QJsonDocument::fromJson(event).object().value(u"choices"_s).toArray();
        if (!choices.isEmpty())
            text += choices.first().toObject().value(u"delta"_s).toObject().value(u"content"_s).toString();
    }
    QCOMPARE(text, m_fake.content());

    // Chunks were relayed as the provider emitted them, not buffered until the end.
    const QList<SteadyTime> emitted = m_fake.emitTimes(0);
    QVERIFY(emitted.size() >= 5);
    QVERIFY(response.chunks.size() >= 3);
    QVERIFY2(response.chunks.first().receivedAt < emitted.last(),
             "the first chunk reached the client only after the provider's last event");
    const auto spread = std::chrono::duration_cast<std::chrono::milliseconds>(
        response.chunks.last().receivedAt - response.chunks.first().receivedAt);
    QVERIFY2(spread >= 250ms, qPrintable(u"chunks arrived within %1 ms"_s.arg(spread.count())));

    // Streamed calls are charged from the usage chunk, not as $0.
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->promptTokens, 7);
    QCOMPARE(row->completionTokens, 5);
    QCOMPARE(row->spend, usdToNanos(7 * InputPrice + 5 * OutputPrice));
    QVERIFY(!row->costEstimated);
}

void TestRelay::keepsUsageChunkWhenClientAskedForIt()
{
    m_fake.setUsage(3, 4);
    const QByteArray body
        = chatBody(u"relay-model"_s, true, {{u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}}});
    const auto response = m_client->post("/v1/chat/completions", body);
    QCOMPARE(response.status, 200);
    // The client's own stream_options cannot be spliced into its bytes: the request read
    // without its messages went out serialised from the whole body, messages and all.
    const QJsonObject sent = m_fake.requests().first().json();
    QCOMPARE(sent.value(u"messages"_s), QJsonDocument::fromJson(body).object().value(u"messages"_s));
    QVERIFY(!sent.value(u"messages"_s).toArray().isEmpty());
    QCOMPARE(sent.value(u"stream_options"_s).toObject().value(u"include_usage"_s), QJsonValue(true));
    int usageChunks = 0;
    for (const QByteArray &event : response.sseData()) {
        const QJsonObject object = QJsonDocument::fromJson(event).object();
        if (object.value(u"usage"_s).isObject()) {
            ++usageChunks;
            QCOMPARE(object.value(u"usage"_s).toObject().value(u"completion_tokens"_s).toInt(), 4);
        }
    }
    QCOMPARE(usageChunks, 1);
}

void TestRelay::relaysAzureDeployment()
{
    const auto response = m_client->post("/chat/completions", chatBody(u"azure-model"_s));
    QCOMPARE(response.status, 200);
    const RecordedRequest sent = m_fake.requests().first();
    QCOMPARE(sent.path, QByteArray("/openai/deployments/my-deployment/chat/completions"));
    QCOMPARE(sent.query, QByteArray("api-version=2024-10-21"));
    QCOMPARE(sent.header("api-key"), QByteArray("azure-secret"));
    QVERIFY(sent.header("authorization").isEmpty());
}

void TestRelay::relaysCompletionsAndEmbeddings()
{
    const auto completion = m_client->post(
        "/v1/completions", QByteArray(R"({"model":"relay-model","prompt":"Say hi"})"));
    QCOMPARE(completion.status, 200);
    QCOMPARE(m_fake.requests().last().path, QByteArray("/v1/completions"));
    QCOMPARE(spendRow(completion.header("x-litellm-call-id")).value_or(SpendLogRow{}).callType, u"atext_completion"_s);

    const auto embedding = m_client->post(
        "/embeddings", QByteArray(R"({"model":"relay-model","input":["a","b"]})"));
    QCOMPARE(embedding.status, 200);
    QCOMPARE(m_fake.requests().last().path, QByteArray("/v1/embeddings"));
    QCOMPARE(embedding.json().value(u"data"_s).toArray().size(), 2);
    QCOMPARE(spendRow(embedding.header("x-litellm-call-id")).value_or(SpendLogRow{}).callType, u"aembedding"_s);
}

void TestRelay::passesProviderErrorsThrough_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("rate limited") << 429 << QByteArray(R"({"error":{"message":"Slow down","type":"requests"}})");
    QTest::newRow("bad request") << 400 << QByteArray(R"({"error":{"message":"bad messages","type":"invalid_request_error"}})");
    QTest::newRow("server error") << 500 << QByteArray(R"({"error":{"message":"boom","type":"server_error"}})");
    QTest::newRow("unauthorised") << 401 << QByteArray(R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})");
}

void TestRelay::passesProviderErrorsThrough()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    m_fake.setErrorResponse(status, body);
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s));
    QCOMPARE(response.status, status);
    QCOMPARE(response.body, body);
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->status, u"failure"_s);
    QCOMPARE(row->spend, 0);
}

void TestRelay::providerErrorOnStreamRequest()
{
    const QByteArray body = R"({"error":{"message":"quota","type":"insufficient_quota"}})";
    m_fake.setErrorResponse(429, body);
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s, true));
    QCOMPARE(response.status, 429);
    QCOMPARE(response.body, body);
}

void TestRelay::upstreamTimeoutIs504()
{
    m_fake.setHang(true);
    QElapsedTimer timer;
    timer.start();
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"slow-model"_s));
    QCOMPARE(response.status, 504);
    QCOMPARE(response.json().value(u"error"_s).toObject().value(u"type"_s).toString(), u"timeout"_s);
    QVERIFY2(timer.elapsed() < 3000, "the 0.3 s deployment timeout was not applied");
}

void TestRelay::unreachableProviderIs502()
{
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"dead-model"_s));
    QCOMPARE(response.status, 502);
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"upstream_error"_s);
    QCOMPARE(error.value(u"code"_s).toString(), u"502"_s);
}

void TestRelay::malformedProviderAnswerIs502()
{
    m_fake.setErrorResponse(200, "this is not json");
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s));
    QCOMPARE(response.status, 502);
    QCOMPARE(response.json().value(u"error"_s).toObject().value(u"type"_s).toString(), u"upstream_error"_s);
}

void TestRelay::usageComesFromTheAnswersTopLevel()
{
    // Only the top level of an answer is split and only its "usage" parsed: a nested "usage"
    // (in a message) does not count, layout does not matter, and the bytes go out untouched.
    const QByteArray answer = "\n { \"choices\" : [ {\"message\": {\"role\":\"assistant\",\"content\":\"} \\\" {\","
                              "\"usage\":{\"prompt_tokens\":999}}} ] ,\r\n\t\"usage\"\t:\t{ \"prompt_tokens\" : 7 ,"
                              " \"completion_tokens\":3 } } \n";
    m_fake.setErrorResponse(200, answer);
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, answer);
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->promptTokens, 7);
    QCOMPARE(row->completionTokens, 3);
    QCOMPARE(row->totalTokens, 10);
    QCOMPARE(row->spend, usdToNanos(7 * InputPrice + 3 * OutputPrice));

    // An escaped key is read by a full parse, as the provider meant it.
    m_fake.setErrorResponse(200, "{\"us\\u0061ge\":{\"prompt_tokens\":5,\"completion_tokens\":1}}");
    const auto escaped = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s));
    QCOMPARE(escaped.status, 200);
    QCOMPARE(spendRow(escaped.header("x-litellm-call-id"))->promptTokens, 5);

    // An object that does not close is no answer.
    m_fake.setErrorResponse(200, "{\"usage\":{\"prompt_tokens\":5}");
    QCOMPARE(m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s)).status, 502);
}

void TestRelay::clientDisconnectCancelsUpstream()
{
    m_fake.setStreamChunks(20, 100ms);
    const int before = int(spendRows().size());
    HttpClient client(m_port);
    const auto partial = client.requestAndAbort("POST", "/v1/chat/completions",
                                                {{"Content-Type", "application/json"}},
                                                chatBody(u"relay-model"_s, true), 1);
    QCOMPARE(partial.status, 200);
    // The gateway noticed and hung up on the provider long before its 2 s stream ended.
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 1500);
    // The call is still recorded, marked as cut short.
    QTRY_COMPARE_WITH_TIMEOUT(int(spendRows().size()), before + 1, 2000);
    const auto row = spendRow(partial.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->status, u"client_disconnected"_s);
}

// A model that reasons unseen (o-series, gpt-5: the reasoning is billed, never streamed) bills
// what it thought before its client left: such a stream was charged the relayed text alone
// (5 left streams: $0.000065 recorded, $1.00 billed). It is charged the output held for it, as
// a timed-out call is; a model that shows all it writes is still charged what it relayed.
void TestRelay::aStreamLeftWhileTheModelReasonsIsChargedItsHeldOutput_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QJsonObject>("extra");
    QTest::addColumn<bool>("chargedTheHold");

    const QByteArray chat = "/v1/chat/completions";
    QTest::newRow("o-series by name") << u"reasoner"_s << chat << QJsonObject() << true;
    QTest::newRow("reasoning_effort asked") << u"relay-model"_s << chat
                                            << QJsonObject{{u"reasoning_effort"_s, u"high"_s}} << true;
    QTest::newRow("model_info.supports_reasoning") << u"declared-reasoner"_s << chat << QJsonObject() << true;
    QTest::newRow("Responses reasoning asked") << u"relay-model"_s << QByteArray("/v1/responses")
                                               << QJsonObject{{u"reasoning"_s, QJsonObject{{u"effort"_s, u"high"_s}}}}
                                               << true;
    QTest::newRow("a model that shows its text") << u"relay-model"_s << chat << QJsonObject() << false;
    QTest::newRow("reasoning_effort none") << u"reasoner"_s << chat
                                           << QJsonObject{{u"reasoning_effort"_s, u"none"_s}} << false;
    QTest::newRow("declared not to reason") << u"declared-plain"_s << chat
                                            << QJsonObject{{u"reasoning_effort"_s, u"high"_s}} << false;
}

void TestRelay::aStreamLeftWhileTheModelReasonsIsChargedItsHeldOutput()
{
    QFETCH(QString, model);
    QFETCH(QByteArray, path);
    QFETCH(QJsonObject, extra);
    QFETCH(bool, chargedTheHold);

    constexpr qint64 MaxOutput = 500;
    m_fake.setStreamChunks(20, 100ms);
    QJsonObject body;
    if (path == "/v1/responses") {
        body = QJsonObject{{u"model"_s, model}, {u"input"_s, u"Hello there"_s}, {u"stream"_s, true},
                           {u"max_output_tokens"_s, MaxOutput}};
    } else {
        body = QJsonDocument::fromJson(chatBody(model, true)).object();
        body.insert(u"max_completion_tokens"_s, MaxOutput);
    }
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body.insert(it.key(), it.value());

    HttpClient client(m_port);
    const auto partial = client.requestAndAbort("POST", path, {{"Content-Type", "application/json"}},
                                                QJsonDocument(body).toJson(QJsonDocument::Compact), 1);
    QCOMPARE(partial.status, 200);
    const QByteArray callId = partial.header("x-litellm-call-id");
    std::optional<SpendLogRow> row;
    QTRY_VERIFY_WITH_TIMEOUT((row = spendRow(callId)).has_value(), 3000);
    QCOMPARE(row->status, u"client_disconnected"_s);
    QVERIFY(row->costEstimated);
    QVERIFY(row->promptTokens > 0);
    if (chargedTheHold) {
        QCOMPARE(row->completionTokens, MaxOutput);
    } else {
        QVERIFY2(row->completionTokens < 50, qPrintable(QString::number(row->completionTokens)));  // the relayed text
    }
    QCOMPARE(row->spend, usdToNanos(row->promptTokens * InputPrice) + usdToNanos(row->completionTokens * OutputPrice));
}

// A provider that puts a running usage in every chunk (vLLM and SGLang with continuous_usage_stats,
// which the client may ask for) told a count of what it had written so far: a reasoning stream
// left early was charged that, not the output held for it ($0.000052 recorded, $0.20 billed).
void TestRelay::aRunningUsageIsNoFinalCount()
{
    QVERIFY(m_running.port() != 0);
    HttpClient client(m_port);
    const auto partial = client.requestAndAbort("POST", "/v1/chat/completions", {{"Content-Type", "application/json"}},
                                                chatBody(u"running-reasoner"_s, true, {{u"max_completion_tokens"_s, 50000}}), 1);
    QCOMPARE(partial.status, 200);
    std::optional<SpendLogRow> row;
    QTRY_VERIFY_WITH_TIMEOUT((row = spendRow(partial.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->status, u"client_disconnected"_s);
    QCOMPARE(row->promptTokens, 10);   // the running usage's
    QCOMPARE(row->completionTokens, 50000);
    QVERIFY(row->costEstimated);
}

// A client that does not read its stream made the gateway read all of it from the provider and
// hold it (300 MB sent: 743 MB resident). Now the provider's answer waits once a MiB is queued
// for the client, and goes on, whole and in order, as the client reads.
void TestRelay::aClientThatDoesNotReadStopsTheProvider()
{
    QVERIFY(m_flood.port() != 0);
    const int client = connectSlowReader(m_port);
    QVERIFY(client >= 0);
    const auto closeClient = qScopeGuard([client] { ::close(client); });
    const QByteArray body = chatBody(u"flood-model"_s, true);
    const QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    QCOMPARE(::send(client, request.constData(), size_t(request.size()), MSG_NOSIGNAL), ssize_t(request.size()));
    char buffer[65536];
    QVERIFY(::recv(client, buffer, 1024, 0) > 0);   // the head, and the stream's start

    // The client reads no more: what the provider could send settles.
    QTRY_VERIFY_WITH_TIMEOUT(m_flood.sent() > 0, 5000);
    qint64 settled = -1;
    for (int round = 0; round < 50 && settled != m_flood.sent(); ++round) {
        settled = m_flood.sent();
        QTest::qWait(300);
    }
    // The kernel's buffers on the way hold some MiB (loopback grows them up to 32 MiB); without
    // the pause the gateway read all 128 MiB.
    QVERIFY2(settled < 64LL * 1024 * 1024, qPrintable(QString::number(settled)));

    // It reads: everything arrives, the usage is the provider's.
    qint64 received = 0;
    QByteArray tail;
    while (!tail.endsWith("0\r\n\r\n")) {
        const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        QVERIFY2(got > 0, "the stream ended early");
        received += got;
        tail = QByteArray(tail + QByteArray(buffer, got)).right(64);
    }
    QVERIFY(received > 128LL * 1024 * 1024);
    QVERIFY(tail.contains("[DONE]"));
    QTRY_VERIFY_WITH_TIMEOUT(spendRows().last().completionTokens == 777, 3000);
    QCOMPARE(spendRows().last().status, u"success"_s);
}

// A non-streamed call's provider answers (and bills) it whether or not its client waits: the
// gateway waited for nothing and charged the prompt only. Now it waits for the answer and records
// its usage.
void TestRelay::aClientLeavingANonStreamedCallIsChargedItsAnswer()
{
    m_fake.setLatency(600ms);
    m_fake.setUsage(12, 340);
    const int before = int(spendRows().size());
    HttpClient client(m_port);
    client.sendAndDrop("POST", "/v1/chat/completions", {{"Content-Type", "application/json"}},
                       chatBody(u"relay-model"_s), 100ms);
    QTRY_COMPARE_WITH_TIMEOUT(int(spendRows().size()), before + 1, 5000);
    const SpendLogRow row = spendRows().last();
    QCOMPARE(row.status, u"client_disconnected"_s);
    QCOMPARE(row.promptTokens, 12);
    QCOMPARE(row.completionTokens, 340);
    QCOMPARE(row.spend, usdToNanos(12 * InputPrice + 340 * OutputPrice));
    QVERIFY(!row.costEstimated);
    QCOMPARE(m_fake.clientDisconnects(), 0);  // the provider's answer was read to its end
}

// A provider that got the request but did not answer in time still works on it and bills it:
// such a call cost nothing. It is charged its prompt and the output admission held for it (reserve
// mode: max_tokens, else a typical answer), marked estimated. A provider never reached costs nothing.
void TestRelay::aTimedOutCallIsChargedWhatWasHeldForIt()
{
    m_fake.setHang(true);
    const QByteArray body = chatBody(u"slow-model"_s, false, {{u"max_tokens"_s, 300}});
    const auto timedOut = m_client->post("/v1/chat/completions", body);
    QCOMPARE(timedOut.status, 504);
    const auto row = spendRow(timedOut.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->status, u"timeout"_s);
    const qint64 prompt = countRequestPromptTokens(QJsonDocument::fromJson(body).object(), u"upstream-slow-1"_s);
    QVERIFY(prompt > 0);
    QCOMPARE(row->promptTokens, prompt);
    QCOMPARE(row->completionTokens, 300);
    QCOMPARE(row->spend, usdToNanos(prompt * InputPrice) + usdToNanos(300 * OutputPrice));
    QVERIFY(row->costEstimated);

    // Without max_tokens: the typical answer reserve mode holds.
    const auto noLimit = m_client->post("/v1/chat/completions", chatBody(u"slow-model"_s));
    QCOMPARE(noLimit.status, 504);
    QCOMPARE(spendRow(noLimit.header("x-litellm-call-id"))->completionTokens, 4096);

    // A call that declared the image tool: the image the provider may have made is charged too.
    const QJsonObject drawing{{u"model"_s, u"slow-model"_s}, {u"input"_s, u"Draw a tollgate"_s}, {u"max_output_tokens"_s, 50},
                              {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"image_generation"_s}}}}};
    const auto drawn = m_client->post("/v1/responses", QJsonDocument(drawing).toJson(QJsonDocument::Compact));
    QCOMPARE(drawn.status, 504);
    const auto drawnRow = spendRow(drawn.header("x-litellm-call-id"));
    QVERIFY(drawnRow.has_value());
    QCOMPARE(drawnRow->completionTokens, 50);
    QCOMPARE(drawnRow->spend, usdToNanos(drawnRow->promptTokens * InputPrice) + usdToNanos(50 * OutputPrice)
                                  + usdToNanos(Tollgate::DefaultImageGenerationCostPerCall));

    const auto unreachable = m_client->post("/v1/chat/completions", chatBody(u"dead-model"_s));
    QCOMPARE(unreachable.status, 502);
    const auto unreached = spendRow(unreachable.header("x-litellm-call-id"));
    QVERIFY(unreached.has_value());
    QCOMPARE(unreached->spend, 0);
}

// A non-streamed answer is held whole until it is recorded. One past max_response_size_mb, or one
// that would take the answers held at once past twice that, is refused; the provider answered
// (and bills) it, so it is charged what admission held for it. The refused answers were free,
// and a provider's flood of large answers could take all the memory.
void TestRelay::anAnswerPastItsLimitIsRefusedAndPastTheTotalWaits()
{
    LargeAnswerProvider provider;
    QVERIFY(provider.port() != 0);
    const QByteArray base = "http://127.0.0.1:" + QByteArray::number(provider.port());
    Config config;
    config.sourceFile = u"<test>"_s;
    config.general.maxResponseSizeMb = 1.0;   // 1 MiB an answer, 2 MiB held at once
    const QList<QPair<QString, QString>> models{{u"huge"_s, u"answer-1500000"_s},
                                                {u"large-held"_s, u"answer-1040000-held"_s},
                                                {u"large"_s, u"answer-1040000"_s},
                                                {u"small"_s, u"answer-2000"_s}};
    for (const auto &[name, upstream] : models) {
        Deployment deployment = openaiDeployment(name, name, base);
        deployment.upstreamModel = upstream;
        config.models.append(deployment);
    }
    // count_tokens on an Anthropic deployment is the provider's answer, forwarded.
    Deployment anthropic = openaiDeployment(u"counted-huge"_s, u"counted-huge"_s, base);
    anthropic.provider = Provider::Anthropic;
    anthropic.providerName = u"anthropic"_s;
    anthropic.apiBase = QString::fromLatin1(base);
    anthropic.apiVersion = u"2023-06-01"_s;
    anthropic.upstreamModel = u"answer-1500000"_s;
    config.models.append(anthropic);
    auto gateway = std::make_unique<OwnGateway>(config, m_dir.filePath(u"limits.db"_s));
    QVERIFY(gateway->port);
    HttpClient client(*gateway->port);
    const auto rowOf = [&gateway](const QByteArray &callId) { return gateway->row(callId); };
    const auto chargedItsHold = [](const SpendLogRow &row, qint64 heldOutput) {
        return row.status == u"failure"_s && row.completionTokens == heldOutput && row.promptTokens > 0
               && row.costEstimated
               && row.spend == usdToNanos(row.promptTokens * InputPrice) + usdToNanos(heldOutput * OutputPrice);
    };

    // One answer past the limit.
    const auto huge = client.post("/v1/chat/completions", chatBody(u"huge"_s, false, {{u"max_tokens"_s, 300}}));
    QCOMPARE(huge.status, 502);
    QVERIFY(huge.body.contains("larger than 1048576 bytes"));
    std::optional<SpendLogRow> row;
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(huge.header("x-litellm-call-id"))).has_value(), 5000);
    QVERIFY2(chargedItsHold(*row, 300), qPrintable(u"%1 %2"_s.arg(row->completionTokens).arg(row->spend)));

    // A forwarded answer (count_tokens, a stored response) is held under the same limit: past 64 MB
    // one was cut and sent as a 200.
    const QJsonObject count{{u"model"_s, u"counted-huge"_s},
                            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
    const auto forwarded = client.post("/v1/messages/count_tokens", QJsonDocument(count).toJson(QJsonDocument::Compact));
    QCOMPARE(forwarded.status, 502);

    // Three answers of 1,040,000 bytes held at three quarters (2,340,000 bytes held): the third
    // took the answers held at once past 2 MiB, and goes on past it.
    const qint64 sentBefore = provider.sent();
    AsyncCall first(*gateway->port, chatBody(u"large-held"_s));
    AsyncCall second(*gateway->port, chatBody(u"large-held"_s));
    AsyncCall third(*gateway->port, chatBody(u"large-held"_s));
    QTRY_VERIFY_WITH_TIMEOUT(provider.sent() >= sentBefore + 3 * 780000, 10000);
    QTest::qWait(500);   // read by the gateway (it reads a non-streamed answer as it comes)
    // Other callers' answers are not refused (before: a 503, charged what admission held for the
    // call, whoever's it was). One that came whole in a read is answered; a longer one waits for
    // room, its provider not read meanwhile.
    const auto small = client.post("/v1/chat/completions", chatBody(u"small"_s));
    QCOMPARE(small.status, 200);
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(small.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->status, u"success"_s);
    QCOMPARE(row->completionTokens, 777);
    AsyncCall waiting(*gateway->port, chatBody(u"large"_s));
    QTest::qWait(1000);
    QVERIFY(!waiting.done());
    QVERIFY(!third.done());

    // The held answers come whole and are recorded with their usage; their bytes are let go once
    // they are answered, and the waiting answer is read then.
    provider.release();
    QTRY_VERIFY_WITH_TIMEOUT(first.done() && second.done() && third.done() && waiting.done(), 10000);
    QCOMPARE(first.status(), 200);
    QCOMPARE(second.status(), 200);
    QCOMPARE(third.status(), 200);
    QVERIFY(third.body().size() > 1040000 - 100);
    QCOMPARE(waiting.status(), 200);
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(waiting.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->status, u"success"_s);
    QCOMPARE(row->completionTokens, 777);
    const auto after = client.post("/v1/chat/completions", chatBody(u"large"_s));
    QCOMPARE(after.status, 200);
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(after.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->completionTokens, 777);
    QCOMPARE(row->status, u"success"_s);

    // An answer translated for another dialect (here a chat answer for a Messages client) is
    // parsed into a DOM several times its size: at most 16 MiB of it, whatever the setting.
    config.general.maxResponseSizeMb = 64.0;
    Deployment wide = openaiDeployment(u"wide"_s, u"wide"_s, base);
    wide.upstreamModel = u"answer-17000000"_s;
    config.models.append(wide);
    Deployment escaped = openaiDeployment(u"escaped"_s, u"escaped"_s, base);
    escaped.upstreamModel = u"escaped-17000000"_s;
    config.models.append(escaped);
    gateway = std::make_unique<OwnGateway>(config, m_dir.filePath(u"limits-wide.db"_s));
    QVERIFY(gateway->port);
    HttpClient wideClient(*gateway->port);
    QCOMPARE(wideClient.post("/v1/chat/completions", chatBody(u"wide"_s)).status, 200);
    const QJsonObject message{{u"model"_s, u"wide"_s}, {u"max_tokens"_s, 100},
                              {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
    const auto translated = wideClient.post("/v1/messages", QJsonDocument(message).toJson(QJsonDocument::Compact));
    QCOMPARE(translated.status, 502);
    QVERIFY2(translated.body.contains("larger than 16777216 bytes"), translated.body.constData());
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(translated.header("x-litellm-call-id"))).has_value(), 5000);
    QVERIFY(chargedItsHold(*row, 100));

    // A large answer the scan cannot read (an escaped key) is not parsed here (200 MB took 2.5 GB
    // and held every call 20 s): its usage is not read, its output is counted within the limit.
    const auto unread = wideClient.post("/v1/chat/completions", chatBody(u"escaped"_s, false, {{u"max_tokens"_s, 1000}}));
    QCOMPARE(unread.status, 200);
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(unread.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->completionTokens, 1000);   // not the 777 its usage tells
    QVERIFY(row->costEstimated);
}

// A stream whose last event lacked its blank line had that event relayed unread (its usage was
// lost: the call was counted from the text); and an event that never ended was held whole (a
// gigabyte took three of memory) and relayed at the end as a success.
void TestRelay::aStreamsLastEventIsReadEvenUnended()
{
    LargeAnswerProvider provider;
    QVERIFY(provider.port() != 0);
    const QByteArray base = "http://127.0.0.1:" + QByteArray::number(provider.port());
    Config config;
    config.sourceFile = u"<test>"_s;
    for (const QString &upstream : {u"unended-100"_s, u"endless-20000000"_s}) {
        Deployment deployment = openaiDeployment(upstream, upstream, base);
        deployment.upstreamModel = upstream;
        config.models.append(deployment);
    }
    OwnGateway gateway(config, m_dir.filePath(u"unended.db"_s));
    QVERIFY(gateway.port);
    HttpClient client(*gateway.port);
    const auto rowOf = [&gateway](const QByteArray &callId) { return gateway.row(callId); };

    const QJsonObject usage{{u"include_usage"_s, true}};
    const auto unended = client.post("/v1/chat/completions", chatBody(u"unended-100"_s, true, {{u"stream_options"_s, usage}}));
    QCOMPARE(unended.status, 200);
    QVERIFY2(unended.body.contains("\"completion_tokens\":777"), unended.body.right(300).constData());
    std::optional<SpendLogRow> row;
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(unended.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->completionTokens, 777);
    QVERIFY(!row->costEstimated);

    const auto endless = client.post("/v1/chat/completions",
                                     chatBody(u"endless-20000000"_s, true, {{u"max_tokens"_s, 300}}));
    QCOMPARE(endless.status, 200);   // the head went out; the stream ends in an error event
    QVERIFY(endless.body.size() < 1024 * 1024);
    QVERIFY2(endless.body.contains("stream event larger than"), endless.body.left(300).constData());
    QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(endless.header("x-litellm-call-id"))).has_value(), 5000);
    QCOMPARE(row->status, u"failure"_s);
    QCOMPARE(row->completionTokens, 300);   // what admission held: the provider wrote on
    QVERIFY(row->costEstimated);
}

// Pipelined calls on a connection whose client read nothing were served one after another, each
// answer piled up in the gateway (a gigabyte for a few cents). The next one now waits until the
// client has taken most of the last; a client that takes nothing for an idle timeout is dropped.
void TestRelay::pipelinedCallsWaitForAClientThatDoesNotRead()
{
    m_fake.setContentOverride(QString(6 * 1024 * 1024, u'x'));
    GatewayHost gateway;
    Gateway::Options options;
    options.port = 0;
    options.idleTimeout = 2s;
    const auto started = gateway.start(makeConfig(), &m_store, options);
    QVERIFY(started.ok());
    const auto connectClient = [port = *started] { return connectSlowReader(port); };
    const QByteArray body = chatBody(u"relay-model"_s);
    const QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    const QByteArray three = request + request + request;

    const int reader = connectClient();
    QVERIFY(reader >= 0);
    const auto closeReader = qScopeGuard([reader] { ::close(reader); });
    QCOMPARE(::send(reader, three.constData(), size_t(three.size()), MSG_NOSIGNAL), ssize_t(three.size()));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 1, 5000);
    QTest::qWait(700);
    QCOMPARE(m_fake.requestCount(), 1);   // the client has not taken the first answer
    // It reads: the other two are served, and all three answers arrive whole.
    qint64 received = 0;
    char buffer[65536];
    while (received < 3 * 6 * 1024 * 1024) {
        const ssize_t got = ::recv(reader, buffer, sizeof buffer, 0);
        QVERIFY2(got > 0, qPrintable(QString::number(received)));
        received += got;
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 3, 5000);

    // A client that takes nothing of its answer loses the connection once an idle timeout passed
    // without a byte taken; its call was answered and recorded all the same.
    const int stalled = connectClient();
    QVERIFY(stalled >= 0);
    const auto closeStalled = qScopeGuard([stalled] { ::close(stalled); });
    const int before = int(spendRows().size());
    QCOMPARE(::send(stalled, request.constData(), size_t(request.size()), MSG_NOSIGNAL), ssize_t(request.size()));
    QTRY_COMPARE_WITH_TIMEOUT(int(spendRows().size()), before + 1, 5000);
    QTest::qWait(5000);   // two idle timeouts and more
    qint64 taken = 0;
    for (;;) {
        const ssize_t got = ::recv(stalled, buffer, sizeof buffer, 0);
        if (got <= 0)
            break;
        taken += got;
    }
    QVERIFY2(taken < 6 * 1024 * 1024, qPrintable(QString::number(taken)));
    QCOMPARE(spendRows().last().status, u"success"_s);
    gateway.stop();
}

// A provider's usage of 900 million output tokens for max_tokens 10 was charged as told ($900 on a
// $1 strict budget), and a long answer without usage was counted by its bytes, past any limit.
void TestRelay::aCountPastTheOutputLimitIsNoCount()
{
    m_fake.setUsage(12, 900'000'000);
    const auto told = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s, false, {{u"max_tokens"_s, 10}}));
    QCOMPARE(told.status, 200);
    auto row = spendRow(told.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->promptTokens, 12);
    QCOMPARE(row->completionTokens, 10);
    QCOMPARE(row->spend, usdToNanos(12 * InputPrice) + usdToNanos(10 * OutputPrice));
    QVERIFY(row->costEstimated);

    // Two completions (n: 2) may bring twice the limit.
    m_fake.setUsage(12, 50);
    const auto two = m_client->post("/v1/chat/completions",
                                    chatBody(u"relay-model"_s, false, {{u"max_tokens"_s, 20}, {u"n"_s, 2}}));
    QCOMPARE(spendRow(two.header("x-litellm-call-id"))->completionTokens, 40);

    // A stream without usage whose text is past 1 MiB (counted as its bytes): the limit.
    m_fake.setStreamUsageNever(true);
    m_fake.setContentOverride(QString(1'200'000, u'y'));
    const auto streamed = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s, true, {{u"max_tokens"_s, 300}}));
    QCOMPARE(streamed.status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(spendRow(streamed.header("x-litellm-call-id")).has_value(), 5000);
    QCOMPARE(spendRow(streamed.header("x-litellm-call-id"))->completionTokens, 300);

    // Without a limit (none sent, none known of the model) the count stands.
    m_fake.setStreamUsageNever(false);
    m_fake.setUsage(12, 200'000);
    const auto unlimited = m_client->post("/v1/chat/completions", chatBody(u"relay-model"_s));
    QCOMPARE(spendRow(unlimited.header("x-litellm-call-id"))->completionTokens, 200'000);
}

void TestRelay::roundRobinsAcrossDeployments()
{
    QStringList ids;
    for (int i = 0; i < 4; ++i) {
        const auto response = m_client->post("/v1/chat/completions", chatBody(u"rr"_s));
        QCOMPARE(response.status, 200);
        ids.append(QString::fromLatin1(response.header("x-litellm-model-id")));
    }
    QCOMPARE(ids, (QStringList{u"rr-a"_s, u"rr-b"_s, u"rr-a"_s, u"rr-b"_s}));
    QStringList upstreamModels;
    for (const RecordedRequest &request : m_fake.requests())
        upstreamModels.append(request.json().value(u"model"_s).toString());
    QCOMPARE(upstreamModels, (QStringList{u"upstream-rr-a"_s, u"upstream-rr-b"_s, u"upstream-rr-a"_s, u"upstream-rr-b"_s}));
}

void TestRelay::mockResponseAnswersLocally()
{
    const auto response = m_client->post("/v1/chat/completions", chatBody(u"mocked-model"_s));
    QCOMPARE(response.status, 200);
    QCOMPARE(m_fake.requestCount(), 0);
    QCOMPARE(response.json().value(u"choices"_s).toArray().first().toObject().value(u"message"_s).toObject()
                 .value(u"content"_s).toString(),
             u"canned answer"_s);
    QVERIFY(response.json().value(u"usage"_s).toObject().value(u"total_tokens"_s).toInt() > 0);

    // The request's own mock_response (LiteLLM's testing hook) never reaches the provider either.
    const auto hooked = m_client->post("/v1/chat/completions",
                                       chatBody(u"relay-model"_s, true, {{u"mock_response"_s, u"from the request"_s}}));
    QCOMPARE(hooked.status, 200);
    QCOMPARE(m_fake.requestCount(), 0);
    QCOMPARE(hooked.sseData().last(), QByteArray("[DONE]"));

    // At most 64k characters of it: a 4 MB one, streamed a word to an event, held the gateway 24 s.
    const auto huge = m_client->post("/v1/chat/completions",
                                     chatBody(u"relay-model"_s, true, {{u"mock_response"_s, u"word "_s.repeated(20'000)}}));
    QCOMPARE(huge.status, 400);
    QCOMPARE(huge.json().value(u"error"_s).toObject().value(u"param"_s).toString(), u"mock_response"_s);
    QCOMPARE(m_client->post("/v1/chat/completions",
                            chatBody(u"relay-model"_s, false, {{u"mock_response"_s, u"w"_s.repeated(64 * 1024)}}))
                 .status,
             200);
    QCOMPARE(m_fake.requestCount(), 0);

    // A prompt past 1 MiB counts as its bytes, as the relay counts it (tokenizing 20 MB here held
    // every other call for 5 s): 1.2 MB of "hello " is 200k tokens to tiktoken.
    const QJsonObject large{{u"model"_s, u"mocked-model"_s},
                            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                                   {u"content"_s, u"hello "_s.repeated(200'000)}}}}};
    const auto counted = m_client->post("/v1/chat/completions", QJsonDocument(large).toJson(QJsonDocument::Compact));
    QCOMPARE(counted.status, 200);
    QVERIFY(counted.json().value(u"usage"_s).toObject().value(u"prompt_tokens"_s).toInteger() >= 1'200'000);
}

// An embeddings request names at most 2048 inputs (OpenAI's limit), and the mock's answer holds at
// most 2^20 numbers: one small request (a caller's own mock_response) once made a vector of 3072
// numbers per input for 20,000 inputs and ran the gateway out of memory.
void TestRelay::embeddingsAnswersStaySmall()
{
    const auto embed = [this](int inputs, const QString &model) {
        QJsonArray input;
        for (int i = 0; i < inputs; ++i)
            input.append(u"a"_s);
        return m_client->post("/v1/embeddings", QJsonDocument(QJsonObject{{u"model"_s, model},
                                                                           {u"input"_s, input},
                                                                           {u"dimensions"_s, 3072},
                                                                           {u"mock_response"_s, u"x"_s}})
                                                     .toJson(QJsonDocument::Compact));
    };
    const auto tooMany = embed(2049, u"relay-model"_s);
    QCOMPARE(tooMany.status, 400);
    QCOMPARE(tooMany.json().value(u"error"_s).toObject().value(u"param"_s).toString(), u"input"_s);
    QCOMPARE(m_fake.requestCount(), 0);

    const auto most = embed(2048, u"relay-model"_s);
    QCOMPARE(most.status, 200);
    const QJsonArray data = most.json().value(u"data"_s).toArray();
    QCOMPARE(data.size(), 2048);
    QCOMPARE(data.first().toObject().value(u"embedding"_s).toArray().size(), (1 << 20) / 2048);
    QVERIFY(most.body.size() < 32 * 1024 * 1024);
    // One input keeps the dimensions it asked for.
    const auto one = embed(1, u"relay-model"_s);
    QCOMPARE(one.status, 200);
    QCOMPARE(one.json().value(u"data"_s).toArray().first().toObject().value(u"embedding"_s).toArray().size(), 3072);
}

void TestRelay::pricesComeFromTheCatalogueWhenConfigHasNone()
{
    m_fake.setUsage(1000, 2000);
    const auto priced = m_client->post("/v1/chat/completions", chatBody(u"catalogue-model"_s));
    QCOMPARE(priced.status, 200);
    // gpt-4o-mini in the catalogue: $0.15 and $0.60 per million tokens.
    const auto row = spendRow(priced.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->spend, NanoUsd(1000 * 150 + 2000 * 600));
    QVERIFY(!row->priceUnknown);

    // A model nobody prices is still served, and the log says the price is unknown.
    const auto unpriced = m_client->post("/v1/chat/completions", chatBody(u"unpriced-model"_s));
    QCOMPARE(unpriced.status, 200);
    const auto unknownRow = spendRow(unpriced.header("x-litellm-call-id"));
    QVERIFY(unknownRow.has_value());
    QVERIFY(unknownRow->priceUnknown);
    QCOMPARE(unknownRow->spend, 0);
    QCOMPARE(unknownRow->promptTokens, 1000);

    // /v1/model/info shows the catalogue price and flags the unpriced model.
    const auto info = m_client->get("/v1/model/info");
    bool sawPriced = false;
    bool sawUnpriced = false;
    for (const QJsonValue entry : info.json().value(u"data"_s).toArray()) {
        const QJsonObject object = entry.toObject();
        const QJsonObject modelInfo = object.value(u"model_info"_s).toObject();
        if (object.value(u"model_name"_s).toString() == u"catalogue-model") {
            sawPriced = true;
            QVERIFY(qFuzzyCompare(modelInfo.value(u"input_cost_per_token"_s).toDouble(), 0.00000015));
            QCOMPARE(modelInfo.value(u"price_unknown"_s).toBool(), false);
        } else if (object.value(u"model_name"_s).toString() == u"unpriced-model") {
            sawUnpriced = true;
            QCOMPARE(modelInfo.value(u"price_unknown"_s).toBool(), true);
            QVERIFY(modelInfo.value(u"input_cost_per_token"_s).isNull());
        }
    }
    QVERIFY(sawPriced && sawUnpriced);
}

void TestRelay::cachedTokensPayTheCacheReadPrice_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<qint64>("expectedNanos");
    // 1000 prompt tokens of which 800 cached, 50 completion tokens.
    // Config input 1 $/M, cache read 0.1 $/M, output 2 $/M: 200×1000 + 800×100 + 50×2000 nano.
    const qint64 config = 200 * 1000 + 800 * 100 + 50 * 2000;
    QTest::newRow("config cache price") << u"cached-model"_s << false << config;
    QTest::newRow("config cache price, streamed") << u"cached-model"_s << true << config;
    // gpt-4o-mini in the catalogue: input 0.15, cache read 0.075, output 0.60 $/M.
    const qint64 catalogue = 200 * 150 + 800 * 75 + 50 * 600;
    QTest::newRow("catalogue cache price") << u"catalogue-model"_s << false << catalogue;
    QTest::newRow("catalogue cache price, streamed") << u"catalogue-model"_s << true << catalogue;
    // No cache-read price: cached tokens cost the input price.
    const qint64 noCachePrice = 1000 * 1000 + 50 * 2000;
    QTest::newRow("no cache price") << u"relay-model"_s << false << noCachePrice;
    QTest::newRow("no cache price, streamed") << u"relay-model"_s << true << noCachePrice;
}

void TestRelay::cachedTokensPayTheCacheReadPrice()
{
    QFETCH(QString, model);
    QFETCH(bool, stream);
    QFETCH(qint64, expectedNanos);
    m_fake.setUsage(1000, 50);
    m_fake.setCachedTokens(800);
    const auto response = m_client->post("/v1/chat/completions", chatBody(model, stream));
    QCOMPARE(response.status, 200);
    if (!stream)
        QCOMPARE(usdToNanos(response.header("x-litellm-response-cost").toDouble()), NanoUsd(expectedNanos));
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QCOMPARE(row->promptTokens, 1000);
    QCOMPARE(row->completionTokens, 50);
    QCOMPARE(row->cachedTokens, 800);
    QCOMPARE(row->spend, NanoUsd(expectedNanos));
    QVERIFY(!row->costEstimated);
}

void TestRelay::mockUsageIsCountedWithTheTokenizer()
{
    const QByteArray body = chatBody(u"mocked-model"_s);
    const auto response = m_client->post("/v1/chat/completions", body);
    QCOMPARE(response.status, 200);
    const QJsonObject usage = response.json().value(u"usage"_s).toObject();
    // What OpenAI would report: tiktoken's tokens plus the chat framing.
    const QString model = u"upstream-mocked-1"_s;
    QCOMPARE(usage.value(u"prompt_tokens"_s).toInteger(),
             countRequestPromptTokens(QJsonDocument::fromJson(body).object(), model));
    QCOMPARE(usage.value(u"completion_tokens"_s).toInteger(), countTextTokens(u"canned answer"_s, model));
}

void TestRelay::streamWithoutUsageIsCountedNotFree()
{
    m_fake.setStreamUsageNever(true);
    m_fake.setStreamChunks(6, 5ms);
    const QByteArray body = chatBody(u"relay-model"_s, true);
    const auto response = m_client->post("/v1/chat/completions", body);
    QCOMPARE(response.status, 200);
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QVERIFY(row->costEstimated);
    const QString model = u"upstream-relay-1"_s;
    const QString streamed = streamedContent(response);
    QVERIFY(!streamed.isEmpty());
    QCOMPARE(row->promptTokens, countRequestPromptTokens(QJsonDocument::fromJson(body).object(), model));
    QCOMPARE(row->completionTokens, countTextTokens(streamed, model));
    QVERIFY(row->spend > 0);
}

void TestRelay::answerWithoutUsableUsageIsCountedNotFree_data()
{
    QTest::addColumn<QByteArray>("usage");  // the answer's "usage" member, empty: none
    QTest::newRow("no usage") << QByteArray();
    QTest::newRow("empty usage") << QByteArray(",\"usage\":{}");
    QTest::newRow("counts as strings") << QByteArray(R"(,"usage":{"prompt_tokens":"20","completion_tokens":"5"})");
    QTest::newRow("negative counts") << QByteArray(R"(,"usage":{"prompt_tokens":-1,"completion_tokens":-1000000})");
    QTest::newRow("NaN") << QByteArray(R"(,"usage":{"prompt_tokens":10,"completion_tokens":"NaN"})");
    // Zeros beside a prompt and an answer count nothing: what was sent and relayed is counted.
    QTest::newRow("zero counts") << QByteArray(R"(,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0})");
}

void TestRelay::answerWithoutUsableUsageIsCountedNotFree()
{
    QFETCH(QByteArray, usage);
    const QString content = u"Four score and seven years ago"_s;
    m_fake.setErrorResponse(200, R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":)"
                                 R"({"role":"assistant","content":")" + content.toUtf8() + R"("},"finish_reason":"stop"}])" + usage + "}");
    const QByteArray body = chatBody(u"relay-model"_s);
    const auto response = m_client->post("/v1/chat/completions", body);
    QCOMPARE(response.status, 200);
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QVERIFY(row->costEstimated);
    const QString model = u"upstream-relay-1"_s;
    const qint64 prompt = countRequestPromptTokens(QJsonDocument::fromJson(body).object(), model);
    const qint64 completion = countTextTokens(content, model);
    QVERIFY(prompt > 0 && completion > 0);
    QCOMPARE(row->promptTokens, prompt);
    QCOMPARE(row->completionTokens, completion);
    QCOMPARE(row->spend, usdToNanos(double(prompt) * InputPrice + double(completion) * OutputPrice));
}

void TestRelay::streamWithUnusableUsageIsCountedNotFree_data()
{
    QTest::addColumn<qint64>("prompt");
    QTest::addColumn<qint64>("completion");
    QTest::newRow("negative") << qint64(-5) << qint64(-1000);
    QTest::newRow("zero") << qint64(0) << qint64(0);
}

void TestRelay::streamWithUnusableUsageIsCountedNotFree()
{
    // The usage chunk comes, with counts that make no sense: counted as if it had not.
    QFETCH(qint64, prompt);
    QFETCH(qint64, completion);
    m_fake.setUsage(prompt, completion);
    m_fake.setStreamChunks(4, 5ms);
    const QByteArray body = chatBody(u"relay-model"_s, true, {{u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}}});
    const auto response = m_client->post("/v1/chat/completions", body);
    QCOMPARE(response.status, 200);
    QVERIFY(response.body.contains(QByteArray("\"completion_tokens\":" + QByteArray::number(completion))));  // the provider's chunk reached the client
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QVERIFY(row.has_value());
    QVERIFY(row->costEstimated);
    const QString streamed = streamedContent(response);
    const QString model = u"upstream-relay-1"_s;
    QCOMPARE(row->promptTokens, countRequestPromptTokens(QJsonDocument::fromJson(body).object(), model));
    QCOMPARE(row->completionTokens, countTextTokens(streamed, model));
    QVERIFY(row->completionTokens > 0);
    QVERIFY(row->spend > 0);
}

void TestRelay::brokenStreamIsChargedForWhatWasDelivered_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("breakAfter");   // content chunks, -1: none (a timeout cuts the stream)
    QTest::addColumn<bool>("errorEvent");
    QTest::newRow("connection reset") << u"relay-model"_s << 3 << false;
    QTest::newRow("provider error event") << u"relay-model"_s << 2 << true;
    QTest::newRow("timeout") << u"slow-stream-model"_s << -1 << false;
}

void TestRelay::brokenStreamIsChargedForWhatWasDelivered()
{
    QFETCH(QString, model);
    QFETCH(int, breakAfter);
    QFETCH(bool, errorEvent);
    // The usage chunk would come last: a broken stream never gets there.
    if (breakAfter >= 0) {
        m_fake.setStreamChunks(6, 5ms);
        m_fake.setStreamBreak(breakAfter, errorEvent);
    } else {
        m_fake.setStreamChunks(40, 100ms);   // slow-stream-model gives up after 1 s
    }
    const QByteArray body = chatBody(model, true, {{u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}}});
    const auto response = m_client->post("/v1/chat/completions", body);
    QCOMPARE(response.status, 200);
    QVERIFY(!response.sseData().contains(QByteArray("[DONE]")));
    QVERIFY(response.body.contains("\"error\""));
    const QString streamed = streamedContent(response);
    QVERIFY(!streamed.isEmpty());
    QVERIFY(streamed != m_fake.content());   // part of it only
    QTRY_VERIFY_WITH_TIMEOUT(spendRow(response.header("x-litellm-call-id")).has_value(), 2000);
    const auto row = spendRow(response.header("x-litellm-call-id"));
    QCOMPARE(row->status, u"failure"_s);
    QVERIFY(row->costEstimated);
    const QString upstream = u"upstream-"_s + (model == u"slow-stream-model" ? u"slow-stream-1"_s : u"relay-1"_s);
    QCOMPARE(row->promptTokens, countRequestPromptTokens(QJsonDocument::fromJson(body).object(), upstream));
    if (breakAfter >= 0) {
        QCOMPARE(row->completionTokens, countTextTokens(streamed, upstream));
    } else {
        // A provider still writing when its time ran out writes on (and bills it, unread): the
        // output held for the call (reserve mode: a typical answer, 4,096 tokens) is charged.
        QVERIFY(countTextTokens(streamed, upstream) < 4096);
        QCOMPARE(row->completionTokens, 4096);
    }
    QVERIFY(row->spend > 0);
}

void TestRelay::sixtyFourConcurrentSlowCalls()
{
    m_fake.setLatency(1000ms);
    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 64; ++i)
        calls.push_back(std::make_unique<AsyncCall>(m_port, chatBody(u"relay-model"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &call) { return call->done(); }),
                             15000);
    const qint64 elapsed = timer.elapsed();
    qInfo("64 concurrent 1-second calls took %lld ms", elapsed);
    for (const auto &call : calls)
        QCOMPARE(call->status(), 200);
    QCOMPARE(m_fake.maxConcurrentRequests(), 64);
    // Serialised on a 6-connection pool this would take 11 s.
    QVERIFY2(elapsed < 3000, qPrintable(u"took %1 ms"_s.arg(elapsed)));
}

void TestRelay::shutdownLetsInFlightCallsFinish()
{
    m_fake.setLatency(400ms);
    GatewayHost gateway;
    Gateway::Options options;
    options.port = 0;
    options.shutdownGrace = 5s;
    const auto port = gateway.start(makeConfig(), nullptr, options);
    QVERIFY(port.ok());
    AsyncCall call(*port, chatBody(u"relay-model"_s));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 1, 2000);  // this test's request, not a stale one
    gateway.stop();  // waits for the call
    QTRY_VERIFY_WITH_TIMEOUT(call.done(), 2000);
    QCOMPARE(call.status(), 200);
    // And nobody is listening any more.
    HttpClient late(*port);
    late.setTimeout(1s);
    QCOMPARE(late.get("/health/liveliness").status, 0);
}

void TestRelay::shutdownEndsCallsAfterGracePeriod()
{
    m_fake.setHang(true);
    GatewayHost gateway;
    Gateway::Options options;
    options.port = 0;
    options.shutdownGrace = 200ms;
    const auto port = gateway.start(makeConfig(), nullptr, options);
    QVERIFY(port.ok());
    AsyncCall call(*port, chatBody(u"relay-model"_s));
    // This test's request has reached the provider (activeRequests() may still count a request
    // of an earlier test whose cancellation the provider has not seen yet).
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 1, 2000);
    QElapsedTimer timer;
    timer.start();
    gateway.stop();
    QVERIFY2(timer.elapsed() < 3000, "stop() waited for a call that never ends");
    QTRY_VERIFY_WITH_TIMEOUT(call.done(), 2000);
    QCOMPARE(call.status(), 503);
    QVERIFY(call.body().contains("service_unavailable"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.clientDisconnects(), 1, 2000);
}

QTEST_GUILESS_MAIN(TestRelay)
#include "tst_relay.moc"
