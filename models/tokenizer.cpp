#include "models/tokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>

using namespace Qt::StringLiterals;

namespace Tollgate {

Q_LOGGING_CATEGORY(lcTokenizer, "tollgate.tokenizer", QtInfoMsg)

namespace {

constexpr int kNoRank = std::numeric_limits<int>::max();
// Pieces up to this many bytes use tiktoken's own quadratic merge loop (fastest for the short
// pieces ordinary text is made of); longer ones a heap, so a megabyte without a space stays
// O(n log n).
constexpr size_t kSmallPiece = 128;

quint64 hashBytes(std::string_view bytes)
{
    // FNV-1a plus a final mix: tokens are short, so this beats anything fancier.
    quint64 h = 0xcbf29ce484222325ULL;
    for (const char c : bytes)
        h = (h ^ quint8(c)) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

int base64Value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

// Decodes one base64 token onto the end of out; false if malformed. Hand-written because
// QByteArray::fromBase64 would allocate once per line, 200k times.
bool appendBase64(std::string_view in, std::string &out)
{
    quint32 acc = 0;
    int bits = 0;
    for (const char c : in) {
        if (c == '=')
            break;
        const int v = base64Value(c);
        if (v < 0)
            return false;
        acc = (acc << 6) | quint32(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(char((acc >> bits) & 0xff));
        }
    }
    return true;
}

// tiktoken's patterns are written for Rust's regex crate, whose \s is exactly Unicode's
// White_Space property. PCRE2's \s (with UCP) depends on its Unicode tables and also takes
// U+180E, so spell the set out: counts then do not drift with the PCRE2 version.
QString adaptPattern(const QString &pattern)
{
    const QString whiteSpace =
        u"\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
        u"\\x{202F}\\x{205F}\\x{3000}"_s;
    QString out;
    out.reserve(pattern.size() + 256);
    bool inClass = false;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern.at(i);
        if (c == u'\\' && i + 1 < pattern.size()) {
            const QChar n = pattern.at(i + 1);
            ++i;
            if (n == u's')
                out += inClass ? whiteSpace : u'[' + whiteSpace + u']';
            else if (n == u'S' && !inClass)
                out += u"[^"_s + whiteSpace + u']';
            else
                out += c + QString(n);
            continue;
        }
        if (c == u'[')
            inClass = true;
        else if (c == u']')
            inClass = false;
        out += c;
    }
    return out;
}

// Lone surrogates → U+FFFD, as TextEncoder does before tiktoken sees the text; PCRE2 must
// not be handed invalid UTF-16 either. Returns an empty string when the text is clean.
QString withoutLoneSurrogates(QStringView text)
{
    const qsizetype n = text.size();
    qsizetype i = 0;
    for (; i < n; ++i) {
        const char16_t c = text[i].unicode();
        if (QChar::isHighSurrogate(c) && i + 1 < n && QChar::isLowSurrogate(text[i + 1].unicode()))
            ++i;
        else if (QChar::isSurrogate(c))
            break;
    }
    if (i == n)
        return {};
    QString out = text.toString();
    for (; i < n; ++i) {
        const char16_t c = out[i].unicode();
        if (QChar::isHighSurrogate(c) && i + 1 < n && QChar::isLowSurrogate(out[i + 1].unicode()))
            ++i;
        else if (QChar::isSurrogate(c))
            out[i] = QChar::ReplacementCharacter;
    }
    return out;
}

Result<QByteArray> readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(u"cannot read tokenizer data: "_s + file.errorString(), path);
    return file.readAll();
}

} // namespace

