// The Settings page, GatewayStatus and the tray against a real gateway: settings kept in
// AppSettings, the connection section, pausing and resuming the gateway from the page, and
// budget thresholds reported by GatewayStatus — in the banner when there is no tray (as
// under offscreen and GNOME).
#include "tests/ui/uifixture.h"
#include "ui/banner.h"
#include "ui/confirm.h"
#include "ui/gatewaystatus.h"
#include "ui/masterkey.h"
#include "ui/pages/connectpage.h"
#include "ui/pages/settingspage.h"
#include "ui/trayicon.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSystemTrayIcon>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>
#include <QtTest/qtestspontaneevent.h>

#include <optional>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

namespace {

const QByteArray Master = GatewayFixture::MasterKey;

template <typename T>
T *child(QObject *parent, const QString &name)
{
    T *found = parent->findChild<T *>(name);
    if (!found)
        qWarning("no child %s", qPrintable(name));
    return found;
}

void typeAndFinish(QLineEdit *edit, const QString &text)
{
    edit->setText(text);
    Q_EMIT edit->editingFinished();
}

// A wheel notch over `widget` as the window system delivers it (spontaneous: Qt gives focus
// by wheel and passes an ignored event on to the parents only for those).
void wheelOver(QWidget *widget, int deltaY)
{
    const QPointF pos = QRectF(widget->rect()).center();
    QWheelEvent event(pos, widget->mapToGlobal(pos), QPoint(), QPoint(0, deltaY), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QSpontaneKeyEvent::setSpontaneous(&event);
    qApp->notify(widget, &event);   // as QTest does: sendEvent() would make it not spontaneous
}

bool pollAndWait(GatewayStatus &status)
{
    QSignalSpy polled(&status, &GatewayStatus::polled);
    status.poll();
    return !polled.isEmpty() || polled.wait(10000);
}

// A key with a tiny soft budget: its first call passes it.
QByteArray softBudgetKey(UiFixture &fixture, const QString &alias)
{
    const auto response = fixture.gateway().post(
        "/key/generate", QJsonObject{{u"key_alias"_s, alias}, {u"soft_budget"_s, 0.0000001}});
    return response.status == 200 ? response.json().value(u"key"_s).toString().toUtf8() : QByteArray();
}

// A keychain whose dialog nobody answers: no call ever returns.
class SilentKeychain final : public IAsyncSecretStore
{
public:
    void readSecretAsync(const QString &, QObject *, ReadDone) override {}
    void writeSecretAsync(const QString &, const QString &, QObject *, WriteDone) override {}
};

QString fileText(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed() : QString();
}

} // namespace

class TestSettingsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void settingsRoundTripThroughAppSettings();
    void withoutATrayTheTraySettingsAreOffAndSaySo();
    void hostMustBeAnIpAddress();
    void connectionSectionShowsHowToConnect();
    void pauseOnThePageRefusesCallsUntilResumed();
    void gatewayStatusFollowsPauseAndTodaysSpend();
    void thresholdsPassedAfterStartShowInTheBannerWithoutATray();
    void every80And95And100PercentEventIsShownNoneReplaced();
    void restartSettingsAreMarkedAndOfferARestart();
    void theRestartOfferGoesWhenTheRunningValueIsBack();
    void thePortSaysWhereTheGatewayListensWhenItIsNotTheSetting();
    void theWheelScrollsThePageNotTheFieldsItPasses();
    void rotatingTheMasterKeyRefusesTheOldKeyAtOnce();
    void rotatingWithAKeychainThatNeverAnswersKeepsTheKeyInTheFile();
    void aConfigMasterKeyCannotBeRotatedFromTheWindow();
    void theWindowWaitsForTheKeychainThenFollowsTheGateway();

private:
    std::unique_ptr<UiFixture> m_fixture;
    std::unique_ptr<MainWindow> m_window;
    SettingsPage *m_page = nullptr;
};

void TestSettingsPage::init()
{
    m_fixture = std::make_unique<UiFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->gateway().lastError()));
    m_window = m_fixture->createWindow();
    m_page = UiFixture::showPage<SettingsPage>(*m_window);
    QVERIFY(m_page);
}

void TestSettingsPage::cleanup()
{
    m_window.reset();
    m_fixture.reset();
}

