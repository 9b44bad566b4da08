// Budgets and rate limits over real HTTP (api.md §3, §5): budgets hold under concurrency
// in both modes, streamed calls are charged exactly, rpm/tpm/parallel limits answer 429 with
// exact retry-after, a short budget resets on time; the master key's calls count for their
// end user and the global budget, which caps them.
#include "models/tokencount.h"
#include "proxy/accounting.h"
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "models/identityregistry.h"
#include "models/store/spendlog.h"
#include "tests/support/gatewayfixture.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// The fake provider reports 10 prompt and 20 completion tokens per call: at these prices one
// call costs exactly 10 × 1 µ$ + 20 × 2 µ$ = 50 µ$.
constexpr double InputPrice = 0.000001;
constexpr double OutputPrice = 0.000002;
constexpr NanoUsd CallCost = 50'000;

QByteArray body(const QString &model, bool stream = false, const QString &endUser = {})
{
    QJsonObject object{{u"model"_s, model},
                       {u"max_tokens"_s, 20},
                       {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
    if (stream)
        object.insert(u"stream"_s, true);
    if (!endUser.isEmpty())
        object.insert(u"user"_s, endUser);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject error(const HttpClient::Response &response)
{
    return response.json().value(u"error"_s).toObject();
}

} // namespace

class TestBudgets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void reserveModeOvershootsByAtMostOneCall();
    void reserveModeHoldsTheLargestRecentAnswer();
    void strictModeNeverExceeds();
    void regeneratedKeyKeepsItsCallsInFlight();
    void unpricedModelIsServedInReserveMode();
    void perModelBudgetOnAKey();
    void rewrittenModelBudgetKeepsItsSpend();
    void streamedCallIsChargedExactly();
    void userBudgetSpansItsKeys();
    void endUserAndGlobalBudgets();
    void masterKeyCallsCountForEndUserAndGlobal();
    void globalBudgetCapsTheMasterKey();
    void endUserBudgetAppliesToMasterKeyCalls();
    void openAccessCallsAreCountedAndCapped();
    void globalBudgetSetLaterStartsFromTheSpendSoFar();
    void outputBoundsMustBeWholeNumbers_data();
    void outputBoundsMustBeWholeNumbers();
    void readFieldsMustHaveTheirTypes_data();
    void readFieldsMustHaveTheirTypes();
    void hugeMaxTokensCannotEscapeAStrictBudget();
    void aTimedOutCallIsChargedItsBoundInStrictMode();
    void fieldsOfAServersOwnCountInStrictMode();
    void aNewPeriodStartsFromZeroAlsoAfterARestart();
    void strictModeNeverOvershootsWithToolsImagesAndN();
    void escapedKeysReadAsTheProviderReadsThem();
    void anotherMakersTokensAreBoundedByBytes();
    void hugePromptsAreBoundedByTheirBytes();
    void aSpokenAnswerIsBoundedAndBilledAtTheAudioRate();
    void reasoningIsBoundedAndBilledAtItsRate();
    void aLargePromptIsCountedWhileOtherCallsGoOn();
    void aPromptUpToAMebibyteIsCounted();
    void aPromptNearAPriceTierIsBoundedAtIt();
    void theOutputLimitThatBoundsACallIsSent();
    void aListOfPromptsIsBoundedPerPrompt();
    void embeddingsHoldNoOutputInStrictMode();
    void rpmLimitWithHeaders();
    void eachLimitedScopeHasItsHeaders();
    void tpmLimit();
    void tpmAdmitsOnTheExactCount();
    void parallelLimit();
    void shortBudgetResetsOnTime();
    void aNullInAnUpdateRemovesTheLimit();
    void spendCanBeResetByAnAdmin();

private:
    std::unique_ptr<GatewayFixture> makeGateway(BudgetEnforcement mode = BudgetEnforcement::Reserve,
                                                std::optional<double> globalBudget = std::nullopt,
                                                bool openAccess = false);
    // A new key through /key/generate; returns the raw key.
    QByteArray generateKey(GatewayFixture &gateway, const QJsonObject &fields);
    HttpClient::Response call(GatewayFixture &gateway, const QByteArray &key, const QString &model = u"priced"_s,
                              bool stream = false, const QString &endUser = {});
    double keySpend(GatewayFixture &gateway, const QByteArray &key);

    FakeProvider m_fake;
    std::unique_ptr<GatewayFixture> m_gateway;
};

void TestBudgets::initTestCase()
{
    QVERIFY(m_fake.start() != 0);
}

void TestBudgets::init()
{
    m_fake.reset();
    m_fake.setUsage(10, 20);
}

void TestBudgets::cleanup()
{
    m_gateway.reset();
}

std::unique_ptr<GatewayFixture> TestBudgets::makeGateway(BudgetEnforcement mode, std::optional<double> globalBudget,
                                                        bool openAccess)
{
    Config config = GatewayFixture::defaultConfig();
    if (openAccess)
        config.general.masterKey.clear();   // every loopback caller is admin
    Deployment priced;
    priced.modelName = u"priced"_s;
    priced.id = u"priced-1"_s;
    priced.provider = Provider::OpenAI;
    priced.providerName = u"openai"_s;
    priced.upstreamModel = u"gpt-priced"_s;
    priced.apiBase = QString::fromLatin1(m_fake.baseUrl()) + u"/v1"_s;
    priced.apiKey = u"sk-provider"_s;
    priced.inputCostPerToken = InputPrice;
    priced.outputCostPerToken = OutputPrice;
    priced.timeoutSeconds = 30;
    config.models.append(priced);
    Deployment unpriced = priced;
    unpriced.modelName = u"unpriced"_s;
    unpriced.id = u"unpriced-1"_s;
    unpriced.upstreamModel = u"our-private-finetune"_s;
    unpriced.inputCostPerToken.reset();
    unpriced.outputCostPerToken.reset();
    config.models.append(unpriced);
    // gpt-4o under a config price, with an output limit of 100 tokens (model_info.max_tokens).
    Deployment vision = priced;
    vision.modelName = u"vision"_s;
    vision.id = u"vision-1"_s;
    vision.upstreamModel = u"gpt-4o"_s;
    vision.maxTokens = 100;
    config.models.append(vision);
    // A provider that answers too late (0.3 s timeout), with an output limit of 5000 tokens.
    Deployment slow = vision;
    slow.modelName = u"slow"_s;
    slow.id = u"slow-1"_s;
    slow.maxTokens = 5000;
    slow.timeoutSeconds = 0.3;
    config.models.append(slow);
    // Twice the input rate above 200k prompt tokens (input_cost_per_token_above_200k_tokens).
    Deployment longContext = vision;
    longContext.modelName = u"long-context"_s;
    longContext.id = u"long-context-1"_s;
    longContext.longPromptRates = {{200'000, InputPrice * 2, std::nullopt, std::nullopt, std::nullopt}};
    config.models.append(longContext);
    // Audio output at 8× the text rate (output_cost_per_audio_token).
    Deployment spoken = priced;
    spoken.modelName = u"spoken"_s;
    spoken.id = u"spoken-1"_s;
    spoken.outputCostPerAudioToken = OutputPrice * 8;
    config.models.append(spoken);
    // Reasoning at 6× the output rate (output_cost_per_reasoning_token).
    Deployment thinker = priced;
    thinker.modelName = u"thinker"_s;
    thinker.id = u"thinker-1"_s;
    thinker.supportsReasoning = true;
    thinker.outputCostPerReasoningToken = OutputPrice * 6;
    config.models.append(thinker);
    config.general.budgetEnforcement = mode;
    config.litellm.maxBudget = globalBudget;
    auto gateway = std::make_unique<GatewayFixture>(config);
    if (!gateway->start())
        qWarning() << "gateway did not start:" << gateway->lastError();
    return gateway;
}

QByteArray TestBudgets::generateKey(GatewayFixture &gateway, const QJsonObject &fields)
{
    const auto response = gateway.post("/key/generate", fields);
    if (response.status != 200)
        qWarning() << "key/generate:" << response.status << response.body;
    return response.json().value(u"key"_s).toString().toLatin1();
}

HttpClient::Response TestBudgets::call(GatewayFixture &gateway, const QByteArray &key, const QString &model,
                                       bool stream, const QString &endUser)
{
    return gateway.client(key)->post("/v1/chat/completions", body(model, stream, endUser));
}

double TestBudgets::keySpend(GatewayFixture &gateway, const QByteArray &key)
{
    return gateway.get("/key/info", key).json().value(u"info"_s).toObject().value(u"spend"_s).toDouble(-1);
}

void TestBudgets::reserveModeOvershootsByAtMostOneCall()
{
    m_gateway = makeGateway();
    QVERIFY(m_gateway->port());
    const double max = nanosToUsd(5 * CallCost);  // worth five calls
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, max}});
    QVERIFY(!key.isEmpty());

    m_fake.setLatency(300ms);
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 200; ++i)
        calls.push_back(std::make_unique<AsyncCall>(m_gateway->port(), body(u"priced"_s),
                                                    QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + key}}));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 20000);
    int served = 0;
    int refused = 0;
    for (const auto &c : calls) {
        if (c->status() == 200) {
            ++served;
        } else {
            QCOMPARE(c->status(), 429);
            const QJsonObject err = QJsonDocument::fromJson(c->body()).object().value(u"error"_s).toObject();
            QCOMPARE(err.value(u"type"_s).toString(), u"budget_exceeded"_s);
            QCOMPARE(err.value(u"param"_s).toString(), u"key"_s);
            ++refused;
        }
    }
    qInfo("200 parallel calls on a budget worth 5: %d served, %d refused", served, refused);
    QVERIFY2(served >= 1 && served <= 6, qPrintable(QString::number(served)));

    // Then one at a time until refused: the budget fills up and holds.
    m_fake.setLatency(0ms);
    int more = 0;
    while (call(*m_gateway, key).status == 200 && more < 20)
        ++more;
    const NanoUsd spend = usdToNanos(keySpend(*m_gateway, key));
    qInfo("spend %lld nano-USD of a %lld budget: overshoot %lld (one call costs %lld)", spend, 5 * CallCost,
          spend - 5 * CallCost, CallCost);
    QVERIFY(spend >= 5 * CallCost);            // it was used up
    QVERIFY(spend <= 5 * CallCost + CallCost);  // and overshot by at most one call
    // The spend log agrees with the key's counter, to the nano-dollar.
    const auto logs = m_gateway->store().readNow([](QSqlDatabase &db) {
        auto rows = SpendLogRepository::all(db);
        NanoUsd total = 0;
        if (rows) {
            for (const SpendLogRow &row : *rows)
                total += row.spend;
        }
        return QVariant::fromValue(total);
    });
    QCOMPARE(logs->value<NanoUsd>(), spend);
}

