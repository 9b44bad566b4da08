#include "models/secretstore.h"
#include "ui/masterkey.h"
#include "ui/singleinstance.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLocalServer>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

// A keychain that is not there (no Secret Service on this desktop).
class MissingKeychain final : public ISecretStore
{
public:
    Result<QString> readSecret(const QString &name) override
    {
        return makeError(u"no keychain: cannot read "_s + name);
    }
    Result<void> writeSecret(const QString &name, const QString &) override
    {
        return makeError(u"no keychain: cannot write "_s + name);
    }
    Result<void> deleteSecret(const QString &) override { return makeError(u"no keychain"_s); }
    [[nodiscard]] QString backendName() const override { return u"missing"_s; }
};

// A keychain that never answers (an OS dialog nobody answers, a Secret Service that hangs):
// every call is kept, so a test can answer it late, after the time-out.
class SilentKeychain final : public IAsyncSecretStore
{
public:
    void readSecretAsync(const QString &, QObject *, ReadDone done) override { reads.append(std::move(done)); }
    void writeSecretAsync(const QString &, const QString &value, QObject *, WriteDone done) override
    {
        writtenValues.append(value);
        writes.append(std::move(done));
    }
    QList<ReadDone> reads;
    QList<WriteDone> writes;
    QStringList writtenValues;
};

// Reads find nothing, writes succeed, both at once.
class EmptyKeychainThatNeverStores final : public IAsyncSecretStore
{
public:
    void readSecretAsync(const QString &name, QObject *, ReadDone done) override
    {
        done(makeError(u"secret "_s + name + u" not found in the keychain"_s));
    }
    void writeSecretAsync(const QString &, const QString &value, QObject *, WriteDone done) override
    {
        writtenValues.append(value);
        writes.append(std::move(done));   // the "new keyring" dialog is open
    }
    QList<WriteDone> writes;
    QStringList writtenValues;
};

// Reads find nothing and writes fail, both at once (a Secret Service that is there but locked
// and refuses).
class RefusingKeychain final : public IAsyncSecretStore
{
public:
    void readSecretAsync(const QString &name, QObject *, ReadDone done) override
    {
        done(makeError(u"secret "_s + name + u" not found in the keychain"_s));
    }
    void writeSecretAsync(const QString &, const QString &, QObject *, WriteDone done) override
    {
        ++writes;
        done(makeError(u"the keychain is locked"_s));
    }
    int writes = 0;
};

const QString SecretName = QString::fromLatin1(MasterKey::SecretName);

QString readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed() : QString();
}

bool ownerOnly(const QString &path)
{
    return (QFile(path).permissions()
            & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther))
           == QFileDevice::Permissions();
}

// Runs `keeper.provision` and waits for its answer while a timer ticks every 10 ms (the
// window's event loop): the ticks show that nothing blocked it.
struct Provisioned
{
    std::optional<Result<MasterKey>> result;
    qint64 elapsedMs = -1;
    int ticks = 0;
};

Provisioned provisionAndWait(MasterKeyKeeper &keeper, const QString &configKey = {}, int waitMs = 10000)
{
    Provisioned out;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, [&out] { ++out.ticks; });
    ticker.start(10);
    QElapsedTimer clock;
    clock.start();
    keeper.provision(configKey, [&](Result<MasterKey> key) {
        out.elapsedMs = clock.elapsed();
        out.result = std::move(key);
    });
    [[maybe_unused]] const bool answered = QTest::qWaitFor([&] { return out.result.has_value(); }, waitMs);
    return out;
}


} // namespace

class TestMasterKey : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aGeneratedKeyLooksLikeAVirtualKeyAndIsNeverRepeated();
    void theConfigKeyWinsAndTheKeychainIsNotTouched();
    void theFirstStartCreatesAKeyInTheKeychainAndLaterStartsReuseIt();
    void withoutAKeychainTheKeyGoesToAnOwnerOnlyFile();
    void aKeyFromTheFallbackFileMovesIntoAKeychainThatRunsNow();
    void aLoadedKeyStaysInTheFileWhenTheKeychainRefusesIt();
    void theRealKeychainKeepsTheKeyAcrossStores();
    void aKeychainThatNeverAnswersFallsBackToTheFileWithinTheTimeout();
    void aKeychainThatNeverAnswersKeepsTheKeyAlreadyInTheFile();
    void theKeychainAnsweringLateChangesNoKeyAndRemovesTheFileWhenItHoldsTheSameKey();
    void anAnsweringKeychainIsUsedWithoutWaitingForTheTimeout();
    void savingANewKeyReplacesTheOldOneInTheKeychainOrTheFile();
    void aSessionBusThatNeverAnswersFallsBackWithinTheTimeout();
    void aSessionBusThatNeverAnswersChild();
    void aSecondInstanceAsksTheFirstToRaiseItsWindow();
    void theInstanceSocketIsInTheUsersRuntimeDirectory();
};

