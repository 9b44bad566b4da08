#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/confirm.h"
#include "ui/dialogs/keycreateddialog.h"
#include "ui/dialogs/keydialog.h"
#include "ui/models/keytablemodel.h"
#include "ui/models/budgettablemodel.h"
#include "ui/pages/budgetspage.h"
#include "ui/pages/keyspage.h"
#include "ui/tableview.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QIcon>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Tollgate::Test::Pages;

namespace {

// A started gateway and the window, on the Keys page, refreshed once.
struct KeysSetUp
{
    UiFixture fixture;
    std::unique_ptr<MainWindow> window;
    KeysPage *page = nullptr;

    bool start()
    {
        if (!fixture.start())
            return false;
        window = fixture.createWindow();
        page = UiFixture::showPage<KeysPage>(*window);
        return page != nullptr;
    }
    [[nodiscard]] int rowOfAlias(const QString &alias) const
    {
        return rowWhere(page->model(), [&](const KeyRecord &key) { return key.keyAlias == alias; });
    }
    [[nodiscard]] const KeyRecord *keyWithAlias(const QString &alias) const
    {
        return page->model()->recordAt(rowOfAlias(alias));
    }
    bool select(const QString &alias)
    {
        const int row = rowOfAlias(alias);
        page->tableView()->selectSourceRow(row);
        return row >= 0 && page->tableView()->currentSourceRow() == row;
    }
};

KeyRecord sampleKey(const QString &token, const QString &alias)
{
    KeyRecord key;
    key.token = token;
    key.keyName = u"sk-...%1"_s.arg(token.right(4));
    key.keyAlias = alias;
    key.models = {u"gpt-a"_s};
    key.budget.spend = 0.5;
    key.budget.maxBudget = 2.0;
    key.budget.duration = u"30d"_s;
    key.budget.resetAt = QDateTime::currentDateTimeUtc().addDays(3);
    key.limits.rpm = 60;
    return key;
}

} // namespace

class TestKeysPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void aKeyCreatedInTheDialogIsListedAndWorksOnlyForItsModels();
    void theCreatedKeyIsShownOnceWithACopyButton();
    void aTinyBudgetSetInTheEditDialogStopsTheKeyAndSwitchingItOffLiftsIt();
    void blockingAKeyRefusesItsCallsUntilItIsUnblocked();
    void regeneratingShowsANewKeyAndTheOldOneStopsWorking();
    void deletingAsksFirstAndKeepsTheKeyWhenTheAnswerIsNo();
    void theSearchFieldFiltersTheList();
    void theSelectionSurvivesARefresh();
    void theNewKeyDialogLeavesOutWhatHasNoLimit();
    void theEditDialogSendsOnlyWhatChanged();
    void switchingALimitOffSendsNull();
    void theKeyTableModelPassesTheModelTester();
    void theKeyTableModelGivesRawValuesForSorting();
    void overBudgetKeysAreMarkedAndTheOwnersBudgetShows();
    void budgetPeriodsAreNamedOnceAndMonthlyStaysMonthly();
    void stepsFromNoLimitNeverGiveZero();
    void anEmptiedBudgetFieldIsNotSavedAsItsOldValue();
    void theOwnersModelsAndLimitsShowWhereTheKeyHasNone();
    void anOwnerWhoIsNotAUserYetIsSaidBeforeTheKeyIsMade();
    void theModelsFieldOffersTheGatewaysModelsAndSaysAnUnknownName();
};

void TestKeysPage::cleanup()
{
    Confirm::setAutomaticAnswer(std::nullopt);
}

void TestKeysPage::aKeyCreatedInTheDialogIsListedAndWorksOnlyForItsModels()
{
    KeysSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError()));
    QCOMPARE(s.page->model()->rowCount(), 0);

    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(s.page);
    QVERIFY(dialog);
    QVERIFY(dialog->isNew());
    dialog->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"ci-pipeline"_s);
    dialog->findChild<QLineEdit *>(u"modelsLineEdit"_s)->setText(u"gpt-a, gpt-c"_s);
    dialog->findChild<QSpinBox *>(u"rpmLimitSpinBox"_s)->setValue(50);
    dialog->accept();

    const QString raw = takeShownKey(s.page);
    QVERIFY2(raw.startsWith(u"sk-"_s), qPrintable(raw));
    QVERIFY(settle(s.fixture, s.page));
    const KeyRecord *key = s.keyWithAlias(u"ci-pipeline"_s);
    QVERIFY(key);
    QCOMPARE(key->models, QStringList({u"gpt-a"_s, u"gpt-c"_s}));
    QCOMPARE(key->limits.rpm, std::optional<qint64>(50));
    QVERIFY(!key->budget.maxBudget);
    const int row = s.rowOfAlias(u"ci-pipeline"_s);
    // The new key is selected once listed.
    QCOMPARE(s.page->tableView()->currentSourceRow(), row);
    QCOMPARE(s.page->model()->index(row, KeyTableModel::Models).data().toString(), u"gpt-a, gpt-c"_s);

    QCOMPARE(s.fixture.chat(raw.toUtf8(), u"gpt-a"_s), 200);
    QCOMPARE(s.fixture.chat(raw.toUtf8(), u"gpt-c"_s), 200);
    QCOMPARE(s.fixture.chat(raw.toUtf8(), u"gpt-b"_s), 403);
}

