#include "docscontroller.h"

#include "../../models/store/spendlog.h"
#include "../apierror.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <mutex>
#include <optional>

using namespace Qt::StringLiterals;

// The Swagger UI files are a resource of tollgate_proxy (proxy/CMakeLists.txt). Linked
// statically, the resource's initializer is only kept if something names it; Qt ignores a
// second registration. Q_INIT_RESOURCE must be called outside any namespace.
static void initSwaggerResources()
{
    static std::once_flag once;
    std::call_once(once, [] { Q_INIT_RESOURCE(tollgate_swagger); });
}

namespace Tollgate {

namespace {

// ---------------------------------------------------------------------------------------
// Schemas: every request and response shape the document describes, in one place.
// ---------------------------------------------------------------------------------------

using Properties = std::initializer_list<std::pair<QString, QJsonObject>>;

QJsonObject typed(const QString &type, const QString &description = {})
{
    QJsonObject schema{{u"type"_s, type}};
    if (!description.isEmpty())
        schema.insert(u"description"_s, description);
    return schema;
}
QJsonObject str(const QString &description = {}) { return typed(u"string"_s, description); }
QJsonObject integer(const QString &description = {}) { return typed(u"integer"_s, description); }
QJsonObject number(const QString &description = {}) { return typed(u"number"_s, description); }
QJsonObject boolean(const QString &description = {}) { return typed(u"boolean"_s, description); }
QJsonObject ref(const QString &name) { return {{u"$ref"_s, QString(u"#/components/schemas/"_s + name)}}; }

// OpenAPI 3.1 (JSON Schema): a value that may also be null.
QJsonObject nullable(QJsonObject schema)
{
    const QJsonValue type = schema.value(u"type"_s);
    if (type.isString()) {
        schema.insert(u"type"_s, QJsonArray{type, u"null"_s});
        return schema;
    }
    return {{u"anyOf"_s, QJsonArray{schema, QJsonObject{{u"type"_s, u"null"_s}}}}};
}

QJsonObject anyOf(std::initializer_list<QJsonObject> schemas, const QString &description = {})
{
    QJsonArray list;
    for (const QJsonObject &schema : schemas)
        list.append(schema);
    QJsonObject result{{u"anyOf"_s, list}};
    if (!description.isEmpty())
        result.insert(u"description"_s, description);
    return result;
}

QJsonObject array(const QJsonObject &items, const QString &description = {})
{
    QJsonObject schema = typed(u"array"_s, description);
    schema.insert(u"items"_s, items);
    return schema;
}

QJsonObject object(Properties properties, const QStringList &required = {}, const QString &description = {})
{
    QJsonObject props;
    for (const auto &[name, schema] : properties)
        props.insert(name, schema);
    QJsonObject schema = typed(u"object"_s, description);
    schema.insert(u"properties"_s, props);
    if (!required.isEmpty())
        schema.insert(u"required"_s, QJsonArray::fromStringList(required));
    return schema;
}

QJsonObject map(const QJsonObject &values, const QString &description = {})
{
    QJsonObject schema = typed(u"object"_s, description);
    schema.insert(u"additionalProperties"_s, values);
    return schema;
}

QJsonObject allOf(std::initializer_list<QJsonObject> schemas)
{
    QJsonArray list;
    for (const QJsonObject &schema : schemas)
        list.append(schema);
    return {{u"allOf"_s, list}};
}

QJsonObject enumOf(const QStringList &values, const QString &description = {})
{
    QJsonObject schema = str(description);
    schema.insert(u"enum"_s, QJsonArray::fromStringList(values));
    return schema;
}

QJsonObject timestamp(const QString &description = {})
{
    QJsonObject schema = nullable(str(description.isEmpty() ? u"ISO-8601 UTC"_s : description));
    schema.insert(u"format"_s, u"date-time"_s);
    return schema;
}

QJsonObject money(const QString &description) { return nullable(number(description + u" (USD)"_s)); }
QJsonObject limit(const QString &description) { return nullable(integer(description + u"; absent = unlimited"_s)); }

QJsonObject componentSchemas()
{
    QJsonObject s;
    const QString errorTypes = u"bad_request_error, auth_error, forbidden, …"_s;
    s.insert(u"Error"_s, object({{u"error"_s, object({{u"message"_s, str()},
                                                       {u"type"_s, str(errorTypes)},
                                                       {u"param"_s, nullable(str(u"the field at fault"_s))},
                                                       {u"code"_s, str(u"the HTTP status, as a string"_s)}},
                                                      {u"message"_s, u"type"_s, u"param"_s, u"code"_s})}},
                                 {u"error"_s}));
    s.insert(u"Message"_s, object({{u"message"_s, str()}}));

    // --- OpenAI ---
    s.insert(u"Usage"_s, object({{u"prompt_tokens"_s, integer()}, {u"completion_tokens"_s, integer()},
                                 {u"total_tokens"_s, integer()}}));
    s.insert(u"ChatMessage"_s,
             object({{u"role"_s, enumOf({u"system"_s, u"developer"_s, u"user"_s, u"assistant"_s, u"tool"_s})},
                     {u"content"_s, nullable(anyOf({str(), array(typed(u"object"_s))}, u"text, or content parts"_s))},
                     {u"name"_s, str()},
                     {u"tool_calls"_s, array(typed(u"object"_s))},
                     {u"tool_call_id"_s, str()}},
                    {u"role"_s}));
    QJsonObject chatRequest = object(
        {{u"model"_s, str(u"a model group (model_name) or access-group member the key may use"_s)},
         {u"messages"_s, array(ref(u"ChatMessage"_s))},
         {u"stream"_s, boolean(u"answer as server-sent events"_s)},
         {u"stream_options"_s, object({{u"include_usage"_s, boolean()}})},
         {u"max_tokens"_s, integer()},
         {u"max_completion_tokens"_s, integer()},
         {u"temperature"_s, number()},
         {u"top_p"_s, number()},
         {u"n"_s, integer()},
         {u"stop"_s, anyOf({str(), array(str())})},
         {u"tools"_s, array(typed(u"object"_s))},
         {u"user"_s, str(u"the end user: their budget and limits apply"_s)}},
        {u"model"_s, u"messages"_s}, u"OpenAI's body; fields not listed are passed to the provider"_s);
    chatRequest.insert(u"additionalProperties"_s, true);
    s.insert(u"ChatCompletionRequest"_s, chatRequest);
    s.insert(u"ChatCompletion"_s,
             object({{u"id"_s, str()}, {u"object"_s, enumOf({u"chat.completion"_s})}, {u"created"_s, integer()},
                     {u"model"_s, str()},
                     {u"choices"_s, array(object({{u"index"_s, integer()}, {u"message"_s, ref(u"ChatMessage"_s)},
                                                  {u"finish_reason"_s, nullable(str())}}))},
                     {u"usage"_s, ref(u"Usage"_s)}}));
    QJsonObject completionRequest = object(
        {{u"model"_s, str()}, {u"prompt"_s, anyOf({str(), array(str())})}, {u"max_tokens"_s, integer()},
         {u"temperature"_s, number()}, {u"stream"_s, boolean()},
         {u"stream_options"_s, object({{u"include_usage"_s, boolean()}})}, {u"user"_s, str()}},
        {u"model"_s, u"prompt"_s});
    completionRequest.insert(u"additionalProperties"_s, true);
    s.insert(u"CompletionRequest"_s, completionRequest);
    s.insert(u"Completion"_s,
             object({{u"id"_s, str()}, {u"object"_s, enumOf({u"text_completion"_s})}, {u"created"_s, integer()},
                     {u"model"_s, str()},
                     {u"choices"_s, array(object({{u"text"_s, str()}, {u"index"_s, integer()},
                                                  {u"finish_reason"_s, nullable(str())}}))},
                     {u"usage"_s, ref(u"Usage"_s)}}));
    QJsonObject embeddingRequest = object(
        {{u"model"_s, str()},
         {u"input"_s, anyOf({str(), array(str()), array(integer()), array(array(integer()))})},
         {u"encoding_format"_s, enumOf({u"float"_s, u"base64"_s})},
         {u"dimensions"_s, integer()},
         {u"user"_s, str()}},
        {u"model"_s, u"input"_s});
    embeddingRequest.insert(u"additionalProperties"_s, true);
    s.insert(u"EmbeddingRequest"_s, embeddingRequest);
    s.insert(u"EmbeddingResponse"_s,
             object({{u"object"_s, enumOf({u"list"_s})},
                     {u"data"_s, array(object({{u"object"_s, enumOf({u"embedding"_s})}, {u"index"_s, integer()},
                                               {u"embedding"_s, anyOf({array(number()), str(u"base64"_s)})}}))},
                     {u"model"_s, str()},
                     {u"usage"_s, ref(u"Usage"_s)}}));
    s.insert(u"ModelList"_s,
             object({{u"object"_s, enumOf({u"list"_s})},
                     {u"data"_s, array(object({{u"id"_s, str(u"model_name"_s)}, {u"object"_s, enumOf({u"model"_s})},
                                               {u"created"_s, integer()}, {u"owned_by"_s, str(u"provider"_s)}}))}}));

    // --- Models (config.yaml's model_list entry) ---
    s.insert(u"LitellmParams"_s,
             object({{u"model"_s, str(u"<provider>/<model>: openai/…, azure/<deployment>, mock/…"_s)},
                     {u"api_base"_s, str()},
                     {u"api_key"_s, str(u"the key itself (kept in the OS keychain, never in the database; "
                                        "never returned). os.environ/ and keychain/ references are refused "
                                        "here: they work only in config.yaml"_s)},
                     {u"api_version"_s, str(u"azure only"_s)},
                     {u"rpm"_s, integer()}, {u"tpm"_s, integer()}, {u"timeout"_s, number(u"seconds"_s)},
                     {u"input_cost_per_token"_s, number()}, {u"output_cost_per_token"_s, number()},
                     {u"cache_read_input_token_cost"_s, number()},
                     {u"cache_creation_input_token_cost"_s, number()},
                     {u"cache_creation_input_token_cost_above_1hr"_s, number()},
                     {u"input_cost_per_token_priority"_s,
                      number(u"USD per token at service_tier priority (default: 2 × input_cost_per_token)"_s)},
                     {u"output_cost_per_token_priority"_s, number(u"default: 2 × output_cost_per_token"_s)},
                     {u"cache_read_input_token_cost_priority"_s, number(u"default: 2 × the cache-read price"_s)},
                     {u"input_cost_per_token_flex"_s, number(u"service_tier flex (default: the standard price)"_s)},
                     {u"output_cost_per_token_flex"_s, number()},
                     {u"cache_read_input_token_cost_flex"_s, number()},
                     {u"search_context_cost_per_query"_s,
                      number(u"USD per web search the provider runs (default 0.01); LiteLLM's object "
                             "{search_context_size_low, _medium, _high} is read as its highest value"_s)},
                     {u"file_search_cost_per_1k_calls"_s, number(u"USD per 1,000 file searches (default 2.50)"_s)},
                     {u"code_interpreter_cost_per_session"_s,
                      number(u"USD per code interpreter container the provider creates (default 0.03)"_s)},
                     {u"image_generation_cost_per_call"_s,
                      number(u"USD per image the Responses API's image generation tool makes (default 0.25)"_s)},
                     {u"input_cost_per_audio_token"_s,
                      number(u"USD per audio prompt token (default: the catalogue's, else the input price)"_s)},
                     {u"output_cost_per_audio_token"_s,
                      number(u"USD per audio output token (default: the catalogue's, else the output price)"_s)},
                     {u"output_cost_per_reasoning_token"_s,
                      number(u"USD per reasoning output token (completion_tokens_details.reasoning_tokens; "
                             "default: the output price)"_s)},
                     {u"input_cost_per_token_above_200k_tokens"_s,
                      number(u"USD per prompt token of a call whose prompt is above 200,000 tokens (any "
                             "_above_<N>k_tokens; output_cost_per_token_, cache_read_input_token_cost_ and "
                             "cache_creation_input_token_cost_ alike)"_s)},
                     {u"mock_response"_s, str()}},
                    {u"model"_s}));
    s.insert(u"ModelInfo"_s,
             object({{u"id"_s, str(u"deployment id (default: generated)"_s)}, {u"access_groups"_s, array(str())},
                     {u"base_model"_s, str()}, {u"max_tokens"_s, integer()},
                     {u"mode"_s, str(u"chat (default), completion, embedding"_s)},
                     {u"supports_reasoning"_s,
                      boolean(u"whether the model bills reasoning its answer does not show (default: told by its "
                              "name): a stream left before its usage is then charged the output held for it"_s)}}));
    s.insert(u"ModelNewRequest"_s, object({{u"model_name"_s, str()}, {u"litellm_params"_s, ref(u"LitellmParams"_s)},
                                           {u"model_info"_s, ref(u"ModelInfo"_s)}},
                                          {u"model_name"_s, u"litellm_params"_s}));
    s.insert(u"ModelUpdateRequest"_s,
             object({{u"model_id"_s, str(u"or model_info.id"_s)}, {u"model_name"_s, str()},
                     {u"litellm_params"_s, typed(u"object"_s, u"fields of LitellmParams to change"_s)},
                     {u"model_info"_s, typed(u"object"_s, u"fields of ModelInfo to change"_s)}}));
    s.insert(u"ModelDeleteRequest"_s, object({{u"id"_s, str(u"model_id"_s)}}, {u"id"_s}));
    s.insert(u"Model"_s, object({{u"model_id"_s, str()},
                                 {u"model_name"_s, str()},
                                 {u"litellm_params"_s, ref(u"LitellmParams"_s)},
                                 {u"model_info"_s, ref(u"ModelInfo"_s)}}));
    s.insert(u"ModelInfoList"_s,
             object({{u"data"_s, array(object({{u"model_name"_s, str()}, {u"litellm_params"_s, ref(u"LitellmParams"_s)},
                                               {u"model_info"_s, typed(u"object"_s)}}))}}));
    s.insert(u"ModelGroupInfoList"_s,
             object({{u"data"_s, array(object({{u"model_group"_s, str()}, {u"providers"_s, array(str())},
                                               {u"max_input_tokens"_s, nullable(integer())},
                                               {u"max_output_tokens"_s, nullable(integer())},
                                               {u"input_cost_per_token"_s, nullable(number())},
                                               {u"output_cost_per_token"_s, nullable(number())},
                                               {u"mode"_s, str()}, {u"tpm"_s, nullable(integer())},
                                               {u"rpm"_s, nullable(integer())},
                                               {u"access_groups"_s, array(str())}}))}}));

    // --- Keys ---
    s.insert(u"KeySettings"_s,
             object({{u"key_alias"_s, nullable(str())},
                     {u"duration"_s, nullable(str(u"expiry from now: 30s, 10m, 2h, 30d, 1w, 1mo"_s))},
                     {u"models"_s, array(str(), u"model names or access groups; [] = all"_s)},
                     {u"max_budget"_s, money(u"budget"_s)},
                     {u"budget_duration"_s, nullable(str(u"reset period, e.g. 30d"_s))},
                     {u"soft_budget"_s, money(u"warning threshold"_s)},
                     {u"user_id"_s, nullable(str())},
                     {u"metadata"_s, typed(u"object"_s, u"stored as given; at most 16 KiB as compact JSON"_s)},
                     {u"tpm_limit"_s, limit(u"tokens per minute"_s)},
                     {u"rpm_limit"_s, limit(u"requests per minute"_s)},
                     {u"max_parallel_requests"_s, limit(u"calls in flight"_s)},
                     {u"aliases"_s, map(str(), u"requested name → model_name"_s)},
                     {u"model_max_budget"_s,
                      map(object({{u"budget_limit"_s, number()}, {u"time_period"_s, str()}}),
                          u"replaced whole; an entry sent again keeps its spend and window"_s)},
                     {u"blocked"_s, boolean()}}));
    s.insert(u"KeyGenerateRequest"_s,
             allOf({ref(u"KeySettings"_s), object({{u"key"_s, str(u"own value, must start with sk-"_s)}})}));
    s.insert(u"KeyUpdateRequest"_s,
             allOf({ref(u"KeySettings"_s), object({{u"key"_s, str(u"the raw key or its token"_s)}}, {u"key"_s})}));
    s.insert(u"Key"_s,
             allOf({ref(u"KeySettings"_s),
                    object({{u"key"_s, str(u"sk-…: shown only when generated"_s)},
                            {u"key_name"_s, str(u"sk-...abcd"_s)},
                            {u"token"_s, str(u"SHA-256 hex of the key"_s)}, {u"token_id"_s, str()},
                            {u"expires"_s, timestamp()}, {u"spend"_s, number()},
                            {u"budget_reset_at"_s, timestamp()}, {u"created_at"_s, timestamp()},
                            {u"updated_at"_s, timestamp()}})}));
    s.insert(u"KeyDeleteRequest"_s, object({{u"keys"_s, array(str())}, {u"key_aliases"_s, array(str())}}));
    s.insert(u"KeyDeleteResponse"_s, object({{u"deleted_keys"_s, array(str())}}));
    s.insert(u"KeyRequest"_s, object({{u"key"_s, str(u"the raw key or its token"_s)}}, {u"key"_s}));
    s.insert(u"KeyInfoResponse"_s, object({{u"key"_s, str(u"token"_s)}, {u"info"_s, ref(u"Key"_s)}}));
    s.insert(u"KeyListResponse"_s,
             object({{u"keys"_s, array(anyOf({str(u"token"_s), ref(u"Key"_s)}))}, {u"total_count"_s, integer()},
                     {u"current_page"_s, integer()}, {u"total_pages"_s, integer()}}));

    // --- Users and end users ---
    s.insert(u"UserNewRequest"_s,
             object({{u"user_id"_s, str(u"default: a UUID"_s)}, {u"user_email"_s, nullable(str())},
                     {u"user_alias"_s, nullable(str())},
                     {u"user_role"_s, enumOf({u"proxy_admin"_s, u"internal_user"_s, u"internal_user_viewer"_s})},
                     {u"models"_s, array(str())}, {u"max_budget"_s, money(u"budget"_s)},
                     {u"budget_duration"_s, nullable(str())}, {u"tpm_limit"_s, limit(u"tokens per minute"_s)},
                     {u"rpm_limit"_s, limit(u"requests per minute"_s)},
                     {u"max_parallel_requests"_s, limit(u"calls in flight"_s)}, {u"metadata"_s, typed(u"object"_s, u"stored as given; at most 16 KiB as compact JSON"_s)},
                     {u"auto_create_key"_s, boolean(u"default true"_s)}}));
    s.insert(u"User"_s, allOf({ref(u"UserNewRequest"_s),
                               object({{u"spend"_s, number()}, {u"budget_reset_at"_s, timestamp()},
                                       {u"key"_s, str(u"the first key, when one was created"_s)},
                                       {u"expires"_s, timestamp()}})}));
    s.insert(u"UserInfoResponse"_s, object({{u"user_id"_s, str()}, {u"user_info"_s, ref(u"User"_s)},
                                            {u"keys"_s, array(ref(u"Key"_s))}}));
    s.insert(u"UserIds"_s, object({{u"user_ids"_s, array(str())}}, {u"user_ids"_s}));
    s.insert(u"CustomerNewRequest"_s,
             object({{u"user_id"_s, str(u"the end user's id (the `user` of OpenAI calls)"_s)},
                     {u"alias"_s, nullable(str())}, {u"blocked"_s, boolean()}, {u"max_budget"_s, money(u"budget"_s)},
                     {u"budget_duration"_s, nullable(str())}, {u"tpm_limit"_s, limit(u"tokens per minute"_s)},
                     {u"rpm_limit"_s, limit(u"requests per minute"_s)}},
                    {u"user_id"_s}));
    s.insert(u"Customer"_s, allOf({ref(u"CustomerNewRequest"_s),
                                   object({{u"spend"_s, number()}, {u"budget_reset_at"_s, timestamp()}})}));

    // --- Spend and health ---
    s.insert(u"GlobalSpend"_s, object({{u"spend"_s, number()}, {u"max_budget"_s, nullable(number())}}));
    const QJsonObject endpoint = object({{u"model"_s, str()}, {u"model_name"_s, str()}, {u"model_id"_s, str()},
                                         {u"api_base"_s, str()}, {u"error"_s, str()}});
    s.insert(u"Health"_s, object({{u"healthy_endpoints"_s, array(endpoint)},
                                  {u"unhealthy_endpoints"_s, array(endpoint)},
                                  {u"healthy_count"_s, integer()}, {u"unhealthy_count"_s, integer()}}));
    s.insert(u"GatewayStatus"_s,
             object({{u"paused"_s, boolean(u"true: the LLM routes answer 503 until POST /gateway/resume"_s)},
                     {u"version"_s, str()},
                     {u"in_flight"_s, integer(u"LLM calls being served now"_s)}}));
    s.insert(u"Readiness"_s, object({{u"status"_s, enumOf({u"healthy"_s, u"unhealthy"_s})},
                                     {u"db"_s, enumOf({u"connected"_s, u"disconnected"_s})}, {u"version"_s, str()}}));
    return s;
}

// What the document says about one route beyond the router's table.
struct Operation
{
    QString request;                 // component schema of the JSON body ("" = none described)
    QString response;                // component schema of a 200 answer ("" = any JSON object)
    QJsonArray query;                // query parameters
    QByteArray contentType = "application/json";
    bool streams = false;            // may answer text/event-stream
};

QJsonObject query(const QString &name, const QJsonObject &schema, const QString &description, bool required = false)
{
    return {{u"name"_s, name}, {u"in"_s, u"query"_s}, {u"required"_s, required},
            {u"description"_s, description}, {u"schema"_s, schema}};
}

// "POST /key/generate" → what to document. Routes not listed get a generic operation.
const QHash<QString, Operation> &operations()
{
    static const QHash<QString, Operation> table = [] {
        QHash<QString, Operation> t;
        t.insert(u"POST /chat/completions"_s,
                 {u"ChatCompletionRequest"_s, u"ChatCompletion"_s, {}, "application/json", true});
        t.insert(u"POST /completions"_s, {u"CompletionRequest"_s, u"Completion"_s, {}, "application/json", true});
        t.insert(u"POST /embeddings"_s, {u"EmbeddingRequest"_s, u"EmbeddingResponse"_s, {}});
        t.insert(u"GET /models"_s, {{}, u"ModelList"_s, {}});
        t.insert(u"GET /model/info"_s, {{}, u"ModelInfoList"_s, {}});

        t.insert(u"POST /model/new"_s, {u"ModelNewRequest"_s, u"Model"_s, {}});
        t.insert(u"POST /model/update"_s, {u"ModelUpdateRequest"_s, u"Model"_s, {}});
        t.insert(u"POST /model/delete"_s, {u"ModelDeleteRequest"_s, u"Message"_s, {}});
        t.insert(u"GET /model_group/info"_s,
                 {{}, u"ModelGroupInfoList"_s, {query(u"model_group"_s, str(), u"only this group"_s)}});

        t.insert(u"POST /key/generate"_s, {u"KeyGenerateRequest"_s, u"Key"_s, {}});
        t.insert(u"POST /key/update"_s, {u"KeyUpdateRequest"_s, u"Key"_s, {}});
        t.insert(u"POST /key/delete"_s, {u"KeyDeleteRequest"_s, u"KeyDeleteResponse"_s, {}});
        t.insert(u"POST /key/block"_s, {u"KeyRequest"_s, u"Key"_s, {}});
        t.insert(u"POST /key/unblock"_s, {u"KeyRequest"_s, u"Key"_s, {}});
        t.insert(u"POST /key/regenerate"_s, {u"KeyRequest"_s, u"Key"_s, {}});
        t.insert(u"GET /key/info"_s,
                 {{}, u"KeyInfoResponse"_s, {query(u"key"_s, str(), u"raw key or token (default: the caller's)"_s)}});
        t.insert(u"GET /key/list"_s,
                 {{}, u"KeyListResponse"_s,
                  {query(u"page"_s, integer(), u"from 1"_s), query(u"size"_s, integer(), u"keys per page"_s),
                   query(u"user_id"_s, str(), u"only this user's keys"_s),
                   query(u"key_alias"_s, str(), u"only this alias"_s),
                   query(u"return_full_object"_s, boolean(), u"whole keys instead of tokens"_s)}});

        t.insert(u"POST /user/new"_s, {u"UserNewRequest"_s, u"User"_s, {}});
        t.insert(u"POST /user/update"_s, {u"UserNewRequest"_s, u"User"_s, {}});
        t.insert(u"POST /user/delete"_s, {u"UserIds"_s, {}, {}});
        t.insert(u"GET /user/info"_s, {{}, u"UserInfoResponse"_s, {query(u"user_id"_s, str(), u"the user"_s)}});

        t.insert(u"POST /customer/new"_s, {u"CustomerNewRequest"_s, u"Customer"_s, {}});
        t.insert(u"POST /customer/update"_s, {u"CustomerNewRequest"_s, u"Customer"_s, {}});
        t.insert(u"POST /customer/delete"_s, {u"UserIds"_s, {}, {}});
        t.insert(u"POST /customer/block"_s, {u"UserIds"_s, {}, {}});
        t.insert(u"POST /customer/unblock"_s, {u"UserIds"_s, {}, {}});
        t.insert(u"GET /customer/info"_s,
                 {{}, u"Customer"_s, {query(u"end_user_id"_s, str(), u"the end user"_s, true)}});

        t.insert(u"GET /global/spend"_s, {{}, u"GlobalSpend"_s, {}});
        t.insert(u"GET /spend/logs"_s,
                 {{}, {}, {query(u"api_key"_s, str(), u"key or token"_s), query(u"user_id"_s, str(), {}),
                           query(u"end_user"_s, str(), {}), query(u"request_id"_s, str(), {}),
                           query(u"session_id"_s, str(), u"the coding agent's session"_s),
                           query(u"dialect"_s, enumOf(SpendDialects), u"the API the client spoke"_s),
                           query(u"model_contains"_s, str(), u"part of the model name, any case"_s),
                           query(u"status"_s, enumOf({u"success"_s, u"failure"_s, u"client_disconnected"_s, u"refused"_s,
                                                      u"timeout"_s, u"interrupted"_s}),
                                 u"refused: calls the gateway said no to (with http_status and reason); timeout: "
                                 "the provider did not answer in time; interrupted: in flight when the gateway "
                                 "stopped"_s),
                           query(u"start_date"_s, str(), u"YYYY-MM-DD"_s),
                           query(u"end_date"_s, str(), u"YYYY-MM-DD"_s)}});
        t.insert(u"GET /global/spend/report"_s,
                 {{}, {}, {query(u"start_date"_s, str(), u"YYYY-MM-DD"_s), query(u"end_date"_s, str(), u"YYYY-MM-DD"_s),
                           query(u"group_by"_s, enumOf({u"api_key"_s, u"user"_s, u"end_user"_s, u"model"_s, u"session"_s}),
                                 u"session: agent sessions only, each with first_call, last_call and models"_s),
                           query(u"session_id"_s, str(), {}),
                           query(u"dialect"_s, enumOf(SpendDialects), {}),
                           query(u"granularity"_s, enumOf({u"day"_s, u"hour"_s}),
                                 u"bucket length (default day; the default range is the last 30 days, or 48 hours "
                                 "for hour, whose buckets carry \"hour\": \"YYYY-MM-DDTHH\")"_s)}});

        t.insert(u"GET /gateway/status"_s, {{}, u"GatewayStatus"_s, {}});
        t.insert(u"POST /gateway/pause"_s, {{}, u"GatewayStatus"_s, {}});
        t.insert(u"POST /gateway/resume"_s, {{}, u"GatewayStatus"_s, {}});
        t.insert(u"GET /health"_s, {{}, u"Health"_s, {}});
        t.insert(u"GET /health/readiness"_s, {{}, u"Readiness"_s, {}});
        t.insert(u"GET /docs"_s, {{}, {}, {}, "text/html"});
        return t;
    }();
    return table;
}

Operation operationFor(const Router::Route &route)
{
    QString path = route.path;
    if (path.startsWith(u"/end_user/"))  // the aliases of /customer/*
        path = u"/customer/"_s + path.mid(10);
    const auto found = operations().constFind(QString::fromLatin1(route.method) + u' ' + path);
    if (found != operations().constEnd())
        return *found;
    Operation generic;
    if (route.path.endsWith(u".css"))
        generic.contentType = "text/css";
    else if (route.path.endsWith(u".js"))
        generic.contentType = "application/javascript";
    else if (route.path.endsWith(u".png"))
        generic.contentType = "image/png";
    return generic;
}

QString tagFor(const QString &path)
{
    static const QList<std::pair<QString, QString>> prefixes = {
        {u"/chat/"_s, u"OpenAI"_s},        {u"/completions"_s, u"OpenAI"_s}, {u"/embeddings"_s, u"OpenAI"_s},
        {u"/models"_s, u"OpenAI"_s},       {u"/model/info"_s, u"OpenAI"_s},  {u"/model"_s, u"Models"_s},
        {u"/key/"_s, u"Keys"_s},           {u"/user/"_s, u"Users"_s},        {u"/customer/"_s, u"End users"_s},
        {u"/end_user/"_s, u"End users"_s}, {u"/spend/"_s, u"Spend"_s},       {u"/global/"_s, u"Spend"_s},
        {u"/health"_s, u"Health"_s},       {u"/docs"_s, u"Docs"_s},          {u"/openapi"_s, u"Docs"_s},
        {u"/gateway/"_s, u"Gateway"_s},    {u"/messages"_s, u"Anthropic"_s},
    };
    for (const auto &[prefix, tag] : prefixes) {
        if (path.startsWith(prefix))
            return tag;
    }
    return u"Other"_s;
}

QJsonObject errorResponseRef() { return {{u"$ref"_s, u"#/components/responses/Error"_s}}; }

QJsonObject operationJson(const Router::Route &route)
{
    const Operation spec = operationFor(route);
    static const QRegularExpression nonWord(u"[^A-Za-z0-9]+"_s);
    QString operationId = QString::fromLatin1(route.method).toLower() + u'_' + route.path.mid(1);
    operationId.replace(nonWord, u"_"_s);

    QString access;
    switch (route.access) {
    case Router::Access::Public: access = u"No key needed."_s; break;
    case Router::Access::Authenticated: access = u"Any valid key."_s; break;
    case Router::Access::Admin: access = u"Admin: the master key, or a key of a proxy_admin user."_s; break;
    }
    QJsonObject op{{u"summary"_s, route.summary},
                   {u"description"_s, access},
                   {u"operationId"_s, operationId},
                   {u"tags"_s, QJsonArray{tagFor(route.path)}}};
    op.insert(u"security"_s, route.access == Router::Access::Public
                                 ? QJsonArray{}
                                 : QJsonArray{QJsonObject{{u"bearerAuth"_s, QJsonArray{}}}});
    QJsonArray parameters = spec.query;
    // Pattern routes: each {name} segment is a required path parameter.
    static const QRegularExpression segment(u"\\{([A-Za-z_]+)\\}"_s);
    for (auto it = segment.globalMatch(route.path); it.hasNext();) {
        const QString name = it.next().captured(1);
        parameters.prepend(QJsonObject{{u"name"_s, name}, {u"in"_s, u"path"_s}, {u"required"_s, true},
                                       {u"schema"_s, typed(u"string"_s)}});
    }
    if (!parameters.isEmpty())
        op.insert(u"parameters"_s, parameters);
    if (route.method == "POST") {
        const QJsonObject schema = spec.request.isEmpty() ? typed(u"object"_s) : ref(spec.request);
        const QJsonObject json{{u"application/json"_s, QJsonObject{{u"schema"_s, schema}}}};
        op.insert(u"requestBody"_s, QJsonObject{{u"required"_s, !spec.request.isEmpty()}, {u"content"_s, json}});
    }

    QJsonObject content;
    if (spec.contentType == "application/json") {
        const QJsonObject schema = spec.response.isEmpty() ? QJsonObject{} : ref(spec.response);
        content.insert(u"application/json"_s, QJsonObject{{u"schema"_s, schema}});
        if (spec.streams)
            content.insert(u"text/event-stream"_s,
                           QJsonObject{{u"schema"_s, str(u"with \"stream\": true: `data: <chunk JSON>` events, "
                                                         "then `data: [DONE]`"_s)}});
    } else {
        const bool binary = spec.contentType == "image/png";
        content.insert(QString::fromLatin1(spec.contentType),
                       QJsonObject{{u"schema"_s, binary ? QJsonObject{{u"type"_s, u"string"_s},
                                                                      {u"contentMediaType"_s, u"image/png"_s}}
                                                        : str()}});
    }
    QJsonObject responses{{u"200"_s, QJsonObject{{u"description"_s, u"OK"_s}, {u"content"_s, content}}},
                          {u"default"_s, errorResponseRef()}};
    if (route.method == "POST")
        responses.insert(u"400"_s, errorResponseRef());
    if (route.access != Router::Access::Public)
        responses.insert(u"401"_s, errorResponseRef());
    if (route.access == Router::Access::Admin)
        responses.insert(u"403"_s, errorResponseRef());
    op.insert(u"responses"_s, responses);
    return op;
}

// Served when this build has no Swagger UI files (npm was missing when it was built).
const char kNotBundledPage[] = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Tollgate API</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Tollgate API</h1>
<p>The Swagger UI files were not bundled into this build of Tollgate: npm was not available
(or could not reach the npm registry) when it was built, or the build was configured with
<code>-DTOLLGATE_SWAGGER_UI=OFF</code>. So <code>/docs</code> cannot show the interactive
documentation.</p>
<p>The API description itself is here: <a href="/openapi.json">/openapi.json</a>. Any OpenAPI
viewer can open it.</p>
<p>To bundle Swagger UI, build again with npm available: the build installs the pinned
<code>swagger-ui-dist</code> package (resources/swagger/package.json) into the build directory
and compiles its files in.</p>
</body>
</html>
)";

// Swagger UI from the embedded files, reading the document of this gateway. Absolute paths:
// the page also answers as /v1/docs.
const char kDocsPage[] = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tollgate API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
</script>
</body>
</html>
)";

