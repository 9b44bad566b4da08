#include "models/tokencount.h"
#include "models/tokenizer.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace Qt::StringLiterals;
using Tollgate::Encoding;
using Tollgate::Tokenizer;

namespace {

std::shared_ptr<const Tokenizer> tokenizer(Encoding encoding)
{
    const auto loaded = Tokenizer::load(encoding);
    if (!loaded)
        qFatal("%s", qPrintable(loaded.error().toString()));
    return *loaded;
}

// The fixture holds, per string, the count and a short hash of the ids tiktoken produced
// (see tests/tokenizer/generate-corpus.mjs): small to commit, still exact.
QString idsHash(const QList<int> &ids)
{
    QByteArray joined;
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (i)
            joined += ',';
        joined += QByteArray::number(ids[i]);
    }
    return QString::fromLatin1(
        QCryptographicHash::hash(joined, QCryptographicHash::Sha256).toHex().left(16));
}

QList<int> toIds(const QJsonArray &array)
{
    QList<int> ids;
    for (const QJsonValue &v : array)
        ids.append(v.toInt());
    return ids;
}

// Lone surrogates become U+FFFD on the way to UTF-8, as in the tokenizer itself.
QByteArray utf8OfText(const QString &text)
{
    QString clean = text;
    for (qsizetype i = 0; i < clean.size(); ++i) {
        if (clean[i].isHighSurrogate() && i + 1 < clean.size() && clean[i + 1].isLowSurrogate())
            ++i;
        else if (clean[i].isSurrogate())
            clean[i] = QChar::ReplacementCharacter;
    }
    return clean.toUtf8();
}

} // namespace

class TestTokenizer : public QObject
{
    Q_OBJECT

private:
    QJsonObject m_corpus;

private slots:
    void initTestCase()
    {
        const QString path = qEnvironmentVariable("TOLLGATE_SOURCE_DIR")
            + u"/tests/tokenizer/corpus.json"_s;
        QFile file(path);
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
        m_corpus = QJsonDocument::fromJson(file.readAll()).object();
        QVERIFY(m_corpus.value(u"strings"_s).toArray().size() >= 5000);
    }

