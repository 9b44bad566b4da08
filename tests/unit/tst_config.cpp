#include "models/config.h"
#include "models/secretstore.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

const QString kName = u"test.yaml"_s;

QString defaultId(const QString &modelName, const QString &model, const QString &apiBase)
{
    const QByteArray seed = (modelName + u'\n' + model + u'\n' + apiBase).toUtf8();
    return QString::fromLatin1(
        QCryptographicHash::hash(seed, QCryptographicHash::Sha256).toHex().left(16));
}

QString describe(const Result<Config> &r)
{
    return r.ok() ? u"loaded"_s : r.error().toString();
}

// Sets an environment variable for one test and removes it again.
class ScopedEnv
{
public:
    ScopedEnv(const char *name, const QByteArray &value) : m_name(name)
    {
        qputenv(m_name, value);
    }
    ~ScopedEnv() { qunsetenv(m_name); }
    Q_DISABLE_COPY_MOVE(ScopedEnv)

private:
    const char *m_name;
};

// Every field api.md §2 lists, plus keys LiteLLM knows and Tollgate ignores.
// Line numbers matter: the test checks Deployment::line against them.
const char kFullConfig[] = R"(# Tollgate test config
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: https://api.openai.com/v1/
      api_key: os.environ/TOLLGATE_TEST_OPENAI_KEY
      rpm: 500
      tpm: 200000
      timeout: 30.5
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
      some_future_param: ignored
    model_info:
      id: gpt4o-main
      access_groups: ["beta-models", "paid"]
      base_model: gpt-4o
      max_tokens: 16384
      mode: chat
      unknown_info: 1
  - model_name: gpt-4o
    litellm_params:
      model: azure/my-gpt4o-deployment
      api_base: https://example.openai.azure.com//
      api_key: keychain/azure-east
      api_version: "2024-10-21"
    model_info:
      base_model: azure/gpt-4o
  - model_name: local-llama
    litellm_params:
      model: openai/llama3
      api_base: http://localhost:11434/v1
  - model_name: fake
    litellm_params:
      model: mock/fake-model
      mock_response: "Hello!"
    model_info:
      mode: completion
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
litellm_settings:
  max_budget: 100.0
  budget_duration: 30d
  max_end_user_budget: 1.5
  end_user_budget_duration: daily
  drop_params: true
  num_retries: 3
  request_timeout: 120
  success_callback: ["langfuse"]
general_settings:
  master_key: keychain/master
  database_url: /var/lib/tollgate/tollgate.db
  budget_enforcement: strict
  max_request_size_mb: 8
  max_response_size_mb: 48
  store_prompts: true
  shared_database: true
  alerting: ["slack"]
router_settings:
  routing_strategy: simple-shuffle
environment_variables:
  FOO: bar
)";

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private slots:
    void loadsEveryField();
    void allowedOriginsAreNormalized();
    void maxOutputTokensIsTheOutputLimit();
    void anthropicDeployments();
    void serviceTierAndToolPrices();
    void reasoningIsToldByTheFlagTheRequestOrTheName_data();
    void reasoningIsToldByTheFlagTheRequestOrTheName();
    void supportsReasoningIsRead();
    void longPromptRatesAreRead();
    void loadsTheDefaultConfig();
    void emptyInputGivesDefaults_data();
    void emptyInputGivesDefaults();
    void appliesDefaults();
    void repeatedEndpointsGetDistinctIds();
    void readsReferencesInNumbersToo();
    void booleanSpellings_data();
    void booleanSpellings();
    void missingFileIsAnError();
    void directoryIsAnError();
    void errors_data();
    void errors();
    void longValuesAreCutShortInMessages();
    void errorsNeverShowSecrets_data();
    void errorsNeverShowSecrets();
    void neverCrashes_data();
    void neverCrashes();
    void jsonEntriesNeverResolveReferences_data();
    void jsonEntriesNeverResolveReferences();
};

void TestConfig::loadsEveryField()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"config.yaml"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(kFullConfig);
    file.close();

    const ScopedEnv env("TOLLGATE_TEST_OPENAI_KEY", "sk-openai-from-env");
    MemorySecretStore secrets({{u"azure-east"_s, u"azure-secret"_s},
                               {u"master"_s, u"sk-master-from-keychain"_s}});
    const auto result = ConfigLoader::loadFile(path, secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    const Config &c = *result;

    QCOMPARE(c.sourceFile, path);
    QCOMPARE(c.models.size(), 5);

    const Deployment &openai = c.models[0];
    QCOMPARE(openai.modelName, u"gpt-4o"_s);
    QCOMPARE(openai.provider, Provider::OpenAI);
    QCOMPARE(openai.providerName, u"openai"_s);
    QCOMPARE(openai.upstreamModel, u"gpt-4o"_s);
    QCOMPARE(openai.apiBase, u"https://api.openai.com/v1"_s);
    QCOMPARE(openai.apiKey, u"sk-openai-from-env"_s);
    QCOMPARE(openai.rpm, std::optional<qint64>(500));
    QCOMPARE(openai.tpm, std::optional<qint64>(200000));
    QCOMPARE(openai.timeoutSeconds, 30.5);
    QCOMPARE(openai.inputCostPerToken, std::optional<double>(0.0000025));
    QCOMPARE(openai.outputCostPerToken, std::optional<double>(0.00001));
    QVERIFY(!openai.mockResponse);
    QCOMPARE(openai.id, u"gpt4o-main"_s);
    QCOMPARE(openai.accessGroups, QStringList({u"beta-models"_s, u"paid"_s}));
    QCOMPARE(openai.baseModel, u"gpt-4o"_s);
    QCOMPARE(openai.maxTokens, std::optional<qint64>(16384));
    QCOMPARE(openai.mode, u"chat"_s);
    QCOMPARE(openai.line, 3);

    const Deployment &azure = c.models[1];
    QCOMPARE(azure.modelName, u"gpt-4o"_s);
    QCOMPARE(azure.provider, Provider::Azure);
    QCOMPARE(azure.providerName, u"azure"_s);
    QCOMPARE(azure.upstreamModel, u"my-gpt4o-deployment"_s);
    QCOMPARE(azure.apiBase, u"https://example.openai.azure.com"_s);
    QCOMPARE(azure.apiKey, u"azure-secret"_s);
    QCOMPARE(azure.apiVersion, u"2024-10-21"_s);
    QVERIFY(!azure.rpm);
    QVERIFY(!azure.tpm);
    QCOMPARE(azure.timeoutSeconds, 120.0); // litellm_settings.request_timeout
    QVERIFY(!azure.inputCostPerToken);
    QCOMPARE(azure.baseModel, u"azure/gpt-4o"_s);
    QCOMPARE(azure.id, defaultId(u"gpt-4o"_s, u"azure/my-gpt4o-deployment"_s,
                                 u"https://example.openai.azure.com"_s));
    QCOMPARE(azure.id.size(), 16);
    QVERIFY(azure.accessGroups.isEmpty());
    QCOMPARE(azure.mode, u"chat"_s);
    QCOMPARE(azure.line, 21);

    const Deployment &local = c.models[2];
    QCOMPARE(local.provider, Provider::OpenAI);
    QCOMPARE(local.apiBase, u"http://localhost:11434/v1"_s);
    QVERIFY(local.apiKey.isEmpty());
    QCOMPARE(local.id, defaultId(u"local-llama"_s, u"openai/llama3"_s,
                                 u"http://localhost:11434/v1"_s));
    QCOMPARE(local.line, 29);

    const Deployment &mock = c.models[3];
    QCOMPARE(mock.provider, Provider::Mock);
    QCOMPARE(mock.providerName, u"mock"_s);
    QCOMPARE(mock.upstreamModel, u"fake-model"_s);
    QVERIFY(mock.apiBase.isEmpty());
    QCOMPARE(mock.mockResponse, std::optional<QString>(u"Hello!"_s));
    QCOMPARE(mock.mode, u"completion"_s);
    QCOMPARE(mock.line, 33);

    const Deployment &plain = c.models[4];
    QCOMPARE(plain.apiBase, u"https://api.openai.com/v1"_s); // openai default
    QCOMPARE(plain.line, 39);

    QCOMPARE(c.litellm.maxBudget, std::optional<double>(100.0));
    QCOMPARE(c.litellm.budgetDuration, std::optional<Duration>(Duration{30, Duration::Unit::Days}));
    QCOMPARE(c.litellm.maxEndUserBudget, std::optional<double>(1.5));
    QCOMPARE(c.litellm.endUserBudgetDuration,
             std::optional<Duration>(Duration{1, Duration::Unit::Days}));
    QCOMPARE(c.litellm.dropParams, true);
    QCOMPARE(c.litellm.numRetries, 3);
    QCOMPARE(c.litellm.requestTimeout, std::optional<double>(120.0));

    QCOMPARE(c.general.masterKey, u"sk-master-from-keychain"_s);
    QCOMPARE(c.general.databaseUrl, u"/var/lib/tollgate/tollgate.db"_s);
    QCOMPARE(c.general.budgetEnforcement, BudgetEnforcement::Strict);
    QCOMPARE(c.general.maxRequestSizeMb, 8.0);
    QCOMPARE(c.maxResponseBytes(), 48LL * 1024 * 1024);
    QCOMPARE(c.maxRequestBytes(), qint64(8) * 1024 * 1024);
    QCOMPARE(c.general.storePrompts, true);
    QCOMPARE(c.general.sharedDatabase, true);
}

