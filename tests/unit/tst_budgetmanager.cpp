// Unit tests of Tollgate::BudgetManager (LiteLLM's BudgetManager in C++, design.md
// "BudgetManager") in local mode, and of BudgetGuard: a ManualClock, a temporary directory
// per test and a small synthetic price catalogue, so every cost is known exactly.
#include "models/budgetmanager.h"
#include "models/tokencount.h"
#include "models/clock.h"
#include "models/pricing.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using Tollgate::BudgetGuard;
using Tollgate::BudgetManager;
using Tollgate::ManualClock;
using Tollgate::PriceCatalogue;

namespace {

// $1 per million prompt tokens, $2 per million completion tokens: one prompt token costs 1e-6.
PriceCatalogue testPrices()
{
    const auto model = [](const QString &id, double input, double output) {
        return QJsonObject{{u"id"_s, id},
                           {u"match"_s, QJsonObject{{u"equals"_s, id}}},
                           {u"prices"_s, QJsonObject{{u"input_mtok"_s, input}, {u"output_mtok"_s, output}}}};
    };
    const QJsonObject openai{{u"id"_s, u"openai"_s},
                             {u"name"_s, u"OpenAI"_s},
                             {u"api_pattern"_s, u"openai"_s},
                             {u"model_match"_s, QJsonObject{{u"starts_with"_s, u"gpt-"_s}}},
                             {u"models"_s, QJsonArray{model(u"gpt-test"_s, 1, 2), model(u"gpt-other"_s, 10, 20)}}};
    auto catalogue = PriceCatalogue::loadJson(QJsonDocument(QJsonArray{openai}).toJson(), u"test"_s);
    if (!catalogue)
        qFatal("test catalogue rejected: %s", qPrintable(catalogue.error().toString()));
    return *catalogue;
}

QDateTime utc(int y, int m, int d, int h = 0)
{
    return QDateTime(QDate(y, m, d), QTime(h, 0), Qt::UTC);
}

double epoch(const QDateTime &time)
{
    return double(time.toMSecsSinceEpoch()) / 1000.0;
}

QJsonObject completion(const QString &model, int prompt, int output)
{
    return QJsonObject{{u"model"_s, model},
                       {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, prompt},
                                                {u"completion_tokens"_s, output},
                                                {u"total_tokens"_s, prompt + output}}}};
}

} // namespace

class TestBudgetManager : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void createBudget_data();
    void createBudget();
    void createBudgetRejectsUnknownDuration();
    void createBudgetReplacesRecord();
    void accessorsOfNewUser();
    void unknownUserIsAnError();
    void updateCostFromCompletion();
    void updateCostFromTexts();
    void updateCostAccumulatesPerModel();
    void updateCostErrors();
    void projectedCost();
    void resetCost();
    void resetOnDuration_data();
    void resetOnDuration();
    void resetOnDurationWithoutDuration();
    void updateBudgetAllUsers();
    void localRoundTrip();
    void saveIsAtomicAndIndented();
    void autoSave();
    void loadsLiteLLMFile();
    void missingFileIsEmptyProject();
    void corruptFileIsLoadError();
    void hostedWithoutApiBaseIsLoadError();
    void countTokensEstimate();
    void guard();

private:
    std::unique_ptr<BudgetManager> make(BudgetManager::Options options = {});

    std::unique_ptr<QTemporaryDir> m_dir;
    ManualClock m_clock{utc(2024, 1, 15, 12)};
};

void TestBudgetManager::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_clock.set(utc(2024, 1, 15, 12));
}

std::unique_ptr<BudgetManager> TestBudgetManager::make(BudgetManager::Options options)
{
    options.directory = m_dir->path();
    options.clock = &m_clock;
    if (!options.prices)
        options.prices = testPrices();
    return std::make_unique<BudgetManager>(u"test-project"_s, BudgetManager::ClientType::Local, QString(),
                                           BudgetManager::Headers{}, std::move(options));
}