QString resourcePath(const QString &name)
{
    return u":/tollgate/swagger/"_s + name;
}

} // namespace

QJsonObject DocsController::openApiDocument(const QList<Router::Route> &routes)
{
    QJsonObject paths;
    for (const Router::Route &route : routes) {
        QJsonObject item = paths.value(route.path).toObject();
        item.insert(QString::fromLatin1(route.method).toLower(), operationJson(route));
        paths.insert(route.path, item);
    }
    // The order Swagger UI shows the areas in (JSON objects sort their paths by name).
    QJsonArray tags;
    for (const QString &tag : {u"OpenAI"_s, u"Models"_s, u"Keys"_s, u"Users"_s, u"End users"_s, u"Spend"_s,
                               u"Gateway"_s, u"Health"_s, u"Docs"_s, u"Other"_s}) {
        const bool used = std::any_of(routes.cbegin(), routes.cend(),
                                      [&tag](const Router::Route &route) { return tagFor(route.path) == tag; });
        if (used)
            tags.append(QJsonObject{{u"name"_s, tag}});
    }
    const QJsonObject info{
        {u"title"_s, u"Tollgate"_s},
        {u"version"_s, QStringLiteral(TOLLGATE_VERSION)},
        {u"description"_s,
         u"A local LLM gateway: the OpenAI API plus LiteLLM's management API, with budgets and rate limits. "
         "Every path also answers under /v1 (e.g. /v1/chat/completions); the paths here are the canonical ones. "
         "Send the key as `Authorization: Bearer sk-…` (or the api-key, x-api-key or x-litellm-api-key header). "
         "Every error has the body {\"error\": {\"message\", \"type\", \"param\", \"code\"}}."_s}};
    const QJsonObject bearer{{u"type"_s, u"http"_s},
                             {u"scheme"_s, u"bearer"_s},
                             {u"description"_s, u"The master key or a virtual key (sk-…)"_s}};
    const QJsonObject errorContent{{u"application/json"_s, QJsonObject{{u"schema"_s, ref(u"Error"_s)}}}};
    const QJsonObject components{
        {u"securitySchemes"_s, QJsonObject{{u"bearerAuth"_s, bearer}}},
        {u"schemas"_s, componentSchemas()},
        {u"responses"_s,
         QJsonObject{{u"Error"_s, QJsonObject{{u"description"_s, u"An error (see api.md §1 for the statuses)"_s},
                                               {u"content"_s, errorContent}}}}},
    };
    const QJsonArray servers{
        QJsonObject{{u"url"_s, u"/"_s}, {u"description"_s, u"This gateway"_s}},
        QJsonObject{{u"url"_s, u"/v1"_s}, {u"description"_s, u"The same routes under /v1 (OpenAI SDKs' base URL)"_s}},
    };
    return {{u"openapi"_s, u"3.1.0"_s},
            {u"info"_s, info},
            {u"servers"_s, servers},
            {u"security"_s, QJsonArray{QJsonObject{{u"bearerAuth"_s, QJsonArray{}}}}},
            {u"tags"_s, tags},
            {u"paths"_s, paths},
            {u"components"_s, components}};
}

