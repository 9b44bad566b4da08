#pragma once

#include "../sse.h"
#include "provideradapter.h"

#include <QByteArrayList>
#include <QJsonObject>

namespace Tollgate {

// A local answer for mock/ deployments, for litellm_params.mock_response, and for a
// request that carries "mock_response" itself (LiteLLM's testing hook). Shaped exactly like
// OpenAI's, so SDKs parse it; usage is an estimate from the text until the tokenizer lands.
// The most numbers a mock embeddings answer holds (inputs × dimensions).
inline constexpr qsizetype MaxMockEmbeddingNumbers = qsizetype(1) << 20;

struct MockAnswer
{
    QByteArray body;            // the whole JSON answer (non-streaming)
    QByteArrayList events;      // SSE data payloads in order, "[DONE]" excluded (streaming); whole
                                // event blocks for mockResponsesAnswer
    Usage usage;
};

MockAnswer mockAnswer(CallType type, const Deployment &deployment, const QJsonObject &body,
                      const QString &callId, bool stream, bool includeUsage);

// The mock's answer to a Responses request (POST /v1/responses): the same text as
// mockAnswer (the request's mock_response, else the deployment's, else the default), cut at
// max_output_tokens (then status "incomplete"), a Response with id "resp_<callId's hex>".
// Input tokens are the tokenizer's count of `accountingChat` (Responses::accountingBody's
// chat, what admission bounded), output tokens the count of the text.
// Unlike mockAnswer's, `events` holds whole SSE event blocks ("event: <type>\ndata: <json>\n\n",
// to write as they are, no "[DONE]" after them), not bare data payloads. `body` is the
// Response JSON, also when streaming.
MockAnswer mockResponsesAnswer(const Deployment &deployment, const QJsonObject &responsesRequest,
                               const QJsonObject &accountingChat, const QString &callId, bool stream);

// The text in words with their leading space, as a mock streams it (like real token deltas).
QStringList mockPieces(const QString &text);

// Rough token count of text (about four characters a token), at least 1 for non-empty text.
qint64 estimateTokens(const QString &text);

} // namespace Tollgate
