// The spend journal: records survive a process that never committed them (replayed by the
// next Store::open), stale or committed records are never applied twice, a torn tail is
// ignored, segments rotate and go away once committed, and Store::recordSpend batches lazily.
#include "models/store/identityrepository.h"
#include "models/store/spendjournal.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"

#include <QFile>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSemaphore>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;

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

} // namespace

class TestSpendJournal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripAndTornTail();
    void replaysWhatWasNeverCommitted();
    void neverReappliesCommittedOrStaleRecords();
    void segmentsRotateAndGoOnceCommitted();
    void recordSpendIsLazyAndCleansUp();
    void inMemoryDatabaseHasNoJournal();
    void aLongBacklogMakesCallersWaitForTheCommit();
    void oneStoreAtATimeOwnsTheJournal();
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

QTEST_GUILESS_MAIN(TestSpendJournal)
#include "tst_spendjournal.moc"