void TestSettingsPage::settingsRoundTripThroughAppSettings()
{
    AppSettings &settings = m_fixture->settings();
    // The tray settings as on a desktop with a tray (offscreen has none).
    m_page->setTrayAvailable(true);
    // The defaults first.
    QCOMPARE(child<QLineEdit>(m_page, u"hostLineEdit"_s)->text(), u"127.0.0.1"_s);
    QCOMPARE(child<QSpinBox>(m_page, u"portSpinBox"_s)->value(), 4000);
    QCOMPARE(child<QComboBox>(m_page, u"budgetModeComboBox"_s)->currentData().toString(), QString());
    QVERIFY(child<QCheckBox>(m_page, u"closeToTrayCheckBox"_s)->isChecked());
    QVERIFY(!child<QCheckBox>(m_page, u"startMinimizedCheckBox"_s)->isChecked());
    QVERIFY(child<QLabel>(m_page, u"restartNoteLabel"_s)->text().contains(u"restart"_s));

    typeAndFinish(child<QLineEdit>(m_page, u"hostLineEdit"_s), u" 0.0.0.0 "_s);
    child<QSpinBox>(m_page, u"portSpinBox"_s)->setValue(4123);
    typeAndFinish(child<QLineEdit>(m_page, u"databasePathLineEdit"_s), u"/tmp/tollgate-test/spend.db"_s);
    typeAndFinish(child<QLineEdit>(m_page, u"configPathLineEdit"_s), u"/etc/tollgate/config.yaml"_s);
    auto *mode = child<QComboBox>(m_page, u"budgetModeComboBox"_s);
    mode->setCurrentIndex(mode->findData(u"strict"_s));
    child<QCheckBox>(m_page, u"startMinimizedCheckBox"_s)->setChecked(true);
    child<QCheckBox>(m_page, u"closeToTrayCheckBox"_s)->setChecked(false);

    QCOMPARE(settings.value(AppSettings::Key::Host).toString(), u"0.0.0.0"_s);
    QCOMPARE(settings.value(AppSettings::Key::Port).toInt(), 4123);
    QCOMPARE(settings.value(AppSettings::Key::DatabasePath).toString(), u"/tmp/tollgate-test/spend.db"_s);
    QCOMPARE(settings.value(AppSettings::Key::ConfigPath).toString(), u"/etc/tollgate/config.yaml"_s);
    QCOMPARE(settings.value(AppSettings::Key::BudgetMode).toString(), u"strict"_s);
    QCOMPARE(settings.value(AppSettings::Key::StartMinimized).toBool(), true);
    QCOMPARE(settings.value(AppSettings::Key::CloseToTray).toBool(), false);

    // A new page (the next start) reads them back.
    SettingsPage again(&m_fixture->api(), &settings, m_fixture->connection());
    again.setTrayAvailable(true);
    QCOMPARE(child<QLineEdit>(&again, u"hostLineEdit"_s)->text(), u"0.0.0.0"_s);
    QCOMPARE(child<QSpinBox>(&again, u"portSpinBox"_s)->value(), 4123);
    QCOMPARE(child<QLineEdit>(&again, u"databasePathLineEdit"_s)->text(), u"/tmp/tollgate-test/spend.db"_s);
    QCOMPARE(child<QLineEdit>(&again, u"configPathLineEdit"_s)->text(), u"/etc/tollgate/config.yaml"_s);
    QCOMPARE(child<QComboBox>(&again, u"budgetModeComboBox"_s)->currentData().toString(), u"strict"_s);
    QVERIFY(child<QCheckBox>(&again, u"startMinimizedCheckBox"_s)->isChecked());
    QVERIFY(!child<QCheckBox>(&again, u"closeToTrayCheckBox"_s)->isChecked());

    // Back to "as config.yaml says" and the default data file.
    mode->setCurrentIndex(0);
    typeAndFinish(child<QLineEdit>(m_page, u"databasePathLineEdit"_s), QString());
    QCOMPARE(settings.value(AppSettings::Key::BudgetMode).toString(), QString());
    QCOMPARE(settings.value(AppSettings::Key::DatabasePath).toString(), QString());
}

