#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/confirm.h"
#include "ui/dialogs/enduserdialog.h"
#include "ui/dialogs/globalbudgetdialog.h"
#include "ui/dialogs/keydialog.h"
#include "ui/dialogs/userdialog.h"
#include "ui/mainwindow.h"
#include "ui/pages/keyspage.h"
#include "ui/pages/userspage.h"
#include "ui/spendmath.h"
#include "ui/format.h"
#include "ui/models/budgettablemodel.h"
#include "ui/models/keytablemodel.h"
#include "ui/models/usertablemodel.h"
#include "ui/pages/budgetspage.h"
#include "ui/pages/dashboardpage.h"
#include "ui/progressdelegate.h"
#include "ui/tableview.h"

#include <QAbstractItemModelTester>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

namespace {

QString makeKey(UiFixture &fixture, const QJsonObject &fields, QByteArray *key = nullptr)
{
    const QJsonObject json = fixture.gateway().post("/key/generate", fields).json();
    if (key)
        *key = json.value(u"key"_s).toString().toUtf8();
    return json.value(u"token"_s).toString();
}

BudgetRecord budget(BudgetRecord::Scope scope, const QString &id, double spend, std::optional<double> max)
{
    BudgetRecord record;
    record.scope = scope;
    record.scopeId = id;
    record.name = id;
    record.budget.spend = spend;
    record.budget.maxBudget = max;
    return record;
}

} // namespace

class TestBudgetsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsEveryScopeWithABudget();
    void keyShowsItsFractionAfterCalls();
    void softLimitIsFlaggedWhenPassed();
    void mostUsedBudgetSortsFirst();
    void resetCountdownFollowsTheClock();
    void tableModelPassesTheModelTester();
    void keyRowsAreNamedByAliasOrKeyNameNeverByHash();
    void keyWhoseOwnerHasABudgetSaysWhichApplies();
    void pageSaysWhatTheBudgetModeDoes();
    void barsTurnAmberAtTheSoftLimitOr80AndRedWhenUsedUp();
    void globalBudgetIsSetChangedAndRemovedFromTheWholeGatewayRow();
    void globalBudgetSavesWhatItsFieldShows_data();
    void globalBudgetSavesWhatItsFieldShows();
    void dashboardPointsToTheGlobalBudgetsRow();
    void pageKeepsAHistoryOfBudgetEventsNamedByAlias();
    void rowsAreResetToppedUpAndEditedInTheirOwnersDialogs();
    void openOwnerShowsTheRowOnItsPage();
    void runsOutColumnForecastsEachBudget();
};

void TestBudgetsPage::listsEveryScopeWithABudget()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QString limited = makeKey(fixture, {{u"key_alias"_s, u"limited"_s}, {u"max_budget"_s, 5.0}});
    makeKey(fixture, {{u"key_alias"_s, u"unlimited"_s}});
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"erin"_s}, {u"max_budget"_s, 20.0},
                                                    {u"auto_create_key"_s, false}});
    fixture.gateway().post("/customer/new", QJsonObject{{u"user_id"_s, u"shop-42"_s}, {u"max_budget"_s, 1.0}});
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const BudgetTableModel *model = page.model();
    QCOMPARE(model->rowCount(), 4);   // global, erin, limited, shop-42 — not "unlimited"
    QVERIFY(model->rowOf(BudgetRecord{BudgetRecord::Scope::Global, {}, {}, {}}.id()) >= 0);
    QVERIFY(model->rowOf(BudgetRecord{BudgetRecord::Scope::User, u"erin"_s, {}, {}}.id()) >= 0);
    QVERIFY(model->rowOf(BudgetRecord{BudgetRecord::Scope::EndUser, u"shop-42"_s, {}, {}}.id()) >= 0);
    const int row = model->rowOf(BudgetRecord{BudgetRecord::Scope::Key, limited, {}, {}}.id());
    QVERIFY(row >= 0);
    QCOMPARE(model->index(row, BudgetTableModel::Name).data().toString(), u"limited"_s);
    QCOMPARE(model->index(row, BudgetTableModel::Scope).data().toString(), u"Key"_s);
}

