#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/dialogs/keycreateddialog.h"
#include "ui/dialogs/keydialog.h"
#include "ui/pages/connectpage.h"
#include "ui/pages/keyspage.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Tollgate::Test::Pages;
using ToolSetup::Tool;

namespace {

struct ConnectSetUp
{
    UiFixture fixture;
    std::unique_ptr<MainWindow> window;
    ConnectPage *page = nullptr;

    bool start()
    {
        if (!fixture.start())
            return false;
        // One key limited to a model, one that may use every model.
        fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"alice-laptop"_s},
                                                            {u"models"_s, QJsonArray{u"gpt-b"_s}}});
        fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"ci-bot"_s}});
        window = fixture.createWindow();
        page = UiFixture::showPage<ConnectPage>(*window);
        return page != nullptr;
    }
    [[nodiscard]] QString base() { return u"http://127.0.0.1:%1"_s.arg(fixture.gateway().port()); }
    bool chooseKey(const QString &alias)
    {
        QComboBox *keys = page->keyComboBox();
        for (int i = 0; i < keys->count(); ++i) {
            if (keys->itemText(i).startsWith(alias)) {
                keys->setCurrentIndex(i);
                return true;
            }
        }
        return false;
    }
    [[nodiscard]] QStringList models() const
    {
        QStringList names;
        for (int i = 0; i < page->modelComboBox()->count(); ++i)
            names.append(page->modelComboBox()->itemText(i));
        return names;
    }
};

// "sk-" + 22 characters of the URL-safe base64 alphabet.
const QRegularExpression RawKey(u"sk-[A-Za-z0-9_-]{22}"_s);

} // namespace

class TestConnectPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void comesRightAfterKeys();
    void listsTheKeysWithAPlaceholderAndTheirModels();
    void keysThatAreRefusedAreMarkedInTheList();
    void aKeyWhoseUsersBudgetIsUsedUpIsMarked();
    void aNewKeyForTheToolFillsInTheRealKey();
    void copyPutsTheSetUpOnTheClipboard();
    void switchingToolChangesTheSetUp();
    void theKeyCreatedDialogConnectsATool();
};

void TestConnectPage::comesRightAfterKeys()
{
    ConnectSetUp s;
    QVERIFY(s.start());
    const QList<Page *> pages = s.window->pages();
    QCOMPARE(pages.size(), 9);
    QCOMPARE(pages.indexOf(s.page), pages.indexOf(s.window->page<KeysPage>()) + 1);
    // Go → "Connect a tool" is Ctrl+3.
    QCOMPARE(s.window->pageActions().at(2)->shortcut(), QKeySequence(u"Ctrl+3"_s));
    QCOMPARE(s.window->pageActions().at(2)->text(), s.page->title());
}

void TestConnectPage::listsTheKeysWithAPlaceholderAndTheirModels()
{
    ConnectSetUp s;
    QVERIFY(s.start());
    QComboBox *keys = s.page->keyComboBox();
    QCOMPARE(keys->count(), 2);
    QStringList labels;
    for (int i = 0; i < keys->count(); ++i)
        labels.append(keys->itemText(i));
    labels.sort();
    QVERIFY2(QRegularExpression(u"^alice-laptop \\(sk-\\.\\.\\.[\\w-]{4}\\)$"_s).match(labels.at(0)).hasMatch(),
             qPrintable(labels.at(0)));
    QVERIFY2(labels.at(1).startsWith(u"ci-bot (sk-"_s), qPrintable(labels.at(1)));

    // A listed key's raw value is unknown: a placeholder, and the note says where the key comes from.
    QVERIFY(s.chooseKey(u"alice-laptop"_s));
    QCOMPARE(s.models(), QStringList{u"gpt-b"_s});
    s.page->setCurrentTool(Tool::OpenAiPython);
    QCOMPARE(s.page->setupText(), ToolSetup::toolSetup(Tool::OpenAiPython, s.base(), {}, u"gpt-b"_s));
    QVERIFY(s.page->setupText().contains(u"api_key=\"sk-…\""_s));
    QVERIFY(s.page->setupText().contains(s.base() + u"/v1"_s));
    QVERIFY(!RawKey.match(s.page->setupText()).hasMatch());
    auto *note = s.page->findChild<QLabel *>(u"connectKeyNoteLabel"_s);
    QVERIFY(note->text().contains(u"you saved when it was created"_s));
    QVERIFY(note->text().contains(u"alice-laptop"_s));

    QVERIFY(s.chooseKey(u"ci-bot"_s));
    QCOMPARE(s.models(), (QStringList{u"gpt-a"_s, u"gpt-b"_s, u"gpt-c"_s}));
    // A refresh (every second) keeps the choice and the text.
    const QString before = s.page->setupText();
    QVERIFY(UiFixture::refreshAndWait(s.page));
    QVERIFY(s.page->keyComboBox()->currentText().startsWith(u"ci-bot"_s));
    QCOMPARE(s.page->setupText(), before);
}