// Without a tray, closing the window quits: a ticked "keeps running in the tray" would say
// the opposite. Both tray settings are off and disabled, say why, and keep their values.
void TestSettingsPage::withoutATrayTheTraySettingsAreOffAndSaySo()
{
    AppSettings &settings = m_fixture->settings();
    settings.setValue(AppSettings::Key::StartMinimized, true);
    settings.setValue(AppSettings::Key::CloseToTray, true);
    auto *closeToTray = child<QCheckBox>(m_page, u"closeToTrayCheckBox"_s);
    auto *startMinimized = child<QCheckBox>(m_page, u"startMinimizedCheckBox"_s);
    // What the desktop says comes first (offscreen: no tray).
    m_page->loadSettings();
    QCOMPARE(closeToTray->isEnabled(), QSystemTrayIcon::isSystemTrayAvailable());

    m_page->setTrayAvailable(false);
    for (QCheckBox *check : {closeToTray, startMinimized}) {
        QVERIFY2(!check->isEnabled(), qPrintable(check->objectName()));
        QVERIFY2(!check->isChecked(), qPrintable(check->objectName()));
        QVERIFY2(check->toolTip().contains(u"no system tray"_s), qPrintable(check->toolTip()));
        QVERIFY2(check->toolTip().contains(u"closing the window quits"_s), qPrintable(check->toolTip()));
    }
    const QString hint = child<QLabel>(m_page, u"closeToTrayCheckBoxRestartHint"_s)->text();
    QVERIFY2(hint.contains(u"no system tray"_s), qPrintable(hint));
    // The kept values stay for a desktop with a tray.
    QCOMPARE(settings.value(AppSettings::Key::StartMinimized).toBool(), true);
    QCOMPARE(settings.value(AppSettings::Key::CloseToTray).toBool(), true);

    m_page->setTrayAvailable(true);
    QVERIFY(closeToTray->isEnabled() && closeToTray->isChecked() && closeToTray->toolTip().isEmpty());
    QVERIFY(startMinimized->isEnabled() && startMinimized->isChecked());
    QVERIFY(child<QLabel>(m_page, u"closeToTrayCheckBoxRestartHint"_s)->text().contains(u"next start"_s));
}

void TestSettingsPage::hostMustBeAnIpAddress()
{
    QSignalSpy notices(m_page, &Page::notice);
    auto *host = child<QLineEdit>(m_page, u"hostLineEdit"_s);
    typeAndFinish(host, u"my laptop"_s);
    QCOMPARE(m_fixture->settings().value(AppSettings::Key::Host).toString(), u"127.0.0.1"_s);
    QCOMPARE(host->text(), u"127.0.0.1"_s);
    QCOMPARE(notices.size(), 1);
    QVERIFY(notices.at(0).at(0).toString().contains(u"my laptop"_s));
    typeAndFinish(host, u"localhost"_s);
    QCOMPARE(m_fixture->settings().value(AppSettings::Key::Host).toString(), u"localhost"_s);
    typeAndFinish(host, u"::1"_s);
    QCOMPARE(m_fixture->settings().value(AppSettings::Key::Host).toString(), u"::1"_s);
}

void TestSettingsPage::connectionSectionShowsHowToConnect()
{
    const QString baseUrl = u"http://127.0.0.1:%1/v1"_s.arg(m_fixture->gateway().port());
    const QString key = QString::fromLatin1(Master);
    QCOMPARE(child<QLineEdit>(m_page, u"baseUrlLineEdit"_s)->text(), baseUrl);
    child<QPushButton>(m_page, u"settingsCopyBaseUrlButton"_s)->click();
    QCOMPARE(QApplication::clipboard()->text(), baseUrl);

    // The master key is hidden, in its field and in the snippet, until shown.
    auto *keyEdit = child<QLineEdit>(m_page, u"masterKeyLineEdit"_s);
    auto *snippet = child<QPlainTextEdit>(m_page, u"environmentSnippetPlainTextEdit"_s);
    QCOMPARE(keyEdit->echoMode(), QLineEdit::Password);
    QCOMPARE(keyEdit->text(), key);
    QVERIFY(snippet->toPlainText().contains(u"OPENAI_BASE_URL=%1"_s.arg(baseUrl)));
    QVERIFY(!snippet->toPlainText().contains(key));
    child<QPushButton>(m_page, u"showMasterKeyButton"_s)->click();
    QCOMPARE(keyEdit->echoMode(), QLineEdit::Normal);
    QVERIFY(snippet->toPlainText().contains(u"OPENAI_API_KEY=%1"_s.arg(key)));
    child<QPushButton>(m_page, u"showMasterKeyButton"_s)->click();
    QCOMPARE(keyEdit->echoMode(), QLineEdit::Password);

    // Copy gives the real values either way.
    child<QPushButton>(m_page, u"copyEnvironmentButton"_s)->click();
    QVERIFY(QApplication::clipboard()->text().contains(u"OPENAI_API_KEY=%1"_s.arg(key)));
    child<QPushButton>(m_page, u"copyMasterKeyButton"_s)->click();
    QCOMPARE(QApplication::clipboard()->text(), key);

    QCOMPARE(child<QLabel>(m_page, u"masterKeySourceLabel"_s)->text(), u"test"_s);
    QCOMPARE(child<QLabel>(m_page, u"databasePathLabel"_s)->text(), m_fixture->gateway().databasePath());
}