void TestBudgetsPage::keyShowsItsFractionAfterCalls()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QByteArray key;
    const QString token = makeKey(fixture, {{u"key_alias"_s, u"capped"_s}, {u"max_budget"_s, 0.001}}, &key);
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const BudgetTableModel *model = page.model();
    const QString id = BudgetRecord{BudgetRecord::Scope::Key, token, {}, {}}.id();
    QCOMPARE(model->index(model->rowOf(id), BudgetTableModel::Used).data(ProgressDelegate::FractionRole).toDouble(), 0.0);

    QCOMPARE(fixture.chat(key, u"gpt-a"_s), 200);
    QVERIFY(UiFixture::refreshAndWait(&page));
    const int row = model->rowOf(id);
    const double spend = fixture.gateway().get("/global/spend").json().value(u"spend"_s).toDouble();
    QVERIFY(spend > 0);
    const double fraction = model->index(row, BudgetTableModel::Used).data(ProgressDelegate::FractionRole).toDouble();
    QVERIFY2(qAbs(fraction - spend / 0.001) < 1e-6, qPrintable(QString::number(fraction)));
    QCOMPARE(model->index(row, BudgetTableModel::Used).data().toString(), Format::percent(spend / 0.001));
    // The bar paints without complaint.
    page.resize(900, 400);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    page.view()->viewport()->repaint();
}

void TestBudgetsPage::softLimitIsFlaggedWhenPassed()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QByteArray key;
    const QString token = makeKey(
        fixture, {{u"key_alias"_s, u"soft"_s}, {u"max_budget"_s, 1.0}, {u"soft_budget"_s, 0.000001}}, &key);
    const QString calm = makeKey(fixture, {{u"key_alias"_s, u"calm"_s}, {u"max_budget"_s, 1.0}, {u"soft_budget"_s, 0.5}});
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const BudgetTableModel *model = page.model();
    const auto softCell = [model](const QString &token) {
        return model->index(model->rowOf(BudgetRecord{BudgetRecord::Scope::Key, token, {}, {}}.id()),
                            BudgetTableModel::SoftLimit);
    };
    QVERIFY(!softCell(token).data(Qt::DecorationRole).isValid());

    QCOMPARE(fixture.chat(key, u"gpt-a"_s), 200);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QVERIFY(softCell(token).data().toString().contains(u"passed"_s));
    QVERIFY(softCell(token).data(Qt::DecorationRole).isValid());
    QVERIFY(!softCell(token).data(Qt::ToolTipRole).toString().isEmpty());
    QVERIFY(!softCell(calm).data().toString().contains(u"passed"_s));
    QVERIFY(!softCell(calm).data(Qt::DecorationRole).isValid());
}

void TestBudgetsPage::mostUsedBudgetSortsFirst()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QByteArray key;
    makeKey(fixture, {{u"key_alias"_s, u"roomy"_s}, {u"max_budget"_s, 100.0}});
    makeKey(fixture, {{u"key_alias"_s, u"tight"_s}, {u"max_budget"_s, 0.01}}, &key);
    QCOMPARE(fixture.chat(key, u"gpt-a"_s), 200);
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const QAbstractItemModel *proxy = page.view()->proxy();
    QCOMPARE(proxy->index(0, BudgetTableModel::Name).data().toString(), u"tight"_s);
    // The global budget has no max here: it sorts last.
    QCOMPARE(proxy->index(proxy->rowCount() - 1, BudgetTableModel::Scope).data().toString(), u"Global"_s);
}

void TestBudgetsPage::resetCountdownFollowsTheClock()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QString token
        = makeKey(fixture, {{u"key_alias"_s, u"hourly"_s}, {u"max_budget"_s, 1.0}, {u"budget_duration"_s, u"1h"_s}});
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    BudgetTableModel *model = page.model();
    const QModelIndex cell
        = model->index(model->rowOf(BudgetRecord{BudgetRecord::Scope::Key, token, {}, {}}.id()), BudgetTableModel::ResetsIn);
    QVERIFY2(cell.data().toString().startsWith(u"in "_s), qPrintable(cell.data().toString()));
    QCOMPARE(model->index(cell.row(), BudgetTableModel::Period).data().toString(), u"1h"_s);
    model->setNow(QDateTime::currentDateTimeUtc().addSecs(7200));
    QCOMPARE(cell.data().toString(), u"due"_s);
}