void TestMasterKey::aGeneratedKeyLooksLikeAVirtualKeyAndIsNeverRepeated()
{
    const QString first = MasterKey::generate();
    const QString second = MasterKey::generate();
    QVERIFY(QRegularExpression(u"^sk-[A-Za-z0-9_-]{32}$"_s).match(first).hasMatch());
    QVERIFY(first != second);
}

void TestMasterKey::theConfigKeyWinsAndTheKeychainIsNotTouched()
{
    QTemporaryDir dir;
    MemorySecretStore secrets;
    auto key = MasterKey::provision(u"sk-from-config"_s, secrets, dir.filePath(u"master_key"_s));
    QVERIFY(key);
    QCOMPARE(key->key, u"sk-from-config"_s);
    QCOMPARE(key->source, MasterKey::Source::Config);
    QVERIFY(!secrets.readSecret(SecretName));
    QVERIFY(!QFile::exists(dir.filePath(u"master_key"_s)));
}

void TestMasterKey::theFirstStartCreatesAKeyInTheKeychainAndLaterStartsReuseIt()
{
    QTemporaryDir dir;
    MemorySecretStore secrets;
    const QString fallback = dir.filePath(u"master_key"_s);
    auto first = MasterKey::provision({}, secrets, fallback);
    QVERIFY(first);
    QCOMPARE(first->source, MasterKey::Source::CreatedInKeychain);
    QVERIFY(first->created());
    QCOMPARE(*secrets.readSecret(SecretName), first->key);
    QVERIFY(!QFile::exists(fallback));

    auto second = MasterKey::provision({}, secrets, fallback);
    QVERIFY(second);
    QCOMPARE(second->source, MasterKey::Source::Keychain);
    QCOMPARE(second->key, first->key);
    QVERIFY(!second->created());
}

void TestMasterKey::withoutAKeychainTheKeyGoesToAnOwnerOnlyFile()
{
    QTemporaryDir dir;
    MissingKeychain secrets;
    const QString fallback = dir.filePath(u"data/master_key"_s);
    auto first = MasterKey::provision({}, secrets, fallback);
    QVERIFY2(first, first ? "" : qPrintable(first.error().message));
    QCOMPARE(first->source, MasterKey::Source::CreatedInFallbackFile);
    QVERIFY(first->inFallbackFile());
    QVERIFY(first->keychainError.contains(u"no keychain"_s));
    // The window's notice: where the key is, in plain words — no error text or brackets from
    // the keychain, nothing to edit in a config file.
    const QString notice = first->fallbackNotice();
    QVERIFY(notice.contains(fallback));
    QVERIFY2(!notice.contains(first->keychainError) && !notice.contains(u'(') && !notice.contains(u"config"_s)
                 && !notice.contains(u"dbus"_s, Qt::CaseInsensitive),
             qPrintable(notice));
    QFile file(fallback);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(file.readAll()).trimmed(), first->key);
    QCOMPARE(file.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
                                   | QFileDevice::WriteOther),
             QFileDevice::Permissions());

    auto second = MasterKey::provision({}, secrets, fallback);
    QVERIFY(second);
    QCOMPARE(second->source, MasterKey::Source::FallbackFile);
    QCOMPARE(second->key, first->key);
}

void TestMasterKey::aKeyFromTheFallbackFileMovesIntoAKeychainThatRunsNow()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    MissingKeychain missing;
    auto before = MasterKey::provision({}, missing, fallback);
    QVERIFY(before);

    MemorySecretStore keychain;
    auto after = MasterKey::provision({}, keychain, fallback);
    QVERIFY(after);
    QCOMPARE(after->key, before->key);
    QCOMPARE(after->source, MasterKey::Source::Keychain);
    QCOMPARE(*keychain.readSecret(SecretName), before->key);
    QVERIFY(!QFile::exists(fallback));
}

