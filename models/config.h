#pragma once

#include "duration.h"
#include "pricing.h"
#include "result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate {

class ISecretStore;

enum class Provider { OpenAI, Azure, Anthropic, Mock };

// One entry of model_list: a deployment clients reach by its model_name.
// Several deployments with the same model_name form a group (load-balanced).
struct Deployment
{
    QString modelName;          // model_name: what clients send
    Provider provider = Provider::Mock;
    QString providerName;       // "openai", "azure", "anthropic", "mock" (the prefix as written)
    QString upstreamModel;      // litellm_params.model without the provider prefix
    QString apiBase;            // without trailing slash
    QString apiKey;             // resolved secret (never logged)
    QString apiVersion;         // azure; anthropic: the anthropic-version header (default 2023-06-01)
    std::optional<qint64> rpm;  // deployment capacity
    std::optional<qint64> tpm;
    double timeoutSeconds = 600.0;
    std::optional<double> inputCostPerToken;   // custom prices, USD per token
    std::optional<double> outputCostPerToken;
    std::optional<double> cacheReadCostPerToken;  // cache_read_input_token_cost (LiteLLM's name)
    std::optional<double> cacheWriteCostPerToken;    // cache_creation_input_token_cost
    std::optional<double> cacheWrite1hCostPerToken;  // cache_creation_input_token_cost_above_1hr
    // OpenAI's service tiers (LiteLLM's names): input_cost_per_token_priority,
    // output_cost_per_token_priority, cache_read_input_token_cost_priority, and the same with _flex.
    std::optional<double> inputCostPerTokenPriority;
    std::optional<double> outputCostPerTokenPriority;
    std::optional<double> cacheReadCostPerTokenPriority;
    std::optional<double> inputCostPerTokenFlex;
    std::optional<double> outputCostPerTokenFlex;
    std::optional<double> cacheReadCostPerTokenFlex;
    // Server-side tools, USD per use: search_context_cost_per_query (LiteLLM's name; a number,
    // or LiteLLM's {search_context_size_low, _medium, _high}: the highest of them) and
    // file_search_cost_per_1k_calls (USD per 1,000 calls).
    std::optional<double> webSearchCostPerQuery;
    std::optional<double> fileSearchCostPer1kCalls;
    // code_interpreter_cost_per_session (LiteLLM's name, USD per container) and
    // image_generation_cost_per_call (USD per image the Responses API's tool makes).
    std::optional<double> codeInterpreterCostPerSession;
    std::optional<double> imageGenerationCostPerCall;
    // input_cost_per_audio_token, output_cost_per_audio_token (LiteLLM's names, USD per audio
    // token): else the catalogue's audio rates, else the text rates.
    std::optional<double> inputCostPerAudioToken;
    std::optional<double> outputCostPerAudioToken;
    // output_cost_per_reasoning_token (LiteLLM's name, USD per reasoning token): the output a
    // model thinks in (completion_tokens_details.reasoning_tokens) at its own rate; else the
    // output rate.
    std::optional<double> outputCostPerReasoningToken;
    // Rates for long prompts (LiteLLM's input_cost_per_token_above_200k_tokens, and the same for
    // output_cost_per_token, cache_read_input_token_cost, cache_creation_input_token_cost; any
    // <N>k): once a call's prompt is above N thousand tokens, every token of that kind pays the
    // rate. Ascending by threshold.
    QList<PriceTier> longPromptRates;
    // A litellm_params key that names a long-prompt rate: its kind's slot in `rates` and its
    // threshold in tokens (input_cost_per_token_above_200k_tokens → input, 200,000); else nullptr.
    static std::optional<double> *longPromptRateSlot(const QString &key, PriceTier &rates);
    static qint64 longPromptThreshold(const QString &key);   // 0: not such a key
    std::optional<QString> mockResponse;
    QString id;                 // model_info.id, or a stable hash of the entry
    QStringList accessGroups;   // model_info.access_groups
    QString baseModel;          // model_info.base_model (pricing for azure)
    std::optional<qint64> maxTokens;  // model_info.max_output_tokens, else max_tokens: the output limit
    QString mode;               // model_info.mode: chat (default), completion, embedding
    // model_info.supports_reasoning (LiteLLM's name): whether the model thinks in tokens it bills
    // but does not show; unset: told by its name (reasonsUnseen).
    std::optional<bool> supportsReasoning;
    int line = 0;               // where it was declared in config.yaml (0 = not from a file)

    // The model the deployment really runs: base_model when set (an azure deployment name
    // says nothing), else the upstream model. Prices, token counts and image costs follow it.
    [[nodiscard]] const QString &underlyingModel() const { return baseModel.isEmpty() ? upstreamModel : baseModel; }

    // Whether a call may be billed for output its answer does not show (reasoning tokens: OpenAI's
    // o-series and gpt-5 in chat and Responses, Claude 4's summarised thinking): a stream left
    // before its usage is then charged at least the output held for it. `asked` is what the
    // request said (reasoning_effort, reasoning, thinking; nullopt: nothing). supports_reasoning:
    // false wins over the request; a request's "none" or "disabled" over the model's name.
    [[nodiscard]] bool reasonsUnseen(std::optional<bool> asked) const;
};