void TestSettingsPage::pauseOnThePageRefusesCallsUntilResumed()
{
    auto *button = child<QPushButton>(m_page, u"pauseResumeButton"_s);
    auto *status = child<QLabel>(m_page, u"gatewayStatusLabel"_s);
    QVERIFY(button->isEnabled());
    QVERIFY(!m_page->isGatewayPaused());
    QVERIFY2(status->text().contains(u"Running"_s), qPrintable(status->text()));
    QCOMPARE(m_fixture->chat(Master), 200);

    button->click();
    QTRY_VERIFY_WITH_TIMEOUT(m_page->isGatewayPaused(), 5000);
    QVERIFY2(status->text().contains(u"Paused"_s), qPrintable(status->text()));
    QCOMPARE(button->text(), u"Resume gateway"_s);
    QCOMPARE(m_fixture->chat(Master), 503);
    QCOMPARE(m_fixture->gateway().get("/gateway/status").json().value(u"paused"_s), QJsonValue(true));
    // The page reads the state on refresh too, and the window's other calls keep working.
    QVERIFY(UiFixture::refreshAndWait(m_page));
    QVERIFY(m_page->isGatewayPaused());
    QVERIFY2(m_window->banner()->kind() != Banner::Kind::Error || m_window->banner()->isHidden(),
             qPrintable(m_window->banner()->text()));

    QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), 5000);
    button->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->isGatewayPaused(), 5000);
    QCOMPARE(button->text(), u"Pause gateway"_s);
    QCOMPARE(m_fixture->chat(Master), 200);

    // Pressed from the keyboard, the button keeps the focus (it used to pass it to the Host
    // field while the call ran).
    m_window->show();
    QApplication::setActiveWindow(m_window.get());
    QTRY_VERIFY(m_window->isActiveWindow());
    button->setFocus(Qt::TabFocusReason);
    QCOMPARE(QApplication::focusWidget(), button);
    QTest::keyClick(button, Qt::Key_Space);
    QVERIFY(button->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(m_page->isGatewayPaused(), 5000);
    QCOMPARE(QApplication::focusWidget(), button);
    QTest::keyClick(button, Qt::Key_Space);
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->isGatewayPaused(), 5000);
    QCOMPARE(QApplication::focusWidget(), button);
}

void TestSettingsPage::gatewayStatusFollowsPauseAndTodaysSpend()
{
    GatewayStatus status(&m_fixture->api());
    TrayIcon tray(&m_fixture->api(), m_window.get(), &status);
    QVERIFY(pollAndWait(status));
    QVERIFY(status.isKnown());
    QVERIFY(status.isReachable());
    QVERIFY(!status.isPaused());
    QCOMPARE(status.todaySpend(), 0.0);
    QCOMPARE(tray.toolTip(), u"Tollgate — running — today $0"_s);

    QCOMPARE(m_fixture->chat(Master), 200);
    QVERIFY(QTest::qWaitFor([&] { return pollAndWait(status) && status.todaySpend() > 0; }, 5000));
    QVERIFY2(tray.toolTip().startsWith(u"Tollgate — running — today $0.0"_s), qPrintable(tray.toolTip()));

    QSignalSpy changed(&status, &GatewayStatus::statusChanged);
    status.setPaused(true);
    QTRY_VERIFY_WITH_TIMEOUT(status.isPaused(), 5000);
    QVERIFY(!changed.isEmpty());
    QVERIFY(tray.toolTip().startsWith(u"Tollgate — paused — today"_s));
    QCOMPARE(m_fixture->chat(Master), 503);
    // The page learns it on its next refresh.
    QVERIFY(UiFixture::refreshAndWait(m_page));
    QVERIFY(m_page->isGatewayPaused());
    status.setPaused(false);
    QTRY_VERIFY_WITH_TIMEOUT(!status.isPaused(), 5000);
    QCOMPARE(m_fixture->chat(Master), 200);
}

