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

// The tokens of a completion `prompt` or embedding `input`: a string, a list of strings, or
// (lists of) token ids, with `countText` for each string.
template<typename CountText>
qint64 valueTokens(const QJsonValue &value, const CountText &countText)
{
    if (value.isString())
        return countText(value.toString());
    if (!value.isArray())
        return 0;
    qint64 total = 0;
    for (const QJsonValue item : value.toArray())
        total += item.isDouble() ? 1 : valueTokens(item, countText);  // a token id, or a string / list
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

} // namespace

qint64 boundRequestPromptTokens(const QJsonObject &body)
{
    // Chat messages, plus prompt/input: what the exact count falls back to if it cannot
    // count the messages.
    const QJsonValue messages = body.value(u"messages"_s);
    const qint64 chat = messages.isArray() ? chatPromptTokens(messages.toArray(), utf8Bytes) : 0;
    return chat + valueTokens(body.value(u"prompt"_s), utf8Bytes) + valueTokens(body.value(u"input"_s), utf8Bytes);
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
    const auto countText = [&model](const QString &text) { return countTextTokens(text, model); };
    return valueTokens(body.value(u"prompt"_s), countText) + valueTokens(body.value(u"input"_s), countText);
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
