#include "connectpage.h"

#include "../apiclient.h"
#include "../dialogs/keydialog.h"
#include "../identitylists.h"
#include "../pageicon.h"
#include "../spendmath.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QStyle>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

using ToolSetup::Tool;

constexpr int TokenRole = Qt::UserRole;
constexpr int ToolRole = Qt::UserRole;

// What a key's or a user's `models` allows: every model when the list is empty or names
// all-proxy-models, else the names and the access groups it lists (as the gateway's check).
bool allows(const QStringList &entries, const ModelRecord &model)
{
    if (entries.isEmpty() || entries.contains(u"all-proxy-models"_s) || entries.contains(u"*"_s))
        return true;
    if (entries.contains(model.modelName))
        return true;
    for (const QString &group : model.accessGroups) {
        if (entries.contains(group))
            return true;
    }
    return false;
}

bool isClaude(const QString &model)
{
    return model.contains(u"claude"_s, Qt::CaseInsensitive);
}

// The default model for a tool: a mid-sized Claude for Anthropic's tools (Sonnet, not the
// alphabetically first Haiku), a GPT-4o-class model for OpenAI's, else the first suitable one.
QString preferredModel(const QStringList &names, bool wantClaude)
{
    const QStringList favourites = wantClaude ? QStringList{u"sonnet"_s} : QStringList{u"gpt-4o"_s, u"gpt-4.1"_s};
    for (const QString &favourite : favourites) {
        for (const QString &name : names) {
            if (name.contains(favourite, Qt::CaseInsensitive) && !name.contains(u"mini"_s, Qt::CaseInsensitive))
                return name;
        }
    }
    for (const QString &name : names) {
        if (isClaude(name) == wantClaude)
            return name;
    }
    return names.value(0);
}

QString keyLabel(const KeyRecord &key)
{
    if (key.keyAlias.isEmpty())
        return key.keyName;
    return key.keyName.isEmpty() ? key.keyAlias : u"%1 (%2)"_s.arg(key.keyAlias, key.keyName);
}

bool isExpired(const KeyRecord &key)
{
    return key.expires.isValid() && key.expires < QDateTime::currentDateTimeUtc();
}

bool isBudgetUsedUp(const BudgetInfo &budget)
{
    return SpendMath::budgetLevel(budget) == SpendMath::BudgetLevel::Exceeded;
}

} // namespace

