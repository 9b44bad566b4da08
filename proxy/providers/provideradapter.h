#pragma once

#include "../../models/config.h"
#include "../upstream/upstreamclient.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace Tollgate {

// The call shapes the gateway sends providers: OpenAI's three, Anthropic's Messages and
// OpenAI's Responses (the wire the provider speaks, not always the client's dialect).
enum class CallType { ChatCompletion, Completion, Embedding, Messages, Responses };

// LiteLLM's spend-log name of a call type ("acompletion", "atext_completion", "aembedding",
// "anthropic_messages", "aresponses").
QString callTypeName(CallType type);
// The spend log's dialect of a client speaking this call shape ("chat", "completions",
// "embeddings", "messages", "responses": SpendDialects).
QString dialectName(CallType type);
// The call shape a model route's canonical path speaks (/chat/completions, /completions,
// /embeddings, /messages, /responses); nullopt for any other path.
std::optional<CallType> callTypeOfPath(const QString &canonicalPath);
// The path below the API base ("chat/completions", ..., "v1/messages" for Anthropic's base).
QByteArray endpointPath(CallType type);
// Whether a deployment's provider serves a call shape natively: Messages only anthropic/,
// Responses openai/ and azure/ (and OpenAI-compatible servers behind openai/), the OpenAI
// shapes everyone but anthropic/. The mock answers every shape.
bool speaksNatively(const Deployment &deployment, CallType type);

// x-api-key and anthropic-version (the client's when it sent one, else the deployment's),
// plus the client's anthropic-beta: what every request to an anthropic/ deployment carries.
HeaderList anthropicHeaders(const Deployment &deployment, const HeaderList &client = {});

class RequestScan;

// Where the client's body is spliced, as a scan of it found out: the "model" value's bytes
// and whether "stream_options" is there. The upstream body is then spliced without a second
// pass over the bytes.
struct SpliceSite
{
    qsizetype modelFrom = 0;
    qsizetype modelTo = 0;
    bool streamOptions = false;
};

// A provider call ready to start, and what the relay must remember about it.
struct PreparedCall
{
    UpstreamRequest request;
    bool stream = false;
    bool clientWantsUsage = false;  // the client itself asked for stream_options.include_usage
};

// Builds the provider request for a deployment from the client's parsed body:
//  openai/<m> → POST {api_base}/<path>, Authorization: Bearer <api_key>, model = <m>
//  azure/<d>  → POST {api_base}/openai/deployments/<d>/<path>?api-version=<v>, api-key: <api_key>
// Streams ask the provider for stream_options.include_usage so that cost is known.
// `raw`, the client's body as received (it parsed to `body`), is sent with only its "model"
// value replaced where spliceRequestBody can; else `body` is serialised.
// Messages and Responses: the body goes as the client wrote it (only "model" replaced), no
// stream_options (their streams always end with usage); anthropic/ gets anthropicHeaders
// built from `clientHeaders`.
// `partial`: `body` holds only the top-level fields the gateway reads (RequestScan::objectOf):
// what cannot be spliced is serialised from `raw` parsed whole.
// `site`: where `raw` is spliced (spliceSiteOf its scan), when it was scanned.
PreparedCall prepareUpstreamCall(CallType type, const Deployment &deployment, QJsonObject body,
                                 const QByteArray &raw = {}, const HeaderList &clientHeaders = {},
                                 bool partial = false, const std::optional<SpliceSite> &site = std::nullopt);

// A request about a stored response (GET/DELETE /responses/{id}, POST …/cancel, GET
// …/input_items): `subpath` is what follows "responses/" (id and any tail, query included).
UpstreamRequest prepareResponsesRequest(const Deployment &deployment, const QByteArray &method,
                                        const QByteArray &subpath);
// POST /v1/messages/count_tokens at an anthropic/ deployment.
UpstreamRequest prepareCountTokensRequest(const Deployment &deployment, const QByteArray &body,
                                          const HeaderList &clientHeaders);

// The client's JSON object `raw` (valid JSON: it parsed) with the value of its top-level
// "model" replaced by `model`, and for a stream `"stream_options":{"include_usage":true}`
// appended. Empty — serialise the parsed body instead — unless the top level is plain: every
// key free of escapes and unique (so the provider cannot read a member the gateway did not
// check), "model" present, no "mock_response", and no "stream_options" when streaming.
QByteArray spliceRequestBody(const QByteArray &raw, const QString &model, bool stream);

// The site of a scanned body that spliceRequestBody would splice (plain keys, each there once,
// "model" present, no "mock_response"); nullopt otherwise.
std::optional<SpliceSite> spliceSiteOf(const RequestScan &scan);
// spliceRequestBody of a body whose site is known: the same bytes, or empty where it is.
QByteArray spliceRequestBody(const QByteArray &raw, const QString &model, bool stream, const SpliceSite &site);

} // namespace Tollgate