void TestBudgetsPage::tableModelPassesTheModelTester()
{
    BudgetTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRecords({budget(BudgetRecord::Scope::Global, {}, 1.0, std::nullopt),
                      budget(BudgetRecord::Scope::Key, u"k1"_s, 0.5, 1.0),
                      budget(BudgetRecord::Scope::User, u"u1"_s, 3.0, 2.0)});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(model.rowOf(budget(BudgetRecord::Scope::Key, u"k1"_s, 0, {}).id()), BudgetTableModel::Used)
                 .data(ProgressDelegate::FractionRole)
                 .toDouble(),
             0.5);
    model.setRecords({budget(BudgetRecord::Scope::Key, u"k1"_s, 0.9, 1.0),
                      budget(BudgetRecord::Scope::EndUser, u"e1"_s, 0.0, 1.0)});
    QCOMPARE(model.rowCount(), 2);
    model.setNow(QDateTime::currentDateTimeUtc());
    model.setRecords({});
    QCOMPARE(model.rowCount(), 0);
}

void TestBudgetsPage::keyRowsAreNamedByAliasOrKeyNameNeverByHash()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QString plain = makeKey(fixture, {{u"max_budget"_s, 5.0}});
    const QString named = makeKey(fixture, {{u"key_alias"_s, u"named"_s}, {u"max_budget"_s, 5.0}});
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    BudgetTableModel *model = page.model();
    for (const QString &token : {plain, named}) {
        const int row = model->rowOf(BudgetRecord{BudgetRecord::Scope::Key, token, {}, {}}.id());
        QVERIFY(row >= 0);
        const QModelIndex name = model->index(row, BudgetTableModel::Name);
        QVERIFY2(!name.data().toString().contains(token.left(6)), qPrintable(name.data().toString()));
        QVERIFY2(!name.data(Qt::ToolTipRole).toString().contains(token.left(6)),
                 qPrintable(name.data(Qt::ToolTipRole).toString()));
    }
    const int plainRow = model->rowOf(BudgetRecord{BudgetRecord::Scope::Key, plain, {}, {}}.id());
    QVERIFY(model->index(plainRow, BudgetTableModel::Name).data().toString().startsWith(u"sk-"_s));
    const int namedRow = model->rowOf(BudgetRecord{BudgetRecord::Scope::Key, named, {}, {}}.id());
    QCOMPARE(model->index(namedRow, BudgetTableModel::Name).data().toString(), u"named"_s);
    QVERIFY(model->index(namedRow, BudgetTableModel::Name).data(Qt::ToolTipRole).toString().startsWith(u"sk-"_s));
}

void TestBudgetsPage::keyWhoseOwnerHasABudgetSaysWhichApplies()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"dana"_s}, {u"max_budget"_s, 10.0},
                                                    {u"auto_create_key"_s, false}});
    const QString token = makeKey(fixture, {{u"key_alias"_s, u"danas"_s}, {u"user_id"_s, u"dana"_s}, {u"max_budget"_s, 2.0}});
    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const int row = page.model()->rowOf(BudgetRecord{BudgetRecord::Scope::Key, token, {}, {}}.id());
    QVERIFY(row >= 0);
    const QString tip = page.model()->index(row, BudgetTableModel::Name).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(u"Its user dana has a budget too ($0 of $10.00)"_s), qPrintable(tip));
}

void TestBudgetsPage::pageSaysWhatTheBudgetModeDoes()
{
    UiFixture fixture;   // reserve, the default
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    auto *page = window->page<BudgetsPage>();
    QVERIFY(page);
    QVERIFY2(page->introText().contains(u"at most their own cost"_s), qPrintable(page->introText()));
    page->setBudgetMode(u"strict"_s);
    QVERIFY2(page->introText().contains(u"no budget is ever exceeded"_s), qPrintable(page->introText()));
    QVERIFY(!page->introText().contains(u"at most their own cost"_s));
    QCOMPARE(page->findChild<QLabel *>(u"introLabel"_s)->text(), page->introText());

    Config strict = GatewayFixture::defaultConfig();
    strict.general.budgetEnforcement = BudgetEnforcement::Strict;
    UiFixture strictFixture(strict);
    QVERIFY(strictFixture.start());
    auto strictWindow = strictFixture.createWindow();
    QVERIFY(strictWindow->page<BudgetsPage>()->introText().startsWith(u"Strict mode"_s));
}