void TestBudgets::strictModeNeverExceeds()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const NanoUsd max = 5 * CallCost;
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(max)}});
    m_fake.setLatency(200ms);
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 50; ++i)
        calls.push_back(std::make_unique<AsyncCall>(m_gateway->port(), body(u"priced"_s),
                                                    QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + key}}));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 20000);
    m_fake.setLatency(0ms);
    int served = 0;
    while (call(*m_gateway, key).status == 200 && served < 20)
        ++served;
    const NanoUsd spend = usdToNanos(keySpend(*m_gateway, key));
    QVERIFY2(spend <= max, qPrintable(u"spent %1 of %2"_s.arg(spend).arg(max)));
    QVERIFY(spend > 0);

    // An unpriced model cannot be held to a budget in strict mode: refused...
    const QByteArray budgeted = generateKey(*m_gateway, {{u"max_budget"_s, 1.0}});
    const auto unpriced = call(*m_gateway, budgeted, u"unpriced"_s);
    QCOMPARE(unpriced.status, 429);
    QCOMPARE(error(unpriced).value(u"type"_s).toString(), u"budget_exceeded"_s);
    // ...while a priced one is served, and a key without budgets may use the unpriced model.
    QCOMPARE(call(*m_gateway, budgeted).status, 200);
}

void TestBudgets::regeneratedKeyKeepsItsCallsInFlight()
{
    // A key regenerated while its calls are in flight: they settle on the new key (its spend,
    // its budget, its parallel slots). Else its owner could regenerate past any budget.
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const NanoUsd max = 20 * CallCost;  // strict holds each call's bound (a few calls' cost): room for three at once
    const QByteArray oldKey
        = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(max)}, {u"max_parallel_requests"_s, 3}});
    QCOMPARE(call(*m_gateway, oldKey).status, 200);  // a call of the key's history before it
    const int before = m_fake.requestCount();
    m_fake.setLatency(600ms);
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 3; ++i)
        calls.push_back(std::make_unique<AsyncCall>(m_gateway->port(), body(u"priced"_s),
                                                    QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + oldKey}}));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), before + 3, 3000);

    const auto regenerated = m_gateway->post("/key/regenerate", {{u"key"_s, QString::fromLatin1(oldKey)}});
    QCOMPARE(regenerated.status, 200);
    const QByteArray newKey = regenerated.json().value(u"key"_s).toString().toLatin1();
    QCOMPARE(call(*m_gateway, oldKey).status, 401);
    // The three calls still hold the key's parallel slots, under its new token.
    const auto busy = call(*m_gateway, newKey);
    QCOMPARE(busy.status, 429);
    QVERIFY2(error(busy).value(u"message"_s).toString().contains(u"max_parallel_requests"_s), busy.body.constData());

    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 5000);
    for (const auto &c : calls)
        QCOMPARE(c->status(), 200);
    m_fake.setLatency(0ms);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, newKey)), 4 * CallCost);

    // The rest of the budget, and not a call more: strict holds over both tokens.
    int served = 0;
    while (call(*m_gateway, newKey).status == 200 && served < 40)
        ++served;
    QVERIFY(served >= 1 && served < 40);
    const NanoUsd spend = usdToNanos(keySpend(*m_gateway, newKey));
    QCOMPARE(spend, (4 + served) * CallCost);
    QVERIFY2(spend <= max, qPrintable(u"spent %1 of %2"_s.arg(spend).arg(max)));

    // The store has the same spend for the new key (it survives a restart).
    QVERIFY(m_gateway->restart());
    QCOMPARE(usdToNanos(keySpend(*m_gateway, newKey)), spend);

    // And the spend log has every call under the key's new token: the one before the regeneration
    // and the three across it too (a history under the old token would read as a deleted key's).
    const QString oldToken = IdentityRegistry::tokenOf(QString::fromLatin1(oldKey));
    const QString newToken = IdentityRegistry::tokenOf(QString::fromLatin1(newKey));
    const auto tally = m_gateway->store().readNow([oldToken, newToken](QSqlDatabase &db) {
        qint64 successes = 0;
        NanoUsd logged = 0;
        qint64 underOldToken = 0;
        if (const auto rows = SpendLogRepository::all(db)) {
            for (const SpendLogRow &row : *rows) {
                underOldToken += row.apiKey == oldToken;
                if (row.apiKey == newToken && row.status == u"success"_s) {
                    ++successes;
                    logged += row.spend;
                }
            }
        }
        return QVariant(QVariantList{successes, logged, underOldToken});
    });
    QVERIFY(tally);
    const QVariantList counts = tally->toList();
    QCOMPARE(counts.at(2).toLongLong(), qint64(0));
    const qint64 successes = counts.at(0).toLongLong();
    const NanoUsd logged = counts.at(1).toLongLong();
    QCOMPARE(successes, qint64(4 + served));
    QCOMPARE(logged, spend);
}

void TestBudgets::unpricedModelIsServedInReserveMode()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 1.0}});
    const auto response = call(*m_gateway, key, u"unpriced"_s);
    QCOMPARE(response.status, 200);
    const auto logs = m_gateway->get("/spend/logs?request_id=" + response.header("x-litellm-call-id"));
    QCOMPARE(logs.status, 200);
    const QJsonArray rows = QJsonDocument::fromJson(logs.body).array();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().toObject().value(u"price_unknown"_s).toBool(), true);
}

void TestBudgets::perModelBudgetOnAKey()
{
    m_gateway = makeGateway();
    const QJsonObject perModel{{u"priced"_s, QJsonObject{{u"budget_limit"_s, nanosToUsd(2 * CallCost)},
                                                       {u"time_period"_s, u"1d"_s}}}};
    const QByteArray key = generateKey(*m_gateway, {{u"model_max_budget"_s, perModel}});
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    const auto refused = call(*m_gateway, key);
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"model"_s);
    QCOMPARE(call(*m_gateway, key, u"gpt-a"_s).status, 200);  // other models are not limited
    // The per-model spend is kept across a restart.
    QVERIFY(m_gateway->restart());
    QCOMPARE(call(*m_gateway, key).status, 429);
}

// model_max_budget is replaced whole, yet an entry given again is the same budget: an admin who
// adds another model's budget and sends the spent one as it was set (or with a spend of its own)
// gives it no money back, neither at once nor after a restart. A changed period starts afresh.
void TestBudgets::rewrittenModelBudgetKeepsItsSpend()
{
    m_gateway = makeGateway();
    const QJsonObject priced{{u"budget_limit"_s, nanosToUsd(2 * CallCost)}, {u"time_period"_s, u"1d"_s}};
    const QByteArray key = generateKey(*m_gateway, {{u"model_max_budget"_s, QJsonObject{{u"priced"_s, priced}}}});
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 429);
    const auto modelBudget = [&] {
        return m_gateway->get("/key/info", key).json().value(u"info"_s).toObject().value(u"model_max_budget"_s)
            .toObject().value(u"priced"_s).toObject();
    };
    const QJsonObject spent = modelBudget();
    QCOMPARE(usdToNanos(spent.value(u"spend"_s).toDouble()), 2 * CallCost);
    QVERIFY(!spent.value(u"budget_reset_at"_s).toString().isEmpty());

    const auto update = [&](const QJsonObject &entry) {
        return m_gateway->post("/key/update", {{u"key"_s, QString::fromLatin1(key)},
                                               {u"model_max_budget"_s, QJsonObject{{u"priced"_s, entry},
                                                                                   {u"gpt-a"_s, priced}}}});
    };
    QCOMPARE(update(priced).status, 200);
    QCOMPARE(modelBudget(), spent);
    QCOMPARE(call(*m_gateway, key).status, 429);
    QJsonObject withSpend = priced;
    withSpend.insert(u"spend"_s, 0);   // the gateway's to count, as budget_reset_at is
    QCOMPARE(update(withSpend).status, 200);
    QCOMPARE(modelBudget(), spent);
    QCOMPARE(call(*m_gateway, key).status, 429);
    QVERIFY(m_gateway->restart());
    QCOMPARE(modelBudget(), spent);
    QCOMPARE(call(*m_gateway, key).status, 429);
    QCOMPARE(call(*m_gateway, key, u"gpt-a"_s).status, 200);

    // A new period: a fresh window from now, with the whole budget (as a key's budget_duration).
    QJsonObject weekly = priced;
    weekly.insert(u"time_period"_s, u"7d"_s);
    QCOMPARE(update(weekly).status, 200);
    const QJsonObject fresh = modelBudget();
    QCOMPARE(fresh.value(u"spend"_s).toDouble(-1), 0.0);
    const QDateTime resetAt = QDateTime::fromString(fresh.value(u"budget_reset_at"_s).toString(), Qt::ISODateWithMs);
    QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(resetAt) - 7 * 86400) < 60);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 429);
}

