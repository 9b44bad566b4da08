#include "dashboardpage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

DashboardPage::DashboardPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon DashboardPage::icon() const
{
    return style()->standardIcon(QStyle::SP_ComputerIcon);
}

void DashboardPage::doRefresh() {}

} // namespace Tollgate
