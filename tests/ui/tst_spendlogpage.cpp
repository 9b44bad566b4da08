#include "models/store/spendlog.h"
#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/format.h"
#include "ui/models/spendlogtablemodel.h"
#include "ui/dialogs/keydialog.h"
#include "ui/models/keytablemodel.h"
#include "ui/pages/keyspage.h"
#include "ui/pages/spendlogpage.h"
#include "ui/banner.h"
#include "ui/mainwindow.h"
#include "ui/tableview.h"

#include <QAbstractItemModelTester>
#include <QCalendarWidget>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDesktopServices>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

namespace {

struct TestKey
{
    QByteArray key;
    QString token;
};

TestKey makeKey(UiFixture &fixture, const QJsonObject &fields)
{
    const auto response = fixture.gateway().post("/key/generate", fields);
    const QJsonObject json = response.json();
    return {json.value(u"key"_s).toString().toUtf8(), json.value(u"token"_s).toString()};
}

SpendRecord record(const QString &id, double spend, const QString &model = u"gpt-a"_s)
{
    SpendRecord row;
    row.requestId = id;
    row.spend = spend;
    row.model = model;
    row.modelGroup = model;
    row.startTime = QDateTime::currentDateTimeUtc();
    return row;
}

// Calls through two keys, three models and two end users; key "alpha" belongs to user carol.
struct Traffic
{
    TestKey alpha;
    TestKey beta;
};

Traffic makeTraffic(UiFixture &fixture)
{
    fixture.gateway().post("/user/new", QJsonObject{{u"user_id"_s, u"carol"_s}, {u"auto_create_key"_s, false}});
    Traffic traffic;
    traffic.alpha = makeKey(fixture, {{u"key_alias"_s, u"alpha"_s}, {u"user_id"_s, u"carol"_s}});
    traffic.beta = makeKey(fixture, {{u"key_alias"_s, u"beta"_s}});
    // "Newest first" goes by start time, kept to the millisecond: the calls are spaced so that
    // each has its own (a local call can take well under a millisecond).
    const auto chat = [&fixture](const QByteArray &key, const QString &model, const QString &endUser) {
        QThread::msleep(3);
        return fixture.chat(key, model, endUser);
    };
    if (chat(traffic.alpha.key, u"gpt-a"_s, u"alice"_s) != 200 || chat(traffic.beta.key, u"gpt-b"_s, u"bob"_s) != 200
        || chat(traffic.alpha.key, u"gpt-c"_s, u"bob"_s) != 200)
        qWarning("a chat call failed");
    return traffic;
}

// A click on the date edit's arrow opens its calendar.
void openPopup(QDateTimeEdit *edit)
{
    QTest::mouseClick(edit, Qt::LeftButton, {}, QPoint(edit->width() - 6, edit->height() / 2));
}

// Stands in for the desktop's file manager.
class UrlCatcher : public QObject
{
    Q_OBJECT

public:
    QList<QUrl> urls;

public Q_SLOTS:
    void open(const QUrl &url) { urls.append(url); }
};

} // namespace

class TestSpendLogPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsEveryCallNewestFirst();
    void filtersByKeyUserEndUserAndModel();
    void filtersByTimeRange();
    void keyComboShowsAliasesAndSendsTheToken();
    void newCallsAppearOnTheNextRefresh();
    void exportWritesTheFilteredRowsAsCsv();
    void exportToAnUnwritablePathReportsAnError();
    void contextMenuFilterKeepsOtherFilters();
    void tableModelPassesTheModelTester();
    void masterKeyAndOpenAccessCallsAreNamed();
    void theOldMasterKeysSpendIsNamedAfterARotation();
    void aKeyWhoseNameIsClearedIsShownByItsMaskedKey();
    void filtersBySessionAndShowsTheTokenSplit();
    void refusedCallsShowTheirReasonAndFilter();
    void modelFilterMatchesAPartOfTheName();
    void calendarsOpenAtTodayForAnyTime();
    void filterLabelsAreNotClipped();
    void exportOffersToOpenTheFolder();
};