void TestBudgetManager::createBudget_data()
{
    QTest::addColumn<QString>("duration");
    QTest::addColumn<bool>("litellmMonthly");
    QTest::addColumn<QDateTime>("createdAt");
    QTest::addColumn<double>("days");        // -1: no duration fields
    QTest::addColumn<bool>("calendarMonth");

    const QDateTime jan = utc(2024, 1, 15, 12);
    QTest::newRow("no duration") << QString() << false << jan << -1.0 << false;
    QTest::newRow("daily is one day") << u"daily"_s << false << jan << 1.0 << false;
    QTest::newRow("weekly is seven days") << u"weekly"_s << false << jan << 7.0 << false;
    QTest::newRow("yearly is 365 days") << u"yearly"_s << false << jan << 365.0 << false;
    QTest::newRow("monthly in January is a 31-day calendar month") << u"monthly"_s << false << jan << 31.0 << true;
    QTest::newRow("monthly in leap February is 29 days") << u"monthly"_s << false << utc(2024, 2, 3) << 29.0 << true;
    QTest::newRow("monthly with the LiteLLM switch is 28 days") << u"monthly"_s << true << jan << 28.0 << false;
}

void TestBudgetManager::createBudget()
{
    QFETCH(QString, duration);
    QFETCH(bool, litellmMonthly);
    QFETCH(QDateTime, createdAt);
    QFETCH(double, days);
    QFETCH(bool, calendarMonth);

    BudgetManager::Options options;
    options.litellmMonthly = litellmMonthly;
    auto manager = make(std::move(options));
    QVERIFY(manager->loadResult().ok());
    const auto record = manager->createBudget(10.0, u"alice"_s, duration, createdAt);
    QVERIFY2(record.ok(), qPrintable(record.ok() ? QString() : record.error().message));
    QCOMPARE(record->value(u"total_budget"_s).toDouble(), 10.0);
    if (days < 0) {
        QCOMPARE(record->keys(), QStringList{u"total_budget"_s});
    } else {
        QCOMPARE(record->value(u"duration"_s).toDouble(), days);
        QCOMPARE(record->value(u"created_at"_s).toDouble(), epoch(createdAt));
        QCOMPARE(record->value(u"last_updated_at"_s).toDouble(), epoch(createdAt));
        QCOMPARE(record->contains(u"duration_unit"_s), calendarMonth);
    }
    QCOMPARE(manager->userRecord(u"alice"_s).value(), *record);
}

void TestBudgetManager::createBudgetRejectsUnknownDuration()
{
    auto manager = make();
    const auto record = manager->createBudget(10.0, u"alice"_s, u"hourly"_s);
    QVERIFY(!record.ok());
    QVERIFY(record.error().message.contains(u"daily"));
    QVERIFY(!manager->isValidUser(u"alice"_s));
    QVERIFY(!BudgetManager::parseDuration(u"Daily"_s).ok());
    QVERIFY(!manager->createBudget(-1.0, u"alice"_s).ok());
    // Without createdAt the clock's now is used.
    const auto daily = manager->createBudget(1.0, u"bob"_s, BudgetManager::Duration::Daily);
    QVERIFY(daily.ok());
    QCOMPARE(daily->value(u"created_at"_s).toDouble(), epoch(m_clock.now()));
}

void TestBudgetManager::createBudgetReplacesRecord()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s, BudgetManager::Duration::Daily).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 100, 0)).ok());
    QVERIFY(manager->createBudget(5.0, u"alice"_s).ok());
    QCOMPARE(manager->totalBudget(u"alice"_s).value(), 5.0);
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.0);
    QCOMPARE(manager->userRecord(u"alice"_s)->keys(), QStringList{u"total_budget"_s});
}