void TestBudgets::streamedCallIsChargedExactly()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 1.0}});
    m_fake.setStreamChunks(4, 10ms);
    const auto response = call(*m_gateway, key, u"priced"_s, true);
    QCOMPARE(response.status, 200);
    QCOMPARE(response.sseData().last(), QByteArray("[DONE]"));
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);
    // The next call reports the key's spend before it.
    const auto next = call(*m_gateway, key);
    QCOMPARE(usdToNanos(next.header("x-litellm-key-spend").toDouble()), CallCost);
    QCOMPARE(next.header("x-litellm-key-max-budget").toDouble(), 1.0);
}

void TestBudgets::userBudgetSpansItsKeys()
{
    m_gateway = makeGateway();
    const auto created = m_gateway->post("/user/new", {{u"user_id"_s, u"dana"_s}, {u"max_budget"_s, nanosToUsd(3 * CallCost)}});
    QCOMPARE(created.status, 200);
    const QByteArray first = created.json().value(u"key"_s).toString().toLatin1();
    const QByteArray second = generateKey(*m_gateway, {{u"user_id"_s, u"dana"_s}});
    QCOMPARE(call(*m_gateway, first).status, 200);
    QCOMPARE(call(*m_gateway, second).status, 200);
    QCOMPARE(call(*m_gateway, first).status, 200);
    const auto refused = call(*m_gateway, second);
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"user"_s);
    QVERIFY(error(refused).value(u"message"_s).toString().startsWith(u"Budget has been exceeded! User=dana"_s));
}

void TestBudgets::endUserAndGlobalBudgets()
{
    m_gateway = makeGateway(BudgetEnforcement::Reserve, nanosToUsd(4 * CallCost));
    const QByteArray key = generateKey(*m_gateway, {});
    QCOMPARE(m_gateway->post("/customer/new", {{u"user_id"_s, u"acme"_s}, {u"max_budget"_s, nanosToUsd(CallCost)}}).status, 200);
    QCOMPARE(call(*m_gateway, key, u"priced"_s, false, u"acme"_s).status, 200);
    const auto endUserRefused = call(*m_gateway, key, u"priced"_s, false, u"acme"_s);
    QCOMPARE(endUserRefused.status, 429);
    QCOMPARE(error(endUserRefused).value(u"param"_s).toString(), u"end_user"_s);
    // Other callers fill the global budget.
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    const auto globalRefused = call(*m_gateway, key);
    QCOMPARE(globalRefused.status, 429);
    QCOMPARE(error(globalRefused).value(u"param"_s).toString(), u"global"_s);
    const QJsonObject global = m_gateway->get("/global/spend").json();
    QCOMPARE(usdToNanos(global.value(u"spend"_s).toDouble()), 4 * CallCost);
    QCOMPARE(usdToNanos(global.value(u"max_budget"_s).toDouble()), 4 * CallCost);
    // Raised through LiteLLM's pseudo user: the ledger follows at once.
    QCOMPARE(m_gateway->post("/user/update", {{u"user_id"_s, u"litellm-proxy-budget"_s},
                                              {u"max_budget"_s, nanosToUsd(10 * CallCost)}}).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(usdToNanos(m_gateway->get("/global/spend").json().value(u"max_budget"_s).toDouble()), 10 * CallCost);
}

void TestBudgets::masterKeyCallsCountForEndUserAndGlobal()
{
    // No global budget: the global counter counts anyway.
    m_gateway = makeGateway();
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey, u"priced"_s, false, u"customer-42"_s).status, 200);
    m_fake.setStreamChunks(3, 1ms);
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey, u"priced"_s, true, u"customer-42"_s).status, 200);
    const QByteArray key = generateKey(*m_gateway, {});
    QCOMPARE(call(*m_gateway, key).status, 200);

    const auto endUser = m_gateway->get("/customer/info?end_user_id=customer-42");
    QCOMPARE(endUser.status, 200);
    QCOMPARE(usdToNanos(endUser.json().value(u"spend"_s).toDouble()), 2 * CallCost);
    const auto globalSpend = [this] {
        return usdToNanos(m_gateway->get("/user/info?user_id=litellm-proxy-budget")
                              .json().value(u"user_info"_s).toObject().value(u"spend"_s).toDouble(-1));
    };
    QCOMPARE(globalSpend(), 3 * CallCost);
    QCOMPARE(usdToNanos(m_gateway->get("/global/spend").json().value(u"spend"_s).toDouble()), 3 * CallCost);
    // Persisted without a budget: a restart counts on from there.
    QVERIFY(m_gateway->restart());
    QCOMPARE(globalSpend(), 3 * CallCost);
    QCOMPARE(usdToNanos(m_gateway->get("/customer/info?end_user_id=customer-42").json().value(u"spend"_s).toDouble()),
             2 * CallCost);
}

void TestBudgets::globalBudgetCapsTheMasterKey()
{
    m_gateway = makeGateway(BudgetEnforcement::Reserve, 0.0);
    const auto refused = call(*m_gateway, GatewayFixture::MasterKey);
    QCOMPARE(refused.status, 429);  // a budget of 0 admits nothing, whoever calls
    QCOMPARE(error(refused).value(u"type"_s).toString(), u"budget_exceeded"_s);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"global"_s);
    const QByteArray key = generateKey(*m_gateway, {});
    QCOMPARE(error(call(*m_gateway, key)).value(u"param"_s).toString(), u"global"_s);

    // A budget worth two calls: the master key's calls fill it like any others.
    m_gateway = makeGateway(BudgetEnforcement::Reserve, nanosToUsd(2 * CallCost));
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey).status, 200);
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey).status, 200);
    const auto full = call(*m_gateway, GatewayFixture::MasterKey);
    QCOMPARE(full.status, 429);
    QCOMPARE(error(full).value(u"param"_s).toString(), u"global"_s);
    QVERIFY(error(full).value(u"message"_s).toString().startsWith(u"Budget has been exceeded! Global="_s));
}

void TestBudgets::endUserBudgetAppliesToMasterKeyCalls()
{
    // The end user's budget and limits apply to every call naming that end user: the
    // master key has no budget of its own, the end user does.
    m_gateway = makeGateway();
    QCOMPARE(m_gateway->post("/customer/new", {{u"user_id"_s, u"acme"_s}, {u"max_budget"_s, nanosToUsd(CallCost)}}).status, 200);
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey, u"priced"_s, false, u"acme"_s).status, 200);
    const auto refused = call(*m_gateway, GatewayFixture::MasterKey, u"priced"_s, false, u"acme"_s);
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"end_user"_s);
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey).status, 200);  // other calls are not capped
}

void TestBudgets::openAccessCallsAreCountedAndCapped()
{
    m_gateway = makeGateway(BudgetEnforcement::Reserve, nanosToUsd(CallCost), true);
    QCOMPARE(call(*m_gateway, QByteArray(), u"priced"_s, false, u"customer-7"_s).status, 200);
    const auto refused = call(*m_gateway, QByteArray());
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"global"_s);
    QCOMPARE(usdToNanos(m_gateway->get("/customer/info?end_user_id=customer-7", QByteArray())
                            .json().value(u"spend"_s).toDouble()), CallCost);
    QCOMPARE(usdToNanos(m_gateway->get("/global/spend", QByteArray()).json().value(u"spend"_s).toDouble()), CallCost);
}

void TestBudgets::globalBudgetSetLaterStartsFromTheSpendSoFar()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {});
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey, u"priced"_s, false, u"someone"_s).status, 200);
    // A budget worth four calls, set after three: one more passes.
    const auto set = m_gateway->post("/user/update", {{u"user_id"_s, u"litellm-proxy-budget"_s},
                                                      {u"max_budget"_s, nanosToUsd(4 * CallCost)}});
    QCOMPARE(set.status, 200);
    QCOMPARE(usdToNanos(set.json().value(u"data"_s).toObject().value(u"spend"_s).toDouble()), 3 * CallCost);
    QCOMPARE(call(*m_gateway, key).status, 200);
    const auto refused = call(*m_gateway, GatewayFixture::MasterKey);
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"global"_s);
    // Removing it keeps counting.
    QCOMPARE(m_gateway->post("/user/update", {{u"user_id"_s, u"litellm-proxy-budget"_s},
                                              {u"max_budget"_s, QJsonValue::Null}}).status, 200);
    QCOMPARE(call(*m_gateway, GatewayFixture::MasterKey).status, 200);
    const auto info = m_gateway->get("/user/info?user_id=litellm-proxy-budget").json().value(u"user_info"_s).toObject();
    QCOMPARE(usdToNanos(info.value(u"spend"_s).toDouble()), 5 * CallCost);
    QVERIFY(info.value(u"max_budget"_s).isNull());
}