ConnectPage::ConnectPage(ApiClient *api, const QString &baseUrl, QWidget *parent)
    : Page(api, parent)
    , m_baseUrl(ToolSetup::rootUrl(baseUrl))
    , m_keyCombo(new QComboBox(this))
    , m_newKeyButton(new QPushButton(tr("New key for this tool…"), this))
    , m_keyNoteLabel(new QLabel(this))
    , m_modelCombo(new QComboBox(this))
    , m_modelNoteLabel(new QLabel(this))
    , m_toolList(new QListWidget(this))
    , m_toolTitleLabel(new QLabel(this))
    , m_setupText(new QPlainTextEdit(this))
    , m_toolNoteLabel(new QLabel(this))
    , m_copyButton(new QPushButton(tr("Copy"), this))
{
    auto *intro = new QLabel(
        tr("Give each tool a key of its own: its budget, limits and spend log are then the tool's. Pick the key "
           "and the tool, and copy the set-up."),
        this);
    intro->setObjectName(u"connectIntroLabel"_s);
    intro->setWordWrap(true);

    m_keyCombo->setObjectName(u"connectKeyComboBox"_s);
    m_keyCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_keyCombo->setMinimumContentsLength(24);
    m_keyCombo->setPlaceholderText(tr("No keys yet"));
    m_newKeyButton->setObjectName(u"connectNewKeyButton"_s);
    m_newKeyButton->setIcon(QIcon::fromTheme(u"list-add"_s));
    m_newKeyButton->setToolTip(tr("Make a key for this tool; its raw key is filled into the set-up"));
    m_keyNoteLabel->setObjectName(u"connectKeyNoteLabel"_s);
    m_keyNoteLabel->setWordWrap(true);
    m_keyNoteLabel->setTextFormat(Qt::PlainText);

    m_modelCombo->setObjectName(u"connectModelComboBox"_s);
    m_modelCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_modelCombo->setMinimumContentsLength(18);
    m_modelCombo->setPlaceholderText(tr("No model"));
    m_modelNoteLabel->setObjectName(u"connectModelNoteLabel"_s);
    m_modelNoteLabel->setWordWrap(true);
    m_modelNoteLabel->hide();

    auto *keyRow = new QHBoxLayout;
    keyRow->addWidget(m_keyCombo);
    keyRow->addWidget(m_newKeyButton);
    keyRow->addStretch(1);
    auto *modelRow = new QHBoxLayout;
    modelRow->addWidget(m_modelCombo);
    modelRow->addWidget(m_modelNoteLabel, 1);
    modelRow->addStretch(0);
    // A grid, not a form: a wrapped note under the key gets its height for the width it has.
    auto *keyLabel = new QLabel(tr("&Key:"), this);
    keyLabel->setBuddy(m_keyCombo);
    auto *modelLabel = new QLabel(tr("&Model:"), this);
    modelLabel->setBuddy(m_modelCombo);
    auto *choices = new QGridLayout;
    choices->setColumnStretch(1, 1);
    choices->addWidget(keyLabel, 0, 0);
    choices->addLayout(keyRow, 0, 1);
    choices->addWidget(m_keyNoteLabel, 1, 1);
    choices->addWidget(modelLabel, 2, 0);
    choices->addLayout(modelRow, 2, 1);

    m_toolList->setObjectName(u"connectToolListWidget"_s);
    m_toolList->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Expanding);
    int toolWidth = 0;
    for (const Tool tool : ToolSetup::allTools()) {
        auto *item = new QListWidgetItem(ToolSetup::toolName(tool), m_toolList);
        item->setData(ToolRole, int(tool));
        item->setSizeHint(QSize(0, 30));
        toolWidth = std::max(toolWidth, m_toolList->fontMetrics().horizontalAdvance(item->text()));
    }
    m_toolList->setFixedWidth(toolWidth + 40);

    m_toolTitleLabel->setObjectName(u"connectToolTitleLabel"_s);
    QFont titleFont = m_toolTitleLabel->font();
    titleFont.setBold(true);
    m_toolTitleLabel->setFont(titleFont);
    m_setupText->setObjectName(u"connectSetupTextEdit"_s);
    m_setupText->setReadOnly(true);
    m_setupText->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_setupText->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_setupText->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_toolNoteLabel->setObjectName(u"connectToolNoteLabel"_s);
    m_toolNoteLabel->setWordWrap(true);
    m_toolNoteLabel->setTextFormat(Qt::PlainText);
    m_copyButton->setObjectName(u"connectCopyButton"_s);
    m_copyButton->setIcon(QIcon::fromTheme(u"edit-copy"_s));

    // The tool's name, the note and Copy above the text: banners float over the page's
    // bottom, and a note under a tall text would be out of sight.
    auto *titleRow = new QHBoxLayout;
    titleRow->addWidget(m_toolTitleLabel, 1);
    titleRow->addWidget(m_copyButton);
    auto *setupColumn = new QVBoxLayout;
    setupColumn->addLayout(titleRow);
    setupColumn->addWidget(m_toolNoteLabel);
    setupColumn->addWidget(m_setupText, 1);
    auto *toolRow = new QHBoxLayout;
    toolRow->addWidget(m_toolList);
    toolRow->addLayout(setupColumn, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    layout->addWidget(intro);
    layout->addLayout(choices);
    layout->addSpacing(6);
    layout->addLayout(toolRow, 1);

    connect(m_keyCombo, &QComboBox::currentIndexChanged, this, [this] {
        updateModels();
        updateSetup();
    });
    connect(m_modelCombo, &QComboBox::activated, this, [this] { m_modelChosen = true; });
    connect(m_modelCombo, &QComboBox::currentIndexChanged, this, [this] { updateSetup(); });
    connect(m_toolList, &QListWidget::currentRowChanged, this, [this] {
        updateModels();   // a Claude model for Anthropic's tools, unless one was picked
        updateSetup();
    });
    connect(m_newKeyButton, &QPushButton::clicked, this, &ConnectPage::newKey);
    connect(m_copyButton, &QPushButton::clicked, this, &ConnectPage::copySetup);
    m_toolList->setCurrentRow(0);
    updateSetup();
}

QIcon ConnectPage::icon() const
{
    return pageIcon({u"network-connect"_s}, u"connect"_s, this);
}