void TestConfig::allowedOriginsAreNormalized()
{
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString("general_settings:\n"
                                                 "  allowed_origins:\n"
                                                 "    - HTTPS://App.Example:443/\n"
                                                 "    - http://localhost:3000\n"
                                                 "    - http://[::1]:80\n"
                                                 "    - \"*\"\n",
                                                 kName, secrets);
    QVERIFY2(result.ok(), result.ok() ? "" : qPrintable(result.error().toString()));
    QCOMPARE(result->general.allowedOrigins,
             (QStringList{u"https://app.example"_s, u"http://localhost:3000"_s, u"http://[::1]"_s, u"*"_s}));
    // None by default.
    const auto empty = ConfigLoader::loadString("general_settings:\n  store_prompts: false\n", kName, secrets);
    QVERIFY(empty.ok());
    QVERIFY(empty->general.allowedOrigins.isEmpty());
    QCOMPARE(normalizedOrigin(u"http://127.0.0.1:4000"_s), u"http://127.0.0.1:4000"_s);
    QCOMPARE(normalizedOrigin(u"https://app.example?x=1"_s), QString());
    QCOMPARE(normalizedOrigin(u"https://user@app.example"_s), QString());
}

void TestConfig::reasoningIsToldByTheFlagTheRequestOrTheName_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("flag");    // model_info.supports_reasoning: -1 unset, 0 false, 1 true
    QTest::addColumn<int>("asked");   // what the request said: -1 nothing, 0 no, 1 yes
    QTest::addColumn<bool>("reasons");

    for (const char *name : {"o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5.1-codex-max", "gpt-5-mini",
                             "codex-mini-latest", "deepseek-reasoner", "deepseek-r1", "deepseek-ai/DeepSeek-R1-0528",
                             "qwq-32b", "qwen3-235b-a22b-thinking-2507", "magistral-medium-latest", "grok-4",
                             "grok-3-mini", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-flash-latest",
                             "gemini-pro-latest", "gemini-flash-lite-latest", "accounts/fireworks/models/o3"})
        QTest::addRow("%s by name", name) << QString::fromLatin1(name) << -1 << -1 << true;
    for (const char *name : {"gpt-4o", "gpt-4.1-mini", "claude-sonnet-4-5", "llama-3.3-70b", "omni-moderation-latest",
                             "gemini-2.0-flash", "mistral-large-latest", "r10-model", "my-finetune"})
        QTest::addRow("%s by name", name) << QString::fromLatin1(name) << -1 << -1 << false;
    QTest::newRow("asked of a plain name") << u"claude-sonnet-4-5"_s << -1 << 1 << true;
    QTest::newRow("none asked of a reasoner") << u"gpt-5.1"_s << -1 << 0 << false;
    QTest::newRow("declared") << u"my-finetune"_s << 1 << -1 << true;
    QTest::newRow("declared, none asked") << u"my-finetune"_s << 1 << 0 << false;
    QTest::newRow("declared not to, asked") << u"o3"_s << 0 << 1 << false;
}

void TestConfig::reasoningIsToldByTheFlagTheRequestOrTheName()
{
    QFETCH(QString, model);
    QFETCH(int, flag);
    QFETCH(int, asked);
    QFETCH(bool, reasons);
    Deployment deployment;
    deployment.upstreamModel = model;
    if (flag >= 0)
        deployment.supportsReasoning = flag == 1;
    QCOMPARE(deployment.reasonsUnseen(asked >= 0 ? std::optional<bool>(asked == 1) : std::nullopt), reasons);
    // base_model names what an Azure deployment runs.
    Deployment azure = deployment;
    azure.upstreamModel = u"our-deployment"_s;
    azure.baseModel = model;
    QCOMPARE(azure.reasonsUnseen(asked >= 0 ? std::optional<bool>(asked == 1) : std::nullopt), reasons);
}

