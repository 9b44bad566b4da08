#include "config.h"

#include "secretstore.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QLocale>
#include <QRegularExpression>
#include <QUrl>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <vector>

using namespace Qt::StringLiterals;

// Q_INIT_RESOURCE declares the initializer at the enclosing namespace scope, so it must be
// called from outside namespace Tollgate. CMake links the resource object into every target
// that uses tollgate_models, which already registers it; calling it again is harmless
// (Qt ignores a second registration) and keeps loadDefault() working however it is linked.
static void initModelResources()
{
    static std::once_flag once;
    std::call_once(once, [] { Q_INIT_RESOURCE(tollgate_models_data); });
}

namespace Tollgate {

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

int lineOf(const YAML::Node &node)
{
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
}

QString kindOf(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map: return u"map"_s;
    case YAML::NodeType::Sequence: return u"list"_s;
    case YAML::NodeType::Scalar: return u"text value"_s;
    case YAML::NodeType::Null: return u"empty value"_s;
    case YAML::NodeType::Undefined: break;
    }
    return u"nothing"_s;
}

// Values are quoted in messages, cut short so a pasted blob does not flood the log.
QString quoted(const QString &s)
{
    constexpr qsizetype kMax = 80;
    if (s.size() <= kMax)
        return u'"' + s + u'"';
    return u'"' + s.left(kMax) + u"\u2026\""_s;
}

// One key of a YAML map. Errors point at the key's line: the value of a block
// list or map starts on the next line, and an empty value has no line of its own.
struct Field
{
    QString name;   // the dotted path used in messages, e.g. "litellm_params.rpm"
    YAML::Node value;
    int line = 0;
    bool found = false;
    QString param;  // the field an error is reported against, if not `name` (a list's entry: the list)

    // Null counts as absent, as in LiteLLM (Python's None): "api_key:" = not set.
    [[nodiscard]] bool present() const { return found && !value.IsNull(); }
};

// A scalar's text with os.environ/ and keychain/ references resolved. `shown` is what
// messages may quote: the literal, or the reference for a value that came from elsewhere
// (which may be a secret and must not end up in a message).
struct Text
{
    QString value;
    QString shown;
};

// Walks the YAML tree. The first error is kept and later reads become no-ops, so the
// parsing code reads straight through and checks once per section.
class ConfigParser
{
public:
    // `secrets` null: references are refused instead of resolved (entries that came over HTTP).
    ConfigParser(QString fileName, ISecretStore *secrets)
        : m_file(std::move(fileName)), m_secrets(secrets)
    {
    }

    Result<Config> parse(const YAML::Node &root);
    // One model_list entry that came as JSON (converted to YAML nodes without marks): no
    // file and no lines; the error's `file` names the field instead (see the header).
    Result<Deployment> parseJsonEntry(const YAML::Node &item);

private:
    [[nodiscard]] bool failed() const { return m_error.has_value(); }
    void fail(int line, const QString &message)
    {
        if (!m_error) {
            m_error = makeError(message, m_file, line);
            m_errorField = m_field;
        }
    }
    // A rule about a whole field rather than one read of it.
    void failAt(int line, const QString &field, const QString &message)
    {
        if (!failed())
            m_field = field;
        fail(line, message);
    }

    Field field(const YAML::Node &map, const char *key, const QString &prefix);
    std::optional<Text> text(const Field &f, const QString &expected);
    std::optional<QString> resolve(const QString &raw, int line);

    void readString(const Field &f, QString &out);
    void readString(const Field &f, std::optional<QString> &out);
    void readInt(const Field &f, std::optional<qint64> &out, qint64 min);
    void readNumber(const Field &f, std::optional<double> &out, bool positive);
    void readBool(const Field &f, bool &out);
    void readDuration(const Field &f, std::optional<Duration> &out);
    void readStringList(const Field &f, QStringList &out);
    bool requireMap(const Field &f);
    // The service-tier rates and tool fees of `map` (litellm_params or model_info), for those
    // not read already.
    void readServicePrices(const YAML::Node &map, const QString &prefix, Deployment &d);
    void readLongPromptRates(const YAML::Node &map, const QString &prefix, Deployment &d);

    void parseLitellm(const YAML::Node &map, LitellmSettings &out);
    void parseGeneral(const YAML::Node &map, GeneralSettings &out);
    void parseDeployment(const YAML::Node &item, const LitellmSettings &settings,
                         Deployment &out, bool &explicitId, int &idLine);
    void assignIds(QList<Deployment> &models, const QList<bool> &explicitIds,
                   const QList<int> &idLines);

    QString m_file;
    ISecretStore *m_secrets;  // null = refuse references
    std::optional<Error> m_error;
    bool m_json = false;   // parsing a JSON entry: there are no lines to point at
    QString m_field;       // the field being read, for m_errorField
    QString m_errorField;  // the field the first error is about
};

Field ConfigParser::field(const YAML::Node &map, const char *key, const QString &prefix)
{
    Field f;
    f.name = prefix + QString::fromLatin1(key);
    if (!map.IsMap())
        return f;
    // Iterate instead of map[key]: the key node carries the line, lookups on odd keys
    // (lists as keys) must not throw, and a repeated key must be noticed: yaml-cpp keeps
    // both, PyYAML keeps the last, and either way half of what was written (say, the
    // models of a second model_list: pasted below the first) would silently be dropped.
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node k = it->first;
        if (!k.IsScalar() || k.Scalar() != key)
            continue;
        if (f.found) {
            fail(lineOf(k), u"duplicate key "_s + f.name + u" (first at line "_s
                                + QString::number(f.line) + u')');
            break;
        }
        f.value = it->second;
        f.line = lineOf(k);
        f.found = true;
    }
    return f;
}

