#pragma once

#include "money.h"
#include "result.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <algorithm>
#include <memory>
#include <optional>

namespace Tollgate {

struct Deployment;

// OpenAI's processing tiers (the request's and the answer's `service_tier`): priority costs
// more per token than the standard tier, flex less.
enum class ServiceTier : quint8 { Standard, Flex, Priority };

// The tier a `service_tier` value bills at: "priority" → Priority, "flex" → Flex, the standard
// names ("default", "auto", "standard", "scale") → Standard. Any other value is priced as
// Priority, the dearest tier, so that a tier this code does not know is never billed low.
ServiceTier serviceTierOf(QStringView name);

// Server-side tools a provider ran during a call, each billed per use on top of the tokens
// (their results come back as input tokens, which the usage counts).
struct ToolUses
{
    qint64 webSearches = 0;   // Anthropic's server_tool_use.web_search_requests; web_search_call items
    qint64 fileSearches = 0;  // the Responses API's file_search_call items
    // The Responses API's code_interpreter_call items: one session per container they name
    // (OpenAI bills each container it creates; one a later call reuses is counted again).
    qint64 codeInterpreterSessions = 0;
    qint64 imageGenerations = 0;  // the Responses API's image_generation_call items

    [[nodiscard]] bool isEmpty() const
    {
        return webSearches <= 0 && fileSearches <= 0 && codeInterpreterSessions <= 0 && imageGenerations <= 0;
    }
    // Each kind of use, the larger of the two.
    [[nodiscard]] ToolUses atLeast(const ToolUses &other) const
    {
        return {std::max(webSearches, other.webSearches), std::max(fileSearches, other.fileSearches),
                std::max(codeInterpreterSessions, other.codeInterpreterSessions),
                std::max(imageGenerations, other.imageGenerations)};
    }
};

// What providers charge per use when config.yaml names no price: OpenAI and Anthropic both bill
// web search at $10 per 1,000 searches, OpenAI file search at $2.50 per 1,000 calls.
inline constexpr double DefaultWebSearchCostPerQuery = 0.01;
inline constexpr double DefaultFileSearchCostPerCall = 0.0025;
// OpenAI's code interpreter: $0.03 per container (its default 1 GB size).
inline constexpr double DefaultCodeInterpreterCostPerSession = 0.03;
// OpenAI's image generation tool bills the image at the image model's output rate, which the
// answer does not report: $0.25 is gpt-image-1's dearest image (high quality, 1536×1024), so
// the default never bills an image low. config.yaml's image_generation_cost_per_call sets it.
inline constexpr double DefaultImageGenerationCostPerCall = 0.25;
// Priority processing without configured rates: twice the standard rates (OpenAI's is 1.75-2×):
// an upper bound, so a budget still holds.
inline constexpr double DefaultPriorityFactor = 2.0;
// Anthropic's fast mode ("speed": "fast", a research preview on Claude Opus 4.6): 6× the standard
// rates. A data-residency request ("inference_geo" other than "global"): 1.1×.
inline constexpr double AnthropicFastModeFactor = 6.0;
inline constexpr double AnthropicInferenceGeoFactor = 1.1;

// A step of a tiered price ("cliff" model, as in genai-prices): once the prompt of a call
// is longer than `aboveInputTokens`, every token of a priced kind pays this tier's rate,
// not only the tokens past the threshold. The output rate depends on the prompt size too.
// A tier only names the kinds whose rate changes at that threshold.
struct PriceTier
{
    qint64 aboveInputTokens = 0;
    std::optional<double> inputPerToken;
    std::optional<double> outputPerToken;
    std::optional<double> cacheReadPerToken;
    std::optional<double> cacheWritePerToken;
};

// Prices of one model in USD per token (the catalogue's per-million prices divided by 10^6,
// decimally, so that 0.15 $/Mtok is the same double as a config price of 0.00000015).
struct ModelPrice
{
    double inputPerToken = 0.0; // base tier
    double outputPerToken = 0.0; // base tier; 0 for input-only models (embeddings)
    std::optional<double> cacheReadPerToken; // cached prompt tokens; none = billed as input
    // Prompt tokens written to the provider's cache (Anthropic's cache_creation_input_tokens):
    // 5-minute writes, and 1-hour writes. None = Anthropic's published rule: 1.25 × the input
    // price for 5 minutes, 2 × for an hour (the catalogue lists no 1-hour price).
    std::optional<double> cacheWritePerToken;
    std::optional<double> cacheWrite1hPerToken;
    // Audio tokens (OpenAI's prompt_tokens_details / completion_tokens_details.audio_tokens, part
    // of the prompt and completion tokens): their own rates (gpt-audio: $32 and $64 a million
    // against $2.50 and $10 for text). None = the text rate. Flat: the prompt-size tiers are text's.
    std::optional<double> inputAudioPerToken;
    std::optional<double> outputAudioPerToken;
    // Reasoning tokens (completion_tokens_details.reasoning_tokens, output_tokens_details…: part
    // of the output): their own rate when configured (output_cost_per_reasoning_token; Gemini's
    // thinking was priced apart), else the output rate. Flat, like audio.
    std::optional<double> outputReasoningPerToken;
    // "config", "catalogue:<provider>/<model id>", or "config+catalogue:<provider>/<model id>"
    // when config.yaml priced one side and the catalogue the other.
    QString source;
    QList<PriceTier> tiers; // ascending; empty for flat prices
    // The catalogue's context_window (prompt + output): no call produces more output tokens.
    // The catalogue lists no separate output limit; none for a config-only price.
    std::optional<qint64> contextWindow;
    // Per-use fees of server-side tools, USD per use (config: search_context_cost_per_query,
    // file_search_cost_per_1k_calls / 1000, code_interpreter_cost_per_session,
    // image_generation_cost_per_call).
    double webSearchPerQuery = DefaultWebSearchCostPerQuery;
    double fileSearchPerCall = DefaultFileSearchCostPerCall;
    double codeInterpreterPerSession = DefaultCodeInterpreterCostPerSession;
    double imageGenerationPerCall = DefaultImageGenerationCostPerCall;
    // Rates of the priority and flex tiers (config: input_cost_per_token_priority, …_flex,
    // output_cost_per_token_priority, …, cache_read_input_token_cost_priority, …). None: priority
    // is DefaultPriorityFactor × the standard rate, flex the standard rate (an upper bound).
    struct TierRates
    {
        std::optional<double> inputPerToken;
        std::optional<double> outputPerToken;
        std::optional<double> cacheReadPerToken;
    };
    TierRates priority;
    TierRates flex;