QString ConnectPage::setupText() const
{
    return m_setupText->toPlainText();
}

Tool ConnectPage::currentTool() const
{
    const QListWidgetItem *item = m_toolList->currentItem();
    return item ? Tool(item->data(ToolRole).toInt()) : Tool::ClaudeCode;
}

void ConnectPage::setCurrentTool(Tool tool)
{
    const int row = int(ToolSetup::allTools().indexOf(tool));
    if (row >= 0)
        m_toolList->setCurrentRow(row);
}

QString ConnectPage::currentKeyToken() const
{
    return m_keyCombo->currentData(TokenRole).toString();
}

const KeyRecord *ConnectPage::currentKey() const
{
    const QString token = currentKeyToken();
    for (const KeyRecord &key : m_keys) {
        if (key.token == token)
            return &key;
    }
    return nullptr;
}

void ConnectPage::doRefresh()
{
    // Keys, their owners (a user's models bound its keys) and the models, as the gateway has them.
    beginCall();
    IdentityLists::fetchKeys(api(), this, [this](const QList<KeyRecord> &keys, bool ok) {
        if (ok)
            setKeys(keys);
        endCall();
    });
    beginCall();
    IdentityLists::fetchUsers(api(), this, [this](const QList<UserRecord> &users, bool ok) {
        if (ok) {
            QHash<QString, QStringList> models;
            QHash<QString, BudgetInfo> budgets;
            for (const UserRecord &user : users) {
                models.insert(user.userId, user.models);
                budgets.insert(user.userId, user.budget);
            }
            if (budgets != m_userBudgets) {
                m_userBudgets = budgets;
                setKeys(m_keys);   // marked anew; also updates the models and the set-up
            }
            if (models != m_userModels) {
                m_userModels = models;
                updateModels();
                updateSetup();
            }
        }
        endCall();
    });
    beginCall();
    api()->get(u"/v1/model/info"_s, {}, this, [this](const ApiReply &reply) {
        if (reply.ok()) {
            QList<ModelRecord> models;
            for (const QJsonValue &value : reply.json.object().value(u"data"_s).toArray())
                models.append(ModelRecord::fromJson(value.toObject()));
            setModels(models);
        }
        endCall();
    });
}

void ConnectPage::clearData()
{
    // The old gateway's keys (and a raw key made there) are no use with the new one.
    m_newKeyToken.clear();
    m_newKeyRaw.clear();
    m_userModels.clear();
    setKeys({});
    setModels({});
}

void ConnectPage::setKeys(const QList<KeyRecord> &keys)
{
    QList<KeyRecord> listed = keys;
    // A key just made may answer before the list has it: it stays until the list does.
    if (!m_newKeyToken.isEmpty()) {
        const bool present = std::any_of(listed.cbegin(), listed.cend(),
                                         [this](const KeyRecord &key) { return key.token == m_newKeyToken; });
        if (!present) {
            for (const KeyRecord &key : std::as_const(m_keys)) {
                if (key.token == m_newKeyToken)
                    listed.append(key);
            }
        }
    }
    QStringList labels;
    QStringList tokens;
    for (const KeyRecord &key : std::as_const(listed)) {
        // A key the gateway refuses is marked in the list, not only once chosen: a tool set up
        // with it would get nothing but refusals.
        QString label = keyLabel(key);
        if (key.blocked)
            label += u' ' + tr("(blocked)");
        else if (isExpired(key))
            label += u' ' + tr("(expired)");
        else if (isBudgetUsedUp(key.budget))
            label += u' ' + tr("(budget used up)");
        else if (isBudgetUsedUp(m_userBudgets.value(key.userId)))
            label += u' ' + tr("(user's budget used up)");
        labels.append(label);
        tokens.append(key.token);
    }
    QStringList shownTokens;
    QStringList shownLabels;
    for (int i = 0; i < m_keyCombo->count(); ++i) {
        shownTokens.append(m_keyCombo->itemData(i, TokenRole).toString());
        shownLabels.append(m_keyCombo->itemText(i));
    }
    m_keys = listed;
    if (tokens == shownTokens && labels == shownLabels) {
        // Same list (refreshed every second): keep the combo as it is, but models or blocking may have changed.
        updateModels();
        updateSetup();
        return;
    }
    const QString current = currentKeyToken();
    const QSignalBlocker blocker(m_keyCombo);
    m_keyCombo->clear();
    for (int i = 0; i < labels.size(); ++i)
        m_keyCombo->addItem(labels.at(i), tokens.at(i));
    int index = int(tokens.indexOf(current));
    if (index < 0 && !tokens.isEmpty())
        index = 0;
    m_keyCombo->setCurrentIndex(index);
    updateModels();
    updateSetup();
}

