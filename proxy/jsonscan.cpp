#include "jsonscan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cstring>
#include <optional>

namespace Tollgate {

namespace {

// Skips JSON whitespace from `at`.
qsizetype skipSpace(const QByteArray &raw, qsizetype at)
{
    while (at < raw.size() && (raw[at] == ' ' || raw[at] == '\n' || raw[at] == '\r' || raw[at] == '\t'))
        ++at;
    return at;
}

// `at` is on the opening quote: returns the index after the closing one (or -1), and whether
// the string holds an escape. Most of a request's bytes are inside strings (the prompt): memchr
// finds the closing quote (and whether a backslash comes before it) a vector at a time.
qsizetype skipString(const QByteArray &raw, qsizetype at, bool *escaped)
{
    *escaped = false;
    const char *data = raw.constData();
    const qsizetype size = raw.size();
    for (++at; at < size;) {
        const auto *quote = static_cast<const char *>(std::memchr(data + at, '"', size_t(size - at)));
        if (!quote)
            return -1;
        const qsizetype end = quote - data;
        const auto *slash = static_cast<const char *>(std::memchr(data + at, '\\', size_t(end - at)));
        if (!slash)
            return end + 1;
        *escaped = true;
        at = (slash - data) + 2;   // past the escaped character, whatever it is
    }
    return -1;
}

// Skips one value (the text is valid JSON): a string, an object or array (nested strings
// skipped whole), or a number or literal.
qsizetype skipValue(const QByteArray &raw, qsizetype at)
{
    if (at >= raw.size())
        return -1;
    bool escaped = false;
    const char first = raw[at];
    if (first == '"')
        return skipString(raw, at, &escaped);
    if (first == '{' || first == '[') {
        int depth = 0;
        while (at < raw.size()) {
            const char c = raw[at];
            if (c == '"') {
                at = skipString(raw, at, &escaped);
                if (at < 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return at + 1;
            ++at;
        }
        return -1;
    }
    while (at < raw.size() && raw[at] != ',' && raw[at] != '}' && raw[at] != ' ' && raw[at] != '\n'
           && raw[at] != '\r' && raw[at] != '\t')
        ++at;
    return at;
}

} // namespace

bool scanJsonObject(const QByteArray &raw, QVarLengthArray<JsonMember, 24> *members, qsizetype *close)
{
    members->clear();
    qsizetype at = skipSpace(raw, 0);
    if (at >= raw.size() || raw[at] != '{')
        return false;
    ++at;
    while (true) {
        at = skipSpace(raw, at);
        if (at >= raw.size())
            return false;
        if (raw[at] == '}' && members->isEmpty()) {
            *close = at;
            break;
        }
        if (raw[at] != '"')
            return false;
        JsonMember member;
        const qsizetype keyEnd = skipString(raw, at, &member.keyEscaped);
        if (keyEnd < 0)
            return false;
        member.key = QByteArrayView(raw.constData() + at + 1, keyEnd - at - 2);
        at = skipSpace(raw, keyEnd);
        if (at >= raw.size() || raw[at] != ':')
            return false;
        member.valueFrom = skipSpace(raw, at + 1);
        member.valueTo = skipValue(raw, member.valueFrom);
        if (member.valueTo <= member.valueFrom)
            return false;
        members->append(member);
        at = skipSpace(raw, member.valueTo);
        if (at < raw.size() && raw[at] == ',') {
            ++at;
            continue;
        }
        if (at < raw.size() && raw[at] == '}') {
            *close = at;
            break;
        }
        return false;
    }
    return skipSpace(raw, *close + 1) == raw.size();
}

QString jsonStringValue(QByteArrayView valueText)
{
    if (valueText.size() >= 2 && valueText.startsWith('"') && valueText.endsWith('"') && !valueText.contains('\\'))
        return QString::fromUtf8(valueText.sliced(1, valueText.size() - 2));
    if (!valueText.startsWith('"'))
        return {};
    return QJsonDocument::fromJson("[" + valueText.toByteArray() + "]").array().at(0).toString();
}

namespace {

// -?[0-9]+ without leading zeros, at most 18 digits (so it fits a qint64).
std::optional<qint64> plainInteger(QByteArrayView text)
{
    qsizetype at = text.startsWith('-') ? 1 : 0;
    const qsizetype digits = text.size() - at;
    if (digits < 1 || digits > 18 || (digits > 1 && text[at] == '0'))
        return std::nullopt;
    qint64 value = 0;
    for (; at < text.size(); ++at) {
        if (text[at] < '0' || text[at] > '9')
            return std::nullopt;
        value = value * 10 + (text[at] - '0');
    }
    return text.startsWith('-') ? -value : value;
}

bool plainScalar(QByteArrayView text)
{
    if (text == "true" || text == "false" || text == "null" || plainInteger(text))
        return true;
    if (text.size() < 2 || !text.startsWith('"') || !text.endsWith('"'))
        return false;
    for (const char c : text.sliced(1, text.size() - 2)) {
        if (c == '\\' || c == '"' || static_cast<unsigned char>(c) < 0x20)
            return false;
    }
    return true;
}

} // namespace

PlainJsonObject::PlainJsonObject(QByteArrayView text)
    : m_text(QByteArray::fromRawData(text.data(), text.size()))
{
    qsizetype close = 0;
    m_valid = scanJsonObject(m_text, &m_members, &close);
    for (qsizetype i = 0; m_valid && i < m_members.size(); ++i) {
        const JsonMember &member = m_members[i];
        for (qsizetype j = 0; m_valid && j < i; ++j)
            m_valid = m_members[j].key != member.key;
        const QByteArrayView value(m_text.constData() + member.valueFrom, member.valueTo - member.valueFrom);
        m_valid = m_valid && !member.keyEscaped
                  && (value.startsWith('{') ? PlainJsonObject(value).valid() : plainScalar(value));
    }
}

const JsonMember *PlainJsonObject::find(QByteArrayView key) const
{
    for (const JsonMember &member : m_members) {
        if (member.key == key)
            return &member;
    }
    return nullptr;
}

qint64 PlainJsonObject::integer(QByteArrayView key) const
{
    const JsonMember *member = find(key);
    if (!member)
        return 0;
    return plainInteger(QByteArrayView(m_text.constData() + member->valueFrom, member->valueTo - member->valueFrom))
        .value_or(0);
}

PlainJsonObject PlainJsonObject::object(QByteArrayView key) const
{
    const JsonMember *member = find(key);
    if (!member || m_text.at(member->valueFrom) != '{')
        return {};
    return PlainJsonObject(QByteArrayView(m_text.constData() + member->valueFrom, member->valueTo - member->valueFrom));
}

namespace {

// Where the next `"type"` at or after `from` ends (the index after its closing quote), -1 when
// none. memchr finds each quote (most start some other string) a vector at a time:
// QByteArray::indexOf hashed every byte of the body (~11 instructions a byte, 5k a Responses or
// Messages request).
qsizetype afterTypeKey(const QByteArray &raw, qsizetype from)
{
    static constexpr char Key[] = "\"type\"";
    constexpr qsizetype KeySize = sizeof(Key) - 1;
    const char *begin = raw.constData();
    const char *end = begin + raw.size();
    for (const char *p = begin + from; end - p >= KeySize; ++p) {
        // A match starts at most KeySize - 1 bytes before the end.
        p = static_cast<const char *>(std::memchr(p, '"', size_t(end - p - (KeySize - 1))));
        if (!p)
            return -1;
        if (std::memcmp(p + 1, Key + 1, KeySize - 1) == 0)
            return p - begin + KeySize;
    }
    return -1;
}

} // namespace

bool onlyPlainContent(const QByteArray &raw)
{
    static const QSet<QByteArray> plain{
        "text", "input_text", "output_text", "message", "function", "function_call", "function_call_output",
        "tool_use", "tool_result", "thinking", "redacted_thinking", "reasoning", "summary_text", "reasoning_text",
        "ephemeral", "object", "string", "number", "integer", "boolean", "array", "null", "auto", "any", "tool",
        "none", "enabled", "disabled", "custom", "json_schema", "json_object", "refusal", "required", "allowed_tools"};
    for (qsizetype at = afterTypeKey(raw, 0); at >= 0; at = afterTypeKey(raw, at)) {
        at = skipSpace(raw, at);
        if (at >= raw.size() || raw.at(at) != ':')
            continue;   // "type" as a value, not a key
        at = skipSpace(raw, at + 1);
        if (at >= raw.size() || raw.at(at) != '"')
            return false;   // a type that is not a plain string (an array of types, …): count it
        const qsizetype end = raw.indexOf('"', at + 1);
        if (end < 0 || !plain.contains(QByteArray::fromRawData(raw.constData() + at + 1, end - at - 1)))
            return false;
        at = end + 1;
    }
    return true;
}


} // namespace Tollgate
