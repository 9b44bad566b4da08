#include "enduserspage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

EndUsersPage::EndUsersPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon EndUsersPage::icon() const
{
    return style()->standardIcon(QStyle::SP_FileDialogContentsView);
}

void EndUsersPage::doRefresh() {}

} // namespace Tollgate
