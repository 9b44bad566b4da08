#include "jsonscan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cstring>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace Tollgate {

namespace {

// Skips JSON whitespace from `at`.
qsizetype skipSpace(const QByteArray &raw, qsizetype at)
{
    while (at < raw.size() && (raw[at] == ' ' || raw[at] == '\n' || raw[at] == '\r' || raw[at] == '\t'))
        ++at;
    return at;
}

// The bytes a search stops at, a 16-byte block at a time (`vector`: the mask of the block's
// stops) and one at a time (`scalar`).
struct QuoteOrBackslash
{
#if defined(__SSE2__)
    static int vector(__m128i bytes)
    {
        return _mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
    }
#endif
    static bool scalar(char c) { return c == '"' || c == '\\'; }
};

// '[' and ']' are '{' and '}' less 0x20: or-ing 0x20 folds them together (no other byte folds
// onto '{' or '}').
struct QuoteOrBracket
{
#if defined(__SSE2__)
    static int vector(__m128i bytes)
    {
        const __m128i folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
        return _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                              _mm_or_si128(_mm_cmpeq_epi8(folded, _mm_set1_epi8('{')),
                                                           _mm_cmpeq_epi8(folded, _mm_set1_epi8('}')))));
    }
#endif
    static bool scalar(char c) { return c == '"' || c == '{' || c == '}' || c == '[' || c == ']'; }
};

// What ends a run of a string's bytes that stand for themselves: a quote, a backslash, a
// control character or a byte of 0x80 or more (signed: below 0x20).
struct StringSpecial
{
#if defined(__SSE2__)
    static int vector(__m128i bytes)
    {
        return _mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))),
            _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20))));
    }
#endif
    static bool scalar(char c) { return c == '"' || c == '\\' || uchar(c) < 0x20 || uchar(c) >= 0x80; }
};

// The index of the first byte from `at` that `Stops` stops at (`size` when none), 16 bytes at a
// time: most of a request's bytes are inside strings (the prompt), and most strings of an
// answer are short, where two memchr calls a string cost more than the string.
template<typename Stops>
qsizetype findFirst(const char *data, qsizetype at, qsizetype size)
{
#if defined(__SSE2__)
    while (size - at >= 16) {
        const int mask = Stops::vector(_mm_loadu_si128(reinterpret_cast<const __m128i *>(data + at)));
        if (mask != 0)
            return at + __builtin_ctz(unsigned(mask));
        at += 16;
    }
#endif
    while (at < size && !Stops::scalar(data[at]))
        ++at;
    return at;
}

