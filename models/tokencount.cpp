#include "tokencount.h"

#include "tokenizer.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

qint64 roughCount(const QString &text)
{
    return text.isEmpty() ? 0 : std::max<qint64>(1, (text.size() + 3) / 4);
}

qint64 countValue(const QJsonValue &value, const QString &model)
{
    if (value.isString())
        return countTextTokens(value.toString(), model);
    if (!value.isArray())
        return 0;
    qint64 total = 0;
    for (const QJsonValue item : value.toArray()) {
        if (item.isDouble())
            ++total;  // a token id
        else
            total += countValue(item, model);  // a string, or a list of token ids
    }
    return total;
}

qint64 utf8Bytes(QStringView text)
{
    qint64 bytes = 0;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        bytes += u < 0x80 ? 1 : u < 0x800 ? 2 : QChar::isSurrogate(u) ? 2 : 3;  // a pair is 4
    }
    return bytes;
}

qint64 boundValue(const QJsonValue &value)
{
    if (value.isString())
        return utf8Bytes(value.toString());
    if (!value.isArray())
        return 0;
    qint64 total = 0;
    for (const QJsonValue item : value.toArray())
        total += item.isDouble() ? 1 : boundValue(item);
    return total;
}

// countChatTokens' framing, with bytes for tokens.
qint64 boundChat(const QJsonArray &messages)
{
    qint64 total = 3;
    for (const QJsonValue value : messages) {
        const QJsonObject message = value.toObject();
        total += 3;
        for (auto it = message.begin(); it != message.end(); ++it) {
            if (it.value().isString()) {
                total += utf8Bytes(it.value().toString());
            } else if (it.value().isArray()) {
                for (const QJsonValue part : it.value().toArray()) {
                    const QJsonObject object = part.toObject();
                    if (object.value(u"type"_s).toString() == u"text")
                        total += utf8Bytes(object.value(u"text"_s).toString());
                }
            }
            if (it.key() == u"name")
                total += 1;
        }
    }
    return total;
}

} // namespace

qint64 boundRequestPromptTokens(const QJsonObject &body)
{
    // Chat messages, plus prompt/input: what the exact count falls back to if it cannot
    // count the messages.
    const QJsonValue messages = body.value(u"messages"_s);
    const qint64 chat = messages.isArray() ? boundChat(messages.toArray()) : 0;
    return chat + boundValue(body.value(u"prompt"_s)) + boundValue(body.value(u"input"_s));
}

qint64 countTextTokens(const QString &text, const QString &model)
{
    if (text.isEmpty())
        return 0;
    const auto tokenizer = Tokenizer::load(encodingForModel(model));
    return tokenizer ? (*tokenizer)->count(text) : roughCount(text);
}

qint64 countRequestPromptTokens(const QJsonObject &body, const QString &model)
{
    const QJsonValue messages = body.value(u"messages"_s);
    if (messages.isArray()) {
        const qint64 counted = countChatTokens(messages.toArray(), model);
        if (counted >= 0)
            return counted;
    }
    return countValue(body.value(u"prompt"_s), model) + countValue(body.value(u"input"_s), model);
}

QString streamedText(const QList<QByteArray> &chunkPayloads)
{
    QString text;
    for (const QByteArray &payload : chunkPayloads) {
        const QJsonObject chunk = QJsonDocument::fromJson(payload).object();
        for (const QJsonValue choice : chunk.value(u"choices"_s).toArray()) {
            const QJsonObject object = choice.toObject();
            text += object.value(u"delta"_s).toObject().value(u"content"_s).toString();
            text += object.value(u"text"_s).toString();
        }
    }
    return text;
}

void preloadTokenizer(Encoding encoding)
{
    [[maybe_unused]] const auto loaded = Tokenizer::load(encoding);
}

} // namespace Tollgate
