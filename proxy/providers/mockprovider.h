#pragma once

#include "../sse.h"
#include "provideradapter.h"

#include <QByteArrayList>
#include <QJsonObject>

namespace Tollgate {

// A local answer for mock/ deployments, for litellm_params.mock_response, and for a
// request that carries "mock_response" itself (LiteLLM's testing hook). Shaped exactly like
// OpenAI's, so SDKs parse it; usage is an estimate from the text until the tokenizer lands.
struct MockAnswer
{
    QByteArray body;            // the whole JSON answer (non-streaming)
    QByteArrayList events;      // SSE data payloads in order, "[DONE]" excluded (streaming)
    Usage usage;
};

MockAnswer mockAnswer(CallType type, const Deployment &deployment, const QJsonObject &body,
                      const QString &callId, bool stream, bool includeUsage);

// Rough token count of text (about four characters a token), at least 1 for non-empty text.
qint64 estimateTokens(const QString &text);

} // namespace Tollgate
