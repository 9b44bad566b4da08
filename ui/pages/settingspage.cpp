#include "settingspage.h"

#include "../apiclient.h"
#include "../appsettings.h"
#include "../confirm.h"
#include "../masterkey.h"
#include "../pageicon.h"
#include "../remotegateway.h"
#include "../wheelguard.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QVBoxLayout>

#include <utility>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

QHBoxLayout *row(std::initializer_list<QWidget *> widgets, int stretchIndex = 0)
{
    auto *layout = new QHBoxLayout;
    int index = 0;
    for (QWidget *widget : widgets)
        layout->addWidget(widget, index++ == stretchIndex ? 1 : 0);
    return layout;
}

QLabel *selectableLabel(const QString &text, const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setObjectName(objectName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

// A field and, after it, what the user needs to know about when it applies.
QWidget *withHint(QWidget *field, const QString &hint, QWidget *parent)
{
    auto *holder = new QWidget(parent);
    auto *layout = new QHBoxLayout(holder);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(field, 1);
    auto *label = new QLabel(hint, holder);
    label->setObjectName(field->objectName() + u"RestartHint"_s);
    label->setEnabled(false);   // greyed: a remark, not a value
    // Long translations wrap instead of widening the page beyond a small window.
    label->setWordWrap(true);
    layout->addWidget(label);
    return holder;
}

QWidget *withHint(QLayout *fields, const QString &hint, const QString &name, QWidget *parent)
{
    auto *holder = new QWidget(parent);
    auto *layout = new QHBoxLayout(holder);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(fields, 1);
    auto *label = new QLabel(hint, holder);
    label->setObjectName(name + u"RestartHint"_s);
    label->setEnabled(false);
    label->setWordWrap(true);
    layout->addWidget(label);
    return holder;
}

} // namespace

SettingsPage::SettingsPage(ApiClient *api, AppSettings *settings, const ConnectionInfo &connection, QWidget *parent)
    : Page(api, parent), m_settings(settings), m_connection(connection)
{
    auto *content = new QWidget(this);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->addWidget(createChoiceSection());
    contentLayout->addWidget(createConnectionSection());
    contentLayout->addWidget(createGatewaySection());
    contentLayout->addWidget(createStartupSection());
    contentLayout->addStretch(1);
    // The wheel scrolls the page; a field passed over on the way keeps its value.
    guardWheel(content);

    // Long paths and small screens: the page scrolls rather than squeezing its sections.
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
    updateConnectionDisplay();
    loadSettings();
    // The gateway runs with these until it restarts.
    m_runningSettings = restartSettings();
}

QIcon SettingsPage::icon() const
{
    return pageIcon({u"configure"_s, u"preferences-system"_s}, u"settings"_s, this);
}

QWidget *SettingsPage::createConnectionSection()
{
    auto *box = new QGroupBox(tr("Connect a program to Tollgate"), this);
    box->setObjectName(u"connectionGroupBox"_s);
    auto *form = new QFormLayout(box);
    // Narrow windows and long translations: a row that does not fit puts its field under the
    // label instead of pushing the page sideways.
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);

    m_baseUrlEdit = new QLineEdit(box);
    auto *baseUrl = m_baseUrlEdit;
    baseUrl->setObjectName(u"baseUrlLineEdit"_s);
    baseUrl->setReadOnly(true);
    auto *copyBaseUrl = new QPushButton(tr("Copy"), box);
    copyBaseUrl->setObjectName(u"settingsCopyBaseUrlButton"_s);
    copyBaseUrl->setToolTip(tr("Copy the base URL to the clipboard"));
    connect(copyBaseUrl, &QPushButton::clicked, this,
            [this] { copy(m_connection.openAiBaseUrl(), tr("Base URL")); });
    form->addRow(tr("Base URL:"), row({baseUrl, copyBaseUrl}));

    m_snippetEdit = new QPlainTextEdit(box);
    m_snippetEdit->setObjectName(u"environmentSnippetPlainTextEdit"_s);
    m_snippetEdit->setReadOnly(true);
    m_snippetEdit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_snippetEdit->setMaximumHeight(m_snippetEdit->fontMetrics().lineSpacing() * 4);
    m_snippetEdit->setToolTip(tr("For a shell: OpenAI SDKs and most tools read these two variables"));
    auto *copySnippet = new QPushButton(tr("Copy"), box);
    copySnippet->setObjectName(u"copyEnvironmentButton"_s);
    copySnippet->setToolTip(tr("Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports (with the master key)"));
    connect(copySnippet, &QPushButton::clicked, this,
            [this] { copy(m_connection.environmentSnippet(), tr("Environment snippet")); });
    auto *snippetRow = row({m_snippetEdit, copySnippet});
    snippetRow->setAlignment(copySnippet, Qt::AlignTop);
    form->addRow(tr("Environment:"), snippetRow);

    m_masterKeyEdit = new QLineEdit(box);
    m_masterKeyEdit->setObjectName(u"masterKeyLineEdit"_s);
    m_masterKeyEdit->setReadOnly(true);
    m_masterKeyEdit->setEchoMode(QLineEdit::Password);
    // Enough to see that there is a key; a narrow window wraps the row under its label instead.
    m_masterKeyEdit->setMinimumWidth(m_masterKeyEdit->fontMetrics().averageCharWidth() * 16);
    m_masterKeyEdit->setToolTip(tr("The admin key: it may do everything. Hand out virtual keys (Keys page) "
                                   "to programs and people instead."));
    m_showKeyButton = new QPushButton(tr("Show"), box);
    m_showKeyButton->setObjectName(u"showMasterKeyButton"_s);
    m_showKeyButton->setCheckable(true);
    connect(m_showKeyButton, &QPushButton::toggled, this, &SettingsPage::updateMasterKeyDisplay);
    auto *copyKey = new QPushButton(tr("Copy"), box);
    copyKey->setObjectName(u"copyMasterKeyButton"_s);
    connect(copyKey, &QPushButton::clicked, this, [this] { copy(m_connection.masterKey, tr("Master key")); });
    m_rotateKeyButton = new QPushButton(tr("Rotate master key…"), box);
    m_rotateKeyButton->setObjectName(u"rotateMasterKeyButton"_s);
    connect(m_rotateKeyButton, &QPushButton::clicked, this, &SettingsPage::rotateMasterKey);
    form->addRow(tr("Master key:"), row({m_masterKeyEdit, m_showKeyButton, copyKey, m_rotateKeyButton}));

    m_masterKeySourceLabel = selectableLabel({}, u"masterKeySourceLabel"_s, box);
    form->addRow(tr("Master key kept in:"), m_masterKeySourceLabel);
    m_databaseLabel = selectableLabel({}, u"databasePathLabel"_s, box);
    form->addRow(tr("Database:"), m_databaseLabel);
    m_configLabel = selectableLabel({}, u"configPathLabel"_s, box);
    form->addRow(tr("Configuration:"), m_configLabel);
    return box;
}