void TestBudgetManager::accessorsOfNewUser()
{
    auto manager = make();
    QVERIFY(manager->users().isEmpty());
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    QVERIFY(manager->createBudget(20.0, u"bob"_s).ok());
    QCOMPARE(manager->totalBudget(u"alice"_s).value(), 10.0);
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.0);
    QVERIFY(manager->modelCost(u"alice"_s)->isEmpty());
    QVERIFY(manager->isValidUser(u"bob"_s));
    QVERIFY(!manager->isValidUser(u"carol"_s));
    QCOMPARE(manager->users(), (QStringList{u"alice"_s, u"bob"_s}));
}

void TestBudgetManager::unknownUserIsAnError()
{
    auto manager = make();
    QVERIFY(!manager->totalBudget(u"nobody"_s).ok());
    QVERIFY(!manager->currentCost(u"nobody"_s).ok());
    QVERIFY(!manager->modelCost(u"nobody"_s).ok());
    QVERIFY(!manager->resetCost(u"nobody"_s).ok());
    QVERIFY(!manager->resetOnDuration(u"nobody"_s).ok());
    QVERIFY(!manager->projectedCost(u"gpt-test"_s, {}, u"nobody"_s).ok());
    const auto update = manager->updateCost(u"nobody"_s, completion(u"gpt-test"_s, 1, 1));
    QVERIFY(!update.ok());
    QVERIFY(update.error().message.contains(u"nobody"));
    QVERIFY(!manager->updateCost(u"nobody"_s, u"gpt-test"_s, u"in"_s, u"out"_s).ok());
}

void TestBudgetManager::updateCostFromCompletion()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    const auto record = manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 500));
    QVERIFY(record.ok());
    // 1000 × $1/M + 500 × $2/M = $0.002
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.002);
    QCOMPARE(manager->modelCost(u"alice"_s)->value(u"gpt-test"_s), 0.002);
    QCOMPARE(record->value(u"current_cost"_s).toDouble(), 0.002);
}

void TestBudgetManager::updateCostFromTexts()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    // Tokens as tiktoken counts them for the model ($1/M in, $2/M out).
    const qint64 in = Tollgate::countTextTokens(u"abcdefgh"_s, u"gpt-test"_s);
    const qint64 out = Tollgate::countTextTokens(u"abcd"_s, u"gpt-test"_s);
    QVERIFY(in > 0 && out > 0);
    QVERIFY(manager->updateCost(u"alice"_s, u"gpt-test"_s, u"abcdefgh"_s, u"abcd"_s).ok());
    QCOMPARE(manager->currentCost(u"alice"_s).value(), Tollgate::nanosToUsd(in * 1000 + out * 2000));
    // A provider prefix is understood too.
    QVERIFY(manager->updateCost(u"alice"_s, u"openai/gpt-test"_s, u"abcd"_s, QString()).ok());
    QCOMPARE(manager->currentCost(u"alice"_s).value(),
             Tollgate::nanosToUsd(in * 1000 + out * 2000 + Tollgate::countTextTokens(u"abcd"_s, u"gpt-test"_s) * 1000));
}

void TestBudgetManager::updateCostAccumulatesPerModel()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-other"_s, 1000, 0)).ok());
    const auto costs = manager->modelCost(u"alice"_s).value();
    QCOMPARE(costs.size(), 2);
    QCOMPARE(costs.value(u"gpt-test"_s), 0.002);
    QCOMPARE(costs.value(u"gpt-other"_s), 0.01);
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.012);
}

void TestBudgetManager::updateCostErrors()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    for (const auto &result : {manager->updateCost(u"alice"_s, QJsonObject{}),
                               manager->updateCost(u"alice"_s, u"gpt-test"_s, QString(), QString())}) {
        QVERIFY(!result.ok());
        QVERIFY2(result.error().message.contains(u"one of completion or input/output text is needed",
                                                 Qt::CaseInsensitive),
                 qPrintable(result.error().message));
    }
    const auto unpriced = manager->updateCost(u"alice"_s, completion(u"no-such-model"_s, 1, 1));
    QVERIFY(!unpriced.ok());
    QVERIFY(unpriced.error().message.contains(u"no-such-model"));
    QVERIFY(!manager->updateCost(u"alice"_s, QJsonObject{{u"model"_s, u"gpt-test"_s}}).ok());
    // Nothing was added by the failed calls.
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.0);
}

