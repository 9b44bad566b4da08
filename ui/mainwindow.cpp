#include "mainwindow.h"

#include "apiclient.h"
#include "appsettings.h"
#include "banner.h"
#include "gatewaystatus.h"
#include "page.h"
#include "pages/budgetspage.h"
#include "pages/connectpage.h"
#include "pages/dashboardpage.h"
#include "pages/enduserspage.h"
#include "pages/keyspage.h"
#include "pages/modelspage.h"
#include "pages/settingspage.h"
#include "pages/spendlogpage.h"
#include "pages/userspage.h"

#include <QFontMetrics>
#include <QEvent>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QDesktopServices>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QListWidget>
#include <QPushButton>
#include <QScreen>
#include <QSplitter>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {
// "Live": lists follow spend within about a second.
constexpr int RefreshIntervalMs = 1000;
} // namespace

QString ConnectionInfo::openAiBaseUrl() const
{
    return baseUrl.toString(QUrl::StripTrailingSlash) + u"/v1"_s;
}

QString ConnectionInfo::environmentSnippet() const
{
    // The snippet hands out the master key: it says so where it is pasted, too.
    const QString warning = masterKey.isEmpty()
        ? QString()
        : MainWindow::tr("# The master key: admin rights, capped only by the global budget. For a tool, make a key "
                         "with limits on the Keys page.\n");
    return warning
           + u"export OPENAI_BASE_URL=%1\nexport OPENAI_API_KEY=%2\n"_s.arg(
               openAiBaseUrl(), masterKey.isEmpty() ? u"sk-anything"_s : masterKey);
}