void TestMasterKey::theRealKeychainKeepsTheKeyAcrossStores()
{
    // Inside scripts/with-keyring: a throwaway, unlocked Secret Service on a private bus.
    if (qEnvironmentVariable("TOLLGATE_TEST_KEYRING") != u"1")
        QSKIP("No throwaway Secret Service (run through scripts/with-keyring); the fallback file is tested above.");
    QTemporaryDir dir;
    const QString service = u"TollgateMasterKeyTest-"_s + QString::number(QCoreApplication::applicationPid());
    const QString fallback = dir.filePath(u"master_key"_s);
    QString created;
    {
        KeychainSecretStore keychain(service);
        auto key = MasterKey::provision({}, keychain, fallback);
        QVERIFY2(key, key ? "" : qPrintable(key.error().message));
        QCOMPARE(key->source, MasterKey::Source::CreatedInKeychain);
        created = key->key;
    }
    KeychainSecretStore again(service);
    auto key = MasterKey::provision({}, again, fallback);
    QVERIFY(key);
    QCOMPARE(key->source, MasterKey::Source::Keychain);
    QCOMPARE(key->key, created);
    QVERIFY(!QFile::exists(fallback));
    QVERIFY(again.deleteSecret(SecretName));
}

void TestMasterKey::aKeychainThatNeverAnswersFallsBackToTheFileWithinTheTimeout()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"data/master_key"_s);
    SilentKeychain keychain;
    MasterKeyKeeper keeper(&keychain, fallback);
    keeper.setTimeout(std::chrono::milliseconds(400));

    const Provisioned got = provisionAndWait(keeper);
    QVERIFY(got.result.has_value());
    QVERIFY2(*got.result, qPrintable(*got.result ? QString() : got.result->error().message));
    const MasterKey &key = **got.result;
    QCOMPARE(keychain.reads.size(), 1);
    // Within the time-out (and not before it: the keychain was given its time).
    QVERIFY2(got.elapsedMs >= 350 && got.elapsedMs < 2000, qPrintable(QString::number(got.elapsedMs)));
    // The event loop kept running meanwhile (the window paints, the tray answers).
    QVERIFY2(got.ticks >= 20, qPrintable(QString::number(got.ticks)));
    QCOMPARE(key.source, MasterKey::Source::CreatedInFallbackFile);
    QVERIFY(key.created());
    QVERIFY(key.keychainError.contains(u"did not answer"_s));
    QVERIFY(key.keychainTimedOut);
    QVERIFY(key.fallbackNotice().contains(u"did not answer in time"_s) && key.fallbackNotice().contains(fallback));
    QVERIFY(QRegularExpression(u"^sk-[A-Za-z0-9_-]{32}$"_s).match(key.key).hasMatch());
    QCOMPARE(readFile(fallback), key.key);
    QVERIFY(ownerOnly(fallback));
}

void TestMasterKey::aKeychainThatNeverAnswersKeepsTheKeyAlreadyInTheFile()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    MissingKeychain missing;
    auto before = MasterKey::provision({}, missing, fallback);
    QVERIFY(before);

    SilentKeychain keychain;
    MasterKeyKeeper keeper(&keychain, fallback);
    keeper.setTimeout(std::chrono::milliseconds(300));
    const Provisioned got = provisionAndWait(keeper);
    QVERIFY(got.result.has_value() && *got.result);
    QCOMPARE((*got.result)->source, MasterKey::Source::FallbackFile);
    QCOMPARE((*got.result)->key, before->key);
    QVERIFY(!(*got.result)->created());
    QCOMPARE(readFile(fallback), before->key);
}

void TestMasterKey::theKeychainAnsweringLateChangesNoKeyAndRemovesTheFileWhenItHoldsTheSameKey()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    // A fresh desktop: no entry, and storing one opens the "new keyring" dialog.
    EmptyKeychainThatNeverStores keychain;
    MasterKeyKeeper keeper(&keychain, fallback);
    keeper.setTimeout(std::chrono::milliseconds(300));
    const Provisioned got = provisionAndWait(keeper);
    QVERIFY(got.result.has_value() && *got.result);
    const MasterKey key = **got.result;
    QCOMPARE(key.source, MasterKey::Source::CreatedInFallbackFile);
    // The file holds the very key the keychain was asked to store.
    QCOMPARE(keychain.writtenValues, QStringList{key.key});
    QCOMPARE(readFile(fallback), key.key);

    // The user answers the dialog later: the keychain now holds the key in use, so the file goes.
    QCOMPARE(keychain.writes.size(), 1);
    keychain.writes.takeFirst()(Result<void>{});
    QVERIFY(!QFile::exists(fallback));

    // A late read answer with another key changes nothing either.
    SilentKeychain silent;
    MasterKeyKeeper second(&silent, fallback);
    second.setTimeout(std::chrono::milliseconds(200));
    const Provisioned again = provisionAndWait(second);
    QVERIFY(again.result.has_value() && *again.result);
    const QString inUse = (*again.result)->key;
    silent.reads.takeFirst()(QString(u"sk-late-keychain-answer"_s));
    QCOMPARE(readFile(fallback), inUse);
}

