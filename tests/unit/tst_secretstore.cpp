#include "models/secretstore.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTest>

using namespace Qt::StringLiterals;
using Tollgate::KeychainSecretStore;
using Tollgate::MemorySecretStore;

// The keychain tests write to the Secret Service, so they run only against the throwaway
// keyring that scripts/with-keyring starts (CTest runs this test through it); anywhere
// else they skip rather than touch a developer's real keyring.
class TestSecretStore : public QObject
{
    Q_OBJECT

private slots:
    void memoryRoundTrip_data();
    void memoryRoundTrip();
    void memoryMissingEntryNamesIt();
    void memoryDeletingAMissingEntryIsFine();
    void emptyNameIsAnError();
    void fromEnvironment_data();
    void fromEnvironment();
    void fromEnvironmentMissingNamesTheVariable();
    void fromEnvironmentIsReadOnly();

    void keychainRoundTrip_data();
    void keychainRoundTrip();
    void keychainMissingEntryNamesIt();
    void keychainServicesAreSeparate();
    void keychainUnavailableSaysWhatToDo();
    void keychainUnavailableChild();

private:
    static bool haveThrowawayKeyring();
    static QString testService();
};

bool TestSecretStore::haveThrowawayKeyring()
{
    return qEnvironmentVariable("TOLLGATE_TEST_KEYRING") == u"1";
}

QString TestSecretStore::testService()
{
    return u"TollgateTest-"_s + QString::number(QCoreApplication::applicationPid());
}

void TestSecretStore::memoryRoundTrip_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");

    QTest::newRow("an API key") << u"openai"_s << u"sk-proj-abc123"_s;
    QTest::newRow("a name with dots and dashes") << u"azure.east-us"_s << u"0123456789abcdef"_s;
    QTest::newRow("a non-ASCII value") << u"unicode"_s << u"päss—wörd 🔑"_s;
    QTest::newRow("an empty value") << u"empty"_s << QString();
}

void TestSecretStore::memoryRoundTrip()
{
    QFETCH(QString, name);
    QFETCH(QString, value);

    MemorySecretStore store;
    QVERIFY(store.writeSecret(name, value).ok());
    auto read = store.readSecret(name);
    QVERIFY(read.ok());
    QCOMPARE(*read, value);

    QVERIFY(store.writeSecret(name, value + u"-2"_s).ok());
    read = store.readSecret(name);
    QVERIFY(read.ok());
    QCOMPARE(*read, value + u"-2"_s);

    QVERIFY(store.deleteSecret(name).ok());
    QVERIFY(!store.readSecret(name).ok());
    QCOMPARE(store.backendName(), u"memory"_s);
}

void TestSecretStore::memoryMissingEntryNamesIt()
{
    MemorySecretStore store({{u"present"_s, u"sk-secret-value"_s}});
    const auto read = store.readSecret(u"absent-key"_s);
    QVERIFY(!read.ok());
    QVERIFY2(read.error().message.contains(u"absent-key"_s), qPrintable(read.error().message));
    QVERIFY(!read.error().message.contains(u"sk-secret-value"_s));
    QCOMPARE(*store.readSecret(u"present"_s), u"sk-secret-value"_s);
}

void TestSecretStore::memoryDeletingAMissingEntryIsFine()
{
    MemorySecretStore store;
    QVERIFY(store.deleteSecret(u"never-written"_s).ok());
}

void TestSecretStore::emptyNameIsAnError()
{
    MemorySecretStore memory;
    QVERIFY(!memory.readSecret(QString()).ok());
    QVERIFY(!memory.writeSecret(QString(), u"x"_s).ok());
    QVERIFY(!memory.deleteSecret(QString()).ok());
    // Refused before any keychain is asked, so this needs no Secret Service.
    KeychainSecretStore keychain(testService());
    const auto read = keychain.readSecret(QString());
    QVERIFY(!read.ok());
    QVERIFY2(read.error().message.contains(u"name"_s), qPrintable(read.error().message));
}