bool DocsController::swaggerUiBundled()
{
    initSwaggerResources();
    // The build embeds empty placeholders when npm could not install the package.
    QFile bundle(resourcePath(u"swagger-ui-bundle.js"_s));
    return bundle.exists() && bundle.size() > 0;
}

void DocsController::registerRoutes(Router &router)
{
    m_router = &router;
    using Access = Router::Access;
    router.add("GET", u"/openapi.json"_s, Access::Public, u"This API as an OpenAPI 3.1 document"_s,
               [this](RequestContext &c, const ResponderPtr &r) { openApi(c, r); });
    router.add("GET", u"/docs"_s, Access::Public, u"Interactive API documentation (Swagger UI)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { docsPage(c, r); });
    const std::pair<QString, QByteArray> assets[] = {
        {u"swagger-ui.css"_s, "text/css; charset=utf-8"},
        {u"swagger-ui-bundle.js"_s, "application/javascript; charset=utf-8"},
        {u"swagger-ui-standalone-preset.js"_s, "application/javascript; charset=utf-8"},
        {u"favicon-32x32.png"_s, "image/png"},
    };
    for (const auto &[name, contentType] : assets) {
        router.add("GET", u"/docs/"_s + name, Access::Public, u"Swagger UI file "_s + name,
                   [this, name, contentType](RequestContext &, const ResponderPtr &r) { asset(name, contentType, r); });
    }
}

void DocsController::openApi(RequestContext &, const ResponderPtr &responder)
{
    Q_UNUSED(m_services);
    if (m_document.isEmpty() && m_router)
        m_document = QJsonDocument(openApiDocument(m_router->routes())).toJson(QJsonDocument::Compact);
    HttpResponse response;
    response.body = m_document;
    responder->send(std::move(response));
}

void DocsController::docsPage(RequestContext &, const ResponderPtr &responder)
{
    HttpResponse response;
    response.contentType = "text/html; charset=utf-8";
    response.body = QByteArray(swaggerUiBundled() ? kDocsPage : kNotBundledPage);
    response.headers.append({QByteArrayLiteral("X-Content-Type-Options"), QByteArrayLiteral("nosniff")});
    responder->send(std::move(response));
}

void DocsController::asset(const QString &name, const QByteArray &contentType, const ResponderPtr &responder)
{
    initSwaggerResources();
    QFile file(resourcePath(name));
    QByteArray data;
    if (file.open(QIODevice::ReadOnly))
        data = file.readAll();
    if (data.isEmpty()) {
        responder->send(errorResponse(ApiError::NotFound,
                                      u"The Swagger UI files were not bundled into this build (npm was not available "
                                      "when it was built, or TOLLGATE_SWAGGER_UI was OFF); the API description is at "
                                      "/openapi.json."_s));
        return;
    }
    HttpResponse response;
    response.contentType = contentType;
    response.body = std::move(data);
    response.headers.append({QByteArrayLiteral("X-Content-Type-Options"), QByteArrayLiteral("nosniff")});
    responder->send(std::move(response));
}

} // namespace Tollgate