    [[nodiscard]] bool isTiered() const { return !tiers.isEmpty(); }

    // The flat rates in force for a call whose prompt has `promptTokens` tokens
    // (cached ones included): the base rates, replaced by every tier the prompt is above.
    [[nodiscard]] ModelPrice forPromptSize(qint64 promptTokens) const;

    // Cost of one call, tiers applied. `promptTokens` includes `cachedTokens` (as OpenAI's
    // usage.prompt_tokens does); cached ones pay the cache-read rate when there is one.
    // Each part is rounded once to the nano-dollar, so sums of costs never drift.
    // `cacheWriteTokens` (part of promptTokens too) pay the cache-write rate, of which
    // `cacheWrite1hTokens` the 1-hour one.
    // `tools` adds each server-side tool use at its fee. `audioPromptTokens` (of the uncached
    // prompt) and `audioCompletionTokens` (of the output) pay the audio rates,
    // `reasoningTokens` (of the output that is not audio) the reasoning rate.
    [[nodiscard]] NanoUsd cost(qint64 promptTokens, qint64 completionTokens, qint64 cachedTokens = 0,
                               qint64 cacheWriteTokens = 0, qint64 cacheWrite1hTokens = 0,
                               const ToolUses &tools = {}, qint64 audioPromptTokens = 0,
                               qint64 audioCompletionTokens = 0, qint64 reasoningTokens = 0) const;
    // The per-use fees of `tools` alone.
    [[nodiscard]] NanoUsd toolCost(const ToolUses &tools) const;

    // Every token rate times `factor` (tool fees unchanged).
    [[nodiscard]] ModelPrice scaledBy(double factor) const;

    // The price of a call processed in `tier`: the tier's configured rates where there are
    // some, else the standard rates scaled (priority: DefaultPriorityFactor ×, flex: as
    // standard); the prompt-size tiers scaled alike, a configured rate replacing them for its
    // kind. Cache writes follow the input rate unless priced themselves (then scaled too).
    [[nodiscard]] ModelPrice forServiceTier(ServiceTier tier) const;

