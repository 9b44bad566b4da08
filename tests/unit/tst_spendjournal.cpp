// The spend journal: records survive a process that never committed them (replayed by the
// next Store::open), committed records are never applied twice, a torn tail is ignored,
// segments rotate and go away once committed, and Store::recordSpend batches lazily. A store
// whose writes fail for a while keeps every call (retried in order, the journal holding them,
// a death in the outage replayed exactly once), and spend is written as increments.
#include "models/store/identityrepository.h"
#include "models/store/leaserepository.h"
#include "models/store/spendjournal.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSemaphore>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <csignal>
#include <optional>

#include <sys/resource.h>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {
enum class Fault { Statement, Commit };
}
Q_DECLARE_METATYPE(Fault)

namespace {

const QDateTime Start = QDateTime(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);
const QDateTime ResetA = QDateTime(QDate(2026, 3, 2), QTime(0, 0), Qt::UTC);
const QDateTime ResetB = QDateTime(QDate(2026, 4, 1), QTime(0, 0), Qt::UTC);
const QString Token = u"a1b2c3"_s;

JournalRecord makeRecord(const QString &requestId, NanoUsd spend, QList<JournalBudgetState> states = {})
{
    JournalRecord record;
    SpendLogRow &row = record.row;
    row.requestId = requestId;
    row.callType = u"acompletion"_s;
    row.apiKey = Token;
    row.spend = spend;
    row.promptTokens = 11;
    row.completionTokens = 22;
    row.totalTokens = 33;
    row.cachedTokens = 7;
    row.cacheWriteTokens = 5;
    row.cacheWrite1hTokens = 2;
    row.dialect = u"messages"_s;
    row.sessionId = u"sess-\u00e9-1"_s;
    row.startTime = Start;
    row.endTime = Start.addMSecs(250);
    row.model = u"gpt-4o-mini"_s;
    row.modelGroup = u"chat"_s;
    row.modelId = u"dep-1"_s;
    row.userId = u"alice"_s;
    row.endUser = u"customer-7"_s;
    row.costEstimated = true;
    record.states = std::move(states);
    return record;
}

// The bytes a record's cache-write, dialect and session fields take at its end (the last
// fields encoded): 8 + 8, then each string's 4-byte length and UTF-16 code units.
// The refusal fields (status code, reason), the last group.
qsizetype refusalFieldBytes(const SpendLogRow &row)
{
    return 8 + 4 + row.reason.size() * 2;
}

// The cache-write, dialect and session fields, and every group after them.
qsizetype agentFieldBytes(const SpendLogRow &row)
{
    return 8 + 8 + 4 + row.dialect.size() * 2 + 4 + row.sessionId.size() * 2 + refusalFieldBytes(row);
}

// Drops the last `bytes` of an encoded record's payload and frames it again (length, CRC):
// the record as a build that did not write those fields wrote it.
QByteArray withoutTail(QByteArray record, qsizetype bytes)
{
    constexpr int Header = 6;
    record.chop(bytes);
    const QByteArrayView payload = QByteArrayView(record).sliced(Header);
    qToBigEndian(quint32(payload.size()), reinterpret_cast<uchar *>(record.data()));
    qToBigEndian(qChecksum(payload), reinterpret_cast<uchar *>(record.data()) + 4);
    return record;
}

QVariant scalar(Store &store, const QString &sql)
{
    const auto value = store.readNow([sql](QSqlDatabase &db) {
        QSqlQuery query(db);
        return query.exec(sql) && query.next() ? query.value(0) : QVariant();
    });
    return value ? *value : QVariant();
}

QJsonObject jsonColumn(Store &store, const QString &sql)
{
    return QJsonDocument::fromJson(scalar(store, sql).toString().toUtf8()).object();
}

// A database with a key (with a per-model budget), a user, an end user and a global budget.
void seed(Store &store)
{
    VirtualKey key;
    key.token = Token;
    key.keyName = u"sk-...abcd"_s;
    key.userId = u"alice"_s;
    key.budget.spend = 1000;
    key.budget.resetAt = ResetA;
    key.modelMaxBudget = QJsonObject{{u"chat"_s, QJsonObject{{u"budget_limit"_s, 1.0}, {u"time_period"_s, u"1d"_s}}}};
    User user;
    user.userId = u"alice"_s;
    user.budget.spend = 2000;
    EndUser endUser;
    endUser.userId = u"customer-7"_s;
    endUser.budget.spend = 3000;
    QVERIFY(store.writeNow(IdentityRepository::all({IdentityRepository::saveKey(key), IdentityRepository::saveUser(user),
                                                    IdentityRepository::saveEndUser(endUser),
                                                    IdentityRepository::saveGlobalSpend(4000, ResetA, u"1d"_s)}))
                .ok());
}

// A settled call as Accounting makes it: the journal record with what the call added to each
// budget, and the store jobs that add it (the same increments the replay applies).
SettledCall settledCall(const QString &requestId, NanoUsd cost)
{
    SettledCall call;
    call.record = makeRecord(requestId, cost,
                             {{LedgerScope::key(Token), cost, ResetA},
                              {LedgerScope::user(u"alice"_s), cost, QDateTime()},
                              {LedgerScope::endUser(u"customer-7"_s), cost, QDateTime()},
                              {LedgerScope::global(), cost, ResetA, u"1d"_s},
                              {LedgerScope::keyModel(Token, u"chat"_s), cost, ResetA}});
    for (const JournalBudgetState &state : std::as_const(call.record.states))
        call.jobs.append(IdentityRepository::addSpend(state.scope, state.added, state.resetAt, state.duration));
    return call;
}

// Faults injected into the store's own connection: TEMP objects live only there, so they
// vanish with the connection like an outage with a process that dies in it. A spend-log insert
// fails on its own (a statement error: the batch's other jobs could commit), or every commit
// holding one fails (a deferred foreign key left dangling: COMMIT itself fails, as on a full
// disk). `requestId` limits the fault to that call.
bool injectFault(Store &store, Fault fault, const QString &requestId = {})
{
    // Through a read: reads are answered while writes are held.
    const auto done = store.readNow([fault, requestId](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        const QString when = requestId.isEmpty() ? QString() : u" WHEN NEW.request_id = '%1'"_s.arg(requestId);
        if (fault == Fault::Statement) {
            return query.exec(u"CREATE TEMP TRIGGER fault BEFORE INSERT ON spend_logs"_s + when
                              + u" BEGIN SELECT RAISE(ABORT, 'injected fault'); END"_s);
        }
        return query.exec(u"CREATE TEMP TABLE IF NOT EXISTS fault_parent (id INTEGER PRIMARY KEY)"_s)
               && query.exec(u"CREATE TEMP TABLE IF NOT EXISTS fault_child (parent INTEGER "
                             "REFERENCES fault_parent (id) DEFERRABLE INITIALLY DEFERRED)"_s)
               && query.exec(u"CREATE TEMP TRIGGER fault AFTER INSERT ON spend_logs"_s + when
                             + u" BEGIN INSERT INTO fault_child VALUES (1); END"_s);
    });
    return done && done->toBool();
}

bool clearFault(Store &store)
{
    const auto done = store.readNow([](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        return query.exec(u"DROP TRIGGER IF EXISTS temp.fault"_s);
    });
    return done && done->toBool();
}

// The counters hold the seed plus exactly the rows' spend, and the per-model budget too.
void verifyCountersMatchRows(Store &store, NanoUsd expectedRows)
{
    const NanoUsd rows = scalar(store, u"SELECT coalesce(sum(spend_nanousd), 0) FROM spend_logs"_s).toLongLong();
    QCOMPARE(rows, expectedRows);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1000 + rows);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM users"_s).toLongLong(), 2000 + rows);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM end_users"_s).toLongLong(), 3000 + rows);
    const auto global = store.readNow([](QSqlDatabase &db) { return IdentityRepository::loadGlobalSpend(db); });
    QCOMPARE(global->toJsonObject().value(u"spend_nanousd"_s).toInteger(), 4000 + rows);
    QCOMPARE(global->toJsonObject().value(u"budget_duration"_s).toString(), u"1d"_s);
    const QJsonObject key = jsonColumn(store, u"SELECT data FROM keys"_s);
    const QJsonObject chat = key.value(u"model_max_budget"_s).toObject().value(u"chat"_s).toObject();
    QCOMPARE(usdToNanos(chat.value(u"spend"_s).toDouble()), rows);
}

