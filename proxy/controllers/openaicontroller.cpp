#include "openaicontroller.h"

#include "../../models/identityregistry.h"
#include "../../models/pricing.h"
#include "../../models/store/identityrepository.h"
#include "../../models/store/responserepository.h"
#include "../../models/store/store.h"
#include "../../models/tokencount.h"
#include "../access.h"
#include "../anthropic.h"
#include "../anthropicchat.h"
#include "../responses.h"
#include "../accounting.h"
#include "../apierror.h"
#include "../deployments.h"
#include "../jsonreader.h"
#include "../jsonscan.h"
#include "management.h"
#include "../refusals.h"
#include "../relay.h"
#include "../upstream/upstreamclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// The most items an embeddings request's input may hold (OpenAI's limit).
constexpr qsizetype MaxEmbeddingInputs = 2048;

HttpResponse jsonResponse(const QJsonObject &object)
{
    HttpResponse response;
    response.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return response;
}

// The longest mock_response a request may carry (a canned answer for tests and demos).
constexpr qsizetype MaxMockResponseChars = 64 * 1024;

// Checks what the gateway itself relies on; the provider validates the rest. `scan`: `body`
// holds only the fields the scan read (RequestFields reads the others' types from the scan).
std::optional<HttpResponse> validate(CallType type, const QJsonObject &body, const RequestScan *scan = nullptr)
{
    const RequestFields fields(body, scan);
    const QString model = fields.string("model"_L1);
    if (model.isEmpty())
        return errorResponse(ApiError::BadRequest, u"'model' is required and must be a string."_s, u"model"_s);
    const auto wrongType = [&](QLatin1StringView field, const QString &expected) {
        return errorResponse(ApiError::BadRequest, u"'%1' must be %2."_s.arg(field, expected), QString(field));
    };
    const auto absentOr = [&](QLatin1StringView field, QJsonValue::Type type) {
        const QJsonValue::Type found = fields.type(field);
        return found == QJsonValue::Undefined || found == QJsonValue::Null || found == type;
    };
    if (!absentOr("stream"_L1, QJsonValue::Bool))
        return wrongType("stream"_L1, u"a boolean"_s);
    if (!absentOr("user"_L1, QJsonValue::String))
        return wrongType("user"_L1, u"a string"_s);
    if (!absentOr("stream_options"_L1, QJsonValue::Object))
        return wrongType("stream_options"_L1, u"an object"_s);
    // The tier prices the call (see requestedTier).
    if ((type == CallType::ChatCompletion || type == CallType::Completion)
        && !absentOr("service_tier"_L1, QJsonValue::String))
        return wrongType("service_tier"_L1, u"a string"_s);
    // What bounds the reservation must be a number the bound can use: a whole number of
    // tokens (0 or more) and a positive count of completions. 1e18 is whole: it is reserved
    // at the model's output limit.
    const auto wholeNumber = [&](QLatin1StringView field, double minimum) {
        const QJsonValue value = fields.value(field);
        return value.isUndefined() || value.isNull() || isWholeNumber(value, minimum);
    };
    // 0 is no limit to some providers (Gemini reads it as unset, Ollama as unlimited), and OpenAI
    // refuses it: at least 1, as the bound that admits the call assumes.
    for (const QLatin1StringView field : {"max_tokens"_L1, "max_completion_tokens"_L1}) {
        if (!wholeNumber(field, 1))
            return wrongType(field, u"an integer of 1 or more"_s);
    }
    for (const QLatin1StringView field : {"n"_L1, "best_of"_L1}) {
        if (!wholeNumber(field, 1))
            return wrongType(field, u"a positive integer"_s);
    }
    // Any caller may ask for a canned answer, streamed a word to an event and counted on the
    // gateway's thread: a 4 MB one held every other call for 24 s and 600 MB.
    if (fields.type("mock_response"_L1) == QJsonValue::String
        && fields.value("mock_response"_L1).toString().size() > MaxMockResponseChars)
        return errorResponse(ApiError::BadRequest,
                             u"'mock_response' may hold at most %1 characters."_s.arg(MaxMockResponseChars),
                             u"mock_response"_s);
    switch (type) {
    case CallType::ChatCompletion:
        if (fields.type("messages"_L1) != QJsonValue::Array)
            return errorResponse(ApiError::BadRequest, u"'messages' is required and must be an array."_s,
                                 u"messages"_s);
        break;
    case CallType::Completion:
        if (!body.contains(u"prompt"_s))
            return errorResponse(ApiError::BadRequest, u"'prompt' is required."_s, u"prompt"_s);
        break;
    case CallType::Embedding:
        if (!body.value(u"input"_s).isString() && !body.value(u"input"_s).isArray())
            return errorResponse(ApiError::BadRequest, u"'input' is required and must be a string or an array."_s,
                                 u"input"_s);
        // OpenAI's limit: a provider refuses more, and the mock would answer a vector for each.
        if (body.value(u"input"_s).toArray().size() > MaxEmbeddingInputs)
            return errorResponse(ApiError::BadRequest,
                                 u"'input' may hold at most %1 items."_s.arg(MaxEmbeddingInputs), u"input"_s);
        break;
    case CallType::Messages:
    case CallType::Responses:
        break;  // checked by their dialect's translation
    }
    return std::nullopt;
}

// The tier an OpenAI request asks for (service_tier, checked to be a string or absent): absent,
// "auto" and "default" are the standard tier, "flex" flex, "priority" and any value not known
// here priority (the dearest: reserved and, unless the answer names its tier, billed at it).
ServiceTier requestedTier(const RequestFields &fields)
{
    if (fields.type("service_tier"_L1) != QJsonValue::String)
        return ServiceTier::Standard;
    return serviceTierOf(fields.string("service_tier"_L1));
}

// No service_tier, or "auto": the provider's project setting decides the tier.
bool tierLeftToProvider(const RequestFields &fields)
{
    return fields.type("service_tier"_L1) != QJsonValue::String || fields.string("service_tier"_L1) == u"auto";
}

// A request naming context the provider keeps and bills as input, under strict budgets: refused
// (400) naming the field and what it names.
HttpResponse storedContextRefused(const QString &field, const QString &what)
{
    return errorResponse(
        ApiError::BadRequest,
        u"'%1' names context the provider keeps (%2) and bills as input: what it costs cannot be bounded before "
        "the call, as strict budgets require (general_settings.budget_enforcement: strict). Send the content itself, "
        "or use reserve mode."_s.arg(field, what),
        field);
}

// Gemini's cached content, named by a chat request (LiteLLM's top-level cached_content, or Google's
// OpenAI-compatible extra_body.google.cached_content): the field, or empty.
QString cachedContentField(const RequestFields &fields, const QJsonObject &body, const RequestScan *scan)
{
    if (fields.contains("cached_content"_L1))
        return u"cached_content"_s;
    if (fields.type("extra_body"_L1) != QJsonValue::Object)
        return {};
    const QByteArray text = scan ? scan->text("extra_body").toByteArray()
                                 : QJsonDocument(body.value(u"extra_body"_s).toObject()).toJson(QJsonDocument::Compact);
    return text.contains("cached_content") ? u"extra_body"_s : QString();
}

// An earlier spoken answer named by its id in a chat request (an assistant message's
// {"audio": {"id": …}}): OpenAI puts that audio back into the prompt, billed as audio input.
bool namesStoredAudio(const QByteArray &raw, const QJsonObject &body, bool partial)
{
    if (!containsBytes(raw, "\"audio\""))
        return false;
    const QJsonArray messages = (partial ? QJsonDocument::fromJson(raw).object() : body).value(u"messages"_s).toArray();
    return std::any_of(messages.cbegin(), messages.cend(), [](const QJsonValue &message) {
        const QJsonValue audio = message.toObject().value(u"audio"_s);
        return audio.isObject() && audio.toObject().contains(u"id"_s);
    });
}

// Fields with which the provider adds billed work the request does not show, or answers with
// another model than the one priced: Azure's On Your Data (`data_sources`: the documents it finds
// are billed as prompt), OpenRouter's fallback models (`models`, `route`), provider preferences
// (`provider`: the same model at another provider's price) and plugins (`plugins`: a paid web
// search). Strict budgets refuse them: the first one present, or empty.
QString unboundedWorkField(const RequestFields &fields)
{
    for (const auto &[field, name] : {std::pair{"data_sources"_L1, u"data_sources"_s}, std::pair{"models"_L1, u"models"_s},
                                      std::pair{"route"_L1, u"route"_s}, std::pair{"provider"_L1, u"provider"_s},
                                      std::pair{"plugins"_L1, u"plugins"_s}}) {
        const QJsonValue::Type type = fields.type(field);
        if (type != QJsonValue::Undefined && type != QJsonValue::Null)
            return name;
    }
    return {};
}

