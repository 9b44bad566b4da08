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

// Prompt tokens of an OpenAI request body: chat `messages` with OpenAI's per-message
// framing, or a completion `prompt` / embedding `input` (strings, lists of strings, or
// lists of token ids).
qint64 countRequestPromptTokens(const QJsonObject &body, const QString &model);

// An upper bound of countRequestPromptTokens(body, model) for every model, without
// tokenizing: the same framing, with each text counted as its UTF-8 bytes (a token covers at
// least one byte). Cheap enough for every admission; the exact count is for when it matters.
qint64 boundRequestPromptTokens(const QJsonObject &body);

// The text of streamed chunks' deltas (chat `delta.content`, completion `text`), joined.
QString streamedText(const QList<QByteArray> &chunkPayloads);

// Loads an encoding's rank tables now (start-up), so the first count does not pay for it.
void preloadTokenizer(Encoding encoding);

} // namespace Tollgate