void ConnectPage::setModels(const QList<ModelRecord> &models)
{
    QStringList before;
    for (const ModelRecord &model : std::as_const(m_models))
        before.append(model.modelName + u'\n' + model.accessGroups.join(u','));
    QStringList after;
    for (const ModelRecord &model : models)
        after.append(model.modelName + u'\n' + model.accessGroups.join(u','));
    m_models = models;
    if (before != after) {
        updateModels();
        updateSetup();
    }
}

void ConnectPage::setBaseUrl(const QString &baseUrl)
{
    m_baseUrl = ToolSetup::rootUrl(baseUrl);
    updateSetup();
}

void ConnectPage::updateModels()
{
    // The models the key may use: its own list within its owner's (as the gateway checks them).
    const KeyRecord *key = currentKey();
    const QStringList keyModels = key ? key->models : QStringList();
    const QStringList userModels = key ? m_userModels.value(key->userId) : QStringList();
    QStringList names;
    for (const ModelRecord &model : std::as_const(m_models)) {
        if (!names.contains(model.modelName) && allows(keyModels, model) && allows(userModels, model))
            names.append(model.modelName);
    }
    names.sort(Qt::CaseInsensitive);

    QString current = m_modelCombo->currentText();
    // Until the user picks one, a model that suits the tool: Claude for Anthropic's tools,
    // another for OpenAI's (both work through translation; this is the natural default).
    if (!m_modelChosen || !names.contains(current)) {
        current = preferredModel(names, ToolSetup::speaksAnthropic(currentTool()));
    }
    QStringList shown;
    for (int i = 0; i < m_modelCombo->count(); ++i)
        shown.append(m_modelCombo->itemText(i));
    const QSignalBlocker blocker(m_modelCombo);
    if (shown != names) {
        m_modelCombo->clear();
        m_modelCombo->addItems(names);
    }
    m_modelCombo->setCurrentIndex(int(names.indexOf(current)));

    const bool none = key && names.isEmpty() && !m_models.isEmpty();
    m_modelNoteLabel->setText(none ? tr("This key may use no model of the gateway: change its models on the Keys page.")
                                   : QString());
    m_modelNoteLabel->setVisible(none);
}