HttpResponse unboundedWorkRefused(const QString &field)
{
    return errorResponse(
        ApiError::BadRequest,
        u"'%1' lets the provider add work the request does not show (documents it retrieves, a search) or answer "
        "with another model than the one priced: what it costs cannot be bounded before the call, as strict budgets "
        "require (general_settings.budget_enforcement: strict). Leave it out, or use reserve mode."_s.arg(field),
        field);
}

// Whether a chat request asks its model to reason: reasoning_effort ("none": false), or an
// object of reasoning options (OpenRouter's "reasoning", Anthropic's "thinking"); nullopt: neither.
std::optional<bool> chatAsksReasoning(const RequestFields &fields)
{
    if (fields.type("reasoning_effort"_L1) == QJsonValue::String)
        return fields.string("reasoning_effort"_L1) != u"none";
    if (fields.type("reasoning"_L1) == QJsonValue::Object || fields.type("thinking"_L1) == QJsonValue::Object)
        return true;
    return std::nullopt;
}

// A model request's body as every JSON parser, the provider's too, reads it: escapes of ASCII
// characters undone ("t\u0079pe" is "type"), since the byte scanners read it as it is written.
// Rewritten in the request, so that whatever reads the body later sees the same.
const QByteArray &modelRequestBody(RequestContext &context)
{
    unescapeAscii(context.request.body);
    return context.request.body;
}

// A request that has the provider run tools, under strict budgets: refused (400) naming the
// field.
HttpResponse hostedToolsRefused(const QString &field)
{
    return errorResponse(ApiError::BadRequest,
                         u"'%1' asks for tools the provider runs itself (web search, file search, code "
                         "execution, MCP, …): their results are added to the input and each use is billed, so "
                         "the call's cost cannot be bounded before it runs, as strict budgets require "
                         "(general_settings.budget_enforcement: strict). Use function tools, or reserve mode."_s
                             .arg(field),
                         field);
}

} // namespace

OpenAIController::OpenAIController(GatewayServices &services) : m_services(services) {}

bool OpenAIController::strictBudgets() const
{
    return m_services.accounting && m_services.accounting->ledger().enforcement() == BudgetEnforcement::Strict;
}

OpenAIController::~OpenAIController()
{
    if (m_counting)
        m_counting->waitForDone();   // its answers then find m_alive gone
}