std::optional<QString> ConfigParser::resolve(const QString &raw, int line)
{
    const QString where = m_json ? QString()
                                 : QString(u" (referenced at "_s + m_file + u':' + QString::number(line) + u')');
    if (!m_secrets && ConfigLoader::isSecretReference(raw)) {
        // Resolving here would hand whoever may write the entry every environment variable
        // and keychain entry of the gateway (sent to an api_base of their choosing).
        fail(line, ConfigLoader::referenceRefused(m_field));
        return std::nullopt;
    }
    if (raw.startsWith(u"os.environ/")) {
        const QString name = raw.mid(11);
        const QByteArray key = name.toLocal8Bit();
        if (name.isEmpty()) {
            fail(line, u"os.environ/ needs a variable name after the slash"_s + where);
            return std::nullopt;
        }
        if (!qEnvironmentVariableIsSet(key.constData())) {
            fail(line, u"environment variable "_s + name + u" is not set"_s + where);
            return std::nullopt;
        }
        return qEnvironmentVariable(key.constData());
    }
    if (raw.startsWith(u"keychain/")) {
        const QString name = raw.mid(9);
        if (name.isEmpty()) {
            fail(line, u"keychain/ needs a secret name after the slash"_s + where);
            return std::nullopt;
        }
        Result<QString> secret = m_secrets->readSecret(name);
        if (!secret) {
            fail(line, secret.error().message + where);
            return std::nullopt;
        }
        return std::move(secret).value();
    }
    return raw;
}

std::optional<Text> ConfigParser::text(const Field &f, const QString &expected)
{
    if (failed())
        return std::nullopt;
    m_field = f.param.isEmpty() ? f.name : f.param;
    if (!f.value.IsScalar()) {
        fail(f.line, f.name + u" must be "_s + expected + u", not a "_s + kindOf(f.value));
        return std::nullopt;
    }
    const QString raw = fromStd(f.value.Scalar());
    std::optional<QString> value = resolve(raw, f.line);
    if (!value)
        return std::nullopt;
    return Text{*value, ConfigLoader::isSecretReference(raw) ? QString(u"the value of "_s + raw) : quoted(raw)};
}

void ConfigParser::readString(const Field &f, QString &out)
{
    if (!f.present())
        return;
    if (const auto t = text(f, u"a string"_s))
        out = t->value;
}

void ConfigParser::readString(const Field &f, std::optional<QString> &out)
{
    if (!f.present())
        return;
    if (const auto t = text(f, u"a string"_s))
        out = t->value;
}

void ConfigParser::readInt(const Field &f, std::optional<qint64> &out, qint64 min)
{
    if (!f.present())
        return;
    const auto t = text(f, u"an integer"_s);
    if (!t)
        return;
    bool ok = false;
    const qint64 value = t->value.trimmed().toLongLong(&ok, 10);
    if (!ok) {
        fail(f.line, f.name + u" must be an integer, not "_s + t->shown);
        return;
    }
    if (value < min) {
        const QString rule = min == 0 ? u" must not be negative"_s
                                      : QString(u" must be at least "_s + QString::number(min));
        fail(f.line, f.name + rule + u", not "_s + t->shown);
        return;
    }
    out = value;
}

void ConfigParser::readNumber(const Field &f, std::optional<double> &out, bool positive)
{
    if (!f.present())
        return;
    const auto t = text(f, u"a number"_s);
    if (!t)
        return;
    bool ok = false;
    const double value = t->value.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(value)) {
        fail(f.line, f.name + u" must be a number, not "_s + t->shown);
        return;
    }
    if (positive && value <= 0) {
        fail(f.line, f.name + u" must be greater than 0, not "_s + t->shown);
        return;
    }
    if (value < 0) {
        fail(f.line, f.name + u" must not be negative, not "_s + t->shown);
        return;
    }
    out = value;
}

const QRegularExpression &longPromptRateName()
{
    static const QRegularExpression name(uR"(^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|)"
                                         uR"(cache_creation_input_token_cost)_above_(\d{1,7})k_tokens$)"_s);
    return name;
}

constexpr int MaxSizeMb = 65536;

void ConfigParser::readLongPromptRates(const YAML::Node &map, const QString &prefix, Deployment &d)
{
    if (!map.IsMap())
        return;
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it->first.IsScalar())
            continue;
        const std::string key = it->first.Scalar();
        const qint64 above = Deployment::longPromptThreshold(QString::fromStdString(key));
        if (above <= 0)
            continue;
        std::optional<double> rate;
        readNumber(field(map, key.c_str(), prefix), rate, false);
        if (!rate)
            continue;
        auto tier = std::find_if(d.longPromptRates.begin(), d.longPromptRates.end(),
                                 [above](const PriceTier &r) { return r.aboveInputTokens == above; });
        if (tier == d.longPromptRates.end()) {
            tier = std::upper_bound(d.longPromptRates.begin(), d.longPromptRates.end(), above,
                                    [](qint64 value, const PriceTier &r) { return value < r.aboveInputTokens; });
            tier = d.longPromptRates.insert(tier, PriceTier{above, {}, {}, {}, {}});
        }
        std::optional<double> *slot = Deployment::longPromptRateSlot(QString::fromStdString(key), *tier);
        if (!*slot)   // litellm_params is read first and wins
            *slot = rate;
    }
}