void TestBudgetManager::projectedCost()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    const QJsonArray messages{
        QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, u"abcd"_s}},
        QJsonObject{{u"role"_s, u"user"_s},
                    {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"efgh"_s}}}}}};
    // Before any update: just the prompt (the messages' text, counted as tiktoken does).
    const double prompt = Tollgate::nanosToUsd(Tollgate::countTextTokens(u"abcdefgh"_s, u"gpt-test"_s) * 1000);
    QCOMPARE(manager->projectedCost(u"gpt-test"_s, messages, u"alice"_s).value(), prompt);
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    QCOMPARE(manager->projectedCost(u"gpt-test"_s, messages, u"alice"_s).value(), 0.001 + prompt);
    QVERIFY(!manager->projectedCost(u"no-such-model"_s, messages, u"alice"_s).ok());
}

void TestBudgetManager::resetCost()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    const auto record = manager->resetCost(u"alice"_s);
    QVERIFY(record.ok());
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.0);
    QVERIFY(manager->modelCost(u"alice"_s)->isEmpty());
    QCOMPARE(manager->totalBudget(u"alice"_s).value(), 10.0);
}

void TestBudgetManager::resetOnDuration_data()
{
    QTest::addColumn<QString>("duration");
    QTest::addColumn<bool>("litellmMonthly");
    QTest::addColumn<QDateTime>("notYet");
    QTest::addColumn<QDateTime>("due");

    // Created 2024-01-15 12:00 UTC.
    QTest::newRow("daily") << u"daily"_s << false << utc(2024, 1, 16, 11) << utc(2024, 1, 16, 12);
    QTest::newRow("weekly") << u"weekly"_s << false << utc(2024, 1, 22, 11) << utc(2024, 1, 22, 12);
    QTest::newRow("monthly calendar") << u"monthly"_s << false << utc(2024, 2, 15, 11) << utc(2024, 2, 15, 12);
    QTest::newRow("monthly 28 days") << u"monthly"_s << true << utc(2024, 2, 12, 11) << utc(2024, 2, 12, 12);
    QTest::newRow("yearly (365 days, 2024 is leap)") << u"yearly"_s << false << utc(2025, 1, 13, 11)
                                                     << utc(2025, 1, 14, 12);
}

void TestBudgetManager::resetOnDuration()
{
    QFETCH(QString, duration);
    QFETCH(bool, litellmMonthly);
    QFETCH(QDateTime, notYet);
    QFETCH(QDateTime, due);

    BudgetManager::Options options;
    options.litellmMonthly = litellmMonthly;
    auto manager = make(std::move(options));
    QVERIFY(manager->createBudget(10.0, u"alice"_s, duration).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());

    m_clock.set(notYet);
    QCOMPARE(manager->resetOnDuration(u"alice"_s).value(), false);
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.001);

    m_clock.set(due);
    QCOMPARE(manager->resetOnDuration(u"alice"_s).value(), true);
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.0);
    QVERIFY(manager->modelCost(u"alice"_s)->isEmpty());
    QCOMPARE(manager->userRecord(u"alice"_s)->value(u"last_updated_at"_s).toDouble(), epoch(due));
    // The window starts again at the reset.
    QCOMPARE(manager->resetOnDuration(u"alice"_s).value(), false);
}

void TestBudgetManager::resetOnDurationWithoutDuration()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    m_clock.advance(10LL * 365 * 86400);
    QCOMPARE(manager->resetOnDuration(u"alice"_s).value(), false);
    QCOMPARE(manager->currentCost(u"alice"_s).value(), 0.001);
}