MainWindow::MainWindow(ApiClient *api, AppSettings *settings, ConnectionInfo connection, QWidget *parent)
    : QMainWindow(parent)
    , m_api(api)
    , m_settings(settings)
    , m_connection(std::move(connection))
    , m_sidebar(new QListWidget(this))
    , m_stack(new QStackedWidget(this))
    , m_refreshTimer(new QTimer(this))
{
    setObjectName(u"mainWindow"_s);
    setWindowTitle(tr("Tollgate"));
    setWindowIcon(QIcon(u":/tollgate/icons/tollgate.svg"_s));

    m_sidebar->setObjectName(u"sidebarListWidget"_s);
    m_sidebar->setIconSize(QSize(20, 20));
    m_sidebar->setFrameShape(QFrame::NoFrame);
    m_sidebar->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Expanding);

    m_api->setPreviousMasterKeyTokens(m_settings->value(AppSettings::Key::PreviousMasterKeyTokens).toStringList());
    addPage(new DashboardPage(api, this));
    auto *keys = new KeysPage(api, this);
    addPage(keys);
    // Right after Keys: the next step after making a key is pointing a tool at it.
    auto *connectTool = new ConnectPage(api, m_connection.baseUrl.toString(QUrl::StripTrailingSlash), this);
    m_connectPage = connectTool;
    addPage(connectTool);
    connect(keys, &KeysPage::connectToolRequested, this, [this, connectTool](const KeyRecord &key, const QString &rawKey) {
        connectTool->useNewKey(key, rawKey);
        showPage(connectTool);
    });
    auto *users = new UsersPage(api, this);
    addPage(users);
    auto *endUsers = new EndUsersPage(api, this);
    addPage(endUsers);
    addPage(new ModelsPage(api, this));
    m_budgetsPage = new BudgetsPage(api, this);
    m_budgetsPage->setBudgetMode(m_connection.budgetMode);
    addPage(m_budgetsPage);
    connect(m_budgetsPage, &BudgetsPage::openOwnerRequested, this,
            [this, keys, users, endUsers](BudgetRecord::Scope scope, const QString &id) {
                ListPage *owner = scope == BudgetRecord::Scope::Key    ? static_cast<ListPage *>(keys)
                                  : scope == BudgetRecord::Scope::User ? static_cast<ListPage *>(users)
                                                                       : static_cast<ListPage *>(endUsers);
                owner->selectRecord(id);
                showPage(owner);
            });
    addPage(new SpendLogPage(api, this));
    m_settingsPage = new SettingsPage(api, settings, m_connection, this);
    connect(m_settingsPage, &SettingsPage::restartRequested, this, &MainWindow::restartGatewayRequested);
    connect(m_settingsPage, &SettingsPage::rotateMasterKeyRequested, this, &MainWindow::rotateMasterKeyRequested);
    connect(m_settingsPage, &SettingsPage::gatewayChoiceChanged, this, &MainWindow::gatewayChoiceChanged);
    addPage(m_settingsPage);
    // Wide enough for the longest page title (translations are often longer than English).
    int titleWidth = 0;
    for (const Page *page : std::as_const(m_pages))
        titleWidth = std::max(titleWidth, m_sidebar->fontMetrics().horizontalAdvance(page->title()));
    m_sidebar->setFixedWidth(titleWidth + m_sidebar->iconSize().width() + 40);

    auto *content = new QWidget(this);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->setSpacing(0);
    contentLayout->addWidget(createHeader());
    contentLayout->addWidget(m_stack, 1);
    // Floats over the page's bottom, outside the layout: messages never move the page.
    m_banner = new Banner(content);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_sidebar);
    layout->addWidget(content, 1);
    setCentralWidget(central);
    createMenus();
    // Room for every list's columns without sideways scrolling, on screens that have it.
    QSize first(1280, 800);
    if (const QScreen *screen = this->screen())
        first = first.boundedTo(screen->availableGeometry().size() * 0.95);
    resize(first);

    connect(m_sidebar, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row < 0 || row >= m_pages.size())
            return;
        m_stack->setCurrentIndex(row);
        // Before the gateway runs there is nothing to ask (and no address to ask at).
        if (!m_connection.waitingForKeychain)
            m_pages.at(row)->refresh();
    });
    connect(m_api, &ApiClient::failed, this, [this](const QString &path, const QString &message) {
        Q_UNUSED(path);
        // A remote gateway without its master key refuses every call for that one reason, which a
        // start-up warning and the Settings page already say (and how to fix it).
        if (m_connection.remote && m_connection.masterKey.isEmpty())
            return;
        m_banner->showMessage(message, Banner::Kind::Error);
    });
    // "Connection refused" and the like are about the gateway not answering: they go by themselves
    // once it answers again (GatewayStatus), or once the window manages another gateway.
    connect(m_api, &ApiClient::unreachable, this, [this](const QString &message) {
        if (m_banner->messages().contains(message) && !m_connectionErrors.contains(message))
            m_connectionErrors.append(message);
    });
    connect(m_api, &ApiClient::targetChanged, this, &MainWindow::dismissConnectionErrors);
    connect(m_api, &ApiClient::changed, this, [this] {
        if (Page *page = currentPage())
            page->refresh();
    });
    for (Page *page : std::as_const(m_pages)) {
        connect(page, &Page::notice, this, [this](const QString &text) { m_banner->showMessage(text, Banner::Kind::Info); });
        connect(page, &Page::noticeWithLink, this, [this](const QString &text, const QString &actionText, const QUrl &url) {
            m_banner->showMessage(text, Banner::Kind::Info, actionText, [url] { QDesktopServices::openUrl(url); });
        });
    }

    m_refreshTimer->setInterval(RefreshIntervalMs);
    connect(m_refreshTimer, &QTimer::timeout, this, [this] {
        if (!isVisible() || isMinimized() || m_connection.waitingForKeychain)
            return;
        if (Page *page = currentPage())
            page->refresh();
    });
    m_refreshTimer->start();

    if (!m_connection.waitingForKeychain)
        showStartMessages();
    m_stack->setEnabled(!m_connection.waitingForKeychain);
    m_sidebar->setCurrentRow(0);
}

MainWindow::~MainWindow() = default;

void MainWindow::setConnection(const ConnectionInfo &connection)
{
    rememberPreviousMasterKey(connection);
    const bool wasWaiting = m_connection.waitingForKeychain;
    m_connection = connection;
    m_connection.waitingForKeychain = false;
    m_budgetsPage->setBudgetMode(m_connection.budgetMode);
    m_settingsPage->setConnection(m_connection);
    m_connectPage->setBaseUrl(m_connection.baseUrl.toString(QUrl::StripTrailingSlash));
    updateHeader();
    m_stack->setEnabled(true);
    if (wasWaiting)
        showStartMessages();
    if (Page *page = currentPage())
        page->refresh();
}