// A tool set up with a blocked key or one without budget left gets nothing but refusals: the
// list says so before the key is picked.
void TestConnectPage::keysThatAreRefusedAreMarkedInTheList()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"fine"_s}});
    fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"stopped"_s}, {u"blocked"_s, true}});
    fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"spent"_s}, {u"max_budget"_s, 0.0}});
    auto window = fixture.createWindow();
    auto *page = UiFixture::showPage<ConnectPage>(*window);
    QVERIFY(page);
    QComboBox *keys = page->keyComboBox();
    QCOMPARE(keys->count(), 3);
    const auto label = [keys](const QString &alias) {
        for (int i = 0; i < keys->count(); ++i) {
            if (keys->itemText(i).startsWith(alias))
                return keys->itemText(i);
        }
        return QString();
    };
    QVERIFY2(QRegularExpression(u"^fine \\(sk-\\.\\.\\.[\\w-]{4}\\)$"_s).match(label(u"fine"_s)).hasMatch(),
             qPrintable(label(u"fine"_s)));
    QVERIFY2(label(u"stopped"_s).endsWith(u"(blocked)"_s), qPrintable(label(u"stopped"_s)));
    QVERIFY2(label(u"spent"_s).endsWith(u"(budget used up)"_s), qPrintable(label(u"spent"_s)));

    // Chosen, the note says why and where to fix it.
    keys->setCurrentIndex(keys->findText(label(u"spent"_s)));
    auto *note = page->findChild<QLabel *>(u"connectKeyNoteLabel"_s);
    QVERIFY2(note->text().contains(u"budget is used up"_s), qPrintable(note->text()));
}

// A key without a budget of its own is refused all the same when its user's is used up.
void TestConnectPage::aKeyWhoseUsersBudgetIsUsedUpIsMarked()
{
    UiFixture fixture;
    QVERIFY(fixture.start());
    QCOMPARE(fixture.gateway()
                 .post("/user/new", QJsonObject{{u"user_id"_s, u"dana"_s},
                                                {u"max_budget"_s, 0.0},
                                                {u"auto_create_key"_s, false}})
                 .status,
             200);
    const QByteArray danas = fixture.gateway()
                                 .post("/key/generate", QJsonObject{{u"key_alias"_s, u"danas"_s}, {u"user_id"_s, u"dana"_s}})
                                 .json()
                                 .value(u"key"_s)
                                 .toString()
                                 .toUtf8();
    QCOMPARE(fixture.chat(danas), 429);   // the gateway refuses it
    fixture.gateway().post("/key/generate", QJsonObject{{u"key_alias"_s, u"fine"_s}});
    auto window = fixture.createWindow();
    auto *page = UiFixture::showPage<ConnectPage>(*window);
    QVERIFY(page);
    QComboBox *keys = page->keyComboBox();
    QCOMPARE(keys->count(), 2);
    const int index = keys->findText(u"danas"_s, Qt::MatchStartsWith);
    QVERIFY(index >= 0);
    QVERIFY2(keys->itemText(index).endsWith(u"(user's budget used up)"_s), qPrintable(keys->itemText(index)));
    QVERIFY(!keys->itemText(keys->findText(u"fine"_s, Qt::MatchStartsWith)).contains(u"used up"_s));

    keys->setCurrentIndex(index);
    auto *note = page->findChild<QLabel *>(u"connectKeyNoteLabel"_s);
    QVERIFY2(note->text().contains(u"budget of its user dana is used up"_s), qPrintable(note->text()));
}

void TestConnectPage::aNewKeyForTheToolFillsInTheRealKey()
{
    ConnectSetUp s;
    QVERIFY(s.start());
    s.page->setCurrentTool(Tool::ClaudeCode);
    s.page->findChild<QPushButton *>(u"connectNewKeyButton"_s)->click();
    auto *dialog = waitForDialog<KeyDialog>(s.page);
    QVERIFY(dialog);
    dialog->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"claude-code"_s);
    dialog->accept();
    QVERIFY(QTest::qWaitFor([&] { return RawKey.match(s.page->setupText()).hasMatch(); }, 10000));
    const QString rawKey = RawKey.match(s.page->setupText()).captured();
    QVERIFY(s.page->keyComboBox()->currentText().startsWith(u"claude-code (sk-"_s));
    QCOMPARE(s.page->setupText(), ToolSetup::toolSetup(Tool::ClaudeCode, s.base(), rawKey, u"gpt-a"_s));
    QVERIFY(s.page->findChild<QLabel *>(u"connectKeyNoteLabel"_s)->text().contains(u"new key is filled in"_s));
    // The real key, and it works.
    QCOMPARE(s.fixture.chat(rawKey.toUtf8(), u"gpt-a"_s), 200);
    // After the list has it, a refresh keeps it chosen and filled in.
    QVERIFY(s.fixture.waitIdle());
    QVERIFY(UiFixture::refreshAndWait(s.page));
    QCOMPARE(s.page->keyComboBox()->count(), 3);
    QVERIFY(s.page->setupText().contains(u"ANTHROPIC_AUTH_TOKEN="_s + rawKey));
    // Another key: the placeholder again.
    QVERIFY(s.chooseKey(u"ci-bot"_s));
    QVERIFY(!s.page->setupText().contains(rawKey));
    QVERIFY(s.page->setupText().contains(u"ANTHROPIC_AUTH_TOKEN=sk-…"_s));
}

