#include "tests/ui/uifixture.h"
#include "ui/banner.h"
#include "ui/gatewaystatus.h"
#include "ui/page.h"
#include "ui/pages/keyspage.h"
#include "ui/pages/spendlogpage.h"

#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTimer>
#include <QStyle>
#include <QTest>
#include <QToolButton>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPageRefreshesAgainstTheGateway();
    void sidebarIconsAreTheirPagesOwn();
    void theHeaderShowsTheGatewaysState();
    void aLongAddressIsElidedNotCut();
    void copyButtonsPutTheBaseUrlAndSnippetOnTheClipboard();
    void apiErrorsShowInTheBanner();
    void theFirstStartWelcomesAndSaysWhereTheKeyIs();
    void copyEnvironmentSaysItHandsOutTheMasterKey();
    void everyStartWarningReachesTheBanner();
    void bannerMessagesStackAndNeverMoveThePage();
    void noticesGoByThemselvesWarningsStay();
    void theMenuBarQuitsSwitchesPagesAndFindsByKeyboard();
};

void TestMainWindow::everyPageRefreshesAgainstTheGateway()
{
    UiFixture fixture;
    QVERIFY2(fixture.start(), qPrintable(fixture.gateway().lastError()));
    auto window = fixture.createWindow();
    QCOMPARE(window->pages().size(), 9);
    auto *sidebar = window->findChild<QListWidget *>(u"sidebarListWidget"_s);
    QVERIFY(sidebar);
    for (int row = 0; row < sidebar->count(); ++row) {
        sidebar->setCurrentRow(row);
        QCOMPARE(window->currentPage(), window->pages().at(row));
        QVERIFY2(UiFixture::refreshAndWait(window->currentPage()), qPrintable(window->currentPage()->title()));
    }
    QVERIFY2(window->banner()->isHidden(), qPrintable(window->banner()->text()));
}

void TestMainWindow::copyButtonsPutTheBaseUrlAndSnippetOnTheClipboard()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    window->findChild<QPushButton *>(u"copyBaseUrlButton"_s)->click();
    QCOMPARE(QApplication::clipboard()->text(), u"http://127.0.0.1:%1/v1"_s.arg(fixture.gateway().port()));
    window->findChild<QPushButton *>(u"copySnippetButton"_s)->click();
    const QString snippet = QApplication::clipboard()->text();
    QVERIFY(snippet.contains(u"OPENAI_BASE_URL=http://127.0.0.1:%1/v1"_s.arg(fixture.gateway().port())));
    QVERIFY(snippet.contains(u"OPENAI_API_KEY=%1"_s.arg(QString::fromLatin1(GatewayFixture::MasterKey))));
}

void TestMainWindow::apiErrorsShowInTheBanner()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    fixture.api().setMasterKey(u"sk-wrong"_s);
    fixture.api().get(u"/key/list"_s, {}, nullptr, {});
    QVERIFY(fixture.waitIdle());
    QVERIFY(!window->banner()->isHidden());
    QCOMPARE(window->banner()->kind(), Banner::Kind::Error);
    QVERIFY2(window->banner()->text().contains(u"key"_s, Qt::CaseInsensitive), qPrintable(window->banner()->text()));
}

void TestMainWindow::theFirstStartWelcomesAndSaysWhereTheKeyIs()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    ConnectionInfo first = fixture.connection();
    first.firstStart = true;
    first.masterKeySource = u"the OS keychain"_s;
    MainWindow window(&fixture.api(), &fixture.settings(), first);
    QVERIFY(!window.banner()->isHidden());
    QCOMPARE(window.banner()->kind(), Banner::Kind::Info);
    QVERIFY(window.banner()->text().contains(u"the OS keychain"_s));
    QVERIFY(window.banner()->text().contains(first.openAiBaseUrl()));
    QTest::qWait(100);
    QVERIFY(!window.banner()->isHidden());

    // Later starts go straight to work.
    MainWindow later(&fixture.api(), &fixture.settings(), fixture.connection());
    QVERIFY(later.banner()->isHidden());
}

void TestMainWindow::copyEnvironmentSaysItHandsOutTheMasterKey()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    auto *button = window->findChild<QPushButton *>(u"copySnippetButton"_s);
    QVERIFY(button);
    QVERIFY(button->toolTip().contains(u"master key"_s));
    button->click();
    const QString copied = QApplication::clipboard()->text();
    QVERIFY(copied.contains(u"OPENAI_API_KEY=%1"_s.arg(fixture.connection().masterKey)));
    // Where it is pasted and in the window, the snippet says it is the master key.
    QVERIFY(copied.startsWith(u"# The master key"_s));
    QCOMPARE(window->banner()->kind(), Banner::Kind::Warning);
    QVERIFY(window->banner()->text().contains(u"master key"_s));
    QVERIFY(window->banner()->text().contains(u"Keys page"_s));
}

