#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/banner.h"
#include "ui/dialogs/keydialog.h"
#include "ui/gatewaystatus.h"
#include "ui/masterkey.h"
#include "ui/models/keytablemodel.h"
#include "ui/models/budgettablemodel.h"
#include "ui/pages/budgetspage.h"
#include "ui/pages/connectpage.h"
#include "ui/pages/dashboardpage.h"
#include "ui/pages/keyspage.h"
#include "ui/pages/settingspage.h"
#include "ui/remotegateway.h"

#include <QAction>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Tollgate::Test::Pages;

namespace {

constexpr const char *RemoteKey = "sk-remote-master-key";

Config remoteConfig()
{
    Config config = GatewayFixture::defaultConfig();
    config.general.masterKey = QString::fromLatin1(RemoteKey);
    return config;
}

// The window on the local gateway (UiFixture), a second gateway as the remote one (its own
// database and master key), and the keeper of the remote key on a memory "keychain". The
// window's gateway choice is applied as the desktop app applies it (switchTo).
struct RemoteSetUp
{
    UiFixture fixture;
    GatewayFixture remote { remoteConfig() };
    MemorySecretStore keychain;
    QTemporaryDir dataDir;
    std::unique_ptr<MasterKeyKeeper> keeper;
    std::unique_ptr<MainWindow> window;
    SettingsPage *settings = nullptr;
    ConnectionInfo local;

    bool start()
    {
        if (!fixture.start() || !remote.start())
            return false;
        keeper = std::make_unique<MasterKeyKeeper>(&keychain, dataDir.filePath(u"remote_master_key"_s),
                                                   nullptr, QString::fromLatin1(RemoteGateway::SecretName));
        window = fixture.createWindow();
        window->setRemoteKeyKeeper(keeper.get());
        local = fixture.connection(); // before a switch moves the client
        QObject::connect(
            window.get(), &MainWindow::gatewayChoiceChanged, window.get(),
            [this](const ConnectionInfo &chosen) { window->switchTo(chosen.remote ? chosen : local); });
        settings = window->page<SettingsPage>();
        return settings != nullptr;
    }
    [[nodiscard]] QUrl remoteUrl() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(remote.port())); }
    template<typename T> T *child(const QString &name) const { return settings->findChild<T *>(name); }
    void fillRemote(const QString &url, const QString &key)
    {
        child<QRadioButton>(u"remoteGatewayRadioButton"_s)->setChecked(true);
        child<QLineEdit>(u"remoteUrlLineEdit"_s)->setText(url);
        child<QLineEdit>(u"remoteMasterKeyLineEdit"_s)->setText(key);
    }
    bool apply()
    {
        QSignalSpy changed(window.get(), &MainWindow::gatewayChoiceChanged);
        auto *button = child<QPushButton>(u"applyGatewayChoiceButton"_s);
        if (!button->isEnabled())
            return false;
        button->click();
        return !changed.isEmpty() || changed.wait(5000);
    }
    [[nodiscard]] QString result() const { return child<QLabel>(u"gatewayChoiceResultLabel"_s)->text(); }
    // Clicks "Test connection" and returns what it said.
    std::pair<bool, QString> test()
    {
        QSignalSpy tested(settings, &SettingsPage::connectionTested);
        child<QPushButton>(u"testConnectionButton"_s)->click();
        if (tested.isEmpty() && !tested.wait(20000))
            return { false, u"(no answer)"_s };
        return { tested.first().at(0).toBool(), tested.first().at(1).toString() };
    }
};

// A loopback port nothing listens on.
quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost);
    return server.serverPort(); // closed again when `server` goes
}

} // namespace