void ConfigParser::readServicePrices(const YAML::Node &map, const QString &prefix, Deployment &d)
{
    const auto number = [&](const char *key, std::optional<double> &out) {
        if (!out)
            readNumber(field(map, key, prefix), out, false);
    };
    number("input_cost_per_token_priority", d.inputCostPerTokenPriority);
    number("output_cost_per_token_priority", d.outputCostPerTokenPriority);
    number("cache_read_input_token_cost_priority", d.cacheReadCostPerTokenPriority);
    number("input_cost_per_token_flex", d.inputCostPerTokenFlex);
    number("output_cost_per_token_flex", d.outputCostPerTokenFlex);
    number("cache_read_input_token_cost_flex", d.cacheReadCostPerTokenFlex);
    number("file_search_cost_per_1k_calls", d.fileSearchCostPer1kCalls);
    number("code_interpreter_cost_per_session", d.codeInterpreterCostPerSession);
    number("image_generation_cost_per_call", d.imageGenerationCostPerCall);
    number("input_cost_per_audio_token", d.inputCostPerAudioToken);
    number("output_cost_per_audio_token", d.outputCostPerAudioToken);
    number("output_cost_per_reasoning_token", d.outputCostPerReasoningToken);
    readLongPromptRates(map, prefix, d);
    if (d.webSearchCostPerQuery)
        return;
    const Field search = field(map, "search_context_cost_per_query", prefix);
    if (!search.present() || !search.value.IsMap()) {
        readNumber(search, d.webSearchCostPerQuery, false);
        return;
    }
    // LiteLLM's form prices a search by its context size, which the gateway does not read
    // from the request: the dearest size bounds every search.
    const QString inner = search.name + u'.';
    for (const char *size : {"search_context_size_low", "search_context_size_medium", "search_context_size_high"}) {
        std::optional<double> cost;
        readNumber(field(search.value, size, inner), cost, false);
        if (cost && (!d.webSearchCostPerQuery || *cost > *d.webSearchCostPerQuery))
            d.webSearchCostPerQuery = cost;
    }
}

void ConfigParser::readBool(const Field &f, bool &out)
{
    if (!f.present())
        return;
    const auto t = text(f, u"true or false"_s);
    if (!t)
        return;
    // YAML 1.1 spellings too, since LiteLLM reads its config with PyYAML.
    const QString v = t->value.trimmed().toLower();
    if (v == u"true" || v == u"yes" || v == u"on")
        out = true;
    else if (v == u"false" || v == u"no" || v == u"off")
        out = false;
    else
        fail(f.line, f.name + u" must be true or false, not "_s + t->shown);
}

void ConfigParser::readDuration(const Field &f, std::optional<Duration> &out)
{
    if (!f.present())
        return;
    const auto t = text(f, u"a duration such as 30d"_s);
    if (!t)
        return;
    Result<Duration> d = Duration::parse(t->value);
    if (!d) {
        fail(f.line, f.name + u": "_s + d.error().message);
        return;
    }
    out = *d;
}

void ConfigParser::readStringList(const Field &f, QStringList &out)
{
    if (!f.present() || failed())
        return;
    m_field = f.name;
    if (!f.value.IsSequence()) {
        fail(f.line, f.name + u" must be a list of strings, not a "_s + kindOf(f.value));
        return;
    }
    for (auto it = f.value.begin(); it != f.value.end() && !failed(); ++it) {
        Field item{f.name + u" entry"_s, *it, lineOf(*it), true, f.name};
        if (item.line == 0)
            item.line = f.line;
        if (const auto t = text(item, u"a string"_s))
            out.append(t->value);
    }
}

bool ConfigParser::requireMap(const Field &f)
{
    if (failed())
        return false;
    m_field = f.name;
    if (!f.value.IsMap()) {
        fail(f.line, f.name + u" must be a map, not a "_s + kindOf(f.value));
        return false;
    }
    return true;
}

void ConfigParser::parseLitellm(const YAML::Node &map, LitellmSettings &out)
{
    const QString p = u"litellm_settings."_s;
    readNumber(field(map, "max_budget", p), out.maxBudget, false);
    readDuration(field(map, "budget_duration", p), out.budgetDuration);
    readNumber(field(map, "max_end_user_budget", p), out.maxEndUserBudget, false);
    readDuration(field(map, "end_user_budget_duration", p), out.endUserBudgetDuration);
    readBool(field(map, "drop_params", p), out.dropParams);
    const Field retriesField = field(map, "num_retries", p);
    std::optional<qint64> retries;
    readInt(retriesField, retries, 0);
    if (retries && *retries > 100)
        fail(retriesField.line, retriesField.name + u" must be at most 100"_s);
    else if (retries)
        out.numRetries = int(*retries);
    readNumber(field(map, "request_timeout", p), out.requestTimeout, true);
}