void TestKeysPage::theCreatedKeyIsShownOnceWithACopyButton()
{
    KeysSetUp s;
    QVERIFY(s.start());
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(s.page);
    QVERIFY(dialog);
    dialog->accept();

    auto *shown = waitForDialog<KeyCreatedDialog>(s.page);
    QVERIFY(shown);
    auto *keyEdit = shown->findChild<QLineEdit *>(u"keyLineEdit"_s);
    QVERIFY(keyEdit->isReadOnly());
    const QString raw = keyEdit->text();
    QVERIFY(raw.startsWith(u"sk-"_s));
    shown->findChild<QPushButton *>(u"copyPushButton"_s)->click();
    QCOMPARE(QApplication::clipboard()->text(), raw);
    QVERIFY(shown->findChild<QLabel *>(u"warningLabel"_s)->text().contains(u"not be shown again"_s));
    shown->accept();
    // Gone with the dialog; the list shows only the key's name.
    QTRY_VERIFY(!s.page->findChild<KeyCreatedDialog *>());
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(s.page->model()->rowCount(), 1);
    const QString name = s.page->model()->index(0, KeyTableModel::Name).data().toString();
    QVERIFY2(name.startsWith(u"sk-..."_s) && name != raw, qPrintable(name));
}

void TestKeysPage::aTinyBudgetSetInTheEditDialogStopsTheKeyAndSwitchingItOffLiftsIt()
{
    KeysSetUp s;
    QVERIFY(s.start());
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *create = waitForDialog<KeyDialog>(s.page);
    QVERIFY(create);
    create->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"budgeted"_s);
    create->accept();
    const QByteArray raw = takeShownKey(s.page).toUtf8();
    QVERIFY(!raw.isEmpty());
    QCOMPARE(s.fixture.chat(raw), 200);

    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"budgeted"_s));
    QVERIFY(trigger(s.page, u"editKeyAction"_s));
    auto *edit = waitForDialog<KeyDialog>(s.page);
    QVERIFY(edit);
    QVERIFY(!edit->isNew());
    auto *limited = edit->findChild<QCheckBox *>(u"maxBudgetCheckBox"_s);
    QVERIFY(!limited->isChecked());
    limited->setChecked(true);
    auto *maxBudget = edit->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s);
    QVERIFY(maxBudget->isEnabled());
    maxBudget->setValue(0.000001);   // less than the call just made cost
    const QJsonObject body = edit->requestBody();
    QCOMPARE(body.keys(), QStringList({u"key"_s, u"max_budget"_s}));
    QCOMPARE(body.value(u"key"_s).toString(), s.keyWithAlias(u"budgeted"_s)->token);
    edit->accept();

    QVERIFY(settle(s.fixture, s.page));
    const KeyRecord *key = s.keyWithAlias(u"budgeted"_s);
    QVERIFY(key && key->budget.maxBudget);
    QVERIFY(std::abs(*key->budget.maxBudget - 0.000001) < 1e-9);
    QVERIFY(key->budget.spend > 0.000001);
    // api.md §1: a spent budget is 429 budget_exceeded.
    QCOMPARE(s.fixture.chat(raw), 429);

    // "No limit" again: the dialog sends null and the gateway removes the budget.
    QVERIFY(s.select(u"budgeted"_s));
    QVERIFY(trigger(s.page, u"editKeyAction"_s));
    auto *lift = waitForDialog<KeyDialog>(s.page);
    QVERIFY(lift);
    auto *liftLimited = lift->findChild<QCheckBox *>(u"maxBudgetCheckBox"_s);
    QVERIFY(liftLimited->isChecked() && liftLimited->isEnabled());
    liftLimited->setChecked(false);
    QCOMPARE(lift->requestBody().value(u"max_budget"_s), QJsonValue(QJsonValue::Null));
    lift->accept();
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(!s.keyWithAlias(u"budgeted"_s)->budget.maxBudget);
    QCOMPARE(s.fixture.chat(raw), 200);
}

void TestKeysPage::blockingAKeyRefusesItsCallsUntilItIsUnblocked()
{
    KeysSetUp s;
    QVERIFY(s.start());
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *create = waitForDialog<KeyDialog>(s.page);
    QVERIFY(create);
    create->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"laptop"_s);
    create->accept();
    const QByteArray raw = takeShownKey(s.page).toUtf8();
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"laptop"_s));

    auto *block = s.page->findChild<QAction *>(u"blockKeyAction"_s);
    QCOMPARE(block->text(), u"Block"_s);
    Confirm::setAutomaticAnswer(false);
    const int askedBefore = Confirm::asked();
    block->trigger();
    QCOMPARE(Confirm::asked(), askedBefore + 1);
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(!s.keyWithAlias(u"laptop"_s)->blocked);

    Confirm::setAutomaticAnswer(true);
    block->trigger();
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.keyWithAlias(u"laptop"_s)->blocked);
    const int row = s.rowOfAlias(u"laptop"_s);
    QVERIFY(!s.page->model()->index(row, KeyTableModel::Blocked).data(Qt::DecorationRole).value<QIcon>().isNull());
    QCOMPARE(s.page->tableView()->currentSourceRow(), row);
    QCOMPARE(block->text(), u"Unblock"_s);
    QCOMPARE(s.fixture.chat(raw), 401);

    // Unblocking is not destructive: no question.
    const int asked = Confirm::asked();
    block->trigger();
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(Confirm::asked(), asked);
    QVERIFY(!s.keyWithAlias(u"laptop"_s)->blocked);
    QCOMPARE(s.fixture.chat(raw), 200);
}