void SettingsPage::setConnection(const ConnectionInfo &connection)
{
    const bool wasRemote = m_connection.remote;
    m_connection = connection;
    if (wasRemote && !m_connection.remote)
        showChoiceResult(tr("Now managing the gateway on this computer."), false);
    if (m_connection.remote) {
        // The key in use, so the fields say what the window uses (and "Apply" has nothing to do).
        m_remoteUrlEdit->setText(m_connection.baseUrl.toString());
        m_remoteKeyEdit->setText(m_connection.masterKey);
    }
    updateConnectionDisplay();
}

QWidget *SettingsPage::createChoiceSection()
{
    auto *box = new QGroupBox(tr("Gateway to manage"), this);
    box->setObjectName(u"gatewayChoiceGroupBox"_s);
    auto *layout = new QVBoxLayout(box);

    m_localRadio = new QRadioButton(tr("This computer: the gateway runs inside Tollgate"), box);
    m_localRadio->setObjectName(u"localGatewayRadioButton"_s);
    m_remoteRadio = new QRadioButton(tr("Remote gateway: a Tollgate gateway running elsewhere"), box);
    m_remoteRadio->setObjectName(u"remoteGatewayRadioButton"_s);
    layout->addWidget(m_localRadio);
    layout->addWidget(m_remoteRadio);

    m_remoteFields = new QWidget(box);
    m_remoteFields->setObjectName(u"remoteGatewayFields"_s);
    auto *form = new QFormLayout(m_remoteFields);
    // Indented under its radio button: these fields belong to "Remote gateway".
    form->setContentsMargins(style()->pixelMetric(QStyle::PM_ExclusiveIndicatorWidth) + 8, 0, 0, 0);
    m_remoteUrlEdit = new QLineEdit(m_remoteFields);
    m_remoteUrlEdit->setObjectName(u"remoteUrlLineEdit"_s);
    m_remoteUrlEdit->setPlaceholderText(tr("https://gateway.example.com:4000"));
    m_remoteUrlEdit->setToolTip(tr("The remote gateway's address: http:// or https://, the host and the port"));
    form->addRow(tr("Base URL:"), m_remoteUrlEdit);
    m_remoteKeyEdit = new QLineEdit(m_remoteFields);
    m_remoteKeyEdit->setObjectName(u"remoteMasterKeyLineEdit"_s);
    m_remoteKeyEdit->setEchoMode(QLineEdit::Password);
    m_remoteKeyEdit->setPlaceholderText(tr("the remote gateway's master key"));
    m_remoteKeyEdit->setToolTip(tr("Kept in the OS keychain, never in the settings file"));
    m_showRemoteKeyButton = new QPushButton(tr("Show"), m_remoteFields);
    m_showRemoteKeyButton->setObjectName(u"showRemoteMasterKeyButton"_s);
    m_showRemoteKeyButton->setCheckable(true);
    connect(m_showRemoteKeyButton, &QPushButton::toggled, this, [this](bool shown) {
        m_remoteKeyEdit->setEchoMode(shown ? QLineEdit::Normal : QLineEdit::Password);
        m_showRemoteKeyButton->setText(shown ? tr("Hide") : tr("Show"));
    });
    form->addRow(tr("Master key:"), row({m_remoteKeyEdit, m_showRemoteKeyButton}));
    layout->addWidget(m_remoteFields);

    auto *hint = new QLabel(tr("While a remote gateway is chosen, the gateway on this computer does not run; "
                               "choosing “This computer” again starts it. The remote master key is kept in the "
                               "OS keychain (without one, in a file only you can read), never in the settings "
                               "file."),
                            box);
    hint->setObjectName(u"gatewayChoiceHintLabel"_s);
    hint->setWordWrap(true);
    hint->setEnabled(false);   // greyed: a remark
    layout->addWidget(hint);

    m_testButton = new QPushButton(tr("Test connection"), box);
    m_testButton->setObjectName(u"testConnectionButton"_s);
    m_testButton->setToolTip(tr("Ask the remote gateway for its status with this master key; nothing is saved"));
    connect(m_testButton, &QPushButton::clicked, this, &SettingsPage::testConnection);
    m_applyButton = new QPushButton(tr("Apply"), box);
    m_applyButton->setObjectName(u"applyGatewayChoiceButton"_s);
    m_applyButton->setToolTip(tr("Save the choice and switch the window to that gateway"));
    connect(m_applyButton, &QPushButton::clicked, this, &SettingsPage::applyChoice);
    m_choiceResultLabel = new QLabel(box);
    m_choiceResultLabel->setObjectName(u"gatewayChoiceResultLabel"_s);
    m_choiceResultLabel->setWordWrap(true);
    m_choiceResultLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_testButton);
    buttons->addWidget(m_applyButton);
    buttons->addWidget(m_choiceResultLabel, 1);
    layout->addLayout(buttons);

    for (QRadioButton *radio : {m_localRadio, m_remoteRadio})
        connect(radio, &QRadioButton::toggled, this, [this] {
            m_choiceResultLabel->clear();
            updateChoiceState();
        });
    for (QLineEdit *edit : {m_remoteUrlEdit, m_remoteKeyEdit})
        connect(edit, &QLineEdit::textEdited, this, [this] {
            m_choiceResultLabel->clear();
            updateChoiceState();
        });
    return box;
}

