#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/confirm.h"
#include "ui/dialogs/enduserdialog.h"
#include "ui/dialogs/keydialog.h"
#include "ui/dialogs/userdialog.h"
#include "ui/models/endusertablemodel.h"
#include "ui/models/keytablemodel.h"
#include "ui/models/usertablemodel.h"
#include "ui/pages/enduserspage.h"
#include "ui/pages/keyspage.h"
#include "ui/pages/userspage.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Tollgate::Test::Pages;

namespace {

// A started gateway and the window showing the page of type P, refreshed once.
template <typename P>
struct PageSetUp
{
    UiFixture fixture;
    std::unique_ptr<MainWindow> window;
    P *page = nullptr;

    bool start()
    {
        if (!fixture.start())
            return false;
        window = fixture.createWindow();
        page = UiFixture::showPage<P>(*window);
        return page != nullptr;
    }
    bool select(const QString &id)
    {
        const int row = page->model()->rowOf(id);
        page->tableView()->selectSourceRow(row);
        return row >= 0 && page->tableView()->currentSourceRow() == row;
    }
    // A key made over the API (not through the page under test).
    QByteArray newKey(const QJsonObject &body = {})
    {
        const auto answer = fixture.gateway().post("/key/generate", body);
        return QJsonDocument::fromJson(answer.body).object().value(u"key"_s).toString().toUtf8();
    }
};

UserRecord sampleUser(const QString &id, const QString &email)
{
    UserRecord user;
    user.userId = id;
    user.userEmail = email;
    user.role = u"internal_user"_s;
    user.models = {u"gpt-a"_s};
    user.budget.spend = 1.25;
    user.budget.maxBudget = 10;
    user.limits.tpm = 1000;
    return user;
}

EndUserRecord sampleEndUser(const QString &id, bool blocked)
{
    EndUserRecord endUser;
    endUser.userId = id;
    endUser.alias = id.toUpper();
    endUser.blocked = blocked;
    endUser.budget.spend = 0.01;
    return endUser;
}

} // namespace

class TestUsersPages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void theIdIsReadOnlyWhenEditing();
    void aSoftLimitAboveTheMaxBudgetIsRefusedAndSaysWhy();
    // Users
    void aUserCreatedInTheDialogIsListedAndItsFirstKeyWorks();
    void editingAUserChangesTheListAndTheirKeysFollowTheBudget();
    void deletingAUserAsksFirstAndRemovesTheirKeys();
    void theUserDialogBuildsItsRequests();
    void theUserTableModelPassesTheModelTester();
    // End users
    void endUsersNamedInCallsAppearInTheList();
    void blockingAnEndUserRefusesTheirCallsUntilUnblocked();
    void anEndUserCreatedInTheDialogGetsItsBudget();
    void deletingAnEndUserAsksFirst();
    void theEndUserDialogBuildsItsRequests();
    void theEndUserTableModelPassesTheModelTester();
};

void TestUsersPages::cleanup()
{
    Confirm::setAutomaticAnswer(std::nullopt);
}

void TestUsersPages::aSoftLimitAboveTheMaxBudgetIsRefusedAndSaysWhy()
{
    // The gateway takes a soft limit above the max budget (as LiteLLM does); it would never warn,
    // as calls are refused at the max first. Every budget dialog refuses it and says why.
    KeyDialog key;
    UserDialog user;
    EndUserDialog endUser;
    endUser.findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"zed"_s);
    for (QDialog *dialog : std::initializer_list<QDialog *>{&key, &user, &endUser}) {
        auto *ok = dialog->findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
        auto *note = dialog->findChild<QLabel *>(u"softBudgetNoteLabel"_s);
        QVERIFY(note);
        auto *max = dialog->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s);
        auto *soft = dialog->findChild<QDoubleSpinBox *>(u"softBudgetDoubleSpinBox"_s);
        dialog->findChild<QCheckBox *>(u"maxBudgetCheckBox"_s)->setChecked(true);
        max->setValue(10);
        dialog->findChild<QCheckBox *>(u"softBudgetCheckBox"_s)->setChecked(true);
        soft->setValue(12);
        QVERIFY2(!ok->isEnabled(), dialog->metaObject()->className());
        QVERIFY(note->isVisibleTo(dialog));
        QVERIFY2(note->text().contains(u"above the max budget"_s) && note->text().contains(u"$10.00"_s),
                 qPrintable(note->text()));
        soft->setValue(10);   // equal: it warns as the max is reached
        QVERIFY(ok->isEnabled());
        QVERIFY(!note->isVisibleTo(dialog));
        soft->setValue(12);
        dialog->findChild<QCheckBox *>(u"maxBudgetCheckBox"_s)->setChecked(false);   // no max: any soft limit
        QVERIFY(ok->isEnabled());
        QVERIFY(!note->isVisibleTo(dialog));
    }

    // A user stored so over the API: the edit dialog says it at once.
    PageSetUp<UsersPage> s;
    QVERIFY(s.start());
    QCOMPARE(s.fixture.gateway()
                 .post("/user/new", QJsonObject{{u"user_id"_s, u"upside"_s},
                                                {u"max_budget"_s, 5.0},
                                                {u"soft_budget"_s, 8.0},
                                                {u"auto_create_key"_s, false}})
                 .status,
             200);
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"upside"_s));
    QVERIFY(trigger(s.page, u"editUserAction"_s));
    auto *dialog = waitForDialog<UserDialog>(s.page);
    QVERIFY(dialog);
    QVERIFY(!dialog->findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok)->isEnabled());
    QVERIFY(dialog->findChild<QLabel *>(u"softBudgetNoteLabel"_s)->isVisibleTo(dialog));
    dialog->reject();
}