void TestBudgetManager::updateBudgetAllUsers()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"daily"_s, u"daily"_s).ok());
    QVERIFY(manager->createBudget(10.0, u"weekly"_s, u"weekly"_s).ok());
    QVERIFY(manager->createBudget(10.0, u"forever"_s).ok());
    for (const QString &user : manager->users())
        QVERIFY(manager->updateCost(user, completion(u"gpt-test"_s, 1000, 0)).ok());
    m_clock.advance(2 * 86400);
    QVERIFY(manager->updateBudgetAllUsers().ok());
    QCOMPARE(manager->currentCost(u"daily"_s).value(), 0.0);
    QCOMPARE(manager->currentCost(u"weekly"_s).value(), 0.001);
    QCOMPARE(manager->currentCost(u"forever"_s).value(), 0.001);
}

void TestBudgetManager::localRoundTrip()
{
    {
        auto manager = make();
        QVERIFY(manager->createBudget(10.0, u"alice"_s, u"monthly"_s).ok());
        QVERIFY(manager->createBudget(2.5, u"bob"_s).ok());
        QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 500)).ok());
        QVERIFY(manager->saveData().ok());
    }
    auto reloaded = make();
    QVERIFY(reloaded->loadResult().ok());
    QCOMPARE(reloaded->users(), (QStringList{u"alice"_s, u"bob"_s}));
    QCOMPARE(reloaded->currentCost(u"alice"_s).value(), 0.002);
    QCOMPARE(reloaded->modelCost(u"alice"_s)->value(u"gpt-test"_s), 0.002);
    QCOMPARE(reloaded->totalBudget(u"bob"_s).value(), 2.5);
    QCOMPARE(reloaded->userRecord(u"alice"_s)->value(u"duration"_s).toDouble(), 31.0);
    // loadData() replaces what is in memory.
    QVERIFY(reloaded->createBudget(1.0, u"carol"_s).ok());
    QVERIFY(reloaded->loadData().ok());
    QVERIFY(!reloaded->isValidUser(u"carol"_s));
}

void TestBudgetManager::saveIsAtomicAndIndented()
{
    auto manager = make();
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    QVERIFY(manager->saveData().ok());
    QVERIFY(manager->createBudget(20.0, u"bob"_s).ok());
    QVERIFY(manager->saveData().ok());

    QFile file(QDir(m_dir->path()).filePath(u"user_cost.json"_s));
    QCOMPARE(manager->filePath(), file.fileName());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(document.object(), manager->userDict());
    // json.dump(..., indent=4): users at 4 spaces, their fields at 8.
    QVERIFY(text.startsWith("{\n    \"alice\": {\n        \"total_budget\": 10\n    },"));
    // The temporary file was renamed over the target: nothing else is left in the directory.
    QCOMPARE(QDir(m_dir->path()).entryList(QDir::Files | QDir::Hidden), QStringList{u"user_cost.json"_s});
}

