#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/dialogs/keydialog.h"
#include "ui/gatewaystatus.h"
#include "ui/page.h"
#include "ui/pages/dashboardpage.h"
#include "ui/pages/keyspage.h"

#include <QDir>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QTranslator>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Tollgate::Test::Pages;

// Renders every page of the window, with a little realistic data, to PNG. In CTest the
// images go to a temporary folder and are only checked; scripts/screenshots sets
// TOLLGATE_SCREENSHOT_DIR=docs/screenshots to refresh the README's images.
class TestScreenshots : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPageRendersToAnImage();

private:
    static Config pricedConfig();
    static void seed(UiFixture &fixture);
};

Config TestScreenshots::pricedConfig()
{
    Config config = GatewayFixture::defaultConfig();
    // Prices of real models, so the figures look like a working day's.
    const QList<QPair<double, double>> prices{{2.5e-6, 10e-6}, {0.15e-6, 0.6e-6}, {1.1e-6, 4.4e-6}};
    const QStringList names{u"gpt-4o"_s, u"gpt-4o-mini"_s, u"o3-mini"_s};
    for (int i = 0; i < config.models.size() && i < names.size(); ++i) {
        config.models[i].modelName = names.at(i);
        config.models[i].upstreamModel = names.at(i);
        config.models[i].inputCostPerToken = prices.at(i).first;
        config.models[i].outputCostPerToken = prices.at(i).second;
    }
    config.litellm.maxBudget = 25.0;
    config.litellm.budgetDuration = *Duration::parse(u"30d"_s);
    return config;
}