// Holds the store thread inside a write job until the test lets it go, so the jobs submitted
// meanwhile are known to form one batch.
struct Gate
{
    QSemaphore entered;
    QSemaphore open;

    Store::WriteJob job()
    {
        return [this](QSqlDatabase &) -> Result<void> {
            entered.release();
            open.acquire();
            return {};
        };
    }
};

// The first journal segment's records as "<request id>#<n>", n counted from the first record's
// number: calls written in order with consecutive numbers read call-0#0, call-1#1, ...
QStringList numberedRecords(const QString &database)
{
    const QList<JournalRecord> records = SpendJournal::read(SpendJournal::segments(database).value(0));
    QStringList numbered;
    for (const JournalRecord &record : records)
        numbered.append(record.row.requestId + u'#' + QString::number(record.seq - records.first().seq));
    return numbered;
}

QStringList numberedCalls(int calls)
{
    QStringList numbered;
    for (int i = 0; i < calls; ++i)
        numbered.append(u"call-%1#%1"_s.arg(i));
    return numbered;
}

// A settled call that `context` hears of through `done`; with `keySpend`, it also sets the
// key's spend to that (a job of the call's batch).
SettledCall callFor(const QString &requestId, NanoUsd cost, QObject *context, Store::WriteDone done,
                    Store::Delivery delivery = Store::Delivery::Always, std::optional<NanoUsd> keySpend = {})
{
    SettledCall call;
    call.record = makeRecord(requestId, cost);
    if (keySpend)
        call.jobs = {IdentityRepository::saveSpend(IdentityRepository::SpendTable::Keys, Token, *keySpend)};
    call.context = context;
    call.done = std::move(done);
    call.delivery = delivery;
    return call;
}

// A settled call whose budgets (a key with its per-model budget, a user, an end user, the global
// budget) are in the window ending `window`, where they have one.
SettledCall settledCallIn(const QString &requestId, NanoUsd cost, const QDateTime &window)
{
    SettledCall call;
    call.record = makeRecord(requestId, cost,
                             {{LedgerScope::key(Token), cost, window},
                              {LedgerScope::user(u"alice"_s), cost, QDateTime()},
                              {LedgerScope::endUser(u"customer-7"_s), cost, QDateTime()},
                              {LedgerScope::global(), cost, window, u"1d"_s},
                              {LedgerScope::keyModel(Token, u"chat"_s), cost, window}});
    for (const JournalBudgetState &state : std::as_const(call.record.states))
        call.jobs.append(IdentityRepository::addSpend(state.scope, state.added, state.resetAt, state.duration));
    return call;
}

// Every budget counter and window of a seeded database.
QVariantList budgetState(Store &store)
{
    const QJsonObject key = jsonColumn(store, u"SELECT data FROM keys"_s);
    const QJsonObject chat = key.value(u"model_max_budget"_s).toObject().value(u"chat"_s).toObject();
    const auto global = store.readNow([](QSqlDatabase &db) { return IdentityRepository::loadGlobalSpend(db); });
    const QJsonObject globalSpend = global ? global->toJsonObject() : QJsonObject();
    return {scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(),
            key.value(u"budget_reset_at"_s).toString(),
            usdToNanos(chat.value(u"spend"_s).toDouble()),
            chat.value(u"budget_reset_at"_s).toString(),
            scalar(store, u"SELECT spend_nanousd FROM users"_s).toLongLong(),
            scalar(store, u"SELECT spend_nanousd FROM end_users"_s).toLongLong(),
            globalSpend.value(u"spend_nanousd"_s).toInteger(),
            globalSpend.value(u"budget_reset_at"_s).toString(),
            globalSpend.value(u"budget_duration"_s).toString()};
}

// Counts the writes of the global budget's row from now on (a TEMP trigger on the store's own
// connection); read with writesCounted().
bool countGlobalSpendWrites(Store &store)
{
    const auto done = store.readNow([](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        return query.exec(u"CREATE TEMP TABLE counted (n INTEGER NOT NULL)"_s)
               && query.exec(u"INSERT INTO counted VALUES (0)"_s)
               && query.exec(u"CREATE TEMP TRIGGER count_global AFTER UPDATE ON main.settings "
                             "WHEN NEW.key = 'global_spend' BEGIN UPDATE counted SET n = n + 1; END"_s);
    });
    return done && done->toBool();
}

int writesCounted(Store &store)
{
    return scalar(store, u"SELECT n FROM temp.counted"_s).toInt();
}

} // namespace

class TestSpendJournal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripAndTornTail();
    void replaysWhatWasNeverCommitted();
    void aCallInFlightIsReplayedOnlyIfItNeverSettled();
    void aReplayCountsInTheSharedRow();
    void neverReappliesCommittedOrStaleRecords();
    void segmentsRotateAndGoOnceCommitted();
    void recordSpendIsLazyAndCleansUp();
    void theCallsOfOnePassAreOneWrite();
    void aFailedBatchWriteMakesEveryCallWaitForItsCommit();
    void stagedCallsAreWrittenOnceAndThenAnswered();
    void aJobAfterAStagedCallSeesItsRow();
    void aStagedBatchThatCannotBeWrittenWaitsForItsCommit();
    void aPassWhoseLoopObjectIsGoneDoesNotStallTheNext();
    void inMemoryDatabaseHasNoJournal();
    void answeredNowCallsHearOnlyOfFailures();
    void aLongBacklogMakesCallersWaitForTheCommit();
    void oneStoreAtATimeOwnsTheJournal();
    void failedWritesAreRetriedInOrder_data();
    void failedWritesAreRetriedInOrder();
    void aStoreThatDiesDuringAnOutageLosesNothing_data();
    void aStoreThatDiesDuringAnOutageLosesNothing();
    void aReopenedSegmentIsNeverDeletedWhileWritten();
    void twoStoresAddTheirSpend();
    void aCallWrittenTwiceCountsOnce();
    void aFormat2JournalReplaysItsTotals();
    void aRecordWithoutAgentFieldsStillReplays();
    void refusalFieldsRoundTripAndMayBeAbsent();
    void aBatchSumsItsIncrementsAsTheCallsOneByOne();
    void aFailingCallInABatchKeepsTheCallsBeforeIt();
    void recordsKeepQtsChecksum();
};