void TestBudgetsPage::barsTurnAmberAtTheSoftLimitOr80AndRedWhenUsedUp()
{
    BudgetTableModel model;
    BudgetRecord soft = budget(BudgetRecord::Scope::Key, u"soft"_s, 0.3, 1.0);
    soft.budget.softBudget = 0.25;
    model.setRecords({budget(BudgetRecord::Scope::Key, u"low"_s, 0.5, 1.0), budget(BudgetRecord::Scope::Key, u"high"_s, 0.8, 1.0),
                      budget(BudgetRecord::Scope::Key, u"out"_s, 1.0, 1.0), soft,
                      budget(BudgetRecord::Scope::Key, u"none"_s, 3.0, std::nullopt)});
    const auto level = [&model](const QString &id) {
        const int row = model.rowOf(BudgetRecord{BudgetRecord::Scope::Key, id, {}, {}}.id());
        return model.index(row, BudgetTableModel::Used).data(ProgressDelegate::LevelRole).toInt();
    };
    QCOMPARE(level(u"low"_s), int(ProgressDelegate::Normal));
    QCOMPARE(level(u"high"_s), int(ProgressDelegate::Warning));
    QCOMPARE(level(u"soft"_s), int(ProgressDelegate::Warning));
    QCOMPARE(level(u"out"_s), int(ProgressDelegate::Critical));
    QCOMPARE(level(u"none"_s), int(ProgressDelegate::Normal));
    const QPalette palette;
    const QColor normal = ProgressDelegate::barColor(ProgressDelegate::Normal, palette);
    const QColor amber = ProgressDelegate::barColor(ProgressDelegate::Warning, palette);
    const QColor red = ProgressDelegate::barColor(ProgressDelegate::Critical, palette);
    QCOMPARE(normal, palette.color(QPalette::Highlight));
    QVERIFY(amber != normal && red != normal && amber != red);
    QVERIFY(red.red() > red.green() && amber.red() > amber.blue());
}

void TestBudgetsPage::globalBudgetIsSetChangedAndRemovedFromTheWholeGatewayRow()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    auto *page = UiFixture::showPage<BudgetsPage>(*window);
    QVERIFY(page);
    const QString globalId = BudgetRecord{BudgetRecord::Scope::Global, {}, {}, {}}.id();
    const auto globalInfo = [&fixture] {
        return fixture.gateway().get("/user/info?user_id=litellm-proxy-budget").json().value(u"user_info"_s).toObject();
    };
    const auto edit = [&](const std::function<void(GlobalBudgetDialog *)> &fill) {
        if (!Pages::trigger(page, u"editGlobalBudgetAction"_s))
            return false;
        auto *dialog = Pages::waitForDialog<GlobalBudgetDialog>(page);
        if (!dialog)
            return false;
        fill(dialog);
        dialog->accept();
        return Pages::settle(fixture, page);
    };

    // Set.
    QVERIFY(edit([](GlobalBudgetDialog *dialog) {
        dialog->setLimited(true);
        dialog->setMaxBudget(12.5);
        dialog->setDuration(u"monthly"_s);
    }));
    QCOMPARE(globalInfo().value(u"max_budget"_s).toDouble(), 12.5);
    // (The gateway answers a period in its own spelling: "monthly" comes back as "1mo".)
    QVERIFY(!globalInfo().value(u"budget_duration"_s).toString().isEmpty());
    const int row = page->model()->rowOf(globalId);
    QVERIFY(row >= 0);
    QCOMPARE(page->model()->index(row, BudgetTableModel::Max).data().toString(), u"$12.50"_s);

    // Changed: the dialog opens with the current values and sends only what changed (the
    // period again would restart the budget window).
    const QString resetAt = globalInfo().value(u"budget_reset_at"_s).toString();
    QVERIFY(!resetAt.isEmpty());
    QVERIFY(edit([](GlobalBudgetDialog *dialog) {
        QCOMPARE(dialog->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s)->value(), 12.5);
        QCOMPARE(dialog->requestBody().size(), 1);
        dialog->setMaxBudget(20.0);
        QVERIFY(!dialog->requestBody().contains(u"budget_duration"_s));
    }));
    QCOMPARE(globalInfo().value(u"max_budget"_s).toDouble(), 20.0);
    QCOMPARE(globalInfo().value(u"budget_reset_at"_s).toString(), resetAt);
    QVERIFY(!globalInfo().value(u"budget_duration"_s).toString().isEmpty());

    // Removed: neither a max nor a reset remains.
    QVERIFY(edit([](GlobalBudgetDialog *dialog) { dialog->setLimited(false); }));
    QVERIFY(globalInfo().value(u"max_budget"_s).isNull());
    QVERIFY(globalInfo().value(u"budget_duration"_s).isNull());
    QVERIFY(fixture.gateway().get("/global/spend").json().value(u"max_budget"_s).isNull());
    QCOMPARE(page->model()->index(page->model()->rowOf(globalId), BudgetTableModel::Max).data().toString(), u"no limit"_s);
}