class TestRemoteGateway : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void baseUrlsAreCheckedAndPlainHttpElsewhereWarns();
    void aBadUrlIsRefusedAndNothingIsSaved();
    void testConnectionSaysOkWrongKeyOrUnreachable();
    void theWindowManagesTheRemoteGatewayAndSwitchesBack();
    void theRemoteKeyLoadsFromTheKeychainOrTheFallbackFileButIsNeverMadeUp();
    void anUnreachableRemoteGatewayIsSaidAndTheWindowKeepsTrying();
    void aLocalGatewayThatCannotStartLeavesTheRemoteOneManaged();
    void aSwitchDropsTheOldGatewaysDataUntilTheNewOneAnswers();
    void withoutItsKeyTheRemoteGatewaysRefusalsAreNotRepeatedInTheBanner();
};

void TestRemoteGateway::baseUrlsAreCheckedAndPlainHttpElsewhereWarns()
{
    using RemoteGateway::checkBaseUrl;
    for (const QString &bad :
         { u""_s, u"gateway.example.com:4000"_s, u"ftp://gateway.example.com"_s, u"http://"_s,
           u"https://:4000"_s, u"http://host:4000/?x=1"_s, u"http://user@host:4000"_s, u"not a url"_s }) {
        const auto check = checkBaseUrl(bad);
        QVERIFY2(!check.ok(), qPrintable(bad));
        QVERIFY(check.url.isEmpty());
    }
    auto https = checkBaseUrl(u" https://Gateway.example.com:4000/ "_s);
    QVERIFY2(https.ok(), qPrintable(https.error));
    QCOMPARE(https.url.toString(), u"https://gateway.example.com:4000"_s);
    QVERIFY(https.warning.isEmpty());
    // The OpenAI base URL people copy: the management API is at the root.
    QCOMPARE(checkBaseUrl(u"https://gw.example.com/tollgate/v1"_s).url.toString(),
             u"https://gw.example.com/tollgate"_s);
    for (const QString &local :
         { u"http://127.0.0.1:4000"_s, u"http://localhost:4000"_s, u"http://[::1]:4000"_s }) {
        const auto check = checkBaseUrl(local);
        QVERIFY2(check.ok() && check.warning.isEmpty(), qPrintable(local));
    }
    const auto plain = checkBaseUrl(u"http://10.0.0.5:4000"_s);
    QVERIFY(plain.ok()); // warned, not refused
    QVERIFY(!plain.warning.isEmpty());
    QVERIFY(!checkBaseUrl(u"HTTP://gw.example.com"_s).warning.isEmpty());
}

void TestRemoteGateway::aBadUrlIsRefusedAndNothingIsSaved()
{
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    QSignalSpy changed(s.window.get(), &MainWindow::gatewayChoiceChanged);
    s.fillRemote(u"ftp://gateway.example.com"_s, QString::fromLatin1(RemoteKey));
    s.child<QPushButton>(u"applyGatewayChoiceButton"_s)->click();
    QTest::qWait(50);
    QVERIFY(changed.isEmpty());
    QVERIFY2(s.result().contains(u"ftp://gateway.example.com"_s), qPrintable(s.result()));
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::GatewayMode).toString(), u"local"_s);
    QVERIFY(!s.keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)));
    QCOMPARE(s.fixture.api().baseUrl().port(), int(s.fixture.gateway().port()));

    // A good URL without a key is refused too.
    s.fillRemote(s.remoteUrl().toString(), QString());
    s.child<QPushButton>(u"applyGatewayChoiceButton"_s)->click();
    QTest::qWait(50);
    QVERIFY(changed.isEmpty());
    QVERIFY(!s.keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)));

    // A key the remote refuses is not chosen: Apply asks the gateway first.
    s.fillRemote(s.remoteUrl().toString(), u"sk-wrong-key-for-the-remote"_s);
    s.child<QPushButton>(u"applyGatewayChoiceButton"_s)->click();
    QTRY_VERIFY_WITH_TIMEOUT(s.result().contains(u"refuses this master key"_s), 10000);
    QVERIFY2(s.result().contains(u"401"_s), qPrintable(s.result()));
    QVERIFY(changed.isEmpty());
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::GatewayMode).toString(), u"local"_s);
    QVERIFY(!s.keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)));
    QCOMPARE(s.fixture.api().baseUrl().port(), int(s.fixture.gateway().port()));
    QVERIFY(s.child<QPushButton>(u"applyGatewayChoiceButton"_s)->isEnabled());   // it can be corrected
}