void TestSpendJournal::roundTripAndTornTail()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    {
        SpendJournal journal(database, 41);
        JournalRecord first = makeRecord(u"call-1"_s, 123, {{LedgerScope::key(Token), 5000, ResetA},
                                                             {LedgerScope::global(), 9000, QDateTime(), u"1d"_s}});
        JournalRecord second = makeRecord(u"call-2"_s, 456);
        QVERIFY(journal.append(first).ok());
        QVERIFY(journal.append(second).ok());
        QCOMPARE(first.seq, 41);
        QCOMPARE(second.seq, 42);
    }  // nothing committed: the destructor keeps the file
    const QStringList files = SpendJournal::segments(database);
    QCOMPARE(files.size(), 1);
    QList<JournalRecord> records = SpendJournal::read(files.first());
    QCOMPARE(records.size(), 2);
    const JournalRecord &read = records.first();
    const JournalRecord expected = makeRecord(u"call-1"_s, 123);
    QCOMPARE(read.seq, 41);
    QCOMPARE(read.row.requestId, expected.row.requestId);
    QCOMPARE(read.row.spend, 123);
    QCOMPARE(read.row.totalTokens, 33);
    QCOMPARE(read.row.cachedTokens, 7);
    QCOMPARE(read.row.cacheWriteTokens, 5);
    QCOMPARE(read.row.cacheWrite1hTokens, 2);
    QCOMPARE(read.row.dialect, u"messages"_s);
    QCOMPARE(read.row.sessionId, u"sess-\u00e9-1"_s);
    QCOMPARE(read.row.startTime, Start);
    QCOMPARE(read.row.endTime, Start.addMSecs(250));
    QCOMPARE(read.row.endUser, u"customer-7"_s);
    QCOMPARE(read.row.costEstimated, true);
    QCOMPARE(read.row.priceUnknown, false);
    QCOMPARE(read.states.size(), 2);
    QCOMPARE(read.states.at(0).scope, LedgerScope::key(Token));
    QCOMPARE(read.states.at(0).added, 5000);
    QCOMPARE(read.states.at(0).resetAt, ResetA);
    QVERIFY(!read.states.at(0).absolute);
    QCOMPARE(read.states.at(1).scope, LedgerScope::global());
    QVERIFY(!read.states.at(1).resetAt.isValid());
    QCOMPARE(read.states.at(1).duration, u"1d"_s);

    // A kill in the middle of a write leaves a torn record: reading stops before it.
    QFile file(files.first());
    QVERIFY(file.open(QIODevice::Append));
    const QByteArray third = SpendJournal::encode(makeRecord(u"call-3"_s, 789));
    file.write(third.left(third.size() - 3));
    file.close();
    QCOMPARE(SpendJournal::read(files.first()).size(), 2);
    // And a flipped byte fails the checksum.
    QVERIFY(file.open(QIODevice::ReadWrite));
    QByteArray bytes = file.readAll();
    bytes[bytes.size() / 4] = char(bytes.at(bytes.size() / 4) ^ 0x5a);
    file.seek(0);
    file.write(bytes);
    file.close();
    QCOMPARE(SpendJournal::read(files.first()).size(), 0);
}

// Store::noteInFlight keeps what admission held for a call until it settles. A process killed
// meanwhile: the replay charges it (status "interrupted"); a call whose settled record is there
// too (its row not committed yet, or committed) goes by that one, once.
void TestSpendJournal::aCallInFlightIsReplayedOnlyIfItNeverSettled()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
    }
    const auto inFlight = [](const QString &requestId, NanoUsd held) {
        JournalRecord record = makeRecord(requestId, held, {{LedgerScope::key(Token), held, ResetA}});
        record.row.status = InterruptedStatus;
        return record;
    };
    {
        SpendJournal journal(database, 1);
        JournalRecord first = inFlight(u"call-1"_s, 900);
        JournalRecord second = inFlight(u"call-2"_s, 700);
        JournalRecord settled = makeRecord(u"call-1"_s, 100, {{LedgerScope::key(Token), 100, ResetA}});
        QVERIFY(journal.append(first).ok());
        QVERIFY(journal.append(second).ok());
        QVERIFY(journal.append(settled).ok());
    }
    Store store;
    QVERIFY(store.open(database).ok());
    QVERIFY(SpendJournal::segments(database).isEmpty());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 2);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM spend_logs WHERE request_id = 'call-1'"_s).toLongLong(), 100);
    QCOMPARE(scalar(store, u"SELECT status FROM spend_logs WHERE request_id = 'call-1'"_s).toString(), u"success"_s);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM spend_logs WHERE request_id = 'call-2'"_s).toLongLong(), 700);
    QCOMPARE(scalar(store, u"SELECT status FROM spend_logs WHERE request_id = 'call-2'"_s).toString(), InterruptedStatus);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1000 + 100 + 700);
    store.close();

    // Live: a call noted in flight and then settled retires its record with its commit, so the
    // segment goes and nothing is replayed at the next open.
    Store live;
    QVERIFY(live.open(database).ok());
    JournalRecord noted = inFlight(u"call-3"_s, 500);
    QVERIFY(live.noteInFlight(noted) > 0);
    live.writeJournal();
    QCOMPARE(SpendJournal::segments(database).size(), 1);
    std::vector<SettledCall> calls;
    calls.push_back(settledCall(u"call-3"_s, 40));
    calls.back().inFlightSeq = noted.seq;
    QVERIFY(live.recordSpends(std::move(calls)).front());
    live.close();
    // Every record committed: the segment is gone (one with a record left would be kept).
    QVERIFY(SpendJournal::segments(database).isEmpty());
    Store reopened;
    QVERIFY(reopened.open(database).ok());
    QCOMPARE(scalar(reopened, u"SELECT count(*) FROM spend_logs WHERE request_id = 'call-3'"_s).toInt(), 1);
    QCOMPARE(scalar(reopened, u"SELECT status FROM spend_logs WHERE request_id = 'call-3'"_s).toString(), u"success"_s);
}

void TestSpendJournal::replaysWhatWasNeverCommitted()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    qint64 next = 0;
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
        next = 1;  // no spend row yet
    }
    // A process settled two calls and was killed before its store committed them.
    {
        SpendJournal journal(database, next);
        // Each record holds what the call added to each budget, in the window it counted in.
        JournalRecord first = makeRecord(u"call-1"_s, 100,
                                         {{LedgerScope::key(Token), 100, ResetA},
                                          {LedgerScope::user(u"alice"_s), 100, QDateTime()},
                                          {LedgerScope::endUser(u"customer-7"_s), 100, QDateTime()},
                                          {LedgerScope::global(), 100, ResetA, u"1d"_s},
                                          {LedgerScope::keyModel(Token, u"chat"_s), 100, ResetA}});
        // The second call came after the key's window moved: new spend, new window.
        JournalRecord second = makeRecord(u"call-2"_s, 50,
                                          {{LedgerScope::key(Token), 50, ResetB},
                                           {LedgerScope::user(u"alice"_s), 50, QDateTime()},
                                           {LedgerScope::endUser(u"customer-7"_s), 50, QDateTime()},
                                           {LedgerScope::global(), 50, ResetA, u"1d"_s},
                                           {LedgerScope::keyModel(Token, u"chat"_s), 50, ResetA}});
        QVERIFY(journal.append(first).ok());
        QVERIFY(journal.append(second).ok());
    }
    QCOMPARE(SpendJournal::segments(database).size(), 1);

    Store store;
    QVERIFY(store.open(database).ok());
    QVERIFY(SpendJournal::segments(database).isEmpty());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 2);
    QCOMPARE(scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong(), 2);
    QCOMPARE(scalar(store, u"SELECT sum(spend_nanousd) FROM spend_logs"_s).toLongLong(), 150);
    QCOMPARE(scalar(store, u"SELECT end_user FROM spend_logs WHERE request_id = 'call-1'"_s).toString(),
             u"customer-7"_s);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 50);
    const QJsonObject key = jsonColumn(store, u"SELECT data FROM keys"_s);
    QCOMPARE(IdentityJson::parseTime(key.value(u"budget_reset_at"_s)), ResetB);
    const QJsonObject chat = key.value(u"model_max_budget"_s).toObject().value(u"chat"_s).toObject();
    QCOMPARE(usdToNanos(chat.value(u"spend"_s).toDouble()), 150);
    QCOMPARE(chat.value(u"budget_limit"_s).toDouble(), 1.0);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM users"_s).toLongLong(), 2150);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM end_users"_s).toLongLong(), 3150);
    const auto global = store.readNow([](QSqlDatabase &db) { return IdentityRepository::loadGlobalSpend(db); });
    QCOMPARE(global->toJsonObject().value(u"spend_nanousd"_s).toInteger(), 4150);
    QCOMPARE(global->toJsonObject().value(u"budget_duration"_s).toString(), u"1d"_s);

    // The next record continues the sequence, and its batch notes it as committed.
    QVERIFY(store.recordSpend(makeRecord(u"call-3"_s, 1), {}, nullptr, {}));
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs WHERE request_id = 'call-3'"_s).toInt(), 1);
    QCOMPARE(scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong(), 3);
}

