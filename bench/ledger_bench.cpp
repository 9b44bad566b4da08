// Admission cost of the ledger at scale (issue: admission ≤ 5 µs with 100k keys).
// Run from a Release tree: ledger_bench [--benchmark_repetitions=5]
// Every key has a budget with a period and rpm, tpm and parallel limits; keys belong to
// 1,000 users with budgets of their own, and everything counts against a global budget.
// Keys are visited in a shuffled order so that the hash tables are not all in cache.
#include "models/ledger.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <vector>

using namespace Tollgate;

namespace {

constexpr int kUsers = 1'000;

struct Fixture
{
    Ledger ledger{SystemClock::instance()};
    std::vector<AdmissionRequest> requests;   // built once, as the gateway's key cache would
    std::vector<int> order;

    int keys;

    explicit Fixture(int keyCount) : keys(keyCount)
    {
        const Duration month{1, Duration::Unit::Months};
        ledger.setBudget(LedgerScope::global(), BudgetConfig{NanoUsd(1) << 60, {}, month, {}, 0});
        for (int u = 0; u < kUsers; ++u) {
            const LedgerScope user = LedgerScope::user(QString::number(u));
            ledger.setBudget(user, BudgetConfig{NanoUsd(1) << 50, {}, month, {}, 0});
        }

        requests.reserve(size_t(keys));
        for (int k = 0; k < keys; ++k) {
            // Shaped like a token hash: 64 hex characters.
            const quint64 mixed = 0x9e3779b97f4a7c15ULL * quint64(k + 1);   // distinct for every k
            const QString token = QString::number(mixed, 16).rightJustified(16, u'0').repeated(4);
            const LedgerScope key = LedgerScope::key(token);
            const Duration days30{30, Duration::Unit::Days};
            ledger.setBudget(key, BudgetConfig{NanoUsd(1) << 40, NanosPerUsd, days30, {}, 0});
            // High enough never to refuse: the benchmark measures the admitted path.
            ledger.setLimits(key, RateLimits{1'000'000'000, qint64(1) << 50, 1'000});

            AdmissionRequest request;
            request.budgets = {key, LedgerScope::user(QString::number(k % kUsers)),
                               LedgerScope::global()};
            request.limits = {key};
            request.estimatedCost = 2'500;
            request.upperBoundCost = 10'000;
            request.estimatedTokens = 300;
            requests.push_back(std::move(request));
        }
        order.resize(size_t(keys));
        for (int i = 0; i < keys; ++i)
            order[size_t(i)] = i;
        std::shuffle(order.begin(), order.end(), std::mt19937(42));
    }
};

// One ledger per key count, built on first use and kept for every benchmark.
Fixture &fixture(int keys)
{
    static std::map<int, std::unique_ptr<Fixture>> fixtures;
    std::unique_ptr<Fixture> &fixture = fixtures[keys];
    if (!fixture)
        fixture = std::make_unique<Fixture>(keys);
    return *fixture;
}

// admit() alone, timed by hand; the settle that keeps the ledger in steady state is not.
void BM_Admit(benchmark::State &state)
{
    Fixture &f = fixture(int(state.range(0)));
    size_t i = 0;
    for (auto _ : state) {
        const AdmissionRequest &request = f.requests[size_t(f.order[i++ % size_t(f.keys)])];
        const auto start = std::chrono::steady_clock::now();
        Admission admission = f.ledger.admit(request);
        const auto end = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(admission);
        if (!admission.admitted()) {
            state.SkipWithError("refused");
            break;
        }
        (void)f.ledger.settle(admission.reservation, 2'400, 310);
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    }
}
// 100k keys is the target; 1k keys shows the same work with the tables in cache.
BENCHMARK(BM_Admit)->Arg(100'000)->Arg(1'000)->UseManualTime()->Unit(benchmark::kNanosecond);

// One call's whole life in the ledger: admission and settlement.
void BM_AdmitAndSettle(benchmark::State &state)
{
    Fixture &f = fixture(int(state.range(0)));
    size_t i = 0;
    for (auto _ : state) {
        Admission admission = f.ledger.admit(f.requests[size_t(f.order[i++ % size_t(f.keys)])]);
        auto settlement = f.ledger.settle(admission.reservation, 2'400, 310);
        benchmark::DoNotOptimize(settlement);
    }
}
BENCHMARK(BM_AdmitAndSettle)->Arg(100'000)->Arg(1'000)->Unit(benchmark::kNanosecond);

// 64 calls in flight at once, as under load: the reservation slots are reused.
void BM_AdmitAndSettle64InFlight(benchmark::State &state)
{
    Fixture &f = fixture(int(state.range(0)));
    std::vector<ReservationId> inFlight(64);
    size_t i = 0;
    for (auto _ : state) {
        ReservationId &slot = inFlight[i % inFlight.size()];
        if (slot.isValid())
            (void)f.ledger.settle(slot, 2'400, 310);
        slot = f.ledger.admit(f.requests[size_t(f.order[i++ % size_t(f.keys)])]).reservation;
    }
    for (const ReservationId id : inFlight)
        f.ledger.release(id);
}
BENCHMARK(BM_AdmitAndSettle64InFlight)->Arg(100'000)->Unit(benchmark::kNanosecond);

} // namespace

BENCHMARK_MAIN();