void TestUsersPages::aUserCreatedInTheDialogIsListedAndItsFirstKeyWorks()
{
    PageSetUp<UsersPage> s;
    QVERIFY2(s.start(), qPrintable(s.fixture.gateway().lastError()));
    QCOMPARE(s.page->model()->rowCount(), 0);

    QVERIFY(trigger(s.page, u"newUserAction"_s));
    auto *dialog = waitForDialog<UserDialog>(s.page);
    QVERIFY(dialog);
    dialog->findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"alice"_s);
    dialog->findChild<QLineEdit *>(u"userEmailLineEdit"_s)->setText(u"alice@example.com"_s);
    auto *role = dialog->findChild<QComboBox *>(u"userRoleComboBox"_s);
    QCOMPARE(role->currentData().toString(), u"internal_user"_s);
    dialog->findChild<QLineEdit *>(u"modelsLineEdit"_s)->setText(u"gpt-b"_s);
    QVERIFY(dialog->findChild<QCheckBox *>(u"autoCreateKeyCheckBox"_s)->isChecked());
    dialog->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"alice-first"_s);
    dialog->accept();

    const QByteArray raw = takeShownKey(s.page).toUtf8();
    QVERIFY(raw.startsWith("sk-"));
    QVERIFY(settle(s.fixture, s.page));
    const int row = s.page->model()->rowOf(u"alice"_s);
    QVERIFY(row >= 0);
    QCOMPARE(s.page->tableView()->currentSourceRow(), row);
    QCOMPARE(s.page->model()->index(row, UserTableModel::Email).data().toString(), u"alice@example.com"_s);
    QCOMPARE(s.page->model()->index(row, UserTableModel::Role).data().toString(), u"Internal user"_s);
    QCOMPARE(s.page->model()->index(row, UserTableModel::Models).data().toString(), u"gpt-b"_s);

    // The user's models apply to the key.
    QCOMPARE(s.fixture.chat(raw, u"gpt-b"_s), 200);
    QCOMPARE(s.fixture.chat(raw, u"gpt-a"_s), 403);
}

void TestUsersPages::editingAUserChangesTheListAndTheirKeysFollowTheBudget()
{
    PageSetUp<UsersPage> s;
    QVERIFY(s.start());
    const auto created = s.fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"bob"_s}});
    QCOMPARE(created.status, 200);
    const QByteArray raw = QJsonDocument::fromJson(created.body).object().value(u"key"_s).toString().toUtf8();
    QCOMPARE(s.fixture.chat(raw), 200);
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"bob"_s));

    QVERIFY(trigger(s.page, u"editUserAction"_s));
    auto *dialog = waitForDialog<UserDialog>(s.page);
    QVERIFY(dialog);
    QVERIFY(!dialog->isNew());
    QVERIFY(dialog->findChild<QLineEdit *>(u"userIdLineEdit"_s)->isReadOnly());
    QVERIFY(dialog->findChild<QCheckBox *>(u"autoCreateKeyCheckBox"_s)->isHidden());
    dialog->findChild<QLineEdit *>(u"userEmailLineEdit"_s)->setText(u"bob@example.com"_s);
    dialog->findChild<QCheckBox *>(u"maxBudgetCheckBox"_s)->setChecked(true);
    dialog->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s)->setValue(0.000001);
    dialog->accept();

    QVERIFY(settle(s.fixture, s.page));
    const UserRecord *bob = s.page->model()->recordAt(s.page->model()->rowOf(u"bob"_s));
    QVERIFY(bob);
    QCOMPARE(bob->userEmail, u"bob@example.com"_s);
    QVERIFY(bob->budget.maxBudget);
    // The user's budget is spent: their key is refused (api.md §1: 429 budget_exceeded).
    QCOMPARE(s.fixture.chat(raw), 429);
}