void TestBudgetsPage::globalBudgetSavesWhatItsFieldShows_data()
{
    QTest::addColumn<double>("before");
    QTest::addColumn<QString>("typed");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<double>("saved");
    QTest::newRow("zero after $500") << 500.0 << u"0"_s << true << 0.0;
    QTest::newRow("zero after the largest budget") << 999999999.0 << u"0"_s << true << 0.0;
    QTest::newRow("less than a cent") << 500.0 << u"0.008"_s << true << 0.008;
    QTest::newRow("millionths, like a key's budget") << 500.0 << u"12.345678"_s << true << 12.345678;
    // An emptied field has no value: Enter keeps the dialog open (the old $500 is not saved
    // behind an empty field).
    QTest::newRow("emptied") << 500.0 << QString() << false << 0.0;
}

// Typed and saved with Enter (the dialog's default button): what is sent is what the field
// showed when Enter was pressed, never an earlier value the field fell back to.
void TestBudgetsPage::globalBudgetSavesWhatItsFieldShows()
{
    QFETCH(double, before);
    QFETCH(QString, typed);
    QFETCH(bool, accepted);
    QFETCH(double, saved);
    BudgetInfo current;
    current.maxBudget = before;
    GlobalBudgetDialog dialog(current);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *spin = dialog.findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s);
    QVERIFY(spin);
    spin->setFocus();
    spin->selectAll();
    QTest::keyClick(spin, Qt::Key_Delete);
    QTest::keyClicks(spin, typed);
    const QString shown = spin->text();
    QCOMPARE(shown, u"$"_s + typed);
    QCOMPARE(dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled(), accepted);
    QTest::keyClick(spin, Qt::Key_Return);
    QCOMPARE(dialog.result() == QDialog::Accepted, accepted);
    QCOMPARE(dialog.isVisible(), !accepted);
    if (!accepted) {
        QCOMPARE(spin->text(), shown);
        return;
    }
    QCOMPARE(dialog.requestBody().value(u"max_budget"_s).toDouble(), saved);
    QCOMPARE(spin->value(), saved);
}

void TestBudgetsPage::dashboardPointsToTheGlobalBudgetsRow()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    DashboardPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    const QString text = page.findChild<QLabel *>(u"remainingDetailLabel"_s)->text();
    QVERIFY2(text.contains(u"Budgets page"_s) && !text.contains(u"Settings"_s), qPrintable(text));
}

