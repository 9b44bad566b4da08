// Throughput of Store::recordSpend (issue #16): settled calls through the spend journal and lazy
// group-commit batches into a real SQLite file in a temporary directory, as the gateway records
// them. Run from a Release tree: store_bench [--benchmark_repetitions=5]
// Arguments: budgets (0: the global budget only, as with the master key; 1: a virtual key's key,
// user, end user and global budgets) and call ids (0: random UUIDv4, 1: newCallId's UUIDv7).
// Counters: rows/s (wall clock, the submitting thread and the store thread together) and the
// store thread's CPU per row (user + system, from /proc), the number issue #16 is about. Also the
// cost of the store thread's slice check (CoreSlice::check), and of the gateway thread's journal
// append, one write per record against one per batch.
#include "models/callid.h"
#include "models/store/coreslice.h"
#include "models/store/identityrepository.h"
#include "models/store/spendjournal.h"
#include "models/store/store.h"

#include <benchmark/benchmark.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QUuid>

#include <unistd.h>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

constexpr int RowsPerIteration = 1000;
const QString Token = u"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"_s;

// CPU time (µs, user + system) of this process's thread named `name`; -1 when there is none.
double threadCpuUs(const QByteArray &name)
{
    const QDir tasks(u"/proc/self/task"_s);
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + u"/comm"_s));
        if (!comm.open(QIODevice::ReadOnly) || comm.readAll().trimmed() != name)
            continue;
        QFile stat(tasks.filePath(tid + u"/stat"_s));
        if (!stat.open(QIODevice::ReadOnly))
            return -1;
        const QByteArray text = stat.readAll();
        // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        const double ticks = fields.value(11).toDouble() + fields.value(12).toDouble();
        return ticks * 1e6 / double(sysconf(_SC_CLK_TCK));
    }
    return -1;
}

JournalRecord settledCall(const QString &requestId, bool virtualKey, const QDateTime &window)
{
    JournalRecord record;
    SpendLogRow &row = record.row;
    row.requestId = requestId;
    row.callType = u"acompletion"_s;
    row.apiKey = virtualKey ? Token : QString();
    row.spend = 2'400;
    row.promptTokens = 12;
    row.completionTokens = 9;
    row.totalTokens = 21;
    row.endTime = QDateTime::currentDateTimeUtc();
    row.startTime = row.endTime.addMSecs(-1);
    row.model = u"gpt-4o-mini"_s;
    row.modelGroup = u"gpt-4o-mini"_s;
    row.modelId = u"bench-deployment"_s;
    row.dialect = u"chat"_s;
    if (virtualKey) {
        row.userId = u"bench-user"_s;
        row.endUser = u"bench-customer"_s;
        record.states = {{LedgerScope::key(Token), row.spend, window},
                         {LedgerScope::user(row.userId), row.spend, QDateTime()},
                         {LedgerScope::endUser(row.endUser), row.spend, QDateTime()}};
    }
    record.states.append({LedgerScope::global(), row.spend, window, u"30d"_s});
    return record;
}