void TestMainWindow::everyStartWarningReachesTheBanner()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    ConnectionInfo info = fixture.connection();
    info.firstStart = true;
    info.startWarnings = {u"No keychain is available."_s, u"Port 4000 is not available."_s};
    MainWindow window(&fixture.api(), &fixture.settings(), info);
    QVERIFY(!window.banner()->isHidden());
    QCOMPARE(window.banner()->kind(), Banner::Kind::Warning);
    QVERIFY(window.banner()->text().contains(info.startWarnings.at(0)));
    QVERIFY(window.banner()->text().contains(info.startWarnings.at(1)));
    // The first start's welcome is not pushed out by the warnings.
    QVERIFY(window.banner()->messages().join(u'\n').contains(u"Welcome to Tollgate"_s));
}

void TestMainWindow::bannerMessagesStackAndNeverMoveThePage()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    window->resize(1100, 720);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    Page *page = window->currentPage();
    const QRect before(page->mapTo(window.get(), QPoint(0, 0)), page->size());

    Banner *banner = window->banner();
    banner->showMessage(u"First warning"_s, Banner::Kind::Warning);
    banner->showMessage(u"Second warning"_s, Banner::Kind::Warning);
    banner->showMessage(u"A notice"_s, Banner::Kind::Info);
    QCoreApplication::processEvents();
    // Stacked, oldest first: none replaced another.
    QCOMPARE(banner->messages(), (QStringList{u"First warning"_s, u"Second warning"_s, u"A notice"_s}));
    QCOMPARE(banner->text(), u"A notice"_s);
    QCOMPARE(banner->kind(), Banner::Kind::Info);
    // The same message again is not repeated; it moves to the newest place.
    banner->showMessage(u"First warning"_s, Banner::Kind::Warning);
    QCOMPARE(banner->messages(), (QStringList{u"Second warning"_s, u"A notice"_s, u"First warning"_s}));

    // It floats over the page's bottom: the page keeps its place and size.
    QVERIFY(!banner->isHidden());
    QCOMPARE(QRect(page->mapTo(window.get(), QPoint(0, 0)), page->size()), before);
    const QRect bannerRect(banner->mapTo(window.get(), QPoint(0, 0)), banner->size());
    QVERIFY2(before.contains(bannerRect.bottomRight()) && bannerRect.top() > before.top() + before.height() / 2,
             qPrintable(u"%1,%2 %3x%4"_s.arg(bannerRect.x()).arg(bannerRect.y()).arg(bannerRect.width()).arg(bannerRect.height())));

    // Dismissing one keeps the others, and the page still does not move.
    auto *close = banner->findChildren<QToolButton *>(u"bannerCloseButton"_s).value(0);
    QVERIFY(close);
    close->click();
    QCoreApplication::processEvents();
    QCOMPARE(banner->messages(), (QStringList{u"A notice"_s, u"First warning"_s}));
    QCOMPARE(QRect(page->mapTo(window.get(), QPoint(0, 0)), page->size()), before);
    // One that no longer applies goes by its text; an unknown text changes nothing.
    banner->dismiss(u"No such message"_s);
    banner->dismiss(u"First warning"_s);
    QCoreApplication::processEvents();
    QCOMPARE(banner->messages(), (QStringList{u"A notice"_s}));
    banner->showMessage(u"First warning"_s, Banner::Kind::Warning);

    // More than fit: the oldest are counted, not dropped; "Dismiss all" clears them.
    for (int i = 0; i < Banner::MaxShown + 2; ++i)
        banner->showMessage(u"Error %1"_s.arg(i), Banner::Kind::Error);
    QCOMPARE(banner->messages().size(), Banner::MaxShown + 4);
    QVERIFY(banner->height() < window->height() / 2);
    auto *dismissAll = banner->findChild<QPushButton *>(u"bannerDismissAllButton"_s);
    QVERIFY(dismissAll && dismissAll->isVisible());
    dismissAll->click();
    QVERIFY(banner->messages().isEmpty());
    QVERIFY(banner->isHidden());
    QCOMPARE(QRect(page->mapTo(window.get(), QPoint(0, 0)), page->size()), before);
}