void TestBudgetManager::autoSave()
{
    BudgetManager::Options options;
    options.autoSave = true;
    auto manager = make(std::move(options));
    QVERIFY(manager->createBudget(10.0, u"alice"_s).ok());
    QVERIFY(manager->updateCost(u"alice"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    auto reloaded = make();
    QCOMPARE(reloaded->currentCost(u"alice"_s).value(), 0.001);
}

void TestBudgetManager::loadsLiteLLMFile()
{
    // A file exactly as LiteLLM writes it (json.dump(user_dict, f, indent=4), ASCII escapes).
    const QString fixture = QFINDTESTDATA("data/budgetmanager/litellm_user_cost.json");
    QVERIFY(!fixture.isEmpty());
    QVERIFY(QFile::copy(fixture, QDir(m_dir->path()).filePath(u"user_cost.json"_s)));

    auto manager = make();
    QVERIFY2(manager->loadResult().ok(), qPrintable(manager->loadResult().error().toString()));
    QCOMPARE(manager->users().size(), 3);
    QCOMPARE(manager->totalBudget(u"krrish@berri.ai"_s).value(), 10.0);
    QCOMPARE(manager->currentCost(u"krrish@berri.ai"_s).value(), 0.000123);
    QCOMPARE(manager->modelCost(u"krrish@berri.ai"_s)->value(u"gpt-4"_s), 2.3e-05);
    QCOMPARE(manager->totalBudget(u"ishaan@berri.ai"_s).value(), 20.5);
    QCOMPARE(manager->currentCost(u"ishaan@berri.ai"_s).value(), 0.0);
    QCOMPARE(manager->totalBudget(u"j\u00fcrgen@example.com"_s).value(), 0.5);

    // A LiteLLM 28-day duration resets 28 days after last_updated_at.
    m_clock.set(QDateTime::fromMSecsSinceEpoch(qint64(1700086400.5 * 1000) + 28LL * 86400 * 1000 - 1000, Qt::UTC));
    QCOMPARE(manager->resetOnDuration(u"ishaan@berri.ai"_s).value(), false);
    m_clock.advance(1);
    QCOMPARE(manager->resetOnDuration(u"ishaan@berri.ai"_s).value(), true);

    // Updated and saved, it still loads, unknown fields and all.
    QVERIFY(manager->updateCost(u"krrish@berri.ai"_s, completion(u"gpt-test"_s, 1000, 0)).ok());
    QVERIFY(manager->saveData().ok());
    auto reloaded = make();
    QCOMPARE(reloaded->currentCost(u"krrish@berri.ai"_s).value(), 0.000123 + 0.001);
    QCOMPARE(reloaded->userDict(), manager->userDict());
}

void TestBudgetManager::missingFileIsEmptyProject()
{
    auto manager = make();
    QVERIFY(manager->loadResult().ok());
    QVERIFY(manager->users().isEmpty());
}

void TestBudgetManager::corruptFileIsLoadError()
{
    QFile file(QDir(m_dir->path()).filePath(u"user_cost.json"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"alice\": ");
    file.close();
    auto manager = make();
    QVERIFY(!manager->loadResult().ok());
    QCOMPARE(manager->loadResult().error().file, file.fileName());

    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("[1, 2]");
    file.close();
    QVERIFY(!make()->loadResult().ok());
}

void TestBudgetManager::hostedWithoutApiBaseIsLoadError()
{
    BudgetManager manager(u"p"_s, BudgetManager::ClientType::Hosted);
    QVERIFY(!manager.loadResult().ok());
    QVERIFY(manager.loadResult().error().message.contains(u"api base"));
    QVERIFY(!manager.saveData().ok());
}

void TestBudgetManager::countTokensEstimate()
{
    QCOMPARE(BudgetManager::countTokens(u"gpt-test"_s, QString()), 0);
    QCOMPARE(BudgetManager::countTokens(u"gpt-test"_s, u"a"_s), 1);
    QCOMPARE(BudgetManager::countTokens(u"gpt-test"_s, u"abcd"_s), 1);
    QCOMPARE(BudgetManager::countTokens(u"gpt-test"_s, u"abcde"_s), 2);
}

void TestBudgetManager::guard()
{
    BudgetGuard guard(1.0);
    QVERIFY(guard.check().ok());
    guard.addCost(0.5);
    guard.addCost(0.5);
    QVERIFY2(guard.check().ok(), "reaching the maximum is allowed; passing it is not");
    guard.addCost(0.25);
    const auto exceeded = guard.check();
    QVERIFY(!exceeded.ok());
    QCOMPARE(exceeded.error().message, u"Budget has been exceeded! Current cost: 1.25, Max budget: 1.0"_s);
    QCOMPARE(guard.currentCost(), 1.25);
    guard.reset();
    QVERIFY(guard.check().ok());
    guard.setMaxBudget(0.0);   // no maximum
    guard.addCost(100.0);
    QVERIFY(guard.check().ok());
}

QTEST_GUILESS_MAIN(TestBudgetManager)
#include "tst_budgetmanager.moc"