void SettingsPage::localStartFailed(const QString &why)
{
    if (!m_connection.remote)
        return;
    m_settings->setValue(AppSettings::Key::GatewayMode, u"remote"_s);
    m_settings->sync();
    m_remoteRadio->setChecked(true);  // clears the result label: said after it
    showChoiceResult(tr("The gateway on this computer did not start: %1").arg(why), true);
    updateChoiceState();
}

void SettingsPage::updateChoiceState()
{
    if (!m_remoteRadio)
        return;
    const bool remoteChosen = m_remoteRadio->isChecked();
    m_remoteFields->setEnabled(remoteChosen && !m_applying);
    m_testButton->setEnabled(remoteChosen && !m_applying);
    // Something to apply: another kind of gateway, or another remote address or key.
    const bool differs = remoteChosen != m_connection.remote
                         || (remoteChosen
                             && (m_remoteUrlEdit->text().trimmed() != m_connection.baseUrl.toString()
                                 || m_remoteKeyEdit->text() != m_connection.masterKey));
    m_applyButton->setEnabled(differs && !m_applying && !m_connection.waitingForKeychain);
}

void SettingsPage::showChoiceResult(const QString &text, bool error)
{
    // Colour and a word: "Error:" is in the text itself where it matters.
    m_choiceResultLabel->setStyleSheet(error ? u"color: #d0453a;"_s : QString());
    m_choiceResultLabel->setText(text);
}

QUrl SettingsPage::checkedRemoteInput(QString *warning)
{
    const RemoteGateway::UrlCheck check = RemoteGateway::checkBaseUrl(m_remoteUrlEdit->text());
    if (!check.ok()) {
        showChoiceResult(check.error, true);
        m_remoteUrlEdit->setFocus();
        return {};
    }
    if (m_remoteKeyEdit->text().trimmed().isEmpty()) {
        showChoiceResult(tr("Enter the remote gateway's master key."), true);
        m_remoteKeyEdit->setFocus();
        return {};
    }
    *warning = check.warning;
    return check.url;
}

void SettingsPage::testConnection()
{
    QString warning;
    const QUrl url = checkedRemoteInput(&warning);
    if (url.isEmpty()) {
        Q_EMIT connectionTested(false, m_choiceResultLabel->text());
        return;
    }
    m_testButton->setEnabled(false);
    showChoiceResult(tr("Connecting to %1…").arg(url.toString()), false);
    probeRemote(url, m_remoteKeyEdit->text().trimmed(), [this, warning](const ApiReply &reply) {
        updateChoiceState();
        QString text;
        if (reply.ok()) {
            text = reply.json.object().value(u"paused"_s).toBool()
                       ? tr("OK: the gateway answers and accepts the master key (it is paused).")
                       : tr("OK: the gateway answers and accepts the master key.");
            if (!warning.isEmpty())
                text += u' ' + warning;
        } else if (reply.status == 401 || reply.status == 403) {
            text = tr("HTTP %1: the gateway refuses this master key. %2").arg(reply.status).arg(reply.message);
        } else if (reply.status == 0) {
            text = tr("Cannot reach the gateway: %1").arg(reply.message);
        } else {
            text = tr("The gateway answered HTTP %1: %2").arg(reply.status).arg(reply.message);
        }
        showChoiceResult(text, !reply.ok());
        Q_EMIT connectionTested(reply.ok(), text);
    });
}