void OpenAIController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    router.add("POST", u"/chat/completions"_s, Access::Authenticated, u"Create a chat completion"_s,
               [this](RequestContext &c, const ResponderPtr &r) { relay(CallType::ChatCompletion, c, r); });
    router.add("POST", u"/completions"_s, Access::Authenticated, u"Create a text completion"_s,
               [this](RequestContext &c, const ResponderPtr &r) { relay(CallType::Completion, c, r); });
    router.add("POST", u"/embeddings"_s, Access::Authenticated, u"Create embeddings"_s,
               [this](RequestContext &c, const ResponderPtr &r) { relay(CallType::Embedding, c, r); });
    // Anthropic's Messages API, for Claude Code and the Anthropic SDKs (?beta=true is ignored).
    router.add("POST", u"/messages"_s, Access::Authenticated, u"Create a message (Anthropic Messages API)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { messages(c, r); });
    router.add("POST", u"/messages/count_tokens"_s, Access::Authenticated,
               u"Count a message's input tokens (Anthropic Messages API)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { countTokens(c, r); });
    // OpenAI's Responses API, for Codex and the OpenAI SDKs' responses.*.
    router.add("POST", u"/responses"_s, Access::Authenticated, u"Create a response (OpenAI Responses API)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { responses(c, r); });
    router.add("GET", u"/responses/{response_id}"_s, Access::Authenticated, u"Retrieve a stored response"_s,
               [this](RequestContext &c, const ResponderPtr &r) { storedResponse("GET", {}, c, r); });
    router.add("DELETE", u"/responses/{response_id}"_s, Access::Authenticated, u"Delete a stored response"_s,
               [this](RequestContext &c, const ResponderPtr &r) { storedResponse("DELETE", {}, c, r); });
    router.add("POST", u"/responses/{response_id}/cancel"_s, Access::Authenticated, u"Cancel a response"_s,
               [this](RequestContext &c, const ResponderPtr &r) { storedResponse("POST", u"/cancel"_s, c, r); });
    router.add("GET", u"/responses/{response_id}/input_items"_s, Access::Authenticated,
               u"List a stored response's input items"_s,
               [this](RequestContext &c, const ResponderPtr &r) { storedResponse("GET", u"/input_items"_s, c, r); });
    router.add("GET", u"/models"_s, Access::Authenticated, u"List the models the caller may use"_s,
               [this](RequestContext &c, const ResponderPtr &r) { listModels(c, r); });
    router.add("GET", u"/model/info"_s, Access::Authenticated, u"Deployments with prices and access groups"_s,
               [this](RequestContext &c, const ResponderPtr &r) { modelInfo(c, r); });
}

bool OpenAIController::checkAvailable(const ResponderPtr &responder)
{
    if (m_services.shuttingDown) {
        responder->send(errorResponse(ApiError::ServiceUnavailable, u"Tollgate is shutting down."_s));
        return false;
    }
    if (m_services.paused) {
        responder->send(errorResponse(ApiError::ServiceUnavailable,
                                      u"The gateway is paused; resume it in Tollgate or POST /gateway/resume"_s));
        return false;
    }
    return true;
}

std::optional<QJsonObject> OpenAIController::parseBody(const RequestContext &context, const ResponderPtr &responder)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(context.request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        responder->send(errorResponse(ApiError::BadRequest,
                                      u"Invalid JSON in request body: %1 at offset %2."_s.arg(
                                          parseError.errorString()).arg(parseError.offset)));
        return std::nullopt;
    }
    if (!document.isObject()) {
        responder->send(errorResponse(ApiError::BadRequest, u"The request body must be a JSON object."_s));
        return std::nullopt;
    }
    return document.object();
}

std::optional<QString> OpenAIController::resolveModel(const RequestContext &context, const QString &requested,
                                                      const ResponderPtr &responder)
{
    const ModelAccess access(context.caller, m_services.identities, *m_services.deployments);
    const QString model = access.resolve(requested);
    if (!m_services.deployments->contains(model)) {
        responder->send(errorResponse(
            ApiError::BadRequest,
            u"Invalid model name passed in model=%1. Call `/v1/models` to view available models for your key."_s
                .arg(requested),
            u"model"_s));
        return std::nullopt;
    }
    if (const auto decision = access.check(model); decision != ModelAccess::Decision::Allowed) {
        const bool byKey = decision == ModelAccess::Decision::DeniedByKey;
        responder->send(errorResponse(
            byKey ? ApiError::KeyModelAccessDenied : ApiError::UserModelAccessDenied,
            u"%1 not allowed to access model. This %1 can only access models=[%2]. Tried to access %3."_s.arg(
                byKey ? u"key"_s : u"user"_s, access.allowedEntries(decision).join(u", "_s), requested),
            u"model"_s));
        return std::nullopt;
    }
    return model;
}

namespace {

// The client's anthropic-version and anthropic-beta headers, forwarded to anthropic/.
HeaderList anthropicClientHeaders(const HttpRequest &request)
{
    HeaderList headers;
    for (const auto &[name, value] : request.headers) {
        if (equalsIgnoringCase(name, "anthropic-version") || equalsIgnoringCase(name, "anthropic-beta"))
            headers.append({name.toLower(), value});
    }
    return headers;
}

// Tools make the provider add its own instructions to the prompt (Anthropic documents a few
// hundred tokens): bounded generously when a prompt is bounded by its bytes.
constexpr qint64 ToolUseOverheadTokens = 1000;

// Whether an Anthropic request asks to write its prompt to the cache, and for how long.
PromptExtras::CacheWrites cacheWritesOf(const QByteArray &raw)
{
    using CacheWrites = PromptExtras::CacheWrites;
    if (!containsBytes(raw, "cache_control"))
        return CacheWrites::None;
    return containsBytes(raw, "\"1h\"") ? CacheWrites::OneHour : CacheWrites::FiveMinutes;
}

// An OpenAI request names no output limit, Anthropic requires one: the model's (model_info
// max_output_tokens), else this.
constexpr qint64 DefaultAnthropicMaxTokens = 8192;

HttpResponse cannotServe(const Deployment &deployment, const QString &what)
{
    return errorResponse(ApiError::BadRequest,
                         u"Model %1 is served by a %2/ deployment, which cannot answer %3."_s.arg(
                             deployment.modelName, deployment.providerName, what),
                         u"model"_s);
}

} // namespace

void OpenAIController::relay(CallType type, RequestContext &context, const ResponderPtr &responder)
{
    if (!checkAvailable(responder))
        return;
    const QByteArray raw = modelRequestBody(context);
    // Chat's plain requests are read without a DOM of their messages: only an exact count of
    // the prompt, a translation or the mock parses them.
    std::optional<QJsonObject> body;
    std::optional<RequestScan> scan;
    if (type == CallType::ChatCompletion) {
        scan.emplace(raw);
        if (readableWithoutMessages(*scan, raw))
            body = scan->objectOf(ReadFields::Chat);
        else
            scan.reset();
    }
    if (!body)
        body = parseBody(context, responder);
    if (!body)
        return;
    if (auto error = validate(type, *body, scan ? &*scan : nullptr)) {
        responder->send(*error);
        return;
    }
    const RequestFields fields(*body, scan ? &*scan : nullptr);
    const QString requested = fields.string("model"_L1);
    const QString endUser = fields.string("user"_L1);
    const bool partial = scan.has_value();
    const bool walked = partial && promptWalkReadsBesideMessages(*scan);
    const std::optional<SpliceSite> site = partial ? spliceSiteOf(*scan) : std::nullopt;
    const ServiceTier tier = type == CallType::Embedding ? ServiceTier::Standard : requestedTier(fields);
    const bool leftToProvider = type != CallType::Embedding && tierLeftToProvider(fields);
    // The search-preview models search once a call (web_search_options).
    const QJsonValue::Type searchOptions = fields.type("web_search_options"_L1);
    const bool webSearch = type == CallType::ChatCompletion && searchOptions != QJsonValue::Undefined
                           && searchOptions != QJsonValue::Null;
    if (webSearch && strictBudgets()) {
        responder->send(hostedToolsRefused(u"web_search_options"_s));
        return;
    }
    if (strictBudgets() && type != CallType::Embedding) {
        if (const QString field = cachedContentField(fields, *body, scan ? &*scan : nullptr); !field.isEmpty()) {
            responder->send(storedContextRefused(field, u"Gemini's cached content"_s));
            return;
        }
        if (type == CallType::ChatCompletion && namesStoredAudio(raw, *body, partial)) {
            responder->send(storedContextRefused(u"messages"_s, u"an earlier spoken answer by its audio id"_s));
            return;
        }
        if (const QString field = unboundedWorkField(fields); !field.isEmpty()) {
            responder->send(unboundedWorkRefused(field));
            return;
        }
    }
    const std::optional<bool> reasoning = chatAsksReasoning(fields);
    // Chat's audio output options (with modalities ["text", "audio"]): the answer is spoken.
    const bool audioOutput = type == CallType::ChatCompletion && fields.type("audio"_L1) == QJsonValue::Object;
    Shaper shape = [type, body = std::move(*body), raw, partial = partial, walked, site, tier, leftToProvider, webSearch,
                    reasoning, audioOutput](const Deployment &deployment, RelayCall::Params &params, ResponderPtr &client,
                                 PromptExtras &extras) mutable {
        params.dialect = dialectName(type);
        params.reasoningAsked = reasoning;
        params.audioOutput = extras.audioOutput = audioOutput;
        if (partial && (deployment.provider == Provider::Anthropic || deployment.provider == Provider::Mock
                        || deployment.mockResponse)) {
            body = QJsonDocument::fromJson(raw).object();   // translated, or answered by the mock: all of it
            partial = false;
        }
        if (deployment.provider == Provider::Anthropic) {
            if (type != CallType::ChatCompletion) {
                client->send(cannotServe(deployment, dialectName(type)));
                return false;
            }
            // Translated into a Message and back (proxy/anthropicchat.h).
            const qint64 maxTokens = deployment.maxTokens.value_or(DefaultAnthropicMaxTokens);
            Anthropic::MessagesRequest messages = Anthropic::toMessagesRequest(body, deployment.upstreamModel, maxTokens);
            if (!messages.error.isEmpty()) {
                client->send(errorResponse(ApiError::BadRequest, messages.error,
                                           messages.errorParam.isEmpty() ? std::optional<QString>()
                                                                         : std::optional<QString>(messages.errorParam)));
                return false;
            }
            params.type = CallType::Messages;
            params.callTypeName = callTypeName(CallType::ChatCompletion);
            params.body = body;
            if (!body.contains(u"max_tokens"_s) && !body.contains(u"max_completion_tokens"_s))
                params.body.insert(u"max_tokens"_s, maxTokens);  // what was asked for, so bounded
            params.upstreamBody = std::move(messages.body);
            // A content part's cache_control goes into the Message: its prompt is written to the
            // cache, billed at the write rates (a strict budget bounded it at the input rate).
            extras.cacheWrites = cacheWritesOf(raw);
            const bool includeUsage
                = body.value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool(false);
            client = std::make_shared<Anthropic::ChatResponder>(client, body.value(u"model"_s).toString(),
                                                                includeUsage);
            return true;
        }
        params.type = type;
        params.body = body;
        params.rawBody = raw;
        params.requestedTier = tier;
        params.tierLeftToProvider = leftToProvider;
        params.chatWebSearch = webSearch;
        if (webSearch)
            extras.expectedTools.webSearches = 1;   // reserve mode holds its fee
        if (partial) {
            params.partialBody = true;
            params.spliceSite = site;
            extras.promptBound = plainChatPromptBound(raw, body, deployment.underlyingModel(), walked);
            extras.promptBytes = raw.size();
            extras.exactPrompt = [raw, model = deployment.underlyingModel()] {
                return countRequestPromptTokens(QJsonDocument::fromJson(raw).object(), model);
            };
            params.exactPrompt = extras.exactPrompt;
        }
        return true;
    };
    relayCall(context, requested, endUser, shape, responder);
}

void OpenAIController::messages(RequestContext &context, const ResponderPtr &responder)
{
    if (!checkAvailable(responder))
        return;
    const QByteArray raw = modelRequestBody(context);
    // Plain requests are read without a DOM of their prompt (messages, system, tools): only a
    // translation for another provider, or an exact count, parses them.
    const bool plainContent = onlyPlainContent(raw);
    std::optional<QJsonObject> body;
    const RequestScan scan(plainContent ? raw : QByteArray());   // not read when not plain
    const bool partial = plainContent && scan.ok() && !scan.contains("mock_response");
    if (partial)
        body = scan.objectOf(ReadFields::Messages);
    else
        body = parseBody(context, responder);
    if (!body)
        return;
    const RequestFields fields(*body, partial ? &scan : nullptr);
    const QString requested = fields.string("model"_L1);
    if (requested.isEmpty()) {
        responder->send(errorResponse(ApiError::BadRequest, u"model: Field required (a string)."_s, u"model"_s));
        return;
    }
    QString endUser;
    if (fields.type("metadata"_L1) == QJsonValue::Object) {
        if (!partial) {
            endUser = body->value(u"metadata"_s).toObject().value(u"user_id"_s).toString();
        } else {
            const QByteArrayView text = scan.text("metadata");
            const RequestScan metadata(QByteArray::fromRawData(text.data(), text.size()));
            endUser = metadata.ok() ? metadata.string("user_id")
                                    : QJsonDocument::fromJson(text.toByteArray())
                                          .object()
                                          .value(u"user_id"_s)
                                          .toString();
        }
    }
    const bool tools = fields.contains("tools"_L1);
    if (strictBudgets() && (tools || fields.contains("mcp_servers"_L1))) {
        // A plain request's tools are custom ones (onlyPlainContent lets no other type through);
        // its mcp_servers are read here.
        static constexpr std::array<QByteArrayView, 1> McpServers{"mcp_servers"};
        const QString field = Anthropic::serverToolField(partial ? scan.objectOf(McpServers) : *body);
        if (!field.isEmpty()) {
            responder->send(hostedToolsRefused(field));
            return;
        }
    }
    const HeaderList forwarded = anthropicClientHeaders(context.request);
    const std::optional<SpliceSite> site = partial ? spliceSiteOf(scan) : std::nullopt;
    Shaper shape = [native = std::move(*body), raw, forwarded, plainContent, partial, tools, site](
                       const Deployment &deployment, RelayCall::Params &params, ResponderPtr &client,
                       PromptExtras &extras) mutable {
        params.dialect = u"messages"_s;
        params.reasoningAsked = Anthropic::asksThinking(native);
        if (deployment.provider == Provider::Anthropic) {
            // Anthropic's own dialect: the client's bytes go as they are (model replaced). What
            // admission counts: the bytes themselves when they hold nothing billed beyond them,
            // else a lenient translation (which counts images and documents as such).
            Anthropic::ChatRequest counted;
            if (partial) {
                // Read without a DOM of its prompt (ReadFields::Messages): checked as outputBounds
                // checks it (its model was checked from the scan), and admission reads max_tokens
                // and stream of it as they are (the end user came from metadata.user_id already).
                counted.error = Anthropic::outputBoundsError(native, true);
                counted.body = native;
            } else if (plainContent) {
                counted = Anthropic::outputBounds(native);
            }
            if (plainContent) {
                const QString model = deployment.underlyingModel();
                extras.promptBound = raw.size() + (tools ? ToolUseOverheadTokens : 0);
                extras.exactPrompt = [native, raw, model, partial] {
                    const QJsonObject request = partial ? QJsonDocument::fromJson(raw).object() : native;
                    return countRequestPromptTokens(Anthropic::toChatRequest(request, true, true).body, model);
                };
                params.exactPrompt = extras.exactPrompt;
                params.partialBody = partial;
                if (partial)
                    params.spliceSite = site;
            } else {
                counted = Anthropic::toChatRequest(native, false, true);
            }
            if (!counted.error.isEmpty()) {
                client->send(errorResponse(ApiError::BadRequest, counted.error));
                return false;
            }
            // Read without its prompt, the body holds only max_tokens and stream (ReadFields::
            // Messages), which outputBoundsError checked more strictly than validate() would, and
            // the model was checked from the scan.
            if (auto error = partial ? std::nullopt : validate(CallType::ChatCompletion, counted.body)) {
                client->send(*error);
                return false;
            }
            params.type = CallType::Messages;
            params.body = std::move(counted.body);
            params.upstreamBody = native;
            params.rawBody = raw;
            params.clientHeaders = forwarded;
            // Anthropic's web search tool bills each search (a plain request declares none).
            if (tools && !partial)
                params.expectedTools = extras.expectedTools = Anthropic::expectedToolUses(native);
            // Fast mode and data residency cost more per token (the fields pass through as sent).
            params.priceFactor = Anthropic::priceFactor(native);
            return true;
        }
        if (partial)
            native = QJsonDocument::fromJson(raw).object();   // translated: all of it
        Anthropic::ChatRequest chat = Anthropic::toChatRequest(native);
        if (!chat.error.isEmpty()) {
            client->send(errorResponse(ApiError::BadRequest, chat.error));
            return false;
        }
        if (auto error = validate(CallType::ChatCompletion, chat.body)) {
            client->send(*error);
            return false;
        }
        // The router gave Anthropic's routes this responder; from here on the chat answer (and
        // stream) it receives goes out as a Message.
        if (auto anthropic = findResponder<Anthropic::Responder>(client))
            anthropic->translateAnswers(native.value(u"model"_s).toString(), chat.notTranslated);
        params.type = CallType::ChatCompletion;
        params.callTypeName = u"anthropic_messages"_s;
        params.rawBody = QJsonDocument(chat.body).toJson(QJsonDocument::Compact);
        params.body = std::move(chat.body);
        return true;
    };
    PromptExtras extras;
    extras.cacheWrites = cacheWritesOf(raw);
    relayCall(context, requested, endUser, shape, responder, {}, extras);
}

void OpenAIController::forwardAnswer(UpstreamRequest request, const QString &base, const ResponderPtr &responder,
                                     std::function<void(int status)> answered)
{
    struct Answer
    {
        int status = 0;
        QByteArray contentType;
        QByteArray body;
        HeldAnswers::Share held;
        UpstreamCallId id = 0;
        bool refused = false;   // past the answer limit: answered already
    };
    auto answer = std::make_shared<Answer>();
    // Held like a relayed answer, under the same limits (GatewayServices::answers): past 64 MB
    // one was cut and sent as a 200, and twenty at once were held whole.
    GatewayServices *services = &m_services;
    const auto release = [answer, services] {
        services->answers.release(answer->held);
        answer->body.clear();
    };
    UpstreamHandlers handlers;
    handlers.onHead = [answer](int status, const HeaderList &headers) {
        answer->status = status;
        for (const auto &[name, value] : headers) {
            if (equalsIgnoringCase(name, "content-type"))
                answer->contentType = value;
        }
    };
    handlers.onData = [answer, services, responder, release](const QByteArray &chunk) {
        if (answer->refused)
            return;
        switch (services->answers.take(answer->held, chunk.size(), services->answers.maxEach())) {
        case HeldAnswers::Room::Held:
            answer->body += chunk;
            return;
        case HeldAnswers::Room::Wait:
            answer->body += chunk;
            services->upstream->setPaused(answer->id, true);
            services->answers.waitForRoom([waiting = std::weak_ptr<Answer>(answer), services] {
                if (auto answer = waiting.lock(); answer && !answer->refused)
                    services->upstream->setPaused(answer->id, false);   // a finished id is no call
            });
            return;
        case HeldAnswers::Room::PastItsLimit:
            break;
        }
        answer->refused = true;
        release();
        services->upstream->cancel(answer->id);
        responder->send(errorResponse(ApiError::UpstreamError,
                                      u"The provider's answer is larger than the gateway holds (max_response_size_mb)."_s));
    };
    handlers.onDone = [answer, responder, base, release, answered = std::move(answered)](const UpstreamResult &result) {
        if (answer->refused)
            return;
        const QByteArray body = answer->body;
        release();
        if (result.status != UpstreamResult::Status::Ok) {
            responder->send(errorResponse(ApiError::UpstreamError,
                                          u"Could not reach the provider at %1: %2"_s.arg(base, result.message)));
            return;
        }
        if (answered)
            answered(answer->status);
        HttpResponse response;
        response.status = answer->status;
        response.contentType = answer->contentType.isEmpty() ? QByteArrayLiteral("application/json") : answer->contentType;
        response.body = body;
        responder->send(std::move(response));
    };
    answer->id = m_services.upstream->start(std::move(request), std::move(handlers));
}

void OpenAIController::countTokens(RequestContext &context, const ResponderPtr &responder)
{
    const QByteArray &raw = context.request.body;
    if (raw.size() > InlineCountBytes) {
        // A large body is read and counted on the counting thread (a 20 MB one took 6 s here, and
        // every other call waited); only its model is read here, to check the caller may use it.
        const RequestScan scan(raw);
        const QJsonValue::Type modelType = scan.ok() ? scan.type("model") : QJsonValue::Undefined;
        const auto model = modelType == QJsonValue::String ? resolveModel(context, scan.string("model"), responder)
                                                           : std::nullopt;
        if (modelType == QJsonValue::String && !model)
            return;
        const auto members = model ? m_services.deployments->group(*model) : QList<const Deployment *>{};
        const Deployment *first = members.isEmpty() ? nullptr : members.first();
        if (model && !(first && first->provider == Provider::Anthropic && !first->mockResponse)) {
            std::function<HttpResponse()> count = [raw, tokenizerModel = first ? first->underlyingModel() : *model] {
                const QJsonObject body = QJsonDocument::fromJson(raw).object();
                const Anthropic::ChatRequest chat = Anthropic::toChatRequest(body, true, true);
                if (!chat.error.isEmpty())
                    return errorResponse(ApiError::BadRequest, chat.error);
                return jsonResponse({{u"input_tokens"_s, countRequestPromptTokens(chat.body, tokenizerModel)}});
            };
            std::function<void(HttpResponse)> answer = [responder](HttpResponse counted) {
                if (!responder->isFinished() && responder->isConnected())
                    responder->send(std::move(counted));
            };
            if (!offThread(std::move(count), std::move(answer)))
                responder->send(countingBusy());
            return;
        }
        // A body that is no object with a model (its error is told below), or an Anthropic
        // deployment's (the provider counts).
    }
    const std::optional<QJsonObject> body = parseBody(context, responder);
    if (!body)
        return;
    const Anthropic::ChatRequest chat = Anthropic::toChatRequest(*body, true, true);
    if (!chat.error.isEmpty()) {
        responder->send(errorResponse(ApiError::BadRequest, chat.error));
        return;
    }
    const auto model = resolveModel(context, chat.body.value(u"model"_s).toString(), responder);
    if (!model)
        return;
    const auto members = m_services.deployments->group(*model);
    const Deployment *first = members.isEmpty() ? nullptr : members.first();
    if (first && first->provider == Provider::Anthropic && !first->mockResponse) {
        // The provider's own count (its tokenizer is not public).
        QJsonObject upstreamBody = *body;
        upstreamBody.insert(u"model"_s, first->upstreamModel);
        UpstreamRequest request = prepareCountTokensRequest(
            *first, QJsonDocument(upstreamBody).toJson(QJsonDocument::Compact), anthropicClientHeaders(context.request));
        forwardAnswer(std::move(request), first->apiBase, responder);
        return;
    }
    // The tokenizer's count for the model the group serves (its encoding, its image costs).
    const QString tokenizerModel = first ? first->underlyingModel() : *model;
    responder->send(jsonResponse({{u"input_tokens"_s, countRequestPromptTokens(chat.body, tokenizerModel)}}));
}

void OpenAIController::responses(RequestContext &context, const ResponderPtr &responder)
{
    if (!checkAvailable(responder))
        return;
    // The bytes bound the prompt when they hold nothing billed beyond them (and the request
    // is passed through as it is): then the chat-shaped body needs no messages, and the
    // request is read without a DOM of its input and tools (only the mock, or an exact count,
    // parses them).
    const QByteArray raw = modelRequestBody(context);
    // An "id" key may be an item reference without a type (Responses::isItemReference): such a
    // request is read whole.
    const bool plainContent = onlyPlainContent(raw) && !containsBytes(raw, "\"id\"");
    const RequestScan scan(plainContent ? raw : QByteArray());   // not read when not plain
    const bool partial = plainContent && scan.ok() && !scan.contains("prompt");
    std::optional<QJsonObject> body;
    if (partial)
        body = scan.objectOf(ReadFields::Responses);
    else
        body = parseBody(context, responder);
    if (!body)
        return;
    const RequestFields fields(*body, partial ? &scan : nullptr);
    const bool plain = plainContent && !fields.contains("prompt"_L1);
    const bool tools = fields.contains("tools"_L1);
    Responses::AccountingBody counted
        = Responses::accountingBody(*body, !plain, partial ? &scan : nullptr);
    if (const QJsonValue::Type conversation = fields.type("conversation"_L1);
        counted.error.isEmpty() && conversation != QJsonValue::Undefined && conversation != QJsonValue::Null) {
        // A conversation object adds its stored items to the prompt, unseen and uncounted.
        counted.error = u"conversation objects are not supported: the context they add cannot be metered by the "
                        "gateway; send the input, or continue with previous_response_id."_s;
        counted.errorParam = u"conversation"_s;
    }
    if (!counted.error.isEmpty()) {
        responder->send(errorResponse(ApiError::BadRequest, counted.error,
                                      counted.errorParam.isEmpty() ? std::optional<QString>()
                                                                   : std::optional<QString>(counted.errorParam)));
        return;
    }
    // accountingBody checked every field validate() would check of the chat-shaped body it made
    // (model, stream, user, max_tokens), and a plain one holds only max_tokens.
    // A follow-up continues a response the provider keeps: same deployment, and its context
    // (the previous response's input and output) is part of this call's prompt.
    QString pinned;
    PromptExtras extras;
    const QString previous = fields.string("previous_response_id"_L1);
    if (!previous.isEmpty()) {
        const std::optional<ResponseDirectory::Entry> entry = m_responses.find(previous);
        if (!entry || (entry->tokenHash != context.caller.tokenHash && !context.caller.isAdmin())) {
            responder->send(errorResponse(
                ApiError::NotFound,
                u"Previous response with id '%1' not found: this gateway continues only responses it relayed for "
                "this key (the last 100,000, at most 10,000 a key). Send the conversation in full instead."_s.arg(previous),
                u"previous_response_id"_s));
            return;
        }
        pinned = entry->deploymentId;
        extras.hiddenTokens = entry->contextTokens;
    }
    // Hosted tools (web search, file search, …): a plain request has none (onlyPlainContent
    // lets only function and custom tools through).
    const bool hosted = tools && !partial && Responses::declaresHostedTools(body->value(u"tools"_s));
    if (hosted && strictBudgets()) {
        responder->send(hostedToolsRefused(u"tools"_s));
        return;
    }
    // A prompt template or an item_reference names context the provider keeps and bills as
    // input: its size is unknown here (a plain request has neither: onlyPlainContent).
    if (const QString field = partial ? QString() : Responses::storedContextField(*body);
        !field.isEmpty() && strictBudgets()) {
        responder->send(storedContextRefused(field, u"a prompt template, an item_reference"_s));
        return;
    }
    if (const QString field = strictBudgets() ? unboundedWorkField(fields) : QString(); !field.isEmpty()) {
        responder->send(unboundedWorkRefused(field));
        return;
    }
    const ServiceTier tier = requestedTier(fields);
    const bool leftToProvider = tierLeftToProvider(fields);
    const QString requested = fields.string("model"_L1);
    const QString endUser = fields.string("user"_L1);  // a string, or absent or null (checked)
    const QByteArray tokenHash = context.caller.tokenHash;
    const QString tokenHashText = context.caller.tokenHashText;
    const std::optional<SpliceSite> site = partial ? spliceSiteOf(scan) : std::nullopt;
    Shaper shape = [this, native = std::move(*body), chat = std::move(counted.chat), raw, tokenHash, tokenHashText, plain,
                    partial = partial, tools, site, hosted, tier, leftToProvider](const Deployment &deployment, RelayCall::Params &params,
                                                                ResponderPtr &client, PromptExtras &extras) mutable {
        params.dialect = dialectName(CallType::Responses);
        params.reasoningAsked = Responses::asksReasoning(native);
        params.hostedTools = hosted;
        if (hosted)
            params.expectedTools = extras.expectedTools = Responses::expectedToolUses(native.value(u"tools"_s));
        params.requestedTier = tier;
        params.tierLeftToProvider = leftToProvider;
        if (!speaksNatively(deployment, CallType::Responses)) {
            client->send(cannotServe(deployment, u"the Responses API (use /v1/messages or /v1/chat/completions)"_s));
            return false;
        }
        params.type = CallType::Responses;
        params.body = chat;
        const bool mock = deployment.provider == Provider::Mock || deployment.mockResponse;
        if (partial && mock) {
            native = QJsonDocument::fromJson(raw).object();   // the mock answers from all of it
            partial = false;
        }
        if (plain && mock) {
            params.body = Responses::accountingBody(native).chat;   // the mock counts its input from it
        } else if (plain) {
            const QString model = deployment.underlyingModel();
            extras.promptBound = raw.size() + (tools ? ToolUseOverheadTokens : 0);
            extras.exactPrompt = [native, raw, model, partial] {
                const QJsonObject request = partial ? QJsonDocument::fromJson(raw).object() : native;
                return countRequestPromptTokens(Responses::accountingBody(request).chat, model);
            };
            params.exactPrompt = extras.exactPrompt;
            params.partialBody = partial;
        }
        params.upstreamBody = native;
        params.rawBody = raw;
        if (partial)
            params.spliceSite = site;
        params.onResponse = [this, id = deployment.id, group = deployment.modelName, tokenHash, tokenHashText](
                                const QString &responseId, const Usage &usage) -> std::optional<Store::WriteJob> {
            m_responses.remember(responseId, {id, group, tokenHash, usage.totalTokens});
            if (!m_services.store)
                return std::nullopt;
            return ResponseRepository::save(
                {responseId, id, group, tokenHashText, usage.totalTokens, Management::now(m_services)});
        };
        return true;
    };
    relayCall(context, requested, endUser, shape, responder, pinned, extras);
}

Result<void> OpenAIController::loadStoredResponses()
{
    if (!m_services.store)
        return {};
    auto loaded = m_services.store->readNow([](QSqlDatabase &db) {
        auto rows = ResponseRepository::loadRecent(db, ResponsesKept);
        return rows ? QVariant::fromValue(*rows) : QVariant::fromValue(rows.error());
    });
    if (!loaded)
        return loaded.error();
    if (loaded->canConvert<Error>())
        return loaded->value<Error>();
    for (const StoredResponse &row : loaded->value<QList<StoredResponse>>())
        m_responses.remember(row.responseId, {row.deploymentId, row.modelGroup, row.apiKey.toLatin1(), row.contextTokens});
    return {};
}

void OpenAIController::storedResponse(const QByteArray &method, const QString &tail, RequestContext &context,
                                      const ResponderPtr &responder)
{
    const QString id = context.pathParams.value(0);
    const std::optional<ResponseDirectory::Entry> entry = m_responses.find(id);
    const Deployment *deployment = entry ? m_services.deployments->find(entry->deploymentId) : nullptr;
    const ModelAccess access(context.caller, m_services.identities, *m_services.deployments);
    // Another key's response, or one of a model this key may no longer use, is not there for it.
    if (!entry || !deployment || (entry->tokenHash != context.caller.tokenHash && !context.caller.isAdmin())
        || access.check(entry->modelGroup) != ModelAccess::Decision::Allowed) {
        responder->send(errorResponse(ApiError::NotFound,
                                      u"No response with id '%1' was created through this gateway by this key."_s.arg(id)));
        return;
    }
    if (deployment->provider == Provider::Mock || deployment->mockResponse) {
        responder->send(errorResponse(ApiError::NotFound,
                                      u"Response '%1' was answered by the mock, which stores no responses."_s.arg(id)));
        return;
    }
    QByteArray subpath = QUrl::toPercentEncoding(id) + tail.toUtf8();
    if (const QString query = context.request.query.toString(QUrl::FullyEncoded); !query.isEmpty())
        subpath += '?' + query.toUtf8();
    const bool deleting = method == "DELETE";
    forwardAnswer(prepareResponsesRequest(*deployment, method, subpath), deployment->apiBase, responder,
                  [this, id, deleting](int status) {
                      if (deleting && status >= 200 && status < 300) {
                          m_responses.forget(id);
                          if (m_services.store)
                              m_services.store->write(ResponseRepository::remove(id), m_services.context);
                      }
                  });
}

void OpenAIController::relayCall(RequestContext &context, const QString &requested, const QString &endUser,
                                 const Shaper &shape, ResponderPtr responder, const QString &pinned,
                                 const PromptExtras &extras)
{
    // api.md §5, in order: end user not blocked → model exists → model allowed; an unknown
    // end user is created only once all of them passed, so refused calls leave no rows.
    const auto recorder = findResponder<RefusalRecorder>(responder);
    if (!checkEndUser(endUser, responder))
        return;
    const std::optional<QString> resolved = resolveModel(context, requested, responder);
    if (!resolved)
        return;
    const QString model = *resolved;
    const Deployment *deployment = nullptr;
    if (!pinned.isEmpty()) {
        deployment = m_services.deployments->find(pinned);
        if (!deployment || deployment->modelName != model) {
            responder->send(errorResponse(
                ApiError::BadRequest,
                u"The previous response was created by another model (or a deployment since removed); "
                "continue it with the model that created it."_s,
                u"previous_response_id"_s));
            return;
        }
    } else {
        deployment = m_services.deployments->pick(model);
    }

    RelayCall::Params params;
    PromptExtras shaped = extras;
    if (!shape(*deployment, params, responder, shaped))
        return;
    if (model != requested)
        params.body.insert(u"model"_s, model);

    // Config prices, else the catalogue's (an empty catalogue still applies config prices).
    std::optional<ModelPrice> price = m_services.prices ? m_services.prices->priceFor(*deployment)
                                                        : PriceCatalogue().priceFor(*deployment);
    if (price && params.priceFactor != 1.0)
        price = price->scaledBy(params.priceFactor);

    params.deployment = *deployment;
    params.reasonsUnseen = deployment->reasonsUnseen(params.reasoningAsked);
    params.endUser = endUser;
    params.sessionId = sessionIdOf(sessionHeader(context.request));
    params.apiKeyHash = context.caller.tokenHashText;
    params.receivedAt = context.request.receivedAt;
    params.userId = context.caller.userId;
    params.price = std::move(price);
    if (mustClaimEndUser(endUser)) {
        claimUnknownEndUser(endUser, [this, caller = context.caller, params = std::move(params), shaped, responder,
                                      recorder](std::shared_ptr<PendingEndUser> pending) mutable {
            params.pendingEndUser = std::move(pending);
            if (checkEndUser(params.endUser, responder))  // blocked by another instance meanwhile
                admitAndRelay(caller, std::move(params), shaped, std::move(responder), recorder);
        });
        return;
    }
    params.pendingEndUser = createUnknownEndUser(endUser);
    admitAndRelay(context.caller, std::move(params), shaped, std::move(responder), recorder);
}

HttpResponse OpenAIController::countingBusy()
{
    return errorResponse(ApiError::ServiceUnavailable,
                         u"The gateway is counting %1 large prompts already; try again shortly."_s
                             .arg(MaxQueuedCounts));
}

template <typename Result>
bool OpenAIController::offThread(std::function<Result()> work, std::function<void(Result)> then)
{
    if (!m_counting) {
        m_counting = std::make_unique<QThreadPool>();
        m_counting->setMaxThreadCount(1);   // the other core stays the gateway's
    }
    if (m_queuedCounts->load() >= MaxQueuedCounts)
        return false;
    ++*m_queuedCounts;
    // Back on this thread, unless the controller is gone by then. Handed over whole: what `then`
    // holds (a responder) is let go on the gateway thread.
    auto resume = std::make_shared<std::function<void(Result)>>(
        [alive = std::weak_ptr<int>(m_alive), then = std::move(then)](Result result) mutable {
            if (!alive.expired())
                then(std::move(result));
        });
    m_counting->start([work = std::move(work), resume = std::move(resume), queued = m_queuedCounts,
                       context = m_services.context]() mutable {
        Result result = work();
        --*queued;
        QMetaObject::invokeMethod(
            context, [resume = std::move(resume), result = std::move(result)]() mutable { (*resume)(std::move(result)); },
            Qt::QueuedConnection);
    });
    return true;
}

void OpenAIController::countThenAdmit(const Caller &caller, RelayCall::Params params, const PromptExtras &extras,
                                      ResponderPtr responder, const std::shared_ptr<RefusalRecorder> &recorder)
{
    // What Accounting's refine would have counted here (tokenizing reads shared, immutable tables).
    std::function<qint64()> count = [exactPrompt = extras.exactPrompt, body = params.body,
                                      model = params.deployment.underlyingModel()] {
        return countPrompt(exactPrompt, body, model);
    };
    // Admitted again with the count, unless the client left meanwhile (then nothing was held for
    // it, and nothing is sent).
    std::function<void(qint64)> resume = [this, caller, params = std::move(params), extras,
                                          responder, recorder](qint64 counted) mutable {
        if (responder->isFinished() || !responder->isConnected())
            return;
        PromptExtras withCount = extras;
        withCount.exactPromptCount = counted;
        admitAndRelay(caller, std::move(params), withCount, std::move(responder), recorder);
    };
    if (!offThread(std::move(count), std::move(resume)))
        responder->send(countingBusy());
}

void OpenAIController::admitAndRelay(const Caller &caller, RelayCall::Params params, const PromptExtras &extras,
                                     ResponderPtr responder, const std::shared_ptr<RefusalRecorder> &recorder)
{
    // Budgets, then rate limits: reserve the call's estimated cost everywhere it applies.
    Accounting::Decision admission;
    if (m_services.accounting) {
        PromptExtras admitted = extras;
        admitted.noOutput = params.type == CallType::Embedding;
        admitted.countOffThread = m_services.context != nullptr;
        // Priority processing costs more: reserved at its rates, so that a strict budget holds
        // whichever tier serves the call (flex costs less than the standard rates reserved). A
        // call that leaves the tier to the provider is reserved at the tier the provider served
        // the deployment's last such call at (an OpenAI project may make priority its default).
        bool reservePriority = params.requestedTier == ServiceTier::Priority;
        if (params.tierLeftToProvider) {
            const auto served = m_services.providerTiers.constFind(params.deployment.id);
            reservePriority = served != m_services.providerTiers.cend() && *served == ServiceTier::Priority;
        }
        std::optional<ModelPrice> priority;
        if (reservePriority && params.price)
            priority = params.price->forServiceTier(ServiceTier::Priority);
        admission = m_services.accounting->admit(caller, params.endUser, params.deployment, params.body,
                                                 priority ? priority : params.price, admitted);
        if (admission.waitsForLease()) {
            // Shared budgets (docs/shared-budgets.md): parked, never blocking this thread, until
            // the store answered the lease; then admitted (or refused) from the start again.
            m_services.accounting->waitForLeases(
                admission, [this, caller, params = std::move(params), extras, responder, recorder]() mutable {
                    admitAndRelay(caller, std::move(params), extras, std::move(responder), recorder);
                });
            return;
        }
        if (admission.needsExactCount) {
            countThenAdmit(caller, std::move(params), extras, std::move(responder), recorder);
            return;
        }
        if (admission.refusal) {
            responder->send(*admission.refusal);
            return;
        }
    }

    params.reservation = admission.reservation;
    params.heldOutputTokens = admission.heldOutputTokens;
    params.outputLimit = admission.outputLimit;
    params.hiddenPromptTokens = std::max<qint64>(extras.hiddenTokens, 0);
    params.admissionHeaders = std::move(admission.headers);

    if (params.pendingEndUser)
        storeNewEndUser(*params.pendingEndUser);
    if (recorder)
        recorder->setRelayed();   // the relay records the call, whatever becomes of it
    auto call = std::make_shared<RelayCall>(m_services, std::move(params), responder);
    call->onFinished = [this](RelayCall *finished) { m_active.remove(finished); };
    m_active.insert(call.get(), call);
    call->start();
    watchInFlight(call);
}

void OpenAIController::watchInFlight(const std::shared_ptr<RelayCall> &call)
{
    if (!call->awaitsProvider() || !m_services.store)
        return;
    m_unnoted.emplace_back(SteadyClock::now(), call);
    if (!m_noteTimer) {
        m_noteTimer = std::make_unique<QTimer>();
        QObject::connect(m_noteTimer.get(), &QTimer::timeout, m_noteTimer.get(), [this] { noteCallsInFlight(); });
    }
    if (!m_noteTimer->isActive())
        m_noteTimer->start(InFlightNoteDelay);
}

void OpenAIController::noteCallsInFlight()
{
    const SteadyClock::time_point due = SteadyClock::now() - InFlightNoteDelay;
    bool noted = false;
    while (!m_unnoted.empty()) {
        const auto &[startedAt, weak] = m_unnoted.front();
        const std::shared_ptr<RelayCall> call = weak.lock();
        if (call && call->awaitsProvider()) {
            if (startedAt > due)
                break;   // the ones after it started later still
            call->noteInFlight();
            noted = true;
        }
        m_unnoted.pop_front();
    }
    if (noted)
        m_services.store->writeJournal();
    if (m_unnoted.empty())
        m_noteTimer->stop();
}

bool OpenAIController::checkEndUser(const QString &endUserId, const ResponderPtr &responder)
{
    if (!Management::checkEndUserId(endUserId, u"user"_s, responder))
        return false;
    if (endUserId.isEmpty() || !m_services.identities)
        return true;
    if (const EndUser *known = m_services.identities->endUser(endUserId); known && known->blocked) {
        responder->send(errorResponse(ApiError::AuthError, u"End user %1 is blocked."_s.arg(endUserId), u"user"_s));
        return false;
    }
    return true;
}

EndUser OpenAIController::newEndUser(const QString &endUserId) const
{
    // Unknown end users are created on first use, with the default end-user budget.
    EndUser created;
    created.userId = endUserId;
    created.createdAt = created.updatedAt = Management::now(m_services);
    if (const Config *config = m_services.config) {
        if (config->litellm.maxEndUserBudget)
            created.budget.maxBudget = usdToNanos(*config->litellm.maxEndUserBudget);
        if (config->litellm.endUserBudgetDuration) {
            created.budget.duration = config->litellm.endUserBudgetDuration;
            created.budget.resetAt = config->litellm.endUserBudgetDuration->addTo(created.createdAt);
        }
    }
    return created;
}

bool OpenAIController::mustClaimEndUser(const QString &endUserId) const
{
    return !endUserId.isEmpty() && !m_services.instanceId.isEmpty() && m_services.store && m_services.identities
           && !m_services.identities->endUser(endUserId);
}

void OpenAIController::claimUnknownEndUser(const QString &endUserId,
                                           std::function<void(std::shared_ptr<PendingEndUser>)> then)
{
    // Made here, an end user would get a window of its own on each instance (each resetting it
    // in turn) and the last instance's row would overwrite the spend of the first: one row,
    // made by whichever instance comes first, is every instance's. Read here; made (if no
    // instance did meanwhile) when a call naming it is relayed (storeNewEndUser).
    auto stored = std::make_shared<EndUser>();
    m_services.store->write(
        IdentityRepository::readEndUser(endUserId, stored), m_services.context,
        [this, endUserId, stored, then = std::move(then)](const Result<void> &result) {
            IdentityRegistry *identities = m_services.identities;
            // Another call may have claimed or made it meanwhile.
            if (result && !stored->userId.isEmpty() && identities && !identities->endUser(endUserId))
                identities->putEndUser(*stored);
            then(createUnknownEndUser(endUserId));
        });
}

struct PendingEndUser
{
    EndUser created;
    bool stored = false;
    std::function<void(const PendingEndUser &)> forget;   // run when no call names it any more
    PendingEndUser() = default;
    Q_DISABLE_COPY_MOVE(PendingEndUser)
    ~PendingEndUser()
    {
        if (!stored && forget)
            forget(*this);
    }
};

std::shared_ptr<PendingEndUser> OpenAIController::createUnknownEndUser(const QString &endUserId)
{
    IdentityRegistry *identities = m_services.identities;
    if (endUserId.isEmpty() || !identities)
        return {};
    if (identities->endUser(endUserId)) {
        const auto pending = m_pendingEndUsers.constFind(endUserId);
        return pending == m_pendingEndUsers.cend() ? nullptr : pending->lock();
    }
    auto pending = std::make_shared<PendingEndUser>();
    pending->created = newEndUser(endUserId);
    identities->putEndUser(pending->created);
    pending->forget = [this, alive = std::weak_ptr<int>(m_alive)](const PendingEndUser &refused) {
        if (alive.expired() || !m_services.identities)
            return;   // the gateway is going (its registry with it)
        const QString &id = refused.created.userId;
        m_pendingEndUsers.remove(id);
        // Unless an admin changed it meanwhile (then it is theirs, stored by them).
        const EndUser *known = m_services.identities->endUser(id);
        if (known && known->updatedAt == refused.created.updatedAt)
            m_services.identities->removeEndUser(id);
    };
    m_pendingEndUsers.insert(endUserId, pending);
    return pending;
}

void OpenAIController::storeNewEndUser(PendingEndUser &pending)
{
    if (pending.stored)
        return;
    pending.stored = true;
    const QString &id = pending.created.userId;
    m_pendingEndUsers.remove(id);
    const EndUser *known = m_services.identities ? m_services.identities->endUser(id) : nullptr;
    if (!m_services.store || !known)
        return;
    const Store::WriteJob audit = IdentityRepository::audit({u"gateway"_s, u"end_user.auto_create"_s, u"end_user"_s, id, {}});
    if (m_services.instanceId.isEmpty()) {
        m_services.store->write(IdentityRepository::all({IdentityRepository::saveEndUser(*known), audit}),
                                m_services.context);
        return;
    }
    // Shared mode: made only if no other instance did meanwhile; if one did, its row (window,
    // spend) is every instance's.
    auto stored = std::make_shared<EndUser>();
    auto inserted = std::make_shared<bool>(false);
    m_services.store->write(
        IdentityRepository::all({IdentityRepository::claimEndUser(*known, stored, inserted),
                                 [inserted, audit](QSqlDatabase &db) { return *inserted ? audit(db) : Result<void>(); }}),
        m_services.context, [this, stored, inserted](const Result<void> &result) {
            if (result && !*inserted && !stored->userId.isEmpty() && m_services.identities)
                m_services.identities->putEndUser(*stored);
        });
}

void OpenAIController::listModels(RequestContext &context, const ResponderPtr &responder)
{
    QJsonArray data;
    const qint64 created = m_services.startedAt.toSecsSinceEpoch();
    const ModelAccess access(context.caller, m_services.identities, *m_services.deployments);
    if (context.request.hasHeader("anthropic-version")) {
        // Anthropic's list (Claude Code's model discovery): one page with everything.
        const QString createdAt = m_services.startedAt.toUTC().toString(Qt::ISODate);
        const QStringList names = access.allowedModels();
        for (const QString &name : names)
            data.append(QJsonObject{{u"type"_s, u"model"_s},
                                    {u"id"_s, name},
                                    {u"display_name"_s, name},
                                    {u"created_at"_s, createdAt}});
        const auto idOr = [](const QStringList &list, bool last) {
            return list.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(last ? list.last() : list.first());
        };
        responder->send(jsonResponse({{u"data"_s, data},
                                      {u"has_more"_s, false},
                                      {u"first_id"_s, idOr(names, false)},
                                      {u"last_id"_s, idOr(names, true)}}));
        return;
    }
    for (const QString &name : access.allowedModels()) {
        const auto members = m_services.deployments->group(name);
        data.append(QJsonObject{{u"id"_s, name},
                                {u"object"_s, u"model"_s},
                                {u"created"_s, created},
                                {u"owned_by"_s, members.isEmpty() ? u"tollgate"_s
                                                                  : providerName(members.first()->provider)}});
    }
    responder->send(jsonResponse({{u"object"_s, u"list"_s}, {u"data"_s, data}}));
}

void OpenAIController::modelInfo(RequestContext &context, const ResponderPtr &responder)
{
    QJsonArray data;
    const ModelAccess access(context.caller, m_services.identities, *m_services.deployments);
    // Every deployment not from config.yaml was added through /model/new (db_model).
    QSet<QString> configIds;
    if (m_services.config) {
        for (const Deployment &deployment : m_services.config->models)
            configIds.insert(deployment.id);
    }
    for (const Deployment &deployment : m_services.deployments->all()) {
        if (access.check(deployment.modelName) != ModelAccess::Decision::Allowed)
            continue;
        QJsonObject params{{u"model"_s, QString(deployment.providerName + u'/' + deployment.upstreamModel)}};
        if (!deployment.apiBase.isEmpty())
            params.insert(u"api_base"_s, deployment.apiBase);
        if (!deployment.apiVersion.isEmpty())
            params.insert(u"api_version"_s, deployment.apiVersion);
        if (deployment.rpm)
            params.insert(u"rpm"_s, *deployment.rpm);
        if (deployment.tpm)
            params.insert(u"tpm"_s, *deployment.tpm);
        params.insert(u"timeout"_s, deployment.timeoutSeconds);
        const std::optional<ModelPrice> price = m_services.prices ? m_services.prices->priceFor(deployment)
                                                                  : std::optional<ModelPrice>();
        // The rates a priority or flex call pays, each worked out once.
        const std::optional<ModelPrice> priority
            = price ? std::optional<ModelPrice>(price->forServiceTier(ServiceTier::Priority)) : std::nullopt;
        const std::optional<ModelPrice> flex
            = price ? std::optional<ModelPrice>(price->forServiceTier(ServiceTier::Flex)) : std::nullopt;
        const auto rate = [](const std::optional<ModelPrice> &rates, double ModelPrice::*field) {
            return rates ? QJsonValue(*rates.*field) : QJsonValue(QJsonValue::Null);
        };
        const auto perToken = [&price, &rate](double ModelPrice::*field) { return rate(price, field); };
        QJsonObject info{
            {u"id"_s, deployment.id},
            {u"access_groups"_s, QJsonArray::fromStringList(deployment.accessGroups)},
            {u"input_cost_per_token"_s, perToken(&ModelPrice::inputPerToken)},
            {u"output_cost_per_token"_s, perToken(&ModelPrice::outputPerToken)},
            {u"cache_read_input_token_cost"_s,
             price && price->cacheReadPerToken ? QJsonValue(*price->cacheReadPerToken) : QJsonValue(QJsonValue::Null)},
            {u"cache_creation_input_token_cost"_s, price ? QJsonValue(price->cacheWriteRate()) : QJsonValue(QJsonValue::Null)},
            {u"cache_creation_input_token_cost_above_1hr"_s,
             price ? QJsonValue(price->cacheWrite1hRate()) : QJsonValue(QJsonValue::Null)},
            // Service tiers (the rates a priority or flex call pays) and server-side tool fees.
            {u"input_cost_per_token_priority"_s, rate(priority, &ModelPrice::inputPerToken)},
            {u"output_cost_per_token_priority"_s, rate(priority, &ModelPrice::outputPerToken)},
            {u"input_cost_per_token_flex"_s, rate(flex, &ModelPrice::inputPerToken)},
            {u"output_cost_per_token_flex"_s, rate(flex, &ModelPrice::outputPerToken)},
            {u"search_context_cost_per_query"_s, perToken(&ModelPrice::webSearchPerQuery)},
            {u"file_search_cost_per_1k_calls"_s,
             price ? QJsonValue(price->fileSearchPerCall * 1000.0) : QJsonValue(QJsonValue::Null)},
            {u"code_interpreter_cost_per_session"_s, perToken(&ModelPrice::codeInterpreterPerSession)},
            {u"image_generation_cost_per_call"_s, perToken(&ModelPrice::imageGenerationPerCall)},
            {u"input_cost_per_audio_token"_s, price ? QJsonValue(price->inputAudioRate()) : QJsonValue(QJsonValue::Null)},
            {u"output_cost_per_audio_token"_s, price ? QJsonValue(price->outputAudioRate()) : QJsonValue(QJsonValue::Null)},
            {u"output_cost_per_reasoning_token"_s,
             price ? QJsonValue(price->outputReasoningRate()) : QJsonValue(QJsonValue::Null)},
            {u"price_unknown"_s, !price.has_value()},
            {u"price_source"_s, price ? QJsonValue(price->source) : QJsonValue(QJsonValue::Null)},
            {u"max_tokens"_s, deployment.maxTokens ? QJsonValue(*deployment.maxTokens) : QJsonValue(QJsonValue::Null)},
            {u"mode"_s, deployment.mode.isEmpty() ? u"chat"_s : deployment.mode},
            // As the gateway takes it: model_info.supports_reasoning, else told by the name.
            {u"supports_reasoning"_s, deployment.reasonsUnseen(std::nullopt)},
            {u"litellm_provider"_s, deployment.providerName},
            {u"base_model"_s, deployment.baseModel.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(deployment.baseModel)},
            {u"db_model"_s, !configIds.contains(deployment.id)},
        };
        // Rates for long prompts, as LiteLLM names them: input_cost_per_token_above_200k_tokens, …
        for (const PriceTier &tier : price ? price->tiers : QList<PriceTier>{}) {
            if (tier.aboveInputTokens <= 0 || tier.aboveInputTokens % 1000 != 0)
                continue;
            const QString above = u"_above_%1k_tokens"_s.arg(tier.aboveInputTokens / 1000);
            const std::pair<const char *, std::optional<double>> kinds[] = {
                {"input_cost_per_token", tier.inputPerToken},
                {"output_cost_per_token", tier.outputPerToken},
                {"cache_read_input_token_cost", tier.cacheReadPerToken},
                {"cache_creation_input_token_cost", tier.cacheWritePerToken}};
            for (const auto &[kind, rate] : kinds) {
                if (rate)
                    info.insert(QLatin1StringView(kind) + above, *rate);
            }
        }
        data.append(QJsonObject{{u"model_name"_s, deployment.modelName},
                                {u"litellm_params"_s, params},
                                {u"model_info"_s, info}});
    }
    responder->send(jsonResponse({{u"data"_s, data}}));
}

void OpenAIController::abortAll(const QString &reason)
{
    const auto calls = m_active.values();
    for (const auto &call : calls)
        call->abort(reason);
}

} // namespace Tollgate