// `at` is on the opening quote: returns the index after the closing one (or -1), and whether
// the string holds an escape.
qsizetype skipString(const QByteArray &raw, qsizetype at, bool *escaped)
{
    *escaped = false;
    const char *data = raw.constData();
    const qsizetype size = raw.size();
    for (++at; at < size;) {
        at = findFirst<QuoteOrBackslash>(data, at, size);
        if (at >= size)
            return -1;
        if (data[at] == '"')
            return at + 1;
        *escaped = true;
        at += 2;   // past the escaped character, whatever it is
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
        const char *data = raw.constData();
        const qsizetype size = raw.size();
        int depth = 0;
        while (true) {
            at = findFirst<QuoteOrBracket>(data, at, size);
            if (at >= size)
                return -1;
            const char c = data[at];
            if (c == '"') {
                at = skipString(raw, at, &escaped);
                if (at < 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if (--depth == 0)
                return at + 1;
            ++at;
        }
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

std::optional<QByteArrayView> PlainJsonObject::raw(QByteArrayView key) const
{
    const JsonMember *member = find(key);
    if (!member)
        return std::nullopt;
    return QByteArrayView(m_text.constData() + member->valueFrom, member->valueTo - member->valueFrom);
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

bool containsBytes(QByteArrayView haystack, QByteArrayView needle)
{
    if (needle.isEmpty())
        return true;
    return memmem(haystack.data(), size_t(haystack.size()), needle.data(), size_t(needle.size())) != nullptr;
}

bool hasAsciiEscape(QByteArrayView raw)
{
    const auto isHex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    const char *const end = raw.data() + raw.size();
    // memchr to each backslash (most bodies have none, or a few \n): ~100 instructions a KiB.
    for (const char *p = raw.data(); p < end;) {
        const auto *slash = static_cast<const char *>(memchr(p, '\\', size_t(end - p)));
        if (!slash || end - slash < 6)
            return false;
        // \u0020 to \u007f: printable ASCII (control characters never spell a key or a type)
        if (slash[1] == 'u' && slash[2] == '0' && slash[3] == '0' && slash[4] >= '2' && slash[4] <= '7'
            && isHex(slash[5]))
            return true;
        p = slash + 2;   // past the escape's two characters (\\ included)
    }
    return false;
}

void unescapeAscii(QByteArray &raw)
{
    if (!hasAsciiEscape(raw))
        return;
    const QJsonDocument document = QJsonDocument::fromJson(raw);
    if (document.isObject())
        raw = document.toJson(QJsonDocument::Compact);
}

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

namespace Tollgate {

namespace {

// A recursive-descent check of RFC 8259's grammar (what QJsonDocument accepts, less what the
// header comment of isPlainValidJson leaves to the parser).
class JsonChecker
{
public:
    // `top`, when given, gets the members of a top-level object as they are checked.
    explicit JsonChecker(QByteArrayView text, QVarLengthArray<JsonMember, 24> *top = nullptr)
        : m_begin(text.data()), m_p(text.data()), m_end(text.data() + text.size()), m_top(top)
    {}

    // Whether every number had no exponent and at most 15 digits: QJsonDocument writes each such
    // number back in no more characters than it had.
    [[nodiscard]] bool shortNumbers() const { return m_shortNumbers; }

    // Whether the text is an object (else an array).
    [[nodiscard]] bool isObject() const { return m_object; }

    bool document()
    {
        space();
        if (m_p == m_end || (*m_p != '{' && *m_p != '['))
            return false;   // QJsonDocument reads an object or an array
        m_object = *m_p == '{';
        if (!value(0))
            return false;
        space();
        return m_p == m_end;
    }

private:
    static constexpr int MaxDepth = 256;

    void space()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    bool literal(const char *word, qsizetype size)
    {
        if (m_end - m_p < size || std::memcmp(m_p, word, size_t(size)) != 0)
            return false;
        m_p += size;
        return true;
    }

    bool value(int depth)
    {
        if (m_p == m_end)
            return false;
        switch (*m_p) {
        case '{': return container(depth + 1, '}');
        case '[': return container(depth + 1, ']');
        case '"': return string();
        case 't': return literal("true", 4);
        case 'f': return literal("false", 5);
        case 'n': return literal("null", 4);
        default: return number();
        }
    }

    // An object or an array, from its opening bracket: its members (a key and a value) or
    // elements, comma-separated, up to `close`.
    bool container(int depth, char close)
    {
        if (depth > MaxDepth)
            return false;
        ++m_p;
        space();
        if (m_p < m_end && *m_p == close) {
            ++m_p;
            return true;
        }
        while (true) {
            if (close == '}' ? !member(depth) : !value(depth))
                return false;
            space();
            if (m_p == m_end)
                return false;
            if (*m_p == close) {
                ++m_p;
                return true;
            }
            if (*m_p != ',')
                return false;
            ++m_p;
            space();
        }
    }

    bool member(int depth)
    {
        const char *key = m_p;
        m_escaped = false;
        if (m_p == m_end || *m_p != '"' || !string())
            return false;
        const char *keyEnd = m_p;
        const bool keyEscaped = m_escaped;
        space();
        if (m_p == m_end || *m_p != ':')
            return false;
        ++m_p;
        space();
        const char *from = m_p;
        if (!value(depth))
            return false;
        if (depth == 1 && m_top)
            m_top->append({QByteArrayView(key + 1, keyEnd - key - 2), keyEscaped, from - m_begin, m_p - m_begin});
        return true;
    }

    static bool isHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
    static bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

    // `m_p` on a lead byte of 0x80 or more: one well-formed UTF-8 sequence (no overlong form, no
    // surrogate, nothing above U+10FFFF).
    bool utf8()
    {
        const auto *p = reinterpret_cast<const unsigned char *>(m_p);
        const qsizetype left = m_end - m_p;
        const unsigned char lead = p[0];
        if (lead >= 0xC2 && lead <= 0xDF && left >= 2 && isContinuation(p[1])) {
            m_p += 2;
            return true;
        }
        if (lead >= 0xE0 && lead <= 0xEF && left >= 3 && isContinuation(p[1]) && isContinuation(p[2])) {
            if ((lead == 0xE0 && p[1] < 0xA0) || (lead == 0xED && p[1] >= 0xA0))
                return false;   // overlong, or a surrogate
            m_p += 3;
            return true;
        }
        if (lead >= 0xF0 && lead <= 0xF4 && left >= 4 && isContinuation(p[1]) && isContinuation(p[2])
            && isContinuation(p[3])) {
            if ((lead == 0xF0 && p[1] < 0x90) || (lead == 0xF4 && p[1] >= 0x90))
                return false;   // overlong, or above U+10FFFF
            m_p += 4;
            return true;
        }
        return false;
    }

    // Past the bytes a string holds as they are (printable ASCII but '"' and '\\'), 16 at a
    // time: a prompt is most of a request's bytes.
    void plainRun() { m_p += findFirst<StringSpecial>(m_p, 0, m_end - m_p); }

    bool string()
    {
        ++m_p;
        while (m_p < m_end) {
            plainRun();
            if (m_p == m_end)
                break;
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                ++m_p;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c >= 0x80) {
                if (!utf8())
                    return false;
                continue;
            }
            if (c == '\\') {
                m_escaped = true;
                if (m_end - m_p < 2)
                    return false;
                const char escaped = m_p[1];
                if (escaped == 'u') {
                    if (m_end - m_p < 6 || !isHex(m_p[2]) || !isHex(m_p[3]) || !isHex(m_p[4]) || !isHex(m_p[5]))
                        return false;
                    // A surrogate (paired or not) is left to the parser.
                    if ((m_p[2] == 'd' || m_p[2] == 'D') && m_p[3] >= '8')
                        return false;
                    m_p += 6;
                    continue;
                }
                if (!std::strchr("\"\\/bfnrt", escaped) || escaped == '\0')
                    return false;
                m_p += 2;
                continue;
            }
            ++m_p;
        }
        return false;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? with at most 300 digits and an exponent of
    // at most 2 digits (always a finite double).
    bool number()
    {
        const char *start = m_p;
        if (m_p < m_end && *m_p == '-')
            ++m_p;
        const auto digits = [this] {
            const char *from = m_p;
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
            return m_p - from;
        };
        if (m_p == m_end)
            return false;
        if (*m_p == '0')
            ++m_p;
        else if (digits() == 0)
            return false;
        if (m_p < m_end && *m_p == '.') {
            ++m_p;
            if (digits() == 0)
                return false;
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (m_p < m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            const qsizetype exponent = digits();
            if (exponent == 0 || exponent > 2)
                return false;
            m_shortNumbers = false;
        }
        const qsizetype size = m_p - start;
        if (size - (*start == '-') - (std::memchr(start, '.', size_t(size)) != nullptr) > 15)
            m_shortNumbers = false;
        return size <= 300;
    }

    const char *m_begin;
    const char *m_p;
    const char *m_end;
    QVarLengthArray<JsonMember, 24> *m_top;
    bool m_shortNumbers = true;
    bool m_object = false;
    bool m_escaped = false;   // the last string held an escape
};

} // namespace

// Far beyond any request body the transport lets through; the parser has its own limits.
constexpr qsizetype MaxChecked = 64LL * 1024 * 1024;

bool isPlainValidJson(QByteArrayView raw)
{
    return raw.size() <= MaxChecked && JsonChecker(raw).document();
}

RequestScan::RequestScan(const QByteArray &raw) : m_raw(raw)
{
    // The check notes the top level's members as it goes (no second pass over the text).
    JsonChecker checker(raw, &m_members);
    if (raw.size() > MaxChecked || !checker.document() || !checker.isObject()) {
        m_members.clear();   // what a failed check noted is no reading
        return;
    }
    m_shortNumbers = checker.shortNumbers();
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        if (m_members[i].keyEscaped)
            return;
        for (qsizetype j = 0; j < i; ++j) {
            if (m_members[j].key == m_members[i].key)
                return;
        }
    }
    m_ok = true;
}

const JsonMember *RequestScan::find(QByteArrayView key) const
{
    for (const JsonMember &member : m_members) {
        if (member.key == key)
            return &member;
    }
    return nullptr;
}

QJsonValue::Type RequestScan::type(QByteArrayView key) const
{
    const JsonMember *member = find(key);
    if (!member)
        return QJsonValue::Undefined;
    switch (m_raw.at(member->valueFrom)) {
    case '{': return QJsonValue::Object;
    case '[': return QJsonValue::Array;
    case '"': return QJsonValue::String;
    case 't':
    case 'f': return QJsonValue::Bool;
    case 'n': return QJsonValue::Null;
    default: return QJsonValue::Double;
    }
}

QString RequestScan::string(QByteArrayView key) const
{
    return jsonStringValue(text(key));   // absent: empty text, a null string
}

std::optional<std::pair<qsizetype, qsizetype>> RequestScan::span(QByteArrayView key) const
{
    const JsonMember *member = find(key);
    if (!member)
        return std::nullopt;
    return std::pair{member->valueFrom, member->valueTo};
}

QByteArrayView RequestScan::text(QByteArrayView key) const
{
    const JsonMember *member = find(key);
    if (!member)
        return {};
    return QByteArrayView(m_raw).sliced(member->valueFrom, member->valueTo - member->valueFrom);
}

QJsonObject RequestScan::objectOf(std::span<const QByteArrayView> fields) const
{
    if (!m_ok)
        return {};
    // The members' own text, parsed as one object: a QJsonObject::insert costs ~2.5k
    // instructions a member, the parser ~90 a byte.
    const auto wanted = [&fields](const JsonMember &member) {
        return std::find(fields.begin(), fields.end(), member.key) != fields.end();
    };
    const auto keyFrom = [this](const JsonMember &member) {
        return member.key.data() - 1 - m_raw.constData();   // at the key's opening quote
    };
    qsizetype size = 2;
    for (const JsonMember &member : m_members) {
        if (wanted(member))
            size += member.valueTo - keyFrom(member) + 1;
    }
    QByteArray text;
    text.reserve(size);   // one allocation
    text += '{';
    for (const JsonMember &member : m_members) {
        if (!wanted(member))
            continue;
        if (text.size() > 1)
            text += ',';
        text.append(m_raw.constData() + keyFrom(member), member.valueTo - keyFrom(member));
    }
    text += '}';
    return QJsonDocument::fromJson(text).object();
}

namespace {

QByteArrayView bytesOf(QLatin1StringView key)
{
    return QByteArrayView(key.data(), key.size());
}

} // namespace

bool RequestFields::contains(QLatin1StringView key) const
{
    return m_scan ? m_scan->contains(bytesOf(key)) : m_object.contains(key);
}

QJsonValue::Type RequestFields::type(QLatin1StringView key) const
{
    return m_scan ? m_scan->type(bytesOf(key)) : m_object.value(key).type();
}

QJsonValue RequestFields::value(QLatin1StringView key) const
{
    if (m_scan && !m_scan->contains(bytesOf(key)))
        return QJsonValue(QJsonValue::Undefined);
    return m_object.value(key);
}

QString RequestFields::string(QLatin1StringView key) const
{
    return m_scan ? m_scan->string(bytesOf(key)) : m_object.value(key).toString();
}

} // namespace Tollgate