void TestBudgets::outputBoundsMustBeWholeNumbers_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("max_tokens 1.5") << u"max_tokens"_s << QJsonValue(1.5);
    QTest::newRow("max_tokens \"10\"") << u"max_tokens"_s << QJsonValue(u"10"_s);
    QTest::newRow("max_tokens true") << u"max_tokens"_s << QJsonValue(true);
    QTest::newRow("max_tokens -1") << u"max_tokens"_s << QJsonValue(-1);
    QTest::newRow("max_completion_tokens -5") << u"max_completion_tokens"_s << QJsonValue(-5);
    QTest::newRow("max_completion_tokens []") << u"max_completion_tokens"_s << QJsonValue(QJsonArray{});
    QTest::newRow("n 0") << u"n"_s << QJsonValue(0);
    QTest::newRow("n 2.5") << u"n"_s << QJsonValue(2.5);
    QTest::newRow("best_of \"3\"") << u"best_of"_s << QJsonValue(u"3"_s);
    QTest::newRow("best_of -1") << u"best_of"_s << QJsonValue(-1);
}

void TestBudgets::outputBoundsMustBeWholeNumbers()
{
    QFETCH(QString, field);
    QFETCH(QJsonValue, value);
    if (!m_gateway)
        m_gateway = makeGateway();
    QJsonObject request = QJsonDocument::fromJson(body(u"priced"_s)).object();
    request.insert(field, value);
    const auto response = m_gateway->post("/v1/chat/completions", request);
    QCOMPARE(response.status, 400);
    QCOMPARE(error(response).value(u"param"_s).toString(), field);
    QCOMPARE(m_fake.requestCount(), 0);
}

// What the gateway reads of a chat request is checked alike whether the body is read without
// its messages (plain text) or parsed whole (an image part sends it down the full parse).
void TestBudgets::readFieldsMustHaveTheirTypes_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<int>("status");
    QTest::newRow("model 5") << u"model"_s << QJsonValue(5) << 400;
    QTest::newRow("model \"\"") << u"model"_s << QJsonValue(u""_s) << 400;
    QTest::newRow("model null") << u"model"_s << QJsonValue(QJsonValue::Null) << 400;
    QTest::newRow("stream \"yes\"") << u"stream"_s << QJsonValue(u"yes"_s) << 400;
    QTest::newRow("stream null") << u"stream"_s << QJsonValue(QJsonValue::Null) << 200;
    QTest::newRow("user 7") << u"user"_s << QJsonValue(7) << 400;
    QTest::newRow("user null") << u"user"_s << QJsonValue(QJsonValue::Null) << 200;
    QTest::newRow("stream_options true") << u"stream_options"_s << QJsonValue(true) << 400;
    QTest::newRow("stream_options {}") << u"stream_options"_s << QJsonValue(QJsonObject{}) << 200;
    QTest::newRow("messages \"hi\"") << u"messages"_s << QJsonValue(u"hi"_s) << 400;
    QTest::newRow("n null") << u"n"_s << QJsonValue(QJsonValue::Null) << 200;
}

void TestBudgets::readFieldsMustHaveTheirTypes()
{
    QFETCH(QString, field);
    QFETCH(QJsonValue, value);
    QFETCH(int, status);
    if (!m_gateway)
        m_gateway = makeGateway();
    for (const bool plain : {true, false}) {
        QJsonObject request = QJsonDocument::fromJson(body(u"priced"_s)).object();
        if (!plain) {
            request.insert(u"messages"_s,
                           QJsonArray{QJsonObject{
                               {u"role"_s, u"user"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"image_url"_s},
                                                                     {u"image_url"_s, QJsonObject{{u"url"_s, u"x"_s}}}}}}}});
        }
        request.insert(field, value);
        const int before = m_fake.requestCount();
        const auto response = m_gateway->post("/v1/chat/completions", request);
        QVERIFY2(response.status == status, qPrintable(u"%1 body: %2 %3"_s.arg(plain ? u"plain"_s : u"parsed"_s)
                                                          .arg(response.status)
                                                          .arg(QString::fromUtf8(response.body))));
        if (status == 400) {
            QCOMPARE(error(response).value(u"param"_s).toString(), field);
            QCOMPARE(m_fake.requestCount(), before);
        }
    }
}

// Reserve mode, calls without max_tokens: each held a 4,096-token answer, so parallel calls whose
// answers were 20k tokens spent a $0.2 budget four times over. They now hold the largest answer the
// deployment gave lately, and overshoot by at most one call again.
void TestBudgets::reserveModeHoldsTheLargestRecentAnswer()
{
    m_gateway = makeGateway();
    m_fake.setUsage(10, 20000);
    const NanoUsd oneCall = usdToNanos(10 * InputPrice) + usdToNanos(20000 * OutputPrice);
    const double max = 0.2;
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, max}});
    QByteArray request = body(u"priced"_s);
    request.replace(QByteArray("\"max_tokens\":20,"), QByteArray());
    QCOMPARE(m_gateway->client(key)->post("/v1/chat/completions", request).status, 200);

    m_fake.setLatency(300ms);
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 20; ++i)
        calls.push_back(std::make_unique<AsyncCall>(m_gateway->port(), request,
                                                    QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + key}}));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 20000);
    const int served = int(std::count_if(calls.begin(), calls.end(), [](const auto &c) { return c->status() == 200; }));
    const NanoUsd spend = usdToNanos(keySpend(*m_gateway, key));
    qInfo("20 parallel 20k-token answers on a $0.2 budget: %d served, spend %lld nano-USD", served, spend);
    QCOMPARE(spend, (served + 1) * oneCall);
    QVERIFY2(spend <= usdToNanos(max) + oneCall, qPrintable(QString::number(served)));
    QVERIFY(served >= 3);
}

void TestBudgets::hugeMaxTokensCannotEscapeAStrictBudget()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 1.0}});
    const auto withMaxTokens = [&](const QString &model, const QByteArray &maxTokens) {
        QByteArray request = body(model);
        request.replace(QByteArray("\"max_tokens\":20"), QByteArray("\"max_tokens\":" + maxTokens));
        return m_gateway->client(key)->post("/v1/chat/completions", request);
    };
    // No output limit known for this model: the value sent is the bound, and a huge one
    // costs more than any budget (its cost wrapped to LLONG_MIN and was admitted before).
    for (const QByteArray &huge : {QByteArray("9223372036854775807"), QByteArray("1e18"), QByteArray("1e300"),
                                   QByteArray("600000")}) {
        const auto refused = withMaxTokens(u"priced"_s, huge);
        QCOMPARE(refused.status, 429);
        QCOMPARE(error(refused).value(u"param"_s).toString(), u"key"_s);
    }
    QCOMPARE(m_fake.requestCount(), 0);
    QCOMPARE(withMaxTokens(u"priced"_s, "20").status, 200);
    // A model with an output limit of 100: a huge max_tokens is reserved at 100.
    QCOMPARE(withMaxTokens(u"vision"_s, "9223372036854775807").status, 200);
    QCOMPARE(withMaxTokens(u"vision"_s, "1e300").status, 200);
    // ... and the provider is told 100: the bound holds although the request asked for more.
    QCOMPARE(m_fake.requests().last().json().value(u"max_tokens"_s).toInteger(), 100);
    QCOMPARE(withMaxTokens(u"vision"_s, "60").status, 200);
    QCOMPARE(m_fake.requests().last().json().value(u"max_tokens"_s).toInteger(), 60);
    // n multiplies the bound: 100 tokens x 2^40 completions does not fit $1.
    QByteArray many = body(u"vision"_s);
    many.replace("\"max_tokens\":20", "\"max_tokens\":20,\"n\":1099511627776");
    QCOMPARE(m_gateway->client(key)->post("/v1/chat/completions", many).status, 429);

    // No max_tokens: the model's limit bounds the output (100 here), else a generous 128k
    // tokens (2 µ$ each: $0.26, more than this key's $0.10).
    const QByteArray small = generateKey(*m_gateway, {{u"max_budget"_s, 0.1}});
    QByteArray unbounded = body(u"priced"_s);
    unbounded.replace(QByteArray("\"max_tokens\":20,"), QByteArray());
    QCOMPARE(m_gateway->client(small)->post("/v1/chat/completions", unbounded).status, 429);
    unbounded.replace(QByteArray("priced"), QByteArray("vision"));
    QCOMPARE(m_gateway->client(small)->post("/v1/chat/completions", unbounded).status, 200);
}

// A call whose provider does not answer in time is charged what strict mode held for it: its prompt
// and the output bound (here the model's 5000 tokens, no max_tokens sent). It cost nothing, so a
// slow provider's calls went past any budget.
void TestBudgets::aTimedOutCallIsChargedItsBoundInStrictMode()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 1.0}});
    m_fake.setHang(true);
    QByteArray request = body(u"slow"_s);
    request.replace(QByteArray("\"max_tokens\":20,"), QByteArray());
    const auto timedOut = m_gateway->client(key)->post("/v1/chat/completions", request);
    QCOMPARE(timedOut.status, 504);
    const qint64 prompt = countRequestPromptTokens(QJsonDocument::fromJson(request).object(), u"gpt-4o"_s);
    const NanoUsd expected = usdToNanos(prompt * InputPrice) + usdToNanos(5000 * OutputPrice);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), expected);
}

// A field of an OpenAI-compatible server's own (vLLM renders `documents` into the prompt) counts
// as its JSON text: strict mode's exact count left it out and admitted 8x a key's max.
void TestBudgets::fieldsOfAServersOwnCountInStrictMode()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.01}});
    QJsonObject request = QJsonDocument::fromJson(body(u"priced"_s)).object();
    QCOMPARE(m_gateway->client(key)->post("/v1/chat/completions", QJsonDocument(request).toJson()).status, 200);
    QJsonArray documents;
    for (int i = 0; i < 300; ++i)
        documents.append(QJsonObject{{u"title"_s, u"doc %1"_s.arg(i)}, {u"text"_s, u"lorem ipsum dolor sit amet "_s.repeated(40)}});
    request.insert(u"documents"_s, documents);
    const auto refused = m_gateway->client(key)->post("/v1/chat/completions", QJsonDocument(request).toJson());
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"param"_s).toString(), u"key"_s);
    QCOMPARE(m_fake.requestCount(), 1);
}