// A notice (a success, a copy) must not keep covering the page (the Dashboard's top spenders
// are under the banner): infos go by themselves, the welcome and one with a button after a
// longer read; warnings and errors wait for the user.
void TestMainWindow::noticesGoByThemselvesWarningsStay()
{
    Banner banner;
    const auto fadeTimer = [&banner](const QString &text) -> QTimer * {
        for (QLabel *label : banner.findChildren<QLabel *>(u"bannerLabel"_s)) {
            if (label->text() == text)
                return label->parentWidget()->findChild<QTimer *>(u"bannerFadeTimer"_s);
        }
        return nullptr;
    };
    banner.showMessage(u"A warning"_s, Banner::Kind::Warning);
    banner.showMessage(u"An error"_s, Banner::Kind::Error);
    banner.showMessage(u"Copied"_s, Banner::Kind::Info);
    banner.showMessage(u"Welcome"_s, Banner::Kind::Info, true);
    banner.showMessage(u"Exported"_s, Banner::Kind::Info, u"Open folder"_s, [] {});
    banner.showMessage(u"Act now"_s, Banner::Kind::Warning, u"Fix"_s, [] {});

    QVERIFY(!fadeTimer(u"A warning"_s));
    QVERIFY(!fadeTimer(u"An error"_s));
    QVERIFY(!fadeTimer(u"Act now"_s));
    QTimer *notice = fadeTimer(u"Copied"_s);
    QVERIFY(notice && notice->isActive());
    QVERIFY2(notice->interval() >= 5000 && notice->interval() <= 10000, qPrintable(QString::number(notice->interval())));
    for (const QString &text : {u"Welcome"_s, u"Exported"_s}) {
        QTimer *timer = fadeTimer(text);
        QVERIFY2(timer && timer->isActive(), qPrintable(text));
        QVERIFY2(timer->interval() >= 15000 && timer->interval() <= 60000, qPrintable(text));
    }

    // Their time up, the infos are gone and the rest stay.
    for (const QString &text : {u"Copied"_s, u"Welcome"_s, u"Exported"_s})
        fadeTimer(text)->start(0);
    QTRY_COMPARE(banner.messages(), (QStringList{u"A warning"_s, u"An error"_s, u"Act now"_s}));
}

void TestMainWindow::theMenuBarQuitsSwitchesPagesAndFindsByKeyboard()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    window->show();
    window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window.get()));

    QStringList menus;
    for (QAction *action : window->menuBar()->actions())
        menus.append(action->text());
    QCOMPARE(menus, (QStringList{u"&File"_s, u"&Edit"_s, u"&Go"_s, u"&Help"_s}));

    // Ctrl+1 … Ctrl+9: the pages in the sidebar's order.
    QCOMPARE(window->pageActions().size(), window->pages().size());
    // Each entry reads as its page's title: an '&' in one ("Models & access groups") is shown,
    // not taken for a mnemonic.
    const auto shown = [](QString text) {
        text.replace(u"&&"_s, QString(QChar(0x1)));
        text.remove(u'&');
        return text.replace(QChar(0x1), u'&');
    };
    for (int i = 0; i < window->pages().size(); ++i)
        QCOMPARE(shown(window->pageActions().at(i)->text()), window->pages().at(i)->title());
    for (int i = window->pages().size() - 1; i >= 0; --i) {
        QTest::keyClick(window.get(), Qt::Key(Qt::Key_1 + i), Qt::ControlModifier);
        QCOMPARE(window->currentPage(), window->pages().at(i));
    }

    // Ctrl+F: the page's search field, with its text selected to type over.
    auto *keys = window->page<KeysPage>();
    QTest::keyClick(window.get(), Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(window->currentPage(), keys);
    keys->searchLineEdit()->setText(u"old search"_s);
    window->findChild<QListWidget *>(u"sidebarListWidget"_s)->setFocus();
    QTest::keyClick(window.get(), Qt::Key_F, Qt::ControlModifier);
    QCOMPARE(QApplication::focusWidget(), keys->searchLineEdit());
    QCOMPARE(keys->searchLineEdit()->selectedText(), u"old search"_s);
    QTest::keyClick(window.get(), Qt::Key_8, Qt::ControlModifier);
    auto *spendLog = window->page<SpendLogPage>();
    QCOMPARE(window->currentPage(), spendLog);
    QTest::keyClick(window.get(), Qt::Key_F, Qt::ControlModifier);
    QVERIFY(spendLog->searchField());
    QCOMPARE(QApplication::focusWidget(), spendLog->searchField());
    // A page without a search: nothing happens, no complaint.
    QTest::keyClick(window.get(), Qt::Key_1, Qt::ControlModifier);
    QTest::keyClick(window.get(), Qt::Key_F, Qt::ControlModifier);

    // Help → About: a window-modal box that does not block.
    auto *about = window->findChild<QAction *>(u"aboutAction"_s);
    QVERIFY(about);
    about->trigger();
    auto *box = window->findChild<QMessageBox *>(u"aboutMessageBox"_s);
    QVERIFY(box);
    QVERIFY(box->text().contains(u"Tollgate"_s));
    box->close();
    window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window.get()));

    // File → Quit (Ctrl+Q) asks the app to quit, even when closing would hide to the tray.
    window->setHideOnClose(true);
    QSignalSpy quit(window.get(), &MainWindow::quitRequested);
    QCOMPARE(window->quitAction()->shortcut(), QKeySequence(u"Ctrl+Q"_s));
    QTest::keyClick(window.get(), Qt::Key_Q, Qt::ControlModifier);
    QCOMPARE(quit.size(), 1);
}