    void loadIsFastAndCached_data()
    {
        QTest::addColumn<Encoding>("encoding");
        QTest::newRow("o200k_base") << Encoding::O200kBase;
        QTest::newRow("cl100k_base") << Encoding::Cl100kBase;
    }
    void loadIsFastAndCached()
    {
        QFETCH(Encoding, encoding);
        QElapsedTimer timer;
        timer.start();
        const auto first = Tokenizer::load(encoding);
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().toString()));
        qInfo("%s loaded in %lld ms (%lld tokens)", qPrintable(Tollgate::encodingName(encoding)),
              timer.elapsed(), qlonglong((*first)->vocabularySize()));
        const auto second = Tokenizer::load(encoding);
        QCOMPARE(second->get(), first->get());
    }

    void knownExamples()
    {
        const QJsonArray examples = m_corpus.value(u"examples"_s).toArray();
        QVERIFY(!examples.isEmpty());
        for (const QJsonValue &value : examples) {
            const QJsonObject example = value.toObject();
            const QString text = example.value(u"text"_s).toString();
            QCOMPARE(tokenizer(Encoding::O200kBase)->encode(text),
                     toIds(example.value(u"o200k_base"_s).toArray()));
            QCOMPARE(tokenizer(Encoding::Cl100kBase)->encode(text),
                     toIds(example.value(u"cl100k_base"_s).toArray()));
        }
        // Written out too, so a regenerated fixture cannot silently shift the basics.
        QCOMPARE(tokenizer(Encoding::O200kBase)->encode(u"hello world"), (QList<int>{24912, 2375}));
        QCOMPARE(tokenizer(Encoding::Cl100kBase)->encode(u"hello world"), (QList<int>{15339, 1917}));
        QCOMPARE(tokenizer(Encoding::Cl100kBase)->encode(u"<|endoftext|>"),
                 (QList<int>{27, 91, 8862, 728, 428, 91, 29}));
        QCOMPARE(tokenizer(Encoding::O200kBase)->count(u""), 0);
    }

    void corpusParity_data()
    {
        QTest::addColumn<Encoding>("encoding");
        QTest::addColumn<QString>("key");
        QTest::newRow("o200k_base") << Encoding::O200kBase << u"o200k_base"_s;
        QTest::newRow("cl100k_base") << Encoding::Cl100kBase << u"cl100k_base"_s;
    }
    void corpusParity()
    {
        QFETCH(Encoding, encoding);
        QFETCH(QString, key);
        const auto encoder = tokenizer(encoding);
        const QJsonArray strings = m_corpus.value(u"strings"_s).toArray();
        int mismatches = 0;
        int roundTripFailures = 0;
        for (const QJsonValue &value : strings) {
            const QJsonObject entry = value.toObject();
            const QString text = entry.value(u"text"_s).toString();
            const QJsonObject expected = entry.value(key).toObject();
            const QList<int> ids = encoder->encode(text);
            if (ids.size() != expected.value(u"count"_s).toInt()
                || idsHash(ids) != expected.value(u"hash"_s).toString()
                || encoder->count(text) != ids.size()) {
                if (++mismatches <= 10)
                    qWarning() << "mismatch:" << text.left(120) << ids.size() << "ids, expected"
                               << expected.value(u"count"_s).toInt();
            }
            if (encoder->decode(ids) != utf8OfText(text) && ++roundTripFailures <= 10)
                qWarning() << "round trip failed:" << text.left(120);
        }
        qInfo("%lld strings, %d mismatches, %d round-trip failures", qlonglong(strings.size()),
              mismatches, roundTripFailures);
        QCOMPARE(mismatches, 0);
        QCOMPARE(roundTripFailures, 0);
    }

    void chatMessages()
    {
        const QJsonArray conversations = m_corpus.value(u"conversations"_s).toArray();
        QVERIFY(!conversations.isEmpty());
        for (const QJsonValue &value : conversations) {
            const QJsonObject conversation = value.toObject();
            const QJsonArray messages = conversation.value(u"messages"_s).toArray();
            QCOMPARE(Tollgate::countChatTokens(messages, u"gpt-4o-mini"_s),
                     conversation.value(u"o200k_base"_s).toInteger());
            QCOMPARE(Tollgate::countChatTokens(messages, u"gpt-4"_s),
                     conversation.value(u"cl100k_base"_s).toInteger());
        }
        // OpenAI cookbook's example: system + user "Hello!" under gpt-4o.
        QCOMPARE(Tollgate::countChatTokens(conversations.first().toObject()
                                               .value(u"messages"_s).toArray(), u"gpt-4o"_s),
                 19);
        QCOMPARE(Tollgate::countChatTokens(QJsonArray(), u"gpt-4o"_s), 3);
    }

    // Admission bounds the prompt by its UTF-8 bytes and counts exactly only when the bound
    // would refuse: the bound must never be below the exact count, for any text or model.
    void promptBoundCoversTheExactCount()
    {
        const QJsonArray strings = m_corpus.value(u"strings"_s).toArray();
        QList<QJsonObject> bodies;
        for (const QJsonValue &value : strings) {
            const QString text = value.toObject().value(u"text"_s).toString();
            bodies.append({{u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"name"_s, u"n"_s},
                                                                  {u"content"_s, text}}}}});
            bodies.append({{u"messages"_s,
                            QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                   {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s},
                                                                                         {u"text"_s, text}}}}}}}});
            bodies.append({{u"prompt"_s, QJsonArray{text, text}}});
            bodies.append({{u"input"_s, text}});
        }
        for (const QJsonValue &value : m_corpus.value(u"conversations"_s).toArray())
            bodies.append({{u"messages"_s, value.toObject().value(u"messages"_s)}});
        bodies.append({{u"input"_s, QJsonArray{1, 2, 3}}});
        int checked = 0;
        for (const QJsonObject &body : std::as_const(bodies)) {
            const qint64 bound = Tollgate::boundRequestPromptTokens(body);
            for (const QString &model : {u"gpt-4o-mini"_s, u"gpt-4"_s, u"some-unknown-model"_s}) {
                const qint64 exact = Tollgate::countRequestPromptTokens(body, model);
                if (bound < exact)
                    QFAIL(qPrintable(u"bound %1 < exact %2 for %3"_s.arg(bound).arg(exact).arg(
                        QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact)).left(200))));
                ++checked;
            }
        }
        QVERIFY(checked > 100);
        // The framing as counted exactly, bytes for tokens: 3 + 3 + "user" + "Hi" + "€" (3 bytes).
        const QJsonObject hi{{u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi\u20ac"_s}}}}};
        QCOMPARE(Tollgate::boundRequestPromptTokens(hi), 3 + 3 + 4 + 2 + 3);
        QCOMPARE(Tollgate::boundRequestPromptTokens({{u"input"_s, u"\U0001F600"_s}}), 4);
    }

    // Every part of a request a provider bills as prompt counts: images at their family's
    // documented maximum, audio and files by their bytes, tools, tool calls and schemas as
    // their JSON; and the cheap bound stays above the exact count for each of them.
    void everyPartOfARequestCounts()
    {
        const QString question = u"What is in these pictures, and what is the weather there?"_s;
        const QJsonObject tool{{u"type"_s, u"function"_s},
                               {u"function"_s, QJsonObject{
                                   {u"name"_s, u"get_weather"_s},
                                   {u"description"_s, u"Current weather for a city, in degrees Celsius"_s},
                                   {u"parameters"_s, QJsonObject{
                                       {u"type"_s, u"object"_s},
                                       {u"properties"_s, QJsonObject{{u"city"_s, QJsonObject{
                                           {u"type"_s, u"string"_s}, {u"description"_s, u"The city's name"_s}}}}},
                                       {u"required"_s, QJsonArray{u"city"_s}}}}}}};
        const QJsonObject image{{u"type"_s, u"image_url"_s},
                                {u"image_url"_s, QJsonObject{{u"url"_s, u"https://example.com/a.png"_s}}}};
        const QJsonObject lowImage{{u"type"_s, u"image_url"_s},
                                   {u"image_url"_s, QJsonObject{{u"url"_s, u"https://example.com/b.png"_s},
                                                                {u"detail"_s, u"low"_s}}}};
        const QString audioData = QString(4000, u'A');
        const QJsonObject audio{{u"type"_s, u"input_audio"_s},
                                {u"input_audio"_s, QJsonObject{{u"data"_s, audioData}, {u"format"_s, u"wav"_s}}}};
        const QJsonObject file{{u"type"_s, u"file"_s},
                               {u"file"_s, QJsonObject{{u"filename"_s, u"a.pdf"_s}, {u"file_data"_s, QString(3000, u'B')}}}};
        const QJsonObject toolCall{{u"role"_s, u"assistant"_s},
                                   {u"content"_s, QJsonValue::Null},
                                   {u"tool_calls"_s, QJsonArray{QJsonObject{
                                       {u"id"_s, u"call_1"_s}, {u"type"_s, u"function"_s},
                                       {u"function"_s, QJsonObject{{u"name"_s, u"get_weather"_s},
                                                                   {u"arguments"_s, u"{\"city\":\"Paris and its long suburbs\"}"_s}}}}}}};
        const QJsonObject toolAnswer{{u"role"_s, u"tool"_s}, {u"tool_call_id"_s, u"call_1"_s}, {u"content"_s, u"21 C"_s}};
        const QJsonArray plainMessages{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, question}}};
        const QJsonObject plain{{u"messages"_s, plainMessages}};
        const QJsonObject full{
            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                   {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s},
                                                                                         {u"text"_s, question}},
                                                                             image, lowImage, audio, file}}},
                                       toolCall, toolAnswer}},
            {u"tools"_s, QJsonArray{tool}},
            {u"tool_choice"_s, QJsonObject{{u"type"_s, u"function"_s},
                                            {u"function"_s, QJsonObject{{u"name"_s, u"get_weather"_s}}}}},
            {u"response_format"_s, QJsonObject{{u"type"_s, u"json_schema"_s},
                                                {u"json_schema"_s, QJsonObject{{u"name"_s, u"answer"_s},
                                                                               {u"schema"_s, tool.value(u"function"_s).toObject().value(u"parameters"_s)}}}}}};

        struct Expected { QString model; qint64 high; qint64 low; };
        const QList<Expected> families{
            {u"gpt-4o"_s, 85 + 8 * 170, 85},        {u"gpt-4o-2024-08-06"_s, 85 + 8 * 170, 85},
            {u"gpt-4o-mini"_s, 2833 + 8 * 5667, 2833}, {u"gpt-4.1-mini"_s, 2489, 2489},
            {u"gpt-4.1-nano"_s, 3779, 3779},         {u"o1"_s, 75 + 8 * 150, 75},
            {u"gpt-5"_s, 70 + 8 * 140, 70},          {u"azure/gpt-4o-mini"_s, 2833 + 8 * 5667, 2833},
            {u"some-unknown-model"_s, 2833 + 8 * 5667, 2833}};
        for (const Expected &family : families) {
            const Tollgate::ImageTokens costs = Tollgate::imageTokensForModel(family.model);
            QCOMPARE(costs.high, family.high);
            QCOMPARE(costs.low, family.low);
            const qint64 exact = Tollgate::countRequestPromptTokens(full, family.model);
            const qint64 text = Tollgate::countRequestPromptTokens(plain, family.model);
            // Lower bounds written without the code under test: the question, two images,
            // the audio's and the file's bytes, the tool call's arguments, the tool's texts.
            const qint64 atLeast = text + family.high + family.low + audioData.size() + 3000
                                   + Tollgate::countTextTokens(u"Paris and its long suburbs"_s, family.model)
                                   + Tollgate::countTextTokens(u"Current weather for a city, in degrees Celsius"_s,
                                                               family.model);
            QVERIFY2(exact >= atLeast, qPrintable(u"%1: %2 < %3"_s.arg(family.model).arg(exact).arg(atLeast)));
            QVERIFY(Tollgate::boundRequestPromptTokens(full, family.model) >= exact);
            QVERIFY(Tollgate::boundRequestPromptTokens(full) >= exact);
        }
        // A file by id cannot be sized: a whole context.
        const QJsonObject byId{{u"messages"_s, QJsonArray{QJsonObject{
            {u"role"_s, u"user"_s},
            {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"file"_s},
                                                  {u"file"_s, QJsonObject{{u"file_id"_s, u"file-1"_s}}}}}}}}}};
        QVERIFY(Tollgate::countRequestPromptTokens(byId, u"gpt-4o"_s) >= 128000);
        // Completions: prompt and suffix; embeddings: nested token ids.
        const QJsonObject completion{{u"prompt"_s, QJsonArray{u"one"_s, u"two"_s}}, {u"suffix"_s, u"the end of it"_s}};
        QVERIFY(Tollgate::countRequestPromptTokens(completion, u"gpt-4"_s) >= 2 + 4);
        const QJsonObject embedding{{u"input"_s, QJsonArray{QJsonArray{1, 2, 3}, QJsonArray{4, 5}}}};
        QCOMPARE(Tollgate::countRequestPromptTokens(embedding, u"text-embedding-3-small"_s), 5);
        QCOMPARE(Tollgate::boundRequestPromptTokens(embedding), 5);
    }

    // A field of its own (vLLM's `documents`) may be rendered into the prompt by the server: it is
    // counted as its JSON text, by the bound and exactly. Settings (sampling, output, routing) are not.
    // Images bounded as the newer models bill them: OpenAI's detail "original" (up to 10,000 patches
    // of 32 px, times the model's multiplier) was held at the "high" detail's 1,190 tokens on gpt-5.x,
    // and Claude from Opus 4.7 on (up to 4,784 tokens an image) at 1,800: 100 images took a strict
    // $0.25 key to $1.00 and $0.48.
    void imagesAreBoundedAsNewerModelsBillThem_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<qint64>("high");
        QTest::addColumn<qint64>("original");
        QTest::newRow("gpt-5.4") << u"gpt-5.4"_s << qint64(70 + 8 * 140) << qint64(12'000);
        QTest::newRow("gpt-4o") << u"gpt-4o"_s << qint64(85 + 8 * 170) << qint64(12'000);
        QTest::newRow("gpt-5-mini") << u"gpt-5-mini"_s << qint64(2489) << qint64(16'200);
        QTest::newRow("unknown") << u"some-unknown-model"_s << qint64(2833 + 8 * 5667) << qint64(2833 + 8 * 5667);
        QTest::newRow("claude 3.5") << u"claude-3-5-sonnet-20241022"_s << qint64(1800) << qint64(1800);
        QTest::newRow("claude 4") << u"claude-opus-4-20250514"_s << qint64(1800) << qint64(1800);
        QTest::newRow("claude 4.6") << u"anthropic/claude-sonnet-4-6"_s << qint64(1800) << qint64(1800);
        QTest::newRow("claude 4.7") << u"claude-opus-4-7"_s << qint64(4800) << qint64(4800);
        QTest::newRow("claude 4.7 dated") << u"claude-sonnet-4-7-20260601"_s << qint64(4800) << qint64(4800);
        QTest::newRow("claude 5") << u"claude-opus-5"_s << qint64(4800) << qint64(4800);
        QTest::newRow("claude unknown") << u"claude-experimental"_s << qint64(4800) << qint64(4800);
    }
    void imagesAreBoundedAsNewerModelsBillThem()
    {
        QFETCH(QString, model);
        QFETCH(qint64, high);
        QFETCH(qint64, original);
        const Tollgate::ImageTokens costs = Tollgate::imageTokensForModel(model);
        QCOMPARE(costs.high, high);
        QVERIFY(costs.original >= original);
        const auto image = [](const QString &detail) {
            return QJsonObject{{u"messages"_s, QJsonArray{QJsonObject{
                                   {u"role"_s, u"user"_s},
                                   {u"content"_s, QJsonArray{QJsonObject{
                                       {u"type"_s, u"image_url"_s},
                                       {u"image_url"_s, QJsonObject{{u"url"_s, u"https://example.com/a.png"_s},
                                                                    {u"detail"_s, detail}}}}}}}}}};
        };
        QVERIFY(Tollgate::boundRequestPromptTokens(image(u"original"_s), model) >= original);
        QVERIFY(Tollgate::countRequestPromptTokens(image(u"original"_s), model) >= original);
        QVERIFY(Tollgate::boundRequestPromptTokens(image(u"high"_s), model) >= high);
    }

    void fieldsBeyondTheKnownOnesAreCounted()
    {
        const QJsonObject plain{{u"model"_s, u"m"_s},
                                {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
        QJsonObject documents = plain;
        QJsonArray docs;
        for (int i = 0; i < 50; ++i)
            docs.append(QJsonObject{{u"title"_s, u"doc"_s}, {u"text"_s, u"lorem ipsum dolor sit amet, "_s.repeated(20)}});
        documents.insert(u"documents"_s, docs);
        documents.insert(u"chat_template_kwargs"_s, QJsonObject{{u"enable_thinking"_s, true}});
        const QString model = u"gpt-4o"_s;
        const qint64 without = Tollgate::countRequestPromptTokens(plain, model);
        const qint64 with = Tollgate::countRequestPromptTokens(documents, model);
        QVERIFY2(with - without >= 50 * 20 * 5, qPrintable(QString::number(with - without)));
        QVERIFY(Tollgate::boundRequestPromptTokens(documents, model) >= with);
        QVERIFY(Tollgate::boundRequestPromptTokens(documents, model) - Tollgate::boundRequestPromptTokens(plain, model)
                >= 50 * 20 * 27);
        QJsonObject settings = plain;
        settings.insert(u"temperature"_s, 0.2);
        settings.insert(u"max_tokens"_s, 100);
        settings.insert(u"stream"_s, true);
        settings.insert(u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}});
        settings.insert(u"user"_s, u"alice"_s);
        settings.insert(u"metadata"_s, QJsonObject{{u"team"_s, u"a"_s}});
        QCOMPARE(Tollgate::countRequestPromptTokens(settings, model), without);
        QCOMPARE(Tollgate::boundRequestPromptTokens(settings, model), Tollgate::boundRequestPromptTokens(plain, model));
    }

    void encodingForModel_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<Encoding>("encoding");
        QTest::addColumn<bool>("exact");
        const Encoding o200k = Encoding::O200kBase;
        const Encoding cl100k = Encoding::Cl100kBase;
        QTest::newRow("gpt-4o") << u"gpt-4o"_s << o200k << true;
        QTest::newRow("gpt-4o-mini dated") << u"gpt-4o-mini-2024-07-18"_s << o200k << true;
        QTest::newRow("chatgpt-4o-latest") << u"chatgpt-4o-latest"_s << o200k << true;
        QTest::newRow("gpt-4.1-nano") << u"gpt-4.1-nano"_s << o200k << true;
        QTest::newRow("gpt-5") << u"gpt-5"_s << o200k << true;
        QTest::newRow("gpt-5-mini") << u"gpt-5-mini"_s << o200k << true;
        QTest::newRow("o1") << u"o1"_s << o200k << true;
        QTest::newRow("o3-mini") << u"o3-mini"_s << o200k << true;
        QTest::newRow("o4-mini") << u"o4-mini"_s << o200k << true;
        QTest::newRow("provider prefix") << u"openai/gpt-4o"_s << o200k << true;
        QTest::newRow("fine-tuned") << u"ft:gpt-4o-mini:acme::abc123"_s << o200k << true;
        QTest::newRow("upper case") << u"GPT-4O"_s << o200k << true;
        QTest::newRow("gpt-4") << u"gpt-4"_s << cl100k << true;
        QTest::newRow("gpt-4-turbo") << u"gpt-4-turbo"_s << cl100k << true;
        QTest::newRow("gpt-4-0613") << u"gpt-4-0613"_s << cl100k << true;
        QTest::newRow("gpt-3.5-turbo") << u"gpt-3.5-turbo"_s << cl100k << true;
        QTest::newRow("gpt-3.5-turbo-16k") << u"gpt-3.5-turbo-16k"_s << cl100k << true;
        QTest::newRow("embedding 3 small") << u"text-embedding-3-small"_s << cl100k << true;
        QTest::newRow("embedding ada") << u"text-embedding-ada-002"_s << cl100k << true;
        QTest::newRow("claude") << u"claude-sonnet-4-5"_s << cl100k << false;
        QTest::newRow("gemini") << u"gemini-2.5-pro"_s << cl100k << false;
        QTest::newRow("gpt-4oops is not gpt-4o") << u"gpt-4oops"_s << cl100k << false;
        QTest::newRow("o-something") << u"omni-moderation"_s << cl100k << false;
        QTest::newRow("empty") << QString() << cl100k << false;
    }
    void encodingForModel()
    {
        QFETCH(QString, model);
        QFETCH(Encoding, encoding);
        QFETCH(bool, exact);
        bool isExact = !exact;
        QCOMPARE(Tollgate::encodingForModel(model, &isExact), encoding);
        QCOMPARE(isExact, exact);
        QCOMPARE(Tollgate::encodingForModel(model), encoding);
    }

    void longStringWithoutSpaces_data()
    {
        QTest::addColumn<QString>("text");
        QString letters;
        letters.reserve(1 << 20);
        quint32 state = 12345;
        while (letters.size() < (1 << 20)) {
            state = state * 1103515245u + 12345u;
            letters += QChar(u'a' + char16_t((state >> 16) % 26));
        }
        QTest::newRow("1 MB random letters") << letters;
        QTest::newRow("1 MB of one letter") << QString(1 << 20, u'x');
        QTest::newRow("1 MB of digits and dots") << QString(1 << 20, u'7').replace(u"77777"_s, u"7.7.7"_s);
    }
    void longStringWithoutSpaces()
    {
        QFETCH(QString, text);
        for (const Encoding encoding : {Encoding::O200kBase, Encoding::Cl100kBase}) {
            const auto encoder = tokenizer(encoding);
            QElapsedTimer timer;
            timer.start();
            const QList<int> ids = encoder->encode(text);
            qInfo("%s: %lld ids in %lld ms", qPrintable(Tollgate::encodingName(encoding)),
                  qlonglong(ids.size()), timer.elapsed());
            QVERIFY(!ids.isEmpty());
            QCOMPARE(encoder->decode(ids), text.toUtf8());
        }
    }

    // The output text of a whole answer in each dialect: what an answer without usable
    // usage is billed for.
    void answerTextReadsEveryDialect_data()
    {
        // Written with ' for " (see quoted()).
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<QString>("text");
        QTest::newRow("chat") << quoted("{'object':'chat.completion','choices':[{'index':0,'message':{'role':'assistant',"
                                        "'content':'Hi','tool_calls':[{'type':'function','function':{'name':'f','arguments':'(a)'}}]}},"
                                        "{'index':1,'message':{'role':'assistant','content':null,'refusal':'No'}}]}")
                              << u"Hif(a)No"_s;
        QTest::newRow("chat parts") << quoted("{'choices':[{'message':{'content':[{'type':'text','text':'A'},{'type':'text','text':'B'}]}}]}")
                                    << u"AB"_s;
        QTest::newRow("completion") << quoted("{'object':'text_completion','choices':[{'text':'once'},{'text':' more'}]}")
                                    << u"once more"_s;
        QTest::newRow("anthropic") << quoted("{'type':'message','role':'assistant','content':[{'type':'thinking','thinking':'T'},"
                                             "{'type':'text','text':'Hello'},{'type':'tool_use','id':'t','name':'get','input':{'x':2}}]}")
                                   << u"THelloget{\"x\":2}"_s;
        QTest::newRow("responses") << quoted("{'object':'response','output':[{'type':'reasoning','summary':[{'type':'summary_text','text':'S'}]},"
                                             "{'type':'message','content':[{'type':'output_text','text':'Out'}]},"
                                             "{'type':'function_call','name':'fn','arguments':'()'}]}")
                                   << u"SOutfn()"_s;
        QTest::newRow("embedding") << quoted("{'object':'list','data':[{'embedding':[0.1,0.2]}]}") << QString();
        QTest::newRow("not json") << QByteArray("nope") << QString();
    }
    void answerTextReadsEveryDialect()
    {
        QFETCH(QByteArray, answer);
        QFETCH(QString, text);
        QCOMPARE(Tollgate::answerText(answer), text);
    }
    // A stream's chunks say the same as an answer's message, in pieces: every kind of text the
    // client receives is output (a cut stream, or one without usage, is billed for it). Its
    // reasoning, legacy function call and content parts were not counted.
    void streamedTextReadsEveryDelta_data()
    {
        QTest::addColumn<QByteArrayList>("chunks");
        QTest::addColumn<QString>("text");
        QTest::newRow("content and refusal") << QByteArrayList{quoted("{'choices':[{'delta':{'content':'Hi'}}]}"),
                                                               quoted("{'choices':[{'delta':{'refusal':'No'}}]}")}
                                             << u"HiNo"_s;
        QTest::newRow("reasoning") << QByteArrayList{quoted("{'choices':[{'delta':{'reasoning_content':'think'}}]}"),
                                                     quoted("{'choices':[{'delta':{'reasoning':'more'}}]}"),
                                                     quoted("{'choices':[{'delta':{'content':'!'}}]}")}
                                   << u"thinkmore!"_s;
        QTest::newRow("function call") << QByteArrayList{quoted("{'choices':[{'delta':{'function_call':{'name':'f'}}}]}"),
                                                         quoted("{'choices':[{'delta':{'function_call':{'arguments':'(x)'}}}]}")}
                                       << u"f(x)"_s;
        QTest::newRow("tool calls") << QByteArrayList{quoted("{'choices':[{'delta':{'tool_calls':[{'index':0,'function':{'name':'g','arguments':'{'}}]}}]}")}
                                    << u"g{"_s;
        QTest::newRow("content parts") << QByteArrayList{quoted("{'choices':[{'delta':{'content':[{'type':'text','text':'A'},{'type':'text','text':'B'}]}}]}")}
                                       << u"AB"_s;
        QTest::newRow("completion") << QByteArrayList{quoted("{'choices':[{'text':'once'}]}")} << u"once"_s;
    }
    void streamedTextReadsEveryDelta()
    {
        QFETCH(QByteArrayList, chunks);
        QFETCH(QString, text);
        QCOMPARE(Tollgate::streamedText(chunks), text);
    }
    static QByteArray quoted(const char *text) { return QByteArray(text).replace('\'', '"'); }

    void loneSurrogatesBecomeReplacementCharacters()
    {
        const auto encoder = tokenizer(Encoding::O200kBase);
        const QString lone = u"x"_s + QChar(char16_t(0xd800)) + u"y"_s;
        const QString replaced = u"x\uFFFDy"_s;
        QCOMPARE(encoder->encode(lone), encoder->encode(replaced));
    }

    void sharedAcrossThreads()
    {
        // One instance serves every request thread: concurrent encodes must agree.
        const auto encoder = tokenizer(Encoding::O200kBase);
        const QJsonArray strings = m_corpus.value(u"strings"_s).toArray();
        QString text;
        for (qsizetype i = 0; i < 400; ++i)
            text += strings.at(i).toObject().value(u"text"_s).toString();
        const QList<int> expected = encoder->encode(text);
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int round = 0; round < 5; ++round) {
                    if (encoder->encode(text) != expected)
                        ++failures;
                }
            });
        }
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(failures.load(), 0);
    }

    void badFilesAreErrors()
    {
        const auto missing = Tokenizer::loadFiles(u"/nonexistent.tiktoken"_s, u"/nonexistent.json"_s);
        QVERIFY(!missing.ok());
        QVERIFY(missing.error().toString().contains(u"nonexistent"));
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