void TestKeysPage::regeneratingShowsANewKeyAndTheOldOneStopsWorking()
{
    KeysSetUp s;
    QVERIFY(s.start());
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *create = waitForDialog<KeyDialog>(s.page);
    QVERIFY(create);
    create->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"rotating"_s);
    create->findChild<QLineEdit *>(u"modelsLineEdit"_s)->setText(u"gpt-b"_s);
    create->accept();
    const QByteArray oldKey = takeShownKey(s.page).toUtf8();
    QCOMPARE(s.fixture.chat(oldKey, u"gpt-b"_s), 200);
    QVERIFY(settle(s.fixture, s.page));
    const QString oldToken = s.keyWithAlias(u"rotating"_s)->token;
    QVERIFY(s.select(u"rotating"_s));

    Confirm::setAutomaticAnswer(true);
    QVERIFY(trigger(s.page, u"regenerateKeyAction"_s));
    auto *shown = waitForDialog<KeyCreatedDialog>(s.page);
    QVERIFY(shown);
    QCOMPARE(shown->windowTitle(), u"Key regenerated"_s);
    const QByteArray newKey = shown->key().toUtf8();
    shown->accept();
    QVERIFY(newKey.startsWith("sk-"));
    QVERIFY(newKey != oldKey);

    QCOMPARE(s.fixture.chat(oldKey, u"gpt-b"_s), 401);
    QCOMPARE(s.fixture.chat(newKey, u"gpt-b"_s), 200);
    // Same settings under a new token, still one row.
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(s.page->model()->rowCount(), 1);
    const KeyRecord *key = s.keyWithAlias(u"rotating"_s);
    QVERIFY(key);
    QVERIFY(key->token != oldToken);
    QCOMPARE(key->models, QStringList{u"gpt-b"_s});
    QCOMPARE(s.fixture.chat(newKey, u"gpt-a"_s), 403);
}

void TestKeysPage::deletingAsksFirstAndKeepsTheKeyWhenTheAnswerIsNo()
{
    KeysSetUp s;
    QVERIFY(s.start());
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *create = waitForDialog<KeyDialog>(s.page);
    QVERIFY(create);
    create->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"doomed"_s);
    create->accept();
    const QByteArray raw = takeShownKey(s.page).toUtf8();
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"doomed"_s));

    Confirm::setAutomaticAnswer(false);
    QVERIFY(trigger(s.page, u"deleteKeyAction"_s));
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.keyWithAlias(u"doomed"_s));
    QCOMPARE(s.fixture.chat(raw), 200);

    Confirm::setAutomaticAnswer(true);
    QVERIFY(trigger(s.page, u"deleteKeyAction"_s));
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(!s.keyWithAlias(u"doomed"_s));
    QCOMPARE(s.page->model()->rowCount(), 0);
    QCOMPARE(s.fixture.chat(raw), 401);
    // Nothing selected any more: the row actions are off.
    QVERIFY(!s.page->findChild<QAction *>(u"deleteKeyAction"_s)->isEnabled());
}

void TestKeysPage::theSearchFieldFiltersTheList()
{
    KeysSetUp s;
    QVERIFY(s.start());
    for (const QString &alias : {u"alice-laptop"_s, u"bob-ci"_s}) {
        QVERIFY(s.fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, alias}}).status == 200);
    }
    QVERIFY(UiFixture::refreshAndWait(s.page));
    QSortFilterProxyModel *proxy = s.page->tableView()->proxy();
    QCOMPARE(proxy->rowCount(), 2);
    s.page->searchLineEdit()->setText(u"ALICE"_s);
    QCOMPARE(proxy->rowCount(), 1);
    QCOMPARE(proxy->index(0, KeyTableModel::Name).data().toString(), u"alice-laptop"_s);
    s.page->searchLineEdit()->clear();
    QCOMPARE(proxy->rowCount(), 2);
}