void TestSpendLogPage::listsEveryCallNewestFirst()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 0);

    const Traffic traffic = makeTraffic(fixture);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 3);
    // The proxy sorts by time, newest first: the last call (gpt-c) on top.
    const QModelIndex top = page.view()->proxy()->index(0, SpendLogTableModel::Model);
    QCOMPARE(top.data().toString(), u"gpt-c"_s);
    // Keys show by alias once the key list came.
    QCOMPARE(page.view()->proxy()->index(0, SpendLogTableModel::Key).data().toString(), u"alpha"_s);
}

void TestSpendLogPage::filtersByKeyUserEndUserAndModel()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const Traffic traffic = makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 3);

    const auto only = [&page](const SpendLogQuery &query, int expected, const std::function<bool(const SpendRecord &)> &matches) {
        page.setQuery(query);
        if (!UiFixture::refreshAndWait(&page))
            return false;
        if (page.model()->rowCount() != expected) {
            qWarning() << "rows:" << page.model()->rowCount() << "expected:" << expected;
            return false;
        }
        const QList<SpendRecord> &rows = page.model()->records();
        return std::all_of(rows.cbegin(), rows.cend(), matches);
    };
    SpendLogQuery query;
    query.apiKey = traffic.alpha.token;
    QVERIFY(only(query, 2, [&](const SpendRecord &row) { return row.apiKey == traffic.alpha.token; }));
    query = {};
    query.apiKey = traffic.beta.token;
    QVERIFY(only(query, 1, [&](const SpendRecord &row) { return row.apiKey == traffic.beta.token; }));
    query = {};
    query.userId = u"carol"_s;
    QVERIFY(only(query, 2, [](const SpendRecord &row) { return row.userId == u"carol"; }));
    query = {};
    query.endUser = u"bob"_s;
    QVERIFY(only(query, 2, [](const SpendRecord &row) { return row.endUser == u"bob"; }));
    query = {};
    query.model = u"gpt-b"_s;
    QVERIFY(only(query, 1, [](const SpendRecord &row) { return row.modelGroup == u"gpt-b"; }));
    query = {};
    query.apiKey = traffic.alpha.token;
    query.endUser = u"bob"_s;
    QVERIFY(only(query, 1, [](const SpendRecord &row) { return row.modelGroup == u"gpt-c"; }));
    QVERIFY(only({}, 3, [](const SpendRecord &) { return true; }));
}

void TestSpendLogPage::filtersByTimeRange()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    SpendLogQuery query;
    query.from = QDateTime::currentDateTime().addSecs(3600);
    page.setQuery(query);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 0);

    page.applyPreset(SpendLogPage::Preset::Today);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 3);

    query = {};
    query.until = QDateTime::currentDateTime().addDays(-1);
    page.setQuery(query);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 0);

    page.applyPreset(SpendLogPage::Preset::All);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 3);
    QVERIFY(!page.query().from.isValid());
}

void TestSpendLogPage::keyComboShowsAliasesAndSendsTheToken()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const Traffic traffic = makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    auto *combo = page.findChild<QComboBox *>(u"keyComboBox"_s);
    QVERIFY(combo);
    const int index = combo->findText(u"beta"_s);
    QVERIFY(index > 0);
    QCOMPARE(combo->itemData(index).toString(), traffic.beta.token);
    combo->setCurrentIndex(index);
    QCOMPARE(page.query().apiKey, traffic.beta.token);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 1);
}

void TestSpendLogPage::newCallsAppearOnTheNextRefresh()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const Traffic traffic = makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    page.view()->selectSourceRow(page.model()->rowOf(page.model()->records().first().requestId));
    const QString selected = page.model()->records().first().requestId;

    QCOMPARE(fixture.chat(traffic.beta.key, u"gpt-a"_s), 200);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 4);
    // Merged, not reset: the selection stays on its row.
    QCOMPARE(page.model()->recordAt(page.view()->currentSourceRow())->requestId, selected);
}