void TestSecretStore::fromEnvironment_data()
{
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("name");

    QTest::newRow("upper-case name as written") << u"TOLLGATE_SECRET_OPENAI_KEY"_s << u"OPENAI_KEY"_s;
    QTest::newRow("lower-case name is upper-cased") << u"TOLLGATE_SECRET_OPENAI_KEY"_s << u"openai_key"_s;
    QTest::newRow("a dash becomes an underscore") << u"TOLLGATE_SECRET_AZURE_EAST"_s << u"azure-east"_s;
    QTest::newRow("a dot becomes an underscore") << u"TOLLGATE_SECRET_MASTER_KEY"_s << u"master.key"_s;
}

void TestSecretStore::fromEnvironment()
{
    QFETCH(QString, variable);
    QFETCH(QString, name);

    const QByteArray var = variable.toLatin1();
    qputenv(var.constData(), "value-of-" + var);
    const MemorySecretStore snapshot = MemorySecretStore::fromEnvironment();
    qunsetenv(var.constData());

    MemorySecretStore store = snapshot;
    const auto read = store.readSecret(name);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().message));
    QCOMPARE(*read, u"value-of-"_s + variable);
    QVERIFY(store.backendName().contains(u"TOLLGATE_SECRET_"_s));
}

void TestSecretStore::fromEnvironmentMissingNamesTheVariable()
{
    qunsetenv("TOLLGATE_SECRET_NOT_THERE");
    MemorySecretStore store = MemorySecretStore::fromEnvironment();
    const auto read = store.readSecret(u"not-there"_s);
    QVERIFY(!read.ok());
    QVERIFY2(read.error().message.contains(u"not-there"_s), qPrintable(read.error().message));
    QVERIFY2(read.error().message.contains(u"TOLLGATE_SECRET_NOT_THERE"_s),
             qPrintable(read.error().message));
}

void TestSecretStore::fromEnvironmentIsReadOnly()
{
    // Writing into a snapshot of the environment would silently be lost at the next
    // start; the store says so instead.
    qputenv("TOLLGATE_SECRET_FIXED", "from-env");
    MemorySecretStore store = MemorySecretStore::fromEnvironment();
    qunsetenv("TOLLGATE_SECRET_FIXED");

    const auto write = store.writeSecret(u"fixed"_s, u"sk-new-value"_s);
    QVERIFY(!write.ok());
    QVERIFY2(write.error().message.contains(u"TOLLGATE_SECRET_FIXED"_s),
             qPrintable(write.error().message));
    QVERIFY(!write.error().message.contains(u"sk-new-value"_s));
    QVERIFY(!store.deleteSecret(u"fixed"_s).ok());
    QCOMPARE(*store.readSecret(u"fixed"_s), u"from-env"_s);
}

void TestSecretStore::keychainRoundTrip_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");

    QTest::newRow("an API key") << u"openai"_s << u"sk-proj-abc123"_s;
    QTest::newRow("a name with dots and dashes") << u"azure.east-us"_s << u"0123456789abcdef"_s;
    QTest::newRow("a non-ASCII value") << u"unicode"_s << u"päss—wörd 🔑"_s;
    QTest::newRow("a long value") << u"long"_s << QString(4096, u'x');
}