void TestSpendJournal::aReplayCountsInTheSharedRow()
{
    // Shared budgets: an instance answered a call and was killed before its commit. The replay
    // at the next open adds the call to the key's shared row as the commit would have, although
    // it runs before the gateway turns shared spend on (else the row stays short of the call and
    // a strict budget can pass its max once the dead lease comes back).
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    const LedgerScope key = LedgerScope::key(Token);
    const auto sharedSpend = [](Store &store, const LedgerScope &scope) {
        const auto row = store.readNow([scope](QSqlDatabase &db) {
            const auto share = LeaseRepository::share(db, scope);
            return share && *share ? QVariant::fromValue((*share)->spend) : QVariant();
        });
        return row && row->isValid() ? row->toLongLong() : -1;
    };
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
        auto answers = std::make_shared<QList<LeaseRepository::LeaseAnswer>>();
        QVERIFY(store.writeNow(LeaseRepository::lease(u"A"_s, {}, {{key, 100, 500, 10'000, 1000, ResetA}}, 1000, 31'000,
                                                      answers))
                    .ok());
        QVERIFY(answers->value(0).granted);
        QCOMPARE(sharedSpend(store, key), 1000);
    }
    {
        SpendJournal journal(database, 1);
        JournalRecord record = makeRecord(u"call-1"_s, 100, {{key, 100, ResetA}});
        QVERIFY(journal.append(record).ok());
    }
    QVERIFY(!LeaseRepository::sharedSpend());
    Store store;
    QVERIFY(store.open(database).ok());
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1100);
    QCOMPARE(sharedSpend(store, key), 1100);
    // A scope without a shared row (never leased) gets none.
    QVERIFY(sharedSpend(store, LedgerScope::user(u"alice"_s)) < 0);
}

void TestSpendJournal::neverReappliesCommittedOrStaleRecords()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
        // Records 1..5 committed; the key's spend in the database is newer than any journal record.
        for (int seq = 1; seq <= 5; ++seq)
            QVERIFY(store.writeNow(SpendLogRepository::insert(makeRecord(u"row-%1"_s.arg(seq), 1).row)).ok());
        QVERIFY(store.writeNow([](QSqlDatabase &db) { return SpendJournal::markCommitted(db, 5); }).ok());
        QVERIFY(store.writeNow(IdentityRepository::saveSpend(IdentityRepository::SpendTable::Keys, Token, 7777)).ok());
    }
    {
        SpendJournal journal(database, 3);
        // seq 3: not above the committed prefix: committed already (whatever its row's id).
        JournalRecord stale = makeRecord(u"lost-3"_s, 9, {{LedgerScope::key(Token), 1, ResetA}});
        QVERIFY(journal.append(stale).ok());
        JournalRecord four = makeRecord(u"row-4"_s, 9, {{LedgerScope::key(Token), 2, ResetA}});
        QVERIFY(journal.append(four).ok());
        QVERIFY(journal.append(stale).ok());  // seq 5
        // seq 6 is new but its row is already there (committed under another number): skipped.
        JournalRecord dup = makeRecord(u"row-2"_s, 9, {{LedgerScope::key(Token), 3, ResetA}});
        QVERIFY(journal.append(dup).ok());
        QCOMPARE(dup.seq, 6);
    }
    Store store;
    QVERIFY(store.open(database).ok());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 5);
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs WHERE request_id = 'lost-3'"_s).toInt(), 0);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 7777);
    QVERIFY(SpendJournal::segments(database).isEmpty());
    // Numbers already in the journal are not handed out again.
    QVERIFY(store.recordSpend(makeRecord(u"row-7"_s, 1), {}, nullptr, {}));
    QCOMPARE(scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong(), 7);
}

void TestSpendJournal::segmentsRotateAndGoOnceCommitted()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    SpendJournal journal(database, 1, 1);  // a new segment for every record
    QList<qint64> seqs;
    for (int i = 0; i < 4; ++i) {
        JournalRecord record = makeRecord(u"call-%1"_s.arg(i), 1);
        QVERIFY(journal.append(record).ok());
        seqs.append(record.seq);
    }
    QCOMPARE(seqs, (QList<qint64>{1, 2, 3, 4}));
    QCOMPARE(SpendJournal::segments(database).size(), 4);
    QCOMPARE(journal.segmentFiles(), SpendJournal::segments(database));
    journal.committed(1);
    journal.committed(2);
    QCOMPARE(SpendJournal::segments(database).size(), 2);
    // Record 4 commits before 3 (3's batch failed and waits for a retry): 3's segment stays,
    // and the committed prefix a batch notes stops before it.
    journal.committed(4);
    QCOMPARE(SpendJournal::segments(database).size(), 2);
    QCOMPARE(journal.committedPrefixWith({}), 2);
    QCOMPARE(journal.committedPrefixWith({3}), 4);
    journal.committed(3);
    // The segment being written stays while the journal is open.
    QCOMPARE(SpendJournal::segments(database).size(), 1);
    QCOMPARE(journal.committedPrefixWith({}), 4);
}

void TestSpendJournal::recordSpendIsLazyAndCleansUp()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    seed(store);
    QVERIFY(store.spendJournal());
    const int batchesBefore = store.batchesCommitted();
    constexpr int Calls = 50;
    int answered = 0;
    QObject context;
    for (int i = 0; i < Calls; ++i) {
        const bool journaled = store.recordSpend(
            makeRecord(u"call-%1"_s.arg(i), 10), {IdentityRepository::saveSpend(IdentityRepository::SpendTable::Keys, Token, 1000 + 10 * (i + 1))},
            &context, [&answered](const Result<void> &result) { answered += result.ok() ? 1 : 0; });
        QVERIFY(journaled);
    }
    // Journaled before recordSpend returned, and not committed yet (the batch is lazy).
    QCOMPARE(SpendJournal::read(SpendJournal::segments(database).value(0)).size(), Calls);
    QTRY_COMPARE(answered, Calls);
    // Fifty calls in one or two lazy batches, not fifty.
    QVERIFY2(store.batchesCommitted() - batchesBefore <= 2, qPrintable(QString::number(store.batchesCommitted() - batchesBefore)));
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1000 + 10 * Calls);
    // A prompt read drains lazy writes queued before it at once.
    QVERIFY(store.recordSpend(makeRecord(u"late"_s, 10), {}, nullptr, {}));
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs WHERE request_id = 'late'"_s).toInt(), 1);
    store.close();
    QVERIFY(SpendJournal::segments(database).isEmpty());
}

void TestSpendJournal::theCallsOfOnePassAreOneWrite()
{
    // Store::recordSpends (what the relay calls once per event-loop pass): every call's record is
    // journaled, numbered in order, with one write, before it returns; each commits as if
    // recorded alone.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    seed(store);
    SpendJournal *journal = store.spendJournal();
    QVERIFY(journal);
    QObject context;
    int answered = 0;
    constexpr int Calls = 5;
    std::vector<SettledCall> calls;
    for (int i = 0; i < Calls; ++i) {
        calls.push_back(callFor(u"call-%1"_s.arg(i), 10, &context,
                                [&answered](const Result<void> &result) { answered += result.ok() ? 1 : 0; },
                                Store::Delivery::Always, 1000 + 10 * (i + 1)));
    }
    const quint64 writesBefore = journal->writes();
    const std::vector<bool> answerNow = store.recordSpends(std::move(calls));
    QCOMPARE(answerNow, std::vector<bool>(Calls, true));
    QCOMPARE(journal->writes(), writesBefore + 1);
    QCOMPARE(numberedRecords(database), numberedCalls(Calls));
    QTRY_COMPARE(answered, Calls);
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1000 + 10 * Calls);
    // One more call alone is one more write, numbered after the batch.
    JournalRecord alone = makeRecord(u"alone"_s, 1);
    QVERIFY(journal->append(alone).ok());
    QCOMPARE(numberedRecords(database).value(Calls), u"alone#%1"_s.arg(Calls));
    QCOMPARE(journal->writes(), writesBefore + 2);
}