void TestConfig::supportsReasoningIsRead()
{
    MemorySecretStore secrets;
    const auto config = ConfigLoader::loadString("model_list:\n"
                                                 "  - model_name: a\n"
                                                 "    litellm_params: {model: openai/my-finetune}\n"
                                                 "    model_info: {supports_reasoning: true}\n"
                                                 "  - model_name: b\n"
                                                 "    litellm_params: {model: openai/o3}\n"
                                                 "    model_info: {supports_reasoning: false}\n"
                                                 "  - model_name: c\n"
                                                 "    litellm_params: {model: openai/gpt-4o}\n",
                                                 kName, secrets);
    QVERIFY2(config.ok(), qPrintable(describe(config)));
    QCOMPARE(config->models.at(0).supportsReasoning, std::optional<bool>(true));
    QCOMPARE(config->models.at(1).supportsReasoning, std::optional<bool>(false));
    QVERIFY(!config->models.at(2).supportsReasoning);

    const auto wrong = ConfigLoader::loadString("model_list:\n"
                                                "  - model_name: a\n"
                                                "    litellm_params: {model: openai/x}\n"
                                                "    model_info: {supports_reasoning: maybe}\n",
                                                kName, secrets);
    QVERIFY(!wrong.ok());
    QVERIFY2(wrong.error().message.contains(u"supports_reasoning"_s), qPrintable(wrong.error().message));

    const auto fromApi = ConfigLoader::deploymentFromJson(QJsonObject{
        {u"model_name"_s, u"a"_s},
        {u"litellm_params"_s, QJsonObject{{u"model"_s, u"openai/x"_s}}},
        {u"model_info"_s, QJsonObject{{u"supports_reasoning"_s, true}}}});
    QVERIFY2(fromApi.ok(), qPrintable(fromApi.ok() ? QString() : fromApi.error().message));
    QCOMPARE(fromApi->supportsReasoning, std::optional<bool>(true));
    const auto notABool = ConfigLoader::deploymentFromJson(QJsonObject{
        {u"model_name"_s, u"a"_s},
        {u"litellm_params"_s, QJsonObject{{u"model"_s, u"openai/x"_s}}},
        {u"model_info"_s, QJsonObject{{u"supports_reasoning"_s, u"yes"_s}}}});
    QVERIFY(!notABool.ok());
}