void TestBudgetsPage::pageKeepsAHistoryOfBudgetEventsNamedByAlias()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QByteArray probeKey;
    makeKey(fixture, {{u"key_alias"_s, u"probe"_s}}, &probeKey);
    QCOMPARE(fixture.chat(probeKey), 200);
    const double cost =
        fixture.gateway().get("/key/info", probeKey).json().value(u"info"_s).toObject().value(u"spend"_s).toDouble();
    QVERIFY(cost > 0);
    // One call passes 80 % and 95 %, the next uses the budget up; a soft limit on another key.
    QByteArray key;
    const QString token = makeKey(fixture, {{u"key_alias"_s, u"nearly"_s}, {u"max_budget"_s, cost / 0.96}}, &key);
    QCOMPARE(fixture.chat(key), 200);
    QCOMPARE(fixture.chat(key), 200);
    QByteArray softKey;
    makeKey(fixture, {{u"key_alias"_s, u"soft"_s}, {u"soft_budget"_s, cost / 2}}, &softKey);
    QCOMPARE(fixture.chat(softKey), 200);

    BudgetsPage page(&fixture.api());
    QTableWidget *events = page.eventsTable();
    QVERIFY(events);
    QVERIFY(QTest::qWaitFor([&] { return UiFixture::refreshAndWait(&page) && events->rowCount() >= 4; }, 10000));
    QStringList rows;
    for (int row = 0; row < events->rowCount(); ++row) {
        QStringList cells;
        for (int column = 0; column < BudgetsPage::EventColumnCount; ++column)
            cells.append(events->item(row, column)->text());
        rows.append(cells.join(u" | "_s));
        // Named as people know the key, never by its hash; the time in the one date format.
        QVERIFY2(!cells.join(u' ').contains(token.left(8)), qPrintable(rows.last()));
        QVERIFY2(QDateTime::fromString(cells.at(BudgetsPage::EventWhen), u"yyyy-MM-dd HH:mm"_s).isValid(),
                 qPrintable(rows.last()));
    }
    const QString all = rows.join(u'\n');
    // Newest first: the soft limit, then 100 %, 95 %, 80 % of "nearly".
    QCOMPARE(events->rowCount(), 4);
    QVERIFY2(rows.at(0).contains(u"Key soft"_s) && rows.at(0).contains(u"Soft limit"_s), qPrintable(all));
    QVERIFY2(rows.at(1).contains(u"Key nearly"_s) && rows.at(1).contains(u"100 %"_s), qPrintable(all));
    QVERIFY2(rows.at(2).contains(u"Key nearly"_s) && rows.at(2).contains(u"95 %"_s), qPrintable(all));
    QVERIFY2(rows.at(3).contains(u"Key nearly"_s) && rows.at(3).contains(u"80 %"_s), qPrintable(all));
}

namespace {

double infoValue(UiFixture &fixture, const QByteArray &path, const QString &object, const QString &field)
{
    return fixture.gateway().get(path).json().value(object).toObject().value(field).toDouble(-1);
}

int rowOf(const BudgetsPage &page, BudgetRecord::Scope scope, const QString &id)
{
    return page.model()->rowOf(BudgetRecord{scope, id, {}, {}}.id());
}

} // namespace