void TestRemoteGateway::testConnectionSaysOkWrongKeyOrUnreachable()
{
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    QSignalSpy bannerFailures(&s.fixture.api(), &ApiClient::failed);

    s.fillRemote(s.remoteUrl().toString(), u"sk-wrong"_s);
    auto [wrongOk, wrongText] = s.test();
    QVERIFY(!wrongOk);
    QVERIFY2(wrongText.contains(u"401"_s), qPrintable(wrongText));

    s.fillRemote(u"http://127.0.0.1:%1"_s.arg(closedPort()), QString::fromLatin1(RemoteKey));
    auto [downOk, downText] = s.test();
    QVERIFY(!downOk);
    QVERIFY2(downText.startsWith(u"Cannot reach the gateway"_s), qPrintable(downText));

    s.fillRemote(s.remoteUrl().toString(), QString::fromLatin1(RemoteKey));
    auto [ok, okText] = s.test();
    QVERIFY2(ok, qPrintable(okText));
    QVERIFY2(okText.startsWith(u"OK"_s), qPrintable(okText));
    QCOMPARE(s.result(), okText);

    // A test saves nothing and leaves the window's client where it was.
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::GatewayMode).toString(), u"local"_s);
    QVERIFY(!s.keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)));
    QCOMPARE(s.fixture.api().baseUrl().port(), int(s.fixture.gateway().port()));
    QVERIFY(bannerFailures.isEmpty());
}

