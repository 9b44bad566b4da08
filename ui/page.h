#pragma once

#include <QIcon>
#include <QUrl>
#include <QWidget>

namespace Tollgate {

class ApiClient;

// One page of the main window (Dashboard, Keys, …). The window calls refresh() when the page
// is shown and then about once a second while it stays visible; a page fetches what it
// shows from the management API and never blocks.
class Page : public QWidget
{
    Q_OBJECT

public:
    explicit Page(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] virtual QString title() const = 0;
    [[nodiscard]] virtual QIcon icon() const = 0;
    // Starts fetching; does nothing while the previous refresh is still under way.
    void refresh();
    [[nodiscard]] bool isRefreshing() const { return m_pending > 0; }
    // The field Ctrl+F goes to (the list's search, the spend log's first filter); nullptr:
    // the page has none.
    [[nodiscard]] virtual QWidget *searchField() const { return nullptr; }

Q_SIGNALS:
    // A refresh finished (every call it made answered): tests and screenshots wait for it.
    void refreshed();
    // Something worth telling the user that is not an error (shown in the banner).
    void notice(const QString &text);
    // A notice with something to open (the folder of a file just written): the banner shows
    // an `actionText` button that opens `url` with the desktop's handler.
    void noticeWithLink(const QString &text, const QString &actionText, const QUrl &url);

protected:
    [[nodiscard]] ApiClient *api() const { return m_api; }
    // Subclasses start their calls here; each call is bracketed by beginCall()/endCall()
    // (or use call helpers that do it) so the page knows when the refresh is complete.
    virtual void doRefresh() = 0;
    // The window switched to another gateway (ApiClient::targetChanged): drop everything shown
    // from the old one and allow no change until the new one has answered a refresh.
    virtual void clearData() {}
    void beginCall() { ++m_pending; }
    void endCall();

private:
    ApiClient *m_api;
    int m_pending = 0;
};

} // namespace Tollgate