void TestKeysPage::theSelectionSurvivesARefresh()
{
    KeysSetUp s;
    QVERIFY(s.start());
    for (const QString &alias : {u"one"_s, u"two"_s, u"three"_s})
        QVERIFY(s.fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, alias}}).status == 200);
    QVERIFY(UiFixture::refreshAndWait(s.page));
    QVERIFY(s.select(u"two"_s));
    const QString token = s.keyWithAlias(u"two"_s)->token;
    // Another key goes and one changes meanwhile.
    QCOMPARE(s.fixture.gateway().post("/key/delete", QJsonObject{{u"key_aliases"_s, QJsonArray{u"one"_s}}}).status,
             200);
    QCOMPARE(s.fixture.gateway().post("/key/update", QJsonObject{{u"key"_s, token}, {u"rpm_limit"_s, 7}}).status, 200);
    QVERIFY(UiFixture::refreshAndWait(s.page));
    const KeyRecord *selected = s.page->model()->recordAt(s.page->tableView()->currentSourceRow());
    QVERIFY(selected);
    QCOMPARE(selected->token, token);
    QCOMPARE(selected->limits.rpm, std::optional<qint64>(7));
}

void TestKeysPage::theNewKeyDialogLeavesOutWhatHasNoLimit()
{
    KeyDialog dialog;
    QCOMPARE(dialog.requestBody(), QJsonObject());   // every field "no limit" / empty
    dialog.findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"  svc  "_s);
    dialog.findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"alice"_s);
    dialog.findChild<QLineEdit *>(u"modelsLineEdit"_s)->setText(u"gpt-a,, beta , gpt-a"_s);
    dialog.findChild<QComboBox *>(u"expiresComboBox"_s)->setEditText(u"30d"_s);
    dialog.findChild<QCheckBox *>(u"maxBudgetCheckBox"_s)->setChecked(true);
    dialog.findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s)->setValue(12.5);
    dialog.findChild<QCheckBox *>(u"softBudgetCheckBox"_s)->setChecked(true);
    dialog.findChild<QDoubleSpinBox *>(u"softBudgetDoubleSpinBox"_s)->setValue(10);
    dialog.findChild<QComboBox *>(u"budgetDurationComboBox"_s)->setEditText(u"monthly"_s);
    dialog.findChild<QSpinBox *>(u"tpmLimitSpinBox"_s)->setValue(0);   // 0 is a limit, not "none"
    dialog.findChild<QSpinBox *>(u"maxParallelRequestsSpinBox"_s)->setValue(3);
    const QJsonObject expected{{u"key_alias"_s, u"svc"_s},
                               {u"user_id"_s, u"alice"_s},
                               {u"models"_s, QJsonArray{u"gpt-a"_s, u"beta"_s}},
                               {u"duration"_s, u"30d"_s},
                               {u"max_budget"_s, 12.5},
                               {u"soft_budget"_s, 10.0},
                               {u"budget_duration"_s, u"monthly"_s},
                               {u"tpm_limit"_s, 0},
                               {u"max_parallel_requests"_s, 3}};
    QCOMPARE(dialog.requestBody(), expected);

    // A duration the gateway would refuse keeps the dialog from being accepted.
    auto *ok = dialog.findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    QVERIFY(ok->isEnabled());
    dialog.findChild<QComboBox *>(u"expiresComboBox"_s)->setEditText(u"30x"_s);
    QVERIFY(!ok->isEnabled());
}

void TestKeysPage::theEditDialogSendsOnlyWhatChanged()
{
    const KeyRecord key = sampleKey(u"abc123"_s, u"team"_s);
    KeyDialog dialog(key);
    QCOMPARE(dialog.requestBody(), QJsonObject({{u"key"_s, u"abc123"_s}}));
    dialog.findChild<QSpinBox *>(u"rpmLimitSpinBox"_s)->setValue(120);
    dialog.findChild<QLineEdit *>(u"modelsLineEdit"_s)->clear();   // every model
    dialog.findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"team-2"_s);
    const QJsonObject expected{{u"key"_s, u"abc123"_s},
                               {u"key_alias"_s, u"team-2"_s},
                               {u"models"_s, QJsonArray{}},
                               {u"rpm_limit"_s, 120}};
    QCOMPARE(dialog.requestBody(), expected);
}

void TestKeysPage::switchingALimitOffSendsNull()
{
    // An explicit null removes a limit on the gateway; what stays as it was is not sent.
    const KeyRecord key = sampleKey(u"abc123"_s, u"team"_s);
    KeyDialog dialog(key);
    auto *maxBudget = dialog.findChild<QCheckBox *>(u"maxBudgetCheckBox"_s);
    QVERIFY(maxBudget->isChecked());
    QVERIFY(maxBudget->isEnabled());
    auto *rpm = dialog.findChild<QSpinBox *>(u"rpmLimitSpinBox"_s);
    QCOMPARE(rpm->value(), 60);
    auto *tpm = dialog.findChild<QSpinBox *>(u"tpmLimitSpinBox"_s);
    QCOMPARE(tpm->value(), -1);
    QCOMPARE(tpm->text(), u"No limit"_s);

    maxBudget->setChecked(false);
    rpm->setValue(-1);
    const QJsonObject expected{{u"key"_s, u"abc123"_s},
                               {u"max_budget"_s, QJsonValue::Null},
                               {u"rpm_limit"_s, QJsonValue::Null}};
    QCOMPARE(dialog.requestBody(), expected);
}

