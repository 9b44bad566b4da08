#include "page.h"

#include "apiclient.h"

namespace Tollgate {

Page::Page(ApiClient *api, QWidget *parent) : QWidget(parent), m_api(api)
{
    if (m_api)
        connect(m_api, &ApiClient::targetChanged, this, [this] { clearData(); });
}

void Page::refresh()
{
    if (m_pending > 0)
        return;
    // Held across doRefresh() so a page whose calls answer synchronously still ends once.
    ++m_pending;
    doRefresh();
    endCall();
}

void Page::endCall()
{
    if (--m_pending == 0)
        Q_EMIT refreshed();
}

} // namespace Tollgate
