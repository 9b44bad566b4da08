#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QVarLengthArray>

#include <optional>
#include <span>
#include <utility>

namespace Tollgate {

// One top-level member of a JSON object text: its key as written (between the quotes) and
// where its value's text starts and ends.
struct JsonMember
{
    QByteArrayView key;
    bool keyEscaped = false;  // the key holds a backslash escape: `key` is not its decoded name
    qsizetype valueFrom = 0;
    qsizetype valueTo = 0;
};

// Splits the top level of a JSON object text into its members without parsing their values
// (strings are skipped whole, nested objects and arrays by their brackets). False unless
// `raw` is `{...}` with a well-formed top level, nothing but whitespace around it. Values are
// not checked: use it on text that parsed already, or where only the top level matters.
// `close` is the index of the object's closing brace.
bool scanJsonObject(const QByteArray &raw, QVarLengthArray<JsonMember, 24> *members, qsizetype *close);

// A member's value text as a string: a quoted string without escapes is read as it is, any
// other is decoded by the JSON parser; a value that is not a string gives a null string.
QString jsonStringValue(QByteArrayView valueText);

// A JSON object text made only of integers, strings without escapes, true, false, null and
// nested objects of the same — what a `usage` block holds —, read without the JSON parser
// (a third of its cost for an answer's usage). valid() is false for anything else (a
// fraction, an exponent, an array, an escape, a control character, a repeated key, malformed
// text): parse such a text instead. Where valid, it reads exactly what QJsonObject would.
class PlainJsonObject
{
public:
    PlainJsonObject() = default;   // valid, empty
    explicit PlainJsonObject(QByteArrayView text);

    [[nodiscard]] bool valid() const { return m_valid; }
    // The member's value as written (a plain scalar or an object), nullopt when it is absent.
    [[nodiscard]] std::optional<QByteArrayView> raw(QByteArrayView key) const;
    // The member as an object: empty when it is absent or not an object.
    [[nodiscard]] PlainJsonObject object(QByteArrayView key) const;

private:
    [[nodiscard]] const JsonMember *find(QByteArrayView key) const;

    QByteArray m_text;   // raw data over the caller's bytes, which must outlive this
    QVarLengthArray<JsonMember, 24> m_members;
    bool m_valid = true;
};

// Whether a model request's bytes bound its prompt tokens: every "type" in it is one of plain
// text, messages, tool calls and results, reasoning, and JSON schemas. Images, files,
// documents, hosted tools, MCP servers and anything new are billed beyond their bytes (an
// image by URL is a few bytes and up to thousands of tokens). Every occurrence of "type" is
// looked at, so none can hide.
bool onlyPlainContent(const QByteArray &raw);

// Whether `raw` holds a JSON escape of a printable ASCII character ("t\u0079pe"): every JSON
// parser, the provider's too, reads it as that character, the byte scanners here (onlyPlainContent,
// a request's cache_control, …) do not.
bool hasAsciiEscape(QByteArrayView raw);

// A request body as the byte scanners can read it: when `raw` has such an escape and is a JSON
// object, it is rewritten in QJsonDocument's compact form (which writes printable ASCII as it
// is), else left as it is. Run on a model request's body before anything reads it.
void unescapeAscii(QByteArray &raw);

// Whether `needle` occurs in `haystack` (an empty needle always does), as QByteArray::contains
// says. glibc's memmem: ~5x faster over a request body than QByteArray::contains, which hashes
// every byte (bench/relay_bench, BM_BodyContains*).
bool containsBytes(QByteArrayView haystack, QByteArrayView needle);

// Whether `raw` is one JSON text that QJsonDocument::fromJson reads without an error, checked
// without building a DOM. Conservative: false for anything it does not vouch for — control
// characters in a string, an escaped surrogate, invalid UTF-8, nesting deeper than 256, a
// number of more than 300 characters or with an exponent of 3 digits —, and the caller then
// parses the text as before.
bool isPlainValidJson(QByteArrayView raw);

// A request body's top level read without a JSON DOM, where that reads exactly what
// QJsonDocument would: the body is a valid JSON object (isPlainValidJson) whose keys are plain
// (no escapes) and each there once. Otherwise ok() is false and the caller parses the body.
// Only the members asked for are parsed (objectOf), so a request's large members
// (messages, input, tools) are never parsed unless someone needs them.
class RequestScan
{
public:
    explicit RequestScan(const QByteArray &raw);

    [[nodiscard]] bool ok() const { return m_ok; }
    // No number has an exponent or more than 15 digits: QJsonDocument writes the body (or any
    // part of it) back in no more bytes than it has here.
    [[nodiscard]] bool numbersWrittenBackNoLonger() const { return m_shortNumbers; }
    [[nodiscard]] bool contains(QByteArrayView key) const { return find(key) != nullptr; }
    // The member's type as QJsonValue gives it (Undefined when absent).
    [[nodiscard]] QJsonValue::Type type(QByteArrayView key) const;
    // As QJsonValue::toString(): the member's string, a null string when it is absent or not a
    // string (~0.1k instructions for a short plain string; a look-up in a QJsonObject ~0.5k).
    [[nodiscard]] QString string(QByteArrayView key) const;
    // The member's value as written (empty when absent), a view into the scanned body.
    [[nodiscard]] QByteArrayView text(QByteArrayView key) const;
    // Where the member's value is in the body: [first, second), nullopt when absent.
    [[nodiscard]] std::optional<std::pair<qsizetype, qsizetype>> span(QByteArrayView key) const;
    // The object of the members named (those present), parsed from their own text: what the
    // gateway reads of a request's top level, without the prompt it needs only to count it.
    [[nodiscard]] QJsonObject objectOf(std::span<const QByteArrayView> fields) const;

private:
    [[nodiscard]] const JsonMember *find(QByteArrayView key) const;

    QByteArray m_raw;
    QVarLengthArray<JsonMember, 24> m_members;
    bool m_ok = false;
    bool m_shortNumbers = false;
};

// What the gateway reads of a request's top level: `object` (the fields a scan read, or the
// whole body) and the scan, when there is one. With a scan, whether a field is there, its type
// and a string are read from the scanned members (~0.1k instructions each) instead of a
// QJsonObject look-up (~0.5k), and `object` is looked in only for a field that is there.
// Both must outlive this.
class RequestFields
{
public:
    RequestFields(const QJsonObject &object, const RequestScan *scan) : m_object(object), m_scan(scan) {}

    [[nodiscard]] bool contains(QLatin1StringView key) const;
    [[nodiscard]] QJsonValue::Type type(QLatin1StringView key) const;
    [[nodiscard]] QJsonValue value(QLatin1StringView key) const;
    // As QJsonValue::toString(): a null string when absent or not a string.
    [[nodiscard]] QString string(QLatin1StringView key) const;

private:
    const QJsonObject &m_object;
    const RequestScan *m_scan;
};

} // namespace Tollgate