void TestSecretStore::keychainRoundTrip()
{
    if (!haveThrowawayKeyring())
        QSKIP("no throwaway Secret Service: run this test through scripts/with-keyring "
              "(ctest does; it needs dbus-run-session and gnome-keyring-daemon)");
    QFETCH(QString, name);
    QFETCH(QString, value);

    KeychainSecretStore store(testService());
    QVERIFY(store.backendName().contains(testService()));

    const auto write = store.writeSecret(name, value);
    QVERIFY2(write.ok(), qPrintable(write.ok() ? QString() : write.error().message));
    auto read = store.readSecret(name);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().message));
    QCOMPARE(*read, value);

    // Overwriting replaces the value.
    QVERIFY(store.writeSecret(name, value + u"-rotated"_s).ok());
    read = store.readSecret(name);
    QVERIFY(read.ok());
    QCOMPARE(*read, value + u"-rotated"_s);

    const auto del = store.deleteSecret(name);
    QVERIFY2(del.ok(), qPrintable(del.ok() ? QString() : del.error().message));
    read = store.readSecret(name);
    QVERIFY(!read.ok());
    QCOMPARE(read.error().message, u"secret "_s + name + u" not found in the keychain"_s);
    // Deleting again leaves the keychain as asked.
    QVERIFY(store.deleteSecret(name).ok());
}

void TestSecretStore::keychainMissingEntryNamesIt()
{
    if (!haveThrowawayKeyring())
        QSKIP("no throwaway Secret Service: run this test through scripts/with-keyring");
    KeychainSecretStore store(testService());
    const auto read = store.readSecret(u"never-stored"_s);
    QVERIFY(!read.ok());
    QCOMPARE(read.error().message, u"secret never-stored not found in the keychain"_s);
}

void TestSecretStore::keychainServicesAreSeparate()
{
    if (!haveThrowawayKeyring())
        QSKIP("no throwaway Secret Service: run this test through scripts/with-keyring");
    KeychainSecretStore mine(testService());
    KeychainSecretStore other(testService() + u"-other"_s);
    QVERIFY(mine.writeSecret(u"shared-name"_s, u"mine"_s).ok());
    QVERIFY(!other.readSecret(u"shared-name"_s).ok());
    QVERIFY(mine.deleteSecret(u"shared-name"_s).ok());
}

void TestSecretStore::keychainUnavailableSaysWhatToDo()
{
    // libsecret keeps its bus connection for the life of the process, so the
    // "no Secret Service" case runs in a child whose session bus does not exist.
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"DBUS_SESSION_BUS_ADDRESS"_s, u"unix:path=/nonexistent/tollgate-test-bus"_s);
    env.insert(u"TOLLGATE_TEST_UNAVAILABLE_CHILD"_s, u"1"_s);
    env.remove(u"DISPLAY"_s); // no X11 autolaunch of a bus either
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), {u"keychainUnavailableChild"_s});
    QVERIFY(child.waitForFinished(90'000));
    const QString output = QString::fromLocal8Bit(child.readAll());
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
             qPrintable(output));
    QVERIFY2(output.contains(u"PASS   : TestSecretStore::keychainUnavailableChild()"_s),
             qPrintable(output));
}

void TestSecretStore::keychainUnavailableChild()
{
    if (qEnvironmentVariable("TOLLGATE_TEST_UNAVAILABLE_CHILD") != u"1")
        QSKIP("runs only as the child process of keychainUnavailableSaysWhatToDo");

    KeychainSecretStore store(testService());
    const auto read = store.readSecret(u"openai-key"_s);
    QVERIFY(!read.ok());
    const QString message = read.error().message;
    qInfo("message: %s", qPrintable(message));
    QVERIFY2(message.contains(u"keychain is not available"_s), qPrintable(message));
    QVERIFY2(message.contains(u"openai-key"_s), qPrintable(message));
    QVERIFY2(message.contains(u"TOLLGATE_SECRET_OPENAI_KEY"_s), qPrintable(message));
    QVERIFY2(message.contains(u"os.environ/"_s), qPrintable(message));

    const auto write = store.writeSecret(u"openai-key"_s, u"sk-do-not-show-me"_s);
    QVERIFY(!write.ok());
    QVERIFY2(write.error().message.contains(u"keychain is not available"_s),
             qPrintable(write.error().message));
    QVERIFY(!write.error().message.contains(u"sk-do-not-show-me"_s));
}

QTEST_GUILESS_MAIN(TestSecretStore)
#include "tst_secretstore.moc"