void TestRemoteGateway::theWindowManagesTheRemoteGatewayAndSwitchesBack()
{
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    const QByteArray remoteKey = RemoteKey;
    QCOMPARE(s.remote.post("/key/generate", { { u"key_alias"_s, u"made-on-remote"_s } }, remoteKey).status,
             200);
    QCOMPARE(s.fixture.gateway().post("/key/generate", { { u"key_alias"_s, u"made-locally"_s } }).status,
             200);

    // Local first: the local key is listed, the remote one not.
    auto *keys = UiFixture::showPage<KeysPage>(*s.window);
    QVERIFY(keys);
    const auto hasAlias = [&](const QString &alias) {
        return rowWhere(keys->model(), [&](const KeyRecord &key) { return key.keyAlias == alias; }) >= 0;
    };
    QVERIFY(hasAlias(u"made-locally"_s));
    QVERIFY(!hasAlias(u"made-on-remote"_s));

    // Settings → Remote gateway → Apply.
    s.window->showPage(s.settings);
    QVERIFY(s.fixture.waitIdle());
    s.fillRemote(s.remoteUrl().toString() + u"/"_s, QString::fromLatin1(RemoteKey));
    QVERIFY2(s.apply(), qPrintable(s.result()));
    QVERIFY(s.window->connection().remote);
    QCOMPARE(s.fixture.api().baseUrl(), s.remoteUrl());
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::GatewayMode).toString(), u"remote"_s);
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::RemoteBaseUrl).toString(),
             s.remoteUrl().toString());
    // The key is in the keychain, not in the settings file.
    QCOMPARE(*s.keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)),
             QString::fromLatin1(RemoteKey));
    QVERIFY(!s.keychain.readSecret(QString::fromLatin1(MasterKey::SecretName)));
    s.fixture.settings().sync();
    QFile ini(s.fixture.settingsFileName());
    QVERIFY(ini.open(QIODevice::ReadOnly));
    const QByteArray written = ini.readAll();
    QVERIFY2(written.contains(s.remoteUrl().toString().toUtf8()), written.constData());
    QVERIFY2(!written.contains(RemoteKey), written.constData());
    QVERIFY(!QFile::exists(s.keeper->fallbackPath()));

    // What belongs to the local gateway is disabled and says why.
    QVERIFY(!s.child<QLineEdit>(u"hostLineEdit"_s)->isEnabled());
    QVERIFY(!s.child<QWidget>(u"portSpinBox"_s)->isEnabled());
    QVERIFY(!s.child<QLineEdit>(u"configPathLineEdit"_s)->isEnabled());
    QVERIFY(!s.child<QPushButton>(u"rotateMasterKeyButton"_s)->isEnabled());
    QVERIFY(s.child<QLabel>(u"localOnlyLabel"_s)->isVisibleTo(s.settings));
    QVERIFY(UiFixture::refreshAndWait(s.settings));
    QVERIFY(!s.child<QPushButton>(u"pauseResumeButton"_s)->isEnabled());
    // The header and the set-ups name the remote gateway.
    const QString header = s.window->findChild<QLabel *>(u"addressLabel"_s)->toolTip();
    QCOMPARE(header, s.remoteUrl().toString() + u"/v1"_s);
    auto *connect = UiFixture::showPage<ConnectPage>(*s.window);
    QVERIFY(connect);
    QVERIFY2(connect->setupText().contains(s.remoteUrl().toString()), qPrintable(connect->setupText()));
    QVERIFY(!connect->setupText().contains(u":%1"_s.arg(s.fixture.gateway().port())));

    // The Keys page lists the remote gateway's keys …
    QVERIFY(UiFixture::showPage<KeysPage>(*s.window));
    QVERIFY(hasAlias(u"made-on-remote"_s));
    QVERIFY(!hasAlias(u"made-locally"_s));
    // … and a key made in the dialog is made there.
    QVERIFY(trigger(keys, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(keys);
    QVERIFY(dialog);
    dialog->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"made-in-window"_s);
    dialog->accept();
    const QString raw = takeShownKey(keys);
    QVERIFY2(raw.startsWith(u"sk-"_s), qPrintable(raw));
    QVERIFY(settle(s.fixture, keys));
    QVERIFY(hasAlias(u"made-in-window"_s));
    const auto listed = s.remote.get("/key/list?key_alias=made-in-window", remoteKey);
    QCOMPARE(listed.status, 200);
    QCOMPARE(listed.json().value(u"total_count"_s).toInteger(), 1);
    QCOMPARE(s.fixture.gateway()
                 .get("/key/list?key_alias=made-in-window")
                 .json()
                 .value(u"total_count"_s)
                 .toInteger(),
             0);

    // Back to this computer.
    s.window->showPage(s.settings);
    QVERIFY(s.fixture.waitIdle());
    s.child<QRadioButton>(u"localGatewayRadioButton"_s)->setChecked(true);
    QVERIFY(s.apply());
    QVERIFY(!s.window->connection().remote);
    QCOMPARE(s.fixture.api().baseUrl().port(), int(s.fixture.gateway().port()));
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::GatewayMode).toString(), u"local"_s);
    QVERIFY(s.child<QLineEdit>(u"hostLineEdit"_s)->isEnabled());
    QVERIFY(s.child<QPushButton>(u"rotateMasterKeyButton"_s)->isEnabled());
    QVERIFY(!s.child<QLabel>(u"localOnlyLabel"_s)->isVisibleTo(s.settings));
    QVERIFY(UiFixture::showPage<KeysPage>(*s.window));
    QVERIFY(hasAlias(u"made-locally"_s));
    QVERIFY(!hasAlias(u"made-in-window"_s));
    // The remote key stays kept for the next switch; "Apply" has nothing to do until a change.
    QVERIFY(s.keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)));
    QVERIFY(!s.child<QPushButton>(u"applyGatewayChoiceButton"_s)->isEnabled());
}