void ConnectPage::updateSetup()
{
    const KeyRecord *key = currentKey();
    const bool rawKnown = key && !m_newKeyToken.isEmpty() && key->token == m_newKeyToken;
    const Tool tool = currentTool();
    const QString model = m_modelCombo->currentText();

    QString keyNote;
    if (!key) {
        keyNote = tr("No key chosen: the set-up shows sk-… where the key goes. Make a key for this tool with “New key "
                     "for this tool…”.");
    } else if (rawKnown) {
        keyNote = tr("The new key is filled in. Tollgate shows it only now and keeps just its hash: copy the set-up "
                     "(or the key) before you leave this page.");
    } else {
        keyNote = tr("Tollgate keeps only a hash of a key, so the set-up shows sk-… in its place: paste the key “%1” "
                     "you saved when it was created, or make a new key for this tool.")
                      .arg(key->displayName());
    }
    if (key && key->blocked)
        keyNote += u' ' + tr("This key is blocked: calls with it are refused until you unblock it on the Keys page.");
    else if (key && isExpired(*key))
        keyNote += u' ' + tr("This key has expired: calls with it are refused.");
    else if (key && isBudgetUsedUp(key->budget))
        keyNote += u' ' + tr("This key's budget is used up: calls with it are refused until the budget resets or is "
                             "raised on the Keys page.");
    else if (key && isBudgetUsedUp(m_userBudgets.value(key->userId)))
        keyNote += u' ' + tr("The budget of its user %1 is used up: calls with this key are refused until that "
                             "budget resets or is raised on the Users page.")
                              .arg(key->userId);
    if (m_keyNoteLabel->text() != keyNote)
        m_keyNoteLabel->setText(keyNote);

    // Claude Code's second model: a small Claude the key may use, else the chosen one.
    QString smallModel;
    if (tool == Tool::ClaudeCode) {
        for (int i = 0; i < m_modelCombo->count(); ++i) {
            const QString name = m_modelCombo->itemText(i);
            if (name.contains(u"haiku"_s, Qt::CaseInsensitive)) {
                smallModel = name;
                break;
            }
        }
    }
    const QString text = ToolSetup::toolSetup(tool, m_baseUrl, rawKnown ? m_newKeyRaw : QString(), model, smallModel);
    // Every second's refresh lands here: only a change resets the text (and a selection in it).
    if (m_setupText->toPlainText() != text) {
        m_setupText->setPlainText(text);
        m_copyButton->setText(tr("Copy"));
    }

    QString note;
    switch (tool) {
    case Tool::ClaudeCode:
        note = tr("Run these lines in the shell that starts claude. Claude Code speaks Anthropic's Messages API; "
                  "models of other providers answer it by translation.");
        break;
    case Tool::CodexCli:
        note = tr("Paste into ~/.codex/config.toml and export TOLLGATE_API_KEY where codex runs. Codex uses the "
                  "Responses API: pick a model whose provider serves it (OpenAI, Azure, the built-in mock).");
        break;
    case Tool::Cursor:
        note = tr("Cursor calls a custom base URL from its own servers, so it reaches a gateway on 127.0.0.1 only "
                  "through a tunnel you expose (start Tollgate with --host and keep a master key set).");
        break;
    case Tool::Continue:
        note = tr("Add the entry to the models: list of ~/.continue/config.yaml.");
        break;
    case Tool::Aider:
        note = tr("Run in your project's folder. The openai/ prefix picks Aider's OpenAI-compatible client; the "
                  "gateway sees the model name without it.");
        break;
    case Tool::OpenAiPython:
        note = tr("Needs pip install openai. The Responses API needs a model whose provider serves it; chat "
                  "completions work with every model.");
        break;
    case Tool::AnthropicPython:
        note = tr("Needs pip install anthropic. Anthropic's SDK takes the base URL without /v1.");
        break;
    case Tool::Curl:
        note = tr("A quick check of the key and the model: the call shows up in the spend log.");
        break;
    }
    m_toolNoteLabel->setText(note);
    m_toolTitleLabel->setText(ToolSetup::toolName(tool));
    m_copyButton->setToolTip(tr("Copy the set-up for %1 to the clipboard").arg(ToolSetup::toolName(tool)));
}

void ConnectPage::useNewKey(const KeyRecord &key, const QString &rawKey)
{
    m_newKeyToken = key.token;
    m_newKeyRaw = rawKey;
    QList<KeyRecord> keys = m_keys;
    const bool present =
        std::any_of(keys.cbegin(), keys.cend(), [&key](const KeyRecord &listed) { return listed.token == key.token; });
    if (!present)
        keys.append(key);
    setKeys(keys);
    m_keyCombo->setCurrentIndex(m_keyCombo->findData(key.token, TokenRole));
    updateModels();
    updateSetup();
}

void ConnectPage::newKey()
{
    auto *dialog = new KeyDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    const IdentityLists::ModelChoices choices = IdentityLists::modelChoices(m_models);
    dialog->setAvailableModels(choices.models, choices.groups);
    IdentityLists::fetchUserIds(api(), dialog, [dialog](const QStringList &ids) { dialog->setKnownUsers(ids); });
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        api()->post(u"/key/generate"_s, dialog->requestBody(), this, [this](const ApiReply &reply) {
            if (!reply.ok())
                return;
            const QJsonObject answer = reply.json.object();
            useNewKey(KeyRecord::fromJson(answer), answer.value(u"key"_s).toString());
        });
    });
    dialog->open();
}

void ConnectPage::copySetup()
{
    QApplication::clipboard()->setText(setupText());
    m_copyButton->setText(tr("Copied"));
    const KeyRecord *key = currentKey();
    const bool rawKnown = key && key->token == m_newKeyToken;
    Q_EMIT notice(rawKnown ? tr("The set-up for %1 is on the clipboard, with the new key.")
                                 .arg(ToolSetup::toolName(currentTool()))
                           : tr("The set-up for %1 is on the clipboard: replace sk-… with the key.")
                                 .arg(ToolSetup::toolName(currentTool())));
}

} // namespace Tollgate