void TestSettingsPage::thresholdsPassedAfterStartShowInTheBannerWithoutATray()
{
    if (QSystemTrayIcon::isSystemTrayAvailable())
        QSKIP("this platform has a system tray; the banner is the fallback without one");

    // A threshold passed before the app started is not replayed.
    const QByteArray early = softBudgetKey(*m_fixture, u"early"_s);
    QVERIFY(!early.isEmpty());
    QCOMPARE(m_fixture->chat(early), 200);
    QVERIFY(QTest::qWaitFor([this] {
        return m_fixture->gateway().get("/budget/events").body.contains("soft_budget");
    }, 5000));

    GatewayStatus status(&m_fixture->api());
    TrayIcon tray(&m_fixture->api(), m_window.get(), &status);
    QVERIFY(!tray.isAvailable());
    QSignalSpy passed(&status, &GatewayStatus::thresholdPassed);
    QVERIFY(pollAndWait(status));
    QVERIFY(pollAndWait(status));
    QCOMPARE(passed.size(), 0);
    QVERIFY(m_window->banner()->isHidden());

    // One passed now is reported once, in the banner as a warning.
    const QByteArray late = softBudgetKey(*m_fixture, u"late"_s);
    QVERIFY(!late.isEmpty());
    QCOMPARE(m_fixture->chat(late), 200);
    QVERIFY(QTest::qWaitFor([&] { return pollAndWait(status) && !passed.isEmpty(); }, 10000));
    QCOMPARE(passed.size(), 1);
    QCOMPARE(passed.at(0).at(0).toString(), u"key"_s);
    const QString token = m_fixture->gateway().get("/key/info", late).json().value(u"key"_s).toString();
    QCOMPARE(passed.at(0).at(1).toString(), token);
    const QString text = passed.at(0).at(2).toString();
    QVERIFY2(text.contains(u"soft limit"_s), qPrintable(text));
    // Named as people know the key (its alias), never by its hash.
    QVERIFY2(text.contains(u"key late"_s), qPrintable(text));
    QVERIFY2(!text.contains(token.left(6)), qPrintable(text));
    QVERIFY(!m_window->banner()->isHidden());
    QCOMPARE(m_window->banner()->kind(), Banner::Kind::Warning);
    QCOMPARE(m_window->banner()->text(), text);

    // Later polls do not repeat it; the early key's second call passes nothing new.
    QVERIFY(pollAndWait(status));
    QVERIFY(pollAndWait(status));
    QCOMPARE(passed.size(), 1);
}

void TestSettingsPage::every80And95And100PercentEventIsShownNoneReplaced()
{
    if (QSystemTrayIcon::isSystemTrayAvailable())
        QSKIP("this platform has a system tray; the banner is the fallback without one");

    // What one call costs (the mock answers the same every time).
    const auto probe = m_fixture->gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"probe"_s}});
    const QByteArray probeKey = probe.json().value(u"key"_s).toString().toUtf8();
    QCOMPARE(m_fixture->chat(probeKey), 200);
    const double cost =
        m_fixture->gateway().get("/key/info", probeKey).json().value(u"info"_s).toObject().value(u"spend"_s).toDouble();
    QVERIFY(cost > 0);

    GatewayStatus status(&m_fixture->api());
    TrayIcon tray(&m_fixture->api(), m_window.get(), &status);
    QSignalSpy passed(&status, &GatewayStatus::thresholdPassed);
    QVERIFY(pollAndWait(status));

    // One call takes the key to 96 %: 80 % and 95 % pass in the same poll round; the next
    // call uses it up.
    const auto generated = m_fixture->gateway().post(
        "/key/generate", QJsonObject{{u"key_alias"_s, u"nearly"_s}, {u"max_budget"_s, cost / 0.96}});
    const QByteArray key = generated.json().value(u"key"_s).toString().toUtf8();
    QCOMPARE(m_fixture->chat(key), 200);
    QVERIFY(QTest::qWaitFor([&] { return pollAndWait(status) && passed.size() >= 2; }, 10000));
    QCOMPARE(m_fixture->chat(key), 200);
    QVERIFY(QTest::qWaitFor([&] { return pollAndWait(status) && passed.size() >= 3; }, 10000));
    QCOMPARE(passed.size(), 3);

    // All three are in the banner, oldest first, none replaced by the next.
    const QStringList shown = m_window->banner()->messages();
    QCOMPARE(shown.size(), 3);
    QVERIFY2(shown.at(0).contains(u"80%"_s) && shown.at(0).contains(u"key nearly"_s), qPrintable(shown.at(0)));
    QVERIFY2(shown.at(1).contains(u"95%"_s), qPrintable(shown.at(1)));
    QVERIFY2(shown.at(2).contains(u"used up"_s), qPrintable(shown.at(2)));
    QCOMPARE(m_window->banner()->kind(), Banner::Kind::Warning);
    QCOMPARE(m_window->banner()->text(), shown.at(2));
}


