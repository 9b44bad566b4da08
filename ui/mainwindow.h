#pragma once

#include <QList>
#include <QStringList>
#include <QMainWindow>
#include <QUrl>

class QAction;
class QLabel;
class QPushButton;
class QListWidget;
class QStackedWidget;
class QTimer;

namespace Tollgate {

class ApiClient;
class AppSettings;
class Banner;
class BudgetsPage;
class ConnectPage;
class GatewayStatus;
class MasterKeyKeeper;
class Page;
class SettingsPage;

// Where the gateway listens and how the window got its master key: shown in the header
// ("copy base URL", the OPENAI_* snippet) and on the Settings page.
struct ConnectionInfo
{
    QUrl baseUrl;                 // http://127.0.0.1:4000 (the OpenAI base URL adds /v1)
    QString masterKey;
    QString masterKeySource;      // e.g. "OS keychain (Secret Service)", "config.yaml"
    QStringList startWarnings;    // e.g. no keychain for the key, the port was taken
    QString databasePath;
    QString configPath;           // empty: built-in configuration
    QString budgetMode;           // how the running gateway enforces budgets: "reserve", "strict" ("" unknown)
    bool firstStart = false;      // the master key was just created
    bool masterKeyFromConfig = false;  // config.yaml sets it: the window cannot rotate it
    // Where the port the gateway listens on (baseUrl's) comes from: the Port setting, --port
    // (which wins over it), or a free port because the one asked for was taken.
    enum class PortChoice { Settings, CommandLine, FreePort };
    PortChoice portChoice = PortChoice::Settings;
    // The gateway is not up yet: the window waits for the keychain to hand out the master key
    // (an OS dialog may be open). MainWindow::setConnection() ends the wait.
    bool waitingForKeychain = false;
    // A gateway elsewhere (Settings → Gateway → "Remote gateway"): what belongs to the gateway
    // on this computer (port, listen address, files, pause, rotation) is not the window's to change.
    bool remote = false;

    [[nodiscard]] QString openAiBaseUrl() const;   // baseUrl + "/v1"
    [[nodiscard]] QString environmentSnippet() const;
};

// The main window: a sidebar of pages, a header with the gateway's state and address, a banner for
// errors and notices. Pages are refreshed when shown, about once a second while visible, and
// right after any change made through the API.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(ApiClient *api, AppSettings *settings, ConnectionInfo connection, QWidget *parent = nullptr);
    ~MainWindow() override;

    [[nodiscard]] QList<Page *> pages() const { return m_pages; }
    [[nodiscard]] Page *currentPage() const;
    void showPage(Page *page);
    template <typename T>
    [[nodiscard]] T *page() const
    {
        for (Page *candidate : m_pages) {
            if (auto *typed = qobject_cast<T *>(candidate))
                return typed;
        }
        return nullptr;
    }
    [[nodiscard]] Banner *banner() const { return m_banner; }
    [[nodiscard]] const ConnectionInfo &connection() const { return m_connection; }

    // The menu bar's actions (tests trigger them): File → Quit, Edit → Find, Go → each page,
    // Help → API documentation, About.
    [[nodiscard]] QAction *quitAction() const { return m_quitAction; }
    [[nodiscard]] QAction *findAction() const { return m_findAction; }
    [[nodiscard]] QList<QAction *> pageActions() const { return m_pageActions; }

    // Brings the window to the front (second instance, tray click).
    void raiseWindow();
    // When true, closing the window hides it instead (the tray keeps the gateway running).
    void setHideOnClose(bool hide) { m_hideOnClose = hide; }
    // The gateway (re)started or its master key changed: the header, the Settings page and
    // the refreshes follow. Ends the "waiting for the keychain" state; the start-up messages
    // (welcome, warnings) are shown when it does.
    void setConnection(const ConnectionInfo &connection);
    // The API client goes to `connection`'s base URL with its master key, then setConnection():
    // how the window changes gateways (Settings → Gateway).
    void switchTo(const ConnectionInfo &connection);
    // Keeps a remote gateway's master key (the keychain entry RemoteGateway::SecretName); the
    // Settings page needs it to switch to a remote gateway. Must outlive the window.
    void setRemoteKeyKeeper(MasterKeyKeeper *keeper);
    [[nodiscard]] bool isWaitingForGateway() const { return m_connection.waitingForKeychain; }
    // The header follows `status` (polled by its owner): running, paused or stopped, beside the
    // address. Without one the header shows the address only.
    void setGatewayStatus(GatewayStatus *status);

Q_SIGNALS:
    void quitRequested();
    // From the Settings page (the app owns the gateway and the keychain): stop and start the
    // gateway with the saved settings; a new master key (the user confirmed).
    void restartGatewayRequested();
    void rotateMasterKeyRequested();
    // Settings → Gateway → Apply: `connection.remote` — the window should manage that remote
    // gateway (its key is already kept; the app calls switchTo() and stops the in-process
    // gateway); otherwise the gateway on this computer again (the app starts it, then switchTo()).
    void gatewayChoiceChanged(const Tollgate::ConnectionInfo &connection);

protected:
    void closeEvent(QCloseEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void addPage(Page *page);
    void createMenus();
    // Ctrl+F: the current page's search field, if it has one.
    void focusSearch();
    void showAbout();
    QWidget *createHeader();
    void updateHeader();
    void dismissConnectionErrors();
    void showStartMessages();
    void rememberPreviousMasterKey(const ConnectionInfo &next);
    void copyToClipboard(const QString &text, const QString &what);

    ApiClient *m_api;
    AppSettings *m_settings;
    ConnectionInfo m_connection;
    QListWidget *m_sidebar;
    QStackedWidget *m_stack;
    Banner *m_banner = nullptr;
    QLabel *m_stateLabel = nullptr;
    QLabel *m_addressLabel = nullptr;
    GatewayStatus *m_status = nullptr;
    QStringList m_connectionErrors;   // banner messages of calls that got no answer
    QPushButton *m_copyUrlButton = nullptr;
    QPushButton *m_copySnippetButton = nullptr;
    SettingsPage *m_settingsPage = nullptr;
    BudgetsPage *m_budgetsPage = nullptr;
    ConnectPage *m_connectPage = nullptr;
    QTimer *m_refreshTimer;
    QList<Page *> m_pages;
    QAction *m_quitAction = nullptr;
    QAction *m_findAction = nullptr;
    QList<QAction *> m_pageActions;
    bool m_hideOnClose = false;
};

} // namespace Tollgate
