#include "settingspage.h"

#include "../apiclient.h"
#include "../appsettings.h"

#include <QStyle>

namespace Tollgate {

SettingsPage::SettingsPage(ApiClient *api, AppSettings *settings, const ConnectionInfo &connection, QWidget *parent)
    : Page(api, parent), m_settings(settings), m_connection(connection)
{
}

QIcon SettingsPage::icon() const
{
    return style()->standardIcon(QStyle::SP_FileDialogInfoView);
}

void SettingsPage::doRefresh() {}

} // namespace Tollgate