void TestSpendJournal::aFailedBatchWriteMakesEveryCallWaitForItsCommit()
{
    // The batch's write fails part way (the file size limit: EFBIG after a partial write): no
    // call of it is journaled, each one answers after its COMMIT instead, and the torn bytes are
    // cut off (a replay would stop at them).
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    QVERIFY(store.spendJournal());
    QObject context;
    QVERIFY(store.recordSpend(makeRecord(u"before"_s, 1), {}, &context, {}));
    const QString segment = SpendJournal::segments(database).value(0);
    const qint64 written = QFileInfo(segment).size();
    QVERIFY(written > 0);

    int committed = 0;
    std::vector<SettledCall> calls;
    for (int i = 0; i < 3; ++i) {
        calls.push_back(callFor(u"call-%1"_s.arg(i), 1, &context,
                                [&committed](const Result<void> &result) { committed += result.ok() ? 1 : 0; },
                                Store::Delivery::FailuresWhenAnsweredNow));
    }
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    rlimit tiny = saved;
    tiny.rlim_cur = rlim_t(written + 10);  // 10 bytes of the batch go in, then EFBIG
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
    const std::vector<bool> answerNow = store.recordSpends(std::move(calls));
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    QCOMPARE(answerNow, std::vector<bool>(3, false));
    // Not journaled: each call hears of its commit (even with FailuresWhenAnsweredNow).
    QTRY_COMPARE(committed, 3);
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 4);
    QStringList journaled;
    for (const QString &file : SpendJournal::segments(database)) {
        for (const JournalRecord &record : SpendJournal::read(file))
            journaled.append(record.row.requestId);
    }
    QVERIFY2(!journaled.contains(u"call-0"_s), qPrintable(journaled.join(u", "_s)));
    QCOMPARE(QFileInfo(segment).exists() ? QFileInfo(segment).size() : written, written);
}

void TestSpendJournal::stagedCallsAreWrittenOnceAndThenAnswered()
{
    // Store::recordSpendSoon (the relay's): the calls settled in one pass of the loop are staged,
    // written with one write when the loop comes back, and only then answered.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    seed(store);
    SpendJournal *journal = store.spendJournal();
    QVERIFY(journal);
    QObject context;
    constexpr int Calls = 6;
    int answered = 0;
    int delivered = 0;
    const quint64 writesBefore = journal->writes();
    QStringList journaledWhenAnswered;
    for (int i = 0; i < Calls; ++i) {
        SettledCall call = callFor(u"call-%1"_s.arg(i), 10, &context, [&delivered](const Result<void> &) { ++delivered; },
                                   Store::Delivery::FailuresWhenAnsweredNow, 1000 + 10 * (i + 1));
        store.recordSpendSoon(std::move(call), [&, i] {
            ++answered;
            // Answered only with its record in the file.
            for (const JournalRecord &record : SpendJournal::read(SpendJournal::segments(database).value(0))) {
                if (record.row.requestId == u"call-%1"_s.arg(i))
                    journaledWhenAnswered.append(record.row.requestId);
            }
        });
    }
    // Nothing written or answered inside the pass.
    QCOMPARE(journal->writes(), writesBefore);
    QCOMPARE(answered, 0);
    QTRY_COMPARE(answered, Calls);
    QCOMPARE(journal->writes(), writesBefore + 1);
    QCOMPARE(journaledWhenAnswered.size(), Calls);
    QCOMPARE(numberedRecords(database), numberedCalls(Calls));
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1000 + 10 * Calls);
    QTest::qWait(50);
    QCOMPARE(delivered, 0);  // answered from the journal: the commits send nothing back
    store.close();
    QVERIFY(SpendJournal::segments(database).isEmpty());
}

void TestSpendJournal::aJobAfterAStagedCallSeesItsRow()
{
    // The store write of a staged call is queued at once: a job the caller queues after it (a
    // shared budget's lease request reads the spend) runs after it, before the journal write.
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"t.db"_s)).ok());
    QObject context;
    store.recordSpendSoon(callFor(u"staged"_s, 10, &context, {}), [] {});
    int seen = -1;
    store.read([](QSqlDatabase &db) {
        QSqlQuery query(db);
        return query.exec(u"SELECT count(*) FROM spend_logs WHERE request_id = 'staged'"_s) && query.next()
                   ? query.value(0) : QVariant();
    }, &context, [&seen](const Result<QVariant> &result) { seen = result ? result->toInt() : -2; });
    QTRY_COMPARE(seen, 1);
}

void TestSpendJournal::aStagedBatchThatCannotBeWrittenWaitsForItsCommit()
{
    // The pass's write fails (the file size limit: EFBIG): no staged call is answered from the
    // journal; each one is answered after its COMMIT, and none is in the journal.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    QVERIFY(store.spendJournal());
    QObject context;
    int answered = 0;
    int committed = 0;
    for (int i = 0; i < 3; ++i) {
        store.recordSpendSoon(callFor(u"call-%1"_s.arg(i), 1, &context,
                                      [&committed](const Result<void> &result) { committed += result.ok() ? 1 : 0; },
                                      Store::Delivery::FailuresWhenAnsweredNow),
                              [&answered] { ++answered; });
    }
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    rlimit tiny = saved;
    tiny.rlim_cur = 10;  // a new segment takes 10 bytes of the batch, then EFBIG
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
    QCoreApplication::processEvents();  // the pass ends: the staged batch's write
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    QTRY_COMPARE(committed, 3);
    QCOMPARE(answered, 0);
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 3);
    for (const QString &file : SpendJournal::segments(database))
        QCOMPARE(SpendJournal::read(file).size(), 0);
    // The numbers of the lost batch are done with once their rows are in: nothing is kept.
    store.close();
    QVERIFY(SpendJournal::segments(database).isEmpty());
}

void TestSpendJournal::aPassWhoseLoopObjectIsGoneDoesNotStallTheNext()
{
    // The object a pass's event was posted to is deleted before the loop runs it (a gateway
    // stopped on a store that lives on): its call is written later but not answered, and the
    // next caller's pass is written and answered.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    int goneAnswered = 0;
    auto *gone = new QObject;
    store.recordSpendSoon(callFor(u"call-0"_s, 1, gone, {}), [&goneAnswered] { ++goneAnswered; });
    delete gone;  // and the posted event with it
    QObject context;
    int answered = 0;
    store.recordSpendSoon(callFor(u"call-1"_s, 1, &context, {}), [&answered] { ++answered; });
    QTRY_COMPARE(answered, 1);
    QCOMPARE(goneAnswered, 0);
    QCOMPARE(numberedRecords(database), numberedCalls(2));
}

void TestSpendJournal::answeredNowCallsHearOnlyOfFailures()
{
    // Delivery::FailuresWhenAnsweredNow (the relay's): a journaled call's commit sends nothing
    // back to the caller's thread; a failure still does, and a call that waits for its commit
    // hears of it as always.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    QObject context;
    int succeeded = 0;
    int failed = 0;
    const auto done = [&](const Result<void> &result) { (result ? succeeded : failed) += 1; };
    {
        Store store;
        QVERIFY(store.open(database).ok());
        QVERIFY(store.spendJournal());
        for (int i = 0; i < 5; ++i) {
            QVERIFY(store.recordSpend(makeRecord(u"call-%1"_s.arg(i), 1), {}, &context, done,
                                      Store::Delivery::FailuresWhenAnsweredNow));
        }
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 5);  // committed
        QTest::qWait(50);
        QCOMPARE(succeeded, 0);
        QCOMPARE(failed, 0);
        // The default still hears of the commit.
        QVERIFY(store.recordSpend(makeRecord(u"call-always"_s, 1), {}, &context, done));
        QTRY_COMPARE(succeeded, 1);
        // A write that cannot commit before the store closes: its failure is delivered.
        QVERIFY(injectFault(store, Fault::Statement));
        QVERIFY(store.recordSpend(makeRecord(u"call-failing"_s, 1), {}, &context, done,
                                  Store::Delivery::FailuresWhenAnsweredNow));
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 6);  // an attempt failed
        store.close();
        QTRY_COMPARE(failed, 1);
        QCOMPARE(succeeded, 1);
    }
    // Without a journal the caller waits for the commit: it hears of it.
    Store memory;
    QVERIFY(memory.open(u":memory:"_s).ok());
    QVERIFY(!memory.recordSpend(makeRecord(u"call"_s, 1), {}, &context, done,
                                Store::Delivery::FailuresWhenAnsweredNow));
    QTRY_COMPARE(succeeded, 2);
}