void TestMainWindow::sidebarIconsAreTheirPagesOwn()
{
    // No desktop theme here (offscreen): the bundled icons show, one per page, none of them a
    // style's stock pixmap (a check mark stood for Keys, a floppy disk for Budgets).
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    QList<QImage> images;
    const QList<QImage> stock{
        window->style()->standardIcon(QStyle::SP_DialogApplyButton).pixmap(20, 20).toImage(),
        window->style()->standardIcon(QStyle::SP_DialogSaveButton).pixmap(20, 20).toImage(),
        window->style()->standardIcon(QStyle::SP_ComputerIcon).pixmap(20, 20).toImage()};
    for (Page *page : window->pages()) {
        const QIcon icon = page->icon();
        QVERIFY2(!icon.isNull(), qPrintable(page->title()));
        const QImage image = icon.pixmap(20, 20).toImage();
        // Drawn in the palette's text colour: some pixels are opaque, and they are that colour.
        bool drawn = false;
        for (int y = 0; y < image.height() && !drawn; ++y)
            for (int x = 0; x < image.width() && !drawn; ++x)
                drawn = qAlpha(image.pixel(x, y)) == 255
                        && QColor(image.pixel(x, y)).rgb() == window->palette().color(QPalette::WindowText).rgb();
        QVERIFY2(drawn, qPrintable(page->title()));
        QVERIFY2(!images.contains(image), qPrintable(page->title() + u" looks like another page's icon"_s));
        for (const QImage &other : stock)
            QVERIFY2(image != other.convertToFormat(image.format()), qPrintable(page->title()));
        images.append(image);
    }
}

void TestMainWindow::theHeaderShowsTheGatewaysState()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    auto *state = window->findChild<QLabel *>(u"gatewayStateLabel"_s);
    QVERIFY(state);
    QVERIFY(state->isHidden());   // nothing known yet
    GatewayStatus status(&fixture.api());
    window->setGatewayStatus(&status);
    const auto poll = [&status] {
        QSignalSpy polled(&status, &GatewayStatus::polled);
        status.poll();
        return polled.wait(10000);
    };
    QVERIFY(poll());
    QVERIFY(!state->isHidden());
    QVERIFY2(state->text().contains(u"Running"_s), qPrintable(state->text()));
    const auto *address = window->findChild<QLabel *>(u"addressLabel"_s);
    QVERIFY(address->text().contains(window->connection().openAiBaseUrl()));

    QCOMPARE(fixture.gateway().post("/gateway/pause", QJsonObject{}).status, 200);
    QVERIFY(poll());
    QVERIFY2(state->text().contains(u"Paused"_s), qPrintable(state->text()));
    QCOMPARE(fixture.gateway().post("/gateway/resume", QJsonObject{}).status, 200);
    QVERIFY(poll());
    QVERIFY2(state->text().contains(u"Running"_s), qPrintable(state->text()));

    // The gateway gone (stopped for a restart, or crashed): said so.
    fixture.gateway().stop();
    QVERIFY(poll());
    QVERIFY2(state->text().contains(u"Stopped"_s), qPrintable(state->text()));
}

void TestMainWindow::aLongAddressIsElidedNotCut()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    ConnectionInfo info = fixture.connection();
    info.baseUrl = QUrl(u"http://gateway-for-the-whole-platform-team.internal.example.com:4000"_s);
    MainWindow window(&fixture.api(), &fixture.settings(), info);
    window.resize(900, 600);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const auto *address = window.findChild<QLabel *>(u"addressLabel"_s);
    const auto *copy = window.findChild<QPushButton *>(u"copyBaseUrlButton"_s);
    QVERIFY(address && copy);
    // Elided in the middle, whole in the tooltip, and the buttons keep their place on screen.
    QTRY_VERIFY2(address->text().contains(u"…"_s),
                 qPrintable(address->text() + u" label %1 px, window %2 px"_s.arg(address->width()).arg(window.width())));
    QCOMPARE(address->toolTip(), info.openAiBaseUrl());
    QVERIFY(address->geometry().right() <= copy->geometry().left());
    QVERIFY(copy->mapTo(&window, QPoint(copy->width(), 0)).x() <= window.width());
    // Wide enough again: the whole address.
    window.resize(1900, 600);
    QTRY_VERIFY2(address->text().contains(info.openAiBaseUrl()), qPrintable(address->text()));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