void TestRemoteGateway::theRemoteKeyLoadsFromTheKeychainOrTheFallbackFileButIsNeverMadeUp()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"remote_master_key"_s);
    MemorySecretStore keychain;
    MasterKeyKeeper keeper(&keychain, fallback, nullptr, QString::fromLatin1(RemoteGateway::SecretName));
    const auto load = [&] {
        std::optional<Result<MasterKey>> answer;
        keeper.load([&](Result<MasterKey> loaded) { answer = std::move(loaded); });
        [[maybe_unused]] const bool answered = QTest::qWaitFor([&] { return answer.has_value(); }, 5000);
        return answer.value_or(makeError(u"no answer"_s));
    };
    // Nothing stored: an error, and nothing written anywhere.
    QVERIFY(!load());
    QVERIFY(!QFile::exists(fallback));
    QVERIFY(!keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)));

    // In the fallback file (an earlier save without a keychain): the key is the file's, and it
    // moves into the keychain, which answers now (the file goes).
    QFile file(fallback);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("sk-from-file\n");
    file.close();
    auto fromFile = load();
    QVERIFY(fromFile);
    QCOMPARE(fromFile->key, u"sk-from-file"_s);
    QVERIFY(!fromFile->inFallbackFile());
    QVERIFY(!QFile::exists(fallback));
    QCOMPARE(*keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)), u"sk-from-file"_s);
    QVERIFY(!keychain.readSecret(QString::fromLatin1(MasterKey::SecretName)));

    // Saved to the keychain (the file goes) and read back from there, under its own entry.
    std::optional<Result<MasterKey>> saved;
    keeper.save(u"sk-in-keychain"_s, [&](Result<MasterKey> answer) { saved = std::move(answer); });
    QVERIFY(QTest::qWaitFor([&] { return saved.has_value(); }, 5000));
    QVERIFY(*saved);
    QVERIFY(!QFile::exists(fallback));
    QCOMPARE(*keychain.readSecret(QString::fromLatin1(RemoteGateway::SecretName)), u"sk-in-keychain"_s);
    QVERIFY(!keychain.readSecret(QString::fromLatin1(MasterKey::SecretName)));
    auto fromKeychain = load();
    QVERIFY(fromKeychain);
    QCOMPARE(fromKeychain->key, u"sk-in-keychain"_s);
    QVERIFY(!fromKeychain->inFallbackFile());
}

void TestRemoteGateway::anUnreachableRemoteGatewayIsSaidAndTheWindowKeepsTrying()
{
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    const QUrl url = s.remoteUrl();
    const quint16 port = s.remote.port();
    s.remote.stop();   // down before the window first asks

    GatewayStatus status(&s.fixture.api());
    s.window->setGatewayStatus(&status);
    s.window->show();
    MasterKey key;
    key.key = QString::fromLatin1(RemoteKey);
    key.source = MasterKey::Source::Keychain;
    s.window->switchTo(RemoteGateway::connection(url, key));
    status.start(100);
    auto *state = s.window->findChild<QLabel *>(u"gatewayStateLabel"_s);
    QVERIFY(state);
    QVERIFY2(QTest::qWaitFor([&] { return state->isVisible() && state->text().contains(u"Not reachable"_s); }, 10000),
             qPrintable(state->text()));
    // The pages' refreshes failed into the banner; the window stays usable.
    QVERIFY(QTest::qWaitFor([&] { return !s.window->banner()->messages().isEmpty(); }, 10000));
    QVERIFY(s.window->isVisible());

    // The remote gateway comes up on its address: the status poll finds it without any action.
    QVERIFY(s.remote.store().open(s.remote.databasePath()));
    Gateway::Options options;
    options.port = port;
    options.secrets = &s.remote.secrets();
    QVERIFY(s.remote.host().start(s.remote.config(), &s.remote.store(), options));
    QVERIFY2(QTest::qWaitFor([&] { return state->text().contains(u"Running"_s); }, 10000), qPrintable(state->text()));
    QVERIFY(status.isReachable());
    s.remote.host().stop();
    status.stop();
}