void TestMasterKey::anAnsweringKeychainIsUsedWithoutWaitingForTheTimeout()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    MemorySecretStore keychain;
    MasterKeyKeeper keeper(&keychain, fallback);   // the default, 10 s time-out
    const Provisioned first = provisionAndWait(keeper);
    QVERIFY(first.result.has_value() && *first.result);
    QCOMPARE((*first.result)->source, MasterKey::Source::CreatedInKeychain);
    QVERIFY(first.elapsedMs < 1000);
    QCOMPARE(*keychain.readSecret(SecretName), (*first.result)->key);
    QVERIFY(!QFile::exists(fallback));

    const Provisioned second = provisionAndWait(keeper);
    QVERIFY(second.result.has_value() && *second.result);
    QCOMPARE((*second.result)->source, MasterKey::Source::Keychain);
    QCOMPARE((*second.result)->key, (*first.result)->key);

    const Provisioned fromConfig = provisionAndWait(keeper, u"sk-config"_s);
    QVERIFY(fromConfig.result.has_value() && *fromConfig.result);
    QCOMPARE((*fromConfig.result)->source, MasterKey::Source::Config);
    QCOMPARE((*fromConfig.result)->key, u"sk-config"_s);
}

void TestMasterKey::savingANewKeyReplacesTheOldOneInTheKeychainOrTheFile()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    {
        MemorySecretStore keychain({{SecretName, u"sk-old"_s}});
        QFile stale(fallback);
        QVERIFY(stale.open(QIODevice::WriteOnly));
        stale.write("sk-older\n");
        stale.close();
        MasterKeyKeeper keeper(&keychain, fallback);
        std::optional<Result<MasterKey>> saved;
        keeper.save(u"sk-new"_s, [&](Result<MasterKey> key) { saved = std::move(key); });
        QVERIFY(saved.has_value() && *saved);
        QCOMPARE((*saved)->source, MasterKey::Source::Keychain);
        QCOMPARE(*keychain.readSecret(SecretName), u"sk-new"_s);
        QVERIFY(!QFile::exists(fallback));   // no old key left anywhere
    }
    {
        SilentKeychain keychain;
        MasterKeyKeeper keeper(&keychain, fallback);
        keeper.setTimeout(std::chrono::milliseconds(200));
        std::optional<Result<MasterKey>> saved;
        keeper.save(u"sk-newer"_s, [&](Result<MasterKey> key) { saved = std::move(key); });
        QVERIFY(!saved.has_value());
        QVERIFY(QTest::qWaitFor([&] { return saved.has_value(); }, 5000));
        QVERIFY(*saved);
        QCOMPARE((*saved)->source, MasterKey::Source::FallbackFile);
        QCOMPARE(readFile(fallback), u"sk-newer"_s);
        QVERIFY(ownerOnly(fallback));
    }
}

void TestMasterKey::aSessionBusThatNeverAnswersFallsBackWithinTheTimeout()
{
    // The real path: QtKeychain and libsecret against a session bus that accepts the
    // connection and never says a word (as a bus whose Secret Service hangs on a dialog). In a
    // child process, because libsecret keeps its bus connection for the life of the process.
    QTemporaryDir dir;
    QLocalServer bus;
    const QString socket = dir.filePath(u"silent-bus"_s);
    QVERIFY(bus.listen(socket));   // the kernel accepts; nobody ever reads or writes
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"DBUS_SESSION_BUS_ADDRESS"_s, u"unix:path="_s + socket);
    env.insert(u"TOLLGATE_TEST_SILENT_BUS_CHILD"_s, dir.filePath(u"master_key"_s));
    env.remove(u"DISPLAY"_s);
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), {u"aSessionBusThatNeverAnswersChild"_s});
    QVERIFY(child.waitForFinished(60'000));
    const QString output = QString::fromLocal8Bit(child.readAll());
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0, qPrintable(output));
    QVERIFY2(output.contains(u"PASS   : TestMasterKey::aSessionBusThatNeverAnswersChild()"_s), qPrintable(output));
    QVERIFY(QRegularExpression(u"^sk-[A-Za-z0-9_-]{32}$"_s).match(readFile(dir.filePath(u"master_key"_s))).hasMatch());
}