void TestKeysPage::theKeyTableModelPassesTheModelTester()
{
    KeyTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRecords({sampleKey(u"t1"_s, u"one"_s), sampleKey(u"t2"_s, u"two"_s), sampleKey(u"t3"_s, u"three"_s)});
    QCOMPARE(model.rowCount(), 3);
    KeyRecord changed = sampleKey(u"t2"_s, u"two-renamed"_s);
    changed.blocked = true;
    // t1 goes, t2 changes, t4 comes.
    model.setRecords({sampleKey(u"t3"_s, u"three"_s), changed, sampleKey(u"t4"_s, u"four"_s)});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowOf(u"t1"_s), -1);
    QCOMPARE(model.index(model.rowOf(u"t2"_s), KeyTableModel::Name).data().toString(), u"two-renamed"_s);
    model.setRecords({});
    QCOMPARE(model.rowCount(), 0);
    model.setRecords({sampleKey(u"t5"_s, QString())});
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestKeysPage::theKeyTableModelGivesRawValuesForSorting()
{
    KeyTableModel model;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    model.setClock([now] { return now; });
    KeyRecord limited = sampleKey(u"t1"_s, u"limited"_s);
    limited.expires = now.addSecs(-60);
    KeyRecord unlimited = sampleKey(u"t2"_s, QString());
    unlimited.budget = {};
    unlimited.limits = {};
    unlimited.models = {};
    unlimited.blocked = true;
    model.setRecords({limited, unlimited});

    const auto cell = [&model](int row, int column, int role) { return model.index(row, column).data(role); };
    QCOMPARE(cell(0, KeyTableModel::MaxBudget, TableRoles::Sort).toDouble(), 2.0);
    QVERIFY(std::isinf(cell(1, KeyTableModel::MaxBudget, TableRoles::Sort).toDouble()));
    QCOMPARE(cell(0, KeyTableModel::Spend, TableRoles::Sort).toDouble(), 0.5);
    QCOMPARE(cell(1, KeyTableModel::Name, TableRoles::Id).toString(), u"t2"_s);
    QCOMPARE(cell(1, KeyTableModel::Name, Qt::DisplayRole).toString(), u"sk-...t2"_s);
    QCOMPARE(cell(0, KeyTableModel::Expires, Qt::DisplayRole).toString(), u"expired"_s);
    QCOMPARE(cell(1, KeyTableModel::Expires, Qt::DisplayRole).toString(), u"never"_s);
    QCOMPARE(cell(0, KeyTableModel::Models, Qt::DisplayRole).toString(), u"gpt-a"_s);
    QCOMPARE(cell(1, KeyTableModel::Models, Qt::DisplayRole).toString(), u"all models"_s);
    QCOMPARE(cell(0, KeyTableModel::Limits, Qt::DisplayRole).toString(), u"60 / — / —"_s);
    QVERIFY(cell(0, KeyTableModel::BudgetReset, Qt::DisplayRole).toString().startsWith(u"in "_s));
    QCOMPARE(cell(1, KeyTableModel::BudgetReset, Qt::DisplayRole).toString(), u"—"_s);
    QVERIFY(cell(1, KeyTableModel::Blocked, Qt::DecorationRole).value<QIcon>().isNull() == false);
    QVERIFY(!cell(0, KeyTableModel::Blocked, Qt::DecorationRole).isValid());
    QCOMPARE(cell(0, KeyTableModel::Spend, Qt::TextAlignmentRole).toInt(), int(Qt::AlignRight | Qt::AlignVCenter));
    // Blocked and expired rows use the palette's disabled text colour.
    QVERIFY(cell(0, KeyTableModel::Name, Qt::ForegroundRole).isValid());
    QVERIFY(cell(1, KeyTableModel::Name, Qt::ForegroundRole).isValid());
    QVERIFY(!cell(1, KeyTableModel::Name, Qt::ToolTipRole).toString().isEmpty());

    // The view's proxy sorts by the raw value: "no limit" after every limit.
    TableView view;
    view.setSourceModel(&model);
    view.sortByColumn(KeyTableModel::MaxBudget, Qt::AscendingOrder);
    QCOMPARE(view.proxy()->index(0, KeyTableModel::Name).data(TableRoles::Id).toString(), u"t1"_s);
    QCOMPARE(view.proxy()->index(1, KeyTableModel::Name).data(TableRoles::Id).toString(), u"t2"_s);
}

