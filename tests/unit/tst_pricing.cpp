#include "models/config.h"
#include "models/money.h"
#include "models/pricing.h"
#include "models/secretstore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QThread>
#include <QTimeZone>

#include <limits>
#include <memory>
#include <optional>
#include <vector>

using namespace Qt::StringLiterals;
using Tollgate::Deployment;
using Tollgate::ModelPrice;
using Tollgate::NanoUsd;
using Tollgate::PriceCatalogue;
using Tollgate::Provider;
using Tollgate::ServiceTier;

namespace {

// Synthetic catalogues are built as JSON objects (no raw strings: moc reads this file).
QJsonObject flat(double inputMtok, double outputMtok)
{
    return QJsonObject { { u"input_mtok"_s, inputMtok }, { u"output_mtok"_s, outputMtok } };
}

QJsonObject clause(const QString &kind, const QJsonValue &operand)
{
    return QJsonObject { { kind, operand } };
}

QJsonObject model(const QString &id, const QJsonObject &match, const QJsonValue &prices = flat(1, 2))
{
    return QJsonObject { { u"id"_s, id }, { u"match"_s, match }, { u"prices"_s, prices } };
}

QJsonObject provider(const QString &id, const QJsonArray &models, const QJsonObject &extra = {})
{
    QJsonObject p = extra;
    p.insert(u"id"_s, id);
    p.insert(u"name"_s, id);
    p.insert(u"api_pattern"_s, id);
    p.insert(u"models"_s, models);
    return p;
}

QByteArray json(const QJsonArray &providers)
{
    return QJsonDocument(providers).toJson(QJsonDocument::Compact);
}

PriceCatalogue load(const QJsonArray &providers)
{
    auto catalogue = PriceCatalogue::loadJson(json(providers), u"synthetic"_s);
    if (!catalogue)
        qFatal("synthetic catalogue rejected: %s", qPrintable(catalogue.error().toString()));
    return std::move(catalogue).value();
}

QDateTime utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s), Qt::UTC);
}

// QCOMPARE compares doubles fuzzily; prices must be the exact double.
bool sameDouble(double actual, double expected)
{
    if (actual == expected)
        return true;
    qWarning("%.17g is not exactly %.17g", actual, expected);
    return false;
}

constexpr double None = -1.0; // "no value" in the double columns

} // namespace

class TestPricing : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void shippedCatalogueLoadsQuickly();
    void shippedCatalogueLoadsOnFirstLookup();
    void shipsTheLicence();
    void knownPrices_data();
    void knownPrices();
    void unknownModels_data();
    void unknownModels();
    void emptyCatalogueKnowsNothing();
    void matchOperators_data();
    void matchOperators();
    void providerResolution_data();
    void providerResolution();
    void timeDependentPrices_data();
    void timeDependentPrices();
    void tieredCosts_data();
    void tieredCosts();
    void tiersApplyPerKind_data();
    void tiersApplyPerKind();
    void priceForDeployment_data();
    void priceForDeployment();
    void configCacheReadPrice();
    void configLongPromptRates();
    void cacheWritePrices();
    void serviceTiers();
    void serviceTierNames_data();
    void serviceTierNames();
    void toolFees();
    void audioTokensPayTheAudioRates();
    void reasoningTokensPayTheReasoningRate();
    void defaultClaudeModelsArePricedLikeTheCatalogue();
    void perTokenConversionIsExact_data();
    void perTokenConversionIsExact();
    void moneyDoesNotDrift();
    void hugeCountsSaturate();
    void contextWindowBoundsTheOutput();
    void rejectsBrokenCatalogues_data();
    void rejectsBrokenCatalogues();

private:
    PriceCatalogue m_real;
};

void TestPricing::hugeCountsSaturate()
{
    const auto price = m_real.find(u"openai"_s, u"gpt-4o"_s);
    QVERIFY(price.has_value());
    const qint64 huge = std::numeric_limits<qint64>::max();
    QCOMPARE(price->cost(100, huge), Tollgate::MaxNanoUsd);
    QCOMPARE(price->cost(huge, huge), Tollgate::MaxNanoUsd);
    QCOMPARE(price->cost(huge, 0, huge), Tollgate::MaxNanoUsd);
    // Monotonic: a larger count never costs less.
    NanoUsd previous = 0;
    for (qint64 tokens = 1; tokens > 0 && tokens < huge / 4; tokens *= 4) {
        const NanoUsd cost = price->cost(10, tokens);
        QVERIFY2(cost >= previous, qPrintable(QString::number(tokens)));
        previous = cost;
    }
}

void TestPricing::contextWindowBoundsTheOutput()
{
    QCOMPARE(m_real.find(u"openai"_s, u"gpt-4o"_s)->contextWindow, std::optional<qint64>(128000));
    Deployment deployment;
    deployment.provider = Provider::OpenAI;
    deployment.upstreamModel = u"gpt-4o-mini"_s;
    deployment.inputCostPerToken = 0.000001;
    deployment.outputCostPerToken = 0.000002;
    // A config price keeps the catalogue's limit of the model it runs.
    QCOMPARE(m_real.priceFor(deployment)->contextWindow, std::optional<qint64>(128000));
    deployment.upstreamModel = u"our-private-finetune"_s;
    QVERIFY(!m_real.priceFor(deployment)->contextWindow);
}

void TestPricing::initTestCase()
{
    auto catalogue = PriceCatalogue::loadResource();
    QVERIFY2(catalogue.ok(), qPrintable(catalogue.ok() ? QString() : catalogue.error().toString()));
    m_real = std::move(catalogue).value();
}

void TestPricing::shippedCatalogueLoadsQuickly()
{
    QCOMPARE(m_real.providerCount(), qsizetype(34));
    QCOMPARE(m_real.modelCount(), qsizetype(1442));

    // Read, decompress, parse and compile the whole resource, as start-up does.
    qint64 best = std::numeric_limits<qint64>::max();
    qint64 total = 0;
    constexpr int runs = 5;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer timer;
        timer.start();
        auto catalogue = PriceCatalogue::loadResource();
        const qint64 elapsed = timer.nsecsElapsed();
        QVERIFY(catalogue.ok());
        best = std::min(best, elapsed);
        total += elapsed;
    }
    qInfo("price catalogue load: best %.1f ms, mean %.1f ms over %d runs", double(best) / 1e6,
          double(total) / runs / 1e6, runs);
    // The budget is 50 ms; a loaded shared CI box gets head-room before this fails.
    QVERIFY2(best < 150'000'000, "loading the price catalogue is far slower than expected");
}

// The gateway's catalogue: nothing parsed until a price is looked up (an idle gateway does not
// hold it), then the same data as loadResource(), shared by copies and across threads.
void TestPricing::shippedCatalogueLoadsOnFirstLookup()
{
    const PriceCatalogue shipped = PriceCatalogue::shipped();
    const PriceCatalogue copy = shipped;
    QVERIFY(!shipped.isLoaded());
    QVERIFY(!copy.isLoaded());
    QVERIFY(m_real.isLoaded());
    QVERIFY(PriceCatalogue().isLoaded());

    // Lookups from several threads at once: one parse, every answer the loaded one.
    const auto expected = m_real.find(u"openai"_s, u"gpt-4o-mini"_s);
    QVERIFY(expected);
    std::vector<std::optional<ModelPrice>> answers(4);
    std::vector<std::unique_ptr<QThread>> threads;
    for (size_t i = 0; i < answers.size(); ++i) {
        threads.emplace_back(QThread::create([&copy, &answers, i] {
            answers[i] = copy.find(u"openai"_s, u"gpt-4o-mini"_s);
        }));
        threads.back()->start();
    }
    for (const auto &thread : threads)
        QVERIFY(thread->wait(30000));
    for (const auto &answer : answers) {
        QVERIFY(answer);
        QCOMPARE(answer->inputPerToken, expected->inputPerToken);
        QCOMPARE(answer->source, expected->source);
    }
    QVERIFY(copy.isLoaded());
    QVERIFY(shipped.isLoaded()); // the copies share it
    QCOMPARE(shipped.modelCount(), m_real.modelCount());
    QCOMPARE(shipped.providerCount(), m_real.providerCount());
    QVERIFY(!PriceCatalogue::shipped().isLoaded()); // each shipped() is a catalogue of its own
}