QString encodingName(Encoding encoding)
{
    switch (encoding) {
    case Encoding::O200kBase:
        return u"o200k_base"_s;
    case Encoding::Cl100kBase:
        return u"cl100k_base"_s;
    }
    return {};
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::load(Encoding encoding)
{
    const auto fromResources = [encoding] {
        const QString base = u":/tollgate/tokenizers/"_s + encodingName(encoding);
        return loadFiles(base + u".tiktoken", base + u".meta.json");
    };
    // Function-local statics: initialised once, thread-safe, and only when first needed
    // (o200k_base costs ~10 MB; a gateway serving only Claude never pays for it).
    switch (encoding) {
    case Encoding::O200kBase: {
        static const Result<std::shared_ptr<const Tokenizer>> o200k = fromResources();
        return o200k;
    }
    case Encoding::Cl100kBase: {
        static const Result<std::shared_ptr<const Tokenizer>> cl100k = fromResources();
        return cl100k;
    }
    }
    return makeError(u"unknown encoding"_s);
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::loadFiles(const QString &ranksPath,
                                                              const QString &metaPath)
{
    const Result<QByteArray> ranks = readFile(ranksPath);
    if (!ranks)
        return ranks.error();
    const Result<QByteArray> meta = readFile(metaPath);
    if (!meta)
        return meta.error();

    std::shared_ptr<Tokenizer> tokenizer(new Tokenizer);
    if (Result<void> parsed = tokenizer->parseRanks(*ranks); !parsed)
        return makeError(parsed.error().message, ranksPath, parsed.error().line);
    if (Result<void> parsed = tokenizer->parseMeta(*meta); !parsed)
        return makeError(parsed.error().message, metaPath);
    return std::shared_ptr<const Tokenizer>(std::move(tokenizer));
}

Result<void> Tokenizer::parseRanks(const QByteArray &data)
{
    m_bytes.reserve(size_t(data.size()) / 2);
    m_tokens.reserve(size_t(data.size()) / 16);
    const char *p = data.constData();
    const char *const end = p + data.size();
    int line = 0;
    while (p < end) {
        ++line;
        const char *eol = static_cast<const char *>(memchr(p, '\n', size_t(end - p)));
        if (!eol)
            eol = end;
        const std::string_view text(p, size_t(eol - p));
        p = eol + 1;
        if (text.empty())
            continue;
        const size_t space = text.find(' ');
        if (space == std::string_view::npos)
            return makeError(u"expected \"base64 rank\""_s, {}, line);
        quint32 rank = 0;
        for (const char c : text.substr(space + 1)) {
            if (c == '\r')
                break;
            if (c < '0' || c > '9' || rank > 100'000'000)
                return makeError(u"bad rank"_s, {}, line);
            rank = rank * 10 + quint32(c - '0');
        }
        const size_t offset = m_bytes.size();
        if (!appendBase64(text.substr(0, space), m_bytes) || m_bytes.size() == offset)
            return makeError(u"bad base64 token"_s, {}, line);
        if (rank >= m_tokens.size())
            m_tokens.resize(rank + 1);
        if (m_tokens[rank].length != 0)
            return makeError(u"duplicate rank"_s, {}, line);
        m_tokens[rank] = Span{quint32(offset), quint32(m_bytes.size() - offset)};
    }

    size_t slotCount = 1;
    while (slotCount < m_tokens.size() * 2)
        slotCount <<= 1;
    m_slots.assign(slotCount, -1);
    m_slotMask = slotCount - 1;
    for (size_t r = 0; r < m_tokens.size(); ++r) {
        const Span span = m_tokens[r];
        if (span.length == 0)
            continue;
        const std::string_view bytes(m_bytes.data() + span.offset, span.length);
        if (rank(bytes) >= 0)
            return makeError(u"token listed twice"_s);
        quint64 slot = hashBytes(bytes) & m_slotMask;
        while (m_slots[slot] >= 0)
            slot = (slot + 1) & m_slotMask;
        m_slots[slot] = qint32(r);
    }
    // The merge loop relies on every single byte being a token (true of every tiktoken file).
    for (int b = 0; b < 256; ++b) {
        const char c = char(b);
        if (rank(std::string_view(&c, 1)) < 0)
            return makeError(u"byte %1 has no rank"_s.arg(b));
    }
    return {};
}

Result<void> Tokenizer::parseMeta(const QByteArray &data)
{
    QJsonParseError error;
    const QJsonObject meta = QJsonDocument::fromJson(data, &error).object();
    if (error.error != QJsonParseError::NoError)
        return makeError(error.errorString());
    const QString pattern = meta.value(u"pat_str"_s).toString();
    if (pattern.isEmpty())
        return makeError(u"pat_str missing"_s);
    const QJsonObject specials = meta.value(u"special_tokens"_s).toObject();
    for (auto it = specials.begin(); it != specials.end(); ++it)
        m_special.insert(it.value().toInt(), it.key().toUtf8());

    m_pattern = QRegularExpression(adaptPattern(pattern),
                                   QRegularExpression::UseUnicodePropertiesOption);
    if (!m_pattern.isValid())
        return makeError(u"pat_str does not compile: "_s + m_pattern.errorString());
    // Compile (and JIT) now, not racily on the first encode from several threads.
    m_pattern.optimize();
    return {};
}

int Tokenizer::rank(std::string_view bytes) const
{
    quint64 slot = hashBytes(bytes) & m_slotMask;
    for (;;) {
        const qint32 r = m_slots[slot];
        if (r < 0)
            return -1;
        const Span span = m_tokens[size_t(r)];
        if (span.length == bytes.size()
            && memcmp(m_bytes.data() + span.offset, bytes.data(), bytes.size()) == 0)
            return r;
        slot = (slot + 1) & m_slotMask;
    }
}

template<typename Sink>
void Tokenizer::encodeWith(QStringView input, Sink &&sink) const
{
    const QString cleaned = withoutLoneSurrogates(input);
    const QStringView text = cleaned.isNull() ? input : QStringView(cleaned);
    const QByteArray utf8 = text.toUtf8();

    // Regex offsets are UTF-16 units; walk a cursor alongside to find the same piece in
    // UTF-8 without converting each piece separately.
    qsizetype u16 = 0;
    qsizetype u8 = 0;
    const auto advance = [&](qsizetype to) {
        for (; u16 < to; ++u16) {
            const char16_t c = text[u16].unicode();
            if (c < 0x80)
                u8 += 1;
            else if (c < 0x800)
                u8 += 2;
            else if (QChar::isHighSurrogate(c))
                u8 += 4;   // the pair: the low half adds nothing
            else if (!QChar::isLowSurrogate(c))
                u8 += 3;
        }
    };
    const auto emitUpTo = [&](qsizetype to) {
        const qsizetype from8 = u8;
        advance(to);
        if (u8 > from8)
            encodePiece(std::string_view(utf8.constData() + from8, size_t(u8 - from8)), sink);
    };

    QRegularExpressionMatchIterator it = m_pattern.globalMatch(text);
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        // The pattern matches every character, so a gap means PCRE2 gave up (a resource
        // limit); encoding the gap as one piece keeps the count close rather than dropping it.
        if (match.capturedStart() > u16)
            emitUpTo(match.capturedStart());
        emitUpTo(match.capturedEnd());
    }
    if (u16 < text.size())
        emitUpTo(text.size());
}

template<typename Sink>
void Tokenizer::encodePiece(std::string_view piece, Sink &sink) const
{
    if (const int whole = rank(piece); whole >= 0) {
        sink(whole);
        return;
    }
    if (piece.size() <= kSmallPiece)
        mergeSmall(piece, sink);
    else
        mergeLarge(piece, sink);
}

// tiktoken's _byte_pair_merge, step for step: repeatedly merge the adjacent pair whose
// concatenation has the lowest rank (leftmost on ties).
template<typename Sink>
void Tokenizer::mergeSmall(std::string_view piece, Sink &sink) const
{
    struct Part
    {
        quint32 start;
        int rank;
    };
    Part parts[kSmallPiece + 1];
    size_t count = 0;
    const auto rankOf = [&](size_t from, size_t to) {
        const int r = rank(piece.substr(from, to - from));
        return r < 0 ? kNoRank : r;
    };
    for (size_t i = 0; i + 1 < piece.size(); ++i)
        parts[count++] = Part{quint32(i), rankOf(i, i + 2)};
    parts[count++] = Part{quint32(piece.size() - 1), kNoRank};
    parts[count++] = Part{quint32(piece.size()), kNoRank};

    const auto pairRank = [&](size_t i) {
        return i + 3 < count ? rankOf(parts[i].start, parts[i + 3].start) : kNoRank;
    };
    for (;;) {
        size_t best = 0;
        int bestRank = kNoRank;
        for (size_t i = 0; i + 1 < count; ++i) {
            if (parts[i].rank < bestRank) {
                bestRank = parts[i].rank;
                best = i;
            }
        }
        if (bestRank == kNoRank)
            break;
        if (best > 0)
            parts[best - 1].rank = pairRank(best - 1);
        parts[best].rank = pairRank(best);
        std::copy(parts + best + 2, parts + count, parts + best + 1);
        --count;
    }
    for (size_t i = 0; i + 1 < count; ++i)
        sink(rank(piece.substr(parts[i].start, parts[i + 1].start - parts[i].start)));
}

// The same merge order with a min-heap of (rank, position) and a linked list of parts:
// O(n log n). Stale heap entries are skipped by checking them against the current rank.
template<typename Sink>
void Tokenizer::mergeLarge(std::string_view piece, Sink &sink) const
{
    const int n = int(piece.size());
    std::vector<int> next(size_t(n) + 1);
    std::vector<int> prev(size_t(n) + 1);
    std::vector<int> pairRank(size_t(n) + 1, kNoRank);
    for (int i = 0; i <= n; ++i) {
        next[size_t(i)] = i + 1;
        prev[size_t(i)] = i - 1;
    }
    const auto computeRank = [&](int i) {
        const int j = next[size_t(i)];
        if (j >= n)
            return kNoRank;
        const int k = next[size_t(j)];
        const int r = rank(piece.substr(size_t(i), size_t(k - i)));
        return r < 0 ? kNoRank : r;
    };
    using Entry = std::pair<int, int>;   // (rank, start): the heap orders ties leftmost
    std::vector<Entry> initial;
    initial.reserve(size_t(n));
    for (int i = 0; i + 1 < n; ++i) {
        pairRank[size_t(i)] = computeRank(i);
        if (pairRank[size_t(i)] != kNoRank)
            initial.emplace_back(pairRank[size_t(i)], i);
    }
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap(std::greater<>(),
                                                                        std::move(initial));
    while (!heap.empty()) {
        const auto [r, i] = heap.top();
        heap.pop();
        if (pairRank[size_t(i)] != r)
            continue;   // stale, or i was merged away (its rank is then kNoRank)
        const int j = next[size_t(i)];
        const int k = next[size_t(j)];
        next[size_t(i)] = k;
        prev[size_t(k)] = i;
        pairRank[size_t(j)] = kNoRank;
        pairRank[size_t(i)] = computeRank(i);
        if (pairRank[size_t(i)] != kNoRank)
            heap.emplace(pairRank[size_t(i)], i);
        if (const int p = prev[size_t(i)]; p >= 0) {
            pairRank[size_t(p)] = computeRank(p);
            if (pairRank[size_t(p)] != kNoRank)
                heap.emplace(pairRank[size_t(p)], p);
        }
    }
    for (int i = 0; i < n; i = next[size_t(i)])
        sink(rank(piece.substr(size_t(i), size_t(next[size_t(i)] - i))));
}

QList<int> Tokenizer::encode(QStringView text) const
{
    QList<int> tokens;
    tokens.reserve(text.size() / 3);
    encodeWith(text, [&tokens](int token) { tokens.append(token); });
    return tokens;
}

qsizetype Tokenizer::count(QStringView text) const
{
    qsizetype n = 0;
    encodeWith(text, [&n](int) { ++n; });
    return n;
}

QByteArray Tokenizer::decode(const QList<int> &tokens) const
{
    QByteArray out;
    for (const int token : tokens) {
        if (token >= 0 && size_t(token) < m_tokens.size() && m_tokens[size_t(token)].length) {
            const Span span = m_tokens[size_t(token)];
            out.append(m_bytes.data() + span.offset, qsizetype(span.length));
        } else if (const auto it = m_special.constFind(token); it != m_special.cend()) {
            out.append(*it);
        }
    }
    return out;
}

QString bareModelName(const QString &model)
{
    QString name = model.toLower();
    name = name.mid(name.lastIndexOf(u'/') + 1);
    if (name.startsWith(u"ft:"))
        name = name.mid(3);
    return name;
}

bool isModelFamily(QStringView name, QStringView prefix)
{
    return name == prefix
        || (name.startsWith(prefix) && name.size() > prefix.size()
            && (name.at(prefix.size()) == u'-' || name.at(prefix.size()) == u':'));
}

Encoding encodingForModel(const QString &model, bool *exact)
{
    // "openai/gpt-4o", "ft:gpt-4o-mini:org::id", "GPT-4o" all name the same tokenizer.
    const QString name = bareModelName(model);
    const auto family = [&name](QStringView prefix) { return isModelFamily(name, prefix); };
    if (exact)
        *exact = true;
    if (family(u"gpt-4o") || family(u"chatgpt-4o") || family(u"gpt-4.1") || family(u"gpt-4.5")
        || family(u"gpt-5") || name.startsWith(u"gpt-5."))
        return Encoding::O200kBase;
    // The o-series: o1, o1-mini, o3-pro, o4-mini...
    if (name.size() >= 2 && name.at(0) == u'o' && name.at(1).isDigit()
        && (name.size() == 2 || name.at(2) == u'-'))
        return Encoding::O200kBase;
    if (family(u"gpt-4") || family(u"gpt-3.5-turbo") || family(u"gpt-35-turbo")
        || family(u"gpt-3.5") || name.startsWith(u"text-embedding-3-")
        || name == u"text-embedding-ada-002")
        return Encoding::Cl100kBase;
    if (exact)
        *exact = false;
    return Encoding::Cl100kBase;
}

qint64 countChatTokens(const QJsonArray &messages, const QString &model)
{
    const Result<std::shared_ptr<const Tokenizer>> tokenizer = Tokenizer::load(encodingForModel(model));
    if (!tokenizer) {
        qCWarning(lcTokenizer) << "cannot count tokens:" << tokenizer.error().toString();
        return -1;
    }
    const Tokenizer &encoder = **tokenizer;
    return chatPromptTokens(messages, [&encoder](QStringView text) { return qint64(encoder.count(text)); });
}

qint64 chatPromptTokens(const QJsonArray &messages, const std::function<qint64(QStringView)> &countText,
                        const std::function<qint64(const QJsonValue &)> &countOther)
{
    qint64 total = 3;   // every reply is primed with <|start|>assistant<|message|>
    for (const QJsonValue &value : messages) {
        const QJsonObject message = value.toObject();
        total += 3;
        for (auto it = message.begin(); it != message.end(); ++it) {
            if (it.value().isString()) {
                total += countText(it.value().toString());
            } else if (it.value().isArray()) {
                for (const QJsonValue &part : it.value().toArray()) {
                    const QJsonObject object = part.toObject();
                    if (object.value(u"type"_s).toString() == u"text")
                        total += countText(object.value(u"text"_s).toString());
                    else if (countOther)
                        total += countOther(part);
                }
            } else if (countOther) {
                total += countOther(it.value());
            }
            if (it.key() == u"name")
                total += 1;
        }
    }
    return total;
}

} // namespace Tollgate