void ConfigParser::parseGeneral(const YAML::Node &map, GeneralSettings &out)
{
    const QString p = u"general_settings."_s;
    const Field masterKey = field(map, "master_key", p);
    std::optional<QString> key;
    readString(masterKey, key);
    // Never quote the key itself: it is a credential.
    if (key && !key->startsWith(u"sk-"))
        fail(masterKey.line, masterKey.name + u" must start with \"sk-\""_s);
    if (key)
        out.masterKey = *key;

    readString(field(map, "database_url", p), out.databaseUrl);
    readString(field(map, "journal_dir", p), out.journalDir);

    const Field enforcement = field(map, "budget_enforcement", p);
    if (enforcement.present()) {
        if (const auto t = text(enforcement, u"reserve or strict"_s)) {
            if (t->value == u"reserve")
                out.budgetEnforcement = BudgetEnforcement::Reserve;
            else if (t->value == u"strict")
                out.budgetEnforcement = BudgetEnforcement::Strict;
            else
                fail(enforcement.line,
                     enforcement.name + u" must be reserve or strict, not "_s + t->shown);
        }
    }

    // Sizes in MB, at most 64 GiB: larger ones overflowed the byte counts (every answer refused).
    const auto readSize = [&](const char *key, double &out) {
        const Field size = field(map, key, p);
        std::optional<double> value;
        readNumber(size, value, true);
        if (value && *value > MaxSizeMb)
            fail(size.line, size.name + u" must be at most %1 (MB)"_s.arg(MaxSizeMb));
        else if (value)
            out = *value;
    };
    readSize("max_request_size_mb", out.maxRequestSizeMb);
    readSize("max_response_size_mb", out.maxResponseSizeMb);
    readBool(field(map, "store_prompts", p), out.storePrompts);
    readBool(field(map, "metrics_public", p), out.metricsPublic);
    readBool(field(map, "shared_database", p), out.sharedDatabase);
    std::optional<double> leaseSeconds;
    readNumber(field(map, "shared_lease_seconds", p), leaseSeconds, true);
    if (leaseSeconds)
        out.sharedLeaseSeconds = *leaseSeconds;

    const Field origins = field(map, "allowed_origins", p);
    if (origins.present() && !failed()) {
        m_field = origins.name;
        if (!origins.value.IsSequence()) {
            fail(origins.line, origins.name + u" must be a list of origins such as "
                               "[\"https://app.example\"], not a "_s + kindOf(origins.value));
            return;
        }
        for (auto it = origins.value.begin(); it != origins.value.end() && !failed(); ++it) {
            Field item{origins.name + u" entry"_s, *it, lineOf(*it), true, origins.name};
            if (item.line == 0)
                item.line = origins.line;
            const auto t = text(item, u"an origin such as https://app.example"_s);
            if (!t)
                continue;
            if (t->value == u"*") {
                out.allowedOrigins.append(t->value);
                continue;
            }
            const QString origin = normalizedOrigin(t->value);
            if (origin.isEmpty())
                fail(item.line, origins.name + u" entries must be an origin such as https://app.example or "
                                "http://localhost:3000 (scheme, host and port only) or \"*\", not "_s + t->shown);
            else
                out.allowedOrigins.append(origin);
        }
    }
}