void TestPricing::shipsTheLicence()
{
    QFile licence(u":/tollgate/prices/LICENSE"_s);
    QVERIFY(licence.open(QIODevice::ReadOnly));
    const QByteArray text = licence.readAll();
    QVERIFY(text.contains("MIT License"));
    QVERIFY(text.contains("Pydantic"));
}

void TestPricing::knownPrices_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("model");
    QTest::addColumn<double>("input");
    QTest::addColumn<double>("output");
    QTest::addColumn<double>("cacheRead");
    QTest::addColumn<QString>("source");

    QTest::newRow("openai gpt-4o") << u"openai"_s << u"gpt-4o"_s << 2.5e-6 << 1e-5 << 1.25e-6
                                   << u"catalogue:openai/gpt-4o"_s;
    QTest::newRow("openai gpt-4o-mini")
        << u"openai"_s << u"gpt-4o-mini"_s << 1.5e-7 << 6e-7 << 7.5e-8 << u"catalogue:openai/gpt-4o-mini"_s;
    QTest::newRow("a dated snapshot name through the match rule")
        << u"openai"_s << u"gpt-4o-mini-2024-07-18"_s << 1.5e-7 << 6e-7 << 7.5e-8
        << u"catalogue:openai/gpt-4o-mini"_s;
    QTest::newRow("a name in capitals")
        << u"OpenAI"_s << u"GPT-4o-Mini"_s << 1.5e-7 << 6e-7 << 7.5e-8 << u"catalogue:openai/gpt-4o-mini"_s;
    QTest::newRow("openai gpt-4.1") << u"openai"_s << u"gpt-4.1"_s << 2e-6 << 8e-6 << 5e-7
                                    << u"catalogue:openai/gpt-4.1"_s;
    QTest::newRow("o-series o3-mini")
        << u"openai"_s << u"o3-mini"_s << 1.1e-6 << 4.4e-6 << 5.5e-7 << u"catalogue:openai/o3-mini"_s;
    QTest::newRow("o-series o4-mini by its dated name") << u"openai"_s << u"o4-mini-2025-04-16"_s << 1.1e-6
                                                        << 4.4e-6 << 2.75e-7 << u"catalogue:openai/o4-mini"_s;
    QTest::newRow("an embedding model has no output price")
        << u"openai"_s << u"text-embedding-3-small"_s << 2e-8 << 0.0 << None
        << u"catalogue:openai/text-embedding-3-small"_s;
    QTest::newRow("a free model costs nothing") << u"openai"_s << u"omni-moderation-latest"_s << 0.0 << 0.0
                                                << None << u"catalogue:openai/moderation"_s;
    QTest::newRow("anthropic claude by a dated name")
        << u"anthropic"_s << u"claude-3-5-sonnet-20241022"_s << 3e-6 << 1.5e-5 << 3e-7
        << u"catalogue:anthropic/claude-3-5-sonnet"_s;
    QTest::newRow("anthropic claude haiku 4.5") << u"anthropic"_s << u"claude-haiku-4-5"_s << 1e-6 << 5e-6
                                                << 1e-7 << u"catalogue:anthropic/claude-haiku-4-5"_s;
    QTest::newRow("google through its provider_match")
        << u"vertex_ai"_s << u"gemini-2.5-flash"_s << 3e-7 << 2.5e-6 << 3e-8
        << u"catalogue:google/gemini-2.5-flash"_s;
    QTest::newRow("azure's own entry")
        << u"azure"_s << u"o3-mini"_s << 1.1e-6 << 4.4e-6 << 5.5e-7 << u"catalogue:azure/o3-mini"_s;
    QTest::newRow("azure falls back to openai")
        << u"azure"_s << u"gpt-4o"_s << 2.5e-6 << 1e-5 << 1.25e-6 << u"catalogue:openai/gpt-4o"_s;
    QTest::newRow("a tiered model reports its base tier")
        << u"openai"_s << u"gpt-5.4"_s << 2.5e-6 << 1.5e-5 << 2.5e-7 << u"catalogue:openai/gpt-5.4"_s;
}

void TestPricing::knownPrices()
{
    QFETCH(QString, provider);
    QFETCH(QString, model);
    QFETCH(double, input);
    QFETCH(double, output);
    QFETCH(double, cacheRead);
    QFETCH(QString, source);

    const auto price = m_real.find(provider, model);
    QVERIFY(price.has_value());
    QCOMPARE(price->source, source);
    QVERIFY(sameDouble(price->inputPerToken, input));
    QVERIFY(sameDouble(price->outputPerToken, output));
    if (cacheRead == None) {
        QVERIFY(!price->cacheReadPerToken.has_value());
    } else {
        QVERIFY(price->cacheReadPerToken.has_value());
        QVERIFY(sameDouble(*price->cacheReadPerToken, cacheRead));
    }
}

void TestPricing::unknownModels_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("model");

    QTest::newRow("a made-up openai model") << u"openai"_s << u"gpt-99-ultra"_s;
    QTest::newRow("a known name with an unknown suffix") << u"openai"_s << u"gpt-4o-foo"_s;
    QTest::newRow("an empty model name") << u"openai"_s << QString();
    QTest::newRow("a claude model asked of openai") << u"openai"_s << u"claude-3-5-sonnet"_s;
    QTest::newRow("an unknown provider and an unclaimed name") << u"acme"_s << u"acme-large-1"_s;
    QTest::newRow("an azure deployment name") << u"azure"_s << u"my-prod-deployment"_s;
}

void TestPricing::unknownModels()
{
    QFETCH(QString, provider);
    QFETCH(QString, model);

    const auto price = m_real.find(provider, model);
    QVERIFY2(!price.has_value(), qPrintable(price ? price->source : QString()));
    QVERIFY(!m_real.cost(provider, model, 1000, 1000).has_value());
}

void TestPricing::emptyCatalogueKnowsNothing()
{
    const PriceCatalogue empty;
    QVERIFY(!empty.find(u"openai"_s, u"gpt-4o"_s).has_value());
    QCOMPARE(empty.modelCount(), qsizetype(0));

    Deployment configured;
    configured.provider = Provider::OpenAI;
    configured.upstreamModel = u"gpt-4o"_s;
    QVERIFY(!empty.priceFor(configured).has_value());
    configured.inputCostPerToken = 1e-6;
    configured.outputCostPerToken = 2e-6;
    QCOMPARE(empty.priceFor(configured)->source, u"config"_s);
}