// A key given another budget_duration starts a fresh window, spend 0, in the ledger; its stored
// row kept the old window's spend, which came back at the next start (the key then counted both).
void TestBudgets::aNewPeriodStartsFromZeroAlsoAfterARestart()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(10 * CallCost)},
                                                    {u"budget_duration"_s, u"30d"_s}});
    for (int i = 0; i < 3; ++i)
        QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), 3 * CallCost);
    const auto update = [&](const QJsonObject &fields) {
        QJsonObject body = fields;
        body.insert(u"key"_s, QString::fromLatin1(key));
        return m_gateway->post("/key/update", body).status;
    };
    // The same period in other words: nothing changes.
    QCOMPARE(update({{u"budget_duration"_s, u"30d"_s}}), 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), 3 * CallCost);
    QCOMPARE(update({{u"budget_duration"_s, u"1d"_s}}), 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), 0);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);
    QVERIFY(m_gateway->restart());
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);
    // A removed period keeps counting.
    QCOMPARE(update({{u"budget_duration"_s, QJsonValue::Null}}), 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);
    QVERIFY(m_gateway->restart());
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);
}

// /v1/completions with a list of prompts writes max_tokens (times n) for each of them: the strict
// bound counts them all. It counted one: 100 prompts on a $0.02 key spent $1.
void TestBudgets::aListOfPromptsIsBoundedPerPrompt()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    // 1000 output tokens at $0.000002: $0.002 a prompt; the key holds five.
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.0105}});
    const auto complete = [&](const QJsonValue &prompt) {
        return m_gateway->client(key)->post(
            "/v1/completions",
            QJsonDocument(QJsonObject{{u"model"_s, u"priced"_s}, {u"prompt"_s, prompt}, {u"max_tokens"_s, 1000}})
                .toJson(QJsonDocument::Compact));
    };
    const auto repeated = [](int count, const QJsonValue &item) {
        QJsonArray list;
        for (int i = 0; i < count; ++i)
            list.append(item);
        return list;
    };
    QCOMPARE(complete(repeated(4, u"hello"_s)).status, 200);
    QCOMPARE(complete(QJsonArray{1, 2, 3}).status, 200);   // one prompt, as token ids
    const auto strings = complete(repeated(6, u"hello"_s));
    QCOMPARE(strings.status, 429);
    QCOMPARE(strings.json().value(u"error"_s).toObject().value(u"type"_s).toString(), u"budget_exceeded"_s);
    QCOMPARE(complete(repeated(6, QJsonArray{1, 2, 3})).status, 429);   // six prompts as token ids
}

// Embeddings answer vectors: no output token is billed, so strict mode holds the prompt's bound
// only. It held the model's whole output limit (128k tokens, $0.26 here), and refused embeddings
// on any smaller budget.
void TestBudgets::embeddingsHoldNoOutputInStrictMode()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.01}});
    const auto response = m_gateway->client(key)->post(
        "/v1/embeddings", QJsonDocument(QJsonObject{{u"model"_s, u"priced"_s}, {u"input"_s, u"some text to embed"_s}})
                              .toJson(QJsonDocument::Compact));
    QVERIFY2(response.status == 200, response.body.constData());
    // The prompt's bound still counts: an input worth more than the budget is refused.
    const auto huge = m_gateway->client(key)->post(
        "/v1/embeddings", QJsonDocument(QJsonObject{{u"model"_s, u"priced"_s}, {u"input"_s, QString(200'000, u'x')}})
                              .toJson(QJsonDocument::Compact));
    QCOMPARE(huge.status, 429);
}

void TestBudgets::strictModeNeverOvershootsWithToolsImagesAndN()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const NanoUsd max = 10'000'000;   // $0.01
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(max)}});
    const QString model = u"gpt-4o"_s;
    const QString question = u"Describe this picture and check the weather"_s;
    const QJsonObject tool{{u"type"_s, u"function"_s},
                           {u"function"_s, QJsonObject{{u"name"_s, u"get_weather"_s},
                                                       {u"description"_s, u"Current weather for a city"_s},
                                                       {u"parameters"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}};
    const QJsonObject image{{u"type"_s, u"image_url"_s},
                            {u"image_url"_s, QJsonObject{{u"url"_s, u"https://example.com/p.png"_s}}}};
    const QJsonObject textOnly{{u"role"_s, u"user"_s}, {u"content"_s, question}};

    // What the provider bills each kind of request at most, written from OpenAI's documents
    // (an image at high detail: 85 + 8 x 170 tokens on gpt-4o; output: the model's limit of
    // 100 per completion), and independently of the gateway's counting.
    struct Kind
    {
        QJsonObject request;
        qint64 prompt = 0;
        qint64 completion = 0;
    };
    const qint64 text = countRequestPromptTokens({{u"messages"_s, QJsonArray{textOnly}}}, model);
    const QString toolText = QString::fromUtf8(QJsonDocument(QJsonArray{tool}).toJson(QJsonDocument::Compact));
    const QList<Kind> kinds{
        {{{u"model"_s, u"vision"_s}, {u"max_tokens"_s, 1e18},
          {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                 {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s},
                                                                                       {u"text"_s, question}},
                                                                           image, image}}}}}},
         text + 2 * (85 + 8 * 170), 100},
        {{{u"model"_s, u"vision"_s}, {u"n"_s, 4}, {u"messages"_s, QJsonArray{textOnly}}}, text, 4 * 100},
        {{{u"model"_s, u"vision"_s}, {u"max_completion_tokens"_s, 9.2e18}, {u"tools"_s, QJsonArray{tool}},
          {u"messages"_s, QJsonArray{textOnly}}},
         text + countTextTokens(toolText, model), 100},
    };
    NanoUsd billed = 0;
    int admitted = 0;
    for (int round = 0; round < 40; ++round) {
        const Kind &kind = kinds.at(round % kinds.size());
        m_fake.setUsage(kind.prompt, kind.completion);
        const auto response = m_gateway->post("/v1/chat/completions", kind.request, key);
        if (response.status == 200) {
            ++admitted;
            billed += tokenCost(kind.prompt, InputPrice) + tokenCost(kind.completion, OutputPrice);
        } else {
            QCOMPARE(response.status, 429);
        }
    }
    const NanoUsd spend = usdToNanos(keySpend(*m_gateway, key));
    qInfo("strict budget %lld nano-USD: %d calls admitted, %lld spent", max, admitted, spend);
    QVERIFY(admitted >= 2);
    QCOMPARE(spend, billed);
    QVERIFY2(spend <= max, qPrintable(u"spent %1 of %2"_s.arg(spend).arg(max)));
}

// "t\u0079pe" is the key "type" to every JSON parser, the provider's too, but the byte scanners
// that find images, documents and server tools without a DOM did not see it: twenty images by URL
// passed a strict budget as a few hundred bytes of text. The body is read unescaped now.
void TestBudgets::escapedKeysReadAsTheProviderReadsThem()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.01}});
    QByteArray images;
    for (int i = 0; i < 20; ++i)
        images += R"(,{"TYPE":"image_url","image_url":{"url":"https://example.com/)" + QByteArray::number(i)
                  + R"(.png","detail":"high"}})";
    const QByteArray chat = R"({"model":"vision","max_tokens":10,"messages":[{"role":"user","content":[)"
                            R"({"type":"text","text":"Describe them"})" + images + "]}]}";
    const auto send = [&](const QByteArray &typeKey) {
        QByteArray body = chat;
        body.replace(QByteArrayView("\"TYPE\""), QByteArray("\"" + typeKey + "\""));
        return m_gateway->client(key)->post("/v1/chat/completions", body).status;
    };
    // 20 images at high detail are ~29,000 prompt tokens ($0.029): past the $0.01 budget.
    QCOMPARE(send("type"), 429);
    QCOMPARE(send("t\\u0079pe"), 429);
    QCOMPARE(send("\\u0074\\u0079\\u0070\\u0065"), 429);
    QCOMPARE(m_fake.requestCount(), 0);

    // Admitted, the provider gets the same request with its keys written plainly; an escaped "n"
    // multiplies the bound as "n" does.
    const QByteArray rich = generateKey(*m_gateway, {{u"max_budget"_s, 100.0}});
    const QByteArray two = R"({"model":"vision","max_tokens":10,"\u006e":2,"messages":[{"role":"user","content":"Hi"}]})";
    QCOMPARE(m_gateway->client(rich)->post("/v1/chat/completions", two).status, 200);
    QCOMPARE(m_fake.requests().constLast().json().value(u"n"_s).toInt(), 2);
    QVERIFY(!m_fake.requests().constLast().body.contains("\\u006e"));
    const QByteArray small = generateKey(*m_gateway, {{u"max_budget"_s, 0.0001}});   // 50 output tokens
    QByteArray many = two;
    many.replace(":2,", ":9,");   // 9 x 10 output tokens: past it
    QCOMPARE(m_gateway->client(small)->post("/v1/chat/completions", many).status, 429);
    QCOMPARE(m_gateway->client(small)->post("/v1/chat/completions", two).status, 200);
}