void TestConfig::longPromptRatesAreRead()
{
    const QByteArray yaml = "model_list:\n"
                            "  - model_name: gemini\n"
                            "    litellm_params:\n"
                            "      model: openai/gemini-2.5-pro\n"
                            "      input_cost_per_token: 0.00000125\n"
                            "      input_cost_per_token_above_200k_tokens: 0.0000025\n"
                            "      output_cost_per_token_above_200k_tokens: 0.000015\n"
                            "      cache_creation_input_token_cost_above_1hr: 0.000001\n"   // not a prompt size
                            "    model_info:\n"
                            "      cache_read_input_token_cost_above_128k_tokens: 0.0000003\n"
                            "      input_cost_per_token_above_200k_tokens: 1\n";   // litellm_params wins
    MemorySecretStore secrets;
    const auto config = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(config.ok(), qPrintable(describe(config)));
    const QList<PriceTier> rates = config->models.first().longPromptRates;
    QCOMPARE(rates.size(), 2);
    QCOMPARE(rates.at(0).aboveInputTokens, 128'000);
    QCOMPARE(rates.at(0).cacheReadPerToken, std::optional<double>(0.0000003));
    QVERIFY(!rates.at(0).inputPerToken);
    QCOMPARE(rates.at(1).aboveInputTokens, 200'000);
    QCOMPARE(rates.at(1).inputPerToken, std::optional<double>(0.0000025));
    QCOMPARE(rates.at(1).outputPerToken, std::optional<double>(0.000015));
    QVERIFY(!rates.at(1).cacheWritePerToken);

    const auto notANumber = ConfigLoader::loadString("model_list:\n  - model_name: a\n    litellm_params:\n"
                                                     "      model: openai/a\n"
                                                     "      output_cost_per_token_above_200k_tokens: lots\n",
                                                     kName, secrets);
    QVERIFY(!notANumber.ok());
    QVERIFY2(notANumber.error().message.contains(u"output_cost_per_token_above_200k_tokens must be a number"_s),
             qPrintable(notANumber.error().message));
}

void TestConfig::serviceTierAndToolPrices()
{
    const QByteArray yaml = "model_list:\n"
                            "  - model_name: gpt\n"
                            "    litellm_params:\n"
                            "      model: openai/gpt-5\n"
                            "      input_cost_per_token_priority: 0.0000025\n"
                            "      output_cost_per_token_priority: 0.00002\n"
                            "      cache_read_input_token_cost_priority: 0.00000025\n"
                            "      input_cost_per_token_flex: 0.000000625\n"
                            "      search_context_cost_per_query: 0.025\n"
                            "      file_search_cost_per_1k_calls: 2.5\n"
                            "      code_interpreter_cost_per_session: 0.12\n"
                            "      input_cost_per_audio_token: 0.00004\n"
                            "    model_info:\n"
                            "      output_cost_per_audio_token: 0.00008\n"
                            "      output_cost_per_reasoning_token: 0.0000035\n"
                            "      image_generation_cost_per_call: 0.04\n"
                            "      output_cost_per_token_flex: 0.000005\n"
                            "      input_cost_per_token_priority: 1\n"   // litellm_params wins
                            "  - model_name: gpt-litellm-form\n"
                            "    litellm_params:\n"
                            "      model: openai/gpt-4o-search-preview\n"
                            "    model_info:\n"
                            "      search_context_cost_per_query:\n"
                            "        search_context_size_low: 0.03\n"
                            "        search_context_size_medium: 0.035\n"
                            "        search_context_size_high: 0.05\n"
                            "      cache_read_input_token_cost_flex: 0.0000001\n";
    MemorySecretStore secrets;
    const auto config = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(config.ok(), qPrintable(describe(config)));
    const Deployment &first = config->models.at(0);
    QCOMPARE(first.inputCostPerTokenPriority, std::optional<double>(0.0000025));
    QCOMPARE(first.outputCostPerTokenPriority, std::optional<double>(0.00002));
    QCOMPARE(first.cacheReadCostPerTokenPriority, std::optional<double>(0.00000025));
    QCOMPARE(first.inputCostPerTokenFlex, std::optional<double>(0.000000625));
    QCOMPARE(first.outputCostPerTokenFlex, std::optional<double>(0.000005));
    QVERIFY(!first.cacheReadCostPerTokenFlex);
    QCOMPARE(first.webSearchCostPerQuery, std::optional<double>(0.025));
    QCOMPARE(first.fileSearchCostPer1kCalls, std::optional<double>(2.5));
    QCOMPARE(first.codeInterpreterCostPerSession, std::optional<double>(0.12));
    QCOMPARE(first.imageGenerationCostPerCall, std::optional<double>(0.04));
    QCOMPARE(first.inputCostPerAudioToken, std::optional<double>(0.00004));
    QCOMPARE(first.outputCostPerAudioToken, std::optional<double>(0.00008));
    QCOMPARE(first.outputCostPerReasoningToken, std::optional<double>(0.0000035));
    const Deployment &second = config->models.at(1);
    QCOMPARE(second.webSearchCostPerQuery, std::optional<double>(0.05));  // the dearest context size
    QCOMPARE(second.cacheReadCostPerTokenFlex, std::optional<double>(0.0000001));
    QVERIFY(!second.fileSearchCostPer1kCalls && !second.inputCostPerTokenPriority);
    QVERIFY(!second.codeInterpreterCostPerSession && !second.imageGenerationCostPerCall);

    const auto negative = ConfigLoader::loadString("model_list:\n"
                                                   "  - model_name: gpt\n"
                                                   "    litellm_params:\n"
                                                   "      model: openai/gpt-5\n"
                                                   "      input_cost_per_token_priority: -1\n",
                                                   kName, secrets);
    QVERIFY(!negative.ok());
    QVERIFY(negative.error().message.contains(u"litellm_params.input_cost_per_token_priority"_s));
    // As JSON (/model/new): a number where a number belongs.
    const auto json = ConfigLoader::deploymentFromJson(
        {{u"model_name"_s, u"gpt"_s},
         {u"litellm_params"_s, QJsonObject{{u"model"_s, u"openai/gpt-5"_s}, {u"output_cost_per_token_priority"_s, u"2"_s}}}});
    QVERIFY(!json.ok());
    QCOMPARE(json.error().file, u"litellm_params.output_cost_per_token_priority"_s);
}

void TestConfig::anthropicDeployments()
{
    const QByteArray yaml = "model_list:\n"
                            "  - model_name: claude\n"
                            "    litellm_params:\n"
                            "      model: anthropic/claude-sonnet-4-5\n"
                            "      api_key: sk-ant-test\n"
                            "      cache_creation_input_token_cost: 0.00000375\n"
                            "      cache_creation_input_token_cost_above_1hr: 0.000006\n"
                            "  - model_name: claude-proxy\n"
                            "    litellm_params:\n"
                            "      model: anthropic/claude-haiku-4-5\n"
                            "      api_base: https://claude.example/\n"
                            "      api_version: \"2024-01-01\"\n";
    MemorySecretStore secrets;
    const auto config = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(config.ok(), qPrintable(describe(config)));
    const Deployment &first = config->models.at(0);
    QCOMPARE(first.provider, Provider::Anthropic);
    QCOMPARE(first.providerName, u"anthropic"_s);
    QCOMPARE(first.upstreamModel, u"claude-sonnet-4-5"_s);
    QCOMPARE(first.apiBase, u"https://api.anthropic.com"_s);   // without /v1: /v1/messages is appended
    QCOMPARE(first.apiVersion, u"2023-06-01"_s);
    QCOMPARE(first.apiKey, u"sk-ant-test"_s);
    QCOMPARE(first.cacheWriteCostPerToken, std::optional<double>(0.00000375));
    QCOMPARE(first.cacheWrite1hCostPerToken, std::optional<double>(0.000006));
    const Deployment &second = config->models.at(1);
    QCOMPARE(second.apiBase, u"https://claude.example"_s);
    QCOMPARE(second.apiVersion, u"2024-01-01"_s);
    QVERIFY(!second.cacheWriteCostPerToken);
}

void TestConfig::maxOutputTokensIsTheOutputLimit()
{
    // model_info.max_output_tokens (LiteLLM's explicit output limit) bounds a call's output
    // reservation; it wins over max_tokens when both are given.
    const QByteArray yaml = "model_list:\n"
                            "  - model_name: a\n"
                            "    litellm_params:\n"
                            "      model: mock/a\n"
                            "    model_info:\n"
                            "      max_output_tokens: 1000\n"
                            "  - model_name: b\n"
                            "    litellm_params:\n"
                            "      model: mock/b\n"
                            "    model_info:\n"
                            "      max_tokens: 8000\n"
                            "      max_output_tokens: 500\n";
    MemorySecretStore secrets;
    const auto config = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(config.ok(), qPrintable(describe(config)));
    QCOMPARE(config->models.size(), 2);
    QCOMPARE(config->models.at(0).maxTokens, std::optional<qint64>(1000));
    QCOMPARE(config->models.at(1).maxTokens, std::optional<qint64>(500));

    const auto fromApi = ConfigLoader::deploymentFromJson(QJsonObject{
        {u"model_name"_s, u"c"_s},
        {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/c"_s}}},
        {u"model_info"_s, QJsonObject{{u"max_output_tokens"_s, 250}}}});
    QVERIFY2(fromApi.ok(), fromApi.ok() ? "" : qPrintable(fromApi.error().toString()));
    QCOMPARE(fromApi->maxTokens, std::optional<qint64>(250));
}

void TestConfig::loadsTheDefaultConfig()
{
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadDefault(secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    const Config &c = *result;

    QCOMPARE(c.sourceFile, u"<built-in>"_s);
    QCOMPARE(c.models.size(), 7);
    QStringList names;
    for (const Deployment &d : c.models) {
        names.append(d.modelName);
        QCOMPARE(d.provider, Provider::Mock);
        QVERIFY(d.inputCostPerToken.has_value());
        QVERIFY(d.outputCostPerToken.has_value());
        QVERIFY(d.apiKey.isEmpty());
    }
    QCOMPARE(names, QStringList({u"gpt-4o-mini"_s, u"gpt-4o"_s, u"gpt-3.5-turbo-instruct"_s,
                                 u"text-embedding-3-small"_s, u"claude-sonnet-4-5"_s, u"claude-haiku-4-5"_s,
                                 u"claude-opus-4-1"_s}));
    QCOMPARE(c.models[4].cacheReadCostPerToken, std::optional<double>(0.0000003));
    QVERIFY(!c.models[0].cacheReadCostPerToken.has_value());

    const Deployment &mini = c.models[0];
    QCOMPARE(mini.inputCostPerToken, std::optional<double>(0.00000015));
    QCOMPARE(mini.outputCostPerToken, std::optional<double>(0.0000006));
    QCOMPARE(mini.id, u"mock-gpt-4o-mini"_s);
    QCOMPARE(mini.accessGroups, QStringList{u"default-models"_s});
    QCOMPARE(mini.mode, u"chat"_s);
    QCOMPARE(c.models[2].mode, u"completion"_s);
    QCOMPARE(c.models[3].mode, u"embedding"_s);
    QCOMPARE(c.models[3].outputCostPerToken, std::optional<double>(0.0));

    QVERIFY(c.general.masterKey.isEmpty());
    QCOMPARE(c.general.budgetEnforcement, BudgetEnforcement::Reserve);
    QCOMPARE(c.general.maxRequestSizeMb, 32.0);
    QCOMPARE(c.general.maxResponseSizeMb, 256.0);
    QCOMPARE(c.litellm.dropParams, true);
}

void TestConfig::emptyInputGivesDefaults_data()
{
    QTest::addColumn<QByteArray>("yaml");

    QTest::newRow("an empty file") << QByteArray();
    QTest::newRow("only blank lines") << QByteArray("\n\n   \n");
    QTest::newRow("only a comment") << QByteArray("# nothing configured yet\n");
    QTest::newRow("an empty document") << QByteArray("---\n...\n");
    QTest::newRow("empty sections") << QByteArray("model_list:\nlitellm_settings:\ngeneral_settings:\n");
    QTest::newRow("an empty model list") << QByteArray("model_list: []\n");
    QTest::newRow("a trailing document marker") << QByteArray("model_list: []\n---\n");
    QTest::newRow("only sections Tollgate ignores") << QByteArray("router_settings:\n  num_retries: 2\n");
}

void TestConfig::emptyInputGivesDefaults()
{
    QFETCH(QByteArray, yaml);

    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    QVERIFY(result->models.isEmpty());
    QCOMPARE(result->sourceFile, kName);
    QVERIFY(!result->litellm.maxBudget);
    QCOMPARE(result->litellm.dropParams, false);
    QCOMPARE(result->litellm.numRetries, 0);
    QVERIFY(result->general.masterKey.isEmpty());
    QCOMPARE(result->general.budgetEnforcement, BudgetEnforcement::Reserve);
    QCOMPARE(result->general.maxRequestSizeMb, 32.0);
    QCOMPARE(result->general.storePrompts, false);
    QCOMPARE(result->general.sharedDatabase, false);
}

void TestConfig::appliesDefaults()
{
    const QByteArray yaml = R"(model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
    model_info:
      access_groups: []
  - model_name: local
    litellm_params:
      model: openai/qwen
      api_base: "http://127.0.0.1:8080/v1/"
)";
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    const Deployment &d = result->models[0];
    QCOMPARE(d.apiBase, u"https://api.openai.com/v1"_s);
    QCOMPARE(d.timeoutSeconds, 600.0);
    QCOMPARE(d.mode, u"chat"_s);
    QVERIFY(d.accessGroups.isEmpty());
    QVERIFY(!d.maxTokens);
    QCOMPARE(d.id, defaultId(u"gpt-4o"_s, u"openai/gpt-4o"_s, u"https://api.openai.com/v1"_s));
    // The trailing slash is gone before hashing, so it does not change the id.
    QCOMPARE(result->models[1].apiBase, u"http://127.0.0.1:8080/v1"_s);
    QCOMPARE(result->models[1].id,
             defaultId(u"local"_s, u"openai/qwen"_s, u"http://127.0.0.1:8080/v1"_s));

    // Loading twice gives the same ids: they are derived, not random.
    const auto again = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY(again.ok());
    QCOMPARE(again->models[0].id, d.id);
}

void TestConfig::repeatedEndpointsGetDistinctIds()
{
    // The same endpoint listed twice (typically with two API keys to spread load) hashes
    // the same; ids must still tell the deployments apart.
    const QByteArray yaml = R"(model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-first
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-second
)";
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    const QString hash = defaultId(u"gpt-4o"_s, u"openai/gpt-4o"_s, u"https://api.openai.com/v1"_s);
    QCOMPARE(result->models[0].id, hash);
    QCOMPARE(result->models[1].id, hash + u"-2"_s);
}

void TestConfig::readsReferencesInNumbersToo()
{
    const ScopedEnv rpm("TOLLGATE_TEST_RPM", "42");
    const ScopedEnv base("TOLLGATE_TEST_BASE", "https://proxy.example/v1/");
    const QByteArray yaml = R"(model_list:
  - model_name: m
    litellm_params:
      model: openai/m
      api_base: os.environ/TOLLGATE_TEST_BASE
      rpm: os.environ/TOLLGATE_TEST_RPM
)";
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    QCOMPARE(result->models[0].rpm, std::optional<qint64>(42));
    QCOMPARE(result->models[0].apiBase, u"https://proxy.example/v1"_s);
}

void TestConfig::booleanSpellings_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("expected");

    QTest::newRow("true") << QByteArray("true") << true;
    QTest::newRow("capitalised True") << QByteArray("True") << true;
    QTest::newRow("yes, as PyYAML reads it") << QByteArray("yes") << true;
    QTest::newRow("on") << QByteArray("on") << true;
    QTest::newRow("false") << QByteArray("false") << false;
    QTest::newRow("no") << QByteArray("no") << false;
    QTest::newRow("quoted false") << QByteArray("\"false\"") << false;
}