void TestSettingsPage::restartSettingsAreMarkedAndOfferARestart()
{
    // Each gateway setting says it applies after a restart; the tray settings at the next start.
    for (const QString &name : {u"hostLineEdit"_s, u"portSpinBox"_s, u"databasePath"_s, u"configPath"_s,
                                u"budgetModeComboBox"_s}) {
        auto *hint = child<QLabel>(m_page, name + u"RestartHint"_s);
        QVERIFY(hint);
        QCOMPARE(hint->text(), u"applies after a restart"_s);
    }
    QCOMPARE(child<QLabel>(m_page, u"startMinimizedCheckBoxRestartHint"_s)->text(),
             u"applies at the next start of Tollgate"_s);

    auto *bar = child<QWidget>(m_page, u"restartBar"_s);
    QVERIFY(bar->isHidden());
    QVERIFY(!m_page->isRestartPending());
    // A tray setting is no reason to restart the gateway.
    child<QCheckBox>(m_page, u"startMinimizedCheckBox"_s)->toggle();
    QVERIFY(bar->isHidden());
    // Saving the host unchanged is none either.
    typeAndFinish(child<QLineEdit>(m_page, u"hostLineEdit"_s), u"127.0.0.1"_s);
    QVERIFY(bar->isHidden());

    child<QSpinBox>(m_page, u"portSpinBox"_s)->setValue(4124);
    QVERIFY(!bar->isHidden());
    QVERIFY(m_page->isRestartPending());
    QSignalSpy restart(m_window.get(), &MainWindow::restartGatewayRequested);
    QTest::mouseClick(child<QPushButton>(m_page, u"restartGatewayButton"_s), Qt::LeftButton);
    QCOMPARE(restart.size(), 1);
    QVERIFY(bar->isHidden());
    QVERIFY(!m_page->isRestartPending());

    auto *mode = child<QComboBox>(m_page, u"budgetModeComboBox"_s);
    mode->setCurrentIndex(mode->findData(u"strict"_s));
    QVERIFY(!bar->isHidden());
}

void TestSettingsPage::theRestartOfferGoesWhenTheRunningValueIsBack()
{
    auto *bar = child<QWidget>(m_page, u"restartBar"_s);
    auto *port = child<QSpinBox>(m_page, u"portSpinBox"_s);
    QCOMPARE(port->value(), 4000);
    port->setValue(4001);
    QVERIFY(!bar->isHidden());
    port->setValue(4000);   // typed back: the gateway runs with it already
    QVERIFY(bar->isHidden());
    QVERIFY(!m_page->isRestartPending());

    // Two changed, one set back: still a reason to restart.
    port->setValue(4001);
    typeAndFinish(child<QLineEdit>(m_page, u"hostLineEdit"_s), u"0.0.0.0"_s);
    port->setValue(4000);
    QVERIFY(!bar->isHidden());
    typeAndFinish(child<QLineEdit>(m_page, u"hostLineEdit"_s), u"127.0.0.1"_s);
    QVERIFY(bar->isHidden());

    // After a restart the running values are the new ones.
    port->setValue(4002);
    QTest::mouseClick(child<QPushButton>(m_page, u"restartGatewayButton"_s), Qt::LeftButton);
    QVERIFY(bar->isHidden());
    port->setValue(4000);
    QVERIFY(!bar->isHidden());
}

void TestSettingsPage::thePortSaysWhereTheGatewayListensWhenItIsNotTheSetting()
{
    // The fixture's gateway listens on a port of its own; the setting says 4000.
    const int listening = m_fixture->api().baseUrl().port();
    auto *port = child<QSpinBox>(m_page, u"portSpinBox"_s);
    auto *hint = child<QLabel>(m_page, u"portSpinBoxRestartHint"_s);
    QCOMPARE(port->value(), 4000);
    QVERIFY(listening != 4000);

    ConnectionInfo connection = m_fixture->connection();
    connection.portChoice = ConnectionInfo::PortChoice::CommandLine;
    m_window->setConnection(connection);
    QCOMPARE(hint->text(), u"listening on %1 (started with --port)"_s.arg(listening));
    QVERIFY(hint->isEnabled());

    connection.portChoice = ConnectionInfo::PortChoice::FreePort;
    m_window->setConnection(connection);
    QCOMPARE(hint->text(), u"listening on %1 (port 4000 was taken)"_s.arg(listening));
    // Another port chosen: it applies after a restart.
    port->setValue(4001);
    QCOMPARE(hint->text(), u"applies after a restart"_s);

    // The setting is the port in use: nothing more to say.
    connection.portChoice = ConnectionInfo::PortChoice::CommandLine;
    port->setValue(listening);
    m_window->setConnection(connection);
    QCOMPARE(hint->text(), u"applies after a restart"_s);
}

