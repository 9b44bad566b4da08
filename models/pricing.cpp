#include "pricing.h"

#include "config.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcPricing, "tollgate.pricing", QtInfoMsg)

namespace Tollgate {

namespace {

constexpr int SecondsPerDay = 24 * 60 * 60;

// One clause of a genai-prices `match` rule.
struct MatchRule
{
    enum class Kind { Equals, StartsWith, EndsWith, Contains, Regex, Or, And };
    Kind kind = Kind::Equals;
    QString text; // lower-cased: string clauses ignore case (as genai-prices)
    // Regex clauses only: a default-constructed QRegularExpression allocates too, and the
    // catalogue holds some 4000 rules of which few are regexes.
    std::optional<QRegularExpression> regex;
    std::vector<MatchRule> children;

    // `ref` is already lower-cased.
    [[nodiscard]] bool matches(const QString &ref) const
    {
        switch (kind) {
        case Kind::Equals:
            return ref == text;
        case Kind::StartsWith:
            return ref.startsWith(text);
        case Kind::EndsWith:
            return ref.endsWith(text);
        case Kind::Contains:
            return ref.contains(text);
        case Kind::Regex:
            return regex->match(ref).hasMatch();
        case Kind::Or:
            return std::any_of(children.begin(), children.end(),
                               [&ref](const MatchRule &c) { return c.matches(ref); });
        case Kind::And:
            return std::all_of(children.begin(), children.end(),
                               [&ref](const MatchRule &c) { return c.matches(ref); });
        }
        return false;
    }
};

// A price per token, possibly tiered by prompt size.
struct Rate
{
    double base = 0.0;
    QList<std::pair<qint64, double>> tiers; // (above this many prompt tokens, price), ascending
};

struct PriceSet
{
    std::optional<Rate> input;
    std::optional<Rate> output;
    std::optional<Rate> cacheRead;
    std::optional<Rate> cacheWrite;
    std::optional<Rate> inputAudio;
    std::optional<Rate> outputAudio;
};

// One entry of a model's `prices`: a price set and when it applies.
struct Period
{
    enum class Kind { Always, FromDate, TimeOfDay };
    Kind kind = Kind::Always;
    QDate startDate; // FromDate, compared with the UTC date
    int startSecond = 0; // TimeOfDay, seconds since midnight UTC, [start, end)
    int endSecond = 0;
    PriceSet prices;

    [[nodiscard]] bool activeAt(const QDateTime &utc) const
    {
        switch (kind) {
        case Kind::Always:
            return true;
        case Kind::FromDate:
            return utc.date() >= startDate;
        case Kind::TimeOfDay: {
            const int second = utc.time().msecsSinceStartOfDay() / 1000;
            if (startSecond <= endSecond)
                return second >= startSecond && second < endSecond;
            // A window across midnight (e.g. 22:00–06:00) once its times are in UTC.
            return second >= startSecond || second < endSecond;
        }
        }
        return false;
    }
};

struct CatalogueModel
{
    QString id;
    MatchRule match;
    QList<Period> periods;
    std::optional<qint64> contextWindow;   // prompt + output tokens the model takes at most

    // genai-prices: conditional prices are tried last to first; if none applies, the first.
    [[nodiscard]] const PriceSet &pricesAt(const QDateTime &utc) const
    {
        for (auto it = periods.crbegin(); it != periods.crend(); ++it) {
            if (it->activeAt(utc))
                return it->prices;
        }
        return periods.front().prices;
    }
};

struct CatalogueProvider
{
    QString id;
    std::optional<MatchRule> modelMatch;
    std::optional<MatchRule> providerMatch;
    QStringList fallbackProviders;
    std::vector<CatalogueModel> models;
};

} // namespace

namespace {

struct Hit
{
    const CatalogueProvider *provider = nullptr;
    const CatalogueModel *model = nullptr;
};

} // namespace

struct CatalogueData
{
    std::vector<CatalogueProvider> providers;
    QHash<QString, qsizetype> providerById;
    qsizetype modelCount = 0;