void TestUsersPages::deletingAUserAsksFirstAndRemovesTheirKeys()
{
    PageSetUp<UsersPage> s;
    QVERIFY(s.start());
    const auto created = s.fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"carol"_s}});
    const QByteArray raw = QJsonDocument::fromJson(created.body).object().value(u"key"_s).toString().toUtf8();
    const QByteArray second = s.newKey(QJsonObject{{u"user_id"_s, u"carol"_s}, {u"key_alias"_s, u"carol-2"_s}});
    QCOMPARE(s.fixture.chat(second), 200);
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"carol"_s));

    Confirm::setAutomaticAnswer(false);
    QVERIFY(trigger(s.page, u"deleteUserAction"_s));
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.page->model()->rowOf(u"carol"_s) >= 0);
    QCOMPARE(s.fixture.chat(raw), 200);

    Confirm::setAutomaticAnswer(true);
    QVERIFY(trigger(s.page, u"deleteUserAction"_s));
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(s.page->model()->rowOf(u"carol"_s), -1);
    QCOMPARE(s.fixture.chat(raw), 401);
    QCOMPARE(s.fixture.chat(second), 401);

    // The Keys page no longer lists them either.
    auto *keys = UiFixture::showPage<KeysPage>(*s.window);
    QVERIFY(keys);
    QCOMPARE(keys->model()->rowCount(), 0);
}

void TestUsersPages::theUserDialogBuildsItsRequests()
{
    UserDialog fresh;
    fresh.findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"dave"_s);
    auto *role = fresh.findChild<QComboBox *>(u"userRoleComboBox"_s);
    role->setCurrentIndex(role->findData(u"proxy_admin"_s));
    fresh.findChild<QCheckBox *>(u"autoCreateKeyCheckBox"_s)->setChecked(false);
    fresh.findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"ignored without a key"_s);
    fresh.findChild<QSpinBox *>(u"rpmLimitSpinBox"_s)->setValue(30);
    const QJsonObject expected{{u"user_id"_s, u"dave"_s},
                               {u"user_role"_s, u"proxy_admin"_s},
                               {u"auto_create_key"_s, false},
                               {u"rpm_limit"_s, 30}};
    QCOMPARE(fresh.requestBody(), expected);

    const UserRecord user = sampleUser(u"erin"_s, u"erin@example.com"_s);
    UserDialog edit(user);
    QCOMPARE(edit.requestBody(), QJsonObject({{u"user_id"_s, u"erin"_s}}));
    edit.findChild<QLineEdit *>(u"modelsLineEdit"_s)->setText(u"gpt-a, all-team"_s);
    edit.findChild<QComboBox *>(u"budgetDurationComboBox"_s)->setEditText(u"weekly"_s);
    const QJsonObject changed{{u"user_id"_s, u"erin"_s},
                              {u"models"_s, QJsonArray{u"gpt-a"_s, u"all-team"_s}},
                              {u"budget_duration"_s, u"weekly"_s}};
    QCOMPARE(edit.requestBody(), changed);
}

void TestUsersPages::theUserTableModelPassesTheModelTester()
{
    UserTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRecords({sampleUser(u"a"_s, u"a@x"_s), sampleUser(u"b"_s, u"b@x"_s)});
    model.setRecords({sampleUser(u"b"_s, u"b@y"_s), sampleUser(u"c"_s, u"c@x"_s)});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(model.rowOf(u"b"_s), UserTableModel::Email).data().toString(), u"b@y"_s);
    QCOMPARE(model.index(0, UserTableModel::Spend).data(TableRoles::Sort).toDouble(), 1.25);
    QCOMPARE(model.index(0, UserTableModel::Limits).data().toString(), u"— / %1 / —"_s.arg(QLocale().toString(1000)));
    QCOMPARE(model.index(0, UserTableModel::Id).data(TableRoles::Id).toString(), u"b"_s);
    model.setRecords({});
    QCOMPARE(model.rowCount(), 0);
    model.setRecords({sampleUser(u"d"_s, QString())});
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestUsersPages::endUsersNamedInCallsAppearInTheList()
{
    PageSetUp<EndUsersPage> s;
    QVERIFY(s.start());
    QCOMPARE(s.page->model()->rowCount(), 0);
    const QByteArray key = s.newKey();
    QCOMPARE(s.fixture.chat(key, u"gpt-a"_s, u"customer-1"_s), 200);
    QCOMPARE(s.fixture.chat(key, u"gpt-a"_s, u"customer-2"_s), 200);
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(s.page->model()->rowCount(), 2);
    const int row = s.page->model()->rowOf(u"customer-1"_s);
    QVERIFY(row >= 0);
    QVERIFY(s.page->model()->records().at(row).budget.spend > 0);
    s.page->searchLineEdit()->setText(u"customer-2"_s);
    QCOMPARE(s.page->tableView()->proxy()->rowCount(), 1);
}