    // The rates cache writes pay once the tiers for `promptTokens` apply (see above).
    [[nodiscard]] double cacheWriteRate() const { return cacheWritePerToken.value_or(inputPerToken * 1.25); }
    [[nodiscard]] double cacheWrite1hRate() const { return cacheWrite1hPerToken.value_or(inputPerToken * 2.0); }
    [[nodiscard]] double inputAudioRate() const { return inputAudioPerToken.value_or(inputPerToken); }
    [[nodiscard]] double outputAudioRate() const { return outputAudioPerToken.value_or(outputPerToken); }
    [[nodiscard]] double outputReasoningRate() const { return outputReasoningPerToken.value_or(outputPerToken); }
    // Whether reasoning output costs more than text: output whose kind is not told (counted,
    // held, bounded) is then charged as reasoning.
    [[nodiscard]] bool reasoningIsDearer() const { return outputReasoningRate() > outputPerToken; }
};

struct CatalogueData;

// The pricing catalogue: the pydantic "genai-prices" data (MIT, resources/prices/LICENSE),
// shipped as the resource ":/tollgate/prices/genai-prices.json" and parsed once at start-up.
//
// Lookups follow genai-prices: the provider is found by id, else by its provider_match rule
// (else, for an unknown or empty provider name, by the providers' model_match rules); the
// model is the first of that provider whose `match` rule accepts the lower-cased name, else
// one of the provider's fallback_model_providers (azure → openai, anthropic). String clauses
// compare case-insensitively; `regex` is an unanchored search. Time-dependent prices: the last
// conditional price whose constraint holds at `at` (start_date, in UTC; or a daily UTC time
// window, which may wrap past midnight), else the first. Text and audio tokens are priced (audio
// flat, at its base rate); image and per-request prices of the catalogue are not read; an entry that lists no text
// price ("moderation", the ":free" models) is free, not unknown.
//
// A loaded catalogue never changes; copies share the parsed data.
class PriceCatalogue final
{
public:
    PriceCatalogue(); // empty: every lookup answers "price unknown"

    // The shipped catalogue, ":/tollgate/prices/genai-prices.json".
    static Result<PriceCatalogue> loadResource();
    // The shipped catalogue, parsed by the first lookup (any thread; copies share it): a gateway
    // that has priced nothing yet holds neither the parsed data (~1 MB) nor the parse's garbage.
    // If the resource cannot be parsed (a broken build), a warning is logged and the catalogue
    // is empty: every lookup answers "price unknown".
    static PriceCatalogue shipped();
    // Whether the data is there: always, except for shipped() before its first lookup.
    [[nodiscard]] bool isLoaded() const;
    // A catalogue in the genai-prices JSON format (tests use small synthetic ones).
    // `origin` names it in error messages.
    static Result<PriceCatalogue> loadJson(const QByteArray &json, const QString &origin = {});

    // The price of `model` at `provider` (a catalogue provider id or a name its
    // provider_match accepts) in force at `at`; an invalid `at` means now. nullopt = unknown.
    [[nodiscard]] std::optional<ModelPrice> find(const QString &provider, const QString &model,
                                                 const QDateTime &at = {}) const;

    // The price of a deployment: input_cost_per_token / output_cost_per_token from
    // config.yaml win (a side config leaves out comes from the catalogue, else 0); else the
    // catalogue by provider and model — base_model when set, else the upstream model name.
    // openai → "openai"; azure → "azure", then "openai" (a base_model may carry an
    // "azure/" or "openai/" prefix, as LiteLLM configs often do); mock → priced as openai,
    // then as whichever provider's model_match claims the name (mock/claude-… like anthropic).
    // nullopt = price unknown: the call is served and logged as price_unknown.
    [[nodiscard]] std::optional<ModelPrice> priceFor(const Deployment &deployment,
                                                     const QDateTime &at = {}) const;

    // find() then ModelPrice::cost(); nullopt when the model has no price.
    [[nodiscard]] std::optional<NanoUsd> cost(const QString &provider, const QString &model,
                                              qint64 promptTokens, qint64 completionTokens,
                                              qint64 cachedTokens = 0, const QDateTime &at = {}) const;

    [[nodiscard]] qsizetype providerCount() const;
    [[nodiscard]] qsizetype modelCount() const;

private:
    struct Lazy;

    explicit PriceCatalogue(std::shared_ptr<const CatalogueData> data);
    [[nodiscard]] const CatalogueData &data() const;

    std::shared_ptr<const CatalogueData> m_data; // null for shipped(): see m_lazy
    std::shared_ptr<Lazy> m_lazy;
};

} // namespace Tollgate