void TestBudgetsPage::rowsAreResetToppedUpAndEditedInTheirOwnersDialogs()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QString token = makeKey(fixture, {{u"key_alias"_s, u"capped"_s}, {u"max_budget"_s, 1.0}});
    QCOMPARE(fixture.gateway().post("/key/update", {{u"key"_s, token}, {u"spend"_s, 0.4}}).status, 200);
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"erin"_s}, {u"max_budget"_s, 20.0},
                                                    {u"auto_create_key"_s, false}});
    fixture.gateway().post("/customer/new", QJsonObject{{u"user_id"_s, u"shop-42"_s}, {u"max_budget"_s, 1.0}});
    BudgetsPage page(&fixture.api());
    page.resize(1000, 600);
    page.show();
    QVERIFY(UiFixture::refreshAndWait(&page));
    const auto select = [&page](BudgetRecord::Scope scope, const QString &id) {
        const int row = rowOf(page, scope, id);
        if (row < 0)
            return false;
        page.view()->selectSourceRow(row);
        return page.view()->currentSourceRow() == row;
    };
    const QByteArray keyInfo = "/key/info?key=" + token.toUtf8();

    // Nothing selected: the row actions wait.
    page.view()->clearSelection();
    page.view()->setCurrentIndex({});
    QVERIFY(!page.findChild<QAction *>(u"resetSpendAction"_s)->isEnabled());

    // Reset spend: asked first; a "no" leaves it.
    QVERIFY(select(BudgetRecord::Scope::Key, token));
    Confirm::setAutomaticAnswer(false);
    const int asked = Confirm::asked();
    QVERIFY(Pages::trigger(&page, u"resetSpendAction"_s));
    QCOMPARE(Confirm::asked(), asked + 1);
    QVERIFY(Pages::settle(fixture, &page));
    QCOMPARE(infoValue(fixture, keyInfo, u"info"_s, u"spend"_s), 0.4);
    Confirm::setAutomaticAnswer(true);
    QVERIFY(select(BudgetRecord::Scope::Key, token));
    QVERIFY(Pages::trigger(&page, u"resetSpendAction"_s));
    Confirm::setAutomaticAnswer(std::nullopt);
    QVERIFY(Pages::settle(fixture, &page));
    QCOMPARE(infoValue(fixture, keyInfo, u"info"_s, u"spend"_s), 0.0);
    QCOMPARE(page.model()->records().at(rowOf(page, BudgetRecord::Scope::Key, token)).budget.spend, 0.0);
    // Nothing left to reset.
    QVERIFY(select(BudgetRecord::Scope::Key, token));
    QVERIFY(!page.findChild<QAction *>(u"resetSpendAction"_s)->isEnabled());

    // Top up: the max grows by the amount asked.
    QVERIFY(Pages::trigger(&page, u"topUpAction"_s));
    auto *amount = Pages::waitForDialog<QInputDialog>(&page);
    QVERIFY(amount);
    amount->setDoubleValue(2.5);
    amount->accept();
    QVERIFY(Pages::settle(fixture, &page));
    QCOMPARE(infoValue(fixture, keyInfo, u"info"_s, u"max_budget"_s), 3.5);
    // The user's too.
    QVERIFY(select(BudgetRecord::Scope::User, u"erin"_s));
    QVERIFY(Pages::trigger(&page, u"topUpAction"_s));
    amount = Pages::waitForDialog<QInputDialog>(&page);
    QVERIFY(amount);
    amount->setDoubleValue(10);
    amount->accept();
    QVERIFY(Pages::settle(fixture, &page));
    QCOMPARE(infoValue(fixture, "/user/info?user_id=erin", u"user_info"_s, u"max_budget"_s), 30.0);

    // Edit… opens the owner's own dialog, and what it changes goes to the owner.
    QVERIFY(select(BudgetRecord::Scope::Key, token));
    QVERIFY(Pages::trigger(&page, u"editBudgetAction"_s));
    auto *keyDialog = Pages::waitForDialog<KeyDialog>(&page);
    QVERIFY(keyDialog);
    keyDialog->reject();
    QVERIFY(select(BudgetRecord::Scope::User, u"erin"_s));
    page.view()->rowActivated(page.view()->currentSourceRow());   // a double click edits too
    auto *userDialog = Pages::waitForDialog<UserDialog>(&page);
    QVERIFY(userDialog);
    userDialog->reject();
    QVERIFY(select(BudgetRecord::Scope::EndUser, u"shop-42"_s));
    QVERIFY(Pages::trigger(&page, u"editBudgetAction"_s));
    auto *endUserDialog = Pages::waitForDialog<EndUserDialog>(&page);
    QVERIFY(endUserDialog);
    auto *max = endUserDialog->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s);
    QVERIFY(max);
    max->setValue(7);
    endUserDialog->accept();
    QVERIFY(Pages::settle(fixture, &page));
    QCOMPARE(fixture.gateway().get("/customer/info?end_user_id=shop-42").json().value(u"max_budget"_s).toDouble(), 7.0);
    QVERIFY(select(BudgetRecord::Scope::Global, {}));
    QVERIFY(Pages::trigger(&page, u"editBudgetAction"_s));
    auto *globalDialog = Pages::waitForDialog<GlobalBudgetDialog>(&page);
    QVERIFY(globalDialog);
    globalDialog->reject();
}