void TestMasterKey::aSessionBusThatNeverAnswersChild()
{
    const QString fallback = qEnvironmentVariable("TOLLGATE_TEST_SILENT_BUS_CHILD");
    if (fallback.isEmpty())
        QSKIP("runs only as the child process of aSessionBusThatNeverAnswersFallsBackWithinTheTimeout");
    KeychainSecretStore keychain(u"TollgateSilentBusTest"_s);
    MasterKeyKeeper keeper(&keychain, fallback);
    keeper.setTimeout(std::chrono::milliseconds(1500));
    const Provisioned got = provisionAndWait(keeper, {}, 20000);
    QVERIFY(got.result.has_value());
    QVERIFY2(*got.result, qPrintable(*got.result ? QString() : got.result->error().message));
    qInfo("source %d after %lld ms, %d ticks: %s", int((*got.result)->source), got.elapsedMs, got.ticks,
          qPrintable((*got.result)->keychainError));
    QCOMPARE((*got.result)->source, MasterKey::Source::CreatedInFallbackFile);
    QVERIFY2(got.elapsedMs >= 1400 && got.elapsedMs < 5000, qPrintable(QString::number(got.elapsedMs)));
    QVERIFY2(got.ticks >= 50, qPrintable(QString::number(got.ticks)));
    QCOMPARE(readFile(fallback), (*got.result)->key);
}

void TestMasterKey::aSecondInstanceAsksTheFirstToRaiseItsWindow()
{
    const QString name = u"tollgate-test-%1"_s.arg(QCoreApplication::applicationPid());
    SingleInstance first(name);
    QVERIFY(!first.notifyRunningInstance());
    QVERIFY(first.isListening());
    QSignalSpy raised(&first, &SingleInstance::raiseRequested);

    SingleInstance second(name);
    QVERIFY(second.notifyRunningInstance());
    QVERIFY(!second.isListening());
    QVERIFY(raised.wait(5000));
}

void TestMasterKey::aLoadedKeyStaysInTheFileWhenTheKeychainRefusesIt()
{
    // load() (a remote gateway's key) tries to move a key from the file into the keychain; a
    // keychain that refuses leaves it in the file, and the key is still the file's.
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"remote_master_key"_s);
    {
        QFile file(fallback);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("sk-remote-in-file\n");
    }
    RefusingKeychain keychain;
    MasterKeyKeeper keeper(&keychain, fallback, nullptr, u"remote_master_key"_s);
    std::optional<Result<MasterKey>> loaded;
    keeper.load([&](Result<MasterKey> answer) { loaded = std::move(answer); });
    QVERIFY(QTest::qWaitFor([&] { return loaded.has_value(); }, 5000));
    QVERIFY(*loaded);
    QCOMPARE((*loaded)->key, u"sk-remote-in-file"_s);
    QVERIFY((*loaded)->inFallbackFile());
    QVERIFY2((*loaded)->keychainError.contains(u"locked"_s), qPrintable((*loaded)->keychainError));
    QCOMPARE(keychain.writes, 1);
    QCOMPARE(readFile(fallback), u"sk-remote-in-file"_s);
}

void TestMasterKey::theInstanceSocketIsInTheUsersRuntimeDirectory()
{
    // One window per user and session: the socket lives in XDG_RUNTIME_DIR (private to the user),
    // so two sessions with their own runtime directories (or a test's) never see each other.
    const QByteArray saved = qgetenv("XDG_RUNTIME_DIR");
    const bool hadRuntime = qEnvironmentVariableIsSet("XDG_RUNTIME_DIR");
    QTemporaryDir runtime;
    QVERIFY(runtime.isValid());
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
    {
        SingleInstance instance;
        QCOMPARE(instance.name(), QDir(runtime.path()).filePath(u"tollgate-window"_s));
        QVERIFY(!instance.notifyRunningInstance());
        QVERIFY(instance.isListening());
        QVERIFY(QFileInfo::exists(instance.name()));
    }
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.filePath(u"missing"_s)));
    QCOMPARE(SingleInstance().name(), u"tollgate-%1"_s.arg(::getuid()));
    if (hadRuntime)
        qputenv("XDG_RUNTIME_DIR", saved);
    else
        qunsetenv("XDG_RUNTIME_DIR");
}

QTEST_GUILESS_MAIN(TestMasterKey)
#include "tst_masterkey.moc"