void ConfigParser::parseDeployment(const YAML::Node &item, const LitellmSettings &settings,
                                   Deployment &d, bool &explicitId, int &idLine)
{
    d.line = lineOf(item);
    if (!item.IsMap()) {
        failAt(d.line, {}, u"each model_list entry must be a map with model_name and "
                           "litellm_params, not a "_s + kindOf(item));
        return;
    }

    const Field name = field(item, "model_name", {});
    if (!name.present()) {
        failAt(d.line, u"model_name"_s, u"model_list entry has no model_name"_s);
        return;
    }
    readString(name, d.modelName);
    if (!failed() && d.modelName.trimmed().isEmpty())
        failAt(name.line, u"model_name"_s, u"model_name must not be empty"_s);

    const Field params = field(item, "litellm_params", {});
    if (!params.present()) {
        failAt(d.line, u"litellm_params"_s,
               u"model_list entry "_s + quoted(d.modelName) + u" has no litellm_params"_s);
        return;
    }
    if (!requireMap(params))
        return;
    const YAML::Node &pm = params.value;
    const QString p = u"litellm_params."_s;

    const Field model = field(pm, "model", p);
    if (!model.present()) {
        failAt(params.line, u"litellm_params.model"_s,
               u"litellm_params of "_s + quoted(d.modelName)
                   + u" has no model (write e.g. model: openai/gpt-4o)"_s);
        return;
    }
    QString fullModel;
    readString(model, fullModel);
    if (failed())
        return;
    const qsizetype slash = fullModel.indexOf(u'/');
    if (slash < 0) {
        failAt(model.line, model.name,
               u"litellm_params.model "_s + quoted(fullModel) + u" has no provider prefix: write openai/"_s
                   + fullModel + u", azure/<deployment> or mock/"_s + fullModel);
        return;
    }
    d.providerName = fullModel.left(slash);
    d.upstreamModel = fullModel.mid(slash + 1);
    if (d.providerName == u"openai") {
        d.provider = Provider::OpenAI;
    } else if (d.providerName == u"azure") {
        d.provider = Provider::Azure;
    } else if (d.providerName == u"anthropic") {
        d.provider = Provider::Anthropic;
    } else if (d.providerName == u"mock") {
        d.provider = Provider::Mock;
    } else {
        failAt(model.line, model.name,
               u"unknown provider "_s + quoted(d.providerName) + u" in model "_s + quoted(fullModel)
                   + u" (supported: openai/, azure/, anthropic/, mock/)"_s);
        return;
    }
    if (d.upstreamModel.isEmpty()) {
        failAt(model.line, model.name,
               u"litellm_params.model "_s + quoted(fullModel) + u" names no model after the provider prefix"_s);
        return;
    }

    const Field apiBase = field(pm, "api_base", p);
    readString(apiBase, d.apiBase);
    while (d.apiBase.endsWith(u'/'))
        d.apiBase.chop(1);
    if (!failed() && !d.apiBase.isEmpty()) {
        const QUrl url(d.apiBase, QUrl::StrictMode);
        const QString scheme = url.scheme();
        if (!url.isValid() || url.host().isEmpty()
            || (scheme != u"http" && scheme != u"https"))
            failAt(apiBase.line, apiBase.name, u"litellm_params.api_base must be an http:// or https:// URL"_s);
    }
    readString(field(pm, "api_key", p), d.apiKey);
    readString(field(pm, "api_version", p), d.apiVersion);
    readInt(field(pm, "rpm", p), d.rpm, 0);
    readInt(field(pm, "tpm", p), d.tpm, 0);
    std::optional<double> timeout;
    readNumber(field(pm, "timeout", p), timeout, true);
    d.timeoutSeconds = timeout.value_or(settings.requestTimeout.value_or(600.0));
    readNumber(field(pm, "input_cost_per_token", p), d.inputCostPerToken, false);
    readNumber(field(pm, "output_cost_per_token", p), d.outputCostPerToken, false);
    readNumber(field(pm, "cache_read_input_token_cost", p), d.cacheReadCostPerToken, false);
    readNumber(field(pm, "cache_creation_input_token_cost", p), d.cacheWriteCostPerToken, false);
    readNumber(field(pm, "cache_creation_input_token_cost_above_1hr", p), d.cacheWrite1hCostPerToken, false);
    readString(field(pm, "mock_response", p), d.mockResponse);
    if (failed())
        return;

    if (d.provider == Provider::OpenAI && d.apiBase.isEmpty())
        d.apiBase = u"https://api.openai.com/v1"_s;
    // Anthropic's base URL is without /v1 (LiteLLM's api_base for anthropic/ too): the
    // gateway appends /v1/messages.
    if (d.provider == Provider::Anthropic && d.apiBase.isEmpty())
        d.apiBase = u"https://api.anthropic.com"_s;
    if (d.provider == Provider::Anthropic && d.apiVersion.isEmpty())
        d.apiVersion = u"2023-06-01"_s;
    if (d.provider == Provider::Azure) {
        if (d.apiBase.isEmpty())
            failAt(params.line, u"litellm_params.api_base"_s,
                   u"azure deployment "_s + quoted(d.modelName)
                       + u" needs litellm_params.api_base (https://<resource>.openai.azure.com)"_s);
        else if (d.apiVersion.isEmpty())
            failAt(params.line, u"litellm_params.api_version"_s,
                   u"azure deployment "_s + quoted(d.modelName)
                       + u" needs litellm_params.api_version (e.g. \"2024-10-21\")"_s);
    }

    const Field info = field(item, "model_info", {});
    if (info.present() && requireMap(info)) {
        const QString ip = u"model_info."_s;
        const Field id = field(info.value, "id", ip);
        readString(id, d.id);
        explicitId = !d.id.isEmpty();
        idLine = id.line;
        readStringList(field(info.value, "access_groups", ip), d.accessGroups);
        readString(field(info.value, "base_model", ip), d.baseModel);
        readInt(field(info.value, "max_tokens", ip), d.maxTokens, 1);
        // LiteLLM's explicit output limit wins over the older max_tokens (admission bounds the
        // output with it).
        std::optional<qint64> maxOutput;
        readInt(field(info.value, "max_output_tokens", ip), maxOutput, 1);
        if (maxOutput)
            d.maxTokens = maxOutput;
        readString(field(info.value, "mode", ip), d.mode);
        bool reasons = false;
        const Field reasoning = field(info.value, "supports_reasoning", ip);
        readBool(reasoning, reasons);
        if (reasoning.present())
            d.supportsReasoning = reasons;
    }
    // Service-tier rates and server-side tool fees, from litellm_params or model_info (LiteLLM
    // reads custom prices from either); litellm_params wins.
    for (const auto &[node, prefix] : {std::pair{pm, p}, std::pair{info.value, u"model_info."_s}}) {
        if (node.IsMap())
            readServicePrices(node, prefix, d);
    }
    if (failed())
        return;
    if (d.mode.isEmpty())
        d.mode = u"chat"_s;

    if (!explicitId) {
        // Stable across restarts and edits elsewhere in the file; made of what identifies
        // the endpoint, never of the key.
        const QByteArray seed = (d.modelName + u'\n' + fullModel + u'\n' + d.apiBase).toUtf8();
        d.id = QString::fromLatin1(
            QCryptographicHash::hash(seed, QCryptographicHash::Sha256).toHex().left(16));
    }
}