void TestSpendLogPage::exportWritesTheFilteredRowsAsCsv()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const Traffic traffic = makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    SpendLogQuery query;
    query.apiKey = traffic.alpha.token;
    page.setQuery(query);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 2);

    QTemporaryDir dir;
    const QString path = dir.filePath(u"spend.csv"_s);
    QSignalSpy finished(&page, &SpendLogPage::exportFinished);
    QSignalSpy notices(&page, &Page::noticeWithLink);
    page.exportTo(path);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(1).toString(), QString());
    QCOMPARE(finished.first().at(0).toLongLong(), 2);
    QCOMPARE(notices.size(), 1);
    // The notice offers the folder the file went to.
    QCOMPARE(notices.first().at(2).toUrl(), QUrl::fromLocalFile(dir.path()));

    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = file.readAll().split('\n');
    while (!lines.isEmpty() && lines.last().trimmed().isEmpty())
        lines.removeLast();
    QCOMPARE(lines.size(), 3);
    const QList<QByteArray> header = lines.first().trimmed().split(',');
    QCOMPARE(header.first(), QByteArrayLiteral("request_id"));
    const int keyColumn = int(header.indexOf(QByteArrayLiteral("api_key")));
    const int endUserColumn = int(header.indexOf(QByteArrayLiteral("end_user")));
    QVERIFY(keyColumn > 0 && endUserColumn > 0);
    QSet<QString> exported;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> fields = lines.at(i).trimmed().split(',');
        QCOMPARE(QString::fromUtf8(fields.at(keyColumn)), traffic.alpha.token);
        exported.insert(QString::fromUtf8(fields.first()));
    }
    QSet<QString> shown;
    for (const SpendRecord &row : page.model()->records())
        shown.insert(row.requestId);
    QCOMPARE(exported, shown);

    // The export is the user's alone (0600), also when it replaces a file others could read.
    const auto othersMayRead = [](const QString &file) {
        return QFileInfo(file).permissions()
               & (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther | QFileDevice::WriteOther);
    };
    QCOMPARE(othersMayRead(path), QFileDevice::Permissions());
    QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                                            | QFileDevice::ReadOther));
    QVERIFY(othersMayRead(path));
    finished.clear();
    page.exportTo(path);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toLongLong(), 2);
    QCOMPARE(othersMayRead(path), QFileDevice::Permissions());
}

void TestSpendLogPage::exportToAnUnwritablePathReportsAnError()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    SpendLogPage page(&fixture.api());
    QSignalSpy finished(&page, &SpendLogPage::exportFinished);
    page.exportTo(u"/nonexistent-folder/spend.csv"_s);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.first().at(0).toLongLong(), -1);
    QVERIFY(!finished.first().at(1).toString().isEmpty());
}

void TestSpendLogPage::contextMenuFilterKeepsOtherFilters()
{
    // The menu's "Only this …" actions go through setQuery(query() + one field).
    UiFixture fixture;
    QVERIFY(fixture.start());
    const Traffic traffic = makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    SpendLogQuery query;
    query.endUser = u"bob"_s;
    page.setQuery(query);
    QVERIFY(UiFixture::refreshAndWait(&page));
    SpendLogQuery next = page.query();
    next.model = u"gpt-b"_s;
    page.setQuery(next);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 1);
    QCOMPARE(page.model()->records().first().apiKey, traffic.beta.token);
}