void TestPricing::matchOperators_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("expected"); // model id, empty = no match

    QTest::newRow("equals matches the same name") << u"Alpha-1"_s << u"exact"_s;
    QTest::newRow("equals ignores case") << u"ALPHA-1"_s << u"exact"_s;
    QTest::newRow("equals rejects a longer name") << u"alpha-10"_s << QString();
    QTest::newRow("starts_with matches a dated name") << u"beta-2024-01-01"_s << u"prefix"_s;
    QTest::newRow("starts_with needs the prefix first") << u"xbeta-1"_s << QString();
    QTest::newRow("ends_with matches the end") << u"big-gamma"_s << u"suffix"_s;
    QTest::newRow("ends_with rejects it in the middle") << u"big-gamma-2"_s << QString();
    QTest::newRow("contains matches anywhere") << u"x-DELTA-x"_s << u"infix"_s;
    QTest::newRow("an anchored regex matches") << u"eps42"_s << u"pattern"_s;
    QTest::newRow("an anchored regex rejects extra text") << u"eps42x"_s << QString();
    QTest::newRow("an unanchored regex searches") << u"my-kappa-model"_s << u"search"_s;
    QTest::newRow("or takes its first rule") << u"zeta"_s << u"either"_s;
    QTest::newRow("or takes its second rule") << u"eta"_s << u"either"_s;
    QTest::newRow("or rejects when no rule holds") << u"zeta-eta"_s << QString();
    QTest::newRow("and needs every rule") << u"theta-x-pro"_s << u"both"_s;
    QTest::newRow("and rejects when one rule fails") << u"theta-x"_s << QString();
    QTest::newRow("or inside and") << u"iota-v2"_s << u"nested"_s;
    QTest::newRow("or inside and, neither branch") << u"iota-b"_s << QString();
    QTest::newRow("the first model listed wins") << u"beta-delta"_s << u"prefix"_s;
}

void TestPricing::matchOperators()
{
    QFETCH(QString, model);
    QFETCH(QString, expected);

    const QJsonArray models = {
        ::model(u"exact"_s, clause(u"equals"_s, u"Alpha-1"_s)),
        ::model(u"prefix"_s, clause(u"starts_with"_s, u"beta-"_s)),
        ::model(u"suffix"_s, clause(u"ends_with"_s, u"-gamma"_s)),
        ::model(u"infix"_s, clause(u"contains"_s, u"delta"_s)),
        ::model(u"pattern"_s, clause(u"regex"_s, u"^eps[0-9]+$"_s)),
        ::model(u"search"_s, clause(u"regex"_s, u"kappa"_s)),
        ::model(
            u"either"_s,
            clause(u"or"_s, QJsonArray { clause(u"equals"_s, u"zeta"_s), clause(u"equals"_s, u"eta"_s) })),
        ::model(
            u"both"_s,
            clause(u"and"_s,
                   QJsonArray { clause(u"starts_with"_s, u"theta"_s), clause(u"ends_with"_s, u"-pro"_s) })),
        ::model(u"nested"_s,
                clause(u"and"_s,
                       QJsonArray { clause(u"contains"_s, u"iota"_s),
                                    clause(u"or"_s,
                                           QJsonArray { clause(u"ends_with"_s, u"-a"_s),
                                                        clause(u"regex"_s, u"v[0-9]$"_s) }) })),
    };
    const PriceCatalogue catalogue = load({ provider(u"synthetic"_s, models) });

    const auto price = catalogue.find(u"synthetic"_s, model);
    if (expected.isEmpty()) {
        QVERIFY2(!price.has_value(), qPrintable(price ? price->source : QString()));
    } else {
        QVERIFY(price.has_value());
        QCOMPARE(price->source, u"catalogue:synthetic/"_s + expected);
    }
}

void TestPricing::providerResolution_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("source"); // empty = unknown

    QTest::newRow("by provider id") << u"alpha"_s << u"a-one"_s << u"catalogue:alpha/a-one"_s;
    QTest::newRow("provider id ignores case") << u" ALPHA "_s << u"a-one"_s << u"catalogue:alpha/a-one"_s;
    QTest::newRow("by provider_match") << u"my-alpine"_s << u"a-one"_s << u"catalogue:alpha/a-one"_s;
    QTest::newRow("through a fallback provider") << u"alpha"_s << u"b-one"_s << u"catalogue:beta/b-one"_s;
    QTest::newRow("a cycle of fallbacks ends") << u"alpha"_s << u"nothing"_s << QString();
    QTest::newRow("a provider without fallbacks borrows nothing") << u"gamma"_s << u"a-one"_s << QString();
    QTest::newRow("an unknown provider: model_match picks one")
        << u"nowhere"_s << u"g-one"_s << u"catalogue:gamma/g-one"_s;
    QTest::newRow("no provider: model_match picks one")
        << QString() << u"a-one"_s << u"catalogue:alpha/a-one"_s;
    QTest::newRow("an unknown provider and no model_match") << u"nowhere"_s << u"b-one"_s << QString();
}

void TestPricing::providerResolution()
{
    QFETCH(QString, provider);
    QFETCH(QString, model);
    QFETCH(QString, source);

    const PriceCatalogue catalogue = load({
        ::provider(u"alpha"_s, { ::model(u"a-one"_s, clause(u"equals"_s, u"a-one"_s)) },
                   { { u"provider_match"_s, clause(u"contains"_s, u"alp"_s) },
                     { u"model_match"_s, clause(u"starts_with"_s, u"a-"_s) },
                     { u"fallback_model_providers"_s, QJsonArray { u"beta"_s } } }),
        ::provider(u"beta"_s, { ::model(u"b-one"_s, clause(u"equals"_s, u"b-one"_s)) },
                   { { u"fallback_model_providers"_s, QJsonArray { u"alpha"_s } } }),
        ::provider(u"gamma"_s, { ::model(u"g-one"_s, clause(u"equals"_s, u"g-one"_s)) },
                   { { u"model_match"_s, clause(u"starts_with"_s, u"g-"_s) } }),
    });

    const auto price = catalogue.find(provider, model);
    QCOMPARE(price ? price->source : QString(), source);
}

void TestPricing::timeDependentPrices_data()
{
    QTest::addColumn<bool>("synthetic");
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QDateTime>("at");
    QTest::addColumn<double>("input");

    QTest::newRow("before any start date: the first price")
        << true << u"t"_s << u"dated"_s << utc(2024, 12, 31, 23, 59, 59) << 1e-6;
    QTest::newRow("from the first start date") << true << u"t"_s << u"dated"_s << utc(2025, 1, 1) << 3e-6;
    QTest::newRow("the day before the second start date")
        << true << u"t"_s << u"dated"_s << utc(2025, 5, 31, 23, 59, 59) << 3e-6;
    QTest::newRow("from the second start date") << true << u"t"_s << u"dated"_s << utc(2025, 6, 1) << 5e-6;
    QTest::newRow("a local time still the day before in UTC")
        << true << u"t"_s << u"dated"_s << QDateTime(QDate(2025, 1, 1), QTime(1, 0), QTimeZone(2 * 3600))
        << 1e-6;
    QTest::newRow("a night window before midnight")
        << true << u"t"_s << u"night"_s << utc(2025, 3, 1, 23) << 5e-7;
    QTest::newRow("a night window after midnight")
        << true << u"t"_s << u"night"_s << utc(2025, 3, 1, 5, 59, 59) << 5e-7;
    QTest::newRow("a night window ends at its end time")
        << true << u"t"_s << u"night"_s << utc(2025, 3, 1, 6) << 1e-6;
    QTest::newRow("a window with a UTC offset, inside")
        << true << u"t"_s << u"offset"_s << utc(2025, 3, 1, 7, 30) << 2e-6;
    QTest::newRow("a window with a UTC offset, outside")
        << true << u"t"_s << u"offset"_s << utc(2025, 3, 1, 9, 30) << 1e-6;
    QTest::newRow("openai o3 before its price cut")
        << false << u"openai"_s << u"o3"_s << utc(2025, 6, 9, 23) << 1e-5;
    QTest::newRow("openai o3 after its price cut")
        << false << u"openai"_s << u"o3"_s << utc(2025, 6, 10) << 2e-6;
    QTest::newRow("deepseek off-peak just before the window")
        << false << u"deepseek"_s << u"deepseek-chat"_s << utc(2025, 3, 1, 0, 29, 59) << 1.35e-7;
    QTest::newRow("deepseek standard price from 00:30 UTC")
        << false << u"deepseek"_s << u"deepseek-chat"_s << utc(2025, 3, 1, 0, 30) << 2.7e-7;
    QTest::newRow("deepseek standard price until 16:30 UTC")
        << false << u"deepseek"_s << u"deepseek-chat"_s << utc(2025, 3, 1, 16, 29, 59) << 2.7e-7;
    QTest::newRow("deepseek off-peak again at 16:30 UTC")
        << false << u"deepseek"_s << u"deepseek-chat"_s << utc(2025, 3, 1, 16, 30) << 1.35e-7;
    QTest::newRow("claude-sonnet-5 before its announced change")
        << false << u"anthropic"_s << u"claude-sonnet-5"_s << utc(2026, 8, 31, 12) << 2e-6;
    QTest::newRow("claude-sonnet-5 after its announced change")
        << false << u"anthropic"_s << u"claude-sonnet-5"_s << utc(2026, 9, 1) << 3e-6;
}