void TestConfig::booleanSpellings()
{
    QFETCH(QByteArray, value);
    QFETCH(bool, expected);

    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(
        "litellm_settings:\n  drop_params: " + value + "\ngeneral_settings:\n  store_prompts: "
            + value + '\n',
        kName, secrets);
    QVERIFY2(result.ok(), qPrintable(describe(result)));
    QCOMPARE(result->litellm.dropParams, expected);
    QCOMPARE(result->general.storePrompts, expected);
}

void TestConfig::missingFileIsAnError()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"does-not-exist.yaml"_s);
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadFile(path, secrets);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().file, path);
    QCOMPARE(result.error().line, 0);
    QVERIFY2(result.error().message.contains(path), qPrintable(result.error().message));
    QVERIFY2(result.error().message.contains(u"does not exist"_s), qPrintable(result.error().message));
}

void TestConfig::directoryIsAnError()
{
    QTemporaryDir dir;
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadFile(dir.path(), secrets);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().file, dir.path());
    QCOMPARE(result.error().line, 0);
}

void TestConfig::errors_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("reason");

    // A valid entry to start model lists with, so errors are not all on line 2.
    const QByteArray ok = "model_list:\n"                 // 1
                          "  - model_name: ok\n"          // 2
                          "    litellm_params:\n"         // 3
                          "      model: mock/ok\n";       // 4
    const QByteArray entry = ok + "  - model_name: bad\n" // 5
                                  "    litellm_params:\n"; // 6
    // ...so a field of the second entry's litellm_params is on line 7.

    // YAML itself
    QTest::newRow("bad indentation") << QByteArray("model_list:\n  - model_name: a\n   litellm_params:\n      model: mock/a\n")
                                     << 3 << u"YAML syntax error"_s;
    QTest::newRow("a tab used for indentation") << ok + "\trpm: 5\n" << 5 << u"tab"_s;
    QTest::newRow("two colons on a line") << QByteArray("a: b: c\n") << 1 << u"YAML syntax error"_s;
    QTest::newRow("an undefined alias") << entry + "      model: mock/b\n      rpm: *nope\n"
                                        << 8 << u"anchor is not defined"_s;
    QTest::newRow("an unclosed flow list") << QByteArray("general_settings:\n  alerting: [slack\nmodel_list: []\n")
                                           << 3 << u"YAML syntax error"_s;

    // Shape
    QTest::newRow("top level is a list") << QByteArray("- model_name: a\n") << 1 << u"must be a map"_s;
    QTest::newRow("top level is text") << QByteArray("\n\nhello\n") << 3 << u"must be a map"_s;
    QTest::newRow("model_list is a map") << QByteArray("model_list:\n  model_name: a\n") << 1
                                         << u"model_list must be a list"_s;
    QTest::newRow("model_list is text") << QByteArray("# models\nmodel_list: gpt-4o\n") << 2
                                        << u"model_list must be a list"_s;
    QTest::newRow("a model_list entry is text") << ok + "  - gpt-4o\n" << 5 << u"must be a map"_s;
    QTest::newRow("litellm_settings is a list") << QByteArray("litellm_settings:\n  - max_budget: 1\n") << 1
                                                << u"litellm_settings must be a map"_s;
    QTest::newRow("general_settings is text") << QByteArray("general_settings: strict\n") << 1
                                              << u"general_settings must be a map"_s;
    QTest::newRow("litellm_params is text") << ok + "  - model_name: bad\n    litellm_params: openai/gpt-4o\n"
                                            << 6 << u"litellm_params must be a map"_s;
    QTest::newRow("model_info is a list") << ok + "    model_info: [a]\n" << 5
                                          << u"model_info must be a map"_s;

    // Required fields
    QTest::newRow("entry without model_name") << ok + "  - litellm_params:\n      model: mock/x\n"
                                              << 5 << u"has no model_name"_s;
    QTest::newRow("entry with an empty model_name") << ok + "  - model_name:\n    litellm_params:\n      model: mock/x\n"
                                                    << 5 << u"has no model_name"_s;
    QTest::newRow("model_name is blank text") << ok + "  - model_name: \"  \"\n    litellm_params:\n      model: mock/x\n"
                                              << 5 << u"model_name must not be empty"_s;
    QTest::newRow("model_name is a list") << ok + "  - model_name: [a, b]\n    litellm_params:\n      model: mock/x\n"
                                          << 5 << u"model_name must be a string"_s;
    QTest::newRow("entry without litellm_params") << ok + "  - model_name: lonely\n" << 5
                                                  << u"has no litellm_params"_s;
    QTest::newRow("litellm_params without model") << entry + "      api_key: sk-x\n" << 6
                                                   << u"has no model"_s;

    // Providers
    QTest::newRow("model without provider prefix") << entry + "      model: gpt-4o\n" << 7
                                                   << u"no provider prefix"_s;
    QTest::newRow("unknown provider") << entry + "      model: bedrock/claude-3-5-sonnet\n" << 7
                                      << u"unknown provider \"bedrock\""_s;
    QTest::newRow("provider with nothing after it") << entry + "      model: openai/\n" << 7
                                                    << u"names no model"_s;
    QTest::newRow("azure without api_base") << entry + "      model: azure/gpt4o\n      api_version: \"2024-10-21\"\n"
                                            << 6 << u"needs litellm_params.api_base"_s;
    QTest::newRow("azure without api_version") << entry + "      model: azure/gpt4o\n      api_base: https://x.openai.azure.com\n"
                                               << 6 << u"needs litellm_params.api_version"_s;
    QTest::newRow("api_base is not a URL") << entry + "      model: openai/m\n      api_base: localhost:8000\n"
                                           << 8 << u"api_base must be an http:// or https:// URL"_s;

    // Types and ranges of deployment fields
    QTest::newRow("rpm is a word") << entry + "      model: mock/b\n      rpm: lots\n" << 8
                                   << u"rpm must be an integer"_s;
    QTest::newRow("rpm is a fraction") << entry + "      model: mock/b\n      rpm: 1.5\n" << 8
                                       << u"rpm must be an integer"_s;
    QTest::newRow("rpm is negative") << entry + "      model: mock/b\n      rpm: -1\n" << 8
                                     << u"rpm must not be negative"_s;
    QTest::newRow("tpm is a list") << entry + "      model: mock/b\n      tpm:\n        - 1000\n" << 8
                                   << u"tpm must be an integer, not a list"_s;
    QTest::newRow("timeout is zero") << entry + "      model: mock/b\n      timeout: 0\n" << 8
                                     << u"timeout must be greater than 0"_s;
    QTest::newRow("input price is negative") << entry + "      model: mock/b\n      input_cost_per_token: -0.000001\n"
                                             << 8 << u"input_cost_per_token must not be negative"_s;
    QTest::newRow("output price is a word") << entry + "      model: mock/b\n      output_cost_per_token: cheap\n"
                                            << 8 << u"output_cost_per_token must be a number"_s;
    QTest::newRow("price is infinite") << entry + "      model: mock/b\n      output_cost_per_token: .inf\n"
                                       << 8 << u"output_cost_per_token must be a number"_s;
    QTest::newRow("mock_response is a map") << entry + "      model: mock/b\n      mock_response: {a: 1}\n"
                                            << 8 << u"mock_response must be a string"_s;
    QTest::newRow("access_groups is text") << ok + "    model_info:\n      access_groups: beta\n" << 6
                                           << u"access_groups must be a list of strings"_s;
    QTest::newRow("an access group is a list") << ok + "    model_info:\n      access_groups:\n        - beta\n        - [x]\n"
                                               << 8 << u"access_groups entry must be a string"_s;
    QTest::newRow("max_tokens is zero") << ok + "    model_info:\n      max_tokens: 0\n" << 6
                                        << u"max_tokens must be at least 1"_s;
    QTest::newRow("the same id twice") << ok + "    model_info:\n      id: same\n" + "  - model_name: b\n    litellm_params:\n      model: mock/b\n    model_info:\n      id: same\n"
                                       << 11 << u"already used by the model_list entry at line 2"_s;

    // litellm_settings
    QTest::newRow("negative global budget") << QByteArray("litellm_settings:\n  max_budget: -5\n") << 2
                                            << u"max_budget must not be negative"_s;
    QTest::newRow("global budget is a word") << QByteArray("litellm_settings:\n  max_budget: lots\n") << 2
                                             << u"max_budget must be a number"_s;
    QTest::newRow("negative end-user budget") << QByteArray("litellm_settings:\n  max_end_user_budget: -0.01\n") << 2
                                              << u"max_end_user_budget must not be negative"_s;
    QTest::newRow("budget_duration with a blank") << QByteArray("litellm_settings:\n  max_budget: 10\n  budget_duration: 30 days\n")
                                                  << 3 << u"invalid duration \"30 days\""_s;
    QTest::newRow("end_user_budget_duration of zero") << QByteArray("litellm_settings:\n  end_user_budget_duration: 0d\n")
                                                      << 2 << u"end_user_budget_duration: invalid duration \"0d\""_s;
    QTest::newRow("budget_duration in years") << QByteArray("litellm_settings:\n  budget_duration: 1y\n") << 2
                                              << u"<N>mo"_s;
    QTest::newRow("drop_params is a word") << QByteArray("litellm_settings:\n  drop_params: maybe\n") << 2
                                           << u"drop_params must be true or false"_s;
    QTest::newRow("num_retries is negative") << QByteArray("litellm_settings:\n  num_retries: -1\n") << 2
                                             << u"num_retries must not be negative"_s;
    QTest::newRow("num_retries is huge") << QByteArray("litellm_settings:\n  num_retries: 100000\n") << 2
                                         << u"num_retries must be at most 100"_s;
    QTest::newRow("request_timeout is negative") << QByteArray("litellm_settings:\n  request_timeout: -5\n") << 2
                                                 << u"request_timeout must be greater than 0"_s;

    // general_settings
    QTest::newRow("master_key without sk-") << QByteArray("general_settings:\n  master_key: 1234\n") << 2
                                            << u"master_key must start with \"sk-\""_s;
    QTest::newRow("master_key is empty text") << QByteArray("general_settings:\n  master_key: \"\"\n") << 2
                                              << u"master_key must start with \"sk-\""_s;
    QTest::newRow("unknown budget_enforcement") << QByteArray("general_settings:\n  budget_enforcement: loose\n") << 2
                                                << u"budget_enforcement must be reserve or strict, not \"loose\""_s;
    QTest::newRow("max_request_size_mb is zero") << QByteArray("general_settings:\n  max_request_size_mb: 0\n") << 2
                                                 << u"max_request_size_mb must be greater than 0"_s;
    QTest::newRow("max_response_size_mb is too large") << QByteArray("general_settings:\n  max_response_size_mb: 1e13\n") << 2
                                                       << u"max_response_size_mb must be at most 65536 (MB)"_s;
    QTest::newRow("max_response_size_mb is negative") << QByteArray("general_settings:\n  max_response_size_mb: -1\n") << 2
                                                      << u"max_response_size_mb must be greater than 0"_s;
    QTest::newRow("store_prompts is a number") << QByteArray("general_settings:\n  store_prompts: 2\n") << 2
                                               << u"store_prompts must be true or false"_s;
    QTest::newRow("database_url is a list") << QByteArray("general_settings:\n  database_url: [a]\n") << 2
                                            << u"database_url must be a string"_s;

    // References
    QTest::newRow("missing environment variable") << entry + "      model: openai/b\n      api_key: os.environ/TOLLGATE_TEST_SURELY_UNSET\n"
                                                  << 8 << u"environment variable TOLLGATE_TEST_SURELY_UNSET is not set (referenced at test.yaml:8)"_s;
    QTest::newRow("missing keychain entry") << QByteArray("general_settings:\n  master_key: keychain/tollgate-master\n")
                                            << 2 << u"secret tollgate-master not found"_s;
    QTest::newRow("keychain/ without a name") << QByteArray("general_settings:\n  database_url: keychain/\n")
                                              << 2 << u"keychain/ needs a secret name"_s;
    QTest::newRow("os.environ/ without a name") << QByteArray("general_settings:\n  database_url: os.environ/\n")
                                                << 2 << u"os.environ/ needs a variable name"_s;

    // Things YAML allows that would silently lose part of the config
    QTest::newRow("model_list twice") << ok + "litellm_settings:\n  drop_params: true\nmodel_list:\n  - model_name: lost\n"
                                      << 7 << u"duplicate key model_list (first at line 1)"_s;
    QTest::newRow("a price twice") << entry + "      model: mock/b\n      input_cost_per_token: 0.1\n      input_cost_per_token: 0.2\n"
                                   << 9 << u"duplicate key litellm_params.input_cost_per_token (first at line 8)"_s;
    QTest::newRow("a second YAML document") << QByteArray("model_list: []\n---\ngeneral_settings:\n  master_key: sk-1\n")
                                            << 3 << u"more than one YAML document"_s;

    // Reading stops at the first error found (sections and their fields are checked in turn).
    QTest::newRow("first of two errors") << QByteArray("general_settings:\n  budget_enforcement: loose\n  max_request_size_mb: 0\n")
                                         << 2 << u"budget_enforcement"_s;
    QTest::newRow("allowed_origins not a list") << QByteArray("general_settings:\n  allowed_origins: https://app.example\n")
                                                << 2 << u"allowed_origins must be a list"_s;
    QTest::newRow("allowed_origins entry with a path")
        << QByteArray("general_settings:\n  allowed_origins:\n    - https://ok.example\n    - https://app.example/app\n")
        << 4 << u"allowed_origins entries must be an origin"_s;
    QTest::newRow("allowed_origins entry not http") << QByteArray("general_settings:\n  allowed_origins: [\"file:///x\"]\n")
                                                    << 2 << u"allowed_origins entries must be an origin"_s;
    QTest::newRow("allowed_origins entry null origin") << QByteArray("general_settings:\n  allowed_origins: [\"null\"]\n")
                                                       << 2 << u"allowed_origins entries must be an origin"_s;
    QTest::newRow("flow style reports its line") << QByteArray("# all on one line\nmodel_list: [{model_name: a, litellm_params: {model: bad/a}}]\n")
                                                 << 2 << u"unknown provider \"bad\""_s;
}