void MainWindow::rememberPreviousMasterKey(const ConnectionInfo &next)
{
    // The gateway on this computer with another master key (rotated, or config.yaml's changed):
    // spend recorded with the old one stays the master key's, also after a restart.
    if (m_connection.remote || next.remote || m_connection.masterKey.isEmpty() || next.masterKey.isEmpty()
        || next.masterKey == m_connection.masterKey)
        return;
    QStringList tokens = m_settings->value(AppSettings::Key::PreviousMasterKeyTokens).toStringList();
    const QString token = ApiClient::tokenOf(m_connection.masterKey);
    if (tokens.contains(token))
        return;
    tokens.append(token);
    constexpr qsizetype Kept = 20;
    if (tokens.size() > Kept)
        tokens = tokens.mid(tokens.size() - Kept);
    m_settings->setValue(AppSettings::Key::PreviousMasterKeyTokens, tokens);
    m_settings->sync();
    m_api->setPreviousMasterKeyTokens(tokens);
}

void MainWindow::switchTo(const ConnectionInfo &connection)
{
    m_api->setBaseUrl(connection.baseUrl);
    m_api->setMasterKey(connection.masterKey);
    setConnection(connection);
}

void MainWindow::setRemoteKeyKeeper(MasterKeyKeeper *keeper)
{
    m_settingsPage->setRemoteKeyKeeper(keeper);
}

void MainWindow::showStartMessages()
{
    // The banner stacks its messages: a first start's welcome shows beside any start warning
    // (a machine without a keychain is exactly where a new user needs both). It goes by itself
    // after a long read (Banner::LongInfoShownMs), not at once like a notice: where the master
    // key is kept stays on the Settings page ("Master key kept in").
    if (m_connection.firstStart) {
        m_banner->showMessage(
            tr("Welcome to Tollgate. A master key was created and kept in %1. Point your tools at %2 "
               "(“Copy environment” gives both), or hand out keys with limits on the Keys page.")
                .arg(m_connection.masterKeySource, m_connection.openAiBaseUrl()),
            Banner::Kind::Info, true);
    }
    if (!m_connection.startWarnings.isEmpty())
        m_banner->showMessage(m_connection.startWarnings.join(u'\n'), Banner::Kind::Warning);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_quitAction = file->addAction(QIcon::fromTheme(u"application-exit"_s), tr("&Quit"));
    m_quitAction->setObjectName(u"quitAction"_s);
    // Ctrl+Q spelled out: QKeySequence::Quit is empty where the platform theme has no binding.
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    // Quits even when closing the window would only hide it in the tray.
    connect(m_quitAction, &QAction::triggered, this, &MainWindow::quitRequested);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_findAction = edit->addAction(QIcon::fromTheme(u"edit-find"_s), tr("&Find"));
    m_findAction->setObjectName(u"findAction"_s);
    m_findAction->setShortcut(QKeySequence::Find);   // Ctrl+F
    m_findAction->setToolTip(tr("Go to the page's search field"));
    connect(m_findAction, &QAction::triggered, this, &MainWindow::focusSearch);

    // One entry per page, Ctrl+1 … Ctrl+9 in the sidebar's order.
    QMenu *go = menuBar()->addMenu(tr("&Go"));
    for (qsizetype i = 0; i < m_pages.size(); ++i) {
        Page *page = m_pages.at(i);
        // A title's '&' ("Models & access groups") is shown, not taken for a mnemonic.
        QAction *action = go->addAction(page->icon(), QString(page->title()).replace(u'&', u"&&"_s));
        action->setObjectName(u"goToPage%1Action"_s.arg(i + 1));
        if (i < 9)
            action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + int(i))));
        connect(action, &QAction::triggered, this, [this, page] { showPage(page); });
        m_pageActions.append(action);
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *docs = help->addAction(QIcon::fromTheme(u"help-contents"_s), tr("API &documentation"));
    docs->setObjectName(u"apiDocsAction"_s);
    docs->setToolTip(tr("Open the gateway's API reference (Swagger UI) in the browser"));
    connect(docs, &QAction::triggered, this, [this] {
        QDesktopServices::openUrl(QUrl(m_connection.baseUrl.toString(QUrl::StripTrailingSlash) + u"/docs"_s));
    });
    help->addSeparator();
    QAction *about = help->addAction(QIcon::fromTheme(u"help-about"_s), tr("&About Tollgate"));
    about->setObjectName(u"aboutAction"_s);
    about->setMenuRole(QAction::AboutRole);
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
    QAction *aboutQt = help->addAction(tr("About &Qt"));
    aboutQt->setMenuRole(QAction::AboutQtRole);
    connect(aboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
}

