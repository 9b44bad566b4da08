#include "userspage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

UsersPage::UsersPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon UsersPage::icon() const
{
    return style()->standardIcon(QStyle::SP_DirHomeIcon);
}

void UsersPage::doRefresh() {}

} // namespace Tollgate