void TestConfig::errors()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(QString, reason);

    qunsetenv("TOLLGATE_TEST_SURELY_UNSET");
    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY2(!result.ok(), "the config was accepted");
    const Error &error = result.error();
    qInfo("%s", qPrintable(error.toString()));
    QVERIFY2(error.message.contains(reason), qPrintable(error.toString()));
    QCOMPARE(error.file, kName);
    QCOMPARE(error.line, line);
    QVERIFY(error.toString().startsWith(kName + u':' + QString::number(line) + u": "_s));
}

void TestConfig::longValuesAreCutShortInMessages()
{
    MemorySecretStore secrets;
    const QByteArray name(100'000, 'a');
    const auto result = ConfigLoader::loadString("model_list:\n  - model_name: " + name + '\n',
                                                 kName, secrets);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().message.contains(u"has no litellm_params"_s),
             qPrintable(result.error().message));
    QVERIFY(result.error().message.size() < 200);
}

void TestConfig::errorsNeverShowSecrets_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("secret");

    QTest::newRow("a master key without sk-") << QByteArray("general_settings:\n  master_key: hunter2-master\n")
                                              << u"hunter2-master"_s;
    QTest::newRow("a master key from the keychain without sk-")
        << QByteArray("general_settings:\n  master_key: keychain/master\n") << u"keychain-master-value"_s;
    QTest::newRow("a number from the environment that is not one")
        << QByteArray("model_list:\n  - model_name: a\n    litellm_params:\n      model: mock/a\n"
                      "      rpm: os.environ/TOLLGATE_TEST_SECRET_RPM\n")
        << u"env-secret-value"_s;
}