void TestSpendJournal::inMemoryDatabaseHasNoJournal()
{
    Store store;
    QVERIFY(store.open(u":memory:"_s).ok());
    QVERIFY(!store.spendJournal());
    int answered = 0;
    QObject context;
    QVERIFY(!store.recordSpend(makeRecord(u"call"_s, 1), {}, &context,
                               [&answered](const Result<void> &result) { answered += result.ok() ? 1 : 0; }));
    QTRY_COMPARE(answered, 1);
}

void TestSpendJournal::aLongBacklogMakesCallersWaitForTheCommit()
{
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store store;
    QVERIFY(store.open(database).ok());
    // A write that holds the store thread: whatever is queued behind it is the backlog.
    QSemaphore entered;
    QSemaphore release;
    store.write([&entered, &release](QSqlDatabase &) -> Result<void> {
        entered.release();
        release.acquire();
        return {};
    }, nullptr);
    entered.acquire();
    store.setLazyBacklogLimit(3);
    QObject context;
    int answered = 0;
    QList<bool> answerNow;
    for (int i = 0; i < 5; ++i) {
        answerNow.append(store.recordSpend(makeRecord(u"call-%1"_s.arg(i), 1), {}, &context,
                                           [&answered](const Result<void> &result) { answered += result.ok() ? 1 : 0; }));
    }
    // Past three queued jobs the callers wait for the commit; every call is journaled all the same.
    QCOMPARE(answerNow, (QList<bool>{true, true, true, false, false}));
    QCOMPARE(SpendJournal::read(SpendJournal::segments(database).value(0)).size(), 5);
    release.release();
    QTRY_COMPARE(answered, 5);
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 5);
}

void TestSpendJournal::oneStoreAtATimeOwnsTheJournal()
{
    // A second process (here: a second store) on the same database neither replays nor writes
    // the journal the first one owns; its calls wait for their commit.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    auto first = std::make_unique<Store>();
    QVERIFY(first->open(database).ok());
    QVERIFY(first->spendJournal());
    QVERIFY(first->recordSpend(makeRecord(u"by-first"_s, 1), {}, nullptr, {}));
    Store second;
    QVERIFY(second.open(database).ok());
    QVERIFY(!second.spendJournal());
    QObject context;
    int answered = 0;
    QVERIFY(!second.recordSpend(makeRecord(u"by-second"_s, 1), {}, &context,
                                [&answered](const Result<void> &result) { answered += result.ok() ? 1 : 0; }));
    QTRY_COMPARE(answered, 1);
    // The first store's journal is still there, untouched by the second's open.
    QCOMPARE(SpendJournal::segments(database).size(), 1);
    QCOMPARE(scalar(*first, u"SELECT count(*) FROM spend_logs"_s).toInt(), 2);
    first.reset();
    second.close();
    // With the owner gone the next store owns it.
    Store third;
    QVERIFY(third.open(database).ok());
    QVERIFY(third.spendJournal());
}

void TestSpendJournal::failedWritesAreRetriedInOrder_data()
{
    QTest::addColumn<Fault>("fault");
    QTest::newRow("a statement fails") << Fault::Statement;
    QTest::newRow("COMMIT fails") << Fault::Commit;
}

void TestSpendJournal::failedWritesAreRetriedInOrder()
{
    QFETCH(Fault, fault);
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    constexpr int Calls = 20;
    NanoUsd total = 0;
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
        QObject context;
        int answered = 0;
        int failed = 0;
        const auto record = [&](int i) {
            SettledCall call = settledCall(u"call-%1"_s.arg(i), 10 + i);
            total += 10 + i;
            return store.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                                     [&](const Result<void> &result) { (result ? answered : failed) += 1; });
        };
        QVERIFY(record(0));
        QTRY_COMPARE(answered, 1);

        // The store's writes fail for a while: every call is journaled and answered at once all
        // the same, and nothing of them is lost or reported failed.
        QVERIFY(injectFault(store, fault));
        for (int i = 1; i < Calls; ++i)
            QVERIFY(record(i));
        // A write submitted during the outage (a management change) waits behind the held ones:
        // it commits after them (each attempt notes the rows it sees).
        QList<int> rowsSeenByLaterWrite;
        bool laterWriteDone = false;
        store.write(
            [&rowsSeenByLaterWrite](QSqlDatabase &db) -> Result<void> {
                QSqlQuery query(db);
                if (query.exec(u"SELECT count(*) FROM spend_logs"_s) && query.next())
                    rowsSeenByLaterWrite.append(query.value(0).toInt());
                return {};
            },
            &context, [&laterWriteDone](const Result<void> &result) { laterWriteDone = result.ok(); });
        // Reads are answered meanwhile (this one after the first failed attempt).
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 1);
        QCOMPARE(scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong(), 1);
        QVERIFY(!laterWriteDone);
        QCOMPARE(failed, 0);
        qsizetype journaled = 0;
        for (const QString &file : SpendJournal::segments(database))
            journaled += SpendJournal::read(file).size();
        QCOMPARE(journaled, Calls);

        // The disk recovers: the held writes commit, in order, before the one behind them.
        QVERIFY(clearFault(store));
        QTRY_COMPARE(answered, Calls);
        QCOMPARE(failed, 0);
        QTRY_VERIFY(laterWriteDone);
        QCOMPARE(rowsSeenByLaterWrite.last(), Calls);
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
        QCOMPARE(scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong(), Calls);
        verifyCountersMatchRows(store, total);
    }
    QVERIFY(SpendJournal::segments(database).isEmpty());
    // Reopened: nothing replayed twice.
    Store store;
    QVERIFY(store.open(database).ok());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
    verifyCountersMatchRows(store, total);
}

void TestSpendJournal::aStoreThatDiesDuringAnOutageLosesNothing_data()
{
    QTest::addColumn<Fault>("fault");
    QTest::addColumn<QString>("failingCall");
    QTest::newRow("one call's write fails") << Fault::Statement << u"call-6"_s;
    QTest::newRow("every commit fails") << Fault::Commit << QString();
}