    // Lookups already made (provider and model as asked, hit or miss): a gateway asks for the
    // same few on every call, and matching the rules is most of a lookup's cost. Any thread.
    static constexpr qsizetype MaxRemembered = 1024;
    mutable std::mutex lookupsMutex;
    mutable QHash<QString, std::optional<Hit>> lookups;
};

namespace {

// --- Parsing ----------------------------------------------------------------------------

// Per-million → per-token by moving the decimal point rather than dividing in binary, so the
// result is the double nearest to the decimal value: 0.15 $/Mtok gives exactly the double
// 0.00000015 that a config.yaml price would be (plain division misses by an ulp for ~1 in 4
// catalogue prices, and such a miss would show up as a nano-dollar off after rounding).
double perToken(double perMillion)
{
    const QString shortest = QString::number(perMillion, 'g', QLocale::FloatingPointShortest);
    const qsizetype e = shortest.indexOf(u'e');
    const QString mantissa = e < 0 ? shortest : shortest.left(e);
    const int exponent = e < 0 ? 0 : shortest.mid(e + 1).toInt();
    bool ok = false;
    const double value = QString(mantissa + u'e' + QString::number(exponent - 6)).toDouble(&ok);
    return ok ? value : perMillion / 1'000'000.0;
}

Result<MatchRule> parseMatch(const QJsonValue &value, const QString &where)
{
    const QJsonObject object = value.toObject();
    if (!value.isObject() || object.size() != 1)
        return makeError(where + u": a match rule must be an object with exactly one clause"_s);

    const QString key = object.begin().key();
    const QJsonValue operand = object.begin().value();
    MatchRule rule;

    if (key == u"or" || key == u"and") {
        if (!operand.isArray())
            return makeError(where + u": \""_s + key + u"\" needs a list of rules"_s);
        rule.kind = key == u"or" ? MatchRule::Kind::Or : MatchRule::Kind::And;
        const QJsonArray items = operand.toArray();
        rule.children.reserve(size_t(items.size()));
        for (const QJsonValue &item : items) {
            auto child = parseMatch(item, where);
            if (!child)
                return child.error();
            rule.children.push_back(std::move(child).value());
        }
        return rule;
    }

    if (!operand.isString())
        return makeError(where + u": \""_s + key + u"\" needs a string"_s);
    const QString text = operand.toString();

    if (key == u"regex") {
        rule.kind = MatchRule::Kind::Regex;
        rule.regex.emplace(text);
        if (!rule.regex->isValid())
            return makeError(where + u": invalid regex \""_s + text + u"\": "_s + rule.regex->errorString());
        // Compile now: lookups then only read the regex.
        rule.regex->optimize();
        return rule;
    }

    static const QHash<QString, MatchRule::Kind> stringKinds = {
        { u"equals"_s, MatchRule::Kind::Equals },
        { u"starts_with"_s, MatchRule::Kind::StartsWith },
        { u"ends_with"_s, MatchRule::Kind::EndsWith },
        { u"contains"_s, MatchRule::Kind::Contains },
    };
    const auto kind = stringKinds.constFind(key);
    if (kind == stringKinds.cend())
        return makeError(where + u": unknown match clause \""_s + key + u'"');
    rule.kind = *kind;
    rule.text = text.toLower();
    return rule;
}

Result<std::optional<Rate>> parseRate(const QJsonObject &prices, const QString &key, const QString &where)
{
    const QJsonValue value = prices.value(key);
    if (value.isUndefined() || value.isNull())
        return std::optional<Rate>();
    if (value.isDouble())
        return std::optional<Rate>(Rate { perToken(value.toDouble()), {} });

    const QJsonObject tiered = value.toObject();
    if (!value.isObject() || !tiered.value(u"base").isDouble() || !tiered.value(u"tiers").isArray())
        return makeError(where + u": \""_s + key + u"\" must be a number or {base, tiers}"_s);
    Rate rate { perToken(tiered.value(u"base").toDouble()), {} };
    for (const QJsonValue &tierValue : tiered.value(u"tiers").toArray()) {
        const QJsonObject tier = tierValue.toObject();
        if (!tier.value(u"start").isDouble() || !tier.value(u"price").isDouble())
            return makeError(where + u": a tier of \""_s + key + u"\" needs start and price"_s);
        rate.tiers.append(
            { qint64(tier.value(u"start").toDouble()), perToken(tier.value(u"price").toDouble()) });
    }
    std::sort(rate.tiers.begin(), rate.tiers.end());
    return std::optional<Rate>(std::move(rate));
}

Result<PriceSet> parsePriceSet(const QJsonValue &value, const QString &where)
{
    if (!value.isObject())
        return makeError(where + u": prices must be an object"_s);
    const QJsonObject object = value.toObject();
    PriceSet set;
    // The *_text_* names are the schema's synonyms for the plain text-token prices.
    const struct
    {
        std::optional<Rate> PriceSet::*field;
        QString key;
        QString textKey;
    } fields[] = {
        { &PriceSet::input, u"input_mtok"_s, u"input_text_mtok"_s },
        { &PriceSet::output, u"output_mtok"_s, u"output_text_mtok"_s },
        { &PriceSet::cacheRead, u"cache_read_mtok"_s, u"cache_text_read_mtok"_s },
        { &PriceSet::cacheWrite, u"cache_write_mtok"_s, u"cache_text_write_mtok"_s },
        { &PriceSet::inputAudio, u"input_audio_mtok"_s, u"input_audio_mtok"_s },
        { &PriceSet::outputAudio, u"output_audio_mtok"_s, u"output_audio_mtok"_s },
    };
    for (const auto &f : fields) {
        const QString &key = object.contains(f.key) ? f.key : f.textKey;
        auto rate = parseRate(object, key, where);
        if (!rate)
            return rate.error();
        set.*f.field = std::move(rate).value();
    }
    return set;
}

// "HH:MM[:SS[.fff]]" with "Z" or "±HH:MM" (none means UTC) → seconds since midnight UTC.
std::optional<int> parseUtcTimeOfDay(const QString &text)
{
    static const QRegularExpression pattern(
        uR"(^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$)"_s);
    const auto m = pattern.match(text.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    const int hours = m.captured(1).toInt();
    const int minutes = m.captured(2).toInt();
    const int seconds = m.captured(3).isEmpty() ? 0 : m.captured(3).toInt();
    if (hours > 23 || minutes > 59 || seconds > 59)
        return std::nullopt;
    int offset = 0;
    const QString zone = m.captured(4);
    if (!zone.isEmpty() && zone != u"Z") {
        const QString digits = zone.mid(1).remove(u':');
        offset = (digits.left(2).toInt() * 60 + digits.mid(2).toInt()) * 60;
        if (zone.front() == u'-')
            offset = -offset;
    }
    const int local = (hours * 60 + minutes) * 60 + seconds;
    return ((local - offset) % SecondsPerDay + SecondsPerDay) % SecondsPerDay;
}

Result<Period> parsePeriod(const QJsonValue &value, const QString &where)
{
    const QJsonObject object = value.toObject();
    auto prices = parsePriceSet(object.value(u"prices"), where);
    if (!prices)
        return prices.error();
    Period period;
    period.prices = std::move(prices).value();

    const QJsonValue constraintValue = object.value(u"constraint");
    if (constraintValue.isUndefined() || constraintValue.isNull())
        return period;
    const QJsonObject constraint = constraintValue.toObject();
    if (constraint.contains(u"start_date")) {
        period.kind = Period::Kind::FromDate;
        period.startDate = QDate::fromString(constraint.value(u"start_date").toString(), Qt::ISODate);
        if (!period.startDate.isValid())
            return makeError(where + u": start_date must be YYYY-MM-DD"_s);
        return period;
    }
    if (constraint.contains(u"start_time") && constraint.contains(u"end_time")) {
        const auto start = parseUtcTimeOfDay(constraint.value(u"start_time").toString());
        const auto end = parseUtcTimeOfDay(constraint.value(u"end_time").toString());
        if (!start || !end)
            return makeError(where + u": start_time and end_time must be HH:MM:SS[Z]"_s);
        period.kind = Period::Kind::TimeOfDay;
        period.startSecond = *start;
        period.endSecond = *end;
        return period;
    }
    return makeError(where + u": unknown price constraint"_s);
}

Result<CatalogueModel> parseModel(const QJsonValue &value, const QString &providerWhere)
{
    const QJsonObject object = value.toObject();
    CatalogueModel model;
    model.id = object.value(u"id").toString();
    if (const qint64 window = object.value(u"context_window").toInteger(0); window > 0)
        model.contextWindow = window;
    if (model.id.isEmpty())
        return makeError(providerWhere + u": a model without an id"_s);
    const QString where = providerWhere + u", model "_s + model.id;

    if (!object.contains(u"match"))
        return makeError(where + u": no match rule"_s);
    auto match = parseMatch(object.value(u"match"), where);
    if (!match)
        return match.error();
    model.match = std::move(match).value();

    const QJsonValue prices = object.value(u"prices");
    if (prices.isArray()) {
        for (const QJsonValue &item : prices.toArray()) {
            auto period = parsePeriod(item, where);
            if (!period)
                return period.error();
            model.periods.append(std::move(period).value());
        }
        if (model.periods.isEmpty())
            return makeError(where + u": an empty list of prices"_s);
    } else {
        auto set = parsePriceSet(prices, where);
        if (!set)
            return set.error();
        model.periods.append(Period { Period::Kind::Always, {}, 0, 0, std::move(set).value() });
    }
    return model;
}

Result<CatalogueProvider> parseProvider(const QJsonValue &value, const QString &origin)
{
    const QJsonObject object = value.toObject();
    CatalogueProvider provider;
    provider.id = object.value(u"id").toString().toLower();
    if (provider.id.isEmpty())
        return makeError(origin + u": a provider without an id"_s);
    const QString where = origin + u": provider "_s + provider.id;

    for (const auto &[key, target] : { std::pair { u"model_match"_s, &provider.modelMatch },
                                       std::pair { u"provider_match"_s, &provider.providerMatch } }) {
        if (!object.contains(key))
            continue;
        auto rule = parseMatch(object.value(key), where + u' ' + key);
        if (!rule)
            return rule.error();
        *target = std::move(rule).value();
    }
    for (const QJsonValue &fallback : object.value(u"fallback_model_providers").toArray())
        provider.fallbackProviders.append(fallback.toString().toLower());

    if (!object.value(u"models").isArray())
        return makeError(where + u": no list of models"_s);
    const QJsonArray models = object.value(u"models").toArray();
    provider.models.reserve(size_t(models.size()));
    for (const QJsonValue &modelValue : models) {
        auto model = parseModel(modelValue, where);
        if (!model)
            return model.error();
        provider.models.push_back(std::move(model).value());
    }
    return provider;
}

// --- Lookup -----------------------------------------------------------------------------

const CatalogueProvider *providerById(const CatalogueData &data, const QString &id)
{
    const auto it = data.providerById.constFind(id);
    return it == data.providerById.cend() ? nullptr : &data.providers[size_t(*it)];
}

// genai-prices' find_provider_id: the exact id, else the first provider_match that accepts it.
const CatalogueProvider *resolveProvider(const CatalogueData &data, const QString &name)
{
    const QString key = name.trimmed().toLower();
    if (key.isEmpty())
        return nullptr;
    if (const CatalogueProvider *provider = providerById(data, key))
        return provider;
    for (const CatalogueProvider &provider : data.providers) {
        if (provider.providerMatch && provider.providerMatch->matches(key))
            return &provider;
    }
    return nullptr;
}

// The provider's own models first, then its fallback providers' (azure → openai, anthropic).
// `visited` keeps a cycle of fallbacks from looping.
std::optional<Hit> findIn(const CatalogueData &data, const CatalogueProvider &provider, const QString &ref,
                          QSet<QString> &visited)
{
    if (visited.contains(provider.id))
        return std::nullopt;
    visited.insert(provider.id);
    for (const CatalogueModel &model : provider.models) {
        if (model.match.matches(ref))
            return Hit { &provider, &model };
    }
    for (const QString &fallbackId : provider.fallbackProviders) {
        if (const CatalogueProvider *fallback = providerById(data, fallbackId)) {
            if (auto hit = findIn(data, *fallback, ref, visited))
                return hit;
        }
    }
    return std::nullopt;
}

std::optional<Hit> lookupUncached(const CatalogueData &data, const QString &providerName, const QString &model)
{
    const QString ref = model.trimmed().toLower();
    if (ref.isEmpty())
        return std::nullopt;
    QSet<QString> visited;
    if (const CatalogueProvider *provider = resolveProvider(data, providerName))
        return findIn(data, *provider, ref, visited);
    // No such provider: like genai-prices without a provider id, let model_match pick one.
    for (const CatalogueProvider &provider : data.providers) {
        if (provider.modelMatch && provider.modelMatch->matches(ref)) {
            if (auto hit = findIn(data, provider, ref, visited))
                return hit;
        }
    }
    return std::nullopt;
}

std::optional<Hit> lookup(const CatalogueData &data, const QString &providerName, const QString &model)
{
    const QString key = providerName + u'\n' + model;
    {
        const std::lock_guard lock(data.lookupsMutex);
        if (const auto it = data.lookups.constFind(key); it != data.lookups.constEnd())
            return *it;
    }
    const std::optional<Hit> hit = lookupUncached(data, providerName, model);
    const std::lock_guard lock(data.lookupsMutex);
    if (data.lookups.size() >= CatalogueData::MaxRemembered)
        data.lookups.clear();
    data.lookups.insert(key, hit);
    return hit;
}

// Adds the tiers of one price kind to the merged list, one PriceTier per threshold.
void mergeTiers(QList<PriceTier> &tiers, const std::optional<Rate> &rate,
                std::optional<double> PriceTier::*field)
{
    if (!rate)
        return;
    for (const auto &[above, price] : rate->tiers) {
        auto it = std::find_if(tiers.begin(), tiers.end(),
                               [above = above](const PriceTier &t) { return t.aboveInputTokens == above; });
        if (it == tiers.end()) {
            PriceTier tier;
            tier.aboveInputTokens = above;
            it = tiers.insert(tiers.end(), tier);
        }
        (*it).*field = price;
    }
}

// Adds `added`'s rates to the tiers of the same threshold (their rates win), in threshold order.
void mergeTiers(QList<PriceTier> &tiers, const QList<PriceTier> &added)
{
    for (const PriceTier &tier : added) {
        auto it = std::find_if(tiers.begin(), tiers.end(),
                               [&tier](const PriceTier &t) { return t.aboveInputTokens == tier.aboveInputTokens; });
        if (it == tiers.end()) {
            it = tiers.insert(tiers.end(), PriceTier{});
            it->aboveInputTokens = tier.aboveInputTokens;
        }
        for (auto kind : {&PriceTier::inputPerToken, &PriceTier::outputPerToken, &PriceTier::cacheReadPerToken,
                          &PriceTier::cacheWritePerToken}) {
            if (tier.*kind)
                (*it).*kind = tier.*kind;
        }
    }
    std::sort(tiers.begin(), tiers.end(),
              [](const PriceTier &a, const PriceTier &b) { return a.aboveInputTokens < b.aboveInputTokens; });
}

ModelPrice toModelPrice(const Hit &hit, const QDateTime &at)
{
    const QDateTime utc = at.isValid() ? at.toUTC() : QDateTime::currentDateTimeUtc();
    const PriceSet &set = hit.model->pricesAt(utc);
    ModelPrice price;
    price.inputPerToken = set.input ? set.input->base : 0.0;
    price.outputPerToken = set.output ? set.output->base : 0.0;
    if (set.cacheRead)
        price.cacheReadPerToken = set.cacheRead->base;
    if (set.cacheWrite)
        price.cacheWritePerToken = set.cacheWrite->base;
    if (set.inputAudio)
        price.inputAudioPerToken = set.inputAudio->base;
    if (set.outputAudio)
        price.outputAudioPerToken = set.outputAudio->base;
    price.source = u"catalogue:"_s + hit.provider->id + u'/' + hit.model->id;
    price.contextWindow = hit.model->contextWindow;
    mergeTiers(price.tiers, set.input, &PriceTier::inputPerToken);
    mergeTiers(price.tiers, set.output, &PriceTier::outputPerToken);
    mergeTiers(price.tiers, set.cacheRead, &PriceTier::cacheReadPerToken);
    mergeTiers(price.tiers, set.cacheWrite, &PriceTier::cacheWritePerToken);
    std::sort(price.tiers.begin(), price.tiers.end(),
              [](const PriceTier &a, const PriceTier &b) { return a.aboveInputTokens < b.aboveInputTokens; });
    return price;
}

} // namespace

// --- ModelPrice ---------------------------------------------------------------------------

ModelPrice ModelPrice::forPromptSize(qint64 promptTokens) const
{
    ModelPrice flat = *this;
    flat.tiers.clear();
    // Ascending, so for each kind the highest tier the prompt is above wins.
    for (const PriceTier &tier : tiers) {
        if (promptTokens <= tier.aboveInputTokens)
            break;
        if (tier.inputPerToken)
            flat.inputPerToken = *tier.inputPerToken;
        if (tier.outputPerToken)
            flat.outputPerToken = *tier.outputPerToken;
        if (tier.cacheReadPerToken)
            flat.cacheReadPerToken = *tier.cacheReadPerToken;
        if (tier.cacheWritePerToken)
            flat.cacheWritePerToken = *tier.cacheWritePerToken;
    }
    return flat;
}

ServiceTier serviceTierOf(QStringView name)
{
    if (name == u"priority")
        return ServiceTier::Priority;
    if (name == u"flex")
        return ServiceTier::Flex;
    if (name == u"default" || name == u"auto" || name == u"standard" || name == u"scale")
        return ServiceTier::Standard;
    return ServiceTier::Priority;
}

ModelPrice ModelPrice::scaledBy(double factor) const
{
    ModelPrice scaled = *this;
    if (factor == 1.0)
        return scaled;
    const auto scale = [factor](std::optional<double> &rate) {
        if (rate)
            *rate *= factor;
    };
    // Each rate the cost reads (cacheWriteRate() and cacheWrite1hRate() derive theirs from these).
    scaled.inputPerToken *= factor;
    scaled.outputPerToken *= factor;
    scale(scaled.cacheReadPerToken);
    scale(scaled.cacheWritePerToken);
    scale(scaled.cacheWrite1hPerToken);
    scale(scaled.inputAudioPerToken);
    scale(scaled.outputAudioPerToken);
    scale(scaled.outputReasoningPerToken);
    for (PriceTier &step : scaled.tiers) {
        scale(step.inputPerToken);
        scale(step.outputPerToken);
        scale(step.cacheReadPerToken);
        scale(step.cacheWritePerToken);
    }
    return scaled;
}

ModelPrice ModelPrice::forServiceTier(ServiceTier tier) const
{
    if (tier == ServiceTier::Standard)
        return *this;
    const TierRates &rates = tier == ServiceTier::Priority ? priority : flex;
    ModelPrice scaled = scaledBy(tier == ServiceTier::Priority ? DefaultPriorityFactor : 1.0);
    // A configured rate is flat: it replaces the prompt-size tiers of its kind.
    const auto configured = [&scaled](const std::optional<double> &rate, auto ModelPrice::*flat,
                                      std::optional<double> PriceTier::*perStep) {
        if (!rate)
            return;
        scaled.*flat = *rate;
        for (PriceTier &step : scaled.tiers)
            (step.*perStep).reset();
    };
    configured(rates.inputPerToken, &ModelPrice::inputPerToken, &PriceTier::inputPerToken);
    configured(rates.outputPerToken, &ModelPrice::outputPerToken, &PriceTier::outputPerToken);
    configured(rates.cacheReadPerToken, &ModelPrice::cacheReadPerToken, &PriceTier::cacheReadPerToken);
    return scaled;
}

NanoUsd ModelPrice::toolCost(const ToolUses &tools) const
{
    const auto fee = [](qint64 uses, double perUse) { return tokenCost(std::max<qint64>(uses, 0), perUse); };
    return addSaturated(addSaturated(fee(tools.webSearches, webSearchPerQuery), fee(tools.fileSearches, fileSearchPerCall)),
                        addSaturated(fee(tools.codeInterpreterSessions, codeInterpreterPerSession),
                                     fee(tools.imageGenerations, imageGenerationPerCall)));
}

NanoUsd ModelPrice::cost(qint64 promptTokens, qint64 completionTokens, qint64 cachedTokens,
                         qint64 cacheWriteTokens, qint64 cacheWrite1hTokens, const ToolUses &tools,
                         qint64 audioPromptTokens, qint64 audioCompletionTokens, qint64 reasoningTokens) const
{
    promptTokens = std::max<qint64>(promptTokens, 0);
    cachedTokens = std::clamp<qint64>(cachedTokens, 0, promptTokens);
    cacheWriteTokens = std::clamp<qint64>(cacheWriteTokens, 0, promptTokens - cachedTokens);
    cacheWrite1hTokens = std::clamp<qint64>(cacheWrite1hTokens, 0, cacheWriteTokens);
    const ModelPrice flat = forPromptSize(promptTokens);
    const qint64 plain = promptTokens - cachedTokens - cacheWriteTokens;
    const qint64 audioIn = std::clamp<qint64>(audioPromptTokens, 0, plain);
    completionTokens = std::max<qint64>(completionTokens, 0);
    const qint64 audioOut = std::clamp<qint64>(audioCompletionTokens, 0, completionTokens);
    const qint64 reasoning = std::clamp<qint64>(reasoningTokens, 0, completionTokens - audioOut);
    // Saturating: no count can wrap the sum into a negative (or small) cost.
    NanoUsd total = tokenCost(plain - audioIn, flat.inputPerToken);
    total = addSaturated(total, tokenCost(audioIn, flat.inputAudioRate()));
    total = addSaturated(total, tokenCost(cachedTokens, flat.cacheReadPerToken.value_or(flat.inputPerToken)));
    total = addSaturated(total, tokenCost(cacheWriteTokens - cacheWrite1hTokens, flat.cacheWriteRate()));
    total = addSaturated(total, tokenCost(cacheWrite1hTokens, flat.cacheWrite1hRate()));
    total = addSaturated(total, tokenCost(completionTokens - audioOut - reasoning, flat.outputPerToken));
    total = addSaturated(total, tokenCost(audioOut, flat.outputAudioRate()));
    total = addSaturated(total, tokenCost(reasoning, flat.outputReasoningRate()));
    return tools.isEmpty() ? total : addSaturated(total, toolCost(tools));
}

// --- PriceCatalogue -----------------------------------------------------------------------

PriceCatalogue::PriceCatalogue()
    : m_data(std::make_shared<const CatalogueData>())
{
}

PriceCatalogue::PriceCatalogue(std::shared_ptr<const CatalogueData> data)
    : m_data(std::move(data))
{
}

// shipped()'s data: loaded under the mutex by the first lookup, then read through `ready`
// (one acquire load per lookup on the relay path).
struct PriceCatalogue::Lazy
{
    std::atomic<const CatalogueData *> ready { nullptr };
    std::mutex mutex;
    std::shared_ptr<const CatalogueData> data;
};

PriceCatalogue PriceCatalogue::shipped()
{
    PriceCatalogue catalogue(nullptr);
    catalogue.m_lazy = std::make_shared<Lazy>();
    return catalogue;
}

bool PriceCatalogue::isLoaded() const
{
    return !m_lazy || m_lazy->ready.load(std::memory_order_acquire) != nullptr;
}

const CatalogueData &PriceCatalogue::data() const
{
    if (!m_lazy)
        return *m_data;
    if (const CatalogueData *ready = m_lazy->ready.load(std::memory_order_acquire))
        return *ready;
    const std::lock_guard lock(m_lazy->mutex);
    if (!m_lazy->data) {
        auto loaded = loadResource();
        if (loaded) {
            m_lazy->data = loaded->m_data;
        } else {
            qCWarning(lcPricing).noquote() << "price catalogue not loaded:" << loaded.error().message;
            m_lazy->data = std::make_shared<const CatalogueData>();
        }
        m_lazy->ready.store(m_lazy->data.get(), std::memory_order_release);
    }
    return *m_lazy->data;
}

Result<PriceCatalogue> PriceCatalogue::loadResource()
{
    const QString path = u":/tollgate/prices/genai-prices.json"_s;
    QElapsedTimer timer;
    timer.start();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(u"cannot read the price catalogue: "_s + file.errorString(), path);
    auto catalogue = loadJson(file.readAll(), path);
    if (catalogue)
        qCDebug(lcPricing).noquote() << "price catalogue:" << catalogue->providerCount() << "providers,"
                                     << catalogue->modelCount() << "models, loaded in" << timer.elapsed()
                                     << "ms";
    return catalogue;
}

Result<PriceCatalogue> PriceCatalogue::loadJson(const QByteArray &json, const QString &origin)
{
    const QString name = origin.isEmpty() ? u"price catalogue"_s : origin;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return makeError(name + u": not valid JSON at offset "_s + QString::number(parseError.offset)
                         + u": "_s + parseError.errorString());
    if (!document.isArray())
        return makeError(name + u": expected a list of providers"_s);

    auto data = std::make_shared<CatalogueData>();
    const QJsonArray providers = document.array();
    data->providers.reserve(size_t(providers.size()));
    for (const QJsonValue &value : providers) {
        auto provider = parseProvider(value, name);
        if (!provider)
            return provider.error();
        if (data->providerById.contains(provider->id))
            return makeError(name + u": provider "_s + provider->id + u" appears twice"_s);
        data->providerById.insert(provider->id, qsizetype(data->providers.size()));
        data->modelCount += qsizetype(provider->models.size());
        data->providers.push_back(std::move(provider).value());
    }
    return PriceCatalogue(std::move(data));
}

std::optional<ModelPrice> PriceCatalogue::find(const QString &provider, const QString &model,
                                               const QDateTime &at) const
{
    const auto hit = lookup(data(), provider, model);
    if (!hit)
        return std::nullopt;
    return toModelPrice(*hit, at);
}

std::optional<ModelPrice> PriceCatalogue::priceFor(const Deployment &deployment, const QDateTime &at) const
{
    QString model = deployment.underlyingModel();
    Provider provider = deployment.provider;
    // LiteLLM configs often write base_model as "azure/gpt-4o": the prefix names the provider.
    if (!deployment.baseModel.isEmpty()) {
        if (model.startsWith(u"azure/", Qt::CaseInsensitive)) {
            provider = Provider::Azure;
            model = model.mid(6);
        } else if (model.startsWith(u"openai/", Qt::CaseInsensitive)) {
            provider = Provider::OpenAI;
            model = model.mid(7);
        } else if (model.startsWith(u"anthropic/", Qt::CaseInsensitive)) {
            provider = Provider::Anthropic;
            model = model.mid(10);
        }
    }

    std::optional<ModelPrice> catalogue;
    switch (provider) {
    case Provider::OpenAI:
        catalogue = find(u"openai"_s, model, at);
        break;
    case Provider::Azure:
        catalogue = find(u"azure"_s, model, at);
        if (!catalogue) // the catalogue's azure entry lists openai as a fallback; be sure
            catalogue = find(u"openai"_s, model, at);
        break;
    case Provider::Anthropic:
        catalogue = find(u"anthropic"_s, model, at);
        break;
    case Provider::Mock:
        // The mock imitates real models: price it like the one it names.
        catalogue = find(u"openai"_s, model, at);
        if (!catalogue)
            catalogue = find(QString(), model, at);
        break;
    }

    const bool configInput = deployment.inputCostPerToken.has_value();
    const bool configOutput = deployment.outputCostPerToken.has_value();
    // cache_read_input_token_cost (LiteLLM's name) is a flat price of cached prompt tokens
    // that wins over the catalogue's, tiers included; without it a config input price bills
    // cached tokens as input.
    const auto withConfigCacheRead = [&deployment](std::optional<ModelPrice> price) {
        if (!deployment.cacheReadCostPerToken && !deployment.cacheWriteCostPerToken
            && !deployment.cacheWrite1hCostPerToken)
            return price;
        if (!price) {
            price = ModelPrice {};
            price->source = u"config"_s;
        }
        if (deployment.cacheReadCostPerToken) {
            price->cacheReadPerToken = *deployment.cacheReadCostPerToken;
            for (PriceTier &tier : price->tiers)
                tier.cacheReadPerToken.reset();
        }
        // cache_creation_input_token_cost(_above_1hr): flat, like the cache-read price.
        if (deployment.cacheWriteCostPerToken) {
            price->cacheWritePerToken = *deployment.cacheWriteCostPerToken;
            for (PriceTier &tier : price->tiers)
                tier.cacheWritePerToken.reset();
        }
        if (deployment.cacheWrite1hCostPerToken)
            price->cacheWrite1hPerToken = *deployment.cacheWrite1hCostPerToken;
        return price;
    };
    // Long-prompt rates from config.yaml (…_above_200k_tokens): a kind they price drops the
    // catalogue's tiers of that kind, as a flat config price does.
    const auto withLongPromptRates = [&deployment](std::optional<ModelPrice> price) {
        if (!price || deployment.longPromptRates.isEmpty())
            return price;
        PriceTier named;   // the kinds the config prices
        for (const PriceTier &rates : deployment.longPromptRates) {
            for (auto kind : {&PriceTier::inputPerToken, &PriceTier::outputPerToken, &PriceTier::cacheReadPerToken,
                              &PriceTier::cacheWritePerToken}) {
                if (rates.*kind)
                    named.*kind = 0.0;
            }
        }
        QList<PriceTier> tiers;
        for (PriceTier tier : std::as_const(price->tiers)) {
            for (auto kind : {&PriceTier::inputPerToken, &PriceTier::outputPerToken, &PriceTier::cacheReadPerToken,
                              &PriceTier::cacheWritePerToken}) {
                if (named.*kind)
                    (tier.*kind).reset();
            }
            if (tier.inputPerToken || tier.outputPerToken || tier.cacheReadPerToken || tier.cacheWritePerToken)
                tiers.append(tier);
        }
        mergeTiers(tiers, deployment.longPromptRates);
        price->tiers = std::move(tiers);
        return price;
    };
    // Service-tier rates and per-use tool fees from config.yaml (else the defaults).
    const auto withConfigExtras = [&deployment, &withConfigCacheRead, &withLongPromptRates](std::optional<ModelPrice> price) {
        price = withLongPromptRates(withConfigCacheRead(std::move(price)));
        // Nearly every deployment configures none of them: the defaults stand, nothing is copied.
        if (!price
            || !(deployment.inputCostPerTokenPriority || deployment.outputCostPerTokenPriority
                 || deployment.cacheReadCostPerTokenPriority || deployment.inputCostPerTokenFlex
                 || deployment.outputCostPerTokenFlex || deployment.cacheReadCostPerTokenFlex
                 || deployment.webSearchCostPerQuery || deployment.fileSearchCostPer1kCalls
                 || deployment.codeInterpreterCostPerSession || deployment.imageGenerationCostPerCall
                 || deployment.inputCostPerAudioToken || deployment.outputCostPerAudioToken
                 || deployment.outputCostPerReasoningToken))
            return price;
        price->priority = {deployment.inputCostPerTokenPriority, deployment.outputCostPerTokenPriority,
                           deployment.cacheReadCostPerTokenPriority};
        price->flex = {deployment.inputCostPerTokenFlex, deployment.outputCostPerTokenFlex,
                       deployment.cacheReadCostPerTokenFlex};
        if (deployment.webSearchCostPerQuery)
            price->webSearchPerQuery = *deployment.webSearchCostPerQuery;
        if (deployment.fileSearchCostPer1kCalls)
            price->fileSearchPerCall = *deployment.fileSearchCostPer1kCalls / 1000.0;
        if (deployment.codeInterpreterCostPerSession)
            price->codeInterpreterPerSession = *deployment.codeInterpreterCostPerSession;
        if (deployment.imageGenerationCostPerCall)
            price->imageGenerationPerCall = *deployment.imageGenerationCostPerCall;
        if (deployment.inputCostPerAudioToken)
            price->inputAudioPerToken = *deployment.inputCostPerAudioToken;
        if (deployment.outputCostPerAudioToken)
            price->outputAudioPerToken = *deployment.outputCostPerAudioToken;
        if (deployment.outputCostPerReasoningToken)
            price->outputReasoningPerToken = *deployment.outputCostPerReasoningToken;
        return price;
    };
    if (!configInput && !configOutput)
        return withConfigExtras(catalogue);

    // A config price is flat: it replaces the catalogue's tiers and cache price for its side.
    ModelPrice price;
    if (catalogue) {
        price.contextWindow = catalogue->contextWindow;  // the model's limit, whoever prices it
        // A text price says nothing of audio: its rates stay the catalogue's unless configured.
        price.inputAudioPerToken = catalogue->inputAudioPerToken;
        price.outputAudioPerToken = catalogue->outputAudioPerToken;
    }
    price.inputPerToken
        = configInput ? *deployment.inputCostPerToken : (catalogue ? catalogue->inputPerToken : 0.0);
    price.outputPerToken
        = configOutput ? *deployment.outputCostPerToken : (catalogue ? catalogue->outputPerToken : 0.0);
    if (configInput && configOutput) {
        price.source = u"config"_s;
    } else if (catalogue) {
        price.source = u"config+"_s + catalogue->source;
        // Keep the catalogue's tiers for the side it still prices.
        for (PriceTier tier : catalogue->tiers) {
            if (configInput) {
                tier.inputPerToken.reset();
                tier.cacheReadPerToken.reset();
                tier.cacheWritePerToken.reset();
            } else {
                tier.outputPerToken.reset();
            }
            if (tier.inputPerToken || tier.outputPerToken || tier.cacheReadPerToken || tier.cacheWritePerToken)
                price.tiers.append(tier);
        }
        if (!configInput) {
            price.cacheReadPerToken = catalogue->cacheReadPerToken;
            price.cacheWritePerToken = catalogue->cacheWritePerToken;
        }
    } else {
        price.source = u"config"_s;
    }
    return withConfigExtras(price);
}

std::optional<NanoUsd> PriceCatalogue::cost(const QString &provider, const QString &model,
                                            qint64 promptTokens, qint64 completionTokens, qint64 cachedTokens,
                                            const QDateTime &at) const
{
    const auto price = find(provider, model, at);
    if (!price)
        return std::nullopt;
    return price->cost(promptTokens, completionTokens, cachedTokens);
}

qsizetype PriceCatalogue::providerCount() const
{
    return qsizetype(data().providers.size());
}

qsizetype PriceCatalogue::modelCount() const
{
    return data().modelCount;
}

} // namespace Tollgate