void TestConfig::errorsNeverShowSecrets()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, secret);

    const ScopedEnv env("TOLLGATE_TEST_SECRET_RPM", "env-secret-value");
    MemorySecretStore secrets({{u"master"_s, u"keychain-master-value"_s}});
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    QVERIFY(!result.ok());
    QVERIFY2(!result.error().toString().contains(secret), qPrintable(result.error().toString()));
}

void TestConfig::neverCrashes_data()
{
    QTest::addColumn<QByteArray>("yaml");

    QTest::newRow("binary noise") << QByteArray("\x00\x01\x02\xff\xfe model_list", 17);
    QTest::newRow("invalid UTF-8") << QByteArray("model_list:\n  - model_name: \xc3\x28\n");
    QTest::newRow("a byte-order mark") << QByteArray("\xef\xbb\xbfmodel_list: []\n");
    QTest::newRow("deeply nested lists") << QByteArray(5000, '[') + QByteArray(5000, ']');
    QTest::newRow("deeply nested maps") << QByteArray(5000, '{') ;
    QTest::newRow("an alias to its own list") << QByteArray("model_list: &x\n  - *x\n");
    QTest::newRow("an alias to its own map") << QByteArray("general_settings: &g\n  master_key: *g\n");
    QTest::newRow("a list used as a key") << QByteArray("? [a, b]\n: c\nmodel_list: []\n");
    QTest::newRow("a list as a key inside an entry") << QByteArray("model_list:\n  - ? [model_name]\n    : x\n");
    QTest::newRow("a merge key") << QByteArray("base: &b\n  model: mock/x\nmodel_list:\n  - model_name: a\n    litellm_params:\n      <<: *b\n");
    QTest::newRow("several documents") << QByteArray("model_list: []\n---\nmodel_list: 5\n---\n- x\n");
    QTest::newRow("a YAML directive") << QByteArray("%YAML 1.2\n---\nmodel_list: []\n");
    QTest::newRow("explicit tags") << QByteArray("model_list: !!seq []\ngeneral_settings: !custom {master_key: !!str sk-1}\n");
    QTest::newRow("a lone quote") << QByteArray("\"");
    QTest::newRow("a lone brace") << QByteArray("}");
    QTest::newRow("a huge number") << QByteArray("model_list:\n  - model_name: a\n    litellm_params:\n      model: mock/a\n      rpm: 99999999999999999999999\n");
    QTest::newRow("a huge float") << QByteArray("litellm_settings:\n  max_budget: 1e999\n");
    QTest::newRow("a very long line") << "model_list:\n  - model_name: " + QByteArray(1 << 20, 'a') + '\n';
}