void SettingsPage::probeRemote(const QUrl &url, const QString &key, std::function<void(const ApiReply &)> done)
{
    // A client of its own: the window's keeps talking to the gateway it manages now.
    delete m_testClient;
    m_testClient = new ApiClient(this);
    m_testClient->setBaseUrl(url);
    m_testClient->setMasterKey(key);
    // /gateway/status is cheap and admin-only: an answer proves the address and the key.
    m_testClient->get(u"/gateway/status"_s, {}, this, std::move(done));
}

void SettingsPage::applyChoice()
{
    if (m_localRadio->isChecked()) {
        m_settings->setValue(AppSettings::Key::GatewayMode, u"local"_s);
        m_settings->sync();
        showChoiceResult(tr("Starting the gateway on this computer…"), false);
        ConnectionInfo local;
        local.remote = false;
        Q_EMIT gatewayChoiceChanged(local);
        return;
    }
    QString warning;
    const QUrl url = checkedRemoteInput(&warning);
    if (url.isEmpty())
        return;
    if (!m_remoteKeeper) {
        showChoiceResult(tr("The master key cannot be kept: no keychain access."), true);
        return;
    }
    m_applying = true;
    updateChoiceState();
    showChoiceResult(tr("Connecting to %1…").arg(url.toString()), false);
    // A key the gateway refuses is not kept: every page would only show its 401. A gateway that
    // does not answer yet may be chosen (the window finds it once it is up).
    probeRemote(url, m_remoteKeyEdit->text().trimmed(), [this, url, warning](const ApiReply &reply) {
        if (reply.status == 401 || reply.status == 403) {
            m_applying = false;
            showChoiceResult(tr("The remote gateway was not chosen: it refuses this master key (HTTP %1). %2")
                                 .arg(reply.status)
                                 .arg(reply.message),
                             true);
            m_remoteKeyEdit->setFocus();
            updateChoiceState();
            return;
        }
        saveRemoteChoice(url, warning);
    });
}

void SettingsPage::saveRemoteChoice(const QUrl &url, const QString &warning)
{
    showChoiceResult(tr("Saving the master key in the keychain…"), false);
    // Kept first: the window never uses a key that would be lost at the next start.
    m_remoteKeeper->save(m_remoteKeyEdit->text().trimmed(), [this, guard = QPointer<SettingsPage>(this), url,
                                                             warning](Result<MasterKey> saved) {
        if (!guard)
            return;   // the window closed while the keychain answered
        m_applying = false;
        if (!saved) {
            showChoiceResult(tr("The remote gateway was not chosen: its master key could not be kept (%1).")
                                 .arg(saved.error().message),
                             true);
            updateChoiceState();
            return;
        }
        m_settings->setValue(AppSettings::Key::GatewayMode, u"remote"_s);
        m_settings->setValue(AppSettings::Key::RemoteBaseUrl, url.toString());
        m_settings->sync();
        ConnectionInfo info = RemoteGateway::connection(url, *saved);
        if (!warning.isEmpty())
            info.startWarnings.append(warning);
        showChoiceResult(warning.isEmpty() ? tr("Now managing the remote gateway at %1.").arg(url.toString())
                                           : tr("Now managing the remote gateway at %1. %2").arg(url.toString(), warning),
                         false);
        Q_EMIT gatewayChoiceChanged(info);
        updateChoiceState();
    });
}