void TestSpendJournal::aStoreThatDiesDuringAnOutageLosesNothing()
{
    QFETCH(Fault, fault);
    QFETCH(QString, failingCall);
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    constexpr int Calls = 15;
    NanoUsd total = 0;
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
        QObject context;
        int answered = 0;
        const auto record = [&](int i) {
            SettledCall call = settledCall(u"call-%1"_s.arg(i), 100 + i);
            total += 100 + i;
            return store.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                                     [&](const Result<void> &result) { answered += result ? 1 : 0; });
        };
        for (int i = 0; i < 5; ++i)
            QVERIFY(record(i));
        QTRY_COMPARE(answered, 5);
        QVERIFY(injectFault(store, fault, failingCall));
        for (int i = 5; i < Calls; ++i)
            QVERIFY(record(i));
        // At least one attempt failed (a read runs after it): the committed prefix stops
        // before the first call that is not in.
        const qint64 prefix = scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong();
        QVERIFY2(prefix < (failingCall.isEmpty() ? 6 : 7), qPrintable(QString::number(prefix)));
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs WHERE request_id = 'call-6'"_s).toInt(), 0);
    }  // the process dies in the outage: its store goes without committing what failed
    QVERIFY(!SpendJournal::segments(database).isEmpty());

    // The next start replays every answered call exactly once.
    Store store;
    QVERIFY(store.open(database).ok());
    QVERIFY(SpendJournal::segments(database).isEmpty());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
    QCOMPARE(scalar(store, u"SELECT count(DISTINCT request_id) FROM spend_logs"_s).toInt(), Calls);
    verifyCountersMatchRows(store, total);
    // And the numbers go on after the journal's last one.
    QVERIFY(store.recordSpend(makeRecord(u"after"_s, 0), {}, nullptr, {}));
    QCOMPARE(scalar(store, u"SELECT value FROM settings WHERE key = 'spend_journal_seq'"_s).toLongLong(), Calls + 1);
    store.close();

    // A second open finds nothing left to replay.
    Store again;
    QVERIFY(again.open(database).ok());
    QCOMPARE(scalar(again, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls + 1);
    verifyCountersMatchRows(again, total);
}

void TestSpendJournal::aReopenedSegmentIsNeverDeletedWhileWritten()
{
    // A write error in the first record of a segment (here: the file size limit, EFBIG after a
    // partial write) leaves a torn file. The next record must not go behind the torn bytes (replay
    // would stop there), and the torn file's old entry must not delete the file then written.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    SpendJournal journal(database, 1, 1);  // a new segment for every record
    JournalRecord a = makeRecord(u"a"_s, 1);
    QVERIFY(journal.append(a).ok());

    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    rlimit tiny = saved;
    tiny.rlim_cur = 10;  // the next segment takes 10 bytes of its record, then EFBIG
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
    JournalRecord b = makeRecord(u"b"_s, 1);
    const bool written = journal.append(b).ok();
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    QVERIFY(!written);

    JournalRecord c = makeRecord(u"c"_s, 1);
    QVERIFY(journal.append(c).ok());
    QCOMPARE(c.seq, 3);  // b's number stays used (its row commits and marks it), never given twice
    journal.committed(1);
    // The process dies now: record 2 must be there for the replay.
    QStringList found;
    for (const QString &file : SpendJournal::segments(database)) {
        for (const JournalRecord &record : SpendJournal::read(file))
            found.append(record.row.requestId);
    }
    QCOMPARE(found, QStringList{u"c"_s});
}

void TestSpendJournal::twoStoresAddTheirSpend()
{
    // Two processes on one database (the second without the journal, answering after COMMIT):
    // each adds its calls to the counters, neither overwrites the other's.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    Store first;
    QVERIFY(first.open(database).ok());
    seed(first);
    Store second;
    QVERIFY(second.open(database).ok());
    QVERIFY(!second.spendJournal());
    QObject context;
    int answered = 0;
    NanoUsd total = 0;
    for (int i = 0; i < 10; ++i) {
        Store &store = i % 2 ? second : first;
        SettledCall call = settledCall(u"call-%1"_s.arg(i), 7 + i);
        total += 7 + i;
        store.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                          [&answered](const Result<void> &result) { answered += result ? 1 : 0; });
    }
    QTRY_COMPARE(answered, 10);
    verifyCountersMatchRows(first, total);
}

void TestSpendJournal::aCallWrittenTwiceCountsOnce()
{
    // A settled call's write may run again (a batch retried after a COMMIT whose outcome was an
    // error): its row is there, so it adds nothing and fails nothing.
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"t.db"_s)).ok());
    seed(store);
    QObject context;
    int answered = 0;
    for (int i = 0; i < 2; ++i) {
        SettledCall call = settledCall(u"same-call"_s, 42);
        store.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                          [&answered](const Result<void> &result) { answered += result ? 1 : 0; });
    }
    QTRY_COMPARE(answered, 2);
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 1);
    verifyCountersMatchRows(store, 42);
}

void TestSpendJournal::aFormat2JournalReplaysItsTotals()
{
    // A journal left by a Tollgate from before increments (format 2: a budget's new total, no
    // period) is still replayed, as totals.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
    }
    // Format 3 with one budget whose period is a null string ends in that string's length (-1,
    // four bytes): without them, and with the version byte 2, it is the format 2 record.
    JournalRecord record = makeRecord(u"old-call"_s, 5, {{LedgerScope::key(Token), 1005, ResetA}});
    record.seq = 1;
    QByteArray bytes = SpendJournal::encode(record);
    constexpr int Header = 6;
    // Records now end in their cached-token count (8 bytes, after the budgets), then the
    // cache-write, dialect and session fields; records from before them end after their
    // budgets and still read (with 0 cached tokens).
    bytes.chop(8 + agentFieldBytes(record.row));
    QCOMPARE(bytes.right(4), QByteArray(4, char(0xff)));
    bytes.chop(4);
    bytes[Header] = char(2);
    const QByteArrayView payload = QByteArrayView(bytes).sliced(Header);
    qToBigEndian(quint32(payload.size()), reinterpret_cast<uchar *>(bytes.data()));
    qToBigEndian(qChecksum(payload), reinterpret_cast<uchar *>(bytes.data()) + 4);
    QFile file(database + u"-spend-00000000000000000001.journal"_s);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
    file.close();
    const QList<JournalRecord> read = SpendJournal::read(file.fileName());
    QCOMPARE(read.size(), 1);
    QVERIFY(read.first().states.first().absolute);
    QCOMPARE(read.first().row.cachedTokens, 0);

    Store store;
    QVERIFY(store.open(database).ok());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 1);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys"_s).toLongLong(), 1005);
}

void TestSpendJournal::aRecordWithoutAgentFieldsStillReplays()
{
    // A journal left by a build from before the cache-write, dialect and session fields: its
    // records end after the cached-token count.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    {
        Store store;
        QVERIFY(store.open(database).ok());
    }
    JournalRecord record = makeRecord(u"cached-only"_s, 5);
    record.seq = 1;
    const QByteArray full = SpendJournal::encode(record);
    const QByteArray old = withoutTail(full, agentFieldBytes(record.row));
    // A record cut inside those fields is no record (a torn write, not an old one).
    JournalRecord torn = makeRecord(u"torn"_s, 6);
    torn.seq = 2;
    const QByteArray cut = withoutTail(SpendJournal::encode(torn), 2);

    QFile file(database + u"-spend-00000000000000000001.journal"_s);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(old);
    file.write(cut);
    file.close();
    const QList<JournalRecord> read = SpendJournal::read(file.fileName());
    QCOMPARE(read.size(), 1);
    const SpendLogRow &row = read.first().row;
    QCOMPARE(row.requestId, u"cached-only"_s);
    QCOMPARE(row.cachedTokens, 7);
    QCOMPARE(row.endUser, u"customer-7"_s);
    QCOMPARE(row.cacheWriteTokens, 0);
    QCOMPARE(row.cacheWrite1hTokens, 0);
    QVERIFY(row.dialect.isEmpty());
    QVERIFY(row.sessionId.isEmpty());

    // Replayed into the database, as a row without cache writes, dialect or session.
    Store store;
    QVERIFY(store.open(database).ok());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), 1);
    QCOMPARE(scalar(store, u"SELECT cached_tokens FROM spend_logs"_s).toLongLong(), 7);
    QCOMPARE(scalar(store, u"SELECT cache_write_tokens FROM spend_logs"_s).toLongLong(), 0);
    QCOMPARE(scalar(store, u"SELECT session_id FROM spend_logs"_s).toString(), QString());
}