void TestKeysPage::overBudgetKeysAreMarkedAndTheOwnersBudgetShows()
{
    KeysSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError()));
    GatewayFixture &gateway = s.fixture.gateway();
    // dana's budget is used up by one call; her key has no budget of its own.
    QCOMPARE(gateway.post("/user/new", QJsonObject{{u"user_id"_s, u"dana"_s}, {u"max_budget"_s, 0.0000001},
                                                   {u"auto_create_key"_s, false}})
                 .status,
             200);
    const QByteArray danas = gateway.post("/key/generate", QJsonObject{{u"key_alias"_s, u"danas"_s}, {u"user_id"_s, u"dana"_s}})
                                 .json().value(u"key"_s).toString().toUtf8();
    const QByteArray own = gateway.post("/key/generate", QJsonObject{{u"key_alias"_s, u"own"_s}, {u"max_budget"_s, 0.0000001}})
                               .json().value(u"key"_s).toString().toUtf8();
    gateway.post("/key/generate", QJsonObject{{u"key_alias"_s, u"fine"_s}});
    QCOMPARE(s.fixture.chat(danas), 200);
    QCOMPARE(s.fixture.chat(own), 200);
    QVERIFY(settle(s.fixture, s.page));

    KeyTableModel *model = s.page->model();
    const auto cell = [&](const QString &alias, int column, int role) {
        return model->index(s.rowOfAlias(alias), column).data(role);
    };
    // Over budget, by its own budget or its owner's: marked in the Spend column.
    for (const QString &alias : {u"danas"_s, u"own"_s}) {
        QVERIFY2(model->isOverBudget(*s.keyWithAlias(alias)), qPrintable(alias));
        QVERIFY(!cell(alias, KeyTableModel::Spend, Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY(cell(alias, KeyTableModel::Spend, Qt::ToolTipRole).toString().startsWith(u"Over budget"_s));
    }
    QVERIFY(!model->isOverBudget(*s.keyWithAlias(u"fine"_s)));
    QVERIFY(cell(u"fine"_s, KeyTableModel::Spend, Qt::DecorationRole).value<QIcon>().isNull());
    // The budget that applies to dana's key is hers.
    QCOMPARE(cell(u"danas"_s, KeyTableModel::MaxBudget, Qt::DisplayRole).toString(), u"< $0.000001 (user's)"_s);
    QVERIFY(cell(u"danas"_s, KeyTableModel::MaxBudget, Qt::ToolTipRole).toString().contains(u"user dana applies too"_s));
    QCOMPARE(cell(u"fine"_s, KeyTableModel::MaxBudget, Qt::DisplayRole).toString(), u"—"_s);
}

void TestKeysPage::budgetPeriodsAreNamedOnceAndMonthlyStaysMonthly()
{
    // The choices: "never" by name, each period once (no "1d" beside "daily").
    KeyDialog fresh;
    auto *period = fresh.findChild<QComboBox *>(u"budgetDurationComboBox"_s);
    QStringList choices;
    for (int i = 0; i < period->count(); ++i)
        choices.append(period->itemText(i));
    QCOMPARE(choices.value(0), u"never"_s);
    QCOMPARE(period->currentText(), u"never"_s);
    for (const QString &word : {u"daily"_s, u"weekly"_s, u"monthly"_s})
        QVERIFY2(choices.count(word) == 1, qPrintable(choices.join(u", "_s)));
    for (const QString &duplicate : {u"1d"_s, u"7d"_s, u"1mo"_s, u""_s})
        QVERIFY2(!choices.contains(duplicate), qPrintable(choices.join(u", "_s)));
    QVERIFY(!fresh.requestBody().contains(u"budget_duration"_s));   // never: nothing sent
    period->setCurrentIndex(period->findText(u"monthly"_s));
    QCOMPARE(fresh.requestBody().value(u"budget_duration"_s).toString(), u"monthly"_s);
    auto *ok = fresh.findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    period->setCurrentIndex(0);
    QVERIFY(ok->isEnabled());

    // A monthly budget on the real gateway (which answers "1mo") is "monthly" on the Budgets
    // page and in the edit dialog, and saving the dialog does not restart its period.
    KeysSetUp s;
    QVERIFY(s.start());
    const QString token = s.fixture.gateway()
                              .post("/key/generate", QJsonObject{{u"key_alias"_s, u"monthly-key"_s},
                                                                 {u"max_budget"_s, 5.0},
                                                                 {u"budget_duration"_s, u"monthly"_s}})
                              .json()
                              .value(u"token"_s)
                              .toString();
    QVERIFY(UiFixture::refreshAndWait(s.page));
    const KeyRecord *record = s.keyWithAlias(u"monthly-key"_s);
    QVERIFY(record);
    KeyDialog edit(*record);
    QCOMPARE(edit.findChild<QComboBox *>(u"budgetDurationComboBox"_s)->currentText(), u"monthly"_s);
    QCOMPARE(edit.requestBody(), QJsonObject({{u"key"_s, token}}));
    // "never" removes the period.
    auto *editPeriod = edit.findChild<QComboBox *>(u"budgetDurationComboBox"_s);
    editPeriod->setCurrentIndex(editPeriod->findText(u"never"_s));
    QCOMPARE(edit.requestBody().value(u"budget_duration"_s), QJsonValue(QJsonValue::Null));

    auto *budgets = UiFixture::showPage<BudgetsPage>(*s.window);
    QVERIFY(budgets);
    const int row = budgets->model()->rowOf(BudgetRecord{BudgetRecord::Scope::Key, token, {}, {}}.id());
    QVERIFY(row >= 0);
    QCOMPARE(budgets->model()->index(row, BudgetTableModel::Period).data().toString(), u"monthly"_s);
}

void TestKeysPage::stepsFromNoLimitNeverGiveZero()
{
    // A limit of 0 refuses every call: one arrow key from "No limit" must not set it.
    KeyDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *rpm = dialog.findChild<QSpinBox *>(u"rpmLimitSpinBox"_s);
    auto *tpm = dialog.findChild<QSpinBox *>(u"tpmLimitSpinBox"_s);
    auto *parallel = dialog.findChild<QSpinBox *>(u"maxParallelRequestsSpinBox"_s);
    QCOMPARE(rpm->text(), u"No limit"_s);
    rpm->setFocus();
    QTest::keyClick(rpm, Qt::Key_Up);
    QCOMPARE(rpm->value(), 1);
    tpm->setFocus();
    QTest::keyClick(tpm, Qt::Key_Up);
    QCOMPARE(tpm->value(), 1000);
    parallel->setFocus();
    QTest::keyClick(parallel, Qt::Key_PageUp);
    QCOMPARE(parallel->value(), 10);
    // Down goes back through the values to "No limit"; 0 can still be typed (tested above).
    QTest::keyClick(rpm, Qt::Key_Down);
    QCOMPARE(rpm->value(), 0);
    QTest::keyClick(rpm, Qt::Key_Down);
    QCOMPARE(rpm->text(), u"No limit"_s);
    QCOMPARE(dialog.requestBody(), (QJsonObject{{u"tpm_limit"_s, 1000}, {u"max_parallel_requests"_s, 10}}));
}

void TestKeysPage::anEmptiedBudgetFieldIsNotSavedAsItsOldValue()
{
    // The spin box would put $5 back on Enter and the dialog would save it: what was on screen
    // (nothing) is not what would be saved. Enter does nothing until an amount is typed.
    KeyRecord key = sampleKey(u"abc123"_s, u"team"_s);
    key.budget.maxBudget = 5.0;
    KeyDialog dialog(key);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = dialog.findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    auto *max = dialog.findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s);
    max->setFocus();
    max->selectAll();
    QTest::keyClick(max, Qt::Key_Delete);
    QCOMPARE(max->text(), u"$"_s);
    QVERIFY(!ok->isEnabled());
    QTest::keyClick(max, Qt::Key_Return);
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    QCOMPARE(max->text(), u"$"_s);
    QTest::keyClicks(max, u"0"_s);
    QVERIFY(ok->isEnabled());
    QTest::keyClick(max, Qt::Key_Return);
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.requestBody().value(u"max_budget"_s).toDouble(), 0.0);
}