void TestSpendLogPage::tableModelPassesTheModelTester()
{
    SpendLogTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRecords({record(u"r1"_s, 0.1), record(u"r2"_s, 0.2), record(u"r3"_s, 0.3)});
    QCOMPARE(model.rowCount(), 3);
    SpendRecord changed = record(u"r2"_s, 0.25, u"gpt-b"_s);
    changed.costEstimated = true;
    changed.priceUnknown = true;
    model.setRecords({record(u"r1"_s, 0.1), changed, record(u"r3"_s, 0.3), record(u"r4"_s, 0.4)});
    QCOMPARE(model.rowCount(), 4);
    const int row = model.rowOf(u"r2"_s);
    QVERIFY(model.index(row, SpendLogTableModel::Flags).data().toString().contains(u"estimated"_s));
    QVERIFY(model.index(row, SpendLogTableModel::Flags).data().toString().contains(u"price unknown"_s));
    model.setKeyNames({{u"tok"_s, u"alias"_s}});
    model.setRecords({record(u"r4"_s, 0.4)});
    QCOMPARE(model.rowCount(), 1);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestSpendLogPage::masterKeyAndOpenAccessCallsAreNamed()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s), 200);
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 1);
    QCOMPARE(page.model()->index(0, SpendLogTableModel::Key).data().toString(), u"Master key"_s);
    // The key filter offers it, and it filters by the master key's token.
    auto *combo = page.findChild<QComboBox *>(u"keyComboBox"_s);
    QVERIFY(combo);
    const int index = combo->findText(u"Master key"_s);
    QVERIFY(index > 0);
    QCOMPARE(combo->itemData(index).toString(), fixture.api().masterKeyToken());
    QCOMPARE(page.model()->records().first().apiKey, fixture.api().masterKeyToken());

    // Calls without a key (a gateway with no master key) and of deleted keys.
    QCOMPARE(page.model()->keyName(QString()), u"No key (open access)"_s);
    QCOMPARE(page.model()->keyName(u"63b0e2aa00"_s), u"Deleted key 63b0e2aa…"_s);
}

void TestSpendLogPage::theOldMasterKeysSpendIsNamedAfterARotation()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s), 200);
    const QString oldToken = fixture.api().masterKeyToken();
    auto window = fixture.createWindow();

    // A rotation as the desktop app does it (rotateMasterKey): the gateway, the client, then
    // the window take the new key.
    const QString newKey = u"sk-rotated-master-key"_s;
    QVERIFY(fixture.gateway().host().setMasterKey(newKey));
    fixture.api().setMasterKey(newKey);
    ConnectionInfo connection = fixture.connection();
    connection.masterKey = newKey;
    window->setConnection(connection);
    QCOMPARE(fixture.chat(newKey.toUtf8(), u"gpt-b"_s), 200);

    auto *page = UiFixture::showPage<SpendLogPage>(*window);
    QVERIFY(page);
    QCOMPARE(page->model()->rowCount(), 2);
    QCOMPARE(page->model()->keyName(oldToken), u"Master key (previous)"_s);
    QCOMPARE(page->model()->keyName(fixture.api().masterKeyToken()), u"Master key"_s);

    // Also after a restart of the window: the settings keep the old key's token (not the key).
    window.reset();
    window = fixture.createWindow();
    page = UiFixture::showPage<SpendLogPage>(*window);
    QVERIFY(page);
    QCOMPARE(page->model()->keyName(oldToken), u"Master key (previous)"_s);
    QFile ini(fixture.settingsFileName());
    QVERIFY(ini.open(QIODevice::ReadOnly));
    QVERIFY(!ini.readAll().contains(GatewayFixture::MasterKey));
}

