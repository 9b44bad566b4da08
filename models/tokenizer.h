#pragma once

#include "models/result.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringView>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

class QJsonArray;

namespace Tollgate {

// The byte-pair encodings OpenAI's models use; the rank tables ship as Qt resources under
// :/tollgate/tokenizers/ (converted from the MIT-licensed tiktoken).
enum class Encoding { O200kBase, Cl100kBase };

QString encodingName(Encoding encoding);

// A tiktoken-compatible byte-pair encoder: the same pre-tokenisation regex, the same merge
// order, so counts match what the provider bills as prompt tokens.
//
// Input is a QString, i.e. already Unicode. Lone surrogates cannot be encoded as UTF-8: they
// are replaced with U+FFFD first, which is what tiktoken's JS binding does (its strings go
// through TextEncoder), so counts still agree.
//
// Characters assigned after the Unicode version of the system's PCRE2 (Debian 12: 10.42,
// Unicode 14) are unassigned to the regex but letters to tiktoken; text using them may count
// a token or two differently.
//
// Immutable after loading, so one instance serves every thread.
class Tokenizer final
{
    Q_DISABLE_COPY_MOVE(Tokenizer)

public:
    // The shared instance for an encoding, loaded on first use (thread-safe; later calls
    // return the cached instance or the cached error).
    static Result<std::shared_ptr<const Tokenizer>> load(Encoding encoding);
    // Loads a tiktoken rank file plus its meta JSON (pat_str, special_tokens); not cached.
    static Result<std::shared_ptr<const Tokenizer>> loadFiles(const QString &ranksPath,
                                                              const QString &metaPath);

    // Ordinary text: special tokens such as <|endoftext|> are encoded as plain text, like
    // tiktoken's encode_ordinary (a user cannot smuggle control tokens into a count).
    [[nodiscard]] QList<int> encode(QStringView text) const;
    [[nodiscard]] qsizetype count(QStringView text) const;
    // The bytes of the tokens (UTF-8 unless the ids split a character); unknown ids are skipped.
    [[nodiscard]] QByteArray decode(const QList<int> &tokens) const;

    [[nodiscard]] qsizetype vocabularySize() const { return qsizetype(m_tokens.size()); }

private:
    Tokenizer() = default;

    struct Span
    {
        quint32 offset = 0;
        quint32 length = 0;
    };

    Result<void> parseRanks(const QByteArray &data);
    Result<void> parseMeta(const QByteArray &data);
    [[nodiscard]] int rank(std::string_view bytes) const;
    // Calls sink(rank) for each token of the UTF-8 text.
    template<typename Sink>
    void encodeWith(QStringView text, Sink &&sink) const;
    template<typename Sink>
    void encodePiece(std::string_view piece, Sink &sink) const;
    template<typename Sink>
    void mergeSmall(std::string_view piece, Sink &sink) const;
    template<typename Sink>
    void mergeLarge(std::string_view piece, Sink &sink) const;

    std::string m_bytes;            // every token's bytes, back to back
    std::vector<Span> m_tokens;     // rank → its bytes in m_bytes (length 0: unused rank)
    std::vector<qint32> m_slots;    // open-addressing hash table of ranks, -1 = empty
    quint64 m_slotMask = 0;
    QHash<int, QByteArray> m_special;  // only for decode: encode never produces them
    QRegularExpression m_pattern;
};

// A model name as the model tables look it up: "openai/gpt-4o", "ft:gpt-4o-mini:org::id" and
// "GPT-4o" become "gpt-4o", "gpt-4o-mini:org::id", "gpt-4o".
QString bareModelName(const QString &model);
// Whether the bare `name` belongs to the model family `prefix`: the name itself, or the
// prefix followed by '-' or ':' ("gpt-4o-2024-08-06" is gpt-4o; "gpt-4o-mini" is too, so more
// specific families are asked first).
bool isModelFamily(QStringView name, QStringView prefix);

// Which encoding a model uses. Models the table does not know (other providers) get
// cl100k_base with *exact = false: the count is then an estimate.
Encoding encodingForModel(const QString &model, bool *exact = nullptr);

// Prompt tokens of a Chat Completions `messages` array with OpenAI's documented overhead:
// 3 per message, the tokens of its string fields (role, content, name), 1 more for a name,
// the text parts of array content, and 3 priming the reply. Matches usage.prompt_tokens for
// plain chat messages; images, audio, tool calls are not counted here (countRequestPromptTokens
// in tokencount.h counts them). -1 if the encoding cannot load.
qint64 countChatTokens(const QJsonArray &messages, const QString &model);
// countChatTokens' framing with `countText` for each text: the exact count passes the
// tokenizer, admission's cheap bound (boundRequestPromptTokens) each text's UTF-8 bytes.
// `countOther`, if given, counts everything else in a message: each array item that is not a
// text part (images, audio, files, tool calls) and each field that is neither a string nor
// an array (objects such as function_call).
qint64 chatPromptTokens(const QJsonArray &messages, const std::function<qint64(QStringView)> &countText,
                        const std::function<qint64(const QJsonValue &)> &countOther = {});

} // namespace Tollgate
