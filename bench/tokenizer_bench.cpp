// Tokenizer throughput (issue "Token counting": ≥ 5 MB/s of English on one core) and the cost
// of loading a rank table. Run from a Release tree: tokenizer_bench
// The text is generated English-like prose (words, punctuation, numbers, newlines), ~1 MB,
// so results do not depend on a file outside the repository.
#include "models/tokenizer.h"

#include <benchmark/benchmark.h>

#include <QString>

#include <array>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

QString englishText(qsizetype bytes)
{
    static const std::array words = {
        u"the"_s, u"of"_s, u"and"_s, u"to"_s, u"in"_s, u"a"_s, u"is"_s, u"that"_s, u"for"_s,
        u"gateway"_s, u"request"_s, u"budget"_s, u"tokens"_s, u"model"_s, u"provider"_s,
        u"response"_s, u"streaming"_s, u"latency"_s, u"configuration"_s, u"it's"_s,
        u"doesn't"_s, u"The"_s, u"However"_s, u"between"_s, u"understanding"_s, u"2024"_s,
        u"12.5"_s, u"OpenAI"_s, u"counting"_s, u"accurately"_s, u"with"_s, u"without"_s};
    static const std::array separators = {u" "_s, u" "_s, u" "_s, u" "_s, u", "_s, u". "_s,
                                          u".\n"_s, u"; "_s, u" ("_s, u") "_s, u"\n\n"_s};
    QString text;
    text.reserve(bytes + 32);
    quint32 state = 42;
    const auto next = [&state](quint32 n) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % n;
    };
    while (text.size() < bytes) {
        text += words[next(quint32(words.size()))];
        text += separators[next(quint32(separators.size()))];
    }
    return text;
}

std::shared_ptr<const Tokenizer> tokenizer(Encoding encoding)
{
    return *Tokenizer::load(encoding);
}

void BM_CountEnglish(benchmark::State &state)
{
    const auto encoder = tokenizer(Encoding(state.range(0)));
    const QString text = englishText(1 << 20);
    qsizetype tokens = 0;
    for (auto _ : state) {
        tokens = encoder->count(text);
        benchmark::DoNotOptimize(tokens);
    }
    // The text is ASCII: one byte per character.
    state.SetBytesProcessed(qint64(state.iterations()) * text.size());
    state.counters["tokens"] = double(tokens);
}
BENCHMARK(BM_CountEnglish)->Arg(int(Encoding::O200kBase))->Arg(int(Encoding::Cl100kBase))
    ->Unit(benchmark::kMillisecond);

void BM_EncodeEnglish(benchmark::State &state)
{
    const auto encoder = tokenizer(Encoding(state.range(0)));
    const QString text = englishText(1 << 20);
    for (auto _ : state)
        benchmark::DoNotOptimize(encoder->encode(text));
    state.SetBytesProcessed(qint64(state.iterations()) * text.size());
}
BENCHMARK(BM_EncodeEnglish)->Arg(int(Encoding::O200kBase))->Unit(benchmark::kMillisecond);

// Parsing a rank file as load() does on first use (the cached instance is bypassed).
void BM_LoadRanks(benchmark::State &state)
{
    const QString base = u":/tollgate/tokenizers/"_s + encodingName(Encoding(state.range(0)));
    for (auto _ : state) {
        auto loaded = Tokenizer::loadFiles(base + u".tiktoken", base + u".meta.json");
        if (!loaded)
            state.SkipWithError(qPrintable(loaded.error().toString()));
        benchmark::DoNotOptimize(loaded);
    }
}
BENCHMARK(BM_LoadRanks)->Arg(int(Encoding::O200kBase))->Arg(int(Encoding::Cl100kBase))
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
