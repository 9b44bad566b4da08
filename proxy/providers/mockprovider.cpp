#include "mockprovider.h"

#include "../../models/tokencount.h"
#include "../../models/tokenizer.h"
#include "../accounting.h"
#include "../jsonreader.h"
#include "../responses.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <cstring>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

QJsonObject usageJson(const Usage &usage)
{
    return {{u"prompt_tokens"_s, usage.promptTokens},
            {u"completion_tokens"_s, usage.completionTokens},
            {u"total_tokens"_s, usage.totalTokens}};
}

qint64 promptTokens(const QJsonObject &body, const QString &model)
{
    // Exactly what OpenAI would report for this model (tiktoken's count plus message framing); a
    // prompt past MaxTokenizedBytes counts as its bound, its bytes (tokenizing 20 MB here held
    // every other call for 5 s).
    const qint64 bound = boundRequestPromptTokens(body, model);
    return bound > MaxTokenizedBytes ? bound : countRequestPromptTokens(body, model);
}

} // namespace

QStringList mockPieces(const QString &text)
{
    // Words with their leading space, like real token deltas.
    QStringList result;
    QString current;
    for (const QChar ch : text) {
        if (ch == u' ' && !current.isEmpty()) {
            result.append(current);
            current.clear();
        }
        current += ch;
    }
    if (!current.isEmpty())
        result.append(current);
    return result;
}

namespace {

QList<double> embeddingValues(const QString &input, int dimensions)
{
    // Deterministic unit vector from the input's hash: same input, same embedding.
    QByteArray seed = QCryptographicHash::hash(input.toUtf8(), QCryptographicHash::Sha256);
    QList<double> values;
    double norm = 0.0;
    for (int i = 0; i < dimensions; ++i) {
        if (i > 0 && i % 32 == 0)
            seed = QCryptographicHash::hash(seed, QCryptographicHash::Sha256);
        const double v = (static_cast<unsigned char>(seed.at(i % 32)) - 127.5) / 127.5;
        values.append(v);
        norm += v * v;
    }
    norm = std::sqrt(std::max(norm, 1e-12));
    for (double &v : values)
        v /= norm;
    return values;
}

// OpenAI's two encodings: a JSON array, or base64 of little-endian float32 (the SDKs' default).
QJsonValue encodeEmbedding(const QList<double> &values, bool base64)
{
    if (!base64) {
        QJsonArray vector;
        for (const double v : values)
            vector.append(v);
        return vector;
    }
    QByteArray bytes;
    bytes.reserve(values.size() * 4);
    for (const double v : values) {
        const float f = float(v);
        quint32 bits = 0;
        std::memcpy(&bits, &f, sizeof bits);
        for (int shift = 0; shift < 32; shift += 8)
            bytes.append(char((bits >> shift) & 0xff));
    }
    return QString::fromLatin1(bytes.toBase64());
}

// The reply cut to the client's max_tokens (with the matching finish_reason).
QString limitToMaxTokens(const QString &content, const QJsonObject &body, const QString &model, bool *truncated)
{
    *truncated = false;
    qint64 limit = body.value(u"max_completion_tokens"_s).toInteger(-1);
    if (limit < 0)
        limit = body.value(u"max_tokens"_s).toInteger(-1);
    if (limit < 0 || countTextTokens(content, model) <= limit)
        return content;
    *truncated = true;
    // Cut at a token boundary, as a provider stops after max_tokens tokens.
    const auto tokenizer = Tokenizer::load(encodingForModel(model));
    if (!tokenizer)
        return content.left(qsizetype(std::max<qint64>(limit, 0) * 4));
    const QList<int> tokens = (*tokenizer)->encode(content);
    return QString::fromUtf8((*tokenizer)->decode(tokens.mid(0, qsizetype(std::max<qint64>(limit, 0)))));
}

QString mockModel(const Deployment &deployment)
{
    return deployment.upstreamModel.isEmpty() ? deployment.modelName : deployment.upstreamModel;
}

QString mockText(const Deployment &deployment, const QJsonObject &body)
{
    const QString content = body.value(u"mock_response"_s).toString();
    if (!content.isEmpty())
        return content;
    return deployment.mockResponse.value_or(u"This is a mock response from Tollgate's built-in mock provider."_s);
}

} // namespace

qint64 estimateTokens(const QString &text)
{
    if (text.isEmpty())
        return 0;
    return std::max<qint64>(1, (text.size() + 3) / 4);
}