// Strict mode refined a prompt's byte bound with tiktoken's count for every model, but Llama,
// Mistral and Qwen split every digit into a token: 30,000 digits are ~10,000 tokens to cl100k_base
// and 30,000 to them. Only an OpenAI model's count (its tokenizer is public) replaces the bytes.
void TestBudgets::anotherMakersTokensAreBoundedByBytes()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.02}});   // 20,000 input tokens
    const auto ask = [&](const QString &model) {
        const QJsonObject request{{u"model"_s, model}, {u"max_tokens"_s, 1},
                                  {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                                         {u"content"_s, QString(30000, u'7')}}}}};
        return m_gateway->client(key)->post("/v1/chat/completions", QJsonDocument(request).toJson(QJsonDocument::Compact));
    };
    QCOMPARE(ask(u"priced"_s).status, 429);   // gpt-priced: not a model whose tokenizer is known
    QCOMPARE(m_fake.requestCount(), 0);
    m_fake.setUsage(10000, 1);
    QCOMPARE(ask(u"vision"_s).status, 200);   // gpt-4o: o200k_base's count is the provider's
}

// Tokenizing runs on the gateway's thread: 32 MB of text held every other call for ~14 s (a
// refused call, so free). Past MaxTokenizedBytes the bytes are the count.
void TestBudgets::hugePromptsAreBoundedByTheirBytes()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const qsizetype digits = MaxTokenizedBytes + MaxTokenizedBytes / 4;
    // gpt-4o's count is about a third of the digits (~0.42M tokens, $0.42); the bytes are $1.31.
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.8}});
    const QJsonObject request{{u"model"_s, u"vision"_s}, {u"max_tokens"_s, 1},
                              {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                                     {u"content"_s, QString(digits, u'7')}}}}};
    const auto refused = m_gateway->client(key)->post("/v1/chat/completions",
                                                      QJsonDocument(request).toJson(QJsonDocument::Compact));
    QCOMPARE(refused.status, 429);
    QCOMPARE(m_fake.requestCount(), 0);
}

// Audio costs more than text (gpt-audio's output: $64 a million against $10). A spoken answer was
// bounded and billed at the text rate: a strict $0.02 let 2,000 audio tokens ($0.032) through,
// and the spend log charged them $0.004.
void TestBudgets::aSpokenAnswerIsBoundedAndBilledAtTheAudioRate()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.02}});
    const auto ask = [&](bool spoken, int maxTokens) {
        QJsonObject request{{u"model"_s, u"spoken"_s}, {u"max_tokens"_s, maxTokens},
                            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Say hi"_s}}}}};
        if (spoken) {
            request.insert(u"modalities"_s, QJsonArray{u"text"_s, u"audio"_s});
            request.insert(u"audio"_s, QJsonObject{{u"voice"_s, u"alloy"_s}, {u"format"_s, u"wav"_s}});
        }
        return m_gateway->client(key)->post("/v1/chat/completions", QJsonDocument(request).toJson(QJsonDocument::Compact));
    };
    QCOMPARE(ask(true, 2000).status, 429);   // 2,000 audio tokens: $0.032
    QCOMPARE(m_fake.requestCount(), 0);
    QCOMPARE(ask(false, 2000).status, 200);  // 2,000 text tokens: $0.004

    // The provider's usage says how much of it was audio: billed at its rate.
    m_fake.setErrorResponse(200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                                 "\"message\":{\"role\":\"assistant\",\"content\":null,\"audio\":{\"id\":\"a\","
                                 "\"data\":\"AAAA\",\"transcript\":\"Hi\"}},\"finish_reason\":\"stop\"}],"
                                 "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":100,\"total_tokens\":110,"
                                 "\"completion_tokens_details\":{\"audio_tokens\":80}}}");
    const auto answered = ask(true, 500);
    QCOMPARE(answered.status, 200);
    QCOMPARE(usdToNanos(answered.header("x-litellm-response-cost").toDouble()),
             usdToNanos(10 * InputPrice) + usdToNanos(20 * OutputPrice) + usdToNanos(80 * OutputPrice * 8));

    // A spoken stream cut before its usage: its sound is not in the relayed text, so it is
    // charged the output held for it, as audio.
    m_fake.setErrorResponse(0, {});
    m_fake.setStreamChunks(6, 5ms);
    m_fake.setStreamBreak(2, false);
    const double before = keySpend(*m_gateway, key);
    QJsonObject streamed{{u"model"_s, u"spoken"_s}, {u"max_tokens"_s, 500}, {u"stream"_s, true},
                         {u"audio"_s, QJsonObject{{u"voice"_s, u"alloy"_s}, {u"format"_s, u"pcm16"_s}}},
                         {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Say hi"_s}}}}};
    QCOMPARE(m_gateway->client(key)->post("/v1/chat/completions", QJsonDocument(streamed).toJson(QJsonDocument::Compact)).status,
             200);
    const NanoUsd charged = usdToNanos(keySpend(*m_gateway, key) - before);
    const NanoUsd heldAsAudio = usdToNanos(500 * OutputPrice * 8);
    QVERIFY2(charged >= heldAsAudio && charged < heldAsAudio + usdToNanos(100 * InputPrice), qPrintable(QString::number(charged)));
}

// Reasoning priced apart (output_cost_per_reasoning_token; Gemini 2.5 Flash's preview thought at
// $3.50 a million against $0.60 for its answer) was ignored: bounded and billed at the output rate,
// a strict $0.02 let 2,000 reasoning tokens ($0.024) through.
void TestBudgets::reasoningIsBoundedAndBilledAtItsRate()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.02}});
    const auto ask = [&](int maxTokens, bool stream = false) {
        const QJsonObject request{{u"model"_s, u"thinker"_s}, {u"max_tokens"_s, maxTokens}, {u"stream"_s, stream},
                                  {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Think"_s}}}}};
        return m_gateway->client(key)->post("/v1/chat/completions", QJsonDocument(request).toJson(QJsonDocument::Compact));
    };
    QCOMPARE(ask(2000).status, 429);   // 2,000 tokens that may all be reasoning: $0.024
    QCOMPARE(m_fake.requestCount(), 0);
    QCOMPARE(ask(1000).status, 200);   // $0.012

    // The provider's usage says how much of the output was reasoning: billed at its rate.
    m_fake.setErrorResponse(200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                                 "\"message\":{\"role\":\"assistant\",\"content\":\"Done\"},\"finish_reason\":\"stop\"}],"
                                 "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":100,\"total_tokens\":110,"
                                 "\"completion_tokens_details\":{\"reasoning_tokens\":70}}}");
    const auto answered = ask(500);
    QCOMPARE(answered.status, 200);
    QCOMPARE(usdToNanos(answered.header("x-litellm-response-cost").toDouble()),
             usdToNanos(10 * InputPrice) + usdToNanos(30 * OutputPrice) + usdToNanos(70 * OutputPrice * 6));

    // A stream cut before its usage: its thinking is not in the relayed text, so it is charged
    // the output held for it, as reasoning.
    m_fake.setErrorResponse(0, {});
    m_fake.setStreamChunks(6, 5ms);
    m_fake.setStreamBreak(2, false);
    const double before = keySpend(*m_gateway, key);
    QCOMPARE(ask(500, true).status, 200);
    const NanoUsd charged = usdToNanos(keySpend(*m_gateway, key) - before);
    const NanoUsd heldAsReasoning = usdToNanos(500 * OutputPrice * 6);
    QVERIFY2(charged >= heldAsReasoning && charged < heldAsReasoning + usdToNanos(100 * InputPrice),
             qPrintable(QString::number(charged)));
}

// The exact count of a prompt ran on the gateway's thread: a 1 MiB prompt whose bound a budget
// refused held every other caller ~0.4 s (release) while it was counted. It is counted on a
// thread of its own now: a small call sent after it is relayed and answered before the large one
// reaches the provider, which then admits it on its exact count.
void TestBudgets::aLargePromptIsCountedWhileOtherCallsGoOn()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    // Letters without a space: one long piece, slow to count (~0.5 s on a debug build).
    QString letters(500'000, Qt::Uninitialized);
    for (qsizetype i = 0; i < letters.size(); ++i)
        letters[i] = QChar(char16_t(u'a' + (i * 7919) % 26));
    const QJsonObject large{{u"model"_s, u"vision"_s}, {u"max_tokens"_s, 1},
                            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, letters}}}}};
    // gpt-4o counts ~290k tokens ($0.29); the bound of a plain request, twice its bytes ($1.00).
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.5}});
    AsyncCall counted(m_gateway->port(), QJsonDocument(large).toJson(QJsonDocument::Compact),
                      {{"Authorization", "Bearer " + key}});
    QTest::qWait(30);
    AsyncCall small(m_gateway->port(), body(u"priced"_s), {{"Authorization", QByteArray("Bearer ") + GatewayFixture::MasterKey}});
    QTRY_VERIFY_WITH_TIMEOUT(small.done(), 10000);
    QCOMPARE(small.status(), 200);
    QCOMPARE(m_fake.requestCount(), 1);   // the large call is still being counted
    QVERIFY2(!counted.done(), counted.body().left(300).constData());
    QTRY_VERIFY_WITH_TIMEOUT(counted.done(), 30000);
    QCOMPARE(counted.status(), 200);
    QCOMPARE(m_fake.requestCount(), 2);
}