void SettingsPage::updateConnectionDisplay()
{
    const bool waiting = m_connection.waitingForKeychain;
    m_baseUrlEdit->setText(waiting ? QString() : m_connection.openAiBaseUrl());
    m_baseUrlEdit->setPlaceholderText(waiting ? tr("Waiting for the keychain…") : QString());
    m_masterKeyEdit->setText(m_connection.masterKey);
    m_masterKeyEdit->setPlaceholderText(waiting ? tr("Waiting for the keychain…") : QString());
    m_masterKeySourceLabel->setText(waiting                                   ? tr("Waiting for the keychain…")
                                    : m_connection.masterKeySource.isEmpty() ? tr("unknown")
                                                                              : m_connection.masterKeySource);
    const bool remote = m_connection.remote;
    m_databaseLabel->setText(remote ? tr("where the remote gateway runs") : m_connection.databasePath);
    m_configLabel->setText(remote                                ? tr("where the remote gateway runs")
                           : m_connection.configPath.isEmpty() ? tr("built-in (no config.yaml)")
                                                               : m_connection.configPath);
    m_rotateKeyButton->setEnabled(!waiting && !remote && !m_connection.masterKeyFromConfig
                                  && !m_connection.masterKey.isEmpty());
    m_rotateKeyButton->setToolTip(
        remote ? tr("A remote gateway's master key is changed where it runs; then enter the new key under "
                    "“Gateway to manage”.")
        : m_connection.masterKeyFromConfig
            ? tr("The master key is set in config.yaml (general_settings.master_key): change it there.")
            : tr("Create a new master key: the old one is refused at once, programs using it must be given "
                 "the new one."));
    m_pauseButton->setEnabled(m_pauseButton->isEnabled() && !remote);
    m_pauseButton->setToolTip(remote ? tr("A remote gateway is paused and resumed where it runs.") : QString());
    m_localOnlyLabel->setVisible(remote);
    for (QWidget *widget : std::as_const(m_localOnlyWidgets))
        widget->setEnabled(!remote);
    if (remote) {
        // The gateway on this computer starts afresh, with the settings as they are, on the way back.
        m_runningSettings = restartSettings();
        m_restartPending = false;
        m_restartBar->hide();
    }
    updateMasterKeyDisplay();
    updateChoiceState();
    updatePortHint();
}

void SettingsPage::rotateMasterKey()
{
    if (!Confirm::destructive(this, tr("Rotate master key"),
                              tr("Create a new master key? The current one is refused from now on: every program "
                                 "or script that uses it stops working until it is given the new key. Virtual keys "
                                 "are not affected."),
                              tr("Rotate")))
        return;
    m_rotateKeyButton->setEnabled(false);
    Q_EMIT rotateMasterKeyRequested();
}

QWidget *SettingsPage::createGatewaySection()
{
    auto *box = new QGroupBox(tr("Gateway"), this);
    box->setObjectName(u"gatewayGroupBox"_s);
    auto *layout = new QHBoxLayout(box);
    m_statusLabel = new QLabel(tr("Reading the gateway's state…"), box);
    m_statusLabel->setObjectName(u"gatewayStatusLabel"_s);
    m_statusLabel->setWordWrap(true);
    m_pauseButton = new QPushButton(tr("Pause gateway"), box);
    m_pauseButton->setObjectName(u"pauseResumeButton"_s);
    m_pauseButton->setEnabled(false);
    connect(m_pauseButton, &QPushButton::clicked, this, [this] {
        // The button stays enabled while the call runs (a disabled button hands the keyboard
        // focus to the next field): a second click meanwhile is ignored instead.
        if (m_pauseBusy)
            return;
        m_pauseBusy = true;
        api()->post(m_paused ? u"/gateway/resume"_s : u"/gateway/pause"_s, {}, this, [this](const ApiReply &reply) {
            m_pauseBusy = false;
            if (reply.ok()) {
                const QJsonObject status = reply.json.object();
                setPausedState(true, status.value(u"paused"_s).toBool(), status.value(u"in_flight"_s).toInt());
                Q_EMIT notice(m_paused ? tr("Gateway paused: LLM calls are refused until you resume it.")
                                       : tr("Gateway resumed: LLM calls are served again."));
            }
        });
    });
    layout->addWidget(m_statusLabel, 1);
    layout->addWidget(m_pauseButton);
    return box;
}