void TestUsersPages::blockingAnEndUserRefusesTheirCallsUntilUnblocked()
{
    PageSetUp<EndUsersPage> s;
    QVERIFY(s.start());
    const QByteArray key = s.newKey();
    QCOMPARE(s.fixture.chat(key, u"gpt-a"_s, u"mallory"_s), 200);
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.select(u"mallory"_s));

    auto *block = s.page->findChild<QAction *>(u"blockEndUserAction"_s);
    QCOMPARE(block->text(), u"Block"_s);
    Confirm::setAutomaticAnswer(true);
    const int asked = Confirm::asked();
    block->trigger();
    QCOMPARE(Confirm::asked(), asked + 1);
    QVERIFY(settle(s.fixture, s.page));
    const int row = s.page->model()->rowOf(u"mallory"_s);
    QVERIFY(s.page->model()->records().at(row).blocked);
    QVERIFY(!s.page->model()->index(row, EndUserTableModel::Blocked).data(Qt::DecorationRole).value<QIcon>().isNull());
    QCOMPARE(block->text(), u"Unblock"_s);
    // api.md §1: a blocked end user is 401; other end users of the same key still pass.
    QCOMPARE(s.fixture.chat(key, u"gpt-a"_s, u"mallory"_s), 401);
    QCOMPARE(s.fixture.chat(key, u"gpt-a"_s, u"trent"_s), 200);

    block->trigger();
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(!s.page->model()->records().at(s.page->model()->rowOf(u"mallory"_s)).blocked);
    QCOMPARE(s.fixture.chat(key, u"gpt-a"_s, u"mallory"_s), 200);
}

void TestUsersPages::anEndUserCreatedInTheDialogGetsItsBudget()
{
    PageSetUp<EndUsersPage> s;
    QVERIFY(s.start());
    QVERIFY(trigger(s.page, u"newEndUserAction"_s));
    auto *dialog = waitForDialog<EndUserDialog>(s.page);
    QVERIFY(dialog);
    dialog->findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"acme"_s);
    dialog->findChild<QLineEdit *>(u"aliasLineEdit"_s)->setText(u"ACME Corp"_s);
    dialog->findChild<QCheckBox *>(u"maxBudgetCheckBox"_s)->setChecked(true);
    dialog->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s)->setValue(0);   // admits nothing
    dialog->accept();

    QVERIFY(settle(s.fixture, s.page));
    const int row = s.page->model()->rowOf(u"acme"_s);
    QVERIFY(row >= 0);
    QCOMPARE(s.page->tableView()->currentSourceRow(), row);
    QCOMPARE(s.page->model()->index(row, EndUserTableModel::Alias).data().toString(), u"ACME Corp"_s);
    QCOMPARE(s.page->model()->index(row, EndUserTableModel::MaxBudget).data(TableRoles::Sort).toDouble(), 0.0);
    QCOMPARE(s.fixture.chat(s.newKey(), u"gpt-a"_s, u"acme"_s), 429);

    // Editing lifts the budget.
    QVERIFY(trigger(s.page, u"editEndUserAction"_s));
    auto *edit = waitForDialog<EndUserDialog>(s.page);
    QVERIFY(edit);
    edit->findChild<QDoubleSpinBox *>(u"maxBudgetDoubleSpinBox"_s)->setValue(100);
    edit->accept();
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(s.page->model()->index(row, EndUserTableModel::MaxBudget).data(TableRoles::Sort).toDouble(), 100.0);
    QCOMPARE(s.fixture.chat(s.newKey(), u"gpt-a"_s, u"acme"_s), 200);
}