void TestSpendLogPage::aKeyWhoseNameIsClearedIsShownByItsMaskedKey()
{
    // Clearing a key's name in the edit dialog sends key_alias "": the gateway drops the alias,
    // and the window names the key as it does one made without a name, by its masked key.
    UiFixture fixture;
    QVERIFY(fixture.start());
    const TestKey key = makeKey(fixture, QJsonObject{{u"key_alias"_s, u"named"_s}});
    QCOMPARE(fixture.chat(key.key, u"gpt-a"_s), 200);
    auto window = fixture.createWindow();
    auto *spendLog = UiFixture::showPage<SpendLogPage>(*window);
    QVERIFY(spendLog);
    QCOMPARE(spendLog->model()->keyName(key.token), u"named"_s);

    auto *keys = UiFixture::showPage<KeysPage>(*window);
    QVERIFY(keys);
    const int row = keys->model()->rowOf(key.token);
    keys->tableView()->selectSourceRow(row);
    QVERIFY(Pages::trigger(keys, u"editKeyAction"_s));
    auto *dialog = Pages::waitForDialog<KeyDialog>(keys);
    QVERIFY(dialog);
    const QString masked = keys->model()->recordAt(row)->keyName;
    QVERIFY(masked.startsWith(u"sk-..."_s));
    auto *name = dialog->findChild<QLineEdit *>(u"keyAliasLineEdit"_s);
    name->clear();
    // What no name means is said where the name was.
    QVERIFY2(name->placeholderText().contains(masked), qPrintable(name->placeholderText()));
    QCOMPARE(dialog->requestBody().value(u"key_alias"_s), QJsonValue(QString()));
    dialog->accept();
    QVERIFY(Pages::settle(fixture, keys));
    QCOMPARE(keys->model()->recordAt(keys->model()->rowOf(key.token))->keyAlias, QString());
    QCOMPARE(keys->model()->index(keys->model()->rowOf(key.token), KeyTableModel::Name).data().toString(), masked);

    // The spend log names it so at once, not by the name it no longer has.
    QVERIFY(UiFixture::showPage<SpendLogPage>(*window));
    QVERIFY(fixture.waitIdle());
    QCOMPARE(spendLog->model()->keyName(key.token), masked);
    const int shown = spendLog->model()->rowOf(spendLog->model()->records().first().requestId);
    QCOMPARE(spendLog->model()->index(shown, SpendLogTableModel::Key).data().toString(), masked);
}

void TestSpendLogPage::filtersBySessionAndShowsTheTokenSplit()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    // Rows as the relay writes them for a coding agent (two sessions) and one outside any.
    const QDateTime start = QDateTime::currentDateTimeUtc().addSecs(-60);
    const auto row = [&start](const QString &id, const QString &session, int second) {
        SpendLogRow row;
        row.requestId = id;
        row.callType = u"anthropic_messages"_s;
        row.dialect = u"messages"_s;
        row.sessionId = session;
        row.model = row.modelGroup = u"claude"_s;
        row.promptTokens = 1000;
        row.completionTokens = 50;
        row.totalTokens = 1050;
        row.cachedTokens = 600;
        row.cacheWriteTokens = 300;
        row.cacheWrite1hTokens = 100;
        row.startTime = row.endTime = start.addSecs(second);
        return row;
    };
    const QList<SpendLogRow> rows{row(u"s1-a"_s, u"session-one"_s, 1), row(u"s1-b"_s, u"session-one"_s, 2),
                                  row(u"s2-a"_s, u"session-two"_s, 3), row(u"none"_s, QString(), 4)};
    QVERIFY(fixture.gateway().store().writeNow([rows](QSqlDatabase &db) -> Result<void> {
        for (const SpendLogRow &one : rows) {
            if (auto done = SpendLogRepository::insert(one)(db); !done)
                return done;
        }
        return {};
    }));

    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 4);
    const int first = page.model()->rowOf(u"s1-a"_s);
    QCOMPARE(page.model()->index(first, SpendLogTableModel::Session).data().toString(), u"session-one"_s);
    QCOMPARE(page.model()->index(page.model()->rowOf(u"none"_s), SpendLogTableModel::Session).data().toString(),
             u"—"_s);
    const QString split = page.model()->index(first, SpendLogTableModel::Tokens).data(Qt::ToolTipRole).toString();
    QVERIFY2(split.contains(u"600"_s) && split.contains(u"read from the cache"_s), qPrintable(split));
    QVERIFY2(split.contains(u"300"_s) && split.contains(u"written to the cache"_s) && split.contains(u"100"_s),
             qPrintable(split));
    QVERIFY(page.model()->index(first, SpendLogTableModel::Model).data(Qt::ToolTipRole).toString()
                .contains(u"messages"_s));

    // The session field filters (the API's session_id), alone and with the other filters.
    auto *edit = page.findChild<QLineEdit *>(u"sessionLineEdit"_s);
    QVERIFY(edit);
    edit->setText(u"session-one"_s);
    QCOMPARE(page.query().sessionId, u"session-one"_s);
    QCOMPARE(page.query().toUrlQuery().queryItemValue(u"session_id"_s), u"session-one"_s);
    SpendLogQuery query = page.query();
    page.setQuery(query);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 2);
    for (const SpendRecord &record : page.model()->records())
        QCOMPARE(record.sessionId, u"session-one"_s);
    query.model = u"other"_s;
    page.setQuery(query);
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 0);
    page.setQuery({});
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 4);
    QVERIFY(edit->text().isEmpty());
}