void ConfigParser::assignIds(QList<Deployment> &models, const QList<bool> &explicitIds,
                             const QList<int> &idLines)
{
    // Ids address deployments in the API and the spend logs, so they must be unique.
    // A repeated explicit id is a mistake; a repeated hash means the same endpoint is
    // listed twice (e.g. with two API keys), which is legitimate, so it gets a suffix.
    QHash<QString, int> taken; // id -> line of its entry
    for (qsizetype i = 0; i < models.size() && !failed(); ++i) {
        if (!explicitIds[i])
            continue;
        const auto existing = taken.constFind(models[i].id);
        if (existing != taken.constEnd()) {
            fail(idLines[i], u"model_info.id "_s + quoted(models[i].id)
                                 + u" is already used by the model_list entry at line "_s
                                 + QString::number(*existing));
            return;
        }
        taken.insert(models[i].id, models[i].line);
    }
    for (qsizetype i = 0; i < models.size(); ++i) {
        if (explicitIds[i])
            continue;
        const QString base = models[i].id;
        QString id = base;
        for (int n = 2; taken.contains(id); ++n)
            id = base + u'-' + QString::number(n);
        models[i].id = id;
        taken.insert(id, models[i].line);
    }
}

Result<Config> ConfigParser::parse(const YAML::Node &root)
{
    Config config;
    config.sourceFile = m_file;
    if (!root.IsDefined() || root.IsNull())
        return config; // an empty file: no models, every setting at its default
    if (!root.IsMap())
        return makeError(u"the config must be a map with model_list, litellm_settings and "
                         "general_settings, not a "_s + kindOf(root),
                         m_file, lineOf(root));

    // litellm_settings first: its request_timeout is the deployments' default timeout.
    const Field litellm = field(root, "litellm_settings", {});
    if (litellm.present() && requireMap(litellm))
        parseLitellm(litellm.value, config.litellm);

    const Field general = field(root, "general_settings", {});
    if (general.present() && requireMap(general))
        parseGeneral(general.value, config.general);

    const Field modelList = field(root, "model_list", {});
    if (modelList.present() && !failed()) {
        if (!modelList.value.IsSequence()) {
            fail(modelList.line, u"model_list must be a list, not a "_s + kindOf(modelList.value));
        } else {
            QList<bool> explicitIds;
            QList<int> idLines;
            for (auto it = modelList.value.begin(); it != modelList.value.end() && !failed();
                 ++it) {
                Deployment d;
                bool explicitId = false;
                int idLine = 0;
                parseDeployment(*it, config.litellm, d, explicitId, idLine);
                config.models.append(std::move(d));
                explicitIds.append(explicitId);
                idLines.append(idLine);
            }
            if (!failed())
                assignIds(config.models, explicitIds, idLines);
        }
    }

    if (m_error)
        return *m_error;
    return config;
}

Result<Deployment> ConfigParser::parseJsonEntry(const YAML::Node &item)
{
    m_json = true;
    Deployment deployment;
    bool explicitId = false;
    int idLine = 0;
    // No litellm_settings here: a stored model's default timeout must not depend on
    // which config.yaml the gateway happens to run with.
    parseDeployment(item, LitellmSettings{}, deployment, explicitId, idLine);
    if (m_error)
        return Error{m_error->message, m_errorField, 0};
    return deployment;
}

// --- JSON entries -----------------------------------------------------------------------

enum class JsonKind { String, Integer, Number, Bool, StringList, Object };

struct JsonRule
{
    const char *object;  // "" = the entry itself
    const char *field;
    JsonKind kind;
};

// The fields of a model_list entry and the JSON type each must have. YAML scalars are
// untyped text, so the parser alone would take 500 for a model name or "500" for an rpm.
constexpr JsonRule kJsonRules[] = {
    {"", "model_name", JsonKind::String},
    {"", "litellm_params", JsonKind::Object},
    {"", "model_info", JsonKind::Object},
    {"litellm_params", "model", JsonKind::String},
    {"litellm_params", "api_base", JsonKind::String},
    {"litellm_params", "api_key", JsonKind::String},
    {"litellm_params", "api_version", JsonKind::String},
    {"litellm_params", "rpm", JsonKind::Integer},
    {"litellm_params", "tpm", JsonKind::Integer},
    {"litellm_params", "timeout", JsonKind::Number},
    {"litellm_params", "input_cost_per_token", JsonKind::Number},
    {"litellm_params", "output_cost_per_token", JsonKind::Number},
    {"litellm_params", "cache_read_input_token_cost", JsonKind::Number},
    {"litellm_params", "cache_creation_input_token_cost", JsonKind::Number},
    {"litellm_params", "cache_creation_input_token_cost_above_1hr", JsonKind::Number},
    {"litellm_params", "mock_response", JsonKind::String},
    {"litellm_params", "input_cost_per_token_priority", JsonKind::Number},
    {"litellm_params", "output_cost_per_token_priority", JsonKind::Number},
    {"litellm_params", "cache_read_input_token_cost_priority", JsonKind::Number},
    {"litellm_params", "input_cost_per_token_flex", JsonKind::Number},
    {"litellm_params", "output_cost_per_token_flex", JsonKind::Number},
    {"litellm_params", "cache_read_input_token_cost_flex", JsonKind::Number},
    {"litellm_params", "file_search_cost_per_1k_calls", JsonKind::Number},
    {"litellm_params", "code_interpreter_cost_per_session", JsonKind::Number},
    {"litellm_params", "image_generation_cost_per_call", JsonKind::Number},
    {"litellm_params", "input_cost_per_audio_token", JsonKind::Number},
    {"litellm_params", "output_cost_per_audio_token", JsonKind::Number},
    {"litellm_params", "output_cost_per_reasoning_token", JsonKind::Number},
    {"model_info", "id", JsonKind::String},
    {"model_info", "access_groups", JsonKind::StringList},
    {"model_info", "base_model", JsonKind::String},
    {"model_info", "max_tokens", JsonKind::Integer},
    {"model_info", "max_output_tokens", JsonKind::Integer},
    {"model_info", "mode", JsonKind::String},
    {"model_info", "supports_reasoning", JsonKind::Bool},
};