void TestConnectPage::copyPutsTheSetUpOnTheClipboard()
{
    ConnectSetUp s;
    QVERIFY(s.start());
    s.page->setCurrentTool(Tool::CodexCli);
    QApplication::clipboard()->clear();
    auto *copy = s.page->findChild<QPushButton *>(u"connectCopyButton"_s);
    copy->click();
    QCOMPARE(QApplication::clipboard()->text(), s.page->setupText());
    QVERIFY(QApplication::clipboard()->text().contains(u"wire_api = \"responses\""_s));
    QCOMPARE(copy->text(), u"Copied"_s);
}

void TestConnectPage::switchingToolChangesTheSetUp()
{
    ConnectSetUp s;
    QVERIFY(s.start());
    QVERIFY(s.chooseKey(u"ci-bot"_s));
    QListWidget *tools = s.page->toolListWidget();
    QCOMPARE(tools->count(), 8);
    QSet<QString> texts;
    for (int row = 0; row < tools->count(); ++row) {
        tools->setCurrentRow(row);
        const Tool tool = ToolSetup::allTools().at(row);
        QCOMPARE(s.page->currentTool(), tool);
        QCOMPARE(s.page->setupText(),
                 ToolSetup::toolSetup(tool, s.base(), {}, s.page->modelComboBox()->currentText()));
        texts.insert(s.page->setupText());
        QVERIFY(!s.page->findChild<QLabel *>(u"connectToolNoteLabel"_s)->text().isEmpty());
    }
    QCOMPARE(texts.size(), 8);
    s.page->setCurrentTool(Tool::ClaudeCode);
    QVERIFY(s.page->setupText().contains(u"ANTHROPIC_BASE_URL=%1\n"_s.arg(s.base())));
    s.page->setCurrentTool(Tool::Cursor);
    QVERIFY(s.page->findChild<QLabel *>(u"connectToolNoteLabel"_s)->text().contains(u"own servers"_s));
    // A model picked by hand changes the text and stays through tool changes.
    s.page->modelComboBox()->setCurrentText(u"gpt-c"_s);
    Q_EMIT s.page->modelComboBox()->activated(s.page->modelComboBox()->currentIndex());
    QVERIFY(s.page->setupText().contains(u"Add model:                 gpt-c"_s));
    s.page->setCurrentTool(Tool::AnthropicPython);
    QVERIFY(s.page->setupText().contains(u"model=\"gpt-c\""_s));
}

void TestConnectPage::theKeyCreatedDialogConnectsATool()
{
    ConnectSetUp s;
    QVERIFY(s.start());
    auto *keys = UiFixture::showPage<KeysPage>(*s.window);
    QVERIFY(keys);
    QVERIFY(trigger(keys, u"newKeyAction"_s));
    auto *dialog = waitForDialog<KeyDialog>(keys);
    QVERIFY(dialog);
    dialog->findChild<QLineEdit *>(u"keyAliasLineEdit"_s)->setText(u"codex"_s);
    dialog->accept();
    auto *shown = waitForDialog<KeyCreatedDialog>(keys);
    QVERIFY(shown);
    const QString rawKey = shown->key();
    QVERIFY(RawKey.match(rawKey).hasMatch());
    QVERIFY(shown->connectToolButton()->isVisible());
    shown->connectToolButton()->click();
    QCOMPARE(s.window->currentPage(), s.page);
    QVERIFY(s.page->keyComboBox()->currentText().startsWith(u"codex (sk-"_s));
    QVERIFY2(s.page->setupText().contains(rawKey), qPrintable(s.page->setupText()));
    // The dialog forgot the key when it closed.
    QVERIFY(QTest::qWaitFor([&] { return visibleChild<KeyCreatedDialog>(keys) == nullptr; }, 5000));
}

QTEST_MAIN(TestConnectPage)
#include "tst_connectpage.moc"