void TestSettingsPage::theWheelScrollsThePageNotTheFieldsItPasses()
{
    // Small enough that the page scrolls.
    m_window->resize(760, 420);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    auto *scrollBar = m_page->findChild<QScrollArea *>()->verticalScrollBar();
    QVERIFY(scrollBar->maximum() > 0);
    auto *port = child<QSpinBox>(m_page, u"portSpinBox"_s);
    auto *mode = child<QComboBox>(m_page, u"budgetModeComboBox"_s);
    const int modeIndex = mode->currentIndex();

    scrollBar->setValue(0);
    wheelOver(port, -120);
    QCOMPARE(port->value(), 4000);
    QVERIFY(!port->hasFocus());
    QVERIFY(scrollBar->value() > 0);   // the page scrolled instead
    const int scrolled = scrollBar->value();
    wheelOver(mode, -120);
    QCOMPARE(mode->currentIndex(), modeIndex);
    QVERIFY(scrollBar->value() > scrolled);
    QCOMPARE(m_fixture->settings().value(AppSettings::Key::Port).toInt(), 4000);
    QVERIFY(child<QWidget>(m_page, u"restartBar"_s)->isHidden());

    // A field that has the focus (clicked, tabbed to) still takes the wheel.
    port->setFocus();
    QVERIFY(port->hasFocus());
    wheelOver(port, 120);
    QCOMPARE(port->value(), 4001);
}

void TestSettingsPage::rotatingTheMasterKeyRefusesTheOldKeyAtOnce()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    MemorySecretStore keychain({{QString::fromLatin1(MasterKey::SecretName), QString::fromLatin1(Master)}});
    MasterKeyKeeper keeper(&keychain, fallback);
    std::optional<Result<MasterKey>> rotated;
    // As the desktop app wires it (app/desktop.cpp): the gateway host takes the new key.
    connect(m_window.get(), &MainWindow::rotateMasterKeyRequested, m_window.get(), [&] {
        rotateMasterKey(
            keeper, m_fixture->api(), [&](const QString &key) { return m_fixture->gateway().host().setMasterKey(key); },
            [&](Result<MasterKey> key) {
                if (key) {
                    ConnectionInfo info = m_fixture->connection();
                    info.masterKey = key->key;
                    m_window->setConnection(info);
                }
                rotated = std::move(key);
            });
    });
    auto *button = child<QPushButton>(m_page, u"rotateMasterKeyButton"_s);
    QVERIFY(button->isEnabled());

    // Cancelled: nothing changes.
    Confirm::setAutomaticAnswer(false);
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(!rotated.has_value());
    QCOMPARE(m_fixture->gateway().get("/key/list", Master).status, 200);

    Confirm::setAutomaticAnswer(true);
    QTest::mouseClick(button, Qt::LeftButton);
    Confirm::setAutomaticAnswer(std::nullopt);
    QVERIFY(QTest::qWaitFor([&] { return rotated.has_value(); }, 10000));
    QVERIFY(*rotated);
    const QString newKey = (*rotated)->key;
    QVERIFY(newKey.startsWith(u"sk-"_s) && newKey != QString::fromLatin1(Master));

    // The real gateway: the old key is refused at once, the new one admitted.
    QCOMPARE(m_fixture->gateway().get("/key/list", Master).status, 401);
    QCOMPARE(m_fixture->gateway().get("/key/list", newKey.toUtf8()).status, 200);
    QCOMPARE(m_fixture->chat(Master), 401);
    // Kept in the keychain (and nowhere else).
    QCOMPARE(*keychain.readSecret(QString::fromLatin1(MasterKey::SecretName)), newKey);
    QVERIFY(!QFile::exists(fallback));
    // The window follows: the page shows the new key, and its client sends it (a refresh with
    // the old key would be refused).
    QCOMPARE(child<QLineEdit>(m_page, u"masterKeyLineEdit"_s)->text(), newKey);
    QVERIFY(button->isEnabled());
    QVERIFY(UiFixture::refreshAndWait(m_page));
    QVERIFY(child<QLabel>(m_page, u"gatewayStatusLabel"_s)->text().contains(u"Running"_s));
}