QString jsonKindOf(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool: return u"true/false"_s;
    case QJsonValue::Double: return u"a number"_s;
    case QJsonValue::String: return u"a string"_s;
    case QJsonValue::Array: return u"a list"_s;
    case QJsonValue::Object: return u"an object"_s;
    case QJsonValue::Null:
    case QJsonValue::Undefined: break;
    }
    return u"null"_s;
}

bool isInteger(const QJsonValue &value)
{
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53: beyond it doubles skip integers
    const double v = value.toDouble();
    return value.isDouble() && std::isfinite(v) && std::floor(v) == v && std::fabs(v) <= kMaxExact;
}

// The first field of `entry` with the wrong JSON type, as an error naming it.
std::optional<Error> checkJsonTypes(const QJsonObject &entry)
{
    for (const JsonRule &rule : kJsonRules) {
        const QString object = QString::fromLatin1(rule.object);
        const QString field = QString::fromLatin1(rule.field);
        const QJsonObject container = object.isEmpty() ? entry : entry.value(object).toObject();
        const QJsonValue value = container.value(field);
        if (value.isNull() || value.isUndefined())
            continue;  // null counts as absent, as in the file
        const QString name = object.isEmpty() ? field : QString(object + u'.' + field);
        QString expected;
        switch (rule.kind) {
        case JsonKind::String:
            if (!value.isString())
                expected = u"a string"_s;
            break;
        case JsonKind::Integer:
            if (!isInteger(value))
                expected = u"an integer"_s;
            break;
        case JsonKind::Number:
            if (!value.isDouble())
                expected = u"a number"_s;
            break;
        case JsonKind::Bool:
            if (!value.isBool())
                expected = u"true or false"_s;
            break;
        case JsonKind::Object:
            if (!value.isObject())
                expected = u"an object"_s;
            break;
        case JsonKind::StringList:
            if (!value.isArray()) {
                expected = u"a list of strings"_s;
                break;
            }
            for (const QJsonValue &item : value.toArray()) {
                if (!item.isString())
                    return Error{name + u" must be a list of strings, but holds "_s + jsonKindOf(item), name, 0};
            }
            break;
        }
        if (!expected.isEmpty()) {
            // A number's or text's value may be quoted; an object's or list's is not useful.
            QString shown = jsonKindOf(value);
            if (value.isDouble())
                shown = QString::number(value.toDouble(), 'g', QLocale::FloatingPointShortest);
            else if (value.isString())
                shown = quoted(value.toString());
            return Error{name + u" must be "_s + expected + u", not "_s + shown, name, 0};
        }
    }
    return std::nullopt;
}

std::string toStd(const QString &s)
{
    const QByteArray utf8 = s.toUtf8();
    return std::string(utf8.constData(), size_t(utf8.size()));
}

// JSON as the YAML nodes the config parser reads: numbers and booleans become the text
// YAML would hold for them.
YAML::Node toYaml(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool:
        return YAML::Node(value.toBool() ? "true" : "false");
    case QJsonValue::Double: {
        const double v = value.toDouble();
        // Integers in full ("200000", not "2e+05"): the parser reads rpm with toLongLong.
        if (isInteger(value))
            return YAML::Node(toStd(QString::number(qint64(v))));
        return YAML::Node(toStd(QString::number(v, 'g', QLocale::FloatingPointShortest)));
    }
    case QJsonValue::String:
        return YAML::Node(toStd(value.toString()));
    case QJsonValue::Array: {
        YAML::Node list(YAML::NodeType::Sequence);
        for (const QJsonValue &item : value.toArray())
            list.push_back(toYaml(item));
        return list;
    }
    case QJsonValue::Object: {
        YAML::Node map(YAML::NodeType::Map);
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            map[toStd(it.key())] = toYaml(it.value());
        return map;
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return YAML::Node(YAML::NodeType::Null);
}

} // namespace