// A plain chat request's bound is twice its bytes: past 512 KiB of body the bound passed the 1 MiB
// that is tokenized, and the count was never made, so a strict budget saw twice the bytes.
void TestBudgets::aPromptUpToAMebibyteIsCounted()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    QString words;
    words.reserve(700'000);
    while (words.size() < 700'000)
        words += u"hello "_s;
    const QJsonObject large{{u"model"_s, u"vision"_s}, {u"max_tokens"_s, 1},
                            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, words}}}}};
    // gpt-4o counts ~117k tokens ($0.12); the bound, twice the bytes, $1.40.
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.5}});
    const auto response = m_gateway->client(key)->post("/v1/chat/completions",
                                                       QJsonDocument(large).toJson(QJsonDocument::Compact));
    QVERIFY2(response.status == 200, response.body.left(300).constData());
    QCOMPARE(m_fake.requestCount(), 1);
}

// The provider's count decides a tiered price's tier, and it may exceed the gateway's by a little:
// a prompt counted 14 tokens short of 200k was admitted at the base rate ($0.20 of a $0.25 strict
// budget) and billed at the tier's twice it ($0.40).
void TestBudgets::aPromptNearAPriceTierIsBoundedAtIt()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const auto prompt = [](int words) {
        return QJsonObject{{u"model"_s, u"long-context"_s}, {u"max_tokens"_s, 1},
                           {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u" hi"_s.repeated(words)}}}}};
    };
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 0.25}});
    const auto near = m_gateway->client(key)->post("/v1/chat/completions",
                                                   QJsonDocument(prompt(199'000)).toJson(QJsonDocument::Compact));
    QCOMPARE(near.status, 429);
    QCOMPARE(m_fake.requestCount(), 0);
    const auto below = m_gateway->client(key)->post("/v1/chat/completions",
                                                    QJsonDocument(prompt(150'000)).toJson(QJsonDocument::Compact));
    QVERIFY2(below.status == 200, below.body.left(300).constData());
}

// model_info.max_tokens bounded a call that named no limit, but only a larger limit sent was
// lowered: a call without one went up unlimited ($0.003 strict budget, $0.010 spent). And 0, which
// some providers read as no limit at all, was admitted with an output bound of 0.
void TestBudgets::theOutputLimitThatBoundsACallIsSent()
{
    m_gateway = makeGateway(BudgetEnforcement::Strict);
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, 1.0}});
    const auto sent = [&](const QByteArray &path, const QJsonObject &request) {
        const auto response = m_gateway->client(key)->post(path, QJsonDocument(request).toJson(QJsonDocument::Compact));
        if (response.status != 200)
            return QJsonObject{{u"status"_s, response.status}};
        return QJsonDocument::fromJson(m_fake.requests().last().body).object();
    };
    const QJsonArray hello{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hello"_s}}};
    // "vision" has model_info.max_tokens 100.
    QCOMPARE(sent("/v1/chat/completions", {{u"model"_s, u"vision"_s}, {u"messages"_s, hello}})
                 .value(u"max_completion_tokens"_s).toInt(), 100);
    QCOMPARE(sent("/v1/chat/completions", {{u"model"_s, u"vision"_s}, {u"messages"_s, hello}, {u"stream"_s, true}})
                 .value(u"max_completion_tokens"_s).toInt(), 100);
    QCOMPARE(sent("/v1/completions", {{u"model"_s, u"vision"_s}, {u"prompt"_s, u"Hello"_s}}).value(u"max_tokens"_s).toInt(),
             100);
    QCOMPARE(sent("/v1/responses", {{u"model"_s, u"vision"_s}, {u"input"_s, u"Hello"_s}})
                 .value(u"max_output_tokens"_s).toInt(), 100);
    // A limit the client sent is left as it is (lowered only when larger).
    const QJsonObject own = sent("/v1/chat/completions", {{u"model"_s, u"vision"_s}, {u"messages"_s, hello}, {u"max_tokens"_s, 7}});
    QCOMPARE(own.value(u"max_tokens"_s).toInt(), 7);
    QVERIFY(!own.contains(u"max_completion_tokens"_s));
    // A deployment without model_info.max_tokens: nothing is added.
    QVERIFY(!sent("/v1/chat/completions", {{u"model"_s, u"priced"_s}, {u"messages"_s, hello}}).contains(u"max_completion_tokens"_s));

    const int before = m_fake.requestCount();
    QCOMPARE(sent("/v1/chat/completions", {{u"model"_s, u"vision"_s}, {u"messages"_s, hello}, {u"max_tokens"_s, 0}})
                 .value(u"status"_s).toInt(), 400);
    QCOMPARE(sent("/v1/chat/completions", {{u"model"_s, u"vision"_s}, {u"messages"_s, hello}, {u"max_completion_tokens"_s, 0}})
                 .value(u"status"_s).toInt(), 400);
    QCOMPARE(sent("/v1/responses", {{u"model"_s, u"vision"_s}, {u"input"_s, u"Hello"_s}, {u"max_output_tokens"_s, 0}})
                 .value(u"status"_s).toInt(), 400);
    QCOMPARE(m_fake.requestCount(), before);
}

void TestBudgets::eachLimitedScopeHasItsHeaders()
{
    // A user's and an end user's limits come back under their own names, beside the key's.
    m_gateway = makeGateway();
    const auto created = m_gateway->post("/user/new", {{u"user_id"_s, u"lena"_s}, {u"rpm_limit"_s, 7}});
    QCOMPARE(created.status, 200);
    const QByteArray key = generateKey(*m_gateway, {{u"user_id"_s, u"lena"_s}, {u"tpm_limit"_s, 100000}});
    QCOMPARE(m_gateway->post("/customer/new", {{u"user_id"_s, u"acme"_s}, {u"rpm_limit"_s, 9}}).status, 200);
    const auto response = call(*m_gateway, key, u"priced"_s, false, u"acme"_s);
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("x-ratelimit-user-limit-requests"), QByteArray("7"));
    QCOMPARE(response.header("x-ratelimit-user-remaining-requests"), QByteArray("6"));
    QCOMPARE(response.header("x-ratelimit-end-user-limit-requests"), QByteArray("9"));
    QCOMPARE(response.header("x-ratelimit-end-user-remaining-requests"), QByteArray("8"));
    QCOMPARE(response.header("x-ratelimit-key-limit-tokens"), QByteArray("100000"));
    QVERIFY(response.header("x-ratelimit-key-remaining-tokens").toLongLong() < 100000);
    QVERIFY(response.header("x-ratelimit-key-limit-requests").isEmpty());  // the key sets no rpm
}

void TestBudgets::rpmLimitWithHeaders()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {{u"rpm_limit"_s, 3}});
    for (int remaining : {2, 1, 0}) {
        const auto response = call(*m_gateway, key);
        QCOMPARE(response.status, 200);
        QCOMPARE(response.header("x-ratelimit-key-limit-requests"), QByteArray("3"));
        QCOMPARE(response.header("x-ratelimit-key-remaining-requests").toInt(), remaining);
    }
    const auto refused = call(*m_gateway, key);
    QCOMPARE(refused.status, 429);
    QCOMPARE(error(refused).value(u"type"_s).toString(), u"throttling_error"_s);
    QVERIFY(error(refused).value(u"message"_s).toString().startsWith(u"Rate limit exceeded for key:"_s));
    QVERIFY(error(refused).value(u"message"_s).toString().contains(u"Limit type: requests"_s));
    const int retryAfter = refused.header("retry-after").toInt();
    QVERIFY2(retryAfter >= 1 && retryAfter <= 60, refused.header("retry-after").constData());
    QVERIFY(refused.hasHeader("x-ratelimit-reset-at"));
}

void TestBudgets::tpmLimit()
{
    m_gateway = makeGateway();
    // A call's prompt counts 8 tokens at admission (3 + "user" + "Hi" + 3); the provider then
    // reports 30 in all.
    const QByteArray key = generateKey(*m_gateway, {{u"tpm_limit"_s, 35}});
    QCOMPARE(call(*m_gateway, key).status, 200);  // 30 tokens in the window: 30 + 8 > 35
    const auto refused = call(*m_gateway, key);
    QCOMPARE(refused.status, 429);
    QVERIFY(error(refused).value(u"message"_s).toString().contains(u"Limit type: tokens"_s));
}

void TestBudgets::tpmAdmitsOnTheExactCount()
{
    // Admission first bounds the prompt by its bytes; a call that bound refuses is counted
    // exactly and admitted if that fits.
    m_gateway = makeGateway();
    const QJsonObject request{
        {u"model"_s, u"priced"_s},
        {u"max_tokens"_s, 20},
        {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                               {u"content"_s, u"Summarize the differences between TCP and UDP in "
                                                              "two sentences, with one use case for each."_s}}}}};
    const qint64 exact = countRequestPromptTokens(request, u"priced"_s);
    const qint64 bound = boundRequestPromptTokens(request);
    QVERIFY2(exact + 10 < bound, qPrintable(u"%1 vs %2"_s.arg(exact).arg(bound)));
    const QByteArray key = generateKey(*m_gateway, {{u"tpm_limit"_s, exact + 5}});
    const auto admitted = m_gateway->post("/v1/chat/completions", request, key);
    QCOMPARE(admitted.status, 200);
    QCOMPARE(admitted.header("x-ratelimit-key-remaining-tokens").toLongLong(), 5);
    // The provider reported 30 tokens: the window is full now, by either count.
    QCOMPARE(m_gateway->post("/v1/chat/completions", request, key).status, 429);
}