void TestKeysPage::theOwnersModelsAndLimitsShowWhereTheKeyHasNone()
{
    KeysSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError()));
    GatewayFixture &gateway = s.fixture.gateway();
    QCOMPARE(gateway.post("/user/new", QJsonObject{{u"user_id"_s, u"erin"_s},
                                                   {u"models"_s, QJsonArray{u"gpt-a"_s}},
                                                   {u"rpm_limit"_s, 30},
                                                   {u"max_parallel_requests"_s, 2},
                                                   {u"auto_create_key"_s, false}})
                 .status,
             200);
    gateway.post("/key/generate", QJsonObject{{u"key_alias"_s, u"erins"_s}, {u"user_id"_s, u"erin"_s}});
    gateway.post("/key/generate", QJsonObject{{u"key_alias"_s, u"erins-own"_s},
                                              {u"user_id"_s, u"erin"_s},
                                              {u"models"_s, QJsonArray{u"gpt-a"_s}},
                                              {u"rpm_limit"_s, 5}});
    QVERIFY(settle(s.fixture, s.page));

    KeyTableModel *model = s.page->model();
    const auto cell = [&](const QString &alias, int column) {
        return model->index(s.rowOfAlias(alias), column).data().toString();
    };
    // Her key has none of its own: hers apply, and say so (as the budget does).
    QCOMPARE(cell(u"erins"_s, KeyTableModel::Models), u"gpt-a (user's)"_s);
    QCOMPARE(cell(u"erins"_s, KeyTableModel::Limits), u"30 (user's) / — / 2 (user's)"_s);
    // A key's own win.
    QCOMPARE(cell(u"erins-own"_s, KeyTableModel::Models), u"gpt-a"_s);
    QCOMPARE(cell(u"erins-own"_s, KeyTableModel::Limits), u"5 / — / 2 (user's)"_s);

    // The edit dialog says the same.
    QVERIFY(s.select(u"erins"_s));
    QVERIFY(trigger(s.page, u"editKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(s.page);
    QVERIFY(dialog);
    auto *models = dialog->findChild<QLineEdit *>(u"modelsLineEdit"_s);
    QCOMPARE(models->text(), QString());
    QCOMPARE(models->placeholderText(), u"gpt-a (user's)"_s);
    QCOMPARE(dialog->findChild<QSpinBox *>(u"rpmLimitSpinBox"_s)->text(), u"30 (user's)"_s);
    QCOMPARE(dialog->findChild<QSpinBox *>(u"tpmLimitSpinBox"_s)->text(), u"No limit"_s);
    QCOMPARE(dialog->findChild<QSpinBox *>(u"maxParallelRequestsSpinBox"_s)->text(), u"2 (user's)"_s);
    // Nothing inherited is sent as the key's own.
    QCOMPARE(dialog->requestBody().size(), 1);
    // Another owner typed: erin's no longer apply.
    dialog->findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"someone-else"_s);
    QCOMPARE(models->placeholderText(), u"all models"_s);
    QCOMPARE(dialog->findChild<QSpinBox *>(u"rpmLimitSpinBox"_s)->text(), u"No limit"_s);
    dialog->reject();
}