QWidget *SettingsPage::createStartupSection()
{
    auto *box = new QGroupBox(tr("Start-up"), this);
    box->setObjectName(u"startupGroupBox"_s);
    auto *form = new QFormLayout(box);

    auto *note = new QLabel(tr("Settings marked “applies after a restart” take effect when the gateway restarts: "
                               "the page offers to restart it once you change one. Options given on the command "
                               "line override them until then."),
                            box);
    note->setObjectName(u"restartNoteLabel"_s);
    note->setWordWrap(true);
    form->addRow(note);

    // The offer to restart: shown once a setting that applies at the restart was changed.
    m_restartBar = new QFrame(box);
    m_restartBar->setObjectName(u"restartBar"_s);
    static_cast<QFrame *>(m_restartBar)->setFrameShape(QFrame::StyledPanel);
    auto *restartLayout = new QHBoxLayout(m_restartBar);
    auto *restartText = new QLabel(tr("Changed settings wait for a restart of the gateway. Calls in flight get "
                                      "a few seconds to finish."),
                                   m_restartBar);
    restartText->setObjectName(u"restartPendingLabel"_s);
    restartText->setWordWrap(true);
    m_restartButton = new QPushButton(tr("Restart the gateway now"), m_restartBar);
    m_restartButton->setObjectName(u"restartGatewayButton"_s);
    m_restartButton->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    connect(m_restartButton, &QPushButton::clicked, this, [this] {
        m_runningSettings = restartSettings();
        m_restartPending = false;
        m_restartBar->hide();
        Q_EMIT restartRequested();
    });
    restartLayout->addWidget(restartText, 1);
    restartLayout->addWidget(m_restartButton);
    m_restartBar->hide();
    form->addRow(m_restartBar);
    const QString atRestart = tr("applies after a restart");
    const QString atNextStart = tr("applies at the next start of Tollgate");

    m_hostEdit = new QLineEdit(box);
    m_hostEdit->setObjectName(u"hostLineEdit"_s);
    m_hostEdit->setToolTip(tr("The address the gateway listens on: 127.0.0.1 for this computer only, 0.0.0.0 "
                              "for every network (anyone who can reach it needs a key)"));
    connect(m_hostEdit, &QLineEdit::editingFinished, this, &SettingsPage::saveHost);
    m_localOnlyLabel = new QLabel(tr("Tollgate manages a remote gateway: the settings below are for the gateway on "
                                     "this computer, which does not run meanwhile. Change the remote gateway's "
                                     "settings where it runs."),
                                  box);
    m_localOnlyLabel->setObjectName(u"localOnlyLabel"_s);
    m_localOnlyLabel->setWordWrap(true);
    m_localOnlyLabel->hide();
    form->addRow(m_localOnlyLabel);
    const auto localOnly = [this](QWidget *row) {
        m_localOnlyWidgets.append(row);
        return row;
    };
    form->addRow(tr("Host:"), localOnly(withHint(m_hostEdit, atRestart, box)));

    m_portSpin = new QSpinBox(box);
    m_portSpin->setObjectName(u"portSpinBox"_s);
    m_portSpin->setRange(1, 65535);
    // Saved when typed in full (Enter, leaving the field) or stepped, not at every keystroke.
    m_portSpin->setKeyboardTracking(false);
    m_portSpin->setToolTip(tr("The port the gateway listens on. If it is taken at start-up, a free one is used "
                              "and the window says so."));
    connect(m_portSpin, &QSpinBox::valueChanged, this, [this](int port) {
        if (m_loading)
            return;
        m_settings->setValue(AppSettings::Key::Port, port);
        m_settings->sync();
        restartSettingChanged();
        updatePortHint();
    });
    form->addRow(tr("Port:"), localOnly(withHint(m_portSpin, atRestart, box)));
    m_portHintLabel = box->findChild<QLabel *>(m_portSpin->objectName() + u"RestartHint"_s);

    m_databaseEdit = new QLineEdit(box);
    m_databaseEdit->setObjectName(u"databasePathLineEdit"_s);
    m_databaseEdit->setPlaceholderText(tr("default: the per-user data directory"));
    m_databaseEdit->setToolTip(tr("The SQLite file with keys, users, stored models and the spend log"));
    connect(m_databaseEdit, &QLineEdit::editingFinished, this,
            [this] { savePath(m_databaseEdit, int(AppSettings::Key::DatabasePath)); });
    auto *browseDatabase = new QPushButton(tr("Browse…"), box);
    browseDatabase->setObjectName(u"browseDatabaseButton"_s);
    connect(browseDatabase, &QPushButton::clicked, this,
            [this] { browse(m_databaseEdit, int(AppSettings::Key::DatabasePath), true); });
    form->addRow(tr("Data file:"),
                 localOnly(withHint(row({m_databaseEdit, browseDatabase}), atRestart, u"databasePath"_s, box)));

    m_configEdit = new QLineEdit(box);
    m_configEdit->setObjectName(u"configPathLineEdit"_s);
    m_configEdit->setPlaceholderText(tr("none: the built-in configuration"));
    m_configEdit->setToolTip(tr("A LiteLLM-style config.yaml: models, budgets, general settings"));
    connect(m_configEdit, &QLineEdit::editingFinished, this,
            [this] { savePath(m_configEdit, int(AppSettings::Key::ConfigPath)); });
    auto *browseConfig = new QPushButton(tr("Browse…"), box);
    browseConfig->setObjectName(u"browseConfigButton"_s);
    connect(browseConfig, &QPushButton::clicked, this,
            [this] { browse(m_configEdit, int(AppSettings::Key::ConfigPath), false); });
    form->addRow(tr("Config file:"),
                 localOnly(withHint(row({m_configEdit, browseConfig}), atRestart, u"configPath"_s, box)));

    m_budgetModeCombo = new QComboBox(box);
    m_budgetModeCombo->setObjectName(u"budgetModeComboBox"_s);
    // Its longest entry (long in German) must not set the page's width: the popup shows it whole.
    m_budgetModeCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_budgetModeCombo->setMinimumContentsLength(24);
    m_budgetModeCombo->addItem(tr("As config.yaml says"), QString());
    m_budgetModeCombo->addItem(tr("Reserve: admit a call when its estimated cost fits the budget"), u"reserve"_s);
    m_budgetModeCombo->addItem(tr("Strict: like reserve, and refuse models without a known price"), u"strict"_s);
    connect(m_budgetModeCombo, &QComboBox::currentIndexChanged, this, [this] {
        if (m_loading)
            return;
        m_settings->setValue(AppSettings::Key::BudgetMode, m_budgetModeCombo->currentData().toString());
        m_settings->sync();
        restartSettingChanged();
    });
    form->addRow(tr("Budget mode:"), localOnly(withHint(m_budgetModeCombo, atRestart, box)));

    m_trayAvailable = QSystemTrayIcon::isSystemTrayAvailable();
    m_startMinimizedCheck = new QCheckBox(tr("Start minimised to the tray"), box);
    m_startMinimizedCheck->setObjectName(u"startMinimizedCheckBox"_s);
    m_closeToTrayCheck = new QCheckBox(tr("Closing the window keeps the gateway running in the tray"), box);
    m_closeToTrayCheck->setObjectName(u"closeToTrayCheckBox"_s);
    for (const auto &[check, key] : {std::pair{m_startMinimizedCheck, AppSettings::Key::StartMinimized},
                                     std::pair{m_closeToTrayCheck, AppSettings::Key::CloseToTray}}) {
        connect(check, &QCheckBox::toggled, this, [this, key = key](bool on) {
            if (m_loading)
                return;
            m_settings->setValue(key, on);
            m_settings->sync();
        });
    }
    form->addRow(withHint(m_startMinimizedCheck, atNextStart, box));
    form->addRow(withHint(m_closeToTrayCheck, atNextStart, box));
    return box;
}