void TestBudgets::parallelLimit()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {{u"max_parallel_requests"_s, 1}});
    m_fake.setLatency(400ms);
    AsyncCall first(m_gateway->port(), body(u"priced"_s), {{"Authorization", "Bearer " + key}});
    QTRY_COMPARE_WITH_TIMEOUT(m_fake.requestCount(), 1, 2000);  // this test's first call is in flight
    const auto refused = call(*m_gateway, key);
    QCOMPARE(refused.status, 429);
    QVERIFY(error(refused).value(u"message"_s).toString().contains(u"Limit type: max_parallel_requests"_s));
    QTRY_VERIFY_WITH_TIMEOUT(first.done(), 3000);
    QCOMPARE(first.status(), 200);
    m_fake.setLatency(0ms);
    QCOMPARE(call(*m_gateway, key).status, 200);  // the slot was released
}

void TestBudgets::shortBudgetResetsOnTime()
{
    m_gateway = makeGateway();
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(CallCost)}, {u"budget_duration"_s, u"2s"_s}});
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 429);
    const QDateTime resetAt = QDateTime::fromString(
        m_gateway->get("/key/info", key).json().value(u"info"_s).toObject().value(u"budget_reset_at"_s).toString(),
        Qt::ISODateWithMs);
    QVERIFY(resetAt.isValid());
    // The timer zeroes the spend on time, without a request to trigger it.
    QTRY_VERIFY_WITH_TIMEOUT(keySpend(*m_gateway, key) == 0.0, 5000);
    const qint64 lateness = resetAt.msecsTo(QDateTime::currentDateTimeUtc());
    qInfo("budget reset observed %lld ms after budget_reset_at", lateness);
    QVERIFY2(lateness < 1000, qPrintable(QString::number(lateness)));
    QCOMPARE(call(*m_gateway, key).status, 200);

    // Thresholds and the reset are events for the window to notify about.
    const auto events = m_gateway->get("/budget/events");
    QCOMPARE(events.status, 200);
    QStringList seen;
    for (const QJsonValue value : QJsonDocument::fromJson(events.body).array()) {
        const QJsonObject event = value.toObject();
        QCOMPARE(event.value(u"scope"_s).toString(), u"key"_s);
        QVERIFY(!event.value(u"at"_s).toString().isEmpty());
        seen.append(event.value(u"event"_s).toString() + u':' + event.value(u"threshold"_s).toString());
    }
    QVERIFY2(seen.contains(u"threshold:100%"_s), qPrintable(seen.join(u' ')));
    QVERIFY2(seen.contains(u"threshold:80%"_s), qPrintable(seen.join(u' ')));
    QVERIFY2(seen.contains(u"reset:"_s), qPrintable(seen.join(u' ')));
    QCOMPARE(m_gateway->get("/budget/events", key).status, 403);  // admin only
}

void TestBudgets::aNullInAnUpdateRemovesTheLimit()
{
    m_gateway = makeGateway();
    // Key: a spent budget and an rpm limit, both removed with null.
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(CallCost)}, {u"rpm_limit"_s, 5},
                                                    {u"budget_duration"_s, u"1d"_s}, {u"duration"_s, u"1h"_s}});
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 429);
    const QString token = m_gateway->get("/key/info", key).json().value(u"key"_s).toString();
    QCOMPARE(m_gateway->post("/key/update", {{u"key"_s, token}, {u"max_budget"_s, QJsonValue::Null},
                                             {u"rpm_limit"_s, QJsonValue::Null}, {u"budget_duration"_s, QJsonValue::Null},
                                             {u"duration"_s, QJsonValue::Null}}).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 200);
    QVERIFY(!call(*m_gateway, key).hasHeader("x-ratelimit-key-limit-requests"));
    const QJsonObject info = m_gateway->get("/key/info", key).json().value(u"info"_s).toObject();
    QVERIFY(info.value(u"max_budget"_s).isNull());
    QVERIFY(info.value(u"rpm_limit"_s).isNull());
    QVERIFY(info.value(u"budget_duration"_s).isNull());
    QVERIFY(info.value(u"budget_reset_at"_s).isNull());
    QVERIFY(info.value(u"expires"_s).isNull());
    // An absent field stays as it was.
    QCOMPARE(m_gateway->post("/key/update", {{u"key"_s, token}, {u"tpm_limit"_s, 1000}}).status, 200);
    QVERIFY(m_gateway->get("/key/info", key).json().value(u"info"_s).toObject().value(u"max_budget"_s).isNull());

    // User and end user: the same through /user/update and /customer/update.
    const auto created = m_gateway->post("/user/new", {{u"user_id"_s, u"erin"_s}, {u"max_budget"_s, nanosToUsd(CallCost)}});
    const QByteArray userKey = created.json().value(u"key"_s).toString().toLatin1();
    QCOMPARE(call(*m_gateway, userKey).status, 200);
    QCOMPARE(call(*m_gateway, userKey).status, 429);
    QCOMPARE(m_gateway->post("/user/update", {{u"user_id"_s, u"erin"_s}, {u"max_budget"_s, QJsonValue::Null}}).status, 200);
    QCOMPARE(call(*m_gateway, userKey).status, 200);

    QCOMPARE(m_gateway->post("/customer/new", {{u"user_id"_s, u"acme"_s}, {u"max_budget"_s, 0.0}}).status, 200);
    QCOMPARE(call(*m_gateway, key, u"priced"_s, false, u"acme"_s).status, 429);
    QCOMPARE(m_gateway->post("/customer/update", {{u"user_id"_s, u"acme"_s}, {u"max_budget"_s, QJsonValue::Null}}).status, 200);
    QCOMPARE(call(*m_gateway, key, u"priced"_s, false, u"acme"_s).status, 200);
}


void TestBudgets::spendCanBeResetByAnAdmin()
{
    // "spend" on an update (LiteLLM's /key/update field): the Budgets page's "Reset spend".
    // The ledger counts on from it, so a used-up budget lets calls through again at once.
    m_gateway = makeGateway(BudgetEnforcement::Reserve, nanosToUsd(10 * CallCost));
    const QByteArray key = generateKey(*m_gateway, {{u"max_budget"_s, nanosToUsd(CallCost)}, {u"budget_duration"_s, u"30d"_s}});
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(call(*m_gateway, key).status, 429);
    const QJsonObject before = m_gateway->get("/key/info", key).json().value(u"info"_s).toObject();
    const QString token = m_gateway->get("/key/info", key).json().value(u"key"_s).toString();
    QCOMPARE(m_gateway->post("/key/update", {{u"key"_s, token}, {u"spend"_s, 0}}).status, 200);
    const QJsonObject reset = m_gateway->get("/key/info", key).json().value(u"info"_s).toObject();
    QCOMPARE(reset.value(u"spend"_s).toDouble(), 0.0);
    // The window stays: a reset is not a new period.
    QCOMPARE(reset.value(u"budget_reset_at"_s), before.value(u"budget_reset_at"_s));
    QCOMPARE(call(*m_gateway, key).status, 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);
    QCOMPARE(call(*m_gateway, key).status, 429);
    // A negative spend is refused; null leaves it as it is.
    QCOMPARE(m_gateway->post("/key/update", {{u"key"_s, token}, {u"spend"_s, -1}}).status, 400);
    QCOMPARE(m_gateway->post("/key/update", {{u"key"_s, token}, {u"spend"_s, QJsonValue::Null}}).status, 200);
    QCOMPARE(usdToNanos(keySpend(*m_gateway, key)), CallCost);

    // A user's.
    const auto created = m_gateway->post("/user/new", {{u"user_id"_s, u"fay"_s}, {u"max_budget"_s, nanosToUsd(CallCost)}});
    const QByteArray userKey = created.json().value(u"key"_s).toString().toLatin1();
    QCOMPARE(call(*m_gateway, userKey).status, 200);
    QCOMPARE(call(*m_gateway, userKey).status, 429);
    QCOMPARE(m_gateway->post("/user/update", {{u"user_id"_s, u"fay"_s}, {u"spend"_s, 0}}).status, 200);
    QCOMPARE(m_gateway->get("/user/info?user_id=fay").json().value(u"user_info"_s).toObject().value(u"spend"_s).toDouble(), 0.0);
    QCOMPARE(call(*m_gateway, userKey).status, 200);

    // An end user's.
    const QByteArray open = generateKey(*m_gateway, {});
    QCOMPARE(m_gateway->post("/customer/new", {{u"user_id"_s, u"zeta"_s}, {u"max_budget"_s, nanosToUsd(CallCost)}}).status, 200);
    QCOMPARE(call(*m_gateway, open, u"priced"_s, false, u"zeta"_s).status, 200);
    QCOMPARE(call(*m_gateway, open, u"priced"_s, false, u"zeta"_s).status, 429);
    QCOMPARE(m_gateway->post("/customer/update", {{u"user_id"_s, u"zeta"_s}, {u"spend"_s, 0}}).status, 200);
    QCOMPARE(call(*m_gateway, open, u"priced"_s, false, u"zeta"_s).status, 200);

    // The whole gateway's, through litellm-proxy-budget (/global/spend stays the log's total).
    const auto globalSpend = [this] {
        return usdToNanos(m_gateway->get("/user/info?user_id=litellm-proxy-budget")
                              .json().value(u"user_info"_s).toObject().value(u"spend"_s).toDouble());
    };
    QVERIFY(globalSpend() >= 5 * CallCost);
    QCOMPARE(m_gateway->post("/user/update", {{u"user_id"_s, u"litellm-proxy-budget"_s}, {u"spend"_s, 0}}).status, 200);
    QCOMPARE(globalSpend(), NanoUsd(0));
    QCOMPARE(call(*m_gateway, open).status, 200);
    QCOMPARE(globalSpend(), CallCost);
}

QTEST_GUILESS_MAIN(TestBudgets)
#include "tst_budgets.moc"