void TestSpendLogPage::refusedCallsShowTheirReasonAndFilter()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    const TestKey capped = makeKey(fixture, {{u"key_alias"_s, u"capped"_s}, {u"max_budget"_s, 0}});
    QCOMPARE(fixture.chat(capped.key, u"gpt-a"_s, u"alice"_s), 429);
    QThread::msleep(3);
    QCOMPARE(fixture.chat(GatewayFixture::MasterKey, u"gpt-a"_s, u"alice"_s), 200);

    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 2);
    const SpendRecord *refused = nullptr;
    for (const SpendRecord &row : page.model()->records()) {
        if (row.status == u"refused")
            refused = &row;
    }
    QVERIFY(refused);
    const int row = page.model()->rowOf(refused->requestId);
    QCOMPARE(page.model()->index(row, SpendLogTableModel::Status).data().toString(), u"refused (429)"_s);
    QVERIFY(page.model()->index(row, SpendLogTableModel::Status).data(Qt::ToolTipRole).toString().contains(u"udget"_s));
    QCOMPARE(page.model()->index(row, SpendLogTableModel::Spend).data().toString(), Format::usd(0));

    // "Show: Refused by Tollgate" asks the API for status=refused only.
    auto *combo = page.findChild<QComboBox *>(u"statusComboBox"_s);
    QVERIFY(combo);
    combo->setCurrentIndex(combo->findData(u"refused"_s));
    QCOMPARE(page.query().toUrlQuery().queryItemValue(u"status"_s), u"refused"_s);
    page.setQuery(page.query());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 1);
    QCOMPARE(page.model()->records().first().status, u"refused"_s);

    // The status line tells the spend of every matching row, not only the loaded ones.
    page.setQuery({});
    QVERIFY(UiFixture::refreshAndWait(&page));
    const double served = fixture.gateway().get("/global/spend").json().value(u"spend"_s).toDouble();
    QVERIFY(served > 0);
    auto *status = page.findChild<QLabel *>(u"statusLabel"_s);
    QTRY_VERIFY2(status->text().contains(Format::usd(served)), qPrintable(status->text()));
}

void TestSpendLogPage::modelFilterMatchesAPartOfTheName()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    makeTraffic(fixture);
    SpendLogPage page(&fixture.api());
    QVERIFY(UiFixture::refreshAndWait(&page));
    QCOMPARE(page.model()->rowCount(), 3);

    // What the user types in the Model field: a part of the name, any case.
    auto *edit = page.findChild<QLineEdit *>(u"modelLineEdit"_s);
    QVERIFY(edit);
    const auto typed = [&](const QString &text) {
        edit->setText(text);
        Q_EMIT edit->editingFinished();
        return UiFixture::refreshAndWait(&page) ? int(page.model()->rowCount()) : -1;
    };
    QCOMPARE(typed(u"GPT"_s), 3);
    QCOMPARE(typed(u"-c"_s), 1);
    QCOMPARE(page.model()->records().first().modelGroup, u"gpt-c"_s);
    QCOMPARE(typed(u"gpt_"_s), 0);   // '_' is no wildcard
    QCOMPARE(typed(QString()), 3);
}