void MainWindow::focusSearch()
{
    Page *page = currentPage();
    QWidget *field = page ? page->searchField() : nullptr;
    if (!field)
        return;
    field->setFocus(Qt::ShortcutFocusReason);
    if (auto *edit = qobject_cast<QLineEdit *>(field))
        edit->selectAll();   // typing replaces the last search
}

void MainWindow::showAbout()
{
    // Non-modal (open, not exec): the gateway and the window keep working behind it.
    auto *box = new QMessageBox(QMessageBox::NoIcon, tr("About Tollgate"),
                                tr("<h3>Tollgate %1</h3>"
                                   "<p>A local gateway for LLM APIs: keys, budgets and rate limits for the tools "
                                   "of a team, OpenAI- and LiteLLM-compatible.</p>"
                                   "<p>%2</p>")
                                    .arg(QCoreApplication::applicationVersion().toHtmlEscaped(),
                                         (m_connection.remote ? tr("Managing the remote gateway at %1")
                                                              : tr("Listening on %1"))
                                             .arg(m_connection.openAiBaseUrl())
                                             .toHtmlEscaped()),
                                QMessageBox::Close, this);
    box->setObjectName(u"aboutMessageBox"_s);
    box->setIconPixmap(windowIcon().pixmap(64, 64));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::addPage(Page *page)
{
    m_pages.append(page);
    m_stack->addWidget(page);
    auto *item = new QListWidgetItem(page->icon(), page->title(), m_sidebar);
    item->setSizeHint(QSize(0, 36));
}

QWidget *MainWindow::createHeader()
{
    auto *header = new QFrame(this);
    header->setObjectName(u"headerFrame"_s);
    header->setFrameShape(QFrame::StyledPanel);
    auto *layout = new QHBoxLayout(header);
    layout->setContentsMargins(12, 6, 12, 6);

    // Running, paused or stopped: whether calls go through at all, before where they go.
    m_stateLabel = new QLabel(header);
    m_stateLabel->setObjectName(u"gatewayStateLabel"_s);
    m_stateLabel->setTextFormat(Qt::RichText);
    m_stateLabel->hide();
    layout->addWidget(m_stateLabel);

    m_addressLabel = new QLabel(header);
    m_addressLabel->setObjectName(u"addressLabel"_s);
    m_addressLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_addressLabel->setWordWrap(true);
    // It takes the room the buttons leave; a URL too long for it is elided (updateHeader).
    m_addressLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_addressLabel->setMinimumWidth(0);
    m_addressLabel->installEventFilter(this);
    layout->addWidget(m_addressLabel, 1);

    m_copyUrlButton = new QPushButton(tr("Copy base URL"), header);
    m_copyUrlButton->setObjectName(u"copyBaseUrlButton"_s);
    connect(m_copyUrlButton, &QPushButton::clicked, this,
            [this] { copyToClipboard(m_connection.openAiBaseUrl(), tr("Base URL")); });
    layout->addWidget(m_copyUrlButton);

    m_copySnippetButton = new QPushButton(tr("Copy environment"), header);
    m_copySnippetButton->setObjectName(u"copySnippetButton"_s);
    auto *copySnippet = m_copySnippetButton;
    connect(copySnippet, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(m_connection.environmentSnippet());
        m_banner->showMessage(
            m_connection.masterKey.isEmpty()
                ? tr("Environment snippet copied to the clipboard.")
                : tr("Environment snippet copied to the clipboard. It holds the master key: admin rights, capped "
                     "only by the global budget. For a tool, make a key with limits on the Keys page."),
            m_connection.masterKey.isEmpty() ? Banner::Kind::Info : Banner::Kind::Warning);
    });
    layout->addWidget(copySnippet);
    updateHeader();
    return header;
}

void MainWindow::setGatewayStatus(GatewayStatus *status)
{
    if (m_status)
        disconnect(m_status, nullptr, this, nullptr);
    m_status = status;
    if (m_status) {
        connect(m_status, &GatewayStatus::statusChanged, this, &MainWindow::updateHeader);
        connect(m_status, &GatewayStatus::statusChanged, this, [this] {
            if (m_status->isKnown() && m_status->isReachable())
                dismissConnectionErrors();
        });
    }
    updateHeader();
}

