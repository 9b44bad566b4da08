#include "tests/ui/uifixture.h"
#include "ui/banner.h"
#include "ui/page.h"

#include <QListWidget>
#include <QPushButton>
#include <QApplication>
#include <QClipboard>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPageRefreshesAgainstTheGateway();
    void copyButtonsPutTheBaseUrlAndSnippetOnTheClipboard();
    void apiErrorsShowInTheBanner();
    void theFirstStartWelcomesAndSaysWhereTheKeyIs();
    void everyStartWarningReachesTheBanner();
};

void TestMainWindow::everyPageRefreshesAgainstTheGateway()
{
    UiFixture fixture;
    QVERIFY2(fixture.start(), qPrintable(fixture.gateway().lastError()));
    auto window = fixture.createWindow();
    QCOMPARE(window->pages().size(), 8);
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
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
