#include "tests/ui/uifixture.h"
#include "ui/format.h"
#include "ui/models/budgettablemodel.h"
#include "ui/pages/budgetspage.h"
#include "ui/progressdelegate.h"
#include "ui/tableview.h"

#include <QAbstractItemModelTester>
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

QTEST_MAIN(TestBudgetsPage)
#include "tst_budgetspage.moc"