void TestPricing::timeDependentPrices()
{
    QFETCH(bool, synthetic);
    QFETCH(QString, provider);
    QFETCH(QString, model);
    QFETCH(QDateTime, at);
    QFETCH(double, input);

    const auto when = [](const QJsonObject &constraint, double inputMtok) {
        return QJsonObject { { u"constraint"_s, constraint }, { u"prices"_s, flat(inputMtok, 1) } };
    };
    const auto window = [](const QString &start, const QString &end) {
        return QJsonObject { { u"start_time"_s, start }, { u"end_time"_s, end } };
    };
    const PriceCatalogue test = load({ ::provider(
        u"t"_s,
        { ::model(u"dated"_s, clause(u"equals"_s, u"dated"_s),
                  QJsonArray { QJsonObject { { u"prices"_s, flat(1, 1) } },
                               when({ { u"start_date"_s, u"2025-01-01"_s } }, 3),
                               when({ { u"start_date"_s, u"2025-06-01"_s } }, 5) }),
          ::model(u"night"_s, clause(u"equals"_s, u"night"_s),
                  QJsonArray { QJsonObject { { u"prices"_s, flat(1, 1) } },
                               when(window(u"22:00:00Z"_s, u"06:00:00Z"_s), 0.5) }),
          ::model(u"offset"_s, clause(u"equals"_s, u"offset"_s),
                  QJsonArray { QJsonObject { { u"prices"_s, flat(1, 1) } },
                               when(window(u"09:00:00+02:00"_s, u"10:00:00+02:00"_s), 2) }) }) });

    const PriceCatalogue &catalogue = synthetic ? test : m_real;
    const auto price = catalogue.find(provider, model, at);
    QVERIFY(price.has_value());
    QVERIFY(sameDouble(price->inputPerToken, input));
}