void TestBudgetsPage::openOwnerShowsTheRowOnItsPage()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const QString token = makeKey(fixture, {{u"key_alias"_s, u"capped"_s}, {u"max_budget"_s, 1.0}});
    makeKey(fixture, {{u"key_alias"_s, u"another"_s}, {u"max_budget"_s, 2.0}});
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"erin"_s}, {u"max_budget"_s, 20.0},
                                                    {u"auto_create_key"_s, false}});
    auto window = fixture.createWindow();
    auto *page = UiFixture::showPage<BudgetsPage>(*window);
    QVERIFY(page);
    page->view()->selectSourceRow(rowOf(*page, BudgetRecord::Scope::Global, {}));
    QVERIFY(!page->findChild<QAction *>(u"openOwnerAction"_s)->isEnabled());   // the gateway has no page

    page->view()->selectSourceRow(rowOf(*page, BudgetRecord::Scope::Key, token));
    QVERIFY(Pages::trigger(page, u"openOwnerAction"_s));
    auto *keys = window->page<KeysPage>();
    QCOMPARE(window->currentPage(), keys);
    QTRY_VERIFY(keys->model()->recordAt(keys->tableView()->currentSourceRow())
                && keys->model()->recordAt(keys->tableView()->currentSourceRow())->token == token);

    window->showPage(page);
    QVERIFY(UiFixture::refreshAndWait(page));
    page->view()->selectSourceRow(rowOf(*page, BudgetRecord::Scope::User, u"erin"_s));
    QVERIFY(Pages::trigger(page, u"openOwnerAction"_s));
    auto *users = window->page<UsersPage>();
    QCOMPARE(window->currentPage(), users);
    QTRY_VERIFY(users->model()->recordAt(users->tableView()->currentSourceRow())
                && users->model()->recordAt(users->tableView()->currentSourceRow())->userId == u"erin");
}

void TestBudgetsPage::runsOutColumnForecastsEachBudget()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    // alice: 5 of 10 spent in a 30-day period that just began: 5 a day (over at least a day),
    // so she runs out tomorrow.
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"alice"_s}, {u"max_budget"_s, 10.0},
                                                    {u"budget_duration"_s, u"30d"_s}, {u"auto_create_key"_s, false}});
    QCOMPARE(fixture.gateway().post("/user/update", {{u"user_id"_s, u"alice"_s}, {u"spend"_s, 5.0}}).status, 200);
    // A key without a period: the last 7 days' spend from the report, one call's worth.
    QByteArray raw;
    const QString spending = makeKey(fixture, {{u"key_alias"_s, u"spending"_s}, {u"max_budget"_s, 1.0}}, &raw);
    QCOMPARE(fixture.chat(raw, u"gpt-a"_s), 200);
    const QString idle = makeKey(fixture, {{u"key_alias"_s, u"idle"_s}, {u"max_budget"_s, 1.0}});
    const QString usedUp = makeKey(fixture, {{u"key_alias"_s, u"used-up"_s}, {u"max_budget"_s, 1.0}});
    QCOMPARE(fixture.gateway().post("/key/update", {{u"key"_s, usedUp}, {u"spend"_s, 1.0}}).status, 200);

    BudgetsPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QVERIFY(UiFixture::refreshAndWait(&page));   // the rates came with the first refresh
    const BudgetTableModel *model = page.model();
    const auto runsOut = [&](BudgetRecord::Scope scope, const QString &id) {
        return model->index(rowOf(page, scope, id), BudgetTableModel::RunsOut).data().toString();
    };
    const QDate tomorrow = QDateTime::currentDateTimeUtc().addDays(1).toLocalTime().date();
    QCOMPARE(runsOut(BudgetRecord::Scope::User, u"alice"_s), Format::date(tomorrow));
    QCOMPARE(runsOut(BudgetRecord::Scope::Key, idle), u"—"_s);
    QCOMPARE(runsOut(BudgetRecord::Scope::Key, usedUp), BudgetTableModel::tr("used up"));

    const double spend = infoValue(fixture, "/key/info?key=" + spending.toUtf8(), u"info"_s, u"spend"_s);
    QVERIFY(spend > 0);
    const int row = rowOf(page, BudgetRecord::Scope::Key, spending);
    QCOMPARE(model->records().at(row).recentRatePerDay, spend / 7);
    const SpendMath::RunOut out
        = SpendMath::runOut(spend, 1.0, spend / 7, model->now());
    const QString expected = out.kind == SpendMath::RunOut::Kind::On ? Format::date(out.at.toLocalTime().date()) : u"—"_s;
    QCOMPARE(runsOut(BudgetRecord::Scope::Key, spending), expected);
    QVERIFY(model->index(row, BudgetTableModel::RunsOut).data(Qt::ToolTipRole).toString().contains(u"7"_s));
}

QTEST_MAIN(TestBudgetsPage)
#include "tst_budgetspage.moc"