void SettingsPage::loadSettings()
{
    m_loading = true;
    m_hostEdit->setText(m_settings->value(AppSettings::Key::Host).toString());
    m_portSpin->setValue(m_settings->value(AppSettings::Key::Port).toInt());
    m_databaseEdit->setText(m_settings->value(AppSettings::Key::DatabasePath).toString());
    m_configEdit->setText(m_settings->value(AppSettings::Key::ConfigPath).toString());
    const int mode = m_budgetModeCombo->findData(m_settings->value(AppSettings::Key::BudgetMode).toString());
    m_budgetModeCombo->setCurrentIndex(std::max(mode, 0));
    updateTrayChecks();
    const bool remote = m_settings->value(AppSettings::Key::GatewayMode).toString() == u"remote";
    (remote ? m_remoteRadio : m_localRadio)->setChecked(true);
    m_remoteUrlEdit->setText(m_settings->value(AppSettings::Key::RemoteBaseUrl).toString());
    if (m_connection.remote)
        m_remoteKeyEdit->setText(m_connection.masterKey);
    m_loading = false;
    updateChoiceState();
    updatePortHint();
}

void SettingsPage::setTrayAvailable(bool available)
{
    m_trayAvailable = available;
    const bool loading = std::exchange(m_loading, true);
    updateTrayChecks();
    m_loading = loading;
}

void SettingsPage::updateTrayChecks()
{
    // Called while loading: the kept values are shown, never written back (a tray that comes
    // back at a later start finds them as they were).
    const QString noTray = tr("There is no system tray on this desktop, so closing the window quits Tollgate and it "
                              "starts with its window open.");
    const QString atNextStart = tr("applies at the next start of Tollgate");
    for (const auto &[check, key] : {std::pair{m_startMinimizedCheck, AppSettings::Key::StartMinimized},
                                     std::pair{m_closeToTrayCheck, AppSettings::Key::CloseToTray}}) {
        check->setEnabled(m_trayAvailable);
        check->setChecked(m_trayAvailable && m_settings->value(key).toBool());
        check->setToolTip(m_trayAvailable ? QString() : noTray);
    }
    // The note beside the second one says it where it is seen without hovering.
    if (auto *hint = findChild<QLabel *>(m_closeToTrayCheck->objectName() + u"RestartHint"_s))
        hint->setText(m_trayAvailable ? atNextStart : noTray);
    if (auto *hint = findChild<QLabel *>(m_startMinimizedCheck->objectName() + u"RestartHint"_s))
        hint->setVisible(m_trayAvailable);
}

void SettingsPage::saveHost()
{
    const QString host = m_hostEdit->text().trimmed();
    // What the app accepts at start-up (Runtime::listenAddress): an IP address or localhost.
    if (host != u"localhost" && QHostAddress(host).isNull()) {
        Q_EMIT notice(tr("'%1' is not an IP address; the host stays %2.")
                          .arg(host, m_settings->value(AppSettings::Key::Host).toString()));
        m_hostEdit->setText(m_settings->value(AppSettings::Key::Host).toString());
        return;
    }
    m_hostEdit->setText(host);
    const bool changed = host != m_settings->value(AppSettings::Key::Host).toString();
    m_settings->setValue(AppSettings::Key::Host, host);
    m_settings->sync();
    if (changed)
        restartSettingChanged();
}