void BM_RecordSpend(benchmark::State &state)
{
    const bool virtualKey = state.range(0) == 1;
    const bool v7 = state.range(1) == 1;
    QTemporaryDir dir;
    Store store;
    if (!dir.isValid() || !store.open(dir.filePath(u"bench.db"_s)).ok() || !store.spendJournal()) {
        state.SkipWithError("cannot open a store with a spend journal");
        return;
    }
    const QDateTime window = QDateTime::currentDateTimeUtc().addDays(30);
    QList<Store::WriteJob> seed{IdentityRepository::saveGlobalSpend(0, window, u"30d"_s)};
    if (virtualKey) {
        VirtualKey key;
        key.token = Token;
        key.keyName = u"sk-...0001"_s;
        key.userId = u"bench-user"_s;
        key.budget.resetAt = window;
        User user;
        user.userId = u"bench-user"_s;
        EndUser endUser;
        endUser.userId = u"bench-customer"_s;
        seed << IdentityRepository::saveKey(key) << IdentityRepository::saveUser(user)
             << IdentityRepository::saveEndUser(endUser);
    }
    if (!store.writeNow(IdentityRepository::all(seed)).ok()) {
        state.SkipWithError("cannot seed the budgets");
        return;
    }
    const auto idle = [](QSqlDatabase &) { return QVariant(); };
    const double cpuBefore = threadCpuUs("tollgate-store");
    for (auto _ : state) {
        for (int i = 0; i < RowsPerIteration; ++i) {
            const QString id = v7 ? newCallId() : QUuid::createUuid().toString(QUuid::WithoutBraces);
            JournalRecord record = settledCall(id, virtualKey, window);
            QList<Store::WriteJob> jobs;
            for (const JournalBudgetState &budget : std::as_const(record.states))
                jobs.append(IdentityRepository::addSpend(budget.scope, budget.added, budget.resetAt, budget.duration));
            store.recordSpend(std::move(record), std::move(jobs), nullptr, {});
        }
        // A read runs after every write before it: the rows are committed.
        benchmark::DoNotOptimize(store.readNow(idle));
    }
    const double cpuAfter = threadCpuUs("tollgate-store");
    const double rows = double(state.iterations()) * RowsPerIteration;
    state.SetItemsProcessed(int64_t(rows));
    state.counters["store_cpu_us_per_row"] = (cpuAfter - cpuBefore) / rows;
    store.close();
}
BENCHMARK(BM_RecordSpend)
    ->ArgNames({"virtual", "v7"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// The gateway thread's part: appending records to the journal, one write per batch of
// `range(0)` records (the calls settled in one event-loop pass: 1 at one connection, more under
// load). Items are records; every record is marked committed, so old segments go.
void BM_JournalAppend(benchmark::State &state)
{
    QTemporaryDir dir;
    if (!dir.isValid()) {
        state.SkipWithError("no temporary directory");
        return;
    }
    SpendJournal journal(dir.filePath(u"bench.db"_s), 1);
    const int batch = int(state.range(0));
    std::vector<JournalRecord> records(std::size_t(batch), settledCall(newCallId(), true, QDateTime::currentDateTimeUtc()));
    std::vector<JournalRecord *> pointers;
    for (JournalRecord &record : records)
        pointers.push_back(&record);
    for (auto _ : state) {
        if (!journal.append(std::span<JournalRecord *const>(pointers)).ok()) {
            state.SkipWithError("cannot write the journal");
            return;
        }
        for (const JournalRecord &record : records)
            journal.committed(record.seq);
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * batch);
}
BENCHMARK(BM_JournalAppend)->ArgName("records_per_write")->Arg(1)->Arg(16);

// The gateway thread's part: one record's journal encoding.
void BM_JournalEncode(benchmark::State &state)
{
    JournalRecord record = settledCall(newCallId(), true, QDateTime::currentDateTimeUtc());
    record.seq = 1;
    for (auto _ : state)
        benchmark::DoNotOptimize(SpendJournal::encode(record));
}
BENCHMARK(BM_JournalEncode);

// The store thread's slice check (models/store/coreslice): it runs between jobs and before every
// SQLite read, write and sync, so it must cost next to nothing while the slice is not over.
bool neverYield(const void *)
{
    return false;
}

void BM_CoreSliceCheck(benchmark::State &state)
{
    CoreSlice::enable(neverYield, nullptr);
    for (auto _ : state)
        CoreSlice::check();
    CoreSlice::disable();
}
BENCHMARK(BM_CoreSliceCheck);

// On a thread that did not enable slicing (every thread but the store's).
void BM_CoreSliceCheckDisabled(benchmark::State &state)
{
    for (auto _ : state)
        CoreSlice::check();
}
BENCHMARK(BM_CoreSliceCheckDisabled);

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);  // the SQLite driver is a plugin
    QLoggingCategory::setFilterRules(u"tollgate.*.info=false"_s);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