void MainWindow::dismissConnectionErrors()
{
    for (const QString &message : std::as_const(m_connectionErrors))
        m_banner->dismiss(message);
    m_connectionErrors.clear();
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_addressLabel && (event->type() == QEvent::Resize || event->type() == QEvent::Show))
        updateHeader();   // the address's room changed
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::updateHeader()
{
    const bool waiting = m_connection.waitingForKeychain;
    // A dot in a colour that reads on light and dark headers, and the word (never colour alone).
    const bool known = m_status && m_status->isKnown() && !waiting;
    m_stateLabel->setVisible(known);
    if (known) {
        QString colour;
        QString state;
        QString tip;
        if (!m_status->isReachable() && m_connection.remote) {
            colour = u"#d0453a"_s;
            state = tr("Not reachable");
            tip = tr("The remote gateway does not answer (or refuses the master key): the window keeps trying. "
                     "Check the address and the key in Settings.");
        } else if (!m_status->isReachable()) {
            colour = u"#d0453a"_s;
            state = tr("Stopped");
            tip = tr("The gateway does not answer: tools cannot reach it until it runs again.");
        } else if (m_status->isPaused()) {
            colour = u"#d08a00"_s;
            state = tr("Paused");
            tip = tr("LLM calls are refused until the gateway is resumed (Settings or the tray).");
        } else {
            colour = u"#2e9d4f"_s;
            state = tr("Running");
            tip = tr("The gateway serves LLM calls.");
        }
        m_stateLabel->setText(u"<span style=\"color:%1\">\u25CF</span> <b>%2</b>"_s.arg(colour, state.toHtmlEscaped()));
        m_stateLabel->setToolTip(tip);
        m_stateLabel->setAccessibleName(tr("Gateway: %1").arg(state));
    }
    // A URL (no spaces, so no wrapping) too long for the header is elided in the middle; the
    // whole of it is in the tooltip and on the clipboard (Copy base URL).
    const QString url = m_connection.openAiBaseUrl();
    const QString prefix = m_connection.remote ? (known ? tr("remote gateway at %1") : tr("Remote gateway at %1"))
                           : known            ? tr("at %1")
                                              : tr("Gateway listening on %1");
    QFont bold = m_addressLabel->font();
    bold.setBold(true);
    const int room = m_addressLabel->width() - QFontMetrics(m_addressLabel->font()).horizontalAdvance(prefix.arg(QString()))
                     - 2 * m_addressLabel->margin() - 8;
    // Until the label is laid out its width says nothing.
    const QString shown = m_addressLabel->isVisible() && room > 60
                              ? QFontMetrics(bold).elidedText(url, Qt::ElideMiddle, room)
                              : url;
    m_addressLabel->setText(
        waiting ? tr("<b>Waiting for the keychain…</b> The gateway starts once the master key is known; if the "
                     "keychain asks for a password, answer its dialog.")
                : prefix.toHtmlEscaped().arg(u"<b>"_s + shown.toHtmlEscaped() + u"</b>"_s));
    m_addressLabel->setToolTip(waiting ? QString() : url);
    m_copyUrlButton->setEnabled(!waiting);
    m_copySnippetButton->setEnabled(!waiting);
    m_copyUrlButton->setToolTip(tr("Copy %1 to the clipboard").arg(m_connection.openAiBaseUrl()));
    m_copySnippetButton->setToolTip(
        m_connection.masterKey.isEmpty()
            ? tr("Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports")
            : tr("Copy OPENAI_BASE_URL and OPENAI_API_KEY as shell exports, with the master key"));
}

void MainWindow::copyToClipboard(const QString &text, const QString &what)
{
    QApplication::clipboard()->setText(text);
    m_banner->showMessage(tr("%1 copied to the clipboard.").arg(what), Banner::Kind::Info);
}

Page *MainWindow::currentPage() const
{
    const int row = m_stack->currentIndex();
    return row >= 0 && row < m_pages.size() ? m_pages.at(row) : nullptr;
}

void MainWindow::showPage(Page *page)
{
    const int row = int(m_pages.indexOf(page));
    if (row >= 0)
        m_sidebar->setCurrentRow(row);
}

void MainWindow::raiseWindow()
{
    show();
    setWindowState((windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
    raise();
    activateWindow();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_hideOnClose) {
        hide();
        event->ignore();
        return;
    }
    event->accept();
    Q_EMIT quitRequested();
}

} // namespace Tollgate