Result<Config> ConfigLoader::loadString(const QByteArray &yaml, const QString &fileName,
                                        ISecretStore &secrets)
{
    // yaml-cpp reports everything by exception; none may leave this function.
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(yaml.constData(), size_t(yaml.size())));
    } catch (const YAML::Exception &e) {
        const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
        return makeError(u"YAML syntax error: "_s + fromStd(e.msg), fileName, line);
    } catch (const std::exception &e) {
        return makeError(u"cannot read the YAML: "_s + QString::fromUtf8(e.what()), fileName);
    } catch (...) {
        return makeError(u"cannot read the YAML"_s, fileName);
    }

    try {
        // A second document (after "---") would be ignored by a single-document load;
        // PyYAML refuses it too.
        for (size_t i = 1; i < documents.size(); ++i) {
            if (documents[i].IsDefined() && !documents[i].IsNull())
                return makeError(u"the config holds more than one YAML document (a second "
                                 "one starts with ---); put everything into one"_s,
                                 fileName, lineOf(documents[i]));
        }
        ConfigParser parser(fileName, &secrets);
        return parser.parse(documents.empty() ? YAML::Node() : documents.front());
    } catch (const YAML::Exception &e) {
        const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
        return makeError(u"cannot read the config: "_s + fromStd(e.msg), fileName, line);
    } catch (const std::exception &e) {
        return makeError(u"cannot read the config: "_s + QString::fromUtf8(e.what()), fileName);
    } catch (...) {
        return makeError(u"cannot read the config"_s, fileName);
    }
}

Result<Deployment> ConfigLoader::deploymentFromJson(const QJsonObject &entry)
{
    if (auto wrongType = checkJsonTypes(entry))
        return *wrongType;
    try {
        ConfigParser parser(QString(), nullptr);
        return parser.parseJsonEntry(toYaml(entry));
    } catch (const std::exception &e) {
        return Error{u"cannot read the model entry: "_s + QString::fromUtf8(e.what()), QString(), 0};
    } catch (...) {
        return Error{u"cannot read the model entry"_s, QString(), 0};
    }
}

Result<Config> ConfigLoader::loadFile(const QString &path, ISecretStore &secrets)
{
    const QFileInfo info(path);
    if (!info.exists())
        return makeError(u"config file "_s + path + u" does not exist"_s, path);
    if (info.isDir())
        return makeError(u"config file "_s + path + u" is a directory"_s, path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(u"cannot open config file "_s + path + u": "_s + file.errorString(),
                         path);
    const QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return makeError(u"cannot read config file "_s + path + u": "_s + file.errorString(),
                         path);
    return loadString(data, path, secrets);
}

Result<Config> ConfigLoader::loadDefault(ISecretStore &secrets)
{
    initModelResources();
    QFile file(u":/tollgate/default-config.yaml"_s);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(u"the built-in config resource is missing"_s, u"<built-in>"_s);
    return loadString(file.readAll(), u"<built-in>"_s, secrets);
}

bool ConfigLoader::isSecretReference(QStringView value)
{
    return value.startsWith(u"os.environ/") || value.startsWith(u"keychain/");
}

QString ConfigLoader::referenceRefused(const QString &field)
{
    return field + u" must be the value itself: os.environ/ and keychain/ references are read only from config.yaml"_s;
}

QString normalizedOrigin(const QString &origin)
{
    const QUrl url(origin.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty()
        || !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment()
        || (!url.path().isEmpty() && url.path() != u"/"))
        return {};
    const QString host = url.host().toLower();
    QString result = scheme + u"://"_s + (host.contains(u':') ? u"["_s + host + u"]"_s : host);
    const int port = url.port();
    if (port != -1 && port != (scheme == u"https" ? 443 : 80))
        result += u':' + QString::number(port);
    return result;
}

bool Deployment::reasonsUnseen(std::optional<bool> asked) const
{
    if (supportsReasoning == false)
        return false;
    if (asked)
        return *asked;
    if (supportsReasoning)
        return true;
    // The families that reason by default, by the name of the model the deployment runs (a
    // provider's prefix, such as "openai/" or "accounts/x/models/", left out). A model not named
    // here is told by model_info.supports_reasoning. Asked on every call: each name's answer is
    // kept (a few names per gateway; ~5k instructions a call to match them each time).
    thread_local QHash<QString, bool> known;
    const QString &name = underlyingModel();
    if (const auto it = known.constFind(name); it != known.cend())
        return *it;
    QString model = name.toLower();
    model = model.mid(model.lastIndexOf(u'/') + 1);
    static const QRegularExpression families(
        uR"(^o[1-9](\b|-|$)|gpt-5|codex|reason|(^|[-_.])r1([-_.:]|$)|qwq|thinking|magistral|grok-4|grok-3-mini|gemini-(2\.5|[3-9]|flash|pro))"_s);
    if (known.size() >= 1024)
        known.clear();   // names from a hostile model table stay few
    return known[name] = families.match(model).hasMatch();
}

qint64 Deployment::longPromptThreshold(const QString &key)
{
    const QRegularExpressionMatch match = longPromptRateName().match(key);
    return match.hasMatch() ? match.captured(2).toLongLong() * 1000 : 0;
}

std::optional<double> *Deployment::longPromptRateSlot(const QString &key, PriceTier &rates)
{
    const QRegularExpressionMatch match = longPromptRateName().match(key);
    if (!match.hasMatch())
        return nullptr;
    const QStringView kind = match.capturedView(1);
    return kind == u"input_cost_per_token"         ? &rates.inputPerToken
           : kind == u"output_cost_per_token"       ? &rates.outputPerToken
           : kind == u"cache_read_input_token_cost" ? &rates.cacheReadPerToken
                                                    : &rates.cacheWritePerToken;
}

} // namespace Tollgate
