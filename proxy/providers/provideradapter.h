#pragma once

#include "../../models/config.h"
#include "../upstream/upstreamclient.h"

#include <QJsonObject>
#include <QString>

namespace Tollgate {

// The three OpenAI call shapes the gateway relays.
enum class CallType { ChatCompletion, Completion, Embedding };

// LiteLLM's spend-log name of a call type ("acompletion", "atext_completion", "aembedding").
QString callTypeName(CallType type);
// The OpenAI path below the API base ("chat/completions", ...).
QByteArray endpointPath(CallType type);

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
PreparedCall prepareUpstreamCall(CallType type, const Deployment &deployment, QJsonObject body,
                                 const QByteArray &raw = {});

// The client's JSON object `raw` (valid JSON: it parsed) with the value of its top-level
// "model" replaced by `model`, and for a stream `"stream_options":{"include_usage":true}`
// appended. Empty — serialise the parsed body instead — unless the top level is plain: every
// key free of escapes and unique (so the provider cannot read a member the gateway did not
// check), "model" present, no "mock_response", and no "stream_options" when streaming.
QByteArray spliceRequestBody(const QByteArray &raw, const QString &model, bool stream);

} // namespace Tollgate