void TestSpendLogPage::calendarsOpenAtTodayForAnyTime()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    SpendLogPage page(&fixture.api());
    page.resize(1200, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    const QDate today = QDate::currentDate();
    for (const QString &name : {u"fromDateTimeEdit"_s, u"untilDateTimeEdit"_s}) {
        auto *edit = page.findChild<QDateTimeEdit *>(name);
        QVERIFY(edit);
        QCOMPARE(edit->text(), u"any time"_s);
        openPopup(edit);
        QCalendarWidget *calendar = edit->calendarWidget();
        QTRY_VERIFY(calendar->isVisible());
        QCOMPARE(calendar->yearShown(), today.year());
        QCOMPARE(calendar->monthShown(), today.month());
        calendar->window()->close();
        QTRY_VERIFY(!calendar->isVisible());
        // Nothing was picked: still "any time".
        QCOMPARE(edit->text(), u"any time"_s);
    }
    QVERIFY(!page.query().from.isValid() && !page.query().until.isValid());

    // A date set: the calendar shows its month.
    auto *from = page.findChild<QDateTimeEdit *>(u"fromDateTimeEdit"_s);
    from->setDateTime(QDateTime(QDate(2024, 3, 5), QTime(10, 0)));
    openPopup(from);
    QTRY_VERIFY(from->calendarWidget()->isVisible());
    QCOMPARE(from->calendarWidget()->yearShown(), 2024);
    QCOMPARE(from->calendarWidget()->monthShown(), 3);
    from->calendarWidget()->window()->close();
}

void TestSpendLogPage::filterLabelsAreNotClipped()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    window->resize(1400, 900);
    auto *page = window->page<SpendLogPage>();
    window->showPage(page);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    QVERIFY(UiFixture::refreshAndWait(page));
    for (QLabel *label : page->findChildren<QLabel *>()) {
        if (!label->buddy() || !label->isVisible())
            continue;
        // Every filter's name is wholly visible: as wide as its letters drawn one by one (a
        // mnemonic's underline splits the text into unkerned runs), and not under its field.
        QString text = label->text();
        text.remove(u'&');
        int letters = 0;
        for (const QChar c : std::as_const(text))
            letters += label->fontMetrics().horizontalAdvance(c);
        QVERIFY2(label->contentsRect().width() >= letters,
                 qPrintable(u"%1: %2 < %3"_s.arg(text).arg(label->contentsRect().width()).arg(letters)));
        const QRect field = label->buddy()->geometry();
        QVERIFY2(!label->geometry().intersects(field), qPrintable(label->text()));
    }
}

void TestSpendLogPage::exportOffersToOpenTheFolder()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    makeTraffic(fixture);
    auto window = fixture.createWindow();
    auto *page = window->page<SpendLogPage>();
    window->showPage(page);
    window->show();
    QVERIFY(UiFixture::refreshAndWait(page));

    QTemporaryDir dir;
    QSignalSpy finished(page, &SpendLogPage::exportFinished);
    page->exportTo(dir.filePath(u"spend.csv"_s));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toLongLong(), 3);

    // The banner's button opens the folder with the desktop's file manager.
    UrlCatcher catcher;
    QDesktopServices::setUrlHandler(u"file"_s, &catcher, "open");
    auto *button = window->banner()->findChild<QPushButton *>(u"bannerActionButton"_s);
    QVERIFY(button);
    QCOMPARE(button->text(), u"Open folder"_s);
    button->click();
    QDesktopServices::unsetUrlHandler(u"file"_s);
    QCOMPARE(catcher.urls, QList<QUrl>{QUrl::fromLocalFile(dir.path())});
}

QTEST_MAIN(TestSpendLogPage)
#include "tst_spendlogpage.moc"