void TestSettingsPage::rotatingWithAKeychainThatNeverAnswersKeepsTheKeyInTheFile()
{
    QTemporaryDir dir;
    const QString fallback = dir.filePath(u"master_key"_s);
    SilentKeychain keychain;
    MasterKeyKeeper keeper(&keychain, fallback);
    keeper.setTimeout(std::chrono::milliseconds(300));
    std::optional<Result<MasterKey>> rotated;
    rotateMasterKey(
        keeper, m_fixture->api(), [&](const QString &key) { return m_fixture->gateway().host().setMasterKey(key); },
        [&](Result<MasterKey> key) { rotated = std::move(key); });
    // Until the time-out the old key still works (nothing is applied before it is kept).
    QCOMPARE(m_fixture->gateway().get("/key/list", Master).status, 200);
    QVERIFY(QTest::qWaitFor([&] { return rotated.has_value(); }, 10000));
    QVERIFY(*rotated);
    QCOMPARE((*rotated)->source, MasterKey::Source::FallbackFile);
    QCOMPARE(fileText(fallback), (*rotated)->key);
    QCOMPARE(m_fixture->gateway().get("/key/list", Master).status, 401);
    QCOMPARE(m_fixture->gateway().get("/key/list", (*rotated)->key.toUtf8()).status, 200);
}

void TestSettingsPage::aConfigMasterKeyCannotBeRotatedFromTheWindow()
{
    ConnectionInfo info = m_fixture->connection();
    info.masterKeyFromConfig = true;
    m_window->setConnection(info);
    auto *button = child<QPushButton>(m_page, u"rotateMasterKeyButton"_s);
    QVERIFY(!button->isEnabled());
    QVERIFY(button->toolTip().contains(u"config.yaml"_s));
}

void TestSettingsPage::theWindowWaitsForTheKeychainThenFollowsTheGateway()
{
    // As the app starts: the window first, no gateway address and no key yet.
    ApiClient api;
    ConnectionInfo waiting;
    waiting.waitingForKeychain = true;
    waiting.databasePath = m_fixture->gateway().databasePath();
    MainWindow window(&api, &m_fixture->settings(), waiting);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.isWaitingForGateway());
    auto *address = child<QLabel>(&window, u"addressLabel"_s);
    QVERIFY2(address->text().contains(u"Waiting for the keychain"_s), qPrintable(address->text()));
    QVERIFY(!child<QPushButton>(&window, u"copySnippetButton"_s)->isEnabled());
    auto *page = window.page<SettingsPage>();
    QVERIFY(!child<QPushButton>(page, u"rotateMasterKeyButton"_s)->isEnabled());
    QVERIFY(!window.currentPage()->isEnabled());
    // No call is made while there is no gateway: no error in the banner after a refresh tick.
    QTest::qWait(1200);
    QVERIFY2(window.banner()->messages().isEmpty(), qPrintable(window.banner()->messages().join(u'|')));

    // The key is known and the gateway runs: the window follows.
    api.setBaseUrl(m_fixture->api().baseUrl());
    api.setMasterKey(QString::fromLatin1(Master));
    ConnectionInfo ready = m_fixture->connection();
    ready.startWarnings = QStringList{u"no keychain: the key is in a file"_s};
    window.setConnection(ready);
    QVERIFY(!window.isWaitingForGateway());
    QVERIFY2(address->text().contains(ready.openAiBaseUrl()), qPrintable(address->text()));
    QVERIFY(child<QPushButton>(&window, u"copySnippetButton"_s)->isEnabled());
    QVERIFY(child<QPushButton>(page, u"rotateMasterKeyButton"_s)->isEnabled());
    QVERIFY(window.banner()->messages().contains(u"no keychain: the key is in a file"_s));
    QCOMPARE(child<QLineEdit>(page, u"masterKeyLineEdit"_s)->text(), QString::fromLatin1(Master));
    QVERIFY(window.currentPage()->isEnabled());
    QVERIFY(UiFixture::refreshAndWait(window.currentPage()));
    // The set-ups of "Connect a tool" name the gateway now known, not an empty address.
    auto *connect = window.page<ConnectPage>();
    QVERIFY2(connect->setupText().contains(ready.baseUrl.toString(QUrl::StripTrailingSlash)), qPrintable(connect->setupText()));
    QVERIFY(!connect->setupText().contains(u"''"_s));
}

QTEST_MAIN(TestSettingsPage)
#include "tst_settingspage.moc"