void TestPricing::tieredCosts_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("model");
    QTest::addColumn<qint64>("prompt");
    QTest::addColumn<qint64>("completion");
    QTest::addColumn<qint64>("cached");
    QTest::addColumn<NanoUsd>("expected");

    // gpt-5.4: 2.5 / 15 $/Mtok (cache 0.25), above 272k prompt tokens 5 / 22.5 (cache 0.5).
    QTest::newRow("a prompt at the threshold pays the base rates")
        << u"openai"_s << u"gpt-5.4"_s << qint64(272'000) << qint64(1000) << qint64(0)
        << NanoUsd(680'000'000 + 15'000'000);
    QTest::newRow("one token past it, every token pays the tier")
        << u"openai"_s << u"gpt-5.4"_s << qint64(272'001) << qint64(1000) << qint64(0)
        << NanoUsd(1'360'005'000 + 22'500'000);
    QTest::newRow("cached tokens count towards the tier")
        << u"openai"_s << u"gpt-5.4"_s << qint64(300'000) << qint64(0) << qint64(100'000)
        << NanoUsd(1'000'000'000 + 50'000'000);
    QTest::newRow("anthropic's 200k tier") << u"anthropic"_s << u"claude-sonnet-4-5"_s << qint64(200'001)
                                           << qint64(10) << qint64(0) << NanoUsd(1'200'006'000 + 225'000);
    QTest::newRow("a flat price has no tiers") << u"openai"_s << u"gpt-4o"_s << qint64(1'000'000)
                                               << qint64(1'000'000) << qint64(0) << NanoUsd(12'500'000'000);
    QTest::newRow("cached tokens pay the cache-read rate")
        << u"openai"_s << u"gpt-4o"_s << qint64(1000) << qint64(0) << qint64(400)
        << NanoUsd(1'500'000 + 500'000);
    QTest::newRow("without a cache-read rate cached tokens pay the input rate")
        << u"openai"_s << u"gpt-4-turbo"_s << qint64(1000) << qint64(0) << qint64(500) << NanoUsd(10'000'000);
    QTest::newRow("more cached than prompt tokens is capped")
        << u"openai"_s << u"gpt-4o"_s << qint64(100) << qint64(0) << qint64(500) << NanoUsd(125'000);
}

void TestPricing::tieredCosts()
{
    QFETCH(QString, provider);
    QFETCH(QString, model);
    QFETCH(qint64, prompt);
    QFETCH(qint64, completion);
    QFETCH(qint64, cached);
    QFETCH(NanoUsd, expected);

    const auto cost = m_real.cost(provider, model, prompt, completion, cached);
    QVERIFY(cost.has_value());
    QCOMPARE(*cost, expected);
}

void TestPricing::tiersApplyPerKind_data()
{
    QTest::addColumn<qint64>("prompt");
    QTest::addColumn<double>("input");
    QTest::addColumn<double>("output");

    QTest::newRow("below every tier") << qint64(100) << 1e-6 << 1e-5;
    QTest::newRow("past the first input tier only") << qint64(120) << 2e-6 << 1e-5;
    QTest::newRow("past the output tier too") << qint64(160) << 2e-6 << 2e-5;
    QTest::newRow("past the second input tier") << qint64(201) << 3e-6 << 2e-5;
}

void TestPricing::tiersApplyPerKind()
{
    QFETCH(qint64, prompt);
    QFETCH(double, input);
    QFETCH(double, output);

    // Tiers listed out of order on purpose: the loader sorts them.
    const QJsonObject prices {
        { u"input_mtok"_s,
          QJsonObject { { u"base"_s, 1 },
                        { u"tiers"_s,
                          QJsonArray { QJsonObject { { u"start"_s, 200 }, { u"price"_s, 3 } },
                                       QJsonObject { { u"start"_s, 100 }, { u"price"_s, 2 } } } } } },
        { u"output_mtok"_s,
          QJsonObject {
              { u"base"_s, 10 },
              { u"tiers"_s, QJsonArray { QJsonObject { { u"start"_s, 150 }, { u"price"_s, 20 } } } } } },
    };
    const PriceCatalogue catalogue
        = load({ provider(u"t"_s, { model(u"tiered"_s, clause(u"equals"_s, u"tiered"_s), prices) }) });
    const auto price = catalogue.find(u"t"_s, u"tiered"_s);
    QVERIFY(price.has_value());
    QVERIFY(price->isTiered());
    QCOMPARE(price->tiers.size(), 3);

    const ModelPrice flatPrice = price->forPromptSize(prompt);
    QVERIFY(!flatPrice.isTiered());
    QVERIFY(sameDouble(flatPrice.inputPerToken, input));
    QVERIFY(sameDouble(flatPrice.outputPerToken, output));
    QCOMPARE(price->cost(prompt, 1000),
             Tollgate::tokenCost(prompt, input) + Tollgate::tokenCost(1000, output));
}

void TestPricing::priceForDeployment_data()
{
    QTest::addColumn<int>("provider");
    QTest::addColumn<QString>("upstream");
    QTest::addColumn<QString>("baseModel");
    QTest::addColumn<double>("configInput"); // None = not in config.yaml
    QTest::addColumn<double>("configOutput");
    QTest::addColumn<QString>("source"); // empty = price unknown
    QTest::addColumn<double>("input");
    QTest::addColumn<double>("output");

    const int openai = int(Provider::OpenAI);
    const int azure = int(Provider::Azure);
    const int mock = int(Provider::Mock);

    QTest::newRow("an openai model from the catalogue") << openai << u"gpt-4o"_s << QString() << None << None
                                                        << u"catalogue:openai/gpt-4o"_s << 2.5e-6 << 1e-5;
    QTest::newRow("an azure deployment priced by its base_model")
        << azure << u"my-prod-deployment"_s << u"gpt-4o"_s << None << None << u"catalogue:openai/gpt-4o"_s
        << 2.5e-6 << 1e-5;
    QTest::newRow("a base_model with an azure/ prefix")
        << azure << u"prod"_s << u"azure/o3-mini"_s << None << None << u"catalogue:azure/o3-mini"_s << 1.1e-6
        << 4.4e-6;
    QTest::newRow("a base_model with an openai/ prefix")
        << azure << u"prod"_s << u"openai/gpt-4.1"_s << None << None << u"catalogue:openai/gpt-4.1"_s << 2e-6
        << 8e-6;
    QTest::newRow("an azure deployment named like azure's entry")
        << azure << u"o3-mini"_s << QString() << None << None << u"catalogue:azure/o3-mini"_s << 1.1e-6
        << 4.4e-6;
    QTest::newRow("an azure deployment name falling back to openai")
        << azure << u"gpt-4o-mini"_s << QString() << None << None << u"catalogue:openai/gpt-4o-mini"_s
        << 1.5e-7 << 6e-7;
    QTest::newRow("an azure deployment name nobody knows")
        << azure << u"my-prod-deployment"_s << QString() << None << None << QString() << 0.0 << 0.0;
    QTest::newRow("a mock model priced as openai's") << mock << u"gpt-4o-mini"_s << QString() << None << None
                                                     << u"catalogue:openai/gpt-4o-mini"_s << 1.5e-7 << 6e-7;
    QTest::newRow("a mock imitating claude priced as anthropic's")
        << mock << u"claude-3-5-sonnet-20241022"_s << QString() << None << None
        << u"catalogue:anthropic/claude-3-5-sonnet"_s << 3e-6 << 1.5e-5;
    QTest::newRow("an unknown openai model")
        << openai << u"my-finetune-xyz"_s << QString() << None << None << QString() << 0.0 << 0.0;
    QTest::newRow("openai does not borrow anthropic's prices")
        << openai << u"claude-3-5-sonnet"_s << QString() << None << None << QString() << 0.0 << 0.0;
    QTest::newRow("config prices beat the catalogue")
        << openai << u"gpt-4o"_s << QString() << 1e-6 << 2e-6 << u"config"_s << 1e-6 << 2e-6;
    QTest::newRow("config prices beat base_model")
        << azure << u"prod"_s << u"gpt-4o"_s << 1e-6 << 2e-6 << u"config"_s << 1e-6 << 2e-6;
    QTest::newRow("config prices an unknown model")
        << openai << u"my-own"_s << QString() << 1e-6 << 2e-6 << u"config"_s << 1e-6 << 2e-6;
    QTest::newRow("config input only, output from the catalogue")
        << openai << u"gpt-4o"_s << QString() << 1e-6 << None << u"config+catalogue:openai/gpt-4o"_s << 1e-6
        << 1e-5;
    QTest::newRow("config output only for an unknown model")
        << openai << u"my-own"_s << QString() << None << 3e-6 << u"config"_s << 0.0 << 3e-6;
    QTest::newRow("config zero output for an embedding")
        << mock << u"text-embedding-3-small"_s << QString() << 2e-8 << 0.0 << u"config"_s << 2e-8 << 0.0;
}

void TestPricing::priceForDeployment()
{
    QFETCH(int, provider);
    QFETCH(QString, upstream);
    QFETCH(QString, baseModel);
    QFETCH(double, configInput);
    QFETCH(double, configOutput);
    QFETCH(QString, source);
    QFETCH(double, input);
    QFETCH(double, output);

    Deployment deployment;
    deployment.modelName = u"client-facing-name"_s;
    deployment.provider = Provider(provider);
    deployment.upstreamModel = upstream;
    deployment.baseModel = baseModel;
    if (configInput != None)
        deployment.inputCostPerToken = configInput;
    if (configOutput != None)
        deployment.outputCostPerToken = configOutput;

    const auto price = m_real.priceFor(deployment);
    if (source.isEmpty()) {
        QVERIFY2(!price.has_value(), qPrintable(price ? price->source : QString()));
        return;
    }
    QVERIFY(price.has_value());
    QCOMPARE(price->source, source);
    QVERIFY(sameDouble(price->inputPerToken, input));
    QVERIFY(sameDouble(price->outputPerToken, output));
}

void TestPricing::configCacheReadPrice()
{
    Deployment deployment;
    deployment.provider = Provider::OpenAI;
    deployment.upstreamModel = u"my-own"_s;
    deployment.inputCostPerToken = 1e-6;
    deployment.outputCostPerToken = 2e-6;
    // Without a cache-read price, cached prompt tokens cost the input price.
    auto price = m_real.priceFor(deployment);
    QVERIFY(price && !price->cacheReadPerToken);
    QCOMPARE(price->cost(1000, 10, 800), NanoUsd(1000 * 1000 + 10 * 2000));
    // cache_read_input_token_cost prices them.
    deployment.cacheReadCostPerToken = 1e-7;
    price = m_real.priceFor(deployment);
    QVERIFY(price && price->cacheReadPerToken);
    QCOMPARE(price->cost(1000, 10, 800), NanoUsd(200 * 1000 + 800 * 100 + 10 * 2000));
    // Over a catalogue price too (gpt-4o-mini: 0.15 / 0.075 cached / 0.60 per 1M).
    Deployment catalogued;
    catalogued.provider = Provider::OpenAI;
    catalogued.upstreamModel = u"gpt-4o-mini"_s;
    QCOMPARE(m_real.priceFor(catalogued)->cost(1000, 10, 800), NanoUsd(200 * 150 + 800 * 75 + 10 * 600));
    catalogued.cacheReadCostPerToken = 1e-8;
    QCOMPARE(m_real.priceFor(catalogued)->cost(1000, 10, 800), NanoUsd(200 * 150 + 800 * 10 + 10 * 600));
}

// LiteLLM's input_cost_per_token_above_200k_tokens and kin: a config price for long prompts. They
// were read as nothing, so a config-priced long-context model billed a 300k prompt at the base rate.
void TestPricing::configLongPromptRates()
{
    Deployment deployment;
    deployment.provider = Provider::OpenAI;
    deployment.upstreamModel = u"my-own"_s;
    deployment.inputCostPerToken = 1e-6;
    deployment.outputCostPerToken = 2e-6;
    deployment.longPromptRates = {{128'000, 1.5e-6, std::nullopt, std::nullopt, std::nullopt},
                                  {200'000, 3e-6, 4e-6, 5e-7, std::nullopt}};
    auto price = m_real.priceFor(deployment);
    QVERIFY(price && price->isTiered());
    QCOMPARE(price->cost(100'000, 10), NanoUsd(100'000 * 1000 + 10 * 2000));
    QCOMPARE(price->cost(128'001, 10), NanoUsd(128'001 * 1500 + 10 * 2000));
    QCOMPARE(price->cost(200'000, 10), NanoUsd(200'000 * 1500 + 10 * 2000));
    QCOMPARE(price->cost(200'001, 10, 1), NanoUsd(200'000 * 3000 + 500 + 10 * 4000));
    // A strict budget's bound of such a call is priced alike (the tier for the bound's prompt).
    QCOMPARE(price->forPromptSize(300'000).inputPerToken, 3e-6);

    // Over a catalogue price with its own tiers (claude-sonnet-4-5: 3 / 15 $/Mtok, above 200k 6 /
    // 22.5): the config's rate replaces the catalogue's tiers of its kind only.
    Deployment claude;
    claude.provider = Provider::Anthropic;
    claude.upstreamModel = u"claude-sonnet-4-5"_s;
    QCOMPARE(m_real.priceFor(claude)->cost(250'000, 1000), NanoUsd(250'000 * 6000 + 1000 * 22'500));
    claude.longPromptRates = {{200'000, 7e-6, std::nullopt, std::nullopt, std::nullopt}};
    price = m_real.priceFor(claude);
    QCOMPARE(price->cost(250'000, 1000), NanoUsd(250'000 * 7000 + 1000 * 22'500));
    QCOMPARE(price->cost(150'000, 1000), NanoUsd(150'000 * 3000 + 1000 * 15'000));
}

void TestPricing::serviceTiers()
{
    // anthropic/claude-sonnet-4-5's catalogue price: tiered above 200k prompt tokens.
    Deployment tiered;
    tiered.provider = Provider::Anthropic;
    tiered.upstreamModel = u"claude-sonnet-4-5"_s;
    const auto catalogue = m_real.priceFor(tiered);
    QVERIFY(catalogue && catalogue->isTiered());
    // Without tier prices: priority is twice every rate (tiers, cache reads and writes too), flex
    // the standard rate; standard is the price itself.
    const ModelPrice priority = catalogue->forServiceTier(ServiceTier::Priority);
    for (const qint64 prompt : {qint64(1000), qint64(300'000)}) {
        QCOMPARE(priority.cost(prompt, 50, 100, 200, 100), 2 * catalogue->cost(prompt, 50, 100, 200, 100));
        QCOMPARE(catalogue->forServiceTier(ServiceTier::Flex).cost(prompt, 50, 100), catalogue->cost(prompt, 50, 100));
        QCOMPARE(catalogue->forServiceTier(ServiceTier::Standard).cost(prompt, 50), catalogue->cost(prompt, 50));
    }

    // LiteLLM's per-tier fields replace the rates they name (flat, over the prompt-size tiers).
    Deployment own;
    own.provider = Provider::OpenAI;
    own.upstreamModel = u"my-gpt"_s;
    own.inputCostPerToken = 1e-6;
    own.outputCostPerToken = 2e-6;
    own.cacheReadCostPerToken = 1e-7;
    own.inputCostPerTokenPriority = 1.5e-6;
    own.outputCostPerTokenPriority = 3.5e-6;
    own.cacheReadCostPerTokenFlex = 4e-8;
    own.inputCostPerTokenFlex = 5e-7;
    const auto price = m_real.priceFor(own);
    QVERIFY(price);
    // 1000 prompt tokens (100 cached), 10 out.
    QCOMPARE(price->cost(1000, 10, 100), NanoUsd(900 * 1000 + 100 * 100 + 10 * 2000));
    // Priority: configured input and output; the cache read (not configured) at 2 ×.
    QCOMPARE(price->forServiceTier(ServiceTier::Priority).cost(1000, 10, 100),
             NanoUsd(900 * 1500 + 100 * 200 + 10 * 3500));
    // Flex: configured input and cache read; the output (not configured) at the standard rate.
    QCOMPARE(price->forServiceTier(ServiceTier::Flex).cost(1000, 10, 100), NanoUsd(900 * 500 + 100 * 40 + 10 * 2000));
}

void TestPricing::serviceTierNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<ServiceTier>("tier");
    QTest::newRow("priority") << u"priority"_s << ServiceTier::Priority;
    QTest::newRow("flex") << u"flex"_s << ServiceTier::Flex;
    QTest::newRow("default") << u"default"_s << ServiceTier::Standard;
    QTest::newRow("auto") << u"auto"_s << ServiceTier::Standard;
    QTest::newRow("standard") << u"standard"_s << ServiceTier::Standard;
    QTest::newRow("scale") << u"scale"_s << ServiceTier::Standard;
    // Unknown: the dearest, never billed low.
    QTest::newRow("unknown") << u"turbo"_s << ServiceTier::Priority;
    QTest::newRow("empty") << QString() << ServiceTier::Priority;
    QTest::newRow("case matters") << u"Default"_s << ServiceTier::Priority;
}

void TestPricing::serviceTierNames()
{
    QFETCH(QString, name);
    QFETCH(ServiceTier, tier);
    QCOMPARE(Tollgate::serviceTierOf(name), tier);
}

void TestPricing::toolFees()
{
    Deployment own;
    own.provider = Provider::OpenAI;
    own.upstreamModel = u"my-gpt"_s;
    own.inputCostPerToken = 1e-6;
    own.outputCostPerToken = 2e-6;
    auto price = m_real.priceFor(own);
    QVERIFY(price);
    // Defaults: $10 per 1,000 web searches, $2.50 per 1,000 file searches.
    QCOMPARE(price->toolCost({3, 0}), NanoUsd(30'000'000));
    QCOMPARE(price->toolCost({0, 4}), NanoUsd(10'000'000));
    QCOMPARE(price->cost(100, 10, 0, 0, 0, {2, 2}), NanoUsd(100 * 1000 + 10 * 2000 + 20'000'000 + 5'000'000));
    QCOMPARE(price->cost(100, 10, 0, 0, 0, {-5, -1}), NanoUsd(100 * 1000 + 10 * 2000));  // never a credit
    // Config: search_context_cost_per_query (USD a search), file_search_cost_per_1k_calls.
    own.webSearchCostPerQuery = 0.025;
    own.fileSearchCostPer1kCalls = 5.0;
    price = m_real.priceFor(own);
    QCOMPARE(price->toolCost({2, 3}), NanoUsd(50'000'000 + 15'000'000));
    // Code interpreter containers ($0.03) and images ($0.25) by default; config sets them.
    QCOMPARE(price->toolCost({0, 0, 2, 0}), NanoUsd(60'000'000));
    QCOMPARE(price->toolCost({0, 0, 0, 3}), NanoUsd(750'000'000));
    QCOMPARE(price->toolCost({0, 0, -2, -3}), NanoUsd(0));
    own.codeInterpreterCostPerSession = 0.12;
    own.imageGenerationCostPerCall = 0.04;
    price = m_real.priceFor(own);
    QCOMPARE(price->toolCost({1, 1, 1, 2}), NanoUsd(25'000'000 + 5'000'000 + 120'000'000 + 80'000'000));
    // The same for a catalogue price, and the fees are the same at every service tier.
    Deployment catalogue;
    catalogue.provider = Provider::Anthropic;
    catalogue.upstreamModel = u"claude-sonnet-4-0"_s;
    catalogue.webSearchCostPerQuery = 0.02;
    price = m_real.priceFor(catalogue);
    QVERIFY(price && price->source.startsWith(u"catalogue:"_s));
    QCOMPARE(price->toolCost({1, 0}), NanoUsd(20'000'000));
    QCOMPARE(price->forServiceTier(ServiceTier::Priority).toolCost({1, 0}), NanoUsd(20'000'000));
}

// gpt-audio bills audio at $32 in and $64 out a million against $2.50 and $10 for text: audio
// tokens were billed at the text rates (a spoken answer 6.4× under its bill).
// output_cost_per_reasoning_token prices the output a model thinks in apart (Gemini 2.5 Flash's
// preview: $3.50 a million against $0.60); without it, reasoning is output.
void TestPricing::reasoningTokensPayTheReasoningRate()
{
    Deployment thinker;
    thinker.provider = Provider::OpenAI;
    thinker.upstreamModel = u"my-thinker"_s;
    thinker.inputCostPerToken = 0.00000015;
    thinker.outputCostPerToken = 0.0000006;
    auto price = m_real.priceFor(thinker);
    QVERIFY(price.has_value());
    QVERIFY(!price->reasoningIsDearer());
    QCOMPARE(price->cost(100, 500, 0, 0, 0, {}, 0, 0, 400), price->cost(100, 500));
    thinker.outputCostPerReasoningToken = 0.0000035;
    price = m_real.priceFor(thinker);
    QVERIFY(price->reasoningIsDearer());
    QCOMPARE(price->outputReasoningRate(), 0.0000035);
    // 500 output tokens of which 400 reasoning.
    QCOMPARE(price->cost(100, 500, 0, 0, 0, {}, 0, 0, 400), NanoUsd(100 * 150 + 100 * 600 + 400 * 3500));
    // Reasoning is never more than the output that is not audio; a negative count is none.
    QCOMPARE(price->cost(100, 500, 0, 0, 0, {}, 0, 200, 900), NanoUsd(100 * 150 + 200 * 600 + 300 * 3500));
    QCOMPARE(price->cost(100, 500, 0, 0, 0, {}, 0, 0, -5), price->cost(100, 500));
    // Priority scales it like the other rates.
    QCOMPARE(price->forServiceTier(ServiceTier::Priority).outputReasoningRate(), 0.0000035 * Tollgate::DefaultPriorityFactor);
}

void TestPricing::audioTokensPayTheAudioRates()
{
    Deployment audio;
    audio.provider = Provider::OpenAI;
    audio.upstreamModel = u"gpt-audio"_s;
    auto price = m_real.priceFor(audio);
    QVERIFY(price && price->source.startsWith(u"catalogue:openai/"_s));
    QCOMPARE(price->inputAudioRate(), 0.000032);
    QCOMPARE(price->outputAudioRate(), 0.000064);
    // 1000 prompt tokens of which 400 audio, 500 output of which 300 audio.
    QCOMPARE(price->cost(1000, 500, 0, 0, 0, {}, 400, 300),
             NanoUsd(600 * 2500 + 400 * 32000 + 200 * 10000 + 300 * 64000));
    // Cached tokens are never audio twice; audio never exceeds what it is part of.
    QCOMPARE(price->cost(1000, 500, 800, 0, 0, {}, 400, 900),
             NanoUsd(800 * 2500 + 200 * 32000 + 500 * 64000));  // no cache price: cached at the input rate
    QCOMPARE(price->cost(1000, 500, 0, 0, 0, {}, -5, -5), price->cost(1000, 500));
    // Priority and scaled prices scale the audio rates too.
    QCOMPARE(price->scaledBy(2.0).outputAudioRate(), 0.000128);

    // A text price from config keeps the catalogue's audio rates; config's audio rates win.
    audio.inputCostPerToken = 0.000002;
    audio.outputCostPerToken = 0.000008;
    price = m_real.priceFor(audio);
    QCOMPARE(price->outputAudioRate(), 0.000064);
    audio.inputCostPerAudioToken = 0.00004;
    audio.outputCostPerAudioToken = 0.00008;
    price = m_real.priceFor(audio);
    QCOMPARE(price->cost(100, 100, 0, 0, 0, {}, 100, 100), NanoUsd(100 * 40000 + 100 * 80000));
    // No audio rate anywhere: the text rates.
    Deployment text;
    text.provider = Provider::OpenAI;
    text.upstreamModel = u"my-model"_s;
    text.inputCostPerToken = 0.000001;
    text.outputCostPerToken = 0.000002;
    price = m_real.priceFor(text);
    QCOMPARE(price->cost(100, 100, 0, 0, 0, {}, 50, 50), price->cost(100, 100));
}

void TestPricing::cacheWritePrices()
{
    // anthropic/claude-sonnet-4-0: $3 input, $3.75 cache write, $0.30 cache read, $15 output per 1M.
    Deployment claude;
    claude.provider = Provider::Anthropic;
    claude.upstreamModel = u"claude-sonnet-4-0"_s;
    auto price = m_real.priceFor(claude);
    QVERIFY(price.has_value());
    QVERIFY(price->source.startsWith(u"catalogue:anthropic/"_s));
    QVERIFY(price->cacheWritePerToken.has_value());
    // 1000 prompt tokens: 100 read, 300 written (of them 100 for an hour), 600 plain; 10 out.
    // The catalogue has no 1-hour price: Anthropic's rule, 2 × input.
    QCOMPARE(price->cost(1000, 10, 100, 300, 100),
             NanoUsd(600 * 3000 + 100 * 300 + 200 * 3750 + 100 * 6000 + 10 * 15000));
    // Without cache fields nothing changes.
    QCOMPARE(price->cost(1000, 10), NanoUsd(1000 * 3000 + 10 * 15000));
    // Writes never exceed the prompt left after the reads (a hostile usage cannot bill twice).
    QCOMPARE(price->cost(1000, 0, 900, 5000, 5000), NanoUsd(900 * 300 + 100 * 6000));

    // A config input price and no write prices: 1.25 × and 2 × that input price.
    Deployment own;
    own.provider = Provider::Anthropic;
    own.upstreamModel = u"my-claude"_s;
    own.inputCostPerToken = 1e-6;
    own.outputCostPerToken = 2e-6;
    price = m_real.priceFor(own);
    QVERIFY(price && !price->cacheWritePerToken && !price->cacheWrite1hPerToken);
    QCOMPARE(price->cost(1000, 0, 0, 400, 100), NanoUsd(600 * 1000 + 300 * 1250 + 100 * 2000));
    // cache_creation_input_token_cost(_above_1hr) from config win.
    own.cacheWriteCostPerToken = 1.5e-6;
    own.cacheWrite1hCostPerToken = 3e-6;
    price = m_real.priceFor(own);
    QCOMPARE(price->cost(1000, 0, 0, 400, 100), NanoUsd(600 * 1000 + 300 * 1500 + 100 * 3000));
    // ... also over a catalogue price (flat: the catalogue's tiers for writes are dropped).
    claude.cacheWriteCostPerToken = 5e-6;
    price = m_real.priceFor(claude);
    QCOMPARE(price->cost(1000, 0, 0, 400, 0), NanoUsd(600 * 3000 + 400 * 5000));
}

void TestPricing::defaultClaudeModelsArePricedLikeTheCatalogue()
{
    Tollgate::MemorySecretStore secrets;
    const auto config = Tollgate::ConfigLoader::loadDefault(secrets);
    QVERIFY(config.ok());
    int claude = 0;
    for (const Deployment &deployment : config->models) {
        if (!deployment.modelName.startsWith(u"claude-"))
            continue;
        ++claude;
        const auto real = m_real.find(u"anthropic"_s, deployment.upstreamModel);
        QVERIFY2(real.has_value(), qPrintable(deployment.upstreamModel));
        const auto price = m_real.priceFor(deployment);
        QVERIFY(price.has_value());
        QCOMPARE(price->source, u"config"_s);
        QVERIFY(sameDouble(price->inputPerToken, real->inputPerToken));
        QVERIFY(sameDouble(price->outputPerToken, real->outputPerToken));
        QVERIFY(price->cacheReadPerToken && real->cacheReadPerToken);
        QVERIFY(sameDouble(*price->cacheReadPerToken, *real->cacheReadPerToken));
    }
    QCOMPARE(claude, 3);
}

void TestPricing::perTokenConversionIsExact_data()
{
    QTest::addColumn<double>("perMillion");
    QTest::addColumn<double>("perToken");
    QTest::addColumn<NanoUsd>("thousandTokens");

    QTest::newRow("0.15 $/Mtok") << 0.15 << 1.5e-7 << NanoUsd(150'000);
    QTest::newRow("0.4 $/Mtok, where dividing misses by an ulp") << 0.4 << 4e-7 << NanoUsd(400'000);
    QTest::newRow("0.1 $/Mtok, where dividing misses by an ulp") << 0.1 << 1e-7 << NanoUsd(100'000);
    QTest::newRow("2.5 $/Mtok") << 2.5 << 2.5e-6 << NanoUsd(2'500'000);
    QTest::newRow("0.01875 $/Mtok") << 0.01875 << 1.875e-8 << NanoUsd(18'750);
    QTest::newRow("180 $/Mtok") << 180.0 << 1.8e-4 << NanoUsd(180'000'000);
    QTest::newRow("zero") << 0.0 << 0.0 << NanoUsd(0);
}

void TestPricing::perTokenConversionIsExact()
{
    QFETCH(double, perMillion);
    QFETCH(double, perToken);
    QFETCH(NanoUsd, thousandTokens);

    const PriceCatalogue catalogue = load(
        { provider(u"t"_s, { model(u"m"_s, clause(u"equals"_s, u"m"_s), flat(perMillion, perMillion)) }) });
    const auto price = catalogue.find(u"t"_s, u"m"_s);
    QVERIFY(price.has_value());
    QVERIFY(sameDouble(price->inputPerToken, perToken));
    QCOMPARE(Tollgate::tokenCost(1000, price->inputPerToken), thousandTokens);
    QCOMPARE(price->cost(1000, 0), thousandTokens);
}

void TestPricing::moneyDoesNotDrift()
{
    // A catalogue price of 0.1 $/Mtok is $1e-7 per token.
    const PriceCatalogue catalogue
        = load({ provider(u"t"_s, { model(u"m"_s, clause(u"equals"_s, u"m"_s), flat(0.1, 0)) }) });
    const auto price = catalogue.find(u"t"_s, u"m"_s);
    QVERIFY(price.has_value());

    NanoUsd viaTokenCost = 0;
    NanoUsd viaCatalogue = 0;
    double inDoubles = 0.0;
    for (int call = 0; call < 1'000'000; ++call) {
        viaTokenCost += Tollgate::tokenCost(1, 1e-7);
        viaCatalogue += price->cost(1, 0);
        inDoubles += 1e-7;
    }
    QCOMPARE(viaTokenCost, NanoUsd(100'000'000));
    QCOMPARE(viaCatalogue, NanoUsd(100'000'000));
    QCOMPARE(Tollgate::nanosToUsd(viaCatalogue), 0.1);
    qInfo("the same sum in doubles: %.17g", inDoubles);
}

void TestPricing::rejectsBrokenCatalogues_data()
{
    QTest::addColumn<QByteArray>("catalogue");
    QTest::addColumn<QString>("message");

    const auto one = [](const QJsonObject &model) { return json({ provider(u"p"_s, { model }) }); };
    const QJsonObject ok = clause(u"equals"_s, u"m"_s);

    QTest::newRow("not JSON") << QByteArray("[{") << u"not valid JSON"_s;
    QTest::newRow("not a list") << QByteArray("{}") << u"expected a list of providers"_s;
    QTest::newRow("a provider without an id")
        << json({ QJsonObject { { u"models"_s, QJsonArray() } } }) << u"a provider without an id"_s;
    QTest::newRow("a provider without models")
        << json({ QJsonObject { { u"id"_s, u"p"_s } } }) << u"provider p: no list of models"_s;
    QTest::newRow("a provider twice")
        << json({ provider(u"p"_s, {}), provider(u"P"_s, {}) }) << u"provider p appears twice"_s;
    QTest::newRow("an unknown match clause")
        << one(model(u"m"_s, clause(u"like"_s, u"m"_s))) << u"model m: unknown match clause \"like\""_s;
    QTest::newRow("two clauses in one rule")
        << one(model(u"m"_s, QJsonObject { { u"equals"_s, u"m"_s }, { u"contains"_s, u"m"_s } }))
        << u"exactly one clause"_s;
    QTest::newRow("an invalid regex")
        << one(model(u"m"_s, clause(u"regex"_s, u"(unclosed"_s))) << u"invalid regex"_s;
    QTest::newRow("or without a list") << one(model(u"m"_s, clause(u"or"_s, u"m"_s))) << u"needs a list"_s;
    QTest::newRow("a model without a match rule")
        << one(QJsonObject { { u"id"_s, u"m"_s }, { u"prices"_s, flat(1, 1) } })
        << u"model m: no match rule"_s;
    QTest::newRow("a model without prices")
        << one(QJsonObject { { u"id"_s, u"m"_s }, { u"match"_s, ok } }) << u"prices must be an object"_s;
    QTest::newRow("a price that is text")
        << one(model(u"m"_s, ok, QJsonObject { { u"input_mtok"_s, u"cheap"_s } }))
        << u"\"input_mtok\" must be"_s;
    QTest::newRow("a tier without a price") << one(model(
        u"m"_s, ok,
        QJsonObject { { u"input_mtok"_s,
                        QJsonObject { { u"base"_s, 1 },
                                      { u"tiers"_s, QJsonArray { QJsonObject { { u"start"_s, 5 } } } } } } }))
                                            << u"needs start and price"_s;
    QTest::newRow("a bad start_date") << one(model(
        u"m"_s, ok,
        QJsonArray { QJsonObject { { u"constraint"_s, QJsonObject { { u"start_date"_s, u"2025-13-01"_s } } },
                                   { u"prices"_s, flat(1, 1) } } }))
                                      << u"start_date must be"_s;
    QTest::newRow("a bad time window")
        << one(model(u"m"_s, ok,
                     QJsonArray { QJsonObject { { u"constraint"_s,
                                                  QJsonObject { { u"start_time"_s, u"25:00:00Z"_s },
                                                                { u"end_time"_s, u"06:00:00Z"_s } } },
                                                { u"prices"_s, flat(1, 1) } } }))
        << u"start_time and end_time"_s;
    QTest::newRow("an unknown constraint") << one(
        model(u"m"_s, ok,
              QJsonArray { QJsonObject { { u"constraint"_s, QJsonObject { { u"weekday"_s, u"monday"_s } } },
                                         { u"prices"_s, flat(1, 1) } } }))
                                           << u"unknown price constraint"_s;
    QTest::newRow("an empty list of prices")
        << one(model(u"m"_s, ok, QJsonArray())) << u"empty list of prices"_s;
}

void TestPricing::rejectsBrokenCatalogues()
{
    QFETCH(QByteArray, catalogue);
    QFETCH(QString, message);

    const auto loaded = PriceCatalogue::loadJson(catalogue, u"broken.json"_s);
    QVERIFY(!loaded.ok());
    const QString error = loaded.error().toString();
    QVERIFY2(error.startsWith(u"broken.json"_s), qPrintable(error));
    QVERIFY2(error.contains(message), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestPricing)
#include "tst_pricing.moc"