void TestRemoteGateway::aLocalGatewayThatCannotStartLeavesTheRemoteOneManaged()
{
    // The desktop app answers "This computer" with localStartFailed when its gateway does not
    // start (a broken config.yaml): the window keeps managing the remote gateway, the page says
    // why, and the settings say "remote" again (a restart comes back to the same gateway).
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    s.window->showPage(s.settings);
    QVERIFY(s.fixture.waitIdle());
    s.fillRemote(s.remoteUrl().toString(), QString::fromLatin1(RemoteKey));
    QVERIFY2(s.apply(), qPrintable(s.result()));
    QVERIFY(s.window->connection().remote);

    QObject::disconnect(s.window.get(), &MainWindow::gatewayChoiceChanged, s.window.get(), nullptr);
    const QString why = u"/home/lead/config.yaml:2: YAML syntax error"_s;
    QObject::connect(s.window.get(), &MainWindow::gatewayChoiceChanged, s.settings, [&](const ConnectionInfo &chosen) {
        if (!chosen.remote)
            s.settings->localStartFailed(why);
    });
    s.child<QRadioButton>(u"localGatewayRadioButton"_s)->setChecked(true);
    QVERIFY(s.apply());
    QVERIFY(s.window->connection().remote);
    QCOMPARE(s.fixture.api().baseUrl(), s.remoteUrl());
    QVERIFY(s.child<QRadioButton>(u"remoteGatewayRadioButton"_s)->isChecked());
    QVERIFY2(s.result().contains(why), qPrintable(s.result()));
    QCOMPARE(s.fixture.settings().value(AppSettings::Key::GatewayMode).toString(), u"remote"_s);
    // Nothing left to apply: the page shows the gateway the window manages.
    QVERIFY(!s.child<QPushButton>(u"applyGatewayChoiceButton"_s)->isEnabled());
}

void TestRemoteGateway::aSwitchDropsTheOldGatewaysDataUntilTheNewOneAnswers()
{
    // The local gateway's keys, budgets and spend shown, then a switch to a remote gateway that
    // is down: nothing of the local one may stay on the pages, nor be changed from there.
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    const QByteArray remoteKey = RemoteKey;
    QCOMPARE(s.remote.post("/key/generate", { { u"key_alias"_s, u"made-on-remote"_s } }, remoteKey).status,
             200);
    QCOMPARE(s.fixture.gateway()
                 .post("/key/generate", { { u"key_alias"_s, u"made-locally"_s }, { u"max_budget"_s, 5.0 } })
                 .status,
             200);
    const QUrl url = s.remoteUrl();
    const quint16 port = s.remote.port();
    s.remote.stop();

    auto *dashboard = UiFixture::showPage<DashboardPage>(*s.window);
    QVERIFY(dashboard);
    auto *today = dashboard->findChild<QLabel *>(u"todayValueLabel"_s);
    QVERIFY(today);
    QVERIFY2(today->text().contains(u"$"_s), qPrintable(today->text()));
    auto *budgets = UiFixture::showPage<BudgetsPage>(*s.window);
    QVERIFY(budgets);
    QVERIFY(budgets->model()->rowCount() >= 2);   // the whole gateway and the key
    auto *keys = UiFixture::showPage<KeysPage>(*s.window);
    QVERIFY(keys);
    QCOMPARE(keys->model()->rowCount(), 1);
    keys->tableView()->selectSourceRow(0);
    const auto enabled = [&](const QString &action) { return keys->findChild<QAction *>(action)->isEnabled(); };
    QVERIFY(enabled(u"editKeyAction"_s));

    GatewayStatus status(&s.fixture.api());
    s.window->setGatewayStatus(&status);
    s.window->show();
    MasterKey key;
    key.key = QString::fromLatin1(RemoteKey);
    key.source = MasterKey::Source::Keychain;
    s.window->switchTo(RemoteGateway::connection(url, key));
    status.start(100);

    // The remote gateway's refreshes fail: every page is empty and says it waits for the gateway.
    QVERIFY(QTest::qWaitFor([&] { return !s.window->banner()->messages().isEmpty(); }, 10000));
    QVERIFY(UiFixture::refreshAndWait(keys));
    QCOMPARE(keys->model()->rowCount(), 0);
    QVERIFY2(keys->tableView()->emptyText().contains(u"Waiting for the gateway"_s),
             qPrintable(keys->tableView()->emptyText()));
    for (const QString &action : { u"newKeyAction"_s, u"editKeyAction"_s, u"blockKeyAction"_s,
                                   u"regenerateKeyAction"_s, u"deleteKeyAction"_s })
        QVERIFY2(!enabled(action), qPrintable(action));
    s.window->showPage(budgets);
    QVERIFY(UiFixture::refreshAndWait(budgets));
    QCOMPARE(budgets->model()->rowCount(), 0);
    QVERIFY(!budgets->findChild<QAction *>(u"editGlobalBudgetAction"_s)->isEnabled());
    s.window->showPage(dashboard);
    QVERIFY(UiFixture::refreshAndWait(dashboard));
    QCOMPARE(today->text(), u"—"_s);
    const QStringList errors = s.window->banner()->messages();

    // The remote gateway comes up: its data shows, the actions come back, and the errors of
    // calls it did not answer go by themselves.
    QVERIFY(s.remote.store().open(s.remote.databasePath()));
    Gateway::Options options;
    options.port = port;
    options.secrets = &s.remote.secrets();
    QVERIFY(s.remote.host().start(s.remote.config(), &s.remote.store(), options));
    QVERIFY(QTest::qWaitFor([&] { return status.isReachable(); }, 10000));
    QTRY_VERIFY_WITH_TIMEOUT(
        std::none_of(errors.cbegin(), errors.cend(),
                     [&](const QString &error) { return s.window->banner()->messages().contains(error); }),
        5000);
    QVERIFY(UiFixture::refreshAndWait(dashboard));
    QVERIFY2(today->text().contains(u"$"_s), qPrintable(today->text()));
    s.window->showPage(keys);
    QVERIFY(UiFixture::refreshAndWait(keys));
    QCOMPARE(keys->model()->rowCount(), 1);
    QCOMPARE(keys->model()->recordAt(0)->keyAlias, u"made-on-remote"_s);
    QVERIFY(enabled(u"newKeyAction"_s));
    s.remote.host().stop();
    status.stop();
}

