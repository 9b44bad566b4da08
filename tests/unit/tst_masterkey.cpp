#include "models/secretstore.h"
#include "ui/masterkey.h"
#include "ui/singleinstance.h"

#include <QCoreApplication>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

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

const QString SecretName = QString::fromLatin1(MasterKey::SecretName);

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
    void theRealKeychainKeepsTheKeyAcrossStores();
    void aSecondInstanceAsksTheFirstToRaiseItsWindow();
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

QTEST_GUILESS_MAIN(TestMasterKey)
#include "tst_masterkey.moc"
