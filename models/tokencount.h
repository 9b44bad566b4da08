#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include "tokenizer.h"

namespace Tollgate {

// Token counts as the provider will report them, through the tiktoken-compatible Tokenizer
// (the model picks the encoding; unknown models count with cl100k_base). If an encoding
// cannot be loaded the count falls back to about four characters a token.

qint64 countTextTokens(const QString &text, const QString &model);

// Tokens an image costs a model at most: `low` for detail "low", `high` otherwise (the
// documented maximum of its family: tiles or patches; unknown families get the largest).
struct ImageTokens
{
    qint64 low = 0;
    qint64 high = 0;
    // detail "original" (OpenAI's newer models: the image as sent, in 32 px patches, at most
    // 10,000 of them, times the model's multiplier).
    qint64 original = 0;
};
ImageTokens imageTokensForModel(const QString &model);

// Prompt tokens of an OpenAI request body, never fewer than the provider bills as text
// tokens: chat `messages` with OpenAI's per-message framing and every part (text exactly;
// images at their family's maximum; audio and inline files by their base64 bytes, a file by
// id as 128k tokens; tool calls and other parts as their JSON), a completion `prompt` (+
// `suffix`) or embedding `input` (strings, lists of strings, or lists of token ids), and
// `tools`, `functions`, `tool_choice`, `response_format` as their JSON plus overhead.
// `model` picks the encoding and the image costs.
qint64 countRequestPromptTokens(const QJsonObject &body, const QString &model);

// An upper bound of countRequestPromptTokens(body, model), without tokenizing: the same
// walk, with each text counted as its UTF-8 bytes (a token covers at least one byte) and
// each JSON value as the bytes of its compact text. Cheap enough for every admission; the
// exact count is for when it matters. Without a model, images cost the largest family's.
qint64 boundRequestPromptTokens(const QJsonObject &body, const QString &model = {});

// The text of streamed chunks' deltas (chat `delta.content`, completion `text`), joined.
QString streamedText(const QList<QByteArray> &chunkPayloads);

// The output text of a whole (not streamed) answer, joined: a chat completion's messages
// (content, refusal, tool calls), a completion's `text`, an Anthropic Message's content
// blocks (text, thinking, tool input) or a Responses API response's output items (text,
// function calls, reasoning summaries). Empty for anything else (an embedding).
QString answerText(const QByteArray &answer);

// Loads an encoding's rank tables now (start-up), so the first count does not pay for it.
void preloadTokenizer(Encoding encoding);

} // namespace Tollgate