void SettingsPage::updatePortHint()
{
    if (!m_portHintLabel)
        return;
    // The port programs must use is the one the gateway listens on, which need not be this
    // setting: --port wins over it (a restart from here keeps it until the setting changes),
    // and a port that was taken gives a free one.
    const int listening = m_connection.baseUrl.port();
    const int setting = m_settings->value(AppSettings::Key::Port).toInt();
    QString hint;
    if (!m_connection.remote && !m_connection.waitingForKeychain && listening > 0 && listening != setting) {
        if (m_connection.portChoice == ConnectionInfo::PortChoice::CommandLine)
            hint = tr("listening on %1 (started with --port)").arg(listening);
        else if (m_connection.portChoice == ConnectionInfo::PortChoice::FreePort && !m_restartPending)
            hint = tr("listening on %1 (port %2 was taken)").arg(listening).arg(setting);
    }
    m_portHintLabel->setText(hint.isEmpty() ? tr("applies after a restart") : hint);
    // Greyed as a remark; the port in use is a value.
    m_portHintLabel->setEnabled(!hint.isEmpty());
}

void SettingsPage::restartSettingChanged()
{
    // Nothing to restart before the gateway first ran.
    if (m_loading || m_connection.waitingForKeychain || m_connection.remote)
        return;
    // Set back to what the gateway runs with: nothing left to restart for.
    m_restartPending = restartSettings() != m_runningSettings;
    m_restartBar->setVisible(m_restartPending);
    m_restartButton->setEnabled(true);
}

QStringList SettingsPage::restartSettings() const
{
    QStringList values;
    for (const AppSettings::Key key : {AppSettings::Key::Host, AppSettings::Key::Port, AppSettings::Key::DatabasePath,
                                       AppSettings::Key::ConfigPath, AppSettings::Key::BudgetMode})
        values.append(m_settings->value(key).toString());
    return values;
}

void SettingsPage::savePath(QLineEdit *edit, int key)
{
    const QString path = edit->text().trimmed();
    const QString value = path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
    const bool changed = value != m_settings->value(AppSettings::Key(key)).toString();
    m_settings->setValue(AppSettings::Key(key), value);
    m_settings->sync();
    edit->setText(m_settings->value(AppSettings::Key(key)).toString());
    if (changed)
        restartSettingChanged();
}

void SettingsPage::browse(QLineEdit *edit, int key, bool database)
{
    const QString current = edit->text().isEmpty() ? (database ? m_connection.databasePath : m_connection.configPath)
                                                    : edit->text();
    auto *dialog = new QFileDialog(this, database ? tr("Data file") : tr("Config file"), current,
                                   database ? tr("SQLite databases (*.db *.sqlite *.sqlite3);;All files (*)")
                                            : tr("YAML files (*.yaml *.yml);;All files (*)"));
    dialog->setObjectName(database ? u"databaseFileDialog"_s : u"configFileDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (database) {
        // A new file is created at the next start; an existing one is opened, not replaced.
        dialog->setAcceptMode(QFileDialog::AcceptSave);
        dialog->setOption(QFileDialog::DontConfirmOverwrite);
    } else {
        dialog->setFileMode(QFileDialog::ExistingFile);
    }
    connect(dialog, &QFileDialog::fileSelected, this, [this, edit, key](const QString &file) {
        edit->setText(file);
        savePath(edit, key);
    });
    dialog->open();
}

void SettingsPage::doRefresh()
{
    beginCall();
    api()->get(u"/gateway/status"_s, {}, this, [this](const ApiReply &reply) {
        const QJsonObject status = reply.json.object();
        setPausedState(reply.ok(), status.value(u"paused"_s).toBool(), status.value(u"in_flight"_s).toInt());
        endCall();
    });
}

void SettingsPage::setPausedState(bool known, bool paused, int inFlight)
{
    // A remote gateway is paused where it runs: one of several gateways on a shared database
    // pausing from here would be a surprise to the others' users.
    m_pauseButton->setEnabled(known && !m_connection.remote);
    if (!known) {
        m_statusLabel->setText(tr("The gateway does not answer."));
        return;
    }
    m_paused = paused;
    if (paused) {
        m_statusLabel->setText(tr("<b>Paused</b>: LLM calls are refused (503) until you resume; the window and the "
                                  "management API keep working."));
        m_pauseButton->setText(tr("Resume gateway"));
        m_pauseButton->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    } else {
        m_statusLabel->setText(tr("<b>Running</b>: %n call(s) in flight.", nullptr, inFlight));
        m_pauseButton->setText(tr("Pause gateway"));
        m_pauseButton->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    }
}

void SettingsPage::updateMasterKeyDisplay()
{
    const bool shown = m_showKeyButton->isChecked();
    m_masterKeyEdit->setEchoMode(shown ? QLineEdit::Normal : QLineEdit::Password);
    m_showKeyButton->setText(shown ? tr("Hide") : tr("Show"));
    // The snippet holds the key too: hidden with it.
    QString snippet = m_connection.environmentSnippet();
    if (!shown && !m_connection.masterKey.isEmpty())
        snippet.replace(m_connection.masterKey, QString(m_connection.masterKey.size(), u'•'));
    m_snippetEdit->setPlainText(snippet.trimmed());
}

void SettingsPage::copy(const QString &text, const QString &what)
{
    QApplication::clipboard()->setText(text);
    Q_EMIT notice(tr("%1 copied to the clipboard.").arg(what));
}

} // namespace Tollgate