void TestSpendJournal::refusalFieldsRoundTripAndMayBeAbsent()
{
    QTemporaryDir dir;
    JournalRecord failed = makeRecord(u"failed-call"_s, 0);
    failed.seq = 1;
    failed.row.status = u"failure"_s;
    failed.row.httpStatus = 502;
    failed.row.reason = u"Could not reach the provider"_s;
    failed.row.sessionId = u"s-1"_s;
    JournalRecord older = makeRecord(u"older-call"_s, 3);
    older.seq = 2;
    older.row.sessionId = u"s-2"_s;
    QFile file(dir.filePath(u"j-spend-00000000000000000001.journal"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(SpendJournal::encode(failed));
    // A record from the build before the refusal fields ends after the session.
    file.write(withoutTail(SpendJournal::encode(older), refusalFieldBytes(older.row)));
    file.close();
    const QList<JournalRecord> read = SpendJournal::read(file.fileName());
    QCOMPARE(read.size(), 2);
    QCOMPARE(read.at(0).row.httpStatus, 502);
    QCOMPARE(read.at(0).row.reason, u"Could not reach the provider"_s);
    QCOMPARE(read.at(0).row.sessionId, u"s-1"_s);
    QCOMPARE(read.at(1).row.httpStatus, 0);
    QVERIFY(read.at(1).row.reason.isEmpty());
    QCOMPARE(read.at(1).row.sessionId, u"s-2"_s);
}


void TestSpendJournal::aBatchSumsItsIncrementsAsTheCallsOneByOne()
{
    // A batch of settled calls writes one increment per budget and window, not one per call
    // (issue #16), and leaves every counter and window as the calls one by one do: through a
    // window that moves (ResetA to ResetB), a late call of the older window, and a management
    // write in the middle that sets a spend (it lands after the calls before it, before the rest).
    struct Step
    {
        NanoUsd cost = 0;      // a settled call ...
        QDateTime window;
        bool setUser = false;  // ... or the management write
    };
    const QList<Step> steps{{10, ResetA}, {11, ResetA}, {12, ResetA}, {0, {}, true}, {13, ResetA}, {14, ResetA},
                            {15, ResetB}, {16, ResetB}, {17, ResetB}, {18, ResetA}, {19, ResetB}};
    User user;
    user.userId = u"alice"_s;
    user.budget.spend = 500;
    QTemporaryDir dir;
    QObject context;

    // One by one: every call alone in its batch.
    Store single;
    QVERIFY(single.open(dir.filePath(u"single.db"_s)).ok());
    seed(single);
    int answered = 0;
    for (int i = 0; i < steps.size(); ++i) {
        const Step &step = steps.at(i);
        if (step.setUser) {
            QVERIFY(single.writeNow(IdentityRepository::saveUser(user)).ok());
            continue;
        }
        SettledCall call = settledCallIn(u"call-%1"_s.arg(i), step.cost, step.window);
        single.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                           [&answered](const Result<void> &result) { answered += result ? 1 : 0; });
        QTRY_COMPARE(answered, 1);
        answered = 0;
    }

    // All in one batch.
    Store batched;
    QVERIFY(batched.open(dir.filePath(u"batched.db"_s)).ok());
    seed(batched);
    QVERIFY(countGlobalSpendWrites(batched));
    Gate gate;
    auto release = qScopeGuard([&gate] { gate.open.release(); });
    batched.write(gate.job(), &context);
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    const int batchesBefore = batched.batchesCommitted();
    int calls = 0;
    bool userSaved = false;
    for (int i = 0; i < steps.size(); ++i) {
        const Step &step = steps.at(i);
        if (step.setUser) {
            batched.write(IdentityRepository::saveUser(user), &context,
                          [&userSaved](const Result<void> &result) { userSaved = result.ok(); });
            continue;
        }
        ++calls;
        SettledCall call = settledCallIn(u"call-%1"_s.arg(i), step.cost, step.window);
        batched.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                            [&answered](const Result<void> &result) { answered += result ? 1 : 0; });
    }
    release.dismiss();
    gate.open.release();
    QTRY_COMPARE(answered, calls);
    QVERIFY(userSaved);
    QCOMPARE(batched.batchesCommitted() - batchesBefore, 2);  // the gate's, and everything else

    QCOMPARE(budgetState(batched), budgetState(single));
    QCOMPARE(budgetState(batched).at(4).toLongLong(), 500 + 13 + 14 + 15 + 16 + 17 + 18 + 19);
    QCOMPARE(scalar(batched, u"SELECT count(*) FROM spend_logs"_s).toInt(), calls);
    // The global budget's row: the calls before the management write (one window), then the
    // windows A, B, A, B of the calls after it - five writes for ten calls.
    QCOMPARE(writesCounted(batched), 5);
}

void TestSpendJournal::aFailingCallInABatchKeepsTheCallsBeforeIt()
{
    // One call of a batch cannot be written: the calls before it commit with their increments
    // (the batch runs again job by job), it and the calls after it wait for a retry, and each
    // call counts exactly once - also after a reopen.
    QTemporaryDir dir;
    const QString database = dir.filePath(u"t.db"_s);
    constexpr int Calls = 10;
    constexpr int Failing = 4;
    NanoUsd total = 0;
    NanoUsd before = 0;
    {
        Store store;
        QVERIFY(store.open(database).ok());
        seed(store);
        QVERIFY(injectFault(store, Fault::Statement, u"call-%1"_s.arg(Failing)));
        QObject context;
        Gate gate;
        auto release = qScopeGuard([&gate] { gate.open.release(); });
        store.write(gate.job(), &context);
        QVERIFY(gate.entered.tryAcquire(1, 10000));
        int answered = 0;
        for (int i = 0; i < Calls; ++i) {
            SettledCall call = settledCall(u"call-%1"_s.arg(i), 100 + i);
            total += 100 + i;
            before += i < Failing ? 100 + i : 0;
            QVERIFY(store.recordSpend(std::move(call.record), std::move(call.jobs), &context,
                                      [&answered](const Result<void> &result) { answered += result ? 1 : 0; }));
        }
        release.dismiss();
        gate.open.release();
        QTRY_COMPARE(answered, Failing);
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Failing);
        verifyCountersMatchRows(store, before);

        QVERIFY(clearFault(store));
        QTRY_COMPARE(answered, Calls);
        QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
        verifyCountersMatchRows(store, total);
    }
    Store store;
    QVERIFY(store.open(database).ok());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs"_s).toInt(), Calls);
    verifyCountersMatchRows(store, total);
}

void TestSpendJournal::recordsKeepQtsChecksum()
{
    // The journal computes its records' CRC itself (faster than qChecksum), and must give the
    // value qChecksum gives: segments written before stay readable, and these stay readable by them.
    QRandomGenerator random(16);
    for (int i = 0; i < 200; ++i) {
        JournalRecord record = makeRecord(u"call-%1"_s.arg(i), i);
        QString reason;
        const int length = int(random.bounded(300));
        for (int c = 0; c < length; ++c)
            reason.append(QChar(char16_t(random.bounded(c % 3 ? 0x80 : 0x3000) + 1)));
        record.row.reason = reason;
        record.seq = i + 1;
        const QByteArray bytes = SpendJournal::encode(record);
        constexpr int Header = 6;
        QCOMPARE(qFromBigEndian<quint16>(bytes.constData() + 4), qChecksum(QByteArrayView(bytes).sliced(Header)));
    }
    // And what qChecksum framed reads back.
    QTemporaryDir dir;
    const QString segment = dir.filePath(u"t.db-spend-00000000000000000001.journal"_s);
    JournalRecord record = makeRecord(u"framed-by-qt"_s, 9);
    record.seq = 1;
    QFile file(segment);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(withoutTail(SpendJournal::encode(record), 0));
    file.close();
    const QList<JournalRecord> read = SpendJournal::read(segment);
    QCOMPARE(read.size(), 1);
    QCOMPARE(read.first().row.requestId, u"framed-by-qt"_s);
}

QTEST_GUILESS_MAIN(TestSpendJournal)
#include "tst_spendjournal.moc"