enum class BudgetEnforcement { Reserve, Strict };

struct LitellmSettings
{
    std::optional<double> maxBudget;                 // global proxy budget, USD
    std::optional<Duration> budgetDuration;
    std::optional<double> maxEndUserBudget;          // default end-user budget
    std::optional<Duration> endUserBudgetDuration;   // [Tollgate]
    bool dropParams = false;
    int numRetries = 0;
    std::optional<double> requestTimeout;            // default timeout for deployments
};

struct GeneralSettings
{
    QString masterKey;                 // resolved; empty = no master key configured
    // SQLite file path, or postgresql://user:password@host:port/db (issue #17); empty = the
    // DATABASE_URL environment variable (headless), else the per-user data dir.
    QString databaseUrl;
    // [Tollgate] PostgreSQL: the local directory of this instance's spend journal; empty =
    // <AppDataLocation>/journal/<database>-<port>.
    QString journalDir;
    BudgetEnforcement budgetEnforcement = BudgetEnforcement::Reserve;
    double maxRequestSizeMb = 32.0;
    // A provider's whole (non-streamed) answer is held until it is recorded: at most this many
    // MB each; past twice that for all answers held at once, others wait (HeldAnswers). Streams
    // are relayed as they come.
    double maxResponseSizeMb = 256.0;
    bool storePrompts = false;
    // [Tollgate] origins of browser apps allowed to call the gateway (CORS), normalized
    // ("https://app.example", default port dropped); "*" = any origin.
    QStringList allowedOrigins;
    bool metricsPublic = false;        // GET /metrics without a key (LiteLLM has it open by default)
    // [Tollgate] several gateway instances share this database (docs/shared-budgets.md,
    // docs/shared-instances.md): budgets with a max are admitted against leases taken from the
    // shared rows, management changes propagate between the instances and rate limits are split
    // over the live ones. Off: one gateway per database, budgets and limits in memory only (the
    // fast path). A PostgreSQL database is always shared (Config::sharedBudgets).
    bool sharedDatabase = false;
    double sharedLeaseSeconds = 30.0;  // a lease a dead instance left comes back after this
};

struct Config
{
    QList<Deployment> models;
    LitellmSettings litellm;
    GeneralSettings general;
    QString sourceFile;                // the file it came from ("<built-in>" for the default)

    // Whether budgets are shared with other gateways on the same database. The hook for
    // PostgreSQL: a postgres:// / postgresql:// database_url implies it (a server database is
    // there to be shared), once the store runs on it.
    [[nodiscard]] bool sharedBudgets() const
    {
        return general.sharedDatabase || general.databaseUrl.startsWith(u"postgres", Qt::CaseInsensitive);
    }

    [[nodiscard]] qint64 maxRequestBytes() const
    {
        return qint64(general.maxRequestSizeMb * 1024.0 * 1024.0);
    }
    [[nodiscard]] qint64 maxResponseBytes() const
    {
        return qint64(general.maxResponseSizeMb * 1024.0 * 1024.0);
    }
};

// Reads config.yaml (LiteLLM's schema, see api.md §2) into a Config.
// Values "os.environ/NAME" come from the environment, "keychain/NAME" from the
// secret store; a missing one is an error naming it. Every error names file and line.
class ConfigLoader
{
public:
    static Result<Config> loadFile(const QString &path, ISecretStore &secrets);
    static Result<Config> loadString(const QByteArray &yaml, const QString &fileName,
                                     ISecretStore &secrets);
    // The built-in default config (a resource): mock models priced like real ones.
    static Result<Config> loadDefault(ISecretStore &secrets);

    // One model_list entry given as JSON ({"model_name", "litellm_params", "model_info"}:
    // POST /model/new and the models kept in the store), checked by the same rules as a
    // config.yaml entry, plus JSON's types: a number where a string belongs (or the
    // reverse) is an error here, where YAML cannot tell them apart. os.environ/ and
    // keychain/ references are refused (an error naming the field), never resolved: they
    // are a config-file feature, and whoever may write an entry over HTTP must not be able
    // to send the gateway's secrets to an api_base of their own. Without model_info.id the
    // id is the same stable hash.
    // On failure the error's `file` holds the dotted field it is about (e.g.
    // "litellm_params.rpm"): for an API answer's `param`; its line is 0.
    static Result<Deployment> deploymentFromJson(const QJsonObject &entry);

    // An os.environ/ or keychain/ reference: resolved in config.yaml, refused everywhere else.
    static bool isSecretReference(QStringView value);
    // Why `field` (e.g. "litellm_params.api_key") may not hold a reference outside config.yaml.
    static QString referenceRefused(const QString &field);
};

// A web origin in the form browsers send it ("https://app.example", "http://[::1]:8080":
// scheme and host in lower case, the scheme's default port dropped); empty when `origin` is
// not an http(s) origin (a path, query, user or "null").
QString normalizedOrigin(const QString &origin);

} // namespace Tollgate