void TestKeysPage::anOwnerWhoIsNotAUserYetIsSaidBeforeTheKeyIsMade()
{
    // The gateway makes an unknown owner a new user without a budget: a typo must not do that
    // unsaid.
    KeysSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError()));
    QCOMPARE(s.fixture.gateway()
                 .post("/user/new", QJsonObject{{u"user_id"_s, u"nobody"_s}, {u"auto_create_key"_s, false}})
                 .status,
             200);
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(s.page);
    QVERIFY(dialog);
    auto *owner = dialog->findChild<QLineEdit *>(u"userIdLineEdit"_s);
    auto *note = dialog->findChild<QLabel *>(u"newUserLabel"_s);
    QVERIFY(note);
    auto *ok = dialog->findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    // The existing users are offered as the owner is typed.
    QTRY_VERIFY_WITH_TIMEOUT(owner->completer() && owner->completer()->model()->rowCount() == 1, 5000);
    QCOMPARE(owner->completer()->model()->index(0, 0).data().toString(), u"nobody"_s);

    owner->setText(u"nobdy"_s);
    QVERIFY(note->isVisibleTo(dialog));
    QVERIFY2(note->text().contains(u"“nobdy”"_s) && note->text().contains(u"without a budget"_s),
             qPrintable(note->text()));
    QCOMPARE(ok->text(), u"Create key and user"_s);

    owner->setText(u"nobody"_s);
    QVERIFY(!note->isVisibleTo(dialog));
    QCOMPARE(ok->text(), u"Create key"_s);
    owner->clear();
    QVERIFY(!note->isVisibleTo(dialog));
    dialog->reject();

    // Editing a key: its own owner is not new, another unknown one is.
    QCOMPARE(s.fixture.gateway()
                 .post("/key/generate", QJsonObject{{u"key_alias"_s, u"owned"_s}, {u"user_id"_s, u"nobody"_s}})
                 .status,
             200);
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"owned"_s));
    QVERIFY(trigger(s.page, u"editKeyAction"_s));
    auto *edit = waitForDialog<KeyDialog>(s.page);
    QVERIFY(edit);
    auto *editNote = edit->findChild<QLabel *>(u"newUserLabel"_s);
    edit->findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"somebody-new"_s);
    QTRY_VERIFY_WITH_TIMEOUT(editNote->isVisibleTo(edit), 5000);
    edit->findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"nobody"_s);
    QVERIFY(!editNote->isVisibleTo(edit));
    edit->reject();
}

void TestKeysPage::theModelsFieldOffersTheGatewaysModelsAndSaysAnUnknownName()
{
    // The gateway matches a key's models exactly: a typo gives a key that can call nothing.
    KeysSetUp s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError()));
    QVERIFY(trigger(s.page, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(s.page);
    QVERIFY(dialog);
    auto *models = dialog->findChild<QLineEdit *>(u"modelsLineEdit"_s);
    auto *note = dialog->findChild<QLabel *>(u"unknownModelsLabel"_s);
    QVERIFY(note);
    auto *ok = dialog->findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    // The models and access groups are offered for the name being typed, after the others.
    QTRY_VERIFY_WITH_TIMEOUT(models->completer(), 5000);
    QStringList offered;
    for (int row = 0; row < models->completer()->model()->rowCount(); ++row)
        offered.append(models->completer()->model()->index(row, 0).data().toString());
    for (const QString &name : {u"gpt-a"_s, u"gpt-b"_s, u"gpt-c"_s, u"all-team"_s, u"beta"_s})
        QVERIFY2(offered.contains(name), qPrintable(offered.join(u", "_s)));
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    models->setFocus();
    QTest::keyClicks(models, u"gpt-a, all-t"_s);
    QCOMPARE(models->completer()->completionPrefix(), u"gpt-a, all-t"_s);
    QCOMPARE(models->completer()->currentCompletion(), u"gpt-a, all-team"_s);

    // Names the gateway has, groups and "*" are fine; anything else is said (still allowed).
    models->setText(u"gpt-a, all-team, *"_s);
    QVERIFY(!note->isVisibleTo(dialog));
    models->setText(u"gpt-a, gpt-4o-mni, openai/*"_s);
    QVERIFY(note->isVisibleTo(dialog));
    QVERIFY2(note->text().contains(u"gpt-4o-mni, openai/*"_s) && !note->text().contains(u"gpt-a,"_s),
             qPrintable(note->text()));
    QVERIFY(ok->isEnabled());
    models->clear();
    QVERIFY(!note->isVisibleTo(dialog));
    dialog->reject();
}

QTEST_MAIN(TestKeysPage)
#include "tst_keyspage.moc"