MockAnswer mockAnswer(CallType type, const Deployment &deployment, const QJsonObject &body,
                      const QString &callId, bool stream, bool includeUsage)
{
    MockAnswer answer;
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const QString model = mockModel(deployment);
    QString content = mockText(deployment, body);

    answer.usage.promptTokens = promptTokens(body, model);
    if (type == CallType::Embedding) {
        const QJsonValue input = body.value(u"input"_s);
        QStringList inputs;
        if (input.isArray()) {
            for (const QJsonValue item : input.toArray())
                inputs.append(item.isString() ? item.toString() : QString::fromUtf8(compactJson(QJsonObject{{u"v"_s, item}})));
        } else {
            inputs.append(input.toString());
        }
        // At most MaxMockEmbeddingNumbers numbers in all (about 20 MB of JSON): fewer dimensions
        // than asked for beyond that, never an answer that fills the memory.
        const qsizetype perInput = std::max<qsizetype>(1, MaxMockEmbeddingNumbers / std::max<qsizetype>(1, inputs.size()));
        const int dimensions = int(std::min<qsizetype>(std::clamp(body.value(u"dimensions"_s).toInt(16), 1, 3072), perInput));
        const bool base64 = body.value(u"encoding_format"_s).toString() == u"base64";
        QJsonArray data;
        for (qsizetype i = 0; i < inputs.size(); ++i) {
            data.append(QJsonObject{{u"object"_s, u"embedding"_s},
                                    {u"index"_s, i},
                                    {u"embedding"_s, encodeEmbedding(embeddingValues(inputs.at(i), dimensions), base64)}});
        }
        answer.usage.totalTokens = answer.usage.promptTokens;
        answer.body = compactJson({{u"object"_s, u"list"_s},
                               {u"data"_s, data},
                               {u"model"_s, model},
                               {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, answer.usage.promptTokens},
                                                        {u"total_tokens"_s, answer.usage.totalTokens}}}});
        return answer;
    }

    bool truncated = false;
    content = limitToMaxTokens(content, body, model, &truncated);
    const QString finishReason = truncated ? u"length"_s : u"stop"_s;
    answer.usage.completionTokens = countTextTokens(content, model);
    answer.usage.totalTokens = answer.usage.promptTokens + answer.usage.completionTokens;
    const bool chat = type == CallType::ChatCompletion;
    const QString id = (chat ? u"chatcmpl-"_s : u"cmpl-"_s) + callId;

    if (!stream) {
        QJsonObject choice = chat
            ? QJsonObject{{u"index"_s, 0},
                          {u"message"_s, QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, content}}},
                          {u"logprobs"_s, QJsonValue::Null},
                          {u"finish_reason"_s, finishReason}}
            : QJsonObject{{u"index"_s, 0}, {u"text"_s, content}, {u"logprobs"_s, QJsonValue::Null},
                          {u"finish_reason"_s, finishReason}};
        answer.body = compactJson({{u"id"_s, id},
                               {u"object"_s, chat ? u"chat.completion"_s : u"text_completion"_s},
                               {u"created"_s, created},
                               {u"model"_s, model},
                               {u"choices"_s, QJsonArray{choice}},
                               {u"usage"_s, usageJson(answer.usage)}});
        return answer;
    }

    const QString object = chat ? u"chat.completion.chunk"_s : u"text_completion"_s;
    auto chunk = [&](const QJsonObject &choice) {
        return compactJson({{u"id"_s, id}, {u"object"_s, object}, {u"created"_s, created},
                        {u"model"_s, model}, {u"choices"_s, QJsonArray{choice}}});
    };
    if (chat) {
        answer.events.append(chunk({{u"index"_s, 0},
                                    {u"delta"_s, QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, u""_s}}},
                                    {u"finish_reason"_s, QJsonValue::Null}}));
    }
    for (const QString &piece : mockPieces(content)) {
        answer.events.append(chat ? chunk({{u"index"_s, 0},
                                           {u"delta"_s, QJsonObject{{u"content"_s, piece}}},
                                           {u"finish_reason"_s, QJsonValue::Null}})
                                  : chunk({{u"index"_s, 0}, {u"text"_s, piece},
                                           {u"finish_reason"_s, QJsonValue::Null}}));
    }
    answer.events.append(chat ? chunk({{u"index"_s, 0}, {u"delta"_s, QJsonObject{}}, {u"finish_reason"_s, finishReason}})
                              : chunk({{u"index"_s, 0}, {u"text"_s, u""_s}, {u"finish_reason"_s, finishReason}}));
    if (includeUsage) {
        answer.events.append(compactJson({{u"id"_s, id}, {u"object"_s, object}, {u"created"_s, created},
                                      {u"model"_s, model}, {u"choices"_s, QJsonArray{}},
                                      {u"usage"_s, usageJson(answer.usage)}}));
    }
    return answer;
}

MockAnswer mockResponsesAnswer(const Deployment &deployment, const QJsonObject &responsesRequest,
                               const QJsonObject &accountingChat, const QString &callId, bool stream)
{
    const QString model = mockModel(deployment);
    bool truncated = false;
    // accountingChat's max_tokens is the request's max_output_tokens.
    const QString text = limitToMaxTokens(mockText(deployment, responsesRequest), accountingChat, model, &truncated);
    const QString responseId = u"resp_"_s + QString(callId).remove(u'-');
    Responses::MockResult result =
        Responses::mockResponse(responsesRequest, responseId, model, text, promptTokens(accountingChat, model),
                                countTextTokens(text, model), stream, truncated);
    return MockAnswer{std::move(result.body), std::move(result.events), result.usage};
}

} // namespace Tollgate