void TestUsersPages::deletingAnEndUserAsksFirst()
{
    PageSetUp<EndUsersPage> s;
    QVERIFY(s.start());
    QCOMPARE(s.fixture.gateway().post("/customer/new", QJsonObject{{u"user_id"_s, u"gone"_s}}).status, 200);
    QVERIFY(UiFixture::refreshAndWait(s.page));
    QVERIFY(s.select(u"gone"_s));
    Confirm::setAutomaticAnswer(false);
    QVERIFY(trigger(s.page, u"deleteEndUserAction"_s));
    QVERIFY(settle(s.fixture, s.page));
    QVERIFY(s.page->model()->rowOf(u"gone"_s) >= 0);
    Confirm::setAutomaticAnswer(true);
    QVERIFY(trigger(s.page, u"deleteEndUserAction"_s));
    QVERIFY(settle(s.fixture, s.page));
    QCOMPARE(s.page->model()->rowOf(u"gone"_s), -1);
}

void TestUsersPages::theEndUserDialogBuildsItsRequests()
{
    EndUserDialog fresh;
    auto *ok = fresh.findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    QVERIFY(!ok->isEnabled());   // the id is required
    fresh.findChild<QLineEdit *>(u"userIdLineEdit"_s)->setText(u"zed"_s);
    QVERIFY(ok->isEnabled());
    fresh.findChild<QCheckBox *>(u"blockedCheckBox"_s)->setChecked(true);
    fresh.findChild<QSpinBox *>(u"maxParallelRequestsSpinBox"_s)->setValue(2);
    const QJsonObject expected{{u"user_id"_s, u"zed"_s}, {u"blocked"_s, true}, {u"max_parallel_requests"_s, 2}};
    QCOMPARE(fresh.requestBody(), expected);

    EndUserDialog edit(sampleEndUser(u"yan"_s, true));
    QCOMPARE(edit.requestBody(), QJsonObject({{u"user_id"_s, u"yan"_s}}));
    edit.findChild<QCheckBox *>(u"blockedCheckBox"_s)->setChecked(false);
    edit.findChild<QLineEdit *>(u"aliasLineEdit"_s)->clear();
    const QJsonObject changed{{u"user_id"_s, u"yan"_s}, {u"alias"_s, QString()}, {u"blocked"_s, false}};
    QCOMPARE(edit.requestBody(), changed);
}

void TestUsersPages::theEndUserTableModelPassesTheModelTester()
{
    EndUserTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRecords({sampleEndUser(u"a"_s, false), sampleEndUser(u"b"_s, true), sampleEndUser(u"c"_s, false)});
    model.setRecords({sampleEndUser(u"c"_s, true), sampleEndUser(u"d"_s, false)});
    QCOMPARE(model.rowCount(), 2);
    const int c = model.rowOf(u"c"_s);
    QCOMPARE(model.index(c, EndUserTableModel::Blocked).data().toString(), u"Blocked"_s);
    QVERIFY(model.index(c, EndUserTableModel::Id).data(Qt::ForegroundRole).isValid());
    QVERIFY(!model.index(model.rowOf(u"d"_s), EndUserTableModel::Id).data(Qt::ForegroundRole).isValid());
    QCOMPARE(model.index(c, EndUserTableModel::MaxBudget).data().toString(), u"—"_s);
    model.setRecords({});
    QCOMPARE(model.rowCount(), 0);
    model.setRecords({sampleEndUser(u"e"_s, false)});
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestUsersPages::theIdIsReadOnlyWhenEditing()
{
    // Editing: the id names the user everywhere and cannot change — not editable, not in the
    // tab order (editing starts at the first field that can change), still selectable.
    UserDialog edit(sampleUser(u"erin"_s, u"erin@example.com"_s));
    edit.show();
    QVERIFY(QTest::qWaitForWindowExposed(&edit));
    auto *id = edit.findChild<QLineEdit *>(u"userIdLineEdit"_s);
    QVERIFY(id->isReadOnly());
    QVERIFY(!(id->focusPolicy() & Qt::TabFocus));
    QVERIFY(edit.focusWidget() != id);
    id->setFocus();
    QTest::keyClicks(id, u"x"_s);
    QCOMPARE(id->text(), u"erin"_s);
    QCOMPARE(edit.requestBody(), QJsonObject({{u"user_id"_s, u"erin"_s}}));

    EndUserDialog endUser(sampleEndUser(u"yan"_s, true));
    auto *endUserId = endUser.findChild<QLineEdit *>(u"userIdLineEdit"_s);
    QVERIFY(endUserId->isReadOnly());
    QVERIFY(!(endUserId->focusPolicy() & Qt::TabFocus));

    // A new user's id is typed as before.
    UserDialog fresh;
    QVERIFY(!fresh.findChild<QLineEdit *>(u"userIdLineEdit"_s)->isReadOnly());
}

QTEST_MAIN(TestUsersPages)
#include "tst_userspages.moc"