void TestRemoteGateway::withoutItsKeyTheRemoteGatewaysRefusalsAreNotRepeatedInTheBanner()
{
    // Started on a remote gateway whose key is not stored here: the start-up warning says so, and
    // the pages' calls (all refused with 401) add no "No API key provided" errors to the banner.
    // With the key, a refusal is said again.
    RemoteSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError() + s.remote.lastError()));
    s.window->switchTo(RemoteGateway::connection(s.remoteUrl(), MasterKey()));
    QVERIFY(s.window->connection().remote);
    QVERIFY(s.window->connection().masterKey.isEmpty());
    auto *keys = UiFixture::showPage<KeysPage>(*s.window);
    QVERIFY(keys);
    QVERIFY(UiFixture::refreshAndWait(keys));
    const auto refusals = [&] {
        const QStringList shown = s.window->banner()->messages();
        return std::count_if(shown.cbegin(), shown.cend(),
                             [](const QString &text) { return text.contains(u"API key"_s); });
    };
    QCOMPARE(refusals(), 0);

    // A wrong key: the refusal is news, and it is said.
    MasterKey wrong;
    wrong.key = u"sk-not-the-remote-key"_s;
    s.window->switchTo(RemoteGateway::connection(s.remoteUrl(), wrong));
    QVERIFY(UiFixture::refreshAndWait(keys));
    QTRY_VERIFY_WITH_TIMEOUT(!s.window->banner()->messages().isEmpty(), 5000);
    QVERIFY2(s.window->banner()->kind() == Banner::Kind::Error, qPrintable(s.window->banner()->text()));
}

QTEST_MAIN(TestRemoteGateway)
#include "tst_remotegateway.moc"