void TestConfig::neverCrashes()
{
    QFETCH(QByteArray, yaml);

    MemorySecretStore secrets;
    const auto result = ConfigLoader::loadString(yaml, kName, secrets);
    qInfo("%s", qPrintable(describe(result)));
    if (!result.ok()) {
        QCOMPARE(result.error().file, kName);
        QVERIFY(!result.error().message.isEmpty());
        QVERIFY(result.error().line >= 0);
    }
}

void TestConfig::jsonEntriesNeverResolveReferences_data()
{
    QTest::addColumn<QString>("section");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("param");
    const QString env = u"os.environ/TOLLGATE_TEST_JSON_REF"_s;
    const QString keychain = u"keychain/master_key"_s;
    QTest::newRow("api_key") << u"litellm_params"_s << u"api_key"_s << QJsonValue(env) << u"litellm_params.api_key"_s;
    QTest::newRow("api_base") << u"litellm_params"_s << u"api_base"_s << QJsonValue(keychain)
                              << u"litellm_params.api_base"_s;
    QTest::newRow("model") << u"litellm_params"_s << u"model"_s << QJsonValue(env) << u"litellm_params.model"_s;
    QTest::newRow("access group") << u"model_info"_s << u"access_groups"_s << QJsonValue(QJsonArray{u"ok"_s, env})
                                  << u"model_info.access_groups"_s;
    QTest::newRow("id") << u"model_info"_s << u"id"_s << QJsonValue(keychain) << u"model_info.id"_s;
}

void TestConfig::jsonEntriesNeverResolveReferences()
{
    QFETCH(QString, section);
    QFETCH(QString, field);
    QFETCH(QJsonValue, value);
    QFETCH(QString, param);
    // Both would resolve in config.yaml; a JSON entry (the model API, the store) refuses them.
    qputenv("TOLLGATE_TEST_JSON_REF", "sk-secret-from-env");
    QJsonObject entry{{u"model_name"_s, u"m"_s},
                      {u"litellm_params"_s, QJsonObject{{u"model"_s, u"openai/gpt"_s}}},
                      {u"model_info"_s, QJsonObject{}}};
    QJsonObject inner = entry.value(section).toObject();
    inner.insert(field, value);
    entry.insert(section, inner);
    const auto result = ConfigLoader::deploymentFromJson(entry);
    qunsetenv("TOLLGATE_TEST_JSON_REF");
    QVERIFY(!result.ok());
    QCOMPARE(result.error().file, param);
    QVERIFY2(result.error().message.contains(u"config.yaml"_s), qPrintable(result.error().message));
    QVERIFY(!result.error().message.contains(u"sk-secret-from-env"_s));
    // The same entry with plain values is fine.
    inner.insert(field, field == u"access_groups" ? QJsonValue(QJsonArray{u"ok"_s})
                        : field == u"api_base"    ? QJsonValue(u"https://example.test"_s)
                        : field == u"model"       ? QJsonValue(u"openai/gpt"_s)
                                                  : QJsonValue(u"plain"_s));
    entry.insert(section, inner);
    QVERIFY(ConfigLoader::deploymentFromJson(entry).ok());
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