void TestScreenshots::seed(UiFixture &fixture)
{
    GatewayFixture &gateway = fixture.gateway();
    gateway.post("/user/new", QJsonObject{{u"user_id"_s, u"alice@example.com"_s},
                                          {u"user_email"_s, u"alice@example.com"_s},
                                          {u"max_budget"_s, 10.0},
                                          {u"budget_duration"_s, u"monthly"_s},
                                          {u"auto_create_key"_s, false}});
    gateway.post("/user/new", QJsonObject{{u"user_id"_s, u"bob@example.com"_s},
                                          {u"user_email"_s, u"bob@example.com"_s},
                                          {u"auto_create_key"_s, false}});
    // A model added in the window (editable, and unpriced: the Models page flags it).
    gateway.post("/model/new", QJsonObject{{u"model_name"_s, u"team-llama"_s},
                                           {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/team-llama-70b"_s}}},
                                           {u"model_info"_s, QJsonObject{{u"access_groups"_s, QJsonArray{u"all-team"_s}}}}});
    struct KeySpec
    {
        QString alias;
        QString user;
        double maxBudget;
        double softBudget;
        int calls;
        QString model;
    };
    // One key well within its budget, one close to it (amber), one that used it up (red,
    // marked in the Keys list: its last calls were refused).
    const QList<KeySpec> keys{{u"alice-laptop"_s, u"alice@example.com"_s, 0.05, 0.03, 14, u"gpt-4o"_s},
                              {u"ci-bot"_s, QString(), 0.0002, 0.00015, 22, u"gpt-4o-mini"_s},
                              {u"bob-editor"_s, u"bob@example.com"_s, 0.0007, 0.0005, 9, u"o3-mini"_s}};
    for (const KeySpec &spec : keys) {
        QJsonObject body{{u"key_alias"_s, spec.alias},
                         {u"max_budget"_s, spec.maxBudget},
                         {u"soft_budget"_s, spec.softBudget},
                         {u"budget_duration"_s, u"1d"_s},
                         {u"rpm_limit"_s, 60},
                         {u"tpm_limit"_s, 100000}};
        if (!spec.user.isEmpty())
            body.insert(u"user_id"_s, spec.user);
        const QByteArray key = gateway.post("/key/generate", body).json().value(u"key"_s).toString().toUtf8();
        for (int call = 0; call < spec.calls; ++call)
            fixture.chat(key, spec.model, call % 3 == 0 ? u"customer-42"_s : u"customer-7"_s);
    }
    // A few calls with the master key itself (a script of the admin's): named "Master key".
    for (int call = 0; call < 3; ++call)
        fixture.chat(GatewayFixture::MasterKey, u"gpt-4o"_s);
}

void TestScreenshots::everyPageRendersToAnImage()
{
    // As the app: English plurals installed ("Last 30 days", not "Last 30 day(s)").
    QTranslator plurals;
    QVERIFY(plurals.load(u"tollgate_en"_s, QString::fromUtf8(TOLLGATE_QM_DIR)));
    QCoreApplication::installTranslator(&plurals);
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));

    UiFixture fixture(pricedConfig());
    QVERIFY2(fixture.start(), qPrintable(fixture.gateway().lastError()));
    seed(fixture);

    QTemporaryDir scratch;
    QString outputDir = qEnvironmentVariable("TOLLGATE_SCREENSHOT_DIR");
    if (outputDir.isEmpty())
        outputDir = scratch.path();
    QVERIFY(QDir().mkpath(outputDir));

    auto window = fixture.createWindow();
    // The header's state, as the app shows it.
    GatewayStatus status(&fixture.api());
    window->setGatewayStatus(&status);
    QSignalSpy polled(&status, &GatewayStatus::polled);
    status.poll();
    QVERIFY(polled.wait(10000));
    // TOLLGATE_SCREENSHOT_SIZE=1400x900 looks at another window size.
    // The window's own default size (MainWindow opens at 1280x800 where the screen has room;
    // the offscreen screen is smaller, so it is set here).
    QSize size(1280, 800);
    if (const QStringList parts = qEnvironmentVariable("TOLLGATE_SCREENSHOT_SIZE").split(u'x'); parts.size() == 2)
        size = QSize(parts.at(0).toInt(), parts.at(1).toInt());
    window->resize(size);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    const QStringList names{u"dashboard"_s, u"keys"_s, u"connect"_s, u"users"_s, u"end-users"_s,
                            u"models"_s, u"budgets"_s, u"spend-log"_s, u"settings"_s};
    QCOMPARE(window->pages().size(), names.size());
    for (int i = 0; i < names.size(); ++i) {
        Page *page = window->pages().at(i);
        window->showPage(page);
        QVERIFY2(UiFixture::refreshAndWait(page), qPrintable(page->title()));
        QTest::qWait(150);   // charts animate and lists resize their columns
        const QImage image = window->grab().toImage();
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), window->size() * window->devicePixelRatio());
        const QString file = QDir(outputDir).filePath(names.at(i) + u".png"_s);
        QVERIFY2(image.save(file), qPrintable(file));
        QVERIFY(QFileInfo(file).size() > 10000);
    }

    // The dashboard's hourly chart: the time axis labels every few hours.
    auto *dashboard = window->page<DashboardPage>();
    window->showPage(dashboard);
    dashboard->setGranularity(SpendMath::Granularity::Hour);
    QVERIFY(UiFixture::refreshAndWait(dashboard));
    QTest::qWait(150);
    const QString hourly = QDir(outputDir).filePath(u"dashboard-hourly.png"_s);
    QVERIFY2(window->grab().toImage().save(hourly), qPrintable(hourly));
    dashboard->setGranularity(SpendMath::Granularity::Day);

    // The New key dialog as it opens (budget and limit boxes in view).
    auto *keys = window->page<KeysPage>();
    window->showPage(keys);
    QVERIFY(trigger(keys, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(keys);
    QVERIFY(dialog);
    QTest::qWait(150);
    const QString file = QDir(outputDir).filePath(u"new-key-dialog.png"_s);
    QVERIFY2(dialog->grab().toImage().save(file), qPrintable(file));
    dialog->reject();
}

QTEST_MAIN(TestScreenshots)
#include "tst_screenshots.moc"
